//! The functions of `gdshrink._native`, grouped as the Python API documents them.
//!
//! * [`model`] — `Design`, `grid`; the problem argument (a design or a matrix);
//! * [`spectral`] — `spectrum`, `thin_svd`, `mask_values`, `shrink`, `qk`;
//! * [`run`] — `gd` on the CPU or the GPU;
//! * [`studies`] — `validate`, `compare`, `reproduce`, `devices`.

mod model;
mod run;
mod spectral;
mod studies;

use pyo3::prelude::*;

pub(crate) use model::{ProblemArg, PyDesign};

/// Adds every class and function to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDesign>()?;
    m.add_class::<spectral::PySvd>()?;
    m.add_function(wrap_pyfunction!(model::grid, m)?)?;
    m.add_function(wrap_pyfunction!(model::is_borrowed, m)?)?;
    m.add_function(wrap_pyfunction!(spectral::spectrum, m)?)?;
    m.add_function(wrap_pyfunction!(spectral::thin_svd, m)?)?;
    m.add_function(wrap_pyfunction!(spectral::mask_values, m)?)?;
    m.add_function(wrap_pyfunction!(spectral::shrink, m)?)?;
    m.add_function(wrap_pyfunction!(spectral::qk, m)?)?;
    m.add_function(wrap_pyfunction!(run::gd, m)?)?;
    m.add_function(wrap_pyfunction!(run::f32_tolerance, m)?)?;
    m.add_function(wrap_pyfunction!(studies::validate, m)?)?;
    m.add_function(wrap_pyfunction!(studies::compare, m)?)?;
    m.add_function(wrap_pyfunction!(studies::reproduce, m)?)?;
    m.add_function(wrap_pyfunction!(studies::devices, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
