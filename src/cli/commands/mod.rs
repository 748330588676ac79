//! One module per command: flags (clap) in, library calls, output out.

pub mod compare;
pub mod design_activation;
pub mod devices;
pub mod gd;
pub mod merge;
pub mod penalty;
pub mod qk;
pub mod reproduce;
pub mod shrink;
pub mod spectrum;
pub mod sweep;
pub mod validate;
