#!/usr/bin/env python3
"""Top-K singular values and vectors at large N = M: gdshrink against its peers.

Matrix: A_ij = eta(sigma (x_i - b_j)), x = linspace(0, 1, N), b = linspace(0, 1, M),
sigma = M (gdshrink's default), eta = tanh or relu. K = 100 by default.

  gdshrink   target/release/gdshrink spectrum -a ACT -n N -m N --k K --method topk --json
             (the route `auto` also takes at these sizes: randomized block Krylov; A is
             built once up to 512 MiB and streamed in blocks, never stored,
             above; U, s and V of the K leading components are computed, the
             CLI prints the values and the residuals)
  svds       scipy.sparse.linalg.svds(A, k=K) (ARPACK, tol = 0: machine
             precision), on the dense A built with numpy
  rsvd       sklearn.utils.extmath.randomized_svd(A, K, n_oversamples=10,
             n_iter='auto' (7 here), random_state=0), on the same dense A

Each run is its own process under /usr/bin/time -v (wall time and peak
resident memory of the whole process, A's construction included); the peers
also report the time of the build and of the solver alone. For every result
the largest residual max_k |A^T u_k - s_k v_k| / s_0 is computed (gdshrink
reports its own; the peers' are computed here with the dense A), and the
values are compared with gdshrink's: max_k |s_k - s_k(gdshrink)| / s_0.
The 1-minute load average is read before and after each run (the machine is
shared).

Usage (from the repository root, after `cargo build --release`):
  python3 benches/peers/topk.py                       # N in {5000, 20000}, tanh and relu
  python3 benches/peers/topk.py --sizes 5000 --acts tanh --tools gdshrink,rsvd
  python3 benches/peers/topk.py --timeout 600 --out benches/results/topk.json

Writes the JSON (machine, commit, date, one record per run) to --out and
prints a Markdown table.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def build(act, n):
    import numpy as np

    x = np.linspace(0.0, 1.0, n)
    b = np.linspace(0.0, 1.0, n)
    a = x[:, None] - b[None, :]
    a *= float(n)
    if act == "tanh":
        np.tanh(a, out=a)
    elif act == "relu":
        np.maximum(a, 0.0, out=a)
    else:
        raise SystemExit(f"unknown activation {act}")
    return a


def worker(tool, act, n, k):
    """One peer run: prints a JSON line with its timings, values and residual."""
    import numpy as np

    t0 = time.perf_counter()
    a = build(act, n)
    t1 = time.perf_counter()
    if tool == "svds":
        from scipy.sparse.linalg import svds

        u, s, vt = svds(a, k=k)
        order = np.argsort(s)[::-1]
        u, s, vt = u[:, order], s[order], vt[order, :]
    elif tool == "rsvd":
        from sklearn.utils.extmath import randomized_svd

        u, s, vt = randomized_svd(a, k, n_oversamples=10, n_iter="auto", random_state=0)
    else:
        raise SystemExit(f"unknown tool {tool}")
    t2 = time.perf_counter()
    left = a.T @ u - vt.T * s
    right = a @ vt.T - u * s
    res = max(np.linalg.norm(left, axis=0).max(), np.linalg.norm(right, axis=0).max()) / s[0]
    print(
        json.dumps(
            {
                "build_s": t1 - t0,
                "solve_s": t2 - t1,
                "max_residual": float(res),
                "s": [float(v) for v in s],
            }
        )
    )


def timed(cmd, timeout):
    """Runs cmd under /usr/bin/time -v; returns (stdout, wall s, peak RSS MiB, rc)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            ["/usr/bin/time", "-v"] + cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t0, None, "timeout"
    wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024.0 if m else None
    return p.stdout, wall, rss, p.returncode


def run_one(tool, act, n, k, timeout):
    load_before = os.getloadavg()[0]
    if tool == "gdshrink":
        exe = os.path.join(ROOT, "target", "release", "gdshrink")
        cmd = [exe, "spectrum", "-a", act, "-n", str(n), "-m", str(n), "--k", str(k), "--method", "topk", "--json"]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", tool, act, str(n), str(k)]
    out, wall, rss, rc = timed(cmd, timeout)
    rec = {
        "tool": tool,
        "activation": act,
        "sigma": float(n),
        "n": n,
        "m": n,
        "k": k,
        "wall_s": round(wall, 2),
        "peak_rss_mib": None if rss is None else round(rss, 1),
        "load_avg_1min_before": load_before,
        "load_avg_1min_after": os.getloadavg()[0],
        "status": "ok" if rc == 0 else str(rc),
    }
    if rc != 0 or out is None:
        return rec, None
    j = json.loads(out.strip().splitlines()[-1])
    if tool == "gdshrink":
        s = j["singular_values"]
        rec.update(
            {
                "route": j["method"],
                "engine": j["engine"],
                "max_residual": j["topk"]["max_residual"],
                "converged": j["topk"]["converged"],
                "steps": j["topk"]["steps"],
                "passes": j["topk"]["passes"],
                "block": j["topk"]["block"],
            }
        )
    else:
        s = j["s"]
        rec.update(
            {
                "build_s": round(j["build_s"], 2),
                "solve_s": round(j["solve_s"], 2),
                "max_residual": j["max_residual"],
            }
        )
    return rec, s


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1024.0 / 1024.0
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "scipy", "sklearn"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": None if mem is None else round(mem, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        **versions,
    }


def commit():
    try:
        c = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        d = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=ROOT)
        return c.stdout.strip() + ("-dirty" if d.stdout.strip() else "")
    except OSError:
        return None


def table(records):
    lines = [
        "| N = M | η | tool | wall (s) | peak RSS (MiB) | max residual / s_0 | max \\|Δs\\|/s_0 vs gdshrink | load avg (before/after) | × gdshrink wall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            "| {n} | {act} | {tool} | {wall} | {rss} | {res} | {ds} | {lb:.1f}/{la:.1f} | {ratio} |".format(
                n=r["n"],
                act=r["activation"],
                tool=r["tool"] + (f" ({r['route']})" if "route" in r else ""),
                wall=r["wall_s"] if r["status"] == "ok" else f"{r['status']} ({r['wall_s']})",
                rss=r["peak_rss_mib"],
                res="" if r.get("max_residual") is None else f"{r['max_residual']:.1e}",
                ds="" if r.get("max_ds_vs_gdshrink") is None else f"{r['max_ds_vs_gdshrink']:.1e}",
                lb=r["load_avg_1min_before"],
                la=r["load_avg_1min_after"],
                ratio="" if r.get("wall_ratio_to_gdshrink") is None else f"{r['wall_ratio_to_gdshrink']:.2f}",
            )
        )
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000,20000")
    ap.add_argument("--acts", default="tanh,relu")
    ap.add_argument("--tools", default="gdshrink,rsvd,svds")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    records = []
    for n in [int(v) for v in args.sizes.split(",")]:
        for act in args.acts.split(","):
            ref = None
            for tool in args.tools.split(","):
                rec, s = run_one(tool, act, n, args.k, args.timeout)
                if tool == "gdshrink":
                    ref = (s, rec)
                elif s is not None and ref is not None and ref[0] is not None:
                    s0 = ref[0][0]
                    rec["max_ds_vs_gdshrink"] = max(abs(a - b) for a, b in zip(s, ref[0])) / s0
                if ref is not None and rec["status"] == "ok" and tool != "gdshrink":
                    rec["wall_ratio_to_gdshrink"] = rec["wall_s"] / ref[1]["wall_s"]
                records.append(rec)
                print(json.dumps(rec), flush=True)
    doc = {
        "benchmark": "top-K singular values and vectors (benches/peers/topk.py)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "k": args.k,
        "records": records,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    print(table(records))


if __name__ == "__main__":
    main()
