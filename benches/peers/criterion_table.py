#!/usr/bin/env python3
"""Summarises the last `cargo bench --bench cpu` run from target/criterion.

For every benchmark: median of the per-iteration times of the samples, the
median absolute deviation (MAD), the min and max sample, and criterion's
throughput when the bench declares one. Usage (from the repository root):

  python3 benches/peers/criterion_table.py [target/criterion]
"""

import json
import os
import statistics
import sys


def fmt(t):
    if t >= 1.0:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} us"


def main(root):
    rows = []
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "sample.json" not in files:
            continue
        with open(os.path.join(dirpath, "sample.json")) as fh:
            sample = json.load(fh)
        with open(os.path.join(dirpath, "benchmark.json")) as fh:
            bench = json.load(fh)
        per_iter = [t / n * 1e-9 for t, n in zip(sample["times"], sample["iters"])]
        med = statistics.median(per_iter)
        mad = statistics.median([abs(t - med) for t in per_iter])
        thr = bench.get("throughput") or {}
        extra = ""
        if "Elements" in thr:
            extra = f"  {thr['Elements'] / med / 1e9:.3f} G/s"
        rows.append((bench["full_id"], med, mad, min(per_iter), max(per_iter), len(per_iter), extra))
    for fid, med, mad, lo, hi, n, extra in sorted(rows):
        print(
            f"{fid:28s} median {fmt(med):>10s}  MAD {fmt(mad):>10s}  "
            f"min {fmt(lo):>10s}  max {fmt(hi):>10s}  ({n} samples){extra}"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
