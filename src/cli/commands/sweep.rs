//! `gdshrink sweep FILE [KEY=V,…] [--out DIR]`: validates a sweep file, prints
//! its runs, groups and resource plan, and runs it (groups that share A as
//! batches, committed to a journal; resumable); `gdshrink sweep status DIR`.
//!
//! Exit status: 0 every run ok; 1 an error (bad file, refused plan, I/O);
//! 3 some runs failed (the rest ran); 75 stopped by SIGINT/SIGTERM/SIGUSR1
//! after committing the current group (run it again to resume); 130 a second
//! signal (exit at once; the group in flight is lost).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use gdshrink::gd::{CpuEngine, Engine, GdBatch, Problem};
use gdshrink::gpu::{GpuContext, GpuEngine, GpuGdOptions};
use gdshrink::output::table::TextTable;
use gdshrink::studies::sweep::plan::{GroupParams, design, q_max_estimate};
use gdshrink::studies::sweep::results::write_tables;
use gdshrink::studies::sweep::run::{ProgressState, check_resources, resource_lines};
use gdshrink::studies::sweep::state::read_plan;
use gdshrink::studies::sweep::{
    EngineSource, FolderState, Plan, RunOptions, SweepProgress, SweepSpec, prepare_folder,
    run_sweep, shard_groups,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::open_gpu;

/// Exit status when some runs failed.
pub const EXIT_FAILED_RUNS: i32 = 3;
/// Exit status when a signal stopped the sweep after a commit.
pub const EXIT_STOPPED: i32 = 75;
/// Exit status on a second signal.
pub const EXIT_SECOND_SIGNAL: i32 = 130;

/// Nominal speeds for the time estimate (flops/s): a conservative CPU and GPU.
const CPU_FLOPS: f64 = 2e9;
const GPU_FLOPS: f64 = 2e10;

/// Flags of `gdshrink sweep`.
#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Overrides: KEY=V1,V2 sets the axis KEY (replacing the file's values), \
    KEY+=V adds values to it, q=1,10,100 or q=log:1:1000:4 or k=1,2,4 replace the checkpoints.\n\
    Exit status: 0 all ok, 1 error, 3 some runs failed, 75 stopped by a signal after a commit \
    (run again to resume), 130 a second signal.\n\
    Example: gdshrink sweep examples/sweep.toml m=64,128 --out runs/widths"
)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub sub: Option<SweepSub>,
    /// The sweep file (TOML; see README "Sweeps").
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// Overrides KEY=VALUE[,VALUE…] (set an axis) or KEY+=VALUE[,VALUE…] (extend it).
    pub overrides: Vec<String>,
    /// Output folder (default: <file stem>.sweep in the current folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Validate and print the plan, run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// This process's share: k/K (1 <= k <= K), or auto (SLURM array or Kubernetes Indexed Job).
    #[arg(long)]
    pub shard: Option<String>,
    /// Start afresh in a folder whose plan has other settings (the old results are moved to discarded-<ns>/).
    #[arg(long)]
    pub restart: bool,
    /// Seconds between progress lines when stderr is not a terminal (batch logs).
    #[arg(long, default_value = "10")]
    pub progress_interval: f64,
    /// GPU adapter for groups with device = "gpu" (index or name substring).
    #[arg(long)]
    pub adapter: Option<String>,
}

/// `gdshrink sweep status`.
#[derive(Subcommand, Debug)]
pub enum SweepSub {
    /// Done, failed and pending runs of a sweep folder.
    Status {
        /// The sweep folder.
        dir: PathBuf,
    },
}

/// `k/K` (1-based) or `auto`, as (k − 1, K).
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return shard_from_env(&|k| std::env::var(k).ok());
    }
    let bad = || {
        anyhow::anyhow!(
            "invalid --shard '{s}': give k/K with whole numbers 1 <= k <= K (e.g. 2/4), or auto"
        )
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k - 1, n))
}

/// `--shard auto`: SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of
/// SLURM_ARRAY_TASK_COUNT, else JOB_COMPLETION_INDEX of JOB_COMPLETIONS
/// (Kubernetes Indexed Job; set JOB_COMPLETIONS to .spec.completions).
pub fn shard_from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<(usize, usize)> {
    let num = |k: &str| -> Result<Option<usize>> {
        var(k)
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .with_context(|| format!("--shard auto: {k}='{v}' is not a whole number"))
            })
            .transpose()
    };
    if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = num("SLURM_ARRAY_TASK_COUNT")?.context(
            "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not",
        )?;
        let k = id
            .checked_sub(min)
            .context("--shard auto: SLURM_ARRAY_TASK_ID < SLURM_ARRAY_TASK_MIN")?;
        if k >= count {
            bail!(
                "--shard auto: task {k} (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) >= SLURM_ARRAY_TASK_COUNT = {count}; use a contiguous array (--array=0-{})",
                count.saturating_sub(1)
            );
        }
        return Ok((k, count));
    }
    if let Some(k) = num("JOB_COMPLETION_INDEX")? {
        let count = num("JOB_COMPLETIONS")?.context("--shard auto: JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not (set it to the Job's .spec.completions)")?;
        if k >= count {
            bail!("--shard auto: JOB_COMPLETION_INDEX = {k} >= JOB_COMPLETIONS = {count}");
        }
        return Ok((k, count));
    }
    bail!(
        "--shard auto: neither SLURM_ARRAY_TASK_ID (SLURM job array) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give --shard k/K"
    )
}

/// Runs the command.
pub fn run(args: &SweepArgs) -> Result<()> {
    if let Some(SweepSub::Status { dir }) = &args.sub {
        return status(dir);
    }
    let Some(file) = &args.file else {
        bail!("give a sweep file: gdshrink sweep FILE");
    };
    let shard = args.shard.as_deref().map_or(Ok((0, 1)), parse_shard)?;
    if !(args.progress_interval.is_finite() && args.progress_interval > 0.0) {
        bail!(
            "invalid --progress-interval {}: give a number of seconds > 0",
            args.progress_interval
        );
    }
    // Errors of the file, its overrides and its plan name the file.
    let read = || -> Result<Plan> {
        let mut spec = SweepSpec::read(file)?;
        spec.apply_overrides(&args.overrides)?;
        Ok(Plan::from_spec(&spec)?)
    };
    let in_file = || format!("sweep file {}", file.display());
    let plan = read().with_context(in_file)?;
    print_plan(&plan, shard);
    check_resources(&plan).with_context(in_file)?;
    if args.dry_run {
        // The engine's own plan when a GPU can be opened; the rules above otherwise.
        if plan.groups.iter().any(|g| g.params.device == "gpu") {
            match open_gpu(args.adapter.as_deref()) {
                Ok(ctx) => print_engine_plans(&plan, &ctx)?,
                Err(e) => println!(
                    "engine plan: no GPU opened ({e}); device plan from the sweep's rules above"
                ),
            }
        }
        println!("dry run: nothing was run");
        return Ok(());
    }
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}.sweep",
            file.file_stem()
                .map_or("sweep".into(), |s| s.to_string_lossy())
        ))
    });
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let header = if args.overrides.is_empty() {
        String::new()
    } else {
        format!("# overrides: {}\n", args.overrides.join(" "))
    };
    prepare_folder(&dir, &plan, &format!("{header}{text}"), args.restart)?;

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGUSR1,
    ] {
        // The first signal sets `stop`; a second one (stop already set) exits at once.
        signal_hook::flag::register_conditional_shutdown(
            sig,
            EXIT_SECOND_SIGNAL,
            Arc::clone(&stop),
        )?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let engines = Engines::new(&plan, args.adapter.as_deref())?;
    if let Some(ctx) = &engines.ctx {
        print_engine_plans(&plan, ctx)?;
    }
    let progress = Reporter::new(args.progress_interval);
    let started = Instant::now();
    let opts = RunOptions { shard, stop: &stop };
    let summary = run_sweep(&plan, &dir, opts, &engines, &progress)?;
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let state = FolderState::read(&dir)?;
    let mut rows = state.rows_of(&plan);
    write_tables(&dir, &mut rows)?;
    let p = summary.progress;
    println!(
        "summary: computed={} skipped={} failed={} groups={} interrupted={} time={elapsed:.3}s runs/s={:.3} steps/s={:.4e}",
        p.runs_done,
        summary.runs_skipped,
        summary.runs_failed,
        p.groups_done,
        summary.interrupted,
        p.runs_done as f64 / elapsed.max(1e-9),
        p.steps as f64 / elapsed.max(1e-9),
    );
    println!(
        "results: {} rows in {} and {}{}",
        rows.len(),
        dir.join("results.parquet").display(),
        dir.join("results.csv").display(),
        if plan.settings.arrays.is_empty() {
            String::new()
        } else {
            format!(
                "; arrays ({}) in {}",
                plan.settings.arrays.join(", "),
                dir.join("arrays").display()
            )
        }
    );
    if summary.interrupted {
        eprintln!("stopped by a signal after committing; run the same command again to resume");
        std::process::exit(EXIT_STOPPED);
    }
    if summary.runs_failed > 0 {
        eprintln!(
            "{} run(s) failed (see above and `gdshrink sweep status {}`)",
            summary.runs_failed,
            dir.display()
        );
        std::process::exit(EXIT_FAILED_RUNS);
    }
    Ok(())
}

fn print_plan(plan: &Plan, shard: (usize, usize)) {
    let cps = match (&plan.settings.q, &plan.settings.k) {
        (Some(q), _) => format!("q = {q:?}"),
        (None, Some(k)) => format!("q = q(K) per group for K = {k:?}"),
        (None, None) => String::new(),
    };
    println!(
        "sweep: {} runs in {} groups (runs sharing A); checkpoints {cps}",
        plan.runs(),
        plan.groups.len()
    );
    let mut t = TextTable::new([
        "run_id",
        "group",
        "activation",
        "sigma",
        "N",
        "M",
        "device",
        "signal",
        "alpha",
    ]);
    let mut shown = 0;
    for g in &plan.groups {
        for r in &g.runs {
            if shown < 40 {
                t.row([
                    r.id[..12].to_string(),
                    g.id[..8].to_string(),
                    g.params.activation.clone(),
                    format!("{} ({})", g.params.sigma, g.sigma_rule),
                    g.params.n.to_string(),
                    g.params.m.to_string(),
                    format!("{}/{}", g.params.device, g.params.strategy),
                    r.signal.label(),
                    r.alpha.to_string(),
                ]);
            }
            shown += 1;
        }
    }
    print!("{}", t.render());
    if shown > 40 {
        println!("… {} more runs (all in plan.json)", shown - 40);
    }
    let mine: Vec<&str> = shard_groups(plan, shard.0, shard.1)
        .iter()
        .map(|g| g.id.as_str())
        .collect();
    println!("resource plan (per group; est. at {CPU_FLOPS:.0e} flop/s CPU, {GPU_FLOPS:.0e} GPU):");
    for (g, line) in plan.groups.iter().zip(resource_lines(plan, CPU_FLOPS)) {
        let speed = if g.params.device == "gpu" {
            CPU_FLOPS / GPU_FLOPS
        } else {
            1.0
        };
        let mark = if mine.contains(&g.id.as_str()) {
            "*"
        } else {
            " "
        };
        let (first, rest) = line.split_once('\n').unwrap_or((line.as_str(), ""));
        println!(
            "{mark} {first} ({}{})",
            g.params.device,
            if speed < 1.0 { ", time /10" } else { "" }
        );
        if !rest.is_empty() {
            println!("{rest}");
        }
    }
    if shard.1 > 1 {
        println!(
            "shard {}/{}: {} of {} groups (marked *)",
            shard.0 + 1,
            shard.1,
            mine.len(),
            plan.groups.len()
        );
    }
}

/// The GPU engine's own plan of each GPU group (strategy resolved, and why),
/// for a batch of all the group's runs.
fn print_engine_plans(plan: &Plan, ctx: &GpuContext) -> Result<()> {
    let s = &plan.settings;
    for g in plan.groups.iter().filter(|g| g.params.device == "gpu") {
        let d = design(&g.params)?;
        let b = g.runs.len().clamp(1, 4096);
        let batch = GdBatch {
            y: vec![vec![0.0; d.n()]; b],
            alpha: vec![1.0; b],
            checkpoints: s.q.clone().unwrap_or_else(|| vec![q_max_estimate(s)]),
            record_w: s.save_w(),
            eval_points: (s.heldout > 0).then(|| gdshrink::model::grid::midpoint(s.heldout)),
            w0: None,
            allow_unstable: s.allow_unstable,
        };
        let p = gpu_engine(ctx, &g.params)?.plan(&Problem::from_design(&d), &batch)?;
        println!(
            "engine plan {}: {} ({}; A stored: {})",
            &g.id[..8],
            p.strategy,
            p.reason,
            if p.store_a { "yes" } else { "no" }
        );
    }
    Ok(())
}

/// The GPU engine of a group: its strategy and memory budget.
fn gpu_engine<'c>(ctx: &'c GpuContext, params: &GroupParams) -> gdshrink::Result<GpuEngine<'c>> {
    Ok(GpuEngine::new(ctx).with_options(GpuGdOptions {
        strategy: params.strategy.parse()?,
        memory_budget: params.memory_budget,
        chunk: None,
    }))
}

/// Done, failed and pending runs of a folder.
fn status(dir: &Path) -> Result<()> {
    let plan = read_plan(dir)?
        .with_context(|| format!("{} is not a sweep folder (no plan.json)", dir.display()))?;
    let state = FolderState::read(dir)?;
    let t = state.tally(&plan);
    println!(
        "{}: {} runs in {} groups: {} done, {} failed, {} pending ({} journals{})",
        dir.display(),
        plan.runs(),
        plan.groups.len(),
        t.done.len(),
        t.failed.len(),
        t.pending.len(),
        state.journals,
        if state.ignored_bytes > 0 {
            format!(", {} bytes of torn records ignored", state.ignored_bytes)
        } else {
            String::new()
        }
    );
    let named = gdshrink::studies::sweep::arrays::referenced(&state, &plan);
    if let Ok(entries) = std::fs::read_dir(dir.join("arrays")) {
        let files: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "npy"))
            .filter_map(|p| {
                p.file_name()
                    .map(|n| format!("arrays/{}", n.to_string_lossy()))
            })
            .collect();
        let unnamed = files.iter().filter(|f| !named.contains_key(*f)).count();
        println!(
            "arrays: {} files, {} named by committed rows{}",
            files.len(),
            files.len() - unnamed,
            if unnamed > 0 {
                format!(", {unnamed} from groups stopped before their commit (ignored)")
            } else {
                String::new()
            }
        );
    }
    for (id, why) in &t.failed {
        println!("failed {id}: {why}");
    }
    for d in &state.disagreements {
        println!("{d}");
    }
    Ok(())
}

/// The engines of a sweep: the CPU engine, and the GPU when a group asks for it.
struct Engines {
    ctx: Option<GpuContext>,
}

impl Engines {
    fn new(plan: &Plan, adapter: Option<&str>) -> Result<Self> {
        let ctx = if plan.groups.iter().any(|g| g.params.device == "gpu") {
            Some(open_gpu(adapter)?)
        } else {
            None
        };
        Ok(Engines { ctx })
    }
}

impl EngineSource for Engines {
    fn engine(&self, params: &GroupParams) -> gdshrink::Result<Box<dyn Engine + '_>> {
        match (params.device.as_str(), &self.ctx) {
            ("gpu", Some(ctx)) => Ok(Box::new(gpu_engine(ctx, params)?)),
            ("gpu", None) => Err(gdshrink::Error::invalid(
                "device",
                "gpu",
                "a GPU adapter (none was opened)",
            )),
            _ => Ok(Box::new(CpuEngine)),
        }
    }
}

/// Progress: a bar on a terminal, plain lines at a steady interval otherwise.
struct Reporter {
    bar: Option<ProgressBar>,
    interval: f64,
    last: std::sync::Mutex<Option<Instant>>,
}

impl Reporter {
    fn new(interval: f64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let pb = ProgressBar::new(0);
            if let Ok(s) = ProgressStyle::with_template(
                "sweep [{elapsed_precise}] {wide_bar} {pos}/{len} runs {msg}",
            ) {
                pb.set_style(s);
            }
            pb
        });
        Reporter {
            bar,
            interval,
            last: std::sync::Mutex::new(None),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Estimated seconds left, from the time per run so far ("-" before the first group).
fn eta(p: &ProgressState) -> String {
    if p.runs_done == 0 {
        return "-".into();
    }
    format!(
        "{:.0} s",
        p.elapsed_s / p.runs_done as f64 * (p.runs_total - p.runs_done) as f64
    )
}

impl SweepProgress for Reporter {
    fn update(&self, p: &ProgressState) {
        let sps = p.steps as f64 / p.elapsed_s.max(1e-9);
        let msg = format!(
            "groups {}/{}, {sps:.3e} steps/s, eta {}",
            p.groups_done,
            p.groups_total,
            eta(p)
        );
        if let Some(b) = &self.bar {
            b.set_length(p.runs_total as u64);
            b.set_position(p.runs_done as u64);
            b.set_message(msg);
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|t| t.elapsed().as_secs_f64() >= self.interval)
            || p.groups_done == p.groups_total;
        if due {
            eprintln!(
                "progress: runs {}/{}, {msg}, elapsed {:.1} s",
                p.runs_done, p.runs_total, p.elapsed_s
            );
            *last = Some(Instant::now());
        }
    }

    fn note(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}
