"""validate, compare and reproduce return their reports as plain dicts."""

import json

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
