//! `validate` on the GPU engine (lavapipe in CI). A missing adapter FAILS
//! these tests with a clear message — they never skip.

use gdshrink::gd::{LearningRate, NoProgress, RunStatus, Strategy};
use gdshrink::gpu::GpuEngine;
use gdshrink::model::signal::Builtin;
use gdshrink::studies::StudyConfig;
use gdshrink::studies::validate::{ValidateConfig, validate};
use gdshrink::{Activation, Design};

use crate::common::gpu::ctx;

fn config(
    act: Activation,
    sigma: f64,
    (n, m): (usize, usize),
    qs: &[u64],
    alpha_s2: f64,
) -> ValidateConfig {
    let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
    let y = Builtin::Doppler.sample(d.x());
    ValidateConfig::new(StudyConfig::new(
        d,
        y,
        LearningRate::OverSmax2(alpha_s2),
        qs.to_vec(),
    ))
}

#[test]
fn every_strategy_passes_the_f32_model() {
    // Tolerances come from the error model (gdshrink::precision); measured on
    // lavapipe the largest err/tol here is 0.18 (sinc, dual), a factor 5 in hand.
    let ctx = ctx();
    for (act, sigma) in [
        (Activation::Tanh, 128.0),
        (Activation::Relu2, 128.0),
        (Activation::Sinc, 12.0),
    ] {
        for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
            // N > M exercises the weight-space dual (G = AᵀA).
            for (n, m) in [(48, 128), (96, 40)] {
                let cfg = config(act, sigma, (n, m), &[1, 10, 100, 2000], 1.0);
                let engine = GpuEngine::new(ctx).with_strategy(strategy);
                let r = validate(&cfg, &engine, &NoProgress).unwrap();
                let label = format!("{act} {strategy} N={n} M={m}");
                assert!(r.passed, "{label}: {:#?}", r.failures);
                assert!(
                    r.engine.contains(&strategy.to_string()),
                    "{label}: {}",
                    r.engine
                );
                assert_eq!(r.cpu_checked_to, Some(2000), "{label}");
                let worst = r
                    .checkpoints
                    .iter()
                    .flat_map(|c| [c.engine.f, c.engine.f_eval.unwrap(), c.engine.w])
                    .map(|m| m.err / m.tol.rel)
                    .fold(0.0f64, f64::max);
                eprintln!("{label}: worst err/tol {worst:.3}");
                for c in &r.checkpoints {
                    // f32 engine: far from f64, far below the tolerance, well above 0.
                    assert!(
                        c.engine.f.err > 1e-10 && c.engine.f.err < 1e-4,
                        "{label} {}",
                        c.engine.f.err
                    );
                    assert!(c.cpu.unwrap().f.err < 1e-12, "{label}");
                }
            }
        }
    }
}

#[test]
fn alternating_regime_is_validated_too() {
    // 1 < α s_max² < 2: the top components alternate in sign and still converge.
    let ctx = ctx();
    let cfg = config(Activation::Tanh, 64.0, (32, 64), &[1, 2, 3, 50, 500], 1.6);
    let engine = GpuEngine::new(ctx).with_strategy(Strategy::Auto);
    let r = validate(&cfg, &engine, &NoProgress).unwrap();
    assert!(r.passed, "{:#?}", r.failures);
    let top = r.directions.iter().find(|d| d.q == 1 && d.k == 0).unwrap();
    assert!(top.m_exact > 1.0 && top.resolved, "m(s_0) at q = 1 is 1.6");
    assert!((top.m_hat - 1.6).abs() < 1e-4, "{}", top.m_hat);
}

#[test]
fn gpu_divergence_is_measured_against_the_prediction() {
    let ctx = ctx();
    for strategy in [Strategy::Primal, Strategy::Dual] {
        let cfg = config(Activation::Relu, 1.0, (32, 64), &[10], 2.5);
        let engine = GpuEngine::new(ctx).with_strategy(strategy);
        let r = validate(&cfg, &engine, &NoProgress).unwrap();
        assert!(!r.passed);
        let d = r.divergence.as_ref().expect("divergence report");
        assert!((d.predicted_growth - 1.5).abs() < 1e-12);
        let g = d.measured_growth.expect("a measured growth");
        assert!(
            (g - 1.5).abs() < 0.03,
            "{strategy}: growth {g} ({})",
            d.source
        );
        assert!(
            !matches!(d.status, RunStatus::Ok),
            "{strategy}: {:?}",
            d.status
        );
        assert!(r.failures[0].message.contains("beyond the stability limit"));
    }
}

#[test]
fn tiny_learning_rates_pass_on_every_strategy() {
    // α s² q ≪ 1: f_q is a tiny fraction of y. The GPU used to report
    // f = y − r, whose subtraction rounds each f_i by u|r_i| ≈ u|y_i| ≫ u|f_i|
    // (1.6 % and 13.6 % relative error on the cases). It now forms f
    // from the iterate on the device (A·w; A·w₀ + K·c in the sample-space
    // dual), so the error is the f32 rounding of f itself: ε_A (A rounded to
    // f32, measured ≤ 6.1 u here) + the compensated product (≤ 2 u ‖|A||w|‖/‖f‖,
    // ≈ 2 u: A ≥ 0 entries on these cases) + storing f in f32 (u/2) — about
    // 9 u; 32 u (1.9e-6) leaves a factor 3.5 and is 4 orders of magnitude
    // below the 1.6e-2 of y − r. The model's own tolerance must be as tight
    // (no term in ‖r_q‖ left): at most 64 u·‖|A||w|‖/‖f‖-sized, so < 1e-5.
    let u = f64::from(f32::EPSILON) / 2.0;
    let ctx = ctx();
    for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
        for (act, (n, m), qs) in [
            (Activation::Tanh, (16, 32), &[1u64, 10, 100, 1000][..]),
            (Activation::Heaviside, (3, 1), &[10][..]),
            (Activation::Heaviside, (3, 16), &[1, 10][..]),
        ] {
            let cfg = super::tiny_rate::tiny_rate_config(act, (n, m), qs);
            let engine = GpuEngine::new(ctx).with_strategy(strategy);
            let r = validate(&cfg, &engine, &NoProgress).unwrap();
            assert!(r.passed, "{act} {strategy} N={n} M={m}: {:#?}", r.failures);
            for c in &r.checkpoints {
                let f = &c.engine.f;
                println!(
                    "{act} {strategy} N={n} M={m} q={}: f err {:.2e} ({:.1} u), tol {:.2e}",
                    c.q,
                    f.err,
                    f.err / u,
                    f.tol.rel
                );
                assert!(
                    f.err < 32.0 * u,
                    "{act} {strategy} N={n} M={m} q={}: f error {:e} = {:.0} u",
                    c.q,
                    f.err,
                    f.err / u
                );
                assert!(
                    f.tol.rel < 1e-5,
                    "{act} {strategy} N={n} M={m} q={}: f tolerance {:e} is not near f32 rounding",
                    c.q,
                    f.tol.rel
                );
            }
        }
    }
}
