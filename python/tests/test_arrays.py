"""numpy in: float64 C/Fortran arrays are read in place, float32 and strided
arrays are copied once; every layout gives the same numbers."""

import numpy as np

import gdshrink as g


def test_which_layouts_are_borrowed(features):
    A, _ = features
    assert g.is_borrowed(A)  # float64, C order
    assert g.is_borrowed(np.asfortranarray(A))  # float64, Fortran order
    assert g.is_borrowed(A.T)  # a transpose is Fortran-contiguous
    assert not g.is_borrowed(A.astype(np.float32))  # widened to f64
    assert not g.is_borrowed(A[:, ::2])  # strided: copied


def test_every_layout_gives_the_same_results(features):
    A, y = features
    ref = g.gd(A, y, qs=[30], alpha="auto")["f"]
    for B in [np.asfortranarray(A), A.astype(np.float32), np.ascontiguousarray(A.T).T]:
        # float32 holds A's values exactly (the fixture's values are f32), so
        # results agree to the last bit up to faer's order of summation.
        np.testing.assert_allclose(g.gd(B, y, qs=[30], alpha="auto")["f"], ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(g.spectrum(np.asfortranarray(A)), g.spectrum(A), rtol=1e-13)
    # A strided view is the matrix it shows.
    np.testing.assert_allclose(g.spectrum(A[:, ::2]), np.linalg.svd(A[:, ::2], compute_uv=False), rtol=1e-11)


def test_input_is_not_modified_and_outputs_are_plain_arrays(features):
    A, y = features
    before = A.copy()
    out = g.shrink(A, y, qs=[10])
    np.testing.assert_array_equal(A, before)
    assert type(out["f"]) is np.ndarray and out["f"].dtype == np.float64 and out["f"].flags.c_contiguous
