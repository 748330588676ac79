//! Stable, tiny learning rates (α s² q ≪ 1): f_q is then a tiny fraction of
//! y. The f64 engine used to report f = y − r, whose subtraction cancels and
//! leaves an absolute error u‖y‖ — a relative error u‖y‖/‖f_q‖ of 1.5e-10
//! at N = 16, M = 32, α = 1e-8, q = 1, against a model tolerance of 7.7e-15.
//! It now forms f = A w, accurate to u·‖|A||w|‖/‖f‖ like every other product.

use gdshrink::gd::{CpuEngine, LearningRate, NoProgress};
use gdshrink::model::signal::Builtin;
use gdshrink::studies::StudyConfig;
use gdshrink::studies::validate::{ValidateConfig, validate};
use gdshrink::{Activation, Design};

pub(super) fn tiny_rate_config(
    act: Activation,
    (n, m): (usize, usize),
    qs: &[u64],
) -> ValidateConfig {
    let d = Design::spec(act).n(n).m(m).build().unwrap();
    let y = Builtin::Heavisine.sample(d.x());
    ValidateConfig::new(StudyConfig::new(
        d,
        y,
        LearningRate::Value(1e-8),
        qs.to_vec(),
    ))
}

#[test]
fn the_f64_engine_passes_at_a_tiny_learning_rate() {
    let cfg = tiny_rate_config(Activation::Tanh, (16, 32), &[1, 10, 100, 1000]);
    let r = validate(&cfg, &CpuEngine, &NoProgress).unwrap();
    assert!(
        r.alpha_s_max2 < 1e-4,
        "the case is α s² ≪ 1: {}",
        r.alpha_s_max2
    );
    assert!(r.passed, "{:#?}", r.failures);
    for c in &r.checkpoints {
        // f = A w in f64: a few ulps of ‖|A||w|‖/‖f‖ (≈ 1 here, tanh ≥ 0
        // entries and w of one sign in the leading directions); 1e-13 is
        // 450 u, far below the 1.5e-10 the subtraction y − r gave.
        assert!(c.engine.f.err < 1e-13, "q = {}: {:e}", c.q, c.engine.f.err);
        assert!(
            c.engine.f.ok && c.engine.w.ok && c.engine.f_eval.is_some_and(|m| m.ok),
            "q = {}",
            c.q
        );
    }
}
