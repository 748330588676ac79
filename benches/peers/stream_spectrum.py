#!/usr/bin/env python3
"""The streamed spectrum (`gdshrink spectrum --method tsqr`, A never stored)
beside numpy and scipy on the same wide designs, in one run.

Design: A_ij = act(sigma (x_i - b_j)), x_i = i/(N-1), b_j = j/(M-1), sigma = 64,
N = 256, M in {1e5, 1e6}.

  gdshrink tsqr   `gdshrink spectrum -n N -m M --sigma 64 --method tsqr --json`
                  (streamed tall-skinny QR over column blocks generated on the fly)
  gdshrink gram   the same with `--method stream-gram` (streamed Gram, values
                  below ~1.5e-8 s_0 are noise)
  numpy gram      G = sum over column blocks of B @ B.T (blocks of 32768 columns,
                  A evaluated blockwise by numpy's vectorised functions), then
                  sqrt(eigvalsh(G)): the same memory class as the streamed routes
  scipy svd       A stored whole, scipy.linalg.svd(A, compute_uv=False)
                  (LAPACK gesdd): the dense reference, 8·N·M bytes for A alone

Each case runs in its own process under /usr/bin/time (wall time of the whole
process, and its peak resident memory). The Python peers also report the time
of the computation alone (after imports). Accuracy: the largest relative
difference of the streamed values from the scipy values over s_k >= 1e-6 s_0.

Usage:
  python benches/peers/stream_spectrum.py [--out benches/results/FILE.json] [--m 100000,1000000]
        [--activations tanh,relu,...]   (default: every built-in for gdshrink,
                                         tanh, relu, gaussian for the peers)
        [--no-peers]                    (gdshrink's tsqr route only)
Needs numpy and scipy, and the release binary (cargo build --release).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

N = 256
SIGMA = 64.0
BLOCK = 32768
ALL = ["heaviside", "tanh", "relu", "relu2", "gelu", "silu", "sinc", "gaussian",
       "softplus", "sigmoid", "cauchy", "wavepacket"]
PEER_ACTS = ["tanh", "relu", "gaussian"]
BIN = os.path.join(os.path.dirname(__file__), "..", "..", "target", "release", "gdshrink")


def act(name, z):
    import numpy as np
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "gaussian":
        return np.exp(-np.pi * z * z)
    raise SystemExit(f"no numpy form for {name}")


def one(kind, name, m):
    """Runs one Python peer case in this process; prints a JSON line."""
    import numpy as np
    t0 = time.perf_counter()
    x = np.linspace(0.0, 1.0, N)
    b = np.linspace(0.0, 1.0, m)
    if kind == "numpy-gram":
        g = np.zeros((N, N))
        for j in range(0, m, BLOCK):
            blk = act(name, SIGMA * (x[:, None] - b[None, j:j + BLOCK]))
            g += blk @ blk.T
        s = np.sqrt(np.clip(np.linalg.eigvalsh(g)[::-1], 0.0, None))
    elif kind == "scipy-svd":
        import scipy.linalg
        a = act(name, SIGMA * (x[:, None] - b[None, :]))
        s = scipy.linalg.svd(a, compute_uv=False, check_finite=False, overwrite_a=True)
    else:
        raise SystemExit(kind)
    print(json.dumps({"seconds": time.perf_counter() - t0, "s": s.tolist()}))


def timed(cmd):
    """Wall seconds, peak RSS (KiB) and stdout of a command under /usr/bin/time."""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
    wall, rss = p.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss), p.stdout


def max_rel(s, ref):
    top = ref[0]
    pairs = [(a, r) for a, r in zip(s, ref) if r >= 1e-6 * top]
    return max(abs(a - r) / r for a, r in pairs)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--m", default="100000,1000000")
    ap.add_argument("--activations", default=",".join(ALL))
    ap.add_argument("--no-peers", action="store_true", help="gdshrink only (its tsqr route)")
    args = ap.parse_args()
    ms = [int(v) for v in args.m.split(",")]
    acts = args.activations.split(",")
    rows = []
    for m in ms:
        for a in acts:
            ref = None
            peers = {}
            if a in PEER_ACTS and not args.no_peers:
                for kind in ["scipy-svd", "numpy-gram"]:
                    wall, rss, out = timed([sys.executable, __file__, "--one", kind, a, str(m)])
                    r = json.loads(out)
                    peers[kind] = (wall, rss, r["seconds"], r["s"])
                ref = peers["scipy-svd"][3]
            for method in ["tsqr"] if args.no_peers else ["tsqr", "stream-gram"]:
                wall, rss, out = timed([BIN, "spectrum", "-a", a, "-n", str(N), "-m", str(m),
                                        "--sigma", str(SIGMA), "--method", method, "--json"])
                s = json.loads(out)["singular_values"]
                row = {"tool": f"gdshrink {method}", "activation": a, "n": N, "m": m,
                       "wall_s": wall, "peak_rss_mib": rss / 1024}
                if ref is not None:
                    row["max_rel_vs_scipy"] = max_rel(s, ref)
                rows.append(row)
                print(json.dumps(row), flush=True)
            for kind, (wall, rss, secs, s) in peers.items():
                row = {"tool": kind, "activation": a, "n": N, "m": m, "wall_s": wall,
                       "compute_s": secs, "peak_rss_mib": rss / 1024}
                if kind != "scipy-svd":
                    row["max_rel_vs_scipy"] = max_rel(s, ref)
                rows.append(row)
                print(json.dumps(row), flush=True)
    import numpy
    import scipy
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "numpy": numpy.__version__, "scipy": scipy.__version__,
        "sigma": SIGMA, "block_columns_numpy": BLOCK,
    }
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
        os.replace(tmp, args.out)
    print("\n| activation | M | tool | wall (s) | peak RSS (MiB) | max rel. diff vs scipy |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        d = r.get("max_rel_vs_scipy")
        print(f"| {r['activation']} | {r['m']:.0e} | {r['tool']} | {r['wall_s']:.2f} | {r['peak_rss_mib']:.0f} | {'' if d is None else f'{d:.1e}'} |")


if __name__ == "__main__":
    main()
