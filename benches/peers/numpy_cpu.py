#!/usr/bin/env python3
"""numpy/LAPACK peer of `benches/cpu.rs`: the same operations on the same matrix.

Matrix: tanh(sigma (x_i - b_j)), sigma = 30, N = M, x_i = i/(N-1), b_j = j/(M-1).

  design    A = tanh(sigma * (x[:, None] - b[None, :]))
  values    np.linalg.svd(A, compute_uv=False)            (LAPACK gesdd, values only)
  thin      np.linalg.svd(A, full_matrices=False)         (LAPACK gesdd, thin U, s, Vt)
  gram      sqrt(eigvalsh(A @ A.T)) (reversed, clamped)  (the smaller Gram matrix)
  shrink    100 gd_exact masks from an existing SVD: c = U.T y, then two matmuls
            U @ (m * c) and V @ (m / s * c), plus the losses

Usage:
  python3 benches/peers/numpy_cpu.py                 # N = M in {1024, 2048}
  GDSHRINK_BENCH_QUICK=1 python3 benches/peers/numpy_cpu.py   # N = M = 256
  OPENBLAS_NUM_THREADS=1 python3 benches/peers/numpy_cpu.py   # single-threaded BLAS
  python3 benches/peers/numpy_cpu.py 1024                      # chosen sizes only

Prints one row per (operation, N): median, min, max and the MAD over the repeats,
plus the BLAS library and its thread count. Timing: time.perf_counter around one
call; every call is preceded by one untimed warm-up call of the same operation.
"""

import ctypes
import glob
import os
import platform
import statistics
import sys
import time

import numpy as np

SIGMA = 30.0
NQ = 100


def quick():
    v = os.environ.get("GDSHRINK_BENCH_QUICK", "")
    return v not in ("", "0")


def blas_threads():
    """OpenBLAS thread count as the library reports it (None if not found)."""
    libs = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*.so*")):
        lib = ctypes.CDLL(path)
        for sym in (
            "scipy_openblas_get_num_threads64_",
            "openblas_get_num_threads64_",
            "openblas_get_num_threads",
        ):
            if hasattr(lib, sym):
                return int(getattr(lib, sym)()), os.path.basename(path)
    return None, "unknown"


def design(n):
    x = np.arange(n) / (n - 1)
    return np.tanh(SIGMA * (x[:, None] - x[None, :]))


def heavisine(x):
    y = 4 * np.sin(4 * np.pi * x) - np.sign(x - 0.3) - np.sign(0.72 - x)
    return (y - y.min()) / (y.max() - y.min())


def gd_exact(s, alpha, q):
    # 1 - (1 - alpha s^2)^q in the monotone regime (alpha = 1/s_max^2 here;
    # alpha s_0^2 = 1 gives log1p(-1) = -inf and the correct mask value 1).
    with np.errstate(divide="ignore"):
        return -np.expm1(q[:, None] * np.log1p(-alpha * s[None, :] ** 2))


def shrink(u, s, v, y, alpha, qs):
    c = u.T @ y
    m = gd_exact(s, alpha, qs)  # Q x r
    f = u @ (m * c).T  # N x Q
    w = v @ (m / s * c).T  # M x Q
    loss = 0.5 * ((y[:, None] - f) ** 2).sum(axis=0)
    return f, w, loss


def timeit(fn, repeats):
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def fmt(t):
    if t >= 1.0:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} us"


def main():
    if len(sys.argv) > 1:
        try:
            sizes = [int(a) for a in sys.argv[1:]]
        except ValueError:
            print(
                "usage: numpy_cpu.py [N ...]   (square sizes N = M, positive integers; "
                f"got {' '.join(sys.argv[1:])!r})",
                file=sys.stderr,
            )
            sys.exit(2)
        if any(n < 2 for n in sizes):
            print(f"numpy_cpu.py: sizes must be at least 2, got {sizes}", file=sys.stderr)
            sys.exit(2)
    else:
        sizes = [256] if quick() else [1024, 2048]
    nthreads, libname = blas_threads()
    print(f"# numpy {np.__version__}, python {platform.python_version()}, BLAS {libname}")
    print(
        f"# BLAS threads: {nthreads} (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}), "
        f"cpu_count={os.cpu_count()}"
    )
    qs = np.round(10.0 ** (4.0 * np.arange(NQ) / (NQ - 1)))
    rows = []
    for n in sizes:
        rep_heavy = 3 if quick() else (10 if n <= 1024 else 5)
        rep_light = 10 if quick() else 30
        a = design(n)
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        v = vt.T
        y = heavisine(np.arange(n) / (n - 1))
        alpha = 1.0 / s[0] ** 2
        ops = [
            ("design/tanh", lambda: design(n), rep_light),
            ("svd/values", lambda: np.linalg.svd(a, compute_uv=False), rep_heavy),
            ("svd/thin", lambda: np.linalg.svd(a, full_matrices=False), rep_heavy),
            (
                "svd/gram",
                lambda: np.sqrt(np.clip(np.linalg.eigvalsh(a @ a.T)[::-1], 0, None)),
                rep_heavy,
            ),
            ("shrink_100q/gd_exact", lambda: shrink(u, s, v, y, alpha, qs), rep_light),
        ]
        for name, fn, reps in ops:
            ts = timeit(fn, reps)
            med = statistics.median(ts)
            mad = statistics.median([abs(t - med) for t in ts])
            rows.append((name, n, med, min(ts), max(ts), mad, reps))
            print(
                f"{name:24s} N={n:5d}  median {fmt(med):>10s}  min {fmt(min(ts)):>10s}  "
                f"max {fmt(max(ts)):>10s}  MAD {fmt(mad):>10s}  ({reps} runs)",
                flush=True,
            )
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
