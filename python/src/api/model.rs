//! Designs and grids, and the argument every computation takes: a
//! [`PyDesign`] or a user's matrix A.

use gdshrink::model::grid::{linspace, midpoint};
use gdshrink::studies::Features;
use gdshrink::{Activation, Design, Grid, Sigma};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{self, MatArg};
use crate::errors::IntoPy;

/// A network f(x) = Σ_j w_j η(σ(x − b_j)): activation, σ, samples x, biases b.
#[pyclass(name = "Design", module = "gdshrink", frozen)]
pub(crate) struct PyDesign {
    pub(crate) inner: Design,
}

/// Points of a grid: a count on the named layout, or the points themselves.
fn points(obj: &Bound<'_, PyAny>, layout: &str, what: &str) -> PyResult<Vec<f64>> {
    if let Ok(n) = obj.extract::<usize>() {
        return layout_grid(layout, what)?.points(n, what).py();
    }
    let p = arrays::vector(obj, what)?;
    Grid::Points(p.clone()).points(p.len(), what).py()
}

fn layout_grid(layout: &str, what: &str) -> PyResult<Grid> {
    match layout.trim().to_ascii_lowercase().as_str() {
        "linspace" => Ok(Grid::Linspace),
        "midpoint" => Ok(Grid::Midpoint),
        _ => Err(PyValueError::new_err(format!(
            "invalid grid for {what} = '{layout}': linspace (i/(n-1)) or midpoint ((i+1/2)/n)"
        ))),
    }
}

#[pymethods]
impl PyDesign {
    /// `Design(activation, sigma=None, x=64, b=128, grid="linspace", bias_grid="linspace")`.
    // Python keyword arguments, one per option.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (activation, sigma=None, x=None, b=None, grid="linspace", bias_grid="linspace"))]
    fn new(
        py: Python<'_>,
        activation: &str,
        sigma: Option<&Bound<'_, PyAny>>,
        x: Option<&Bound<'_, PyAny>>,
        b: Option<&Bound<'_, PyAny>>,
        grid: &str,
        bias_grid: &str,
    ) -> PyResult<Self> {
        let act: Activation = activation.parse().py()?;
        let default = |n: usize| n.into_pyobject(py).map(pyo3::Bound::into_any);
        let x = match x {
            Some(x) => points(x, grid, "samples x")?,
            None => points(&default(64)?, grid, "samples x")?,
        };
        let b = match b {
            Some(b) => points(b, bias_grid, "biases b")?,
            None => points(&default(128)?, bias_grid, "biases b")?,
        };
        let sigma = match sigma {
            None => Sigma::Width,
            Some(s) => match s.extract::<f64>() {
                Ok(v) => Sigma::Value(v),
                Err(_) => s.extract::<String>()?.parse::<Sigma>().py()?,
            },
        };
        let s = sigma.resolve(b.len());
        Design::new(act, s, x, b)
            .py()
            .map(|inner| PyDesign { inner })
    }

    /// The activation's name.
    #[getter]
    fn activation(&self) -> String {
        self.inner.activation().name()
    }
    /// σ.
    #[getter]
    fn sigma(&self) -> f64 {
        self.inner.sigma()
    }
    /// The samples x_i (N).
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arrays::vec1(py, self.inner.x().to_vec())
    }
    /// The biases b_j (M).
    #[getter]
    fn b<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arrays::vec1(py, self.inner.b().to_vec())
    }
    /// (N, M).
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.inner.n(), self.inner.m())
    }
    /// A_ij = η(σ(x_i − b_j)), N×M float64.
    fn matrix<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        check_fits((self.inner.n(), self.inner.m()), "design matrix A")?;
        let a = py.detach(|| self.inner.matrix());
        Ok(arrays::mat2(py, a.as_ref()))
    }
    /// η(σ(p_i − b_j)) at any points p (P×M).
    fn matrix_at<'py>(
        &self,
        py: Python<'py>,
        points: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let p = arrays::vector(points, "points")?;
        gdshrink::error::ensure_finite("points", &p).py()?;
        check_fits((p.len(), self.inner.m()), "design matrix at the points")?;
        let a = py.detach(|| self.inner.matrix_at(&p));
        Ok(arrays::mat2(py, a.as_ref()))
    }
    fn __repr__(&self) -> String {
        format!("Design({})", self.inner.label())
    }
}

/// Refuses (MemoryError) an N×M f64 matrix that host memory cannot hold,
/// before it is built.
pub(crate) fn check_fits((n, m): (usize, usize), what: &str) -> PyResult<()> {
    use gdshrink::resources::{array_bytes, ensure_host_fits};
    ensure_host_fits(
        &format!("{what} ({n}x{m} f64)"),
        array_bytes(n, m, 8),
        "use fewer samples or biases",
    )
    .py()
}

/// A grid of n points on [0, 1]: linspace i/(n−1) or midpoint (i + ½)/n.
#[pyfunction]
#[pyo3(signature = (n, kind="linspace"))]
pub(crate) fn grid<'py>(
    py: Python<'py>,
    n: usize,
    kind: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    if n == 0 {
        return Err(PyValueError::new_err(
            "invalid n = 0: at least 1 point".to_string(),
        ));
    }
    let v = match layout_grid(kind, "grid")? {
        Grid::Midpoint => midpoint(n),
        _ => linspace(n),
    };
    Ok(arrays::vec1(py, v))
}

/// True when a matrix argument would be read in place (float64, C or Fortran order).
#[pyfunction]
pub(crate) fn is_borrowed(a: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(MatArg::extract(a, "A")?.borrowed())
}

/// What a computation is given: a design (A built by the library, or by the
/// GPU engine itself) or a user's matrix.
pub(crate) enum ProblemArg<'py> {
    /// A `Design`.
    Design(PyRef<'py, PyDesign>),
    /// A 2-D array.
    Matrix(MatArg<'py>),
}

impl<'py> ProblemArg<'py> {
    /// A design or a 2-D float array.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(d) = obj.extract::<PyRef<'py, PyDesign>>() {
            return Ok(ProblemArg::Design(d));
        }
        MatArg::extract(obj, "A_or_design")
            .map(ProblemArg::Matrix)
            .map_err(|e| {
                PyTypeError::new_err(format!("{} (or a gdshrink.Design)", e.value(obj.py())))
            })
    }

    /// The design, if any.
    pub(crate) fn design(&self) -> Option<&Design> {
        match self {
            ProblemArg::Design(d) => Some(&d.inner),
            ProblemArg::Matrix(_) => None,
        }
    }

    /// The features of a study: the design, or a copy of the matrix (the
    /// studies keep A for the run's whole length, outside the GIL; the SVD
    /// takes a working copy of its own anyway).
    pub(crate) fn features(&self) -> PyResult<Features> {
        match self {
            ProblemArg::Design(d) => Ok(Features::Network(d.inner.clone())),
            ProblemArg::Matrix(m) => Features::matrix(m.view().to_owned(), "numpy").py(),
        }
    }

    /// (N, M).
    pub(crate) fn shape(&self) -> (usize, usize) {
        match self {
            ProblemArg::Design(d) => (d.inner.n(), d.inner.m()),
            ProblemArg::Matrix(m) => {
                let v = m.view();
                (v.nrows(), v.ncols())
            }
        }
    }
}
