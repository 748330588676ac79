//! The studies: `validate` (GD on an engine against the closed form under the
//! error model), `compare` (time to result), `reproduce` (the paper's
//! figures), and the adapters wgpu sees. Reports come back as plain dicts,
//! the same fields as the CLI's `--json`.

use std::path::PathBuf;

use gdshrink::gd::{CpuEngine, Engine, Strategy};
use gdshrink::gpu::{GpuEngine, list_adapters};
use gdshrink::studies::StudyConfig;
use gdshrink::studies::compare::{CompareConfig, compare as run_compare};
use gdshrink::studies::reproduce::{self as figures, Experiment, Settings, Size};
use gdshrink::studies::validate::{ValidateConfig, validate as run_validate};
use gdshrink::{LearningRate, Signal};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::ProblemArg;
use super::run::gpu;
use crate::arrays;
use crate::errors::IntoPy;
use crate::progress::PyProgress;

/// The study: a design or a user's matrix A, a target (array, or a built-in
/// signal's name, taken on the design's x or on linspace(N) for a matrix), α, q.
fn study(
    a_or_design: &Bound<'_, PyAny>,
    y: Option<&Bound<'_, PyAny>>,
    alpha: Option<&Bound<'_, PyAny>>,
    qs: Vec<u64>,
) -> PyResult<StudyConfig> {
    let d = ProblemArg::extract(a_or_design)?.features()?;
    let x = d.x();
    let (values, name) = match y {
        Some(obj) if obj.extract::<String>().is_ok() => {
            let name: String = obj.extract()?;
            let sig: Signal = name.parse().py()?;
            (sig.values(&x).py()?, name)
        }
        Some(obj) => (arrays::vector(obj, "y")?, "custom".to_string()),
        None => (
            Signal::default().values(&x).py()?,
            Signal::default().label(),
        ),
    };
    let rate = match alpha {
        None => LearningRate::AUTO,
        Some(a) => match a.extract::<f64>() {
            Ok(v) => LearningRate::Value(v),
            Err(_) => a.extract::<String>()?.parse().py()?,
        },
    };
    Ok(StudyConfig::new(d, values, rate, qs).with_signal(name))
}

fn device_is_gpu(device: &str) -> PyResult<bool> {
    match device.trim().to_ascii_lowercase().as_str() {
        "cpu" => Ok(false),
        "gpu" => Ok(true),
        _ => Err(PyValueError::new_err(format!(
            "invalid device = '{device}': cpu (f64 reference) or gpu (f32, wgpu)"
        ))),
    }
}

/// GD on `device` checked against the f64 closed form at every q.
// Python keyword arguments, one per option.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (a_or_design, qs, y=None, alpha=None, device="gpu", strategy="auto", eval_points=None, progress=None))]
pub(crate) fn validate<'py>(
    py: Python<'py>,
    a_or_design: &Bound<'py, PyAny>,
    qs: Vec<u64>,
    y: Option<&Bound<'py, PyAny>>,
    alpha: Option<&Bound<'py, PyAny>>,
    device: &str,
    strategy: &str,
    eval_points: Option<&Bound<'py, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let gpu_run = device_is_gpu(device)?;
    let strategy: Strategy = strategy.parse().py()?;
    let mut cfg = ValidateConfig::new(study(a_or_design, y, alpha, qs)?);
    if let Some(p) = eval_points {
        cfg.eval_points = arrays::vector(p, "eval_points")?;
    }
    let ctx = if gpu_run { Some(gpu(py, None)?) } else { None };
    let prog = PyProgress::new(progress);
    let rep = py.detach(|| match ctx {
        Some(ctx) => run_validate(&cfg, &GpuEngine::new(ctx).with_strategy(strategy), &prog),
        None => run_validate(&cfg, &CpuEngine, &prog),
    });
    let rep = prog.finish_with(rep.py())?;
    arrays::to_py(py, &rep)
}

/// Time to result: GD on each device against one SVD and a mask.
// Python keyword arguments, one per option.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (a_or_design, qs, y=None, alpha=None, devices=vec!["cpu".to_string()], repeats=1, progress=None))]
pub(crate) fn compare<'py>(
    py: Python<'py>,
    a_or_design: &Bound<'py, PyAny>,
    qs: Vec<u64>,
    y: Option<&Bound<'py, PyAny>>,
    alpha: Option<&Bound<'py, PyAny>>,
    devices: Vec<String>,
    repeats: usize,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if devices.is_empty() {
        return Err(PyValueError::new_err(
            "invalid devices = []: give 'cpu', 'gpu' or both",
        ));
    }
    let gpus = devices
        .iter()
        .map(|d| device_is_gpu(d))
        .collect::<PyResult<Vec<_>>>()?;
    let cfg = CompareConfig {
        study: study(a_or_design, y, alpha, qs)?,
        repeats,
        reference: gdshrink::studies::validate::ReferenceRoute::Auto,
        k: gdshrink::studies::validate::TOPK_K,
    };
    let ctx = if gpus.contains(&true) {
        Some(gpu(py, None)?)
    } else {
        None
    };
    let prog = PyProgress::new(progress);
    let rep = py.detach(|| {
        let gpu_engine = ctx.map(GpuEngine::new);
        let engines: Vec<&dyn Engine> = gpus
            .iter()
            .map(|&g| match (&gpu_engine, g) {
                (Some(e), true) => e as &dyn Engine,
                _ => &CpuEngine as &dyn Engine,
            })
            .collect();
        run_compare(&cfg, &engines, &prog)
    });
    let rep = prog.finish_with(rep.py())?;
    arrays::to_py(py, &rep)
}

/// The paper's figures (and the extra `penalty` figure) into `out` (data,
/// PNG/SVG, report.md/html, claims.json); `figures` is `reproduce --only`'s list.
#[pyfunction]
#[pyo3(signature = (out, figures=None, size="quick", progress=None))]
pub(crate) fn reproduce<'py>(
    py: Python<'py>,
    out: PathBuf,
    figures: Option<&str>,
    size: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let size = match size.trim().to_ascii_lowercase().as_str() {
        "quick" => Size::Quick,
        "default" => Size::Default,
        "full" => Size::Full,
        _ => {
            return Err(PyValueError::new_err(format!(
                "invalid size = '{size}': quick, default or full"
            )));
        }
    };
    let list = match figures {
        Some(f) => Experiment::parse_list(f).py()?,
        None => Experiment::ALL.to_vec(),
    };
    let settings = Settings::new(size);
    let prog = PyProgress::new(progress);
    let rep = py.detach(|| -> gdshrink::Result<_> {
        let rep = figures::run_all(&list, &settings, &out, &prog, "gdshrink.reproduce (Python)")?;
        figures::report::write(&rep, &out)?;
        Ok(rep)
    });
    let rep = prog.finish_with(rep.py())?;
    arrays::to_py(py, &figures::report::claims_json(&rep))
}

/// The GPU adapters wgpu sees (index, name, backend, type, …).
#[pyfunction]
pub(crate) fn devices(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let list = py.detach(list_adapters);
    arrays::to_py(py, &list)
}
