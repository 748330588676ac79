//! `gdshrink validate`: GD on the GPU (or the f64 CPU reference) checked
//! against the closed-form gd_exact prediction at every checkpoint; the
//! `--suite` variants run fixed lists of configurations. Non-zero exit when
//! any check fails. The library does the work ([`gdshrink::validate`]); this
//! module parses flags and writes files and the m̂-vs-m figure; [`render`]
//! draws the text tables, [`tables`] the `--out` tables.

mod render;
mod tables;

use render::{render, render_suite};
use tables::{checkpoint_table, direction_table, suite_table};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use gdshrink::gd::{CpuEngine, Engine, LearningRate, Strategy, parse_iterations};
use gdshrink::gpu::{GpuContext, GpuEngine, GpuGdOptions};
use gdshrink::model::Design;
use gdshrink::precision::SAFETY;
use gdshrink::resources::device::{DeviceNeed, DeviceRequest};
use gdshrink::studies::validate::suite::{self, Suite};
use gdshrink::studies::validate::{
    ReferenceRoute, STREAM_BLOCK, ValidateConfig, ValidateReport, default_cpu_check_q_max,
    mask_figure, validate,
};
use gdshrink::studies::{Features, StudyConfig};

use crate::args::{Device, GpuArgs, ModelArgs, TrainArgs, open_gpu, parse_lib};
use crate::output::OutputArgs;
use crate::progress::Bars;

/// Engine selection of `validate`.
#[derive(Args, Clone, Debug)]
pub struct EngineArgs {
    /// Run GD on the GPU (f32) or on the CPU (the f64 reference).
    #[arg(long, value_enum, default_value = "gpu")]
    pub device: Device,
    #[command(flatten)]
    pub gpu: GpuArgs,
}

impl EngineArgs {
    /// Opens the GPU when `--device gpu`; the error says how to get an adapter.
    pub fn context(&self) -> Result<Option<GpuContext>> {
        if self.device == Device::Cpu {
            return Ok(None);
        }
        open_gpu(self.gpu.adapter.as_deref()).map(Some).context(
            "--device gpu needs a GPU adapter (use --device cpu to run the f64 reference alone)",
        )
    }
}

/// How far the f64 sanity line is re-run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CpuCheck {
    /// Up to this q.
    UpTo(u64),
    /// Every checkpoint.
    All,
    /// Never.
    None,
}

fn parse_cpu_check(s: &str) -> std::result::Result<CpuCheck, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "all" => Ok(CpuCheck::All),
        "none" | "off" => Ok(CpuCheck::None),
        t => parse_iterations(t).map(CpuCheck::UpTo).ok_or_else(|| {
            format!("'{s}' is not a valid --cpu-check: give a q such as 10000, 'all' or 'none'")
        }),
    }
}

/// Flags of `gdshrink validate`.
#[derive(Args, Debug)]
#[command(after_help = "Files:\n  \
    --out FILE.csv|FILE.npy  one row per (checkpoint, direction): q, k, s, s_rel, uty, m_exact, \
    m_flow, m_hat, m_hat_cpu, resolved, tol; beside it FILE-checkpoints.csv|.npy, one row per \
    checkpoint (errors, tolerances, flow gap, loss). With --suite: one row per (case, checkpoint).\n  \
    --plot FILE  FILE.png and FILE.svg: m_hat_k (dots) against m(s) over s/s_0 (not with --suite).\n\
    Example: gdshrink validate -a tanh --n 256 --m 1024 --q 1,10,100,1000 --out v.csv --plot mask")]
pub struct ValidateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run a fixed suite instead of one configuration: `paper` (N=256/M=1024 and
    /// N=1024/M=4096, q up to 1e5) or `ci` (small). Only --signal and the engine
    /// and output flags apply.
    #[arg(long, value_parser = parse_lib::<Suite>)]
    pub suite: Option<Suite>,
    /// Same as --suite ci.
    #[arg(long, conflicts_with = "suite")]
    pub quick: bool,
    /// Points of the evaluation grid (linspace on [0, 1]); default 2N − 1.
    #[arg(long, value_name = "COUNT", value_parser = crate::args::parse_eval_points)]
    pub eval_points: Option<usize>,
    /// Re-run the f64 CPU reference as a sanity line up to this q, 'all' or
    /// 'none' (default: as far as about 2e10 flops of work reach).
    #[arg(long, value_parser = parse_cpu_check, value_name = "Q|all|none")]
    pub cpu_check: Option<CpuCheck>,
    /// Multiply every tolerance by this factor (the model's own safety factor is 2).
    #[arg(long, default_value_t = 1.0)]
    pub tol_scale: f64,
    /// Draw the empirical mask m̂_k (dots) against m(s) (gd_exact solid, gd_flow
    /// dashed) over s/s_0 on a log axis, one colour per q: writes FILE.png and
    /// FILE.svg (an extension of FILE is replaced).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Directions shown in the table (log-spaced k); --json and --out hold all.
    #[arg(long, default_value_t = 12, value_parser = crate::args::parse_list_len)]
    pub show_directions: usize,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags: built-in signals are taken on
    /// x = linspace(N); there is no evaluation grid (its check is not made).
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid", "eval_points", "suite", "quick"])]
    pub design: Option<PathBuf>,
    /// How the f64 prediction is computed: `dense` (A stored, one thin SVD),
    /// `streamed` (A never stored: streamed TSQR, then passes over column
    /// blocks; a network with N <= M), `topk` (A never stored: the --k
    /// leading components by block Krylov, the prediction restricted to them
    /// and a proven bound on the rest added to every tolerance; a network) or
    /// `auto` (topk when the dense reference would need more than 4 GiB and
    /// the top-K method suits the shape, else streamed when it would need
    /// more than 1 GiB and N <= M, else dense). The streamed and topk routes
    /// run no f64 CPU sanity line unless --cpu-check asks (the CPU engine
    /// stores A).
    #[arg(long, value_parser = parse_lib::<ReferenceRoute>, default_value = "auto", value_name = "auto|dense|streamed|topk")]
    pub reference: ReferenceRoute,
    /// Components of the top-K route (--reference topk, or auto's choice).
    #[arg(long, value_name = "K", default_value_t = gdshrink::studies::validate::TOPK_K, value_parser = crate::args::parse_positive)]
    pub k: usize,
}

/// Runs the command.
pub fn run(args: &ValidateArgs) -> Result<()> {
    let suite = args.suite.or(args.quick.then_some(Suite::Ci));
    let need = preflight(args, suite)?;
    let ctx = args.engine.context()?;
    if let (Some(c), Some(need)) = (&ctx, &need) {
        crate::plan::check_adapter("validate", need, c)?;
    }
    let engine: Box<dyn Engine + '_> = match &ctx {
        Some(c) => Box::new(GpuEngine::new(c).with_options(GpuGdOptions {
            strategy: args.engine.gpu.strategy,
            memory_budget: args.engine.gpu.memory_budget,
            chunk: None,
        })),
        None => Box::new(CpuEngine),
    };
    match suite {
        Some(s) => run_suite(args, s, engine.as_ref()),
        None => run_one(args, engine.as_ref()),
    }
}

fn config_for(
    args: &ValidateArgs,
    features: Features,
    alpha: LearningRate,
    qs: Vec<u64>,
) -> Result<ValidateConfig> {
    let y = args.train.signal.values(&features.x())?;
    let (n, m) = (features.n(), features.m());
    let is_design = features.design().is_some();
    let study = StudyConfig::new(features, y, alpha, qs).with_signal(args.train.signal.label());
    let mut cfg = ValidateConfig::new(study);
    cfg.safety = SAFETY * args.tol_scale;
    if let Some(k) = args.eval_points {
        if k < 2 {
            bail!("--eval-points = {k}: give at least 2 points");
        }
        cfg.eval_points = gdshrink::model::grid::linspace(k);
    }
    cfg.reference = args.reference;
    cfg.k = args.k;
    let streamed = args
        .reference
        .resolve_for(is_design, (n, m), cfg.eval_points.len(), args.k)?
        != ReferenceRoute::Dense;
    cfg.cpu_check_q_max = match args.cpu_check {
        None if streamed => None,
        None => Some(default_cpu_check_q_max(n, m)),
        Some(CpuCheck::UpTo(q)) => Some(q),
        Some(CpuCheck::All) => Some(u64::MAX),
        Some(CpuCheck::None) => None,
    };
    Ok(cfg)
}

fn run_one(args: &ValidateArgs, engine: &dyn Engine) -> Result<()> {
    let features = match &args.design {
        Some(path) => crate::args::design_features(path)?,
        None => args.model.design()?.into(),
    };
    let alpha = args.train.learning_rate();
    let cfg = config_for(args, features, alpha, args.train.q.values().to_vec())?;
    let report = validate(&cfg, engine, &Bars::new("validate"))?;
    let mut human = render(&report, args.show_directions);
    // The figure is written first; a failure to write it is reported after
    // the results are printed.
    let plotted = args.plot.as_ref().map(|path| {
        mask_figure(&report)
            .save(path)
            .with_context(|| format!("writing --plot {}", path.display()))
    });
    if let Some(Ok(files)) = &plotted {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let _ = writeln!(human, "wrote {}", names.join(", "));
    }
    let json = serde_json::to_value(&report)?;
    let cp_table = checkpoint_table(&report);
    let companions: Vec<(PathBuf, &gdshrink::output::Table)> = args
        .output
        .out
        .as_ref()
        .map(|out| vec![(sibling(out, "checkpoints"), &cp_table)])
        .unwrap_or_default();
    args.output
        .emit_with(&human, &json, &direction_table(&report), &companions)?;
    if let Some(Err(e)) = plotted {
        return Err(e);
    }
    verdict(std::slice::from_ref(&report))
}

/// The checks of `validate`'s own flags, before any work: values, flags
/// that do not apply to the mode, output paths and the resource plan (and,
/// on the GPU, its device plan, returned for the adapter's check).
fn preflight(args: &ValidateArgs, suite: Option<Suite>) -> Result<Option<DeviceNeed>> {
    if !(1e-6..=1e6).contains(&args.tol_scale) {
        bail!(
            "invalid --tol-scale = {:e}: give a factor from 1e-6 to 1e6",
            args.tol_scale
        );
    }
    if args.engine.device == Device::Cpu && args.engine.gpu.adapter.is_some() {
        bail!("--adapter chooses a GPU adapter: use it with --device gpu");
    }
    if args.engine.device == Device::Cpu && args.engine.gpu.memory_budget.is_some() {
        bail!("--memory-budget sizes the GPU's stored matrices: use it with --device gpu");
    }
    if suite.is_some() {
        for (given, flag) in [
            (args.plot.is_some(), "--plot"),
            (args.eval_points.is_some(), "--eval-points"),
        ] {
            if given {
                bail!(
                    "{flag} does not apply with --suite/--quick (each case has its own settings)"
                );
            }
        }
    }
    args.output.check()?;
    if let Some(p) = &args.plot {
        for ext in ["png", "svg"] {
            gdshrink::output::atomic::check_writable("--plot", &p.with_extension(ext))?;
        }
    }
    if suite.is_none() {
        let shape = &args.model.shape;
        let (mut plan, (n, m)) = crate::plan::dense_svd(shape, args.design.as_deref())?;
        // No evaluation grid for a user's matrix.
        let p = if args.design.is_some() {
            0
        } else {
            // The evaluation grid sizes a matrix and every solution kept.
            plan.hint = "use a smaller --n or --m, or fewer --eval-points (default 2N - 1)".into();
            args.eval_points.unwrap_or(2 * n - 1)
        };
        let q_max = args.train.q.values().last().copied().unwrap_or(0);
        crate::args::check_topk_k(args.reference, args.k, (n, m))?;
        let route = args
            .reference
            .resolve_for(args.design.is_none(), (n, m), p, args.k)
            .map_err(|e| anyhow::anyhow!("--reference {}: {e}", args.reference.name()))?;
        let plan = if route == ReferenceRoute::Dense {
            plan.host_f64("A on the evaluation grid", p, m)
        } else {
            let hint = "use a smaller --n or --m, or fewer --eval-points (default 2N - 1)";
            let cols = 2 * args.train.q.values().len();
            let mut streamed = if route == ReferenceRoute::TopK {
                gdshrink::resources::topk_reference_plan((n, m, p), cols, args.k, hint)
            } else {
                gdshrink::resources::streamed_reference_plan((n, m, p), cols, STREAM_BLOCK, hint)
            };
            // The f64 CPU engine (and its sanity line) store A and A_e.
            if args.engine.device == Device::Cpu
                || matches!(args.cpu_check, Some(CpuCheck::UpTo(_) | CpuCheck::All))
            {
                streamed = streamed
                    .host_f64("A for the f64 CPU engine", n, m)
                    .host_f64("A on the evaluation grid for the f64 CPU engine", p, m);
            }
            // The dual strategy's rounded Gram matrix is formed over the
            // column blocks too: 2·N²·M more operations and an N×N matrix.
            if args.engine.device == Device::Gpu && args.engine.gpu.strategy == Strategy::Dual {
                streamed = streamed
                    .host_f64("the rounded Gram matrix (dual strategy)", n, n)
                    .ops(2.0 * (n as f64).powi(2) * m as f64);
            }
            streamed
        };
        let plan = crate::plan::with_solutions(plan, (n + p, m), &args.train.q, 6);
        let plan = crate::plan::gd_iterations(plan, (n, m), 1, q_max);
        let need = match args.engine.device {
            Device::Cpu => None,
            Device::Gpu => Some(crate::plan::device_need(&DeviceRequest {
                n,
                m,
                runs: 1,
                checkpoints: args.train.q.values().len(),
                eval_points: p,
                record_w: true,
                strategy: args.engine.gpu.strategy,
                budget: args.engine.gpu.memory_budget,
                recompute: args.design.is_none(),
                table_bytes: crate::plan::table_bytes(args.model.activation),
            })?),
        };
        let plan = need.iter().fold(plan, crate::plan::with_device);
        crate::plan::check("validate", &plan)?;
        return Ok(need);
    }
    Ok(None)
}

fn run_suite(args: &ValidateArgs, s: Suite, engine: &dyn Engine) -> Result<()> {
    let cases = suite::cases(s);
    let mut reports = Vec::with_capacity(cases.len());
    for (i, c) in cases.iter().enumerate() {
        let t0 = Instant::now();
        let design = Design::spec(c.activation)
            .sigma(c.sigma)
            .n(c.n)
            .m(c.m)
            .build()?;
        let cfg = config_for(args, design.into(), LearningRate::AUTO, c.qs.clone())?;
        let mut r = validate(&cfg, engine, &Bars::new("validate"))?;
        eprintln!(
            "[{}/{}] {} q<={}: {} ({:.1} s)",
            i + 1,
            cases.len(),
            r.design,
            c.qs.last().copied().unwrap_or(0),
            if r.passed { "pass" } else { "FAIL" },
            t0.elapsed().as_secs_f64()
        );
        r.directions.clear();
        reports.push(r);
    }
    let human = render_suite(s, &reports);
    let json = serde_json::json!({ "suite": s, "cases": reports });
    args.output.emit(&human, &json, &suite_table(&reports))?;
    verdict(&reports)
}

fn verdict(reports: &[ValidateReport]) -> Result<()> {
    let failures: Vec<_> = reports.iter().flat_map(|r| &r.failures).collect();
    match failures.first() {
        None => Ok(()),
        Some(first) => bail!(
            "validation failed: {} failed check(s); first: {}",
            failures.len(),
            first.message
        ),
    }
}

/// `results.csv` → `results-<tag>.csv`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}-{tag}.{ext}"),
        None => format!("{stem}-{tag}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_files() {
        assert_eq!(parse_cpu_check("all").unwrap(), CpuCheck::All);
        assert_eq!(parse_cpu_check("1e4").unwrap(), CpuCheck::UpTo(10_000));
        assert!(parse_cpu_check("x").is_err());
        assert_eq!(
            sibling(Path::new("d/r.csv"), "checkpoints"),
            PathBuf::from("d/r-checkpoints.csv")
        );
    }
}
