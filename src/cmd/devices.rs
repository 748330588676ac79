//! `gdshrink devices` (to be implemented).

use anyhow::Result;
use clap::Args;

/// Flags of `gdshrink devices`.
#[derive(Args, Debug)]
pub struct DevicesArgs {}

/// Runs the command.
pub fn run(_args: &DevicesArgs) -> Result<()> {
    anyhow::bail!("'gdshrink devices' is not implemented yet")
}
