//! Running a plan: the groups of one shard, each as batches on one A (one
//! [`Engine::run`] per batch, B chosen from memory), committed to this
//! process's journal group by group; runs already committed are skipped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::arrays::{self, GroupArrays};
use super::device::{check_device, device_line, device_need, host_needs_a};
use super::journal::{JournalWriter, Record, writer_id};
use super::plan::{self, Group, GroupParams, Plan, Run, Settings, group_bytes, shard_groups};
use super::results::Row;
use super::state::FolderState;
use crate::error::{Error, Result};
use crate::gd::{Engine, GdBatch, NoProgress, Problem, RunStatus, Trajectory, rel_error};
use crate::model::grid::midpoint;
use crate::resources::{available_host_bytes, ensure_host_fits, format_bytes};
use crate::spectral::{
    gd_exact_masks, largest_singular_value, largest_singular_value_of_design, q_of_k, shrink,
    thin_svd,
};

/// Engines for the groups (the binary opens the GPU).
pub trait EngineSource {
    /// The engine for a group's `device` (`cpu`/`gpu`), `strategy` and
    /// `memory_budget`.
    fn engine(&self, params: &GroupParams) -> Result<Box<dyn Engine + '_>>;
}

/// Where a sweep stands, after each group.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProgressState {
    /// Groups of this shard finished (committed or failed) in this process.
    pub groups_done: usize,
    /// Groups of this shard with work to do.
    pub groups_total: usize,
    /// Runs finished in this process.
    pub runs_done: usize,
    /// Runs to compute in this process.
    pub runs_total: usize,
    /// Gradient-descent steps done (summed over runs).
    pub steps: u64,
    /// Seconds since the start.
    pub elapsed_s: f64,
}

/// Receives progress (the binary draws a bar or prints lines).
pub trait SweepProgress {
    /// After each group.
    fn update(&self, state: &ProgressState);
    /// A message (a failed group or run).
    fn note(&self, line: &str);
}

/// How to run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions<'a> {
    /// Shard `k` (0-based) of `count`.
    pub shard: (usize, usize),
    /// Set (by a signal handler) to stop between groups.
    pub stop: &'a AtomicBool,
}

/// What a run of [`run_sweep`] did.
#[derive(Clone, Debug, Default)]
pub struct SweepSummary {
    /// Progress at the end.
    pub progress: ProgressState,
    /// Runs of this shard already committed before (skipped).
    pub runs_skipped: usize,
    /// Runs computed now whose status is not ok, plus runs of failed groups.
    pub runs_failed: usize,
    /// Groups that failed as a whole (engine errors).
    pub groups_failed: usize,
    /// Stopped by `stop` before every group was done.
    pub interrupted: bool,
    /// The journal written (none when there was nothing to do).
    pub journal: Option<std::path::PathBuf>,
}

/// Refuses, before launch, a group whose A (and SVD) cannot fit in host
/// memory, or whose explicit GPU strategy cannot fit its device memory
/// budget ([`super::device::check_device`]), with both numbers.
///
/// # Errors
/// [`Error::TooLarge`] (host), [`Error::InvalidParameter`] (device).
pub fn check_resources(plan: &Plan) -> Result<()> {
    let s = &plan.settings;
    for g in &plan.groups {
        let (shared, per_run) = group_bytes(s, g, 1);
        let what = match (host_needs_a(s, g), s.closed_form || s.k.is_some()) {
            (true, true) => "A in f64 and its SVD",
            (true, false) => "A in f64",
            (false, _) => "no A on the host: matrix-free s_max",
        };
        ensure_host_fits(
            &format!(
                "group {} ({} N = {} M = {}: {what}, and one run's checkpoints)",
                &g.id[..8],
                g.params.activation,
                g.params.n,
                g.params.m,
            ),
            shared + per_run,
            "lower n or m in the sweep file, or drop closed_form / k / arrays",
        )?;
    }
    check_device(s, &plan.groups)
}

/// Runs the groups of shard `opts.shard` of `plan` in `dir` (prepared with
/// [`super::prepare_folder`]), skipping committed runs; stops between groups
/// once `opts.stop` is set.
///
/// # Errors
/// Only when the journal cannot be written; a failing group is recorded and
/// the sweep goes on.
pub fn run_sweep(
    plan: &Plan,
    dir: &std::path::Path,
    opts: RunOptions<'_>,
    engines: &dyn EngineSource,
    progress: &dyn SweepProgress,
) -> Result<SweepSummary> {
    let started = Instant::now();
    let state = FolderState::read(dir)?;
    let mut summary = SweepSummary::default();
    let mut work: Vec<(&Group, Vec<&Run>)> = Vec::new();
    for g in shard_groups(plan, opts.shard.0, opts.shard.1) {
        let pending: Vec<&Run> = g
            .runs
            .iter()
            .filter(|r| !state.committed.contains(&r.id))
            .collect();
        summary.runs_skipped += g.runs.len() - pending.len();
        if !pending.is_empty() {
            work.push((g, pending));
        }
    }
    let mut p = ProgressState {
        groups_total: work.len(),
        runs_total: work.iter().map(|(_, r)| r.len()).sum(),
        ..ProgressState::default()
    };
    progress.update(&p);
    if work.is_empty() {
        summary.progress = p;
        return Ok(summary);
    }
    let mut journal = JournalWriter::create(dir, &writer_id(opts.shard), &plan.settings_id)?;
    summary.journal = Some(journal.path().to_path_buf());
    for (g, runs) in work {
        if opts.stop.load(Ordering::SeqCst) {
            summary.interrupted = true;
            break;
        }
        let outcome = engines
            .engine(&g.params)
            .and_then(|e| run_group(&plan.settings, g, &runs, e.as_ref()));
        let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
        match outcome {
            Ok(GroupOutcome {
                rows,
                steps,
                arrays,
            }) => {
                let failed: std::collections::BTreeSet<&str> = rows
                    .iter()
                    .filter(|r| r.status != "ok")
                    .map(|r| r.run_id.as_str())
                    .collect();
                summary.runs_failed += failed.len();
                for id in &failed {
                    if let Some(r) = rows.iter().find(|r| r.run_id == *id) {
                        progress.note(&format!(
                            "run {id} ({}, group {}): {} {}",
                            r.signal,
                            &g.id[..8],
                            r.status,
                            r.error
                        ));
                    }
                }
                p.steps += steps;
                // Whole files first: a committed row always names a complete file.
                if let Some(a) = &arrays {
                    a.write(dir)?;
                }
                journal.commit_group(&g.id, ids, rows)?;
            }
            Err(e) => {
                summary.groups_failed += 1;
                summary.runs_failed += ids.len();
                progress.note(&format!(
                    "group {} ({} runs) failed: {e}",
                    &g.id[..8],
                    ids.len()
                ));
                journal.append(&Record::Failed {
                    group: g.id.clone(),
                    runs: ids,
                    error: e.to_string(),
                })?;
            }
        }
        p.groups_done += 1;
        p.runs_done += runs.len();
        p.elapsed_s = started.elapsed().as_secs_f64();
        progress.update(&p);
    }
    p.elapsed_s = started.elapsed().as_secs_f64();
    summary.progress = p;
    Ok(summary)
}

/// What every row of a group shares.
struct GroupRun<'a> {
    g: &'a Group,
    s_max: f64,
    qs: Vec<u64>,
    ks: Vec<i64>,
    build_s: f64,
}

impl GroupRun<'_> {
    fn row(&self, run: &Run, alpha: f64, engine: &str, i: usize) -> Row {
        let p = &self.g.params;
        Row {
            run_id: run.id.clone(),
            group_id: self.g.id.clone(),
            activation: p.activation.clone(),
            sigma: p.sigma,
            sigma_rule: self.g.sigma_rule.clone(),
            n: p.n as i64,
            m: p.m as i64,
            grid: p.grid.clone(),
            bias_grid: p.bias_grid.clone(),
            signal: run.signal.label(),
            alpha_rule: run.alpha.to_string(),
            alpha,
            s_max: self.s_max,
            device: p.device.clone(),
            strategy: p.strategy.clone(),
            memory_budget: if p.device == "gpu" {
                p.memory_budget.unwrap_or(crate::gd::DEFAULT_MEMORY_BUDGET) as i64
            } else {
                0
            },
            engine: engine.to_string(),
            q: self.qs[i] as i64,
            k: self.ks[i],
            status: "ok".into(),
            error: String::new(),
            loss: f64::NAN,
            loss_rel: f64::NAN,
            psnr_db: f64::NAN,
            rel_err_closed_form: f64::NAN,
            build_s: self.build_s,
            gd_s: f64::NAN,
            f_file: String::new(),
            w_file: String::new(),
            array_row: -1,
        }
    }

    fn failed_rows(&self, run: &Run, alpha: f64, error: &str) -> Vec<Row> {
        (0..self.qs.len())
            .map(|i| Row {
                status: "failed".into(),
                error: error.to_string(),
                ..self.row(run, alpha, "-", i)
            })
            .collect()
    }
}

/// Checkpoints of a group: the q list, or q(K) from the singular values.
fn checkpoints(
    s: &Settings,
    sv: Option<&[f64]>,
    n: usize,
    m: usize,
) -> Result<(Vec<u64>, Vec<i64>)> {
    if let Some(q) = &s.q {
        return Ok((q.clone(), vec![0; q.len()]));
    }
    let sv = sv.unwrap_or(&[]);
    let mut pairs: Vec<(u64, i64)> = Vec::new();
    for &k in s.k.as_deref().unwrap_or(&[]) {
        if k > sv.len() {
            continue;
        }
        if let Some(q) = q_of_k(sv, k, n, m)?.q
            && !pairs.iter().any(|(x, _)| *x == q)
        {
            pairs.push((q, k as i64));
        }
    }
    if pairs.is_empty() {
        return Err(Error::invalid(
            "k",
            format!("{:?}", s.k.as_deref().unwrap_or(&[])),
            format!(
                "at least one K with a reachable q(K) (K <= min(N, M) = {}, s_K not numerically zero)",
                sv.len()
            ),
        ));
    }
    pairs.sort_unstable();
    Ok(pairs.into_iter().unzip())
}

/// What one group produced: its rows, the steps done, and its arrays.
struct GroupOutcome {
    rows: Vec<Row>,
    steps: u64,
    arrays: Option<GroupArrays>,
}

/// A run ready for the engine: (run, y, α).
type Ready<'r> = (&'r Run, Vec<f64>, f64);

/// Targets and rates of the runs; a run that cannot start (an unreadable
/// signal, an unstable rate) gets failed rows instead.
fn prepare_runs<'r>(
    s: &Settings,
    gr: &GroupRun<'_>,
    runs: &[&'r Run],
    x: &[f64],
    rows: &mut Vec<Row>,
) -> Vec<Ready<'r>> {
    let (s_max, n) = (gr.s_max, x.len());
    let mut ready = Vec::new();
    for &r in runs {
        let alpha = r.alpha.value(s_max, n);
        let prepared = r.signal.values(x).and_then(|y| {
            let a = r.alpha.resolve(s_max, n)?;
            if !s.allow_unstable && a * s_max * s_max >= 2.0 {
                return Err(Error::UnstableLearningRate {
                    run: 0,
                    alpha: a,
                    limit: 2.0 / (s_max * s_max),
                    s_max,
                });
            }
            Ok((y, a))
        });
        match prepared {
            Ok((y, a)) => ready.push((r, y, a)),
            Err(e) => rows.extend(gr.failed_rows(r, alpha, &e.to_string())),
        }
    }
    ready
}

/// Runs the pending runs of one group; returns the rows, the steps done and
/// the arrays (when asked). The host builds the dense A only when
/// [`host_needs_a`]; otherwise s_max is computed matrix-free.
fn run_group(s: &Settings, g: &Group, runs: &[&Run], engine: &dyn Engine) -> Result<GroupOutcome> {
    let t0 = Instant::now();
    let design = plan::design(&g.params)?;
    let (n, m) = (design.n(), design.m());
    let (shared, per_run) = group_bytes(s, g, 1);
    ensure_host_fits(
        &format!("group {} (A, {n} x {m})", &g.id[..8]),
        shared + per_run,
        "lower n or m",
    )?;
    let a = host_needs_a(s, g).then(|| design.matrix());
    let s_max = match &a {
        Some(a) => largest_singular_value(a.as_ref())?,
        None => largest_singular_value_of_design(&design)?,
    };
    let svd = match (&a, s.closed_form || s.k.is_some()) {
        (Some(a), true) => Some(thin_svd(a.as_ref())?),
        _ => None,
    };
    let (qs, ks) = checkpoints(s, svd.as_ref().map(|v| v.s.as_slice()), n, m)?;
    let heldout = (s.heldout > 0).then(|| midpoint(s.heldout));
    let gr = GroupRun {
        g,
        s_max,
        qs,
        ks,
        build_s: t0.elapsed().as_secs_f64(),
    };
    let mut rows = Vec::new();
    let ready = prepare_runs(s, &gr, runs, design.x(), &mut rows);
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let mut arrays = GroupArrays::new(s, g, &ids);
    // B from memory: half of what is available after A, at least 1.
    let avail = available_host_bytes().map_or(f64::INFINITY, |v| v as f64);
    let b = ((avail * 0.5 - shared) / per_run)
        .floor()
        .clamp(1.0, 4096.0) as usize;
    let mut steps = 0;
    for chunk in ready.chunks(b.max(1)) {
        let batch = GdBatch {
            y: chunk.iter().map(|c| c.1.clone()).collect(),
            alpha: chunk.iter().map(|c| c.2).collect(),
            checkpoints: gr.qs.clone(),
            record_w: s.save_w(),
            eval_points: heldout.clone(),
            w0: None,
            allow_unstable: s.allow_unstable,
        };
        let mut problem = Problem::from_design(&design).with_s_max(s_max);
        if engine.needs_host_matrix() {
            let Some(a) = &a else {
                return Err(Error::invalid(
                    "engine",
                    "an engine that needs the host's A",
                    "the GPU engine for a group planned without A on the host",
                ));
            };
            problem = problem.with_matrix(a.as_ref());
        }
        let t = Instant::now();
        let traj = match engine.run(&problem, &batch, &NoProgress) {
            Ok(t) => t,
            Err(Error::Diverged {
                partial: Some(t), ..
            }) => *t,
            Err(e) => return Err(e),
        };
        let gd_s = t.elapsed().as_secs_f64();
        steps += batch.q_max() * chunk.len() as u64;
        for (bi, (run, y, alpha)) in chunk.iter().enumerate() {
            let closed = match &svd {
                Some(svd) => Some(shrink(svd, y, &gd_exact_masks(*alpha, &gr.qs))?),
                None => None,
            };
            let target = heldout.as_ref().and_then(|p| run.signal.heldout(p));
            let mut mine = metric_rows(
                &gr,
                (&traj, bi, gd_s),
                (run, y, *alpha),
                (closed.as_deref(), target.as_deref()),
            );
            if let Some(arr) = &mut arrays {
                save_arrays(arr, &traj, bi, &mut mine);
            }
            rows.extend(mine);
        }
    }
    Ok(GroupOutcome {
        rows,
        steps,
        arrays,
    })
}

/// Appends run `bi`'s f_q and w_q at every checkpoint of its rows to the
/// group's arrays, and points the rows at them.
fn save_arrays(arr: &mut GroupArrays, traj: &Trajectory, bi: usize, rows: &mut [Row]) {
    let (f_file, w_file) = (
        arr.f.as_ref().map_or_else(String::new, |_| arr.file("f")),
        arr.w.as_ref().map_or_else(String::new, |_| arr.file("w")),
    );
    for row in rows {
        let cp = u64::try_from(row.q).ok().and_then(|q| traj.at(q));
        let f = cp.and_then(|c| c.f.get(bi)).map(Vec::as_slice);
        let w = cp
            .and_then(|c| c.w.as_ref())
            .and_then(|w| w.get(bi))
            .map(Vec::as_slice);
        row.array_row = arr.push(f, w) as i64;
        row.f_file.clone_from(&f_file);
        row.w_file.clone_from(&w_file);
    }
}

fn status_of(s: Option<&RunStatus>) -> (String, String) {
    match s {
        None | Some(RunStatus::Ok) => ("ok".into(), String::new()),
        Some(RunStatus::NonFinite { iteration }) => (
            "non_finite".into(),
            format!("NaN or inf at iteration {iteration}"),
        ),
        Some(RunStatus::Diverged { iteration, growth }) => (
            "diverged".into(),
            format!("residual grows by {growth:.6} per iteration from iteration {iteration}"),
        ),
    }
}

/// PSNR (dB) of `f` against `target`: 10·log10(range² / MSE), range = max − min of the target.
#[must_use]
pub fn psnr_db(f: &[f64], target: &[f64]) -> f64 {
    if f.len() != target.len() || f.is_empty() {
        return f64::NAN;
    }
    let mse = f
        .iter()
        .zip(target)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / f.len() as f64;
    let (lo, hi) = target
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    10.0 * ((hi - lo) * (hi - lo) / mse).log10()
}

/// The rows of run `bi` of a batch: (trajectory, index, seconds), (run, y,
/// α), (closed-form solutions per checkpoint, held-out target).
fn metric_rows(
    gr: &GroupRun<'_>,
    (traj, bi, gd_s): (&Trajectory, usize, f64),
    (run, y, alpha): (&Run, &Vec<f64>, f64),
    (closed, target): (Option<&[crate::spectral::Shrunk]>, Option<&[f64]>),
) -> Vec<Row> {
    let loss0 = 0.5 * y.iter().map(|v| v * v).sum::<f64>();
    let (status, error) = status_of(traj.status.get(bi));
    (0..gr.qs.len())
        .map(|i| {
            let cp = traj.at(gr.qs[i]);
            let loss = cp.and_then(|c| c.loss.get(bi)).copied().unwrap_or(f64::NAN);
            let f = cp.and_then(|c| c.f.get(bi));
            let f_eval = cp.and_then(|c| c.f_eval.as_ref()).and_then(|fe| fe.get(bi));
            Row {
                status: status.clone(),
                error: error.clone(),
                loss,
                loss_rel: if loss0 > 0.0 { loss / loss0 } else { f64::NAN },
                psnr_db: match (f_eval, target) {
                    (Some(fe), Some(t)) => psnr_db(fe, t),
                    _ => f64::NAN,
                },
                rel_err_closed_form: match (f, closed) {
                    (Some(f), Some(c)) => rel_error(f, &c[i].f),
                    _ => f64::NAN,
                },
                gd_s,
                ..gr.row(run, alpha, &traj.engine.name, i)
            }
        })
        .collect()
}

/// One line per resource figure of a plan: host memory per group (A only
/// when the host builds it), disk for saved arrays, the estimated time at
/// `flops_per_s`, and for GPU groups the device plan ([`super::device::device_line`]).
#[must_use]
pub fn resource_lines(plan: &Plan, flops_per_s: f64) -> Vec<String> {
    let s = &plan.settings;
    plan.groups
        .iter()
        .map(|g| {
            let (shared, runs) = group_bytes(s, g, g.runs.len());
            let disk = arrays::disk_bytes(s, g);
            let a = if host_needs_a(s, g) {
                format!("A {}", format_bytes(shared))
            } else {
                "no A on the host".to_string()
            };
            let mut line = format!(
                "{}  {} runs  memory {} ({a} + runs {}){}  est. {:.2} s",
                &g.id[..8],
                g.runs.len(),
                format_bytes(shared + runs),
                format_bytes(runs),
                if disk > 0.0 {
                    format!("  arrays {} on disk", format_bytes(disk))
                } else {
                    String::new()
                },
                plan::group_cost(s, g) / flops_per_s
            );
            if let Some(need) = device_need(s, g) {
                line.push_str("\n      ");
                line.push_str(&device_line(&need));
            }
            line
        })
        .collect()
}
