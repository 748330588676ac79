#!/bin/bash
# The example sweep as a SLURM job array of 4 shards, all writing into one
# folder on the shared file system (each process its own journal: no locks).
#   sbatch examples/sweep-slurm.sh
# --signal=USR1@120 asks SLURM to send SIGUSR1 two minutes before the time
# limit: gdshrink finishes the current group, commits, and exits with status
# 75; --requeue then runs the shard again, which skips what it committed.
#SBATCH --job-name=gdshrink-sweep
#SBATCH --array=0-3
#SBATCH --time=00:30:00
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
#SBATCH --output=sweep-%A_%a.log
set -euo pipefail
OUT=${OUT:-runs/example}
# --shard auto reads SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT.
# `exec` makes gdshrink the batch step's main process, so it receives the signal.
exec gdshrink sweep examples/sweep.toml --shard auto --out "$OUT" --progress-interval 30
# Once every task is done (e.g. sbatch --dependency=afterok:<jobid>):
#   gdshrink merge runs/example
