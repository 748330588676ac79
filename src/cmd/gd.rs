//! `gdshrink gd` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink gd`.
#[derive(Args, Debug)]
pub struct GdArgs {}

/// Runs the command.
pub fn run(_args: &GdArgs) -> Result<()> {
    anyhow::bail!("'gdshrink gd' is not implemented yet")
}
