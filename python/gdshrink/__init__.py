"""gdshrink: gradient descent on a shallow network as a shrinkage operator.

f(x) = sum_j w_j eta(sigma (x - b_j)) with fixed biases is the N x M design
matrix A_ij = eta(sigma (x_i - b_j)); q steps of gradient descent with rate
alpha from w_0 = 0 give f_q = U diag(1 - (1 - alpha s^2)^q) U^T y.

Typed signatures and the equations of every function: ``__init__.pyi``.
Every computation runs in the Rust library (``gdshrink._native``) without
the GIL; errors are ValueError (bad input), MemoryError (too large),
OSError (files), RuntimeError (the SVD, the GPU, a diverged run) with the
library's message; Ctrl-C stops a long run between chunks (KeyboardInterrupt).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import Design, ThinSvd, devices, f32_tolerance, grid, is_borrowed, spectrum, thin_svd

__version__ = _native.__version__

__all__ = [
    "Design",
    "ThinSvd",
    "compare",
    "design",
    "devices",
    "f32_tolerance",
    "gd",
    "gd_exact",
    "gd_flow",
    "grid",
    "is_borrowed",
    "mask_values",
    "pca",
    "qk",
    "reproduce",
    "ridge",
    "shrink",
    "spectrum",
    "thin_svd",
    "validate",
]

Mask = Dict[str, Any]
ProgressArg = Union[None, bool, Callable[[str, int, int], Any]]


def design(
    activation: str,
    sigma: Union[float, str, None] = None,
    x: Union[int, Sequence[float], np.ndarray] = 64,
    b: Union[int, Sequence[float], np.ndarray] = 128,
    grid: str = "linspace",
    bias_grid: str = "linspace",
) -> np.ndarray:
    """A_ij = eta(sigma (x_i - b_j)) as an N x M float64 array."""
    return Design(activation, sigma, x, b, grid, bias_grid).matrix()


def gd_exact(alpha: float, q: int) -> Mask:
    """Discrete GD after q steps: m(s) = 1 - (1 - alpha s^2)^q."""
    return {"mask": "gd_exact", "alpha": float(alpha), "q": int(q)}


def gd_flow(alpha: float, q: float) -> Mask:
    """Gradient flow at t = alpha q: m(s) = 1 - exp(-alpha q s^2)."""
    return {"mask": "gd_flow", "alpha": float(alpha), "q": float(q)}


def ridge(lam: float) -> Mask:
    """Ridge regression: m(s) = s^2 / (s^2 + lambda)."""
    return {"mask": "ridge", "lambda": float(lam)}


def pca(kappa: float) -> Mask:
    """PCA regression (hard threshold): m(s) = [s >= kappa]."""
    return {"mask": "pca", "kappa": float(kappa)}


def _masks(
    masks: Optional[Sequence[Mask]], alpha: Optional[float], qs: Optional[Sequence[int]], s_max: Callable[[], float]
) -> List[Mask]:
    out = list(masks or [])
    if qs is not None:
        a = alpha if alpha is not None else 1.0 / s_max() ** 2
        out += [gd_exact(a, q) for q in qs]
    if not out:
        raise ValueError("invalid masks = []: give masks, or qs (gd_exact masks, alpha default 1/s_max^2)")
    return out


def mask_values(masks: Union[Mask, Sequence[Mask]], s: Union[Sequence[float], np.ndarray]) -> np.ndarray:
    """m(s) of every mask (rows) at every singular value s (columns)."""
    if isinstance(masks, dict):
        masks = [masks]
    return _native.mask_values(json.dumps(list(masks)), np.asarray(s, dtype=np.float64))


def shrink(
    svd_or_A: Union[ThinSvd, Design, np.ndarray],
    y: Union[Sequence[float], np.ndarray],
    masks: Optional[Sequence[Mask]] = None,
    *,
    alpha: Optional[float] = None,
    qs: Optional[Sequence[int]] = None,
) -> Dict[str, Any]:
    """The closed form f = U diag(m(s)) U^T y, w = V diag(m(s)/s) U^T y for every mask."""
    svd = svd_or_A if isinstance(svd_or_A, ThinSvd) else thin_svd(svd_or_A)
    ms = _masks(masks, alpha, qs, lambda: svd.s_max)
    return _native.shrink(svd, y, json.dumps(ms))


def qk(
    s_or_A: Union[ThinSvd, Design, np.ndarray, Sequence[float]],
    k_max: Optional[int] = None,
    shape: Optional[Sequence[int]] = None,
) -> List[Dict[str, Any]]:
    """q(K) = ceil((s_0 / s_{K-1})^2): steps at alpha = 1/s_max^2 until the K-th component is fitted."""
    if isinstance(s_or_A, ThinSvd):
        s, (n, m) = s_or_A.s, s_or_A.shape
    elif isinstance(s_or_A, Design) or (isinstance(s_or_A, np.ndarray) and s_or_A.ndim == 2):
        s = spectrum(s_or_A)
        n, m = s_or_A.shape
    else:
        s = np.asarray(s_or_A, dtype=np.float64)
        if shape is None:
            raise ValueError("invalid shape = None: singular values need the matrix shape (N, M) for the zero threshold")
        n, m = shape
    return _native.qk(s, int(n), int(m), k_max)


def _progress(progress: ProgressArg) -> Optional[Callable[[str, int, int], None]]:
    """None/False: silent; True: tqdm when installed; a callable: called as f(stage, done, total)."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    bars: Dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for old in bars.values():
                old.close()
            bars.clear()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="it")
        bar.n = min(done, total) if total else done
        bar.refresh()
        if total and done >= total:
            bar.close()

    return update


def gd(
    A_or_design: Union[Design, np.ndarray],
    Y: Union[Sequence[float], np.ndarray],
    alpha: Union[None, float, str, Sequence[Union[float, str]]] = None,
    qs: Sequence[int] = (0, 10, 100, 1000),
    device: str = "cpu",
    strategy: str = "auto",
    *,
    record_w: bool = False,
    eval_points: Union[None, Sequence[float], np.ndarray] = None,
    adapter: Optional[str] = None,
    allow_unstable: bool = False,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """Literal gradient descent w_{q+1} = w_q + alpha A^T (y - A w_q) from w_0 = 0, every row of Y a run."""
    return _native.gd(
        A_or_design,
        Y,
        [int(q) for q in qs],
        alpha,
        device,
        strategy,
        record_w,
        eval_points,
        adapter,
        allow_unstable,
        _progress(progress),
    )


def validate(
    A_or_design: Union[Design, np.ndarray],
    qs: Sequence[int] = (1, 10, 100, 1000),
    y: Union[None, str, Sequence[float], np.ndarray] = None,
    alpha: Union[None, float, str] = None,
    device: str = "gpu",
    strategy: str = "auto",
    *,
    eval_points: Union[None, Sequence[float], np.ndarray] = None,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """GD on `device` held against the f64 closed form at every q, under the error model."""
    return _native.validate(A_or_design, [int(q) for q in qs], y, alpha, device, strategy, eval_points, _progress(progress))


def compare(
    A_or_design: Union[Design, np.ndarray],
    qs: Sequence[int] = (10, 100, 1000),
    y: Union[None, str, Sequence[float], np.ndarray] = None,
    alpha: Union[None, float, str] = None,
    devices: Sequence[str] = ("cpu",),
    repeats: int = 1,
    *,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """Time to result: GD on each device against one SVD and the exact mask."""
    return _native.compare(A_or_design, [int(q) for q in qs], y, alpha, list(devices), int(repeats), _progress(progress))


def reproduce(
    out: str,
    figures: Union[None, str, Sequence[str]] = None,
    size: str = "quick",
    *,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """The paper's figures into `out` (data, PNG/SVG, report.md/html, claims.json); returns claims.json."""
    if figures is not None and not isinstance(figures, str):
        figures = ",".join(figures)
    return _native.reproduce(str(out), figures, size, _progress(progress))
