"""Per-call overhead of the Python module: wall time of a call from Python
against the time the same library calls take in Rust (the `seconds` that
`gd` reports, measured inside the library around s_max and the engine run).

    python examples/python/overhead.py

The difference is what the binding adds: argument checks, reading the numpy
array (borrowed for float64 C/Fortran), releasing the GIL, progress and signal
checks, and building the result arrays. Best of `REPEATS` calls.
"""

import time

import numpy as np

import gdshrink as g

REPEATS = 7


def best(f):
    out = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        r = f()
        out.append((time.perf_counter() - t, r))
    return min(out, key=lambda p: p[0])


def main():
    rng = np.random.default_rng(0)
    print(f"{'case':<34} {'python s':>10} {'rust s':>10} {'overhead':>10}")
    for n, m, qs, device in [
        (32, 64, [1, 10], "cpu"),
        (1024, 2048, [10, 100], "cpu"),
        (32, 64, [1, 10], "gpu"),
        (1024, 2048, [10, 100], "gpu"),
    ]:
        A = rng.standard_normal((n, m)) / np.sqrt(m)
        y = rng.standard_normal(n)
        try:
            wall, r = best(lambda: g.gd(A, y, qs=qs, device=device))
        except RuntimeError as e:
            print(f"{device}: skipped ({e})")
            continue
        case = f"gd {device} A {n}x{m} q={qs[-1]}"
        print(f"{case:<34} {wall:>10.2e} {r['seconds']:>10.2e} {wall - r['seconds']:>10.2e}")


if __name__ == "__main__":
    main()
