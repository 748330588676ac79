//! `gdshrink::studies::reproduce`: the paper's experiments at smoke-test sizes
//! through the library (the command and its files are in `cli/reproduce.rs`),
//! and the protocols against golden data.

mod claims;
mod golden;
mod route;
