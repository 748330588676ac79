//! Batched GPU gradient descent (primal strategy and everything around it)
//! against the f64 CPU reference `CpuEngine`, on lavapipe in CI.
//!
//! Each comparison runs the CPU on the f32 version of the problem
//! (`gdshrink::precision::twin::problem`: grids, σ, y, α, w₀ rounded to f32)
//! so that it measures the GPU arithmetic; tolerances are the error model of
//! `gdshrink::precision::{f_tolerance, w_tolerance}` (f ∝ u·ν²·√(q+1); see
//! the module docs of `gdshrink::precision`).

use gdshrink::gd::{
    CpuEngine, Engine, GdBatch, NoProgress, Problem, RunStatus, Strategy, Trajectory, rel_error,
};
use gdshrink::gpu::{self, GpuEngine};
use gdshrink::precision::twin;
use gdshrink::spectral;
use gdshrink::{Activation, Design, Error};
use rand::Rng;

use crate::common::gpu::{Agreement, assert_agree, ctx, ctx_with_binding, reference};
use crate::common::rng;

fn s_max(d: &Design) -> f64 {
    spectral::singular_values(d.matrix().as_ref()).unwrap()[0]
}

/// B = 3 runs with different targets and rates α_b = c_b / s_max².
fn batch(d: &Design, s: f64, checkpoints: Vec<u64>) -> GdBatch {
    let ys: Vec<Vec<f64>> = (0..3)
        .map(|k| {
            d.x()
                .iter()
                .map(|x| ((3.0 + 2.5 * f64::from(k)) * x).sin() + 0.3 * f64::from(k) * x)
                .collect()
        })
        .collect();
    let a = 1.0 / (s * s);
    GdBatch::new(ys, vec![a, 0.5 * a, 1.7 * a], checkpoints)
}

/// CPU f64 reference and GPU run of the same (f32-rounded) problem.
fn run_both(
    ctx: &gpu::GpuContext,
    design: &Design,
    batch: &GdBatch,
    strategy: Strategy,
) -> (Trajectory, Trajectory, f64) {
    let r = reference(design, batch);
    let gpu = GpuEngine::new(ctx)
        .with_strategy(strategy)
        .run(
            &Problem::from_design(&r.design).with_s_max(r.s),
            &r.batch,
            &NoProgress,
        )
        .unwrap();
    (gpu, r.cpu, r.nu)
}

fn report(what: &str, ag: Agreement) {
    eprintln!(
        "{what:<40} max rel. error f {:.2e}  w {:.2e}  f_eval {:.2e}  (worst error/tolerance {:.2})",
        ag.f, ag.w, ag.f_eval, ag.worst_ratio
    );
}

#[test]
fn primal_matches_cpu_for_several_activations() {
    let ctx = ctx();
    let cases = [
        (Activation::Tanh, 96.0, 64, 96),
        (Activation::Tanh, 64.0, 96, 64),
        (Activation::Relu, 1.0, 64, 96),
        (Activation::Relu, 1.0, 96, 64),
        (Activation::Sinc, 15.0, 64, 96),
        (Activation::Gaussian, 15.0, 96, 64),
        (Activation::Heaviside, 1.0, 80, 80),
        (Activation::Gelu, 20.0, 48, 72),
    ];
    for (act, sigma, n, m) in cases {
        let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
        let mut b = batch(&d, s_max(&d), vec![0, 1, 10, 100, 1000]);
        b.record_w = true;
        let (g, c, nu) = run_both(ctx, &d, &b, Strategy::Primal);
        assert!(g.engine.name.contains("primal") && g.engine.name.contains(&ctx.adapter().name));
        let ag = assert_agree(&d.label(), &g, &c, nu, false);
        report(&format!("primal {}", d.label()), ag);
        // End to end: against the f64 problem itself (grids, σ, y, α not
        // rounded to f32). Reported, not asserted: it measures the rounding of
        // the problem (error model, item 1), not the engine.
        let a64 = d.matrix();
        let cpu64 = CpuEngine
            .run(&Problem::from_matrix(a64.as_ref()), &b, &NoProgress)
            .unwrap();
        let e2e = cpu64
            .checkpoints
            .iter()
            .zip(&g.checkpoints)
            .flat_map(|(c, g)| (0..3).map(move |r| rel_error(&g.f[r], &c.f[r])))
            .fold(0.0, f64::max);
        eprintln!("{:<40} end to end (f64 problem): f {e2e:.2e}", "");
    }
}

#[test]
fn long_run_to_q_ten_thousand() {
    let ctx = ctx();
    let d = Design::spec(Activation::Tanh)
        .sigma(48.0)
        .n(32)
        .m(48)
        .build()
        .unwrap();
    let mut b = batch(&d, s_max(&d), vec![0, 3, 30, 300, 3000, 10_000]);
    b.record_w = true;
    let (g, c, nu) = run_both(ctx, &d, &b, Strategy::Primal);
    report(
        "primal tanh 32x48 q=1e4",
        assert_agree("q = 1e4", &g, &c, nu, false),
    );
}

#[test]
fn record_w_eval_points_w0_and_q0() {
    let ctx = ctx();
    let d = Design::spec(Activation::Relu)
        .sigma(1.0)
        .n(40)
        .m(56)
        .build()
        .unwrap();
    let mut b = batch(&d, s_max(&d), vec![0, 5, 50, 400]);
    b.record_w = true;
    b.eval_points = Some((0..101).map(|i| f64::from(i) / 100.0).collect());
    let mut rng = rng(3);
    b.w0 = Some(
        (0..3)
            .map(|_| (0..56).map(|_| rng.random_range(-0.5..0.5)).collect())
            .collect(),
    );
    for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
        let (g, c, nu) = run_both(ctx, &d, &b, strategy);
        // q = 0 is w0 itself and f0 = A w0.
        let cp0 = g.at(0).unwrap();
        let w0 = b.w0.as_ref().unwrap();
        for (r, w0r) in w0.iter().enumerate() {
            let want: Vec<f64> = w0r.iter().map(|&v| f64::from(v as f32)).collect();
            assert!(rel_error(&cp0.w.as_ref().unwrap()[r], &want) < 1e-6);
        }
        assert_eq!(cp0.f_eval.as_ref().unwrap()[0].len(), 101);
        let ag = assert_agree(&format!("{strategy} w0/eval"), &g, &c, nu, false);
        report(&format!("{strategy} relu 40x56, w0, eval grid"), ag);
    }
}

#[test]
fn divergence_is_detected_with_the_predicted_growth() {
    let ctx = ctx();
    let d = Design::spec(Activation::Relu)
        .sigma(1.0)
        .n(24)
        .m(24)
        .build()
        .unwrap();
    let (d, _) = twin::problem(&d, &GdBatch::default()).unwrap();
    let a = d.matrix();
    let s = spectral::singular_values(a.as_ref()).unwrap()[0];
    let y: Vec<f64> = d
        .x()
        .iter()
        .map(|x| f64::from((x * 5.0).cos() as f32))
        .collect();
    let stable = f64::from((1.0 / (s * s)) as f32);
    let unstable = f64::from((2.5 / (s * s)) as f32);
    let mut b = GdBatch::new(
        vec![y.clone(), y],
        vec![stable, unstable],
        vec![1, 10, 100, 200],
    );
    // Refused up front unless asked for.
    let problem = Problem::from_design(&d).with_s_max(s);
    let e = GpuEngine::new(ctx)
        .run(&problem, &b, &NoProgress)
        .unwrap_err();
    assert!(
        matches!(e, Error::UnstableLearningRate { run: 1, .. }),
        "{e}"
    );
    b.allow_unstable = true;
    for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
        let g = GpuEngine::new(ctx)
            .with_strategy(strategy)
            .run(&problem, &b, &NoProgress)
            .unwrap();
        let cpu = CpuEngine
            .run(
                &Problem::from_matrix(a.as_ref()).with_s_max(s),
                &b,
                &NoProgress,
            )
            .unwrap();
        assert!(g.status[0].is_ok(), "{strategy}: {:?}", g.status);
        match (&g.status[1], &cpu.status[1]) {
            (
                RunStatus::Diverged { iteration, growth },
                RunStatus::Diverged {
                    iteration: ci,
                    growth: cg,
                },
            ) => {
                // Predicted |1 − α s_max²| = 1.5 per iteration.
                let predicted = (1.0 - unstable * s * s).abs();
                assert!(
                    (growth - predicted).abs() < 0.02,
                    "{strategy}: growth {growth}"
                );
                assert_eq!(
                    iteration, ci,
                    "{strategy}: detected at {iteration}, CPU at {ci}"
                );
                eprintln!(
                    "{strategy}: diverged at q = {iteration}, growth {growth:.5} (CPU {cg:.5}, predicted {predicted})"
                );
            }
            other => panic!("{strategy}: expected divergence, got {other:?}"),
        }
        // The stable run is unaffected and every checkpoint is there; the
        // failed run's checkpoints after the failure are NaN.
        assert_eq!(g.checkpoints.len(), 4);
        let last = g.at(200).unwrap();
        assert!(last.f[0].iter().all(|v| v.is_finite()));
        assert!(last.f[1].iter().all(|v| v.is_nan()));
        let (gc, cc) = (g.at(10).unwrap(), cpu.at(10).unwrap());
        assert!(rel_error(&gc.f[1], &cc.f[1]) < 1e-4);
        assert!(matches!(
            g.into_result(),
            Err(Error::Diverged {
                run: 1,
                partial: Some(_),
                ..
            })
        ));
    }
    // Overflow to ±∞ is caught as well (α 10⁶ times past the limit).
    b.alpha[1] = 1e6 / (s * s);
    let g = GpuEngine::new(ctx).run(&problem, &b, &NoProgress).unwrap();
    assert!(g.status[0].is_ok());
    assert!(!g.status[1].is_ok(), "{:?}", g.status);
}

#[test]
fn errors_are_typed_and_name_the_problem() {
    let ctx = ctx();
    let d = Design::spec(Activation::Tanh)
        .sigma(10.0)
        .n(16)
        .m(20)
        .build()
        .unwrap();
    let good = GdBatch::new(vec![vec![0.5; 16]], vec![1e-3], vec![0, 4]);
    let problem = Problem::from_design(&d);
    let run =
        |ctx: &gpu::GpuContext, b: &GdBatch| GpuEngine::new(ctx).run(&problem, b, &NoProgress);
    let mut b = good.clone();
    b.y[0].pop();
    assert!(matches!(run(ctx, &b), Err(Error::LengthMismatch { .. })));
    let mut b = good.clone();
    b.y[0][3] = 1e39; // finite in f64, not in f32
    let e = run(ctx, &b).unwrap_err().to_string();
    assert!(e.contains("f32") && e.contains("1e39"), "{e}");
    let mut b = good.clone();
    b.alpha[0] = 1e-50;
    let e = run(ctx, &b).unwrap_err().to_string();
    assert!(e.contains("alpha of run 0"), "{e}");
    // State that does not fit one binding: a typed error with the sizes.
    let small = ctx_with_binding(40);
    let e = run(&small, &good).unwrap_err();
    match &e {
        Error::Gpu(gpu::GpuError::TooLarge { requested, max, .. }) => {
            assert_eq!(*max, 40);
            assert!(*requested > 40);
        }
        other => panic!("expected TooLarge, got {other}"),
    }
}
