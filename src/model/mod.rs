//! The network: $f(x) = \sum_j w_j\, \eta(\sigma (x - b_j))$ with fixed biases.
//!
//! * [`activation`] — η, evaluated in f64 (every activation has a WGSL twin);
//! * [`grid`] — the sample and bias grids on [0, 1];
//! * [`design`] — the N×M design matrix $A_{ij} = \eta(\sigma(x_i - b_j))$,
//!   built from explicit points or a [`DesignSpec`] with named fields;
//! * [`table`] — tabulated activations (`table:FILE`), interned by content;
//! * [`signal`] — targets y: the Donoho–Johnstone signals, files, image rows.

pub mod activation;
pub mod design;
pub mod grid;
pub mod signal;
pub mod table;
mod vmath;

pub use activation::{Activation, Monotonicity, SplineOrder};
pub use design::{Design, DesignSpec, Sigma};
pub use grid::Grid;
pub use signal::Signal;
pub use table::{Table, TableId};
