//! `gdshrink spectrum` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink spectrum`.
#[derive(Args, Debug)]
pub struct SpectrumArgs {}

/// Runs the command.
pub fn run(_args: &SpectrumArgs) -> Result<()> {
    anyhow::bail!("'gdshrink spectrum' is not implemented yet")
}
