//! Declarative sweeps: one TOML file, runs that share A computed as one
//! batch, results that survive any kill, and shards on existing schedulers.
//!
//! # Output folder
//!
//! ```text
//! DIR/
//!   sweep.toml        the sweep file as given, with the overrides (comment) — written whole
//!   plan.json         the resolved plan: settings, groups, runs and their ids — written whole
//!   journal/          one append-only file per process (see [`journal`]):
//!     s1of4-node7-4711-1733159000123456789.log
//!   results.parquet   one row per (run, checkpoint) — written whole, at the end and by merge
//!   results.csv       the same rows as CSV
//!   arrays/           only with `[output] arrays` (see [`arrays`]): per group commit
//!     <group id>-<runs>.f.npy   f_q of its (run, checkpoint)s, (R·C) × N float64 — written whole
//!     <group id>-<runs>.w.npy   w_q, (R·C) × M float64 — written whole
//! ```
//!
//! Array files are written before the commit record of their group, so a
//! committed row (its `f_file`, `w_file`, `array_row`) always names a whole
//! file; files of a group killed before its commit are named by no row and
//! ignored (the same runs computed again overwrite them).
//!
//! Only the journals are appended to while a sweep runs; each has exactly one
//! writer (shard, host, pid and start time in its name), so no lock is needed
//! on NFS or Lustre. Everything else is written to a temporary name, synced,
//! renamed and the folder synced ([`crate::output::atomic`]).
//!
//! # Identity
//!
//! Runs and groups are named by [`plan::id_of`]: the first 128 bits of
//! SHA-256 of their canonical resolved parameters. Resume, skip, shard
//! membership and merge go by id. A folder keeps the settings id of its plan;
//! a plan with other settings (checkpoints, metrics, arrays) is refused there, since
//! it would change runs already committed; new runs (more axis values) are
//! computed, committed ones never again.
//!
//! # Device plan
//!
//! GPU groups are checked before launch against their memory budget
//! ([`device`]): an explicit strategy that must store more than the budget is
//! refused with both numbers; `auto` runs without A on the device when A does
//! not fit, and the host then never builds the dense A (s_max matrix-free)
//! unless the closed form or q(K) needs its SVD.
//!
//! # Recovery
//!
//! A group counts once its commit record is read back intact
//! ([`journal::read_bytes`]): a torn last record and groups without a commit
//! are ignored, so a kill loses at most the groups in flight.

pub mod arrays;
pub mod device;
pub mod file;
pub mod journal;
pub mod plan;
pub mod results;
pub mod run;
pub mod state;

pub use file::SweepSpec;
pub use plan::{Group, Plan, Settings, shard_groups};
pub use results::Row;
pub use run::{EngineSource, RunOptions, SweepProgress, SweepSummary, run_sweep};
pub use state::{FolderState, merge_folders, prepare_folder};
