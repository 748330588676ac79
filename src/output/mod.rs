//! What the library writes (and the array files it reads back): NPY/CSV
//! arrays, text and Markdown tables with their number formats, and figures.
//!
//! * [`atomic`] — durable writes: temporary name, sync, rename; pre-flight
//!   checks of output paths;
//! * [`mod@array`] — NPY and CSV files by extension;
//!   one-column files of numbers read back (grids, signals);
//! * [`table`] — the one renderer of aligned text tables and Markdown tables;
//! * `plot` (feature `plot`) — line charts and heatmaps as PNG and SVG.

pub mod array;
pub mod atomic;
#[cfg(feature = "plot")]
pub mod plot;
pub mod table;

pub use array::{Table, read_npy, read_vector, write_npy};
pub use table::TextTable;
