//! `gdshrink compare`: time-to-result and quality of GD on the GPU, GD on the
//! CPU, and one SVD + closed-form masks (gd_exact, PCA, ridge), with the
//! crossover q where the closed form wins. The work is in [`gdshrink::studies::compare`].

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::gd::{CpuEngine, Engine};
use gdshrink::gpu::{GpuEngine, GpuGdOptions};
use gdshrink::output::Table;
use gdshrink::output::table::sci as e;
use gdshrink::resources::device::DeviceRequest;
use gdshrink::studies::compare::{CompareConfig, CompareReport, compare};
use gdshrink::studies::validate::ReferenceRoute;
use gdshrink::studies::{Features, StudyConfig};

use crate::args::{Device, GpuArgs, ModelArgs, TrainArgs, open_gpu};
use crate::output::OutputArgs;
use crate::progress::Bars;

/// Flags of `gdshrink compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// GD engines to time, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "gpu,cpu")]
    pub engines: Vec<Device>,
    #[command(flatten)]
    pub gpu: GpuArgs,
    /// Square sizes N = M to run, comma-separated (e.g. 1024,4096); default: --n and --m.
    #[arg(long, value_delimiter = ',', value_name = "N", value_parser = crate::args::parse_size)]
    pub sizes: Vec<usize>,
    /// Timed calls per measurement (the fastest counts).
    #[arg(long, default_value_t = 1, value_parser = crate::args::parse_repeats)]
    pub repeats: usize,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags: built-in signals are taken on
    /// x = linspace(N).
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid", "sizes"])]
    pub design: Option<std::path::PathBuf>,
    /// How the closed form's spectrum is computed: `dense` (build A, thin
    /// SVD), `streamed` (streamed TSQR, A never stored; a network with
    /// N <= M), `topk` (the --k leading components by block Krylov, A never
    /// stored; the closed form restricted to them, with a bound on the rest)
    /// or `auto` (topk when the dense reference would need more than 4 GiB
    /// and the top-K method suits the shape, else streamed when it would need
    /// more than 1 GiB and N <= M, else dense).
    #[arg(long, value_parser = crate::args::parse_lib::<ReferenceRoute>, default_value = "auto", value_name = "auto|dense|streamed|topk")]
    pub reference: ReferenceRoute,
    /// Components of the top-K route (--reference topk, or auto's choice).
    #[arg(long, value_name = "K", default_value_t = gdshrink::studies::validate::TOPK_K, value_parser = crate::args::parse_positive)]
    pub k: usize,
}

/// Runs the command.
pub fn run(args: &CompareArgs) -> Result<()> {
    if args.engines.is_empty() {
        bail!("--engines is empty: give gpu, cpu or both");
    }
    if args.train.q.values().first() == Some(&0) {
        bail!("--q contains 0: compare times iterations, give counts >= 1");
    }
    if !args.engines.contains(&Device::Gpu) && args.gpu.adapter.is_some() {
        bail!("--adapter chooses a GPU adapter: use it with --engines gpu");
    }
    if !args.engines.contains(&Device::Gpu) && args.gpu.memory_budget.is_some() {
        bail!("--memory-budget sizes the GPU's stored matrices: use it with --engines gpu");
    }
    args.output.check()?;
    let user_shape = args
        .design
        .as_deref()
        .map(crate::args::design_shape)
        .transpose()?;
    for (n, m) in all_sizes(args, user_shape) {
        crate::args::check_topk_k(args.reference, args.k, (n, m))?;
        args.reference
            .resolve_for(user_shape.is_none(), (n, m), 0, args.k)
            .map_err(|e| anyhow::anyhow!("--reference {}: {e}", args.reference.name()))?;
    }
    let need = if args.engines.contains(&Device::Gpu) {
        let (n, m) = largest(args, user_shape);
        Some(crate::plan::device_need(&DeviceRequest {
            n,
            m,
            runs: 1,
            checkpoints: args.train.q.values().len(),
            eval_points: 0,
            record_w: true,
            strategy: args.gpu.strategy,
            budget: args.gpu.memory_budget,
            recompute: args.design.is_none(),
            table_bytes: crate::plan::table_bytes(args.model.activation),
        })?)
    } else {
        None
    };
    let plan = need.iter().fold(plan(args, user_shape), |p, need| {
        crate::plan::with_device(p, need)
    });
    crate::plan::check("compare", &plan)?;
    let ctx = if args.engines.contains(&Device::Gpu) {
        Some(open_gpu(args.gpu.adapter.as_deref()).map_err(|e| {
            anyhow::anyhow!("{e}\n(compare --engines cpu times the CPU engine alone)")
        })?)
    } else {
        None
    };
    if let (Some(ctx), Some(need)) = (&ctx, &need) {
        crate::plan::check_adapter("compare", need, ctx)?;
    }
    let engines: Vec<Box<dyn Engine + '_>> = args
        .engines
        .iter()
        .filter_map(|e| -> Option<Box<dyn Engine + '_>> {
            match e {
                Device::Cpu => Some(Box::new(CpuEngine)),
                Device::Gpu => ctx.as_ref().map(|c| {
                    Box::new(GpuEngine::new(c).with_options(GpuGdOptions {
                        strategy: args.gpu.strategy,
                        memory_budget: args.gpu.memory_budget,
                        chunk: None,
                    })) as _
                }),
            }
        })
        .collect();
    let refs: Vec<&dyn Engine> = engines.iter().map(std::convert::AsRef::as_ref).collect();

    let designs: Vec<Features> = if let Some(path) = &args.design {
        vec![crate::args::design_features(path)?]
    } else if args.sizes.is_empty() {
        vec![args.model.design()?.into()]
    } else {
        args.sizes
            .iter()
            .map(|&s| {
                if s == 0 {
                    bail!("--sizes contains 0: give N = M >= 1");
                }
                let spec = args.model.shape.spec(args.model.activation);
                Ok(spec.n(s).m(s).build()?.into())
            })
            .collect::<Result<_>>()?
    };
    let mut reports = Vec::with_capacity(designs.len());
    for design in designs {
        let y = args.train.signal.values(&design.x())?;
        eprintln!("compare: {} ...", design.label());
        let study = StudyConfig::new(
            design,
            y,
            args.train.learning_rate(),
            args.train.q.values().to_vec(),
        )
        .with_signal(args.train.signal.label());
        let cfg = CompareConfig {
            study,
            repeats: args.repeats,
            reference: args.reference,
            k: args.k,
        };
        reports.push(compare(&cfg, &refs, &Bars::new("compare"))?);
    }
    let human = render(&reports);
    let json = serde_json::to_value(&reports)?;
    args.output.emit(&human, &json, &table(&reports))
}

/// The largest size's dense work and the GD runs of every size: each
/// engine, `--repeats` times, to the last q.
/// `user`: the shape of `--design FILE.npy`.
fn plan(args: &CompareArgs, user: Option<(usize, usize)>) -> gdshrink::resources::Plan {
    let sizes = all_sizes(args, user);
    let (n, m) = largest(args, user);
    let hint = "use a smaller --n, --m or --sizes";
    let route = args
        .reference
        .resolve_for(user.is_none(), (n, m), 0, args.k)
        .unwrap_or(ReferenceRoute::Dense);
    let mut plan = if route == ReferenceRoute::TopK {
        let p = crate::plan::topk(n, m, args.k, false);
        if args.engines.contains(&Device::Cpu) {
            p.host_f64("A for the f64 CPU engine", n, m)
        } else {
            p
        }
    } else if route == ReferenceRoute::Streamed {
        let p = gdshrink::resources::streamed_reference_plan((n, m, 0), 0, 0, hint);
        // The f64 CPU engine stores A.
        if args.engines.contains(&Device::Cpu) {
            p.host_f64("A for the f64 CPU engine", n, m)
        } else {
            p
        }
    } else {
        gdshrink::resources::dense_plan(n, m, true, hint)
    };
    plan = crate::plan::with_solutions(plan, (n, m), &args.train.q, 3);
    let q_max = args.train.q.values().last().copied().unwrap_or(0);
    let runs = args.engines.len() * args.repeats;
    for &(n, m) in &sizes {
        plan = crate::plan::gd_iterations(plan, (n, m), runs, q_max);
    }
    plan
}

/// (N, M) of every size compared.
fn all_sizes(args: &CompareArgs, user: Option<(usize, usize)>) -> Vec<(usize, usize)> {
    if let Some(s) = user {
        vec![s]
    } else if args.sizes.is_empty() {
        vec![crate::plan::sizes(&args.model.shape)]
    } else {
        args.sizes.iter().map(|&s| (s, s)).collect()
    }
}

/// The largest (N, M) compared (by N·M).
fn largest(args: &CompareArgs, user: Option<(usize, usize)>) -> (usize, usize) {
    all_sizes(args, user)
        .into_iter()
        .max_by(|a, b| (a.0 as f64 * a.1 as f64).total_cmp(&(b.0 as f64 * b.1 as f64)))
        .unwrap_or((1, 1))
}

fn secs(v: f64) -> String {
    if v < 1e-3 {
        format!("{:.1} us", v * 1e6)
    } else if v < 1.0 {
        format!("{:.2} ms", v * 1e3)
    } else {
        format!("{v:.2} s")
    }
}

fn render(reports: &[CompareReport]) -> String {
    let mut o = String::new();
    for r in reports {
        let _ = writeln!(
            o,
            "compare: {}, signal {}, alpha = {:.4e} (alpha*s_max^2 = {:.3})",
            r.design,
            r.signal,
            r.alpha,
            r.alpha * r.s_max * r.s_max
        );
        for en in &r.engines {
            let _ = writeln!(
                o,
                "  {}{}",
                if en.engine.contains(&en.device) {
                    en.engine.clone()
                } else {
                    format!("{} on {}", en.engine, en.device)
                },
                if en.software && !en.engine.contains("software") {
                    "  [software adapter: timings say nothing about a GPU]"
                } else {
                    ""
                }
            );
        }
        let c = &r.closed;
        let spectrum = if c.route == "streamed" {
            format!(
                "streamed spectrum {} (TSQR over column blocks, A never stored)",
                secs(c.svd_seconds)
            )
        } else if c.route == "topk" {
            format!(
                "top-{} spectrum {} (block Krylov, A never stored; the {} components left out \
                 can move f_q by at most {:.2e}·||y||)",
                c.components,
                secs(c.svd_seconds),
                r.n.min(r.m) - c.components,
                c.truncation
            )
        } else {
            format!(
                "build A {} + thin SVD {}",
                secs(c.matrix_seconds),
                secs(c.svd_seconds)
            )
        };
        let _ = writeln!(
            o,
            "  closed form: {spectrum} (once: serves every q and every alpha) + one mask {} = {}; all {} masks {}",
            secs(c.mask_seconds),
            secs(c.total_seconds),
            r.quality.len(),
            secs(c.all_masks_seconds)
        );
        let mut head = format!("\n{:>9}", "q");
        for en in &r.engines {
            let name = en.engine.split_whitespace().next().unwrap_or("gd");
            let _ = write!(head, " | {:>10} {:>9}", format!("{name} [t]"), "err");
        }
        let _ = write!(
            head,
            " | {:>10} | {:>6} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>9}",
            "closed [t]", "PCA K", "vs GD", "fit", "ridge lam", "vs GD", "(ln2)", "GD fit"
        );
        let _ = writeln!(o, "{head}");
        for (i, qd) in r.quality.iter().enumerate() {
            let mut line = format!("{:>9}", qd.q);
            for en in &r.engines {
                let row = &en.rows[i];
                let _ = write!(line, " | {:>10} {:>9}", secs(row.seconds), e(row.rel_err));
            }
            let _ = write!(
                line,
                " | {:>10} | {:>6} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>9}",
                secs(c.total_seconds),
                qd.pca_k,
                e(qd.pca_vs_gd),
                e(qd.fit_pca),
                e(qd.lambda),
                e(qd.ridge_vs_gd),
                e(qd.ridge_half_vs_gd),
                e(qd.fit_gd)
            );
            let _ = writeln!(o, "{line}");
        }
        let _ = writeln!(
            o,
            "  err: ||f_q - gd_exact|| / ||gd_exact|| at the samples; PCA/ridge 'vs GD' likewise; fit: ||y - f|| / ||y||"
        );
        strategy_lines(&mut o, r);
        crossover_lines(&mut o, r);
        let _ = writeln!(o);
    }
    o
}

/// An automatic strategy may change with q: say which ran where.
fn strategy_lines(o: &mut String, r: &CompareReport) {
    for en in &r.engines {
        let mut per: Vec<(String, Vec<u64>)> = Vec::new();
        for row in &en.rows {
            let st = row.strategy.to_string();
            match per.last_mut() {
                Some((name, qs)) if *name == st => qs.push(row.q),
                _ => per.push((st, vec![row.q])),
            }
        }
        if per.len() > 1 {
            let parts: Vec<String> = per
                .iter()
                .map(|(n, qs)| format!("{n} at q = {qs:?}"))
                .collect();
            let _ = writeln!(
                o,
                "  {}: strategy chosen per q: {}",
                en.engine.split_whitespace().next().unwrap_or("gd"),
                parts.join(", ")
            );
        }
    }
}

/// Where the closed form overtakes each engine.
fn crossover_lines(o: &mut String, r: &CompareReport) {
    for en in &r.engines {
        let x = &en.crossover;
        let verdict = match x.q_star {
            Some(q) if q <= 0.0 => "the closed form is faster at every q".to_string(),
            Some(q) => format!(
                "the closed form is faster for q >= {:.0}{}",
                q.ceil(),
                if x.extrapolated {
                    " (extrapolated beyond the measured q)"
                } else {
                    ""
                }
            ),
            None => "no crossover (GD time does not grow with q here)".into(),
        };
        let _ = writeln!(
            o,
            "  crossover vs {}: {verdict}; crossing segment t(q) = {} + {} * q; first measured win: {}",
            en.engine.split_whitespace().next().unwrap_or("gd"),
            secs(x.setup_seconds),
            secs(x.seconds_per_iteration),
            x.first_measured_win
                .map_or("none".into(), |q| format!("q = {q}"))
        );
    }
}

fn table(reports: &[CompareReport]) -> Table {
    let mut t = Table::new();
    let rows: Vec<(&CompareReport, usize)> = reports
        .iter()
        .flat_map(|r| (0..r.quality.len()).map(move |i| (r, i)))
        .collect();
    let col = |f: &dyn Fn(&CompareReport, usize) -> f64| -> Vec<f64> {
        rows.iter().map(|(r, i)| f(r, *i)).collect()
    };
    t.push("n", col(&|r, _| r.n as f64));
    t.push("m", col(&|r, _| r.m as f64));
    t.push("q", col(&|r, i| r.quality[i].q as f64));
    t.push("closed_s", col(&|r, _| r.closed.total_seconds));
    t.push("svd_s", col(&|r, _| r.closed.svd_seconds));
    let n_eng = reports.first().map_or(0, |r| r.engines.len());
    for k in 0..n_eng {
        let name = reports[0].engines[k]
            .engine
            .split_whitespace()
            .next()
            .unwrap_or("gd")
            .replace('-', "_");
        t.push(
            format!("{name}_s"),
            col(&|r, i| r.engines[k].rows[i].seconds),
        );
        t.push(
            format!("{name}_err"),
            col(&|r, i| r.engines[k].rows[i].rel_err),
        );
        t.push(
            format!("{name}_q_star"),
            col(&|r, _| r.engines[k].crossover.q_star.unwrap_or(f64::NAN)),
        );
    }
    t.push("pca_k", col(&|r, i| r.quality[i].pca_k as f64));
    t.push("pca_vs_gd", col(&|r, i| r.quality[i].pca_vs_gd));
    t.push("lambda", col(&|r, i| r.quality[i].lambda));
    t.push("ridge_vs_gd", col(&|r, i| r.quality[i].ridge_vs_gd));
    t.push(
        "ridge_half_vs_gd",
        col(&|r, i| r.quality[i].ridge_half_vs_gd),
    );
    t
}
