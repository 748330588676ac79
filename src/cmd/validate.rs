//! `gdshrink validate` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {}

/// Runs the command.
pub fn run(_args: &ValidateArgs) -> Result<()> {
    anyhow::bail!("'gdshrink validate' is not implemented yet")
}
