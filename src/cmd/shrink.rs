//! `gdshrink shrink` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink shrink`.
#[derive(Args, Debug)]
pub struct ShrinkArgs {}

/// Runs the command.
pub fn run(_args: &ShrinkArgs) -> Result<()> {
    anyhow::bail!("'gdshrink shrink' is not implemented yet")
}
