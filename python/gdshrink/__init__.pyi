"""gdshrink: full-batch gradient descent on a shallow network as a shrinkage
operator on the singular values of its design matrix (arXiv 2504.18207).

The network f(x) = sum_j w_j eta(sigma (x - b_j)) with fixed biases b_j is the
N x M design matrix

    A_ij = eta(sigma (x_i - b_j)).

Gradient descent on the loss 1/2 ||y - A w||^2 from w_0 = 0,

    w_{q+1} = w_q + alpha A^T (y - A w_q),

is, with the thin SVD A = U diag(s) V^T, the mask m(s) = 1 - (1 - alpha s^2)^q
on the singular values:

    f_q = A w_q = U diag(m(s)) U^T y,    w_q = V diag(m(s) / s) U^T y.

It is stable for alpha < 2 / s_max^2; the default is alpha = 1 / s_max^2.

Conventions. Arrays are numpy float64 out. A matrix argument may be float64
or float32, C or Fortran order: float64 C/Fortran arrays are read in place
(no copy, see `is_borrowed`); float32 and strided arrays are copied once
into float64 (f32 -> f64 -> f32 is exact, so the GPU engine still sees your
f32 values). Errors: ValueError (bad input, with the parameter, the value
and what is allowed), MemoryError (a request that does not fit in host or
GPU memory), OSError (files), RuntimeError (the SVD, the GPU device, a
diverged run), KeyboardInterrupt (Ctrl-C, checked between chunks of
iterations). Long calls release the GIL. `progress` is None (silent), True
(tqdm bars when tqdm is installed) or a callable f(stage, done, total).
"""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

ArrayLike = Union[Sequence[float], npt.NDArray[np.floating[Any]]]
Matrix = npt.NDArray[np.floating[Any]]
Mask = Dict[str, Any]
ProgressArg = Union[None, bool, Callable[[str, int, int], Any]]

class Design:
    """A network: activation eta, scale sigma, samples x_i (N), biases b_j (M).

    `x` and `b` are a number of points on `grid`/`bias_grid` ("linspace":
    i/(n-1); "midpoint": (i + 1/2)/n) or the points themselves. sigma None or
    "m" is the rule sigma = M. Activations: the names of `gdshrink spectrum
    --help` (tanh, relu, gelu, sigmoid, ..., "relu^k" splines).
    """

    def __init__(
        self,
        activation: str,
        sigma: Union[float, str, None] = None,
        x: Union[int, ArrayLike, None] = None,
        b: Union[int, ArrayLike, None] = None,
        grid: str = "linspace",
        bias_grid: str = "linspace",
    ) -> None: ...
    @property
    def activation(self) -> str: ...
    @property
    def sigma(self) -> float: ...
    @property
    def x(self) -> npt.NDArray[np.float64]:
        """Samples x_i (N)."""
    @property
    def b(self) -> npt.NDArray[np.float64]:
        """Biases b_j (M)."""
    @property
    def shape(self) -> Tuple[int, int]:
        """(N, M)."""
    def matrix(self) -> npt.NDArray[np.float64]:
        """A_ij = eta(sigma (x_i - b_j)), N x M, computed in f64."""
    def matrix_at(self, points: ArrayLike) -> npt.NDArray[np.float64]:
        """eta(sigma (p_i - b_j)) at any points p (P x M): the network f = A_p w off the samples."""

class ThinSvd:
    """A = U diag(s) V^T with r = min(N, M), s descending (faer, f64)."""

    @property
    def u(self) -> npt.NDArray[np.float64]:
        """U, N x r, orthonormal columns."""
    @property
    def s(self) -> npt.NDArray[np.float64]:
        """s, r singular values, descending."""
    @property
    def v(self) -> npt.NDArray[np.float64]:
        """V, M x r, orthonormal columns."""
    @property
    def s_max(self) -> float:
        """s_0, the largest singular value."""
    @property
    def shape(self) -> Tuple[int, int]:
        """(N, M)."""

def design(
    activation: str,
    sigma: Union[float, str, None] = None,
    x: Union[int, ArrayLike] = 64,
    b: Union[int, ArrayLike] = 128,
    grid: str = "linspace",
    bias_grid: str = "linspace",
) -> npt.NDArray[np.float64]:
    """A_ij = eta(sigma (x_i - b_j)) as an N x M float64 array (`Design(...).matrix()`)."""

def grid(n: int, kind: str = "linspace") -> npt.NDArray[np.float64]:
    """n points on [0, 1]: linspace x_i = i/(n-1) (computed by correctly rounded
    division) or midpoint x_i = (i + 1/2)/n."""

def is_borrowed(A: Matrix) -> bool:
    """True when A would be read in place: float64 and C- or Fortran-contiguous."""

def spectrum(A_or_design: Union[Design, Matrix]) -> npt.NDArray[np.float64]:
    """Singular values s_0 >= s_1 >= ... >= s_{r-1} of A, r = min(N, M)."""

def thin_svd(A_or_design: Union[Design, Matrix]) -> ThinSvd:
    """The thin SVD A = U diag(s) V^T, kept in f64 for `shrink` with many masks."""

def gd_exact(alpha: float, q: int) -> Mask:
    """Discrete GD after q steps at rate alpha: m(s) = 1 - (1 - alpha s^2)^q."""

def gd_flow(alpha: float, q: float) -> Mask:
    """Gradient flow at time t = alpha q: m(s) = 1 - exp(-alpha q s^2)."""

def ridge(lam: float) -> Mask:
    """Ridge regression with penalty lambda: m(s) = s^2 / (s^2 + lambda)."""

def pca(kappa: float) -> Mask:
    """PCA regression (hard threshold at kappa): m(s) = 1 if s >= kappa else 0."""

def mask_values(masks: Union[Mask, Sequence[Mask]], s: ArrayLike) -> npt.NDArray[np.float64]:
    """m(s) of every mask (rows) at every s (columns)."""

def shrink(
    svd_or_A: Union[ThinSvd, Design, Matrix],
    y: ArrayLike,
    masks: Optional[Sequence[Mask]] = None,
    *,
    alpha: Optional[float] = None,
    qs: Optional[Sequence[int]] = None,
) -> Dict[str, Any]:
    """The closed form for every mask (K of them) from one SVD:

        f = U diag(m(s)) U^T y,   w = V diag(m(s)/s) U^T y,   loss = 1/2 ||y - f||^2.

    `qs` adds gd_exact(alpha, q) for each q (alpha default 1/s_max^2).
    Returns f (K x N), w (K x M), m (K x r, the mask at each s_k), loss (K),
    kept (K: number of s with m(s) >= 1 - 1/e) and mask (K labels).
    """

def qk(
    s_or_A: Union[ThinSvd, Design, Matrix, ArrayLike],
    k_max: Optional[int] = None,
    shape: Optional[Sequence[int]] = None,
) -> List[Dict[str, Any]]:
    """q(K) = ceil((s_0 / s_{K-1})^2) for K = 1..k_max (Proposition 4.2): the
    steps at alpha = 1/s_max^2 after which the K-th component is fitted to
    1 - 1/e. Rows {"K", "q", "ratio_sq"}; q is None when s_{K-1} is
    numerically zero (s <= max(N, M) eps s_0). `shape` = (N, M) when
    s_or_A is a vector of singular values."""

def gd(
    A_or_design: Union[Design, Matrix],
    Y: Union[ArrayLike, Matrix],
    alpha: Union[None, float, str, Sequence[Union[float, str]]] = None,
    qs: Sequence[int] = (0, 10, 100, 1000),
    device: str = "cpu",
    strategy: str = "auto",
    *,
    record_w: bool = False,
    eval_points: Optional[ArrayLike] = None,
    adapter: Optional[str] = None,
    allow_unstable: bool = False,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """Literal batched gradient descent, every row y_b of Y a run:

        w_{q+1} = w_q + alpha_b A^T (y_b - A w_q),   w_0 = 0.

    device "cpu" is the f64 reference (faer); "gpu" the f32 wgpu engine
    (Vulkan, Metal, DX12; Kahan-compensated sums) with strategy "auto",
    "primal", "dual" (iterates in the smaller space of K = A A^T or
    G = A^T A) or "matrix-free" (a Design only: A recomputed in the kernels).
    alpha: a number, "auto" (1/s_max^2, the default), or one per run; runs
    with alpha >= 2/s_max^2 are refused unless allow_unstable.

    Returns q (C checkpoints), f (C x B x N), loss (C x B, 1/2 ||y - f||^2),
    w (C x B x M, with record_w), f_eval (C x B x P, with eval_points, a
    Design only), status (per run: "ok", "non-finite at q = ..." or
    "diverged at q = ..."), engine (a dict: label, name, device, precision,
    strategy, ...), seconds (the time spent in the library: A of a design,
    s_max, the run). With a 1-D Y the run axis is dropped.
    """

def f32_tolerance(A_or_design: Union[Design, Matrix], q: int) -> float:
    """The error model's bound on ||f_q(gpu, f32) - f_q(f64)|| / ||f_q(f64)||:
    C_F u32 nu^2 sqrt(q + 1), nu = || |A| ||_2 / ||A||_2, u32 = 2^-24 (the
    bound `gdshrink validate` and the GPU tests use)."""

def validate(
    A_or_design: Union[Design, Matrix],
    qs: Sequence[int] = (1, 10, 100, 1000),
    y: Union[None, str, ArrayLike] = None,
    alpha: Union[None, float, str] = None,
    device: str = "gpu",
    strategy: str = "auto",
    *,
    eval_points: Optional[ArrayLike] = None,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """Runs GD on `device` and holds f_q, w_q and f at the evaluation points
    against the f64 closed form U diag(1 - (1 - alpha s^2)^q) U^T y at every
    q, under the error model of the engine (a bound per checkpoint).
    A_or_design: a Design, or your own N x M matrix A (float64 or float32,
    copied once; the GPU holds it rounded to f32, and the error model measures
    that rounding); a matrix has no evaluation grid, so that check is absent
    (None in the report) and eval_points must be None. y: an array, a
    built-in signal's name (taken on x = linspace(N) for a matrix), or None
    (the default signal). Returns the report of `gdshrink validate --json` as
    a dict ("passed", "checkpoints", "failures", "model", ...)."""

def compare(
    A_or_design: Union[Design, Matrix],
    qs: Sequence[int] = (10, 100, 1000),
    y: Union[None, str, ArrayLike] = None,
    alpha: Union[None, float, str] = None,
    devices: Sequence[str] = ("cpu",),
    repeats: int = 1,
    *,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """Time to result: literal GD to each q on each device against one SVD
    plus the exact mask, for a Design or your own matrix A (as in validate);
    the report of `gdshrink compare --json` as a dict."""

def reproduce(
    out: str,
    figures: Union[None, str, Sequence[str]] = None,
    size: str = "quick",
    *,
    progress: ProgressArg = None,
) -> Dict[str, Any]:
    """The paper's figures (fig2 ... fig9, default all) into the folder `out`:
    data, PNG/SVG, report.md/html and claims.json; size "quick", "default"
    or "full". Returns claims.json as a dict."""

def devices() -> List[Dict[str, Any]]:
    """The GPU adapters wgpu sees (as `gdshrink devices --json`)."""
