//! `gdshrink::model`: activations, grids, designs and signals.

mod errors;
mod golden;
mod props;
