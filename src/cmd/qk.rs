//! `gdshrink qk` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink qk`.
#[derive(Args, Debug)]
pub struct QkArgs {}

/// Runs the command.
pub fn run(_args: &QkArgs) -> Result<()> {
    anyhow::bail!("'gdshrink qk' is not implemented yet")
}
