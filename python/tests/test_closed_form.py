"""The closed form and the spectra against numpy's own SVD and iterated GD."""

import numpy as np
import pytest

import gdshrink as g
from conftest import numpy_gd


def test_spectrum_and_thin_svd_match_numpy():
    A = g.design("tanh", sigma=20.0, x=60, b=90)
    s_np = np.linalg.svd(A, compute_uv=False)
    # Both are backward-stable f64 SVDs: |s_k - s_k'| <= c max(N, M) u s_max;
    # 1e-12 s_max is that with c of about 50 at these sizes.
    np.testing.assert_allclose(g.spectrum(A), s_np, rtol=0, atol=1e-12 * s_np[0])
    svd = g.thin_svd(A)
    assert svd.u.shape == (60, 60) and svd.v.shape == (90, 60) and svd.shape == (60, 90)
    np.testing.assert_allclose(svd.u @ np.diag(svd.s) @ svd.v.T, A, atol=1e-12 * s_np[0])


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_shrink_matches_numpy_svd_for_many_q(activation):
    d = g.Design(activation, sigma=8.0, x=50, b=70)
    A = d.matrix()
    y = np.cos(5 * d.x) + 0.3 * d.x
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    alpha = 1.0 / s[0] ** 2
    qs = [1, 10, 100, 1000]
    out = g.shrink(A, y, qs=qs)
    assert out["f"].shape == (4, 50) and out["w"].shape == (4, 70)
    for k, q in enumerate(qs):
        mask = 1 - (1 - alpha * s**2) ** q
        f_np = U @ (mask * (U.T @ y))
        # f is a polynomial of A A^T (norm <= 1) applied to y: rounding in
        # either SVD perturbs it by a few hundred u relative to ||y||; 1e-10 is
        # far above that and far below any wrong mask (>= 1e-3 here).
        assert np.linalg.norm(out["f"][k] - f_np) <= 1e-10 * np.linalg.norm(y)
        assert out["loss"][k] == pytest.approx(0.5 * np.sum((y - out["f"][k]) ** 2), rel=1e-12)


def test_shrink_equals_iterated_numpy_gd_on_a_user_matrix(features):
    A, y = features
    svd = g.thin_svd(A)
    alpha = 0.9 / svd.s_max**2
    qs = [1, 7, 50]
    out = g.shrink(svd, y, [g.gd_exact(alpha, q) for q in qs])
    ref = numpy_gd(A, y, alpha, qs)
    for k in range(len(qs)):
        # Exact identity f_q = U diag(1-(1-a s^2)^q) U^T y; the iteration adds
        # about q u of rounding: 1e-11 covers q = 50 with a wide margin.
        assert np.linalg.norm(out["f"][k] - ref[k]) <= 1e-11 * np.linalg.norm(y)


def test_four_masks_and_qk():
    s = np.array([4.0, 2.0, 1.0, 0.5])
    masks = [g.gd_exact(1 / 16, 3), g.gd_flow(1 / 16, 3.0), g.ridge(1.0), g.pca(1.0)]
    m = g.mask_values(masks, s)
    np.testing.assert_allclose(m[0], 1 - (1 - s**2 / 16) ** 3, rtol=1e-15)
    np.testing.assert_allclose(m[1], 1 - np.exp(-3 * s**2 / 16), rtol=1e-15)
    np.testing.assert_allclose(m[2], s**2 / (s**2 + 1), rtol=1e-15)
    np.testing.assert_array_equal(m[3], [1, 1, 1, 0])
    rows = g.qk(s, shape=(4, 4))
    # q(K) = ceil((s_0/s_{K-1})^2): 1, 4, 16, 64.
    assert [r["q"] for r in rows] == [1, 4, 16, 64]
    assert [r["K"] for r in rows] == [1, 2, 3, 4]


def test_grids_and_designs():
    np.testing.assert_array_equal(g.grid(5), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(g.grid(4, "midpoint"), [0.125, 0.375, 0.625, 0.875])
    d = g.Design("relu", sigma=2.0, x=[0.0, 0.5, 1.0], b=[0.25, 0.75])
    np.testing.assert_array_equal(
        d.matrix(), np.maximum(2.0 * (np.array([[0.0], [0.5], [1.0]]) - [0.25, 0.75]), 0)
    )
    assert g.Design("tanh", x=8, b=16).sigma == 16.0  # sigma = M by default
    np.testing.assert_array_equal(d.matrix_at([0.5]), d.matrix()[1:2])
