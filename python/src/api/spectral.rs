//! What one SVD says: singular values, the thin SVD, the masks, the closed
//! form for many masks at once, q(K).

use gdshrink::spectral::{self, Mask, ThinSvd};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::ProblemArg;
use crate::arrays;
use crate::errors::IntoPy;

/// Runs `f` on A (the user's, or the design's built without the GIL).
fn with_matrix<T: Send>(
    py: Python<'_>,
    arg: &ProblemArg<'_>,
    f: impl FnOnce(faer::MatRef<'_, f64>) -> gdshrink::Result<T> + Send,
) -> PyResult<T> {
    let design = arg.design();
    if let Some(d) = design {
        super::model::check_fits((d.n(), d.m()), "design matrix A")?;
    }
    let view = match arg {
        ProblemArg::Matrix(m) => Some(m.view()),
        ProblemArg::Design(_) => None,
    };
    py.detach(move || match (view, design) {
        (Some(a), _) => f(a),
        (None, Some(d)) => f(d.matrix().as_ref()),
        (None, None) => unreachable!("a problem is a design or a matrix"),
    })
    .py()
}

/// Singular values of A (or of a design's A), descending.
#[pyfunction]
pub(crate) fn spectrum<'py>(
    py: Python<'py>,
    a_or_design: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let arg = ProblemArg::extract(a_or_design)?;
    let s = with_matrix(py, &arg, spectral::singular_values)?;
    Ok(arrays::vec1(py, s))
}

/// A thin SVD A = U diag(s) Vᵀ, kept in f64 for `shrink`.
#[pyclass(name = "ThinSvd", module = "gdshrink", frozen)]
pub(crate) struct PySvd {
    inner: ThinSvd,
}

#[pymethods]
impl PySvd {
    /// U (N×r).
    #[getter]
    fn u<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        arrays::mat2(py, self.inner.u.as_ref())
    }
    /// s (r), descending.
    #[getter]
    fn s<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arrays::vec1(py, self.inner.s.clone())
    }
    /// V (M×r).
    #[getter]
    fn v<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        arrays::mat2(py, self.inner.v.as_ref())
    }
    /// s_max = s_0.
    #[getter]
    fn s_max(&self) -> f64 {
        self.inner.s_max()
    }
    /// (N, M).
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.inner.u.nrows(), self.inner.v.nrows())
    }
    fn __repr__(&self) -> String {
        let (n, m) = self.shape();
        format!(
            "ThinSvd(N={n}, M={m}, r={}, s_max={:e})",
            self.inner.s.len(),
            self.inner.s_max()
        )
    }
}

/// The thin SVD of A (or of a design's A).
#[pyfunction]
pub(crate) fn thin_svd(py: Python<'_>, a_or_design: &Bound<'_, PyAny>) -> PyResult<PySvd> {
    let arg = ProblemArg::extract(a_or_design)?;
    let inner = with_matrix(py, &arg, spectral::thin_svd)?;
    Ok(PySvd { inner })
}

/// Masks from their JSON form (`[{"mask": "gd_exact", "alpha": …, "q": …}, …]`).
fn parse_masks(json: &str) -> PyResult<Vec<Mask>> {
    let masks: Vec<Mask> = serde_json::from_str(json).map_err(|e| {
        PyValueError::new_err(format!(
            "invalid masks: {e}; expected gd_exact(alpha, q), gd_flow(alpha, q), ridge(lam) or pca(kappa)"
        ))
    })?;
    for mk in &masks {
        mk.validate().py()?;
    }
    Ok(masks)
}

/// m(s) of every mask (rows) at every s (columns).
#[pyfunction]
pub(crate) fn mask_values<'py>(
    py: Python<'py>,
    masks_json: &str,
    s: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let masks = parse_masks(masks_json)?;
    let s = arrays::vector(s, "s")?;
    let rows: Vec<Vec<f64>> = masks
        .iter()
        .map(|mk| s.iter().map(|&v| mk.eval(v)).collect())
        .collect();
    Ok(arrays::rows2(py, &rows, s.len()))
}

/// The closed form U diag(m(s)) Uᵀ y for every mask, from one SVD.
#[pyfunction]
pub(crate) fn shrink<'py>(
    py: Python<'py>,
    svd_or_a: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    masks_json: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let masks = parse_masks(masks_json)?;
    let y = arrays::vector(y, "y")?;
    let computed;
    let svd: &ThinSvd = if let Ok(s) = svd_or_a.cast::<PySvd>() {
        &s.get().inner
    } else {
        let arg = ProblemArg::extract(svd_or_a)?;
        computed = with_matrix(py, &arg, spectral::thin_svd)?;
        &computed
    };
    let out = py.detach(|| spectral::shrink(svd, &y, &masks)).py()?;
    let (n, m, r) = (svd.u.nrows(), svd.v.nrows(), svd.s.len());
    let d = PyDict::new(py);
    let f: Vec<Vec<f64>> = out.iter().map(|o| o.f.clone()).collect();
    let w: Vec<Vec<f64>> = out.iter().map(|o| o.w.clone()).collect();
    let mv: Vec<Vec<f64>> = out.iter().map(|o| o.m.clone()).collect();
    d.set_item("f", arrays::rows2(py, &f, n))?;
    d.set_item("w", arrays::rows2(py, &w, m))?;
    d.set_item("m", arrays::rows2(py, &mv, r))?;
    d.set_item(
        "loss",
        arrays::vec1(py, out.iter().map(|o| o.loss).collect()),
    )?;
    d.set_item("kept", out.iter().map(|o| o.kept).collect::<Vec<_>>())?;
    d.set_item(
        "mask",
        out.iter().map(|o| o.mask.label()).collect::<Vec<_>>(),
    )?;
    Ok(d)
}

/// q(K) for K = 1..=k_max from singular values of an N×M matrix.
#[pyfunction]
#[pyo3(signature = (s, n, m, k_max=None))]
pub(crate) fn qk<'py>(
    py: Python<'py>,
    s: &Bound<'py, PyAny>,
    n: usize,
    m: usize,
    k_max: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let s = arrays::vector(s, "s")?;
    let rows = spectral::q_table(&s, k_max.unwrap_or(s.len()), n, m).py()?;
    let list = PyList::empty(py);
    for r in rows {
        let d = PyDict::new(py);
        d.set_item("K", r.k)?;
        d.set_item("q", r.q)?;
        d.set_item("ratio_sq", r.ratio_sq)?;
        list.append(d)?;
    }
    Ok(list)
}
