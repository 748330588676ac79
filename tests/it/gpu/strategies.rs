//! The three GPU strategies (primal, dual in the sample or weight space,
//! matrix-free) against the f64 CPU reference and against each other, with
//! the shared-memory (hardware) kernels forced on, with row blocks and split
//! reductions forced on small sizes, and the Auto choice.
//! Tolerances: the error model of `gdshrink::precision::{f_tolerance, w_tolerance}`.

use gdshrink::gd::{
    CpuEngine, Engine, GdBatch, NoProgress, Problem, Strategy, Trajectory, rel_error,
};
use gdshrink::gpu::testing::tuning;
use gdshrink::gpu::{self, GpuContext, GpuEngine, GpuGdOptions, GpuOptions};
use gdshrink::precision::{f_tolerance, nu, twin};
use gdshrink::spectral;
use gdshrink::{Activation, Design};

use crate::common::gpu::{Reference, assert_agree, ctx, open, reference};
use crate::common::wiggle_table;

fn problem(act: Activation, sigma: f64, n: usize, m: usize, q: Vec<u64>) -> (Design, GdBatch, f64) {
    let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
    let ys: Vec<Vec<f64>> = (0..3)
        .map(|k| {
            d.x()
                .iter()
                .map(|x| ((2.0 + 3.0 * f64::from(k)) * x).cos() - 0.5 * x)
                .collect()
        })
        .collect();
    let s = spectral::singular_values(twin::design(&d).unwrap().matrix().as_ref()).unwrap()[0];
    let a = 1.0 / (s * s);
    let mut b = GdBatch::new(ys, vec![a, 0.3 * a, 1.9 * a], q);
    b.record_w = true;
    (d, b, s)
}

/// The reference's (f32-rounded) problem for the GPU engine, with s_max.
fn gpu_problem(r: &Reference) -> Problem<'_> {
    Problem::from_design(&r.design).with_s_max(r.s)
}

fn run(ctx: &GpuContext, r: &Reference, strategy: Strategy) -> Trajectory {
    GpuEngine::new(ctx)
        .with_strategy(strategy)
        .run(&gpu_problem(r), &r.batch, &NoProgress)
        .unwrap()
}

/// Runs every strategy on one problem, checks each against the CPU and the
/// strategies against each other; returns the worst relative f and w errors.
fn check_all(ctx: &GpuContext, label: &str, r: &Reference) -> [(f64, f64); 3] {
    let weight_dual = r.design.n() > r.design.m();
    let mut out = [(0.0, 0.0); 3];
    let mut trajs = Vec::new();
    for (k, strategy) in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree]
        .into_iter()
        .enumerate()
    {
        let g = run(ctx, r, strategy);
        let linear = strategy == Strategy::Dual && weight_dual;
        let ag = assert_agree(&format!("{label} {strategy}"), &g, &r.cpu, r.nu, linear);
        eprintln!(
            "{label:<34} {strategy:<12} f {:.2e}  w {:.2e}  (error/tolerance ≤ {:.2})  [{}]",
            ag.f,
            ag.w,
            ag.worst_ratio,
            g.engine.name.split(" on ").next().unwrap_or("")
        );
        out[k] = (ag.f, ag.w);
        trajs.push(g);
    }
    // Pairwise: two f32 results each within tolerance of the CPU are within
    // twice the tolerance of each other; checked directly at the last q.
    let q = r.batch.q_max();
    let tol = 2.0 * f_tolerance(r.nu, q);
    for i in 0..3 {
        for j in i + 1..3 {
            for b in 0..3 {
                let e = rel_error(&trajs[i].at(q).unwrap().f[b], &trajs[j].at(q).unwrap().f[b]);
                assert!(
                    e <= tol,
                    "{label}: strategies {i} and {j} differ by {e:e} > {tol:e}"
                );
            }
        }
    }
    out
}

#[test]
fn every_strategy_matches_cpu_tall_and_wide() {
    let ctx = ctx();
    let q = vec![0, 1, 7, 60, 500, 2000];
    for (act, sigma, n, m) in [
        (Activation::Tanh, 80.0, 48, 80),
        (Activation::Tanh, 48.0, 80, 48),
        (Activation::Relu, 1.0, 48, 80),
        (Activation::Relu, 1.0, 80, 48),
        (Activation::Sinc, 12.0, 64, 64),
        (Activation::Gaussian, 12.0, 90, 40),
        (Activation::Relu2, 1.0, 40, 60),
        // A tabulated activation: the matrix-free loader reads its lookup buffer.
        (wiggle_table(), 7.3, 48, 80),
        (wiggle_table(), 7.3, 80, 48),
    ] {
        let (d, b, _) = problem(act, sigma, n, m, q.clone());
        let r = reference(&d, &b);
        check_all(ctx, &d.label(), &r);
    }
}

#[test]
fn shared_memory_kernels_match_cpu() {
    // The tiled kernels that hardware adapters use, forced on here.
    let tiled = open(&GpuOptions {
        tiled: Some(true),
        ..GpuOptions::default()
    });
    assert!(tuning(&tiled).tiled);
    for (act, n, m) in [(Activation::Tanh, 40, 72), (Activation::Gelu, 72, 40)] {
        let (d, b, _) = problem(act, 30.0, n, m, vec![0, 1, 10, 100]);
        let r = reference(&d, &b);
        check_all(&tiled, &format!("tiled {}", d.label()), &r);
    }
}

#[test]
fn hardware_occupancy_splits_match_cpu() {
    // What a large GPU runs: the tiled kernels aiming at 1024 workgroups per
    // product, reached by splitting reductions into pieces of at least 32
    // indices that the finish kernel sums (here the 520-long reductions of A·W
    // or Aᵀ·R in 11 splits of 48).
    let ctx = open(&GpuOptions {
        tiled: Some(true),
        occupancy: Some(1024),
        ..GpuOptions::default()
    });
    let t = tuning(&ctx);
    assert_eq!((t.occupancy, t.min_split), (1024, 32));
    for (act, n, m) in [(Activation::Tanh, 24, 520), (Activation::Relu, 520, 24)] {
        let (d, b, _) = problem(act, 30.0, n, m, vec![0, 1, 10, 60]);
        let r = reference(&d, &b);
        check_all(&ctx, &format!("occupancy 1024 {}", d.label()), &r);
    }
}

#[test]
fn row_blocks_and_split_reductions_match_cpu() {
    // Bindings of 13 rows of A: A, K and G are split into row blocks; M = 1100
    // also splits the reduction of A·W into partial sums (finish kernel).
    // (The shared-memory kernels run slowly on software adapters: fewer steps.)
    for tiled in [false, true] {
        let q = |v: Vec<u64>| if tiled { v[..3].to_vec() } else { v };
        let ctx = open(&GpuOptions {
            max_binding_override: Some(4 * 1100 * 13),
            tiled: Some(tiled),
            ..GpuOptions::default()
        });
        let (d, b, _) = problem(Activation::Tanh, 200.0, 60, 1100, q(vec![0, 2, 20, 150]));
        let r = reference(&d, &b);
        let g = run(&ctx, &r, Strategy::Primal);
        assert!(g.engine.name.contains("5 block(s)"), "{}", g.engine);
        check_all(&ctx, &format!("blocks(tiled={tiled}) {}", d.label()), &r);
        // Tall: bindings of 4·N·B bytes (the residuals must fit one) give
        // blocks of 22 rows of A and of G, and more blocks of A than partial
        // slots: Aᵀ·R is then summed group by group.
        let (d, b, _) = problem(Activation::Relu, 1.0, 300, 40, q(vec![0, 3, 30, 150]));
        let ctx = open(&GpuOptions {
            max_binding_override: Some(4 * 300 * 3),
            tiled: Some(tiled),
            ..GpuOptions::default()
        });
        let r = reference(&d, &b);
        let g = run(&ctx, &r, Strategy::Primal);
        assert!(g.engine.name.contains("14 block(s)"), "{}", g.engine);
        check_all(&ctx, &format!("blocks(tiled={tiled}) {}", d.label()), &r);
    }
}

#[test]
fn dual_without_stored_a_matches_cpu() {
    // A memory budget that holds K or G but not A: the dual recomputes A where
    // it needs it (K/G formation, w read-back, residuals) from the grids.
    let ctx = ctx();
    for (n, m) in [(40, 300), (300, 40)] {
        let (d, b, s) = problem(Activation::Silu, 25.0, n, m, vec![0, 5, 50, 300]);
        let r = reference(&d, &b);
        let opts = GpuGdOptions {
            strategy: Strategy::Dual,
            memory_budget: Some(4 * 40 * 40 + 100),
            ..Default::default()
        };
        let g = GpuEngine::new(ctx)
            .with_options(opts)
            .run(
                &Problem::from_design(&r.design).with_s_max(s),
                &r.batch,
                &NoProgress,
            )
            .unwrap();
        assert!(g.engine.name.contains("recomputed"), "{}", g.engine);
        let ag = assert_agree(&d.label(), &g, &r.cpu, r.nu, n > m);
        eprintln!(
            "dual, A recomputed, {}: f {:.2e} w {:.2e}",
            d.label(),
            ag.f,
            ag.w
        );
    }
}

#[test]
fn auto_picks_by_cost_and_memory() {
    let ctx = ctx();
    let d = |n, m| {
        Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(n)
            .m(m)
            .build()
            .unwrap()
    };
    let b = |n: usize, bsz: usize, q: u64| {
        GdBatch::new(vec![vec![0.0; n]; bsz], vec![1e-6; bsz], vec![q])
    };
    let plan = |opts: GpuGdOptions, d: &Design, b: &GdBatch| {
        GpuEngine::new(ctx)
            .with_options(opts)
            .plan(&Problem::from_design(d), b)
            .unwrap()
    };
    let pick = |n, m, bsz, q, budget: Option<u64>| {
        let opts = GpuGdOptions {
            memory_budget: budget,
            ..Default::default()
        };
        plan(opts, &d(n, m), &b(n, bsz, q))
    };
    // Short runs: forming K costs more than it saves.
    let p = pick(1024, 1024, 1, 10, None);
    assert_eq!(p.strategy, Strategy::Primal, "{}", p.reason);
    // q·B ≫ min(N, M): the dual.
    let p = pick(1024, 1024, 16, 10_000, None);
    assert_eq!(p.strategy, Strategy::Dual, "{}", p.reason);
    assert_eq!(p.dual, Some(gpu::plan::DualSpace::Samples));
    let p = pick(4096, 256, 4, 10_000, None);
    assert_eq!(p.dual, Some(gpu::plan::DualSpace::Weights), "{}", p.reason);
    // A beyond the budget and K too: matrix-free.
    let p = pick(4096, 1 << 20, 1, 100, Some(1 << 26));
    assert_eq!(p.strategy, Strategy::MatrixFree, "{}", p.reason);
    // A beyond the budget, K within it: the dual with A recomputed.
    let p = pick(256, 1 << 20, 1, 1000, Some(1 << 26));
    assert_eq!(p.strategy, Strategy::Dual, "{}", p.reason);
    assert!(!p.store_a);
    // An explicit strategy is honoured.
    let opts = GpuGdOptions {
        strategy: Strategy::MatrixFree,
        ..Default::default()
    };
    let p = plan(opts, &d(64, 64), &b(64, 1, 10));
    assert_eq!(p.strategy, Strategy::MatrixFree);
}

#[test]
fn matrix_free_runs_a_wide_network_in_bounded_memory() {
    // M = 100 000 with a 1 MiB budget: A (25.6 MB) is never stored.
    let ctx = ctx();
    let (n, m) = (48, 100_000);
    let d = Design::spec(Activation::Tanh)
        .sigma(50.0)
        .n(n)
        .m(m)
        .build()
        .unwrap();
    let y: Vec<f64> = d.x().iter().map(|x| (7.0 * x).sin()).collect();
    let (d32, b) = twin::problem(&d, &GdBatch::new(vec![y], vec![1.0], vec![0, 1, 3])).unwrap();
    let a = d32.matrix();
    let s = spectral::singular_values(a.as_ref()).unwrap()[0];
    let mut b = b;
    b.alpha = vec![f64::from((1.0 / (s * s)) as f32)];
    let cpu = CpuEngine
        .run(
            &Problem::from_matrix(a.as_ref()).with_s_max(s),
            &b,
            &NoProgress,
        )
        .unwrap();
    let opts = GpuGdOptions {
        memory_budget: Some(1 << 20),
        ..Default::default()
    };
    let problem = Problem::from_design(&d32).with_s_max(s);
    // Auto does not store A either (here it picks the dual with A recomputed).
    let p = GpuEngine::new(ctx)
        .with_options(opts.clone())
        .plan(&problem, &b)
        .unwrap();
    assert!(!p.store_a, "{}", p.reason);
    let opts = GpuGdOptions {
        strategy: Strategy::MatrixFree,
        ..opts
    };
    let g = GpuEngine::new(ctx)
        .with_options(opts)
        .run(&problem, &b, &NoProgress)
        .unwrap();
    assert!(g.engine.name.contains("matrix-free"), "{}", g.engine);
    let ag = assert_agree("wide matrix-free", &g, &cpu, nu(a.as_ref()).unwrap(), false);
    eprintln!("matrix-free tanh N={n} M={m}: f {:.2e}", ag.f);
}

#[test]
fn prepared_batches_advance_like_run() {
    let ctx = ctx();
    let (d, b, s) = problem(Activation::Tanh, 40.0, 40, 56, vec![0, 37]);
    let (d, b) = twin::problem(&d, &b).unwrap();
    let problem = Problem::from_design(&d).with_s_max(s);
    for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
        let engine = GpuEngine::new(ctx).with_strategy(strategy);
        let t = engine.run(&problem, &b, &NoProgress).unwrap();
        let mut p = engine.prepare(&problem, &b).unwrap();
        assert_eq!(p.plan().strategy, strategy);
        assert!(p.plan().step_flops > 0.0 && p.plan().step_bytes > 0.0);
        p.advance(30).unwrap();
        p.advance(7).unwrap();
        assert_eq!(p.steps(), 37);
        let r = p.residuals().unwrap();
        let cp = t.at(37).unwrap();
        for run in 0..3 {
            // Same kernels, same order: the same residual, so the same loss.
            let loss = 0.5 * r[run].iter().map(|v| v * v).sum::<f64>();
            assert!(
                (loss - cp.loss[run]).abs() <= 1e-12 * cp.loss[run],
                "{strategy} run {run}"
            );
            // The run reports f = A·w (K·c in the dual), formed from the
            // iterate rather than as y − r: the two agree to the f32 rounding
            // of r and f (a few u·‖y‖/‖f‖, ‖f‖ ≈ ‖y‖ here at α s² ≈ 1, q = 37);
            // 1e-5 ≈ 170 u.
            let f: Vec<f64> = b.y[run].iter().zip(&r[run]).map(|(y, r)| y - r).collect();
            let e = rel_error(&f, &cp.f[run]);
            assert!(e < 1e-5, "{strategy} run {run}: {e:e}");
        }
    }
}
