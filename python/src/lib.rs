//! `gdshrink._native`: the library's functions on numpy arrays.
//!
//! This crate is glue only: every computation is a call into the `gdshrink`
//! library, every error is the library's message as a Python exception
//! ([`errors`]). The public Python API (names, defaults, dataclasses, tqdm) is
//! `gdshrink/__init__.py`; its typed signatures and equations are in
//! `gdshrink/__init__.pyi`.
//!
//! * [`arrays`] — numpy in (float32/float64, C or Fortran order, borrowed
//!   where the layout allows) and out;
//! * [`progress`] — the library's `Progress` with a Python callback and
//!   Ctrl-C checks between chunks;
//! * [`api`] — designs, spectra, masks and the closed form, GD, studies.

mod api;
mod arrays;
mod errors;
mod progress;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    api::register(m)
}
