//! `gdshrink validate`: GD on the GPU (or the f64 CPU reference) checked
//! against the closed-form gd_exact prediction at every checkpoint; the
//! `--suite` variants run fixed lists of configurations. Non-zero exit when
//! any check fails. The library does the work ([`gdshrink::validate`]); this
//! file parses flags and renders tables, files and the m̂-vs-m figure.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use gdshrink::gd::{CpuEngine, Engine, LearningRate, Precision, parse_iterations};
use gdshrink::gpu::{GpuContext, GpuEngine};
use gdshrink::model::Design;
use gdshrink::output::Table;
use gdshrink::output::table::sci;
use gdshrink::precision::{RESOLVE, SAFETY};
use gdshrink::studies::StudyConfig;
use gdshrink::studies::validate::suite::{self, Suite};
use gdshrink::studies::validate::{
    CheckpointReport, DirectionRow, Measured, SpaceErrors, ValidateConfig, ValidateReport,
    default_cpu_check_q_max, mask_figure, validate,
};

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
    #[arg(long, value_name = "COUNT")]
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
    #[arg(long, default_value_t = 12)]
    pub show_directions: usize,
}

/// Runs the command.
pub fn run(args: &ValidateArgs) -> Result<()> {
    if !(args.tol_scale.is_finite() && args.tol_scale > 0.0) {
        bail!(
            "--tol-scale = {} is not usable: give a finite factor > 0",
            args.tol_scale
        );
    }
    let ctx = args.engine.context()?;
    let engine: Box<dyn Engine + '_> = match &ctx {
        Some(c) => Box::new(GpuEngine::new(c).with_strategy(args.engine.gpu.strategy)),
        None => Box::new(CpuEngine),
    };
    let suite = args.suite.or(args.quick.then_some(Suite::Ci));
    match suite {
        Some(s) => run_suite(args, s, engine.as_ref()),
        None => run_one(args, engine.as_ref()),
    }
}

fn config_for(
    args: &ValidateArgs,
    design: Design,
    alpha: LearningRate,
    qs: Vec<u64>,
) -> Result<ValidateConfig> {
    let y = args.train.signal.values(design.x())?;
    let (n, m) = (design.n(), design.m());
    let study = StudyConfig::new(design, y, alpha, qs).with_signal(args.train.signal.label());
    let mut cfg = ValidateConfig::new(study);
    cfg.safety = SAFETY * args.tol_scale;
    if let Some(k) = args.eval_points {
        if k < 2 {
            bail!("--eval-points = {k}: give at least 2 points");
        }
        cfg.eval_points = gdshrink::model::grid::linspace(k);
    }
    cfg.cpu_check_q_max = match args.cpu_check {
        None => Some(default_cpu_check_q_max(n, m)),
        Some(CpuCheck::UpTo(q)) => Some(q),
        Some(CpuCheck::All) => Some(u64::MAX),
        Some(CpuCheck::None) => None,
    };
    Ok(cfg)
}

fn run_one(args: &ValidateArgs, engine: &dyn Engine) -> Result<()> {
    let design = args.model.design()?;
    let alpha = args.train.learning_rate();
    let cfg = config_for(args, design, alpha, args.train.q.values().to_vec())?;
    let report = validate(&cfg, engine, &Bars::new("validate"))?;
    let mut human = render(&report, args.show_directions);
    if let Some(path) = &args.plot {
        let files = mask_figure(&report)
            .save(path)
            .with_context(|| format!("writing --plot {}", path.display()))?;
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let _ = writeln!(human, "wrote {}", names.join(", "));
    }
    let json = serde_json::to_value(&report)?;
    if let Some(out) = &args.output.out {
        let cp_path = sibling(out, "checkpoints");
        checkpoint_table(&report)
            .write(&cp_path)
            .with_context(|| format!("writing {}", cp_path.display()))?;
        let _ = writeln!(
            human,
            "wrote {} (one row per checkpoint)",
            cp_path.display()
        );
    }
    args.output.emit(&human, &json, &direction_table(&report))?;
    verdict(std::slice::from_ref(&report))
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
        let cfg = config_for(args, design, LearningRate::AUTO, c.qs.clone())?;
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

fn cell(m: &Measured) -> String {
    format!(
        "{:>9} {:>9} {:<4}",
        sci(m.err),
        sci(m.tol.rel),
        if m.ok { "ok" } else { "FAIL" }
    )
}

/// log-spaced direction indices 0, 1, 2, 3, 5, 8, … up to r − 1, at most `count`.
fn shown_directions(r: usize, count: usize) -> Vec<usize> {
    if r == 0 || count == 0 {
        return Vec::new();
    }
    let mut ks: Vec<usize> = (0..count)
        .map(|i| {
            let t = i as f64 / (count.max(2) - 1) as f64;
            (((r as f64).ln() * t).exp().round() as usize).saturating_sub(1)
        })
        .collect();
    ks.push(0);
    ks.sort_unstable();
    ks.dedup();
    ks.retain(|&k| k < r);
    ks
}

fn render(r: &ValidateReport, show: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "validate: {}, signal {}, alpha = {:.4e} (alpha*s_max^2 = {:.4}), s_max = {:.6e}",
        r.design, r.signal, r.alpha, r.alpha_s_max2, r.s_max
    );
    if r.engine.contains(&r.device) {
        let _ = writeln!(o, "engine:   {}", r.engine);
    } else {
        let _ = writeln!(o, "engine:   {} on {}", r.engine, r.device);
    }
    if let Some(d) = &r.divergence {
        let _ = writeln!(
            o,
            "\nDIVERGENT: alpha = {:.4e} >= 2/s_max^2 = {:.4e} (alpha*s_max^2 = {:.4})",
            d.alpha, d.limit, d.alpha_s_max2
        );
        let _ = writeln!(
            o,
            "  growth of ||y - A w|| per iteration: measured {} ({}), predicted |1 - alpha*s_max^2| = {:.6}",
            d.measured_growth
                .map_or("n/a".into(), |g| format!("{g:.6}")),
            d.source,
            d.predicted_growth
        );
        return o;
    }
    let md = &r.model;
    let _ = writeln!(
        o,
        "model:    {:?} {:?} sums, operator {:?}, u = {:.3e}, eps_A = {:.3e} ({:.1} u), eps_A(eval) = {:.3e}, safety {}, SVD backward error {:.2e}",
        md.precision,
        md.summation,
        md.operator,
        md.u,
        md.eps_a,
        md.eps_a / md.u,
        md.eps_a_eval,
        md.safety,
        md.problem.svd_backward_error
    );
    let _ = writeln!(
        o,
        "reference: gd_exact from the f64 thin SVD; eval grid {} points; f64 CPU sanity line {}",
        r.eval_points,
        match r.cpu_checked_to {
            Some(q) => format!("up to q = {q}"),
            None if r.model.precision == Precision::F64 => {
                "= the engine itself".into()
            }
            None => "not run".into(),
        }
    );
    let _ = writeln!(
        o,
        "\n{:>8} | {:^24} | {:^24} | {:^24} | {:^19} | {:^19} | {:>8}",
        "",
        "f at samples",
        "f on eval grid",
        "w (weight space)",
        "gd_flow - gd_exact",
        "f64 CPU vs exact",
        "m_hat"
    );
    let _ = writeln!(
        o,
        "{:>8} | {:>9} {:>9} {:<4} | {:>9} {:>9} {:<4} | {:>9} {:>9} {:<4} | {:>9} {:>9} | {:>9} {:>9} | {:>8}",
        "q", "err", "tol", "", "err", "tol", "", "err", "tol", "", "f", "w", "f", "w", "resolved"
    );
    for c in &r.checkpoints {
        let (cf, cw) = c
            .cpu
            .map_or(("-".into(), "-".into()), |x| (sci(x.f.err), sci(x.w.err)));
        let _ = writeln!(
            o,
            "{:>8} | {} | {} | {} | {:>9} {:>9} | {:>9} {:>9} | {:>8}",
            c.q,
            cell(&c.engine.f),
            cell(&c.engine.f_eval),
            cell(&c.engine.w),
            sci(c.flow_gap.f),
            sci(c.flow_gap.w),
            cf,
            cw,
            c.resolved
        );
    }
    let qs: Vec<u64> = r.checkpoints.iter().map(|c| c.q).collect();
    let rank = r.directions.iter().filter(|d| d.q == qs[0]).count();
    let ks = shown_directions(rank, show);
    if !ks.is_empty() && !qs.is_empty() {
        let _ = writeln!(
            o,
            "\nempirical mask m_hat_k = u_k^T f_q / u_k^T y next to m(s_k) = gd_exact; '-': not resolved (|u_k^T y| < {RESOLVE} E_f)"
        );
        let mut group = format!("{:>28}", "");
        let mut head = format!("{:>6} {:>10} {:>10}", "k", "s_k/s_0", "u_k^T y");
        for q in &qs {
            let _ = write!(group, " | {:^15}", format!("q = {q}"));
            let _ = write!(head, " | {:>7} {:>7}", "m", "m_hat");
        }
        let _ = writeln!(o, "{group}");
        let _ = writeln!(o, "{head}");
        for &k in &ks {
            let first = r.directions.iter().find(|d| d.q == qs[0] && d.k == k);
            let Some(d0) = first else { continue };
            let mut line = format!("{:>6} {:>10} {:>10}", k, sci(d0.s / r.s_max), sci(d0.uty));
            for q in &qs {
                if let Some(d) = r.directions.iter().find(|d| d.q == *q && d.k == k) {
                    // `+ 0.0` turns −0 into 0.
                    let mh = if d.resolved {
                        format!("{:.4}", d.m_hat + 0.0)
                    } else {
                        "-".into()
                    };
                    let _ = write!(line, " | {:>7.4} {:>7}", d.m_exact + 0.0, mh);
                }
            }
            let _ = writeln!(o, "{line}");
        }
    }
    let _ = writeln!(o);
    if r.passed {
        let _ = writeln!(
            o,
            "PASS: every checkpoint within the {:?} error model",
            r.model.precision
        );
    } else {
        let _ = writeln!(o, "FAIL: {} check(s)", r.failures.len());
        for f in &r.failures {
            let _ = writeln!(o, "  - {}", f.message);
        }
    }
    o
}

fn worst_ratio(r: &ValidateReport, pick: impl Fn(&SpaceErrors) -> Measured) -> f64 {
    r.checkpoints
        .iter()
        .map(|c| {
            let m = pick(&c.engine);
            m.err / m.tol.rel
        })
        .fold(0.0, |a, b| if b.is_nan() { f64::NAN } else { a.max(b) })
}

fn render_suite(s: Suite, reports: &[ValidateReport]) -> String {
    let mut o = String::new();
    let dev = reports.first().map_or(String::new(), |r| r.device.clone());
    let _ = writeln!(
        o,
        "validate --suite {s}: {} configurations on {dev}",
        reports.len()
    );
    let _ = writeln!(
        o,
        "{:<40} {:>8} | {:>9} {:>9} {:>9} | {:>9} {:>9} | {:>10} | result",
        "configuration", "q max", "f", "f eval", "w", "max f err", "max w err", "flow gap",
    );
    let _ = writeln!(
        o,
        "{:<40} {:>8} | {:^29} | {:^19} | {:>10} |",
        "", "", "worst err/tol", "(engine)", "at q max"
    );
    for r in reports {
        let last = r.checkpoints.last();
        let maxe =
            |pick: fn(&CheckpointReport) -> f64| r.checkpoints.iter().map(pick).fold(0.0, f64::max);
        let _ = writeln!(
            o,
            "{:<40} {:>8} | {:>9.3} {:>9.3} {:>9.3} | {:>9} {:>9} | {:>10} | {}",
            r.design,
            last.map_or(0, |c| c.q),
            worst_ratio(r, |s| s.f),
            worst_ratio(r, |s| s.f_eval),
            worst_ratio(r, |s| s.w),
            sci(maxe(|c| c.engine.f.err)),
            sci(maxe(|c| c.engine.w.err)),
            sci(last.map_or(f64::NAN, |c| c.flow_gap.f)),
            if r.passed { "pass" } else { "FAIL" }
        );
    }
    let failed: Vec<_> = reports.iter().filter(|r| !r.passed).collect();
    let _ = writeln!(o);
    if failed.is_empty() {
        let _ = writeln!(o, "PASS: all {} configurations", reports.len());
    } else {
        let _ = writeln!(
            o,
            "FAIL: {} of {} configurations",
            failed.len(),
            reports.len()
        );
        for r in failed {
            for f in &r.failures {
                let _ = writeln!(o, "  - {}: {}", r.design, f.message);
            }
        }
    }
    o
}

fn checkpoint_table(r: &ValidateReport) -> Table {
    let col = |f: &dyn Fn(&CheckpointReport) -> f64| -> Vec<f64> {
        r.checkpoints.iter().map(f).collect()
    };
    let cpu = |f: fn(&SpaceErrors) -> f64| col(&|c| c.cpu.as_ref().map_or(f64::NAN, f));
    Table::new()
        .with("q", col(&|c| c.q as f64))
        .with("f_err", col(&|c| c.engine.f.err))
        .with("f_tol", col(&|c| c.engine.f.tol.rel))
        .with("f_eval_err", col(&|c| c.engine.f_eval.err))
        .with("f_eval_tol", col(&|c| c.engine.f_eval.tol.rel))
        .with("w_err", col(&|c| c.engine.w.err))
        .with("w_tol", col(&|c| c.engine.w.tol.rel))
        .with("cpu_f_err", cpu(|s| s.f.err))
        .with("cpu_f_eval_err", cpu(|s| s.f_eval.err))
        .with("cpu_w_err", cpu(|s| s.w.err))
        .with("flow_gap_f", col(&|c| c.flow_gap.f))
        .with("flow_gap_f_eval", col(&|c| c.flow_gap.f_eval))
        .with("flow_gap_w", col(&|c| c.flow_gap.w))
        .with("loss", col(&|c| c.loss))
        .with("loss_exact", col(&|c| c.loss_exact))
        .with("resolved", col(&|c| c.resolved as f64))
        .with("mask_max_dev", col(&|c| c.mask_max_dev))
}

fn direction_table(r: &ValidateReport) -> Table {
    let col =
        |f: &dyn Fn(&DirectionRow) -> f64| -> Vec<f64> { r.directions.iter().map(f).collect() };
    Table::new()
        .with("q", col(&|d| d.q as f64))
        .with("k", col(&|d| d.k as f64))
        .with("s", col(&|d| d.s))
        .with("s_rel", col(&|d| d.s / r.s_max))
        .with("uty", col(&|d| d.uty))
        .with("m_exact", col(&|d| d.m_exact))
        .with("m_flow", col(&|d| d.m_flow))
        .with("m_hat", col(&|d| d.m_hat))
        .with("m_hat_cpu", col(&|d| d.m_hat_cpu))
        .with("resolved", col(&|d| f64::from(u8::from(d.resolved))))
        .with("tol", col(&|d| d.tol))
}

fn suite_table(reports: &[ValidateReport]) -> Table {
    let mut t = Table::new();
    let rows: Vec<(usize, &ValidateReport, &CheckpointReport)> = reports
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.checkpoints.iter().map(move |c| (i, r, c)))
        .collect();
    let col = |f: &dyn Fn(usize, &ValidateReport, &CheckpointReport) -> f64| {
        rows.iter()
            .map(|(i, r, c)| f(*i, r, c))
            .collect::<Vec<f64>>()
    };
    t.push("case", col(&|i, _, _| i as f64));
    t.push("n", col(&|_, r, _| r.n as f64));
    t.push("m", col(&|_, r, _| r.m as f64));
    t.push("q", col(&|_, _, c| c.q as f64));
    t.push("f_err", col(&|_, _, c| c.engine.f.err));
    t.push("f_tol", col(&|_, _, c| c.engine.f.tol.rel));
    t.push("f_eval_err", col(&|_, _, c| c.engine.f_eval.err));
    t.push("f_eval_tol", col(&|_, _, c| c.engine.f_eval.tol.rel));
    t.push("w_err", col(&|_, _, c| c.engine.w.err));
    t.push("w_tol", col(&|_, _, c| c.engine.w.tol.rel));
    t.push("flow_gap_f", col(&|_, _, c| c.flow_gap.f));
    t.push("passed", col(&|_, r, _| f64::from(u8::from(r.passed))));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_selection_and_flags() {
        assert_eq!(shown_directions(256, 12)[0], 0);
        assert_eq!(*shown_directions(256, 12).last().unwrap(), 255);
        assert!(shown_directions(256, 12).len() <= 13);
        assert_eq!(shown_directions(3, 12), vec![0, 1, 2]);
        assert_eq!(parse_cpu_check("all").unwrap(), CpuCheck::All);
        assert_eq!(parse_cpu_check("1e4").unwrap(), CpuCheck::UpTo(10_000));
        assert!(parse_cpu_check("x").is_err());
        assert_eq!(
            sibling(Path::new("d/r.csv"), "checkpoints"),
            PathBuf::from("d/r-checkpoints.csv")
        );
    }
}
