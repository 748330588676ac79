"""validate, compare and reproduce return their reports as plain dicts."""

import json

import numpy as np
import pytest

import gdshrink as g


def test_validate_on_the_cpu_and_the_gpu_passes():
    d = g.Design("tanh", sigma=16.0, x=48, b=64)
    for device in ["cpu", "gpu"]:
        rep = g.validate(d, qs=[1, 10, 100], device=device)
        assert rep["passed"], rep["failures"]
        assert [c["q"] for c in rep["checkpoints"]] == [1, 10, 100]
        json.dumps(rep)  # plain data


def test_compare_reports_timings():
    rep = g.compare(g.Design("relu", sigma=4.0, x=32, b=48), qs=[10, 100], devices=["cpu"])
    assert isinstance(rep, dict) and json.dumps(rep)


def test_reports_go_into_pandas():
    pd = pytest.importorskip("pandas")
    rows = g.qk(g.Design("tanh", x=32, b=32), k_max=5)
    assert list(pd.DataFrame(rows).columns) == ["K", "q", "ratio_sq"]


def test_reproduce_writes_a_figure(tmp_path):
    claims = g.reproduce(tmp_path / "out", figures=["fig2"], size="quick")
    assert (tmp_path / "out" / "claims.json").exists()
    assert isinstance(claims, dict)


def test_validate_and_compare_take_a_users_matrix(features):
    A, y = features
    # f32 input (copied once into float64) and a float64 Fortran view.
    for mat in [A.astype(np.float32), np.asfortranarray(A)]:
        for device in ["cpu", "gpu"]:
            rep = g.validate(mat, qs=[1, 10, 100], y=y, device=device)
            assert rep["passed"], rep["failures"]
            assert rep["eval_points"] == 0
            assert (rep["n"], rep["m"]) == A.shape
            for c in rep["checkpoints"]:
                assert c["engine"]["f_eval"] is None
                assert c["engine"]["f"]["ok"]
    # The closed form compare times is numpy's: f64 GD reaches it to rounding.
    rep = g.compare(A, qs=[10, 100], y=y, devices=["cpu"])
    for row in rep["engines"][0]["rows"]:
        assert row["rel_err"] < 1e-10
    assert "matrix A" in rep["design"]


def test_validate_refuses_what_a_matrix_lacks(features):
    A, y = features
    with pytest.raises(ValueError, match="evaluation grid"):
        g.validate(A, qs=[1], y=y, device="cpu", eval_points=[0.5])
    with pytest.raises(ValueError, match="matrix-free"):
        g.validate(A, qs=[1], y=y, device="gpu", strategy="matrix-free")
    with pytest.raises(ValueError, match="A is zero"):
        g.validate(np.zeros((4, 5)), qs=[1], y=np.ones(4), device="cpu")
