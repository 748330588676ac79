//! The GPU engine on a user's matrix A (no design): A rounded to f32 and
//! uploaded in row blocks, iterated by the primal and both duals, against the
//! f64 CPU engine on the same matrix. Tolerances: the error model of
//! `gdshrink::precision::{f_tolerance, w_tolerance}` with ν of that A (the
//! matrix, y and α are f32 values, so both engines start from the same numbers).

use faer::Mat;
use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem, Strategy};
use gdshrink::gpu::{GpuEngine, GpuGdOptions, GpuOptions};
use gdshrink::precision::nu;
use gdshrink::spectral;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::gpu::{assert_agree, ctx, open};

/// A seeded N×M matrix of f32 values (features with a decaying spectrum:
/// a random matrix times a smooth ramp), y and α as f32 values.
fn features(n: usize, m: usize, seed: u64) -> (Mat<f64>, GdBatch, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a = Mat::from_fn(n, m, |i, j| {
        let v: f64 = rng.random_range(-1.0..1.0);
        let smooth = ((i + 1) as f64 * (j + 1) as f64 / (n * m) as f64).sqrt();
        f64::from((v + 2.0 * smooth) as f32)
    });
    let s = spectral::singular_values(a.as_ref()).unwrap()[0];
    let alpha = f64::from((1.0 / (s * s)) as f32);
    let ys: Vec<Vec<f64>> = (0..2)
        .map(|k| {
            (0..n)
                .map(|i| f64::from(((i as f64 * (0.1 + f64::from(k))).sin()) as f32))
                .collect()
        })
        .collect();
    let mut b = GdBatch::new(ys, vec![alpha, 0.5 * alpha], vec![0, 1, 10, 200]);
    b.record_w = true;
    (a, b, s)
}

#[test]
fn user_matrix_matches_cpu_with_every_stored_strategy() {
    let ctx = ctx();
    for (n, m) in [(40, 72), (72, 40)] {
        let (a, b, s) = features(n, m, 7);
        let problem = Problem::from_matrix(a.as_ref()).with_s_max(s);
        let cpu = CpuEngine.run(&problem, &b, &NoProgress).unwrap();
        let nu = nu(a.as_ref()).unwrap();
        for strategy in [Strategy::Primal, Strategy::Dual, Strategy::Auto] {
            let g = GpuEngine::new(ctx)
                .with_strategy(strategy)
                .run(&problem, &b, &NoProgress)
                .unwrap();
            assert_ne!(g.engine.strategy, Strategy::MatrixFree, "{}", g.engine);
            let linear = g.engine.strategy == Strategy::Dual && n > m;
            let ag = assert_agree(&format!("A {n}x{m} {strategy}"), &g, &cpu, nu, linear);
            eprintln!("user A {n}x{m} {strategy:<8} f {:.2e} w {:.2e}", ag.f, ag.w);
        }
    }
}

#[test]
fn user_matrix_in_row_blocks_matches_cpu() {
    // A 1 KiB binding holds 4 rows of 64 f32: A is uploaded in 12 blocks.
    let ctx = open(&GpuOptions {
        max_binding_override: Some(1024),
        ..GpuOptions::default()
    });
    let (a, b, s) = features(48, 64, 3);
    let problem = Problem::from_matrix(a.as_ref()).with_s_max(s);
    let cpu = CpuEngine.run(&problem, &b, &NoProgress).unwrap();
    let g = GpuEngine::new(&ctx)
        .with_strategy(Strategy::Primal)
        .run(&problem, &b, &NoProgress)
        .unwrap();
    assert!(g.engine.name.contains("block"), "{}", g.engine);
    assert_agree("blocked user A", &g, &cpu, nu(a.as_ref()).unwrap(), false);
}

#[test]
fn user_matrix_refusals_name_the_problem() {
    let ctx = ctx();
    let (a, b, s) = features(16, 24, 1);
    let problem = Problem::from_matrix(a.as_ref()).with_s_max(s);
    let free = GpuEngine::new(ctx).with_strategy(Strategy::MatrixFree);
    let e = free.run(&problem, &b, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("matrix-free") && e.contains("design"), "{e}");
    let mut with_eval = b.clone();
    with_eval.eval_points = Some(vec![0.5]);
    let e = GpuEngine::new(ctx)
        .run(&problem, &with_eval, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("evaluation grid"), "{e}");
    let mut big = a.clone();
    big[(3, 5)] = 1e39;
    let e = GpuEngine::new(ctx)
        .run(&Problem::from_matrix(big.as_ref()), &b, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("A[3, 5]") && e.contains("f32"), "{e}");
    // Auto under a tiny budget still stores a user's A (nothing to recompute it from).
    let opts = GpuGdOptions {
        memory_budget: Some(16),
        ..Default::default()
    };
    let p = GpuEngine::new(ctx)
        .with_options(opts)
        .plan(&problem, &b)
        .unwrap();
    assert!(
        p.store_a && p.strategy != Strategy::MatrixFree,
        "{}",
        p.reason
    );
}
