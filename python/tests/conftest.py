"""Shared fixtures: seeded user matrices and the numpy reference of GD."""

import os
import tempfile

import numpy as np
import pytest

# Mesa warns without a private runtime directory (lavapipe in CI).
if not os.environ.get("XDG_RUNTIME_DIR"):
    _xdg = tempfile.mkdtemp(prefix="xdg-")
    os.chmod(_xdg, 0o700)
    os.environ["XDG_RUNTIME_DIR"] = _xdg


def numpy_gd(A, y, alpha, qs):
    """Iterated w <- w + alpha A^T (y - A w) from w = 0 in float64; f = A w at each q."""
    A = np.asarray(A, dtype=np.float64)
    w = np.zeros(A.shape[1])
    out, q = [], 0
    for target in qs:
        while q < target:
            w = w + alpha * (A.T @ (y - A @ w))
            q += 1
        out.append(A @ w)
    return np.array(out)


@pytest.fixture
def features():
    """A seeded 48 x 80 feature matrix (float32 values, decaying spectrum) and a target."""
    rng = np.random.default_rng(11)
    n, m = 48, 80
    ramp = np.sqrt(np.outer(np.arange(1, n + 1), np.arange(1, m + 1)) / (n * m))
    A = (rng.uniform(-1, 1, (n, m)) + 2 * ramp).astype(np.float32).astype(np.float64)
    y = np.sin(np.linspace(0, 6, n)).astype(np.float32).astype(np.float64)
    return A, y
