#!/usr/bin/env python3
"""The design build A_ij = act(sigma (x_i - b_j)) of every built-in activation:
gdshrink (`Design::matrix()`, criterion bench `design_build` in benches/cpu.rs)
beside numpy's vectorised evaluation of the same matrix, in one run.

Matrix: sigma = 30, N = M = 2048 (256 with GDSHRINK_BENCH_QUICK=1),
x_i = i/(N-1), b_j = j/(M-1).

  gdshrink   `cargo bench --bench cpu -- design_build` once per thread count
             (RAYON_NUM_THREADS=1 and =2 by default), criterion median
  numpy      z = sigma * (x[:, None] - b[None, :]) and the activation's
             vectorised numpy form (scipy.special.erfc for gelu), median over
             repeats after one warm-up call (numpy's ufuncs use one thread);
             run before and after the gdshrink runs, the ratio taken against
             the mean of the two medians
  accuracy   the max ulp distance of the slice evaluator from the scalar
             `Activation::eval` over the dense z-grid of the activation tests
             (`cargo test --release --test it -- model::eval_slice::
             eval_slice_matches_eval_over_the_dense_grid --nocapture`)

Allocation: a fresh N x M f64 matrix is 32 MiB; numpy asks the kernel for
transparent huge pages on its large arrays (madvise), while gdshrink (no
unsafe code) gets 4 KiB pages from the allocator, and glibc returns blocks of
32 MiB and more to the kernel on free, so every build first-touches 8192 fresh
pages. `--reuse` adds runs of gdshrink with
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296,
under which the allocator keeps and reuses the block (as in a process that
builds many designs): the cost of the evaluation without the page faults.

Usage:
  python benches/peers/design_build.py [--out benches/results/FILE.json]
        [--threads 1,2] [--repeats 15] [--no-cargo] [--reuse] [--ulp-log FILE]
Prints a table (times in ms, ratio = gdshrink / numpy) and the load average
before and after each phase; writes the same as JSON with --out.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy.special

SIGMA = 30.0
ALL = ["heaviside", "tanh", "relu", "relu2", "gelu", "silu", "sinc", "gaussian",
       "softplus", "sigmoid", "cauchy", "wavepacket"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def quick():
    return os.environ.get("GDSHRINK_BENCH_QUICK", "") not in ("", "0")


def size():
    return 256 if quick() else 2048


def act(name, z):
    """numpy's vectorised form of each activation (the formulas of SPEC §2)."""
    if name == "heaviside":
        return (z > 0).astype(np.float64)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "relu2":
        r = np.maximum(z, 0.0)
        return r * r
    if name == "gelu":
        return z * 0.5 * scipy.special.erfc(-z / np.sqrt(2.0))
    if name == "silu":
        return z / (1.0 + np.exp(-z))
    if name == "sinc":
        return np.sinc(z)
    if name == "gaussian":
        return np.exp(-np.pi * z * z)
    if name == "softplus":
        return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "cauchy":
        return 1.0 / (1.0 + z * z)
    if name == "wavepacket":
        return np.exp(-0.25 * np.pi * z * z) * np.cos(2.0 * np.pi * z)
    raise SystemExit(f"no numpy form for {name}")


def numpy_times(n, repeats):
    x = np.arange(n) / (n - 1)
    out = {}
    for name in ALL:
        def build():
            return act(name, SIGMA * (x[:, None] - x[None, :]))
        build()
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            build()
            ts.append(time.perf_counter() - t0)
        out[name] = {"median_ms": 1e3 * statistics.median(ts), "min_ms": 1e3 * min(ts),
                     "max_ms": 1e3 * max(ts)}
    return out


REUSE = ("glibc.malloc.mmap_threshold=4294967296:"
         "glibc.malloc.trim_threshold=4294967296")


def cargo_times(n, threads, reuse=False):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    base = f"threads{threads}"
    if reuse:
        env["GLIBC_TUNABLES"] = REUSE
        base += "-reuse"
    subprocess.run(["cargo", "bench", "--bench", "cpu", "--", "design_build",
                    "--save-baseline", base], cwd=ROOT, env=env, check=True,
                   stdout=sys.stderr)
    out = {}
    for name in ALL:
        path = os.path.join(ROOT, "target", "criterion", "design_build", name, str(n), base,
                            "estimates.json")
        with open(path) as f:
            est = json.load(f)
        out[name] = {"median_ms": est["median"]["point_estimate"] / 1e6,
                     "mad_ms": est["median_abs_dev"]["point_estimate"] / 1e6}
    return out


def ulp_errors(log=None):
    """Max ulp per activation from the dense-grid test (run here, or its saved output)."""
    if log:
        with open(log) as f:
            text = f.read()
    else:
        text = subprocess.run(["cargo", "test", "--release", "--test", "it", "--",
                               "model::eval_slice::eval_slice_matches_eval_over_the_dense_grid",
                               "--nocapture"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stderr
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\w+): max ([0-9.]+) ulp", line)
        if m and m.group(1) in ALL:
            out[m.group(1)] = float(m.group(2))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--no-cargo", action="store_true")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--ulp-log", help="saved --nocapture output of the dense-grid test")
    a = ap.parse_args()
    n = size()
    loads = {"start": os.getloadavg()}
    ulp = ulp_errors(a.ulp_log) if (a.ulp_log or not a.no_cargo) else {}
    # numpy before and after gdshrink, so that both see the same load.
    np_before = numpy_times(n, a.repeats)
    loads["after_numpy_before"] = os.getloadavg()
    gd = {}
    if not a.no_cargo:
        for t in [int(v) for v in a.threads.split(",")]:
            gd[f"{t}t"] = cargo_times(n, t)
            loads[f"after_gdshrink_{t}t"] = os.getloadavg()
            if a.reuse:
                gd[f"{t}t-reuse"] = cargo_times(n, t, reuse=True)
                loads[f"after_gdshrink_{t}t-reuse"] = os.getloadavg()
    np_after = numpy_times(n, a.repeats)
    loads["after_numpy_after"] = os.getloadavg()
    # The reference: the mean of the two numpy medians.
    np_t = {k: {"median_ms": 0.5 * (np_before[k]["median_ms"] + np_after[k]["median_ms"]),
                "before": np_before[k], "after": np_after[k]} for k in ALL}
    threads = list(gd)
    head = f"{'activation':>10}" + "".join(f" {f'gds {t}':>12}" for t in threads) \
        + f" {'numpy':>9}" + "".join(f" {f'ratio {t}':>12}" for t in threads) + f" {'ulp':>5}"
    print(f"N = M = {n}, sigma = {SIGMA}, times in ms (medians); ratio = gdshrink / numpy;"
          " 1t/2t = RAYON_NUM_THREADS, -reuse = allocator keeps the block")
    print(head)
    rows = []
    for name in ALL:
        npm = np_t[name]["median_ms"]
        row = {"activation": name, "n": n, "m": n, "numpy_ms": np_t[name],
               "ulp_max": ulp.get(name)}
        line = f"{name:>10}"
        for t in threads:
            g = gd[t][name]["median_ms"]
            row[f"gdshrink_{t}_ms"] = gd[t][name]
            row[f"ratio_{t}"] = g / npm
            line += f" {g:>12.2f}"
        line += f" {npm:>9.2f}"
        for t in threads:
            line += f" {gd[t][name]['median_ms'] / npm:>12.2f}"
        line += f" {ulp.get(name, float('nan')):>5.2f}"
        print(line)
        rows.append(row)
    print("load average (1, 5, 15 min):", json.dumps(loads))
    if a.out:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
        meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "commit": commit, "machine": platform.machine(), "cpus": os.cpu_count(),
                "numpy": np.__version__, "scipy": scipy.__version__, "sigma": SIGMA,
                "load_average": loads, "numpy_repeats": a.repeats}
        with open(a.out, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
