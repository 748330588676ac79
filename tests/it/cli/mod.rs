//! The command-line interface, run as a user runs it: tables, `--json` keys,
//! `--out` files read back with `gdshrink::output`, agreement with the
//! library, exit codes and error messages for bad input. One file per
//! command; `errors` holds the bad input that spans commands, `docs` the help
//! texts and the test command the README documents. Commands with
//! `--device gpu` (and `devices`) need an adapter — lavapipe is enough — and
//! FAIL without one; they never skip.
//!
//! Tolerances: the CLI calls the same f64 library code as the comparisons in
//! these files, so results agree to the last few ulps; JSON adds one round
//! trip through decimal text (serde_json parses to within ~1 ulp). 1e-12
//! relative therefore has ≥ 100x margin. `gd` vs `shrink` compares two
//! different algorithms (iterated GD vs SVD + mask): measured 2e-15 relative
//! at N = 24, M = 40, q ≤ 1000; the brief's 1e-10 leaves a wide margin.

mod compare;
mod design_activation;
mod design_file;
mod devices;
mod docs;
mod durability;
mod errors;
mod gd;
mod hostile;
mod penalty;
mod qk;
mod reproduce;
mod shrink;
mod spectrum;
mod sweep;
mod validate;
