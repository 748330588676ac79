#!/bin/bash
# The GPU example sweep (examples/sweep-gpu.toml) on one machine with several GPUs: one shard per GPU with
# GNU parallel, then a merge. Shards go by group id, not by order, so a
# rerun of this line (after a crash or with more axis values) skips what is
# committed. {%} is parallel's slot (1..4), {} the shard number.
set -euo pipefail
OUT=${OUT:-runs/gpu}
parallel -j4 --line-buffer \
  'GDSHRINK_ADAPTER=$(({%} - 1)) gdshrink sweep examples/sweep-gpu.toml --shard {}/4 --out '"$OUT" ::: 1 2 3 4
gdshrink merge "$OUT"
