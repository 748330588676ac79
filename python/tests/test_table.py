"""A tabulated activation (`table:FILE`, .npy or .csv) is used from Python like
a built-in: the design is the table's linear interpolation (constant beyond
the ends), and GD on it agrees between the f64 CPU and the f32 GPU engines."""

import numpy as np
import pytest

import gdshrink as g


def _table(tmp_path):
    z = -6.0 + np.arange(385) / 32.0  # uniform, h = 1/32, exact in binary
    eta = np.tanh(z) + 0.2 * np.exp(-z * z) * np.sin(2.0 * z)
    npy = tmp_path / "act.npy"
    np.save(npy, np.column_stack([z, eta]))
    csv = tmp_path / "act.csv"
    np.savetxt(csv, np.column_stack([z, eta]), delimiter=",", header="z,eta", comments="", fmt="%.17g")
    return z, eta, npy, csv


def test_table_design_is_its_interpolation(tmp_path):
    z, eta, npy, csv = _table(tmp_path)
    for path in (npy, csv):
        d = g.Design(f"table:{path}", sigma=3.0, x=32, b=48)
        Z = 3.0 * (d.x[:, None] - d.b[None, :])
        # The same interpolation in f64: a few roundings of values of size 1.
        np.testing.assert_allclose(d.matrix(), np.interp(Z, z, eta), rtol=0, atol=1e-14)
    # Beyond the ends the table is constant.
    far = g.Design(f"table:{npy}", sigma=1000.0, x=8, b=8)
    A = far.matrix()
    assert set(np.unique(A[np.abs(1000.0 * (far.x[:, None] - far.b[None, :])) > 6.0])) <= {eta[0], eta[-1]}


def test_table_gd_gpu_matches_cpu(tmp_path):
    _, _, npy, _ = _table(tmp_path)
    d = g.Design(f"table:{npy}", sigma=5.0, x=40, b=64)
    y = np.cos(3.0 * d.x)
    cpu = g.gd(d, y, qs=[1, 50, 500], alpha="auto", device="cpu")["f"]
    gpu = g.gd(d, y, qs=[1, 50, 500], alpha="auto", device="gpu")["f"]
    # f32 GD of 500 steps at α = 1/s_max²: relative error a few 1e-6
    # (the validated f32 error model gives ≈ 1e-5 here); 1e-4 is loose.
    for c, h in zip(cpu, gpu):
        assert np.linalg.norm(c - h) <= 1e-4 * np.linalg.norm(c)


def test_bad_table_names_the_file(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.array([[0.0, 1.0], [2.0, 0.5], [1.0, 0.0]]))  # unsorted
    with pytest.raises(ValueError, match="bad.npy"):
        g.Design(f"table:{bad}", sigma=1.0, x=8, b=8)
