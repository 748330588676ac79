//! `gdshrink reproduce` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink reproduce`.
#[derive(Args, Debug)]
pub struct ReproduceArgs {}

/// Runs the command.
pub fn run(_args: &ReproduceArgs) -> Result<()> {
    anyhow::bail!("'gdshrink reproduce' is not implemented yet")
}
