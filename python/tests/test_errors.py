"""Library errors become ValueError / MemoryError / TypeError with the library's message."""

import numpy as np
import pytest

import gdshrink as g


def test_bad_parameters_are_value_errors(features):
    A, y = features
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        g.Design("tanhh")
    with pytest.raises(ValueError, match="sigma"):
        g.Design("tanh", sigma=-1.0)
    with pytest.raises(ValueError, match="signal y.*expected length 48, got 47"):
        g.gd(A, y[:-1], qs=[1])
    with pytest.raises(ValueError, match="unstable"):
        g.gd(A, y, alpha=10.0, qs=[1])
    with pytest.raises(ValueError, match="device = 'tpu'"):
        g.gd(A, y, qs=[1], device="tpu")
    with pytest.raises(ValueError, match="strategy"):
        g.gd(A, y, qs=[1], device="gpu", strategy="diagonal")
    with pytest.raises(ValueError, match="non-finite"):
        g.gd(A, np.full(48, np.nan), qs=[1])
    with pytest.raises(ValueError, match="alpha"):
        g.shrink(A, y, [g.gd_exact(-1.0, 3)])
    with pytest.raises(ValueError, match="matrix-free"):
        g.gd(A, y, qs=[1], device="gpu", strategy="matrix-free")


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="2-D numpy array"):
        g.spectrum(np.arange(5.0))
    with pytest.raises(TypeError, match="2-D numpy array"):
        g.spectrum(np.ones((3, 3), dtype=np.int64))


def test_too_large_is_a_memory_error():
    d = g.Design("tanh", sigma=1.0, x=2_000_000, b=2_000_000)  # A: 32 TB
    with pytest.raises(MemoryError, match="needs .* of host memory"):
        d.matrix()
    with pytest.raises(MemoryError):
        g.spectrum(d)
