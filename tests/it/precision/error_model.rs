//! The f32 error model of `validate`, held against the f32 CPU twin of a
//! primal engine ([`PrimalF32`]).
//!
//! `PrimalF32` iterates GD in f32 on the CPU the way a primal GPU kernel
//! would — A formed from f32 grids (`twin::design_matrix`), every dot product
//! accumulated *sequentially* in f32 (the least accurate reduction order a
//! kernel can use) — so the tolerances can be checked on any machine. The
//! tests assert (a) every check passes with a margin, (b) the tolerances are
//! not vacuous (a one-iteration or a 1e-3 learning-rate slip fails, naming the
//! checkpoint and the direction), and (c) misuse is reported.

use gdshrink::gd::{
    CpuEngine, Engine, EngineInfo, GdBatch, LearningRate, NoProgress, Problem, Progress, Trajectory,
};
use gdshrink::model::signal::Builtin;
use gdshrink::precision::twin::PrimalF32;
use gdshrink::studies::StudyConfig;
use gdshrink::studies::validate::{Check, ValidateConfig, validate};
use gdshrink::{Activation, Design, Result};

/// [`PrimalF32`] with optional deliberate slips.
struct EmulatedF32 {
    /// Iterations added to every checkpoint (an off-by-one engine).
    extra_iterations: u64,
    /// Relative error put on α.
    alpha_slip: f64,
}

const GOOD: EmulatedF32 = EmulatedF32 {
    extra_iterations: 0,
    alpha_slip: 0.0,
};

impl Engine for EmulatedF32 {
    fn info(&self) -> EngineInfo {
        PrimalF32.info()
    }

    fn needs_host_matrix(&self) -> bool {
        PrimalF32.needs_host_matrix()
    }

    /// Runs the twin with α·(1 + slip) to q + extra at every checkpoint q,
    /// and reports those states as q.
    fn run(
        &self,
        problem: &Problem<'_>,
        batch: &GdBatch,
        progress: &dyn Progress,
    ) -> Result<Trajectory> {
        let mut slipped = batch.clone();
        slipped.alpha = batch
            .alpha
            .iter()
            .map(|a| a * (1.0 + self.alpha_slip))
            .collect();
        slipped.checkpoints = batch
            .checkpoints
            .iter()
            .map(|q| q + self.extra_iterations)
            .collect();
        let mut t = PrimalF32.run(problem, &slipped, progress)?;
        for (cp, &q) in t.checkpoints.iter_mut().zip(&batch.checkpoints) {
            cp.q = q;
        }
        Ok(t)
    }
}

fn config(act: Activation, sigma: f64, n: usize, m: usize, qs: &[u64]) -> ValidateConfig {
    let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
    let y = Builtin::Heavisine.sample(d.x());
    ValidateConfig::new(
        StudyConfig::new(d, y, LearningRate::OverSmax2(1.0), qs.to_vec()).with_signal("heavisine"),
    )
}

#[test]
fn f32_model_holds_with_margin_for_every_activation() {
    // Measured with this emulation (N = 64, M = 256, q ≤ 1e4): the largest
    // err/tol over all activations, spaces and checkpoints is 0.18 (sinc,
    // σ = M); the assertion leaves a further factor 2.2 before the model is wrong.
    let cases: Vec<(Activation, f64)> = Activation::PAPER
        .iter()
        .map(|&a| (a, 256.0))
        .chain([(Activation::Sinc, 16.0), (Activation::Gaussian, 16.0)])
        .collect();
    let mut worst: f64 = 0.0;
    for (act, sigma) in cases {
        let cfg = config(act, sigma, 64, 256, &[1, 10, 100, 1_000, 10_000]);
        let r = validate(&cfg, &GOOD, &NoProgress).unwrap();
        assert!(r.passed, "{act}: {:#?}", r.failures);
        assert_eq!(r.cpu_checked_to, Some(10_000));
        for c in &r.checkpoints {
            for m in [c.engine.f, c.engine.f_eval.unwrap(), c.engine.w] {
                worst = worst.max(m.err / m.tol.rel);
                // Not vacuous: a tolerance never exceeds 1e-2 at these q.
                assert!(m.tol.rel < 1e-2, "{act} q={} tol {}", c.q, m.tol.rel);
            }
            // The f64 line sits far below its own (f64) tolerance.
            let cpu = c.cpu.unwrap();
            assert!(
                cpu.f.ok && cpu.w.ok && cpu.f_eval.unwrap().ok,
                "{act} q={}",
                c.q
            );
            assert!(c.resolved > 0);
        }
        eprintln!("{act} sigma={sigma}: worst err/tol so far {worst:.3}");
    }
    assert!(worst < 0.4, "worst err/tol {worst}");
}

#[test]
fn an_off_by_one_engine_fails_with_checkpoint_and_direction() {
    let cfg = config(Activation::Tanh, 256.0, 64, 256, &[1, 10, 100]);
    let bad = EmulatedF32 {
        extra_iterations: 1,
        alpha_slip: 0.0,
    };
    let r = validate(&cfg, &bad, &NoProgress).unwrap();
    assert!(!r.passed);
    let f = r
        .failures
        .iter()
        .find(|f| f.check == Check::FunctionSamples && f.q == Some(10))
        .expect("function-space failure at q = 10");
    assert!(f.got > f.tol);
    assert!(f.message.contains("q = 10"), "{}", f.message);
    assert!(f.message.contains("exceeds the tolerance"), "{}", f.message);
    assert!(f.message.contains("largest along u_"), "{}", f.message);
    let m = r
        .failures
        .iter()
        .find(|f| f.check == Check::Mask && f.q == Some(1))
        .expect("mask failure at q = 1");
    assert!(
        m.k.is_some() && m.message.contains("m_hat"),
        "{}",
        m.message
    );
}

#[test]
fn a_learning_rate_slip_is_caught_in_function_space() {
    // α·(1 + 1e-3): f_q moves by ≈ 1e-3·q·∂m/∂q — far above the f32 tolerance (≈ 1e-5).
    let cfg = config(Activation::Relu, 256.0, 64, 256, &[1, 10]);
    let bad = EmulatedF32 {
        extra_iterations: 0,
        alpha_slip: 1e-3,
    };
    let r = validate(&cfg, &bad, &NoProgress).unwrap();
    assert!(
        r.failures
            .iter()
            .any(|f| f.check == Check::FunctionSamples && f.q == Some(1)),
        "{:#?}",
        r.failures
    );
}

#[test]
fn cpu_engine_is_exact_to_f64_tolerances() {
    // f64 GD vs the f64 SVD prediction: ~1e-14 measured, tolerances ~1e-13..1e-11.
    let cfg = config(
        Activation::Gelu,
        256.0,
        64,
        256,
        &[0, 1, 10, 100, 1_000, 10_000],
    );
    let r = validate(&cfg, &CpuEngine, &NoProgress).unwrap();
    assert!(r.passed, "{:#?}", r.failures);
    for c in &r.checkpoints {
        assert!(c.engine.f.err < 1e-12, "q={} {}", c.q, c.engine.f.err);
        assert!(c.engine.w.err < 1e-10, "q={} {}", c.q, c.engine.w.err);
        assert!(
            c.cpu.is_none(),
            "no separate sanity line for the f64 engine"
        );
    }
}
