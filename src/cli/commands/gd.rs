//! `gdshrink gd`: full-batch gradient descent, literally iterated,
//! w_{q+1} = w_q + α Aᵀ(y − A w_q) from w_0 = 0, on the CPU (f64 reference,
//! [`gdshrink::cpu_gd`]) or the GPU (f32, [`gdshrink::gpu::run_gd`]); a
//! progress bar on stderr (iterations done) when stderr is a terminal.
//!
//! Runs: every (signal, α) pair of `--signal` × `--alpha`, signal-major
//! (run = signal_index · #alphas + alpha_index), all in one batch on one A.
//! α ≥ 2/s_max² is refused unless `--allow-unstable`; a run that diverges or
//! produces NaN is reported by run and iteration, everything recorded before
//! it is still printed and written, and the exit status is non-zero.
//!
//! With `--design FILE.npy` the problem is a user's matrix A instead of the
//! network (x = linspace(N) for the signals, linspace(M) in the `b` column).
//!
//! `--out` layout (columns, NaN-padded to the longest block; b = run, q = checkpoint):
//! * N rows: `x`, `y_r{b}` per run, `f_r{b}_q{q}` per run and checkpoint (run-major);
//! * M rows (with `--record-w`): `b`, `w_r{b}_q{q}`;
//! * P rows (with `--eval-points P`): `x_eval`, `feval_r{b}_q{q}`;
//! * one row per checkpoint: `q`, `loss_r{b}` per run.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::error::Error;
use gdshrink::gd::{
    CpuEngine, Engine, GdBatch, Problem, RunStatus, Trajectory, half_sq_residual, nt_from_alpha,
};
use gdshrink::gpu::{GpuContext, GpuEngine, GpuGdOptions, Strategy};
use gdshrink::model::grid::linspace;
use gdshrink::output::Table;
use gdshrink::resources::device::DeviceRequest;
use gdshrink::spectral::largest_singular_value;
use serde_json::{Map, Value, json};

use crate::args::{BatchArgs, Device, ModelArgs, RunSpec, open_gpu, parse_eval_points, parse_lib};
use crate::output::{OutputArgs, base_json, header};
use crate::progress::{Bars, spinner};
use gdshrink::output::table::{TextTable, num};

/// Flags of `gdshrink gd`.
#[derive(Args, Debug)]
#[command(after_help = "Runs: every (--signal, --alpha) pair, signal-major \
    (run = signal_index * #alphas + alpha_index), in one batch on one A.\n\
    Example: gdshrink gd -a tanh --signal blocks,doppler --alpha auto,1e-5 --q 10,100,1000 --out gd.npy")]
pub struct GdArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Where to iterate: cpu (f64 reference) or gpu (f32, wgpu).
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: Device,
    /// GPU strategy (--device gpu only): auto, primal, dual or matrix-free.
    #[arg(long, value_parser = parse_lib::<Strategy>)]
    pub strategy: Option<Strategy>,
    /// GPU adapter (--device gpu only): index or name substring from `gdshrink devices`
    /// (default: $GDSHRINK_ADAPTER, then the best adapter).
    #[arg(long)]
    pub adapter: Option<String>,
    /// Device memory, bytes, that stored matrices (A, K or G) may use (--device
    /// gpu only; default 2 GiB: wgpu cannot query it); with --strategy auto, a
    /// run whose A does not fit goes without A (matrix-free).
    #[arg(long, value_name = "BYTES", value_parser = crate::args::parse_memory_budget)]
    pub memory_budget: Option<u64>,
    /// Also evaluate f_q on P evenly spaced points of [0, 1] (p/(P−1), the evaluation grid).
    #[arg(long, value_name = "P", value_parser = parse_eval_points)]
    pub eval_points: Option<usize>,
    /// Also record the weights w_q at every checkpoint.
    #[arg(long)]
    pub record_w: bool,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags: built-in signals are taken on
    /// x = linspace(N); --eval-points and --strategy matrix-free need a network.
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid", "eval_points"])]
    pub design: Option<std::path::PathBuf>,
    /// Run even with alpha >= 2/s_max^2; divergence is then reported (non-zero exit)
    /// with every checkpoint before it.
    #[arg(long)]
    pub allow_unstable: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(args: &GdArgs) -> Result<()> {
    if args.device == Device::Cpu
        && (args.strategy.is_some() || args.adapter.is_some() || args.memory_budget.is_some())
    {
        bail!(
            "--strategy, --adapter and --memory-budget choose how the GPU runs: use them with --device gpu"
        );
    }
    args.output.check()?;
    let need = match args.device {
        Device::Cpu => None,
        Device::Gpu => Some(crate::plan::device_need(&device_request(args)?)?),
    };
    if args.design.is_none() {
        let p = need.iter().fold(plan(args), crate::plan::with_device);
        crate::plan::check("gd", &p)?;
    }
    let ctx = match args.device {
        Device::Cpu => None,
        Device::Gpu => Some(open_gpu(args.adapter.as_deref())?),
    };
    if let (Some(ctx), Some(need)) = (&ctx, &need) {
        crate::plan::check_adapter("gd", need, ctx)?;
    }
    // A user's matrix (--design FILE.npy) or the network of the flags.
    let (design, user_a) = match &args.design {
        Some(path) => (None, Some(crate::args::read_design("gd", path, false)?)),
        None => (Some(args.model.design()?), None),
    };
    let (n, m) = match (&design, &user_a) {
        (Some(d), _) => (d.n(), d.m()),
        (None, Some(a)) => (a.nrows(), a.ncols()),
        (None, None) => unreachable!("a design or a matrix"),
    };
    let x = design
        .as_ref()
        .map_or_else(|| linspace(n), |d| d.x().to_vec());
    let b_pts = design
        .as_ref()
        .map_or_else(|| linspace(m), |d| d.b().to_vec());
    let runs = args.batch.runs();
    // Targets first: a bad signal file fails before any heavy work.
    let ys: Vec<Vec<f64>> = args
        .batch
        .signal
        .iter()
        .map(|s| s.values(&x))
        .collect::<gdshrink::Result<_>>()?;
    let sp = spinner(&format!("s_max of A ({n} x {m}, Lanczos)"));
    let a = match (user_a, &design) {
        (Some(a), _) => a,
        (None, Some(d)) => d.matrix(),
        (None, None) => unreachable!("a design or a matrix"),
    };
    let s_max = largest_singular_value(a.as_ref())?;
    sp.finish_and_clear();
    let alphas: Vec<f64> = runs
        .iter()
        .map(|r| r.alpha.resolve(s_max, n))
        .collect::<gdshrink::Result<_>>()?;
    let eval_points = args.eval_points.map(linspace);
    let batch = GdBatch {
        y: runs.iter().map(|r| ys[r.signal_index].clone()).collect(),
        alpha: alphas.clone(),
        checkpoints: args.batch.q.values().to_vec(),
        record_w: args.record_w,
        eval_points: eval_points.clone(),
        w0: None,
        allow_unstable: args.allow_unstable,
    };

    let engine: Box<dyn Engine + '_> = match &ctx {
        None => Box::new(CpuEngine),
        Some(ctx) => Box::new(GpuEngine::new(ctx).with_options(GpuGdOptions {
            strategy: args.strategy.unwrap_or_default(),
            memory_budget: args.memory_budget,
            chunk: None,
        })),
    };
    let mut problem = match &design {
        Some(d) => Problem::from_design(d),
        None => Problem::from_matrix(a.as_ref()),
    }
    .with_s_max(s_max);
    if engine.needs_host_matrix() {
        problem = problem.with_matrix(a.as_ref());
    }
    let started = Instant::now();
    let result = engine.run(&problem, &batch, &Bars::new("gradient descent"));
    let elapsed = started.elapsed().as_secs_f64();
    // A run that diverged still hands back everything computed before it.
    let traj = match result {
        Ok(t) => t,
        Err(Error::Diverged {
            partial: Some(t), ..
        }) => *t,
        Err(e) => return Err(e.into()),
    };

    let report = Report {
        args,
        design: design.as_ref(),
        x: &x,
        b: &b_pts,
        runs: &runs,
        alphas: &alphas,
        s_max,
        eval_points: eval_points.as_deref(),
        ctx: ctx.as_ref(),
        elapsed,
        traj: &traj,
        ys: &batch.y,
    };
    args.output
        .emit(&report.human(), &report.json(), &report.table())?;
    failure(args, &runs, &alphas, traj)
}

/// The GPU batch of `gd` for its device plan: every (signal, α) run, the
/// checkpoints, w when recorded, the evaluation grid.
fn device_request(args: &GdArgs) -> Result<DeviceRequest> {
    let (n, m) = match &args.design {
        Some(path) => crate::args::design_shape(path)?,
        None => crate::plan::sizes(&args.model.shape),
    };
    Ok(DeviceRequest {
        n,
        m,
        runs: args.batch.signal.len() * args.batch.alpha.len(),
        checkpoints: args.batch.q.values().len(),
        eval_points: args.eval_points.unwrap_or(0),
        record_w: args.record_w,
        strategy: args.strategy.unwrap_or_default(),
        budget: args.memory_budget,
        recompute: args.design.is_none(),
        table_bytes: crate::plan::table_bytes(args.model.activation),
    })
}

/// What the run needs on the host, and its operation count: A (built for
/// s_max on every device), the evaluation matrix (CPU), the iterate, and
/// every checkpoint kept for the output (f, w, f on the evaluation grid,
/// per run, and the `--out` table that holds them again).
fn plan(args: &GdArgs) -> gdshrink::resources::Plan {
    let shape = &args.model.shape;
    let (n, m) = crate::plan::sizes(shape);
    let runs = args.batch.signal.len() * args.batch.alpha.len();
    let qs = args.batch.q.values();
    let q_max = qs.last().copied().unwrap_or(0);
    let p = args.eval_points.unwrap_or(0);
    let mut plan = crate::plan::dense(shape, false);
    // Besides N and M, the runs, the checkpoints and the evaluation grid
    // size what is kept.
    plan.hint = "use a smaller --n or --m, fewer --eval-points, fewer --signal x --alpha runs \
                 or fewer --q checkpoints"
        .into();
    if args.device == Device::Cpu && p > 0 {
        plan = plan.host_f64("A on the evaluation grid", p, m);
    }
    let per_cp = n + if args.record_w { m } else { 0 } + p;
    let kept = 2.0 * 8.0 * per_cp as f64 * runs as f64 * qs.len() as f64;
    plan = plan.host(format!("{} checkpoints of {runs} run(s)", qs.len()), kept);
    // s_max by Lanczos: a few hundred products with A and Aᵀ.
    crate::plan::gd_iterations(plan, (n, m), runs, q_max).ops(400.0 * n as f64 * m as f64)
}

/// The error of a batch in which a run failed (everything before it was output).
fn failure(args: &GdArgs, runs: &[RunSpec], alphas: &[f64], traj: Trajectory) -> Result<()> {
    let failed = traj.status.iter().filter(|s| !s.is_ok()).count();
    match traj.into_result() {
        Ok(_) => Ok(()),
        Err(Error::Diverged {
            run,
            iteration,
            detail,
            ..
        }) => {
            let r = &runs[run];
            bail!(
                "run {run} (signal {}, alpha = {:e}) diverged at iteration {iteration}: {detail}; \
                 {failed} of {} runs failed; every checkpoint recorded before the failure was output{}",
                r.signal.label(),
                alphas[run],
                runs.len(),
                args.output.out.as_ref().map_or(String::new(), |p| format!(
                    " (and written to {})",
                    p.display()
                ))
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything one `gd` invocation outputs.
struct Report<'a> {
    args: &'a GdArgs,
    /// The network (None with --design FILE.npy).
    design: Option<&'a gdshrink::Design>,
    /// The samples (linspace(N) for a user's matrix) and the biases (linspace(M)).
    x: &'a [f64],
    b: &'a [f64],
    runs: &'a [RunSpec],
    alphas: &'a [f64],
    s_max: f64,
    eval_points: Option<&'a [f64]>,
    ctx: Option<&'a GpuContext>,
    elapsed: f64,
    traj: &'a Trajectory,
    ys: &'a [Vec<f64>],
}

impl Report<'_> {
    fn device(&self) -> &'static str {
        match self.args.device {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        }
    }

    fn status_text(s: &RunStatus) -> String {
        match s {
            RunStatus::Ok => "ok".into(),
            RunStatus::NonFinite { iteration } => format!("NaN/inf at iteration {iteration}"),
            RunStatus::Diverged { iteration, growth } => {
                format!(
                    "diverged at iteration {iteration} (x{} per step)",
                    num(*growth)
                )
            }
        }
    }

    fn human(&self) -> String {
        let n = self.x.len();
        let mut what = match (self.design, &self.args.design) {
            (Some(d), _) => self.args.model.line(d),
            (None, path) => format!(
                "matrix A: {} ({n} x {}), user-supplied",
                path.as_deref()
                    .unwrap_or(std::path::Path::new("-"))
                    .display(),
                self.b.len()
            ),
        };
        if let Some(ctx) = self.ctx {
            let _ = write!(what, "\nadapter: {}", ctx.describe());
        }
        let _ = write!(
            what,
            "\ns_max = {}, stability limit 2/s_max^2 = {}; {} run(s) (signal x alpha, signal-major), time {:.3} s{}",
            num(self.s_max),
            num(2.0 / (self.s_max * self.s_max)),
            self.runs.len(),
            self.elapsed,
            match self.ctx {
                Some(c) if c.is_software() => " (software adapter: says nothing about a GPU)",
                _ => "",
            }
        );
        let mut out = header("gd", &self.traj.engine.name, &what);
        let mut t = TextTable::new([
            "run",
            "signal",
            "alpha",
            "alpha rule",
            "alpha*s_max^2",
            "NT eta",
            "status",
        ]);
        for (b, r) in self.runs.iter().enumerate() {
            t.row([
                b.to_string(),
                r.signal.label(),
                num(self.alphas[b]),
                r.alpha.rule(),
                num(self.alphas[b] * self.s_max * self.s_max),
                num(nt_from_alpha(self.alphas[b], n)),
                self.traj
                    .status
                    .get(b)
                    .map_or("-".into(), Self::status_text),
            ]);
        }
        out.push_str(&t.render());
        out.push('\n');
        let mut t = TextTable::new(["run", "q", "loss", "loss/loss_0"]);
        for (b, y) in self.ys.iter().enumerate() {
            let loss0 = half_sq_residual(y, &vec![0.0; y.len()]);
            for cp in &self.traj.checkpoints {
                let l = cp.loss.get(b).copied().unwrap_or(f64::NAN);
                t.row([
                    b.to_string(),
                    cp.q.to_string(),
                    num(l),
                    num(if loss0 > 0.0 { l / loss0 } else { f64::NAN }),
                ]);
            }
        }
        out.push_str(&t.render());
        out.push_str(
            "loss = 1/2 ||y - A w_q||^2, loss_0 = 1/2 ||y||^2; f_q (and w_q, f on the evaluation grid) in --json / --out\n",
        );
        out
    }

    fn json(&self) -> Value {
        let n = self.x.len();
        let mut j = base_json("gd", &self.traj.engine.name);
        match (self.design, &self.args.design) {
            (Some(d), _) => j.extend(self.args.model.json(d)),
            (None, path) => {
                j.insert("design_file".into(), json!(path));
                j.insert("n".into(), json!(n));
                j.insert("m".into(), json!(self.b.len()));
            }
        }
        j.insert("device".into(), json!(self.device()));
        j.insert(
            "adapter".into(),
            self.ctx.map_or(Value::Null, |c| json!(c.adapter())),
        );
        j.insert(
            "strategy".into(),
            match self.args.device {
                Device::Gpu => json!(self.args.strategy.unwrap_or_default().to_string()),
                Device::Cpu => Value::Null,
            },
        );
        j.insert("s_max".into(), json!(self.s_max));
        j.insert(
            "stability_limit".into(),
            json!(2.0 / (self.s_max * self.s_max)),
        );
        j.insert("elapsed_s".into(), json!(self.elapsed));
        j.insert(
            "ok".into(),
            json!(self.traj.status.iter().all(RunStatus::is_ok)),
        );
        j.insert(
            "signal".into(),
            json!(
                self.args
                    .batch
                    .signal
                    .iter()
                    .map(gdshrink::Signal::label)
                    .collect::<Vec<_>>()
            ),
        );
        j.insert("alpha".into(), json!(self.alphas));
        j.insert(
            "runs".into(),
            Value::Array(
                self.runs
                    .iter()
                    .enumerate()
                    .map(|(b, r)| {
                        let mut o = Map::new();
                        o.insert("run".into(), json!(b));
                        o.insert("signal".into(), json!(r.signal.label()));
                        o.insert("alpha".into(), json!(self.alphas[b]));
                        o.insert("alpha_rule".into(), json!(r.alpha.rule()));
                        o.insert(
                            "alpha_s_max_sq".into(),
                            json!(self.alphas[b] * self.s_max * self.s_max),
                        );
                        o.insert("eta_nt".into(), json!(nt_from_alpha(self.alphas[b], n)));
                        if let Some(Value::Object(st)) = self
                            .traj
                            .status
                            .get(b)
                            .and_then(|s| serde_json::to_value(s).ok())
                        {
                            o.extend(st);
                        }
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        let cps = &self.traj.checkpoints;
        let per_run = |get: &dyn Fn(&gdshrink::gd::Checkpoint, usize) -> Value| {
            Value::Array(
                (0..self.runs.len())
                    .map(|b| Value::Array(cps.iter().map(|c| get(c, b)).collect()))
                    .collect(),
            )
        };
        j.insert(
            "q".into(),
            json!(cps.iter().map(|c| c.q).collect::<Vec<_>>()),
        );
        j.insert("q_requested".into(), json!(self.args.batch.q.values()));
        j.insert("x".into(), json!(self.x));
        j.insert("y".into(), json!(self.ys));
        j.insert("loss".into(), per_run(&|c, b| json!(c.loss.get(b))));
        j.insert("f".into(), per_run(&|c, b| json!(c.f.get(b))));
        if self.args.record_w {
            j.insert("b".into(), json!(self.b));
            j.insert(
                "w".into(),
                per_run(&|c, b| json!(c.w.as_ref().and_then(|w| w.get(b)))),
            );
        }
        if let Some(p) = self.eval_points {
            j.insert("eval_points".into(), json!(p));
            j.insert(
                "f_eval".into(),
                per_run(&|c, b| json!(c.f_eval.as_ref().and_then(|f| f.get(b)))),
            );
        }
        Value::Object(j)
    }

    fn table(&self) -> Table {
        let cps = &self.traj.checkpoints;
        let nb = self.runs.len();
        let mut t = Table::new().with("x", self.x.to_vec());
        for (b, y) in self.ys.iter().enumerate() {
            t.push(format!("y_r{b}"), y.clone());
        }
        let nan = |len: usize| vec![f64::NAN; len];
        for b in 0..nb {
            for c in cps {
                t.push(
                    format!("f_r{b}_q{}", c.q),
                    c.f.get(b).cloned().unwrap_or_else(|| nan(self.x.len())),
                );
            }
        }
        if self.args.record_w {
            t.push("b", self.b.to_vec());
            for b in 0..nb {
                for c in cps {
                    t.push(
                        format!("w_r{b}_q{}", c.q),
                        c.w.as_ref()
                            .and_then(|w| w.get(b).cloned())
                            .unwrap_or_else(|| nan(self.b.len())),
                    );
                }
            }
        }
        if let Some(p) = self.eval_points {
            t.push("x_eval", p.to_vec());
            for b in 0..nb {
                for c in cps {
                    t.push(
                        format!("feval_r{b}_q{}", c.q),
                        c.f_eval
                            .as_ref()
                            .and_then(|f| f.get(b).cloned())
                            .unwrap_or_else(|| nan(p.len())),
                    );
                }
            }
        }
        t.push("q", cps.iter().map(|c| c.q as f64).collect());
        for b in 0..nb {
            t.push(
                format!("loss_r{b}"),
                cps.iter()
                    .map(|c| c.loss.get(b).copied().unwrap_or(f64::NAN))
                    .collect(),
            );
        }
        t
    }
}
