//! The integration tests of gdshrink: one test crate whose modules mirror
//! `src/`, so that the tests of a module sit where its code sits.
//!
//! * [`common`] — helpers shared by every module: golden data (`tests/data/`,
//!   loaded relative to the manifest), the f64 tolerance formulas, seeded
//!   randomness; `common::gpu` — the one GPU context of the crate and the
//!   agreement check of a GPU trajectory with the CPU; `common::cli` — running
//!   the binary and reading back its files.
//! * [`model`], [`spectral`], [`gd`], [`precision`] — the library's layers:
//!   SPEC facts, typed errors for bad input, and each module against the
//!   golden data of an independent numpy/LAPACK implementation
//!   (`*golden.rs`, next to the module they check).
//! * `gpu` — the wgpu engine on the adapter (lavapipe in CI), each kernel and
//!   strategy against its CPU twin. A missing adapter fails these tests with
//!   a clear message; they never skip.
//! * [`studies`] — `validate` and `reproduce` through the library.
//! * `cli` — the `gdshrink` binary, one file per command plus bad input and
//!   the documented commands.
//! * [`examples`] — the README's library example is `examples/library.rs`
//!   verbatim, and it runs.
//!
//! Run everything with `cargo test`, this crate alone with `cargo test --test it`,
//! one area with a filter, e.g. `cargo test --test it gpu::`.

mod common;

#[cfg(feature = "cli")]
mod cli;
mod examples;
mod gd;
#[cfg(feature = "gpu")]
mod gpu;
mod model;
mod precision;
mod spectral;
mod studies;
