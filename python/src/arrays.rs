//! numpy in and out.
//!
//! A matrix argument is borrowed, not copied, when it is float64 and C- or
//! Fortran-contiguous: faer reads numpy's buffer in place (row-major or
//! column-major). It is copied once into an f64 matrix when it is float32
//! (the f64 reference and the error model need A in f64; f32 → f64 → f32 is
//! exact, so the GPU engine still sees the caller's f32 values) or strided
//! (a slice such as `A[:, ::2]`). [`MatArg::borrowed`] says which happened.

use faer::{Mat, MatRef};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// A 2-D float array from Python, borrowed where possible.
pub(crate) enum MatArg<'py> {
    /// float64 C-contiguous, read in place.
    RowMajor(PyReadonlyArray2<'py, f64>),
    /// float64 Fortran-contiguous, read in place.
    ColMajor(PyReadonlyArray2<'py, f64>),
    /// A copy (float32, or a strided layout).
    Owned(Mat<f64>),
}

impl<'py> MatArg<'py> {
    /// Reads `obj`: a 2-D numpy array of float64 or float32.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(a) = obj.extract::<PyReadonlyArray2<'py, f64>>() {
            if a.is_c_contiguous() {
                return Ok(MatArg::RowMajor(a));
            }
            if a.is_fortran_contiguous() {
                return Ok(MatArg::ColMajor(a));
            }
            let v = a.as_array();
            return Ok(MatArg::Owned(Mat::from_fn(v.nrows(), v.ncols(), |i, j| {
                v[(i, j)]
            })));
        }
        if let Ok(a) = obj.extract::<PyReadonlyArray2<'py, f32>>() {
            let v = a.as_array();
            return Ok(MatArg::Owned(Mat::from_fn(v.nrows(), v.ncols(), |i, j| {
                f64::from(v[(i, j)])
            })));
        }
        Err(PyTypeError::new_err(format!(
            "{what}: expected a 2-D numpy array of float64 or float32 (C or Fortran order), got {}",
            describe(obj)
        )))
    }

    /// The matrix as faer sees it.
    pub(crate) fn view(&self) -> MatRef<'_, f64> {
        match self {
            MatArg::RowMajor(a) => {
                let (n, m) = (a.shape()[0], a.shape()[1]);
                // Contiguity was checked in `extract`.
                MatRef::from_row_major_slice(a.as_slice().expect("C-contiguous"), n, m)
            }
            MatArg::ColMajor(a) => {
                let (n, m) = (a.shape()[0], a.shape()[1]);
                MatRef::from_column_major_slice(a.as_slice().expect("F-contiguous"), n, m)
            }
            MatArg::Owned(m) => m.as_ref(),
        }
    }

    /// True when numpy's buffer is read in place.
    pub(crate) fn borrowed(&self) -> bool {
        !matches!(self, MatArg::Owned(_))
    }
}

/// `type(obj)` with dtype and shape for arrays, for error messages.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    let dtype = obj.getattr("dtype").map(|d| d.to_string()).ok();
    let shape = obj.getattr("shape").map(|d| d.to_string()).ok();
    match (dtype, shape) {
        (Some(d), Some(s)) => format!("an array of dtype {d} and shape {s}"),
        _ => obj
            .get_type()
            .name()
            .map_or_else(|_| "an object".into(), |n| n.to_string()),
    }
}

/// A 1-D float64 vector (any float dtype or a sequence of numbers).
pub(crate) fn vector(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f64>> {
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray1<'_, f64>>() {
        return Ok(a.as_array().to_vec());
    }
    if let Ok(a) = obj.extract::<numpy::PyReadonlyArray1<'_, f32>>() {
        return Ok(a.as_array().iter().map(|&v| f64::from(v)).collect());
    }
    obj.extract::<Vec<f64>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected a 1-D array or sequence of numbers, got {}",
            describe(obj)
        ))
    })
}

/// One or more vectors: a 1-D array (one run) or a 2-D array whose rows are runs.
/// Returns the vectors and whether the input was 1-D.
pub(crate) fn vectors(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<Vec<f64>>, bool)> {
    if let Ok(m) = MatArg::extract(obj, what) {
        let v = m.view();
        let rows = (0..v.nrows())
            .map(|i| (0..v.ncols()).map(|j| v[(i, j)]).collect())
            .collect();
        return Ok((rows, false));
    }
    Ok((vec![vector(obj, what)?], true))
}

/// A Vec as a 1-D numpy array (moved, not copied).
pub(crate) fn vec1(py: Python<'_>, v: Vec<f64>) -> Bound<'_, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// A faer matrix as a C-ordered 2-D numpy array.
pub(crate) fn mat2<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    let (n, k) = (m.nrows(), m.ncols());
    let mut flat = Vec::with_capacity(n * k);
    for i in 0..n {
        for j in 0..k {
            flat.push(m[(i, j)]);
        }
    }
    from_flat(py, flat, (n, k))
}

/// Rows (all of one length `k`) as a C-ordered 2-D array (`k` given for zero rows).
pub(crate) fn rows2<'py>(
    py: Python<'py>,
    rows: &[Vec<f64>],
    k: usize,
) -> Bound<'py, PyArray2<f64>> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    from_flat(py, flat, (rows.len(), k))
}

fn from_flat(py: Python<'_>, flat: Vec<f64>, shape: (usize, usize)) -> Bound<'_, PyArray2<f64>> {
    PyArray1::from_vec(py, flat)
        .reshape([shape.0, shape.1])
        .expect("the length is rows x columns")
}

/// A list of B×len matrices (one per checkpoint) as a C×B×len array.
pub(crate) fn stack3<'py>(
    py: Python<'py>,
    blocks: &[&Vec<Vec<f64>>],
    (b, len): (usize, usize),
) -> Bound<'py, numpy::PyArray3<f64>> {
    let flat: Vec<f64> = blocks
        .iter()
        .flat_map(|blk| blk.iter().flatten().copied())
        .collect();
    PyArray1::from_vec(py, flat)
        .reshape([blocks.len(), b, len])
        .expect("the length is checkpoints x runs x points")
}

/// A JSON value (a library report) as plain Python objects: dicts, lists,
/// numbers, strings, None.
pub(crate) fn json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::IntoPyObjectExt;
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_bound_py_any(py)?,
            (None, Some(i)) => i.into_bound_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?,
        },
        Value::String(s) => s.into_bound_py_any(py)?,
        Value::Array(a) => {
            let l = pyo3::types::PyList::empty(py);
            for x in a {
                l.append(json(py, x)?)?;
            }
            l.into_any()
        }
        Value::Object(o) => {
            let d = pyo3::types::PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// Any serialisable library value as plain Python objects (see [`json`]).
pub(crate) fn to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    json(py, &value)
}
