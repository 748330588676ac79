//! `gdshrink compare` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {}

/// Runs the command.
pub fn run(_args: &CompareArgs) -> Result<()> {
    anyhow::bail!("'gdshrink compare' is not implemented yet")
}
