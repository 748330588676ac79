//! `gdshrink::model`: activations (built-in and tabulated), grids, designs and signals.

mod errors;
mod eval_slice;
mod golden;
mod props;
mod table;
