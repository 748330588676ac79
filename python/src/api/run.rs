//! `gd`: literal gradient descent w_{q+1} = w_q + α Aᵀ(y − A w_q) from w₀ = 0
//! on the f64 CPU engine or the f32 GPU engine, for a design or a user's A.

use std::collections::HashMap;
use std::sync::Mutex;

use gdshrink::gd::{CpuEngine, Engine, GdBatch, LearningRate, Problem, RunStatus, Strategy};
use gdshrink::gpu::{GpuContext, GpuEngine, GpuOptions};
use gdshrink::spectral::largest_singular_value;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::ProblemArg;
use crate::arrays;
use crate::errors::IntoPy;
use crate::progress::PyProgress;

/// One device per adapter choice, opened on first use and kept for the process.
static GPUS: Mutex<Option<HashMap<String, &'static GpuContext>>> = Mutex::new(None);

/// The GPU context for `adapter` (None: `$GDSHRINK_ADAPTER`, then the best).
pub(crate) fn gpu(py: Python<'_>, adapter: Option<&str>) -> PyResult<&'static GpuContext> {
    let key = adapter.unwrap_or("").to_string();
    if let Some(ctx) = GPUS
        .lock()
        .ok()
        .and_then(|g| g.as_ref()?.get(&key).copied())
    {
        return Ok(ctx);
    }
    let opts = GpuOptions {
        adapter: adapter.map(str::to_string),
        ..GpuOptions::default()
    };
    let ctx = py
        .detach(|| GpuContext::new(&opts))
        .map_err(gdshrink::Error::from)
        .py()?;
    let ctx: &'static GpuContext = Box::leak(Box::new(ctx));
    if let Ok(mut g) = GPUS.lock() {
        g.get_or_insert_with(HashMap::new).insert(key, ctx);
    }
    Ok(ctx)
}

/// The learning rates: one number or rule for every run, or one per run.
fn rates(alpha: Option<&Bound<'_, PyAny>>, runs: usize) -> PyResult<Vec<LearningRate>> {
    let one = |a: &Bound<'_, PyAny>| -> PyResult<LearningRate> {
        if let Ok(v) = a.extract::<f64>() {
            return Ok(LearningRate::Value(v));
        }
        let s: String = a.extract().map_err(|_| {
            PyValueError::new_err(
                "invalid alpha: a number > 0, 'auto' (1/s_max^2), or one of those per run",
            )
        })?;
        s.parse::<LearningRate>().py()
    };
    let Some(alpha) = alpha else {
        return Ok(vec![LearningRate::AUTO; runs]);
    };
    if alpha.extract::<f64>().is_ok() || alpha.extract::<String>().is_ok() {
        return Ok(vec![one(alpha)?; runs]);
    }
    let list: Vec<Bound<'_, PyAny>> = alpha.try_iter()?.collect::<PyResult<_>>()?;
    if list.len() != runs {
        return Err(PyValueError::new_err(format!(
            "invalid alpha: {} values for {runs} runs; give one alpha, or one per run",
            list.len()
        )));
    }
    list.iter().map(one).collect()
}

fn status_name(s: &RunStatus) -> String {
    match s {
        RunStatus::Ok => "ok".into(),
        RunStatus::NonFinite { iteration } => format!("non-finite at q = {iteration}"),
        RunStatus::Diverged { iteration, growth } => {
            format!("diverged at q = {iteration} (residual x{growth:.3} per iteration)")
        }
    }
}

/// Options of one `gd` call that are not arrays.
#[derive(Clone)]
struct RunOpts {
    gpu: bool,
    strategy: Strategy,
    adapter: Option<String>,
}

/// Literal GD on `a_or_design` for every row of `y` (or the one vector `y`);
/// returns `q`, `f`, `loss`, optionally `w` and `f_eval`, the run `status`
/// and the `engine` that ran.
// Python keyword arguments, one per option.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (a_or_design, y, qs, alpha=None, device="cpu", strategy="auto", record_w=false, eval_points=None, adapter=None, allow_unstable=false, progress=None))]
pub(crate) fn gd<'py>(
    py: Python<'py>,
    a_or_design: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    qs: Vec<u64>,
    alpha: Option<&Bound<'py, PyAny>>,
    device: &str,
    strategy: &str,
    record_w: bool,
    eval_points: Option<&Bound<'py, PyAny>>,
    adapter: Option<String>,
    allow_unstable: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = RunOpts {
        gpu: match device.trim().to_ascii_lowercase().as_str() {
            "cpu" => false,
            "gpu" => true,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "invalid device = '{device}': cpu (f64 reference) or gpu (f32, wgpu)"
                )));
            }
        },
        strategy: strategy.parse().py()?,
        adapter,
    };
    if !opts.gpu && (opts.strategy != Strategy::Auto || opts.adapter.is_some()) {
        return Err(PyValueError::new_err(
            "strategy and adapter choose how the GPU runs: use them with device='gpu'",
        ));
    }
    let arg = ProblemArg::extract(a_or_design)?;
    let (ys, single) = arrays::vectors(y, "y")?;
    let rates = rates(alpha, ys.len())?;
    for r in &rates {
        r.check().py()?;
    }
    if eval_points.is_some() && arg.design().is_none() {
        return Err(PyValueError::new_err(
            "eval_points needs a gdshrink.Design (a user's A has no network to evaluate elsewhere)",
        ));
    }
    // α is resolved once s_max is known; 1.0 stands in for the checks before.
    let runs = ys.len();
    let mut batch = GdBatch::new(ys, vec![1.0; runs], qs);
    batch.record_w = record_w;
    batch.allow_unstable = allow_unstable;
    if let Some(p) = eval_points {
        batch.eval_points = Some(arrays::vector(p, "eval_points")?);
    }
    let (n, m) = arg.shape();
    batch.validate(n, m, None).py()?;
    let ctx = if opts.gpu {
        Some(gpu(py, opts.adapter.as_deref())?)
    } else {
        None
    };
    let design = arg.design();
    // s_max (for α and the stability check) comes from A on the host.
    if design.is_some() {
        super::model::check_fits((n, m), "design matrix A")?;
    }
    let view = match &arg {
        ProblemArg::Matrix(a) => Some(a.view()),
        ProblemArg::Design(_) => None,
    };
    let prog = PyProgress::new(progress);
    let traj = py.detach(|| -> gdshrink::Result<_> {
        let started = std::time::Instant::now();
        let built;
        let a = match (view, design) {
            (Some(a), _) => a,
            (None, Some(d)) => {
                built = d.matrix();
                built.as_ref()
            }
            (None, None) => unreachable!("a problem is a design or a matrix"),
        };
        let s_max = largest_singular_value(a)?;
        batch.alpha = rates
            .iter()
            .map(|r| r.resolve(s_max, n))
            .collect::<gdshrink::Result<_>>()?;
        let problem = match design {
            Some(d) => Problem::from_design(d).with_matrix(a),
            None => Problem::from_matrix(a),
        }
        .with_s_max(s_max);
        let t = match ctx {
            Some(ctx) => GpuEngine::new(ctx)
                .with_strategy(opts.strategy)
                .run(&problem, &batch, &prog),
            None => CpuEngine.run(&problem, &batch, &prog),
        }?;
        Ok((t, started.elapsed().as_secs_f64()))
    });
    let (traj, seconds) = prog.finish_with(traj.py())?;
    let d = trajectory_dict(py, &traj, &batch, (n, m), single)?;
    d.set_item("seconds", seconds)?;
    Ok(d)
}

/// The trajectory as numpy arrays (checkpoint-major).
fn trajectory_dict<'py>(
    py: Python<'py>,
    t: &gdshrink::Trajectory,
    batch: &GdBatch,
    (n, m): (usize, usize),
    single: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let nb = batch.runs();
    let d = PyDict::new(py);
    let cps = &t.checkpoints;
    d.set_item("q", cps.iter().map(|c| c.q).collect::<Vec<_>>())?;
    let loss: Vec<Vec<f64>> = cps.iter().map(|c| c.loss.clone()).collect();
    let put3 = |key: &str, blocks: Vec<&Vec<Vec<f64>>>, len: usize| -> PyResult<()> {
        if single {
            let rows: Vec<Vec<f64>> = blocks.iter().map(|b| b[0].clone()).collect();
            d.set_item(key, arrays::rows2(py, &rows, len))
        } else {
            d.set_item(key, arrays::stack3(py, &blocks, (nb, len)))
        }
    };
    put3("f", cps.iter().map(|c| &c.f).collect(), n)?;
    if single {
        d.set_item(
            "loss",
            arrays::vec1(py, loss.iter().map(|l| l[0]).collect()),
        )?;
    } else {
        d.set_item("loss", arrays::rows2(py, &loss, nb))?;
    }
    if batch.record_w {
        put3("w", cps.iter().filter_map(|c| c.w.as_ref()).collect(), m)?;
    }
    if let Some(p) = &batch.eval_points {
        put3(
            "f_eval",
            cps.iter().filter_map(|c| c.f_eval.as_ref()).collect(),
            p.len(),
        )?;
    }
    let status: Vec<String> = t.status.iter().map(status_name).collect();
    if single {
        d.set_item("status", &status[0])?;
    } else {
        d.set_item("status", status)?;
    }
    d.set_item("engine", arrays::to_py(py, &t.engine)?)?;
    Ok(d)
}

/// The error model's relative tolerance of f_q from the f32 GPU engine
/// against f64 (`gdshrink::precision::f_tolerance(ν, q)`, ν = ‖|A|‖₂/‖A‖₂).
#[pyfunction]
pub(crate) fn f32_tolerance(
    py: Python<'_>,
    a_or_design: &Bound<'_, PyAny>,
    q: u64,
) -> PyResult<f64> {
    let arg = ProblemArg::extract(a_or_design)?;
    let design = arg.design();
    let view = match &arg {
        ProblemArg::Matrix(a) => Some(a.view()),
        ProblemArg::Design(_) => None,
    };
    py.detach(|| -> gdshrink::Result<f64> {
        let nu = match (view, design) {
            (Some(a), _) => gdshrink::precision::nu(a)?,
            (None, Some(d)) => gdshrink::precision::nu(d.matrix().as_ref())?,
            (None, None) => unreachable!("a problem is a design or a matrix"),
        };
        Ok(gdshrink::precision::f_tolerance(nu, q))
    })
    .py()
}
