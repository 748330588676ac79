//! The products' reductions do not lose accuracy with their length: sums of
//! 2¹⁸ positive terms (A·w over M, Aᵀ·y over N) stay within a fixed multiple
//! of u, where a plain f32 running sum drifts by orders of magnitude more.
//!
//! Model: within a k-tile of TK = 16 terms an fma chain (≤ 15u relative, all
//! terms positive), tiles added with Kahan compensation (≤ 2u + O(L·u²)),
//! splits added with Kahan in the finish step (≤ 2u), A's entries rounded once
//! (u): ≤ 20u; tolerance 32u.

use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem, Strategy, rel_error};
use gdshrink::gpu::{self, GpuEngine, GpuOptions};
use gdshrink::precision::{U32, f_tolerance, twin};
use gdshrink::spectral;
use gdshrink::{Activation, Design};
use rand::Rng;

use crate::common::gpu::{ctx, open};
use crate::common::rng;

/// Relative error of a plain left-to-right f32 sum of each row of A·w.
fn naive_f32(a: &faer::Mat<f64>, w: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| {
            let mut s = 0f32;
            for (j, wj) in w.iter().enumerate() {
                s += (a[(i, j)] as f32) * (*wj as f32);
            }
            f64::from(s)
        })
        .collect()
}

fn exact(a: &faer::Mat<f64>, w: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| w.iter().enumerate().map(|(j, wj)| a[(i, j)] * wj).sum())
        .collect()
}

fn check(ctx: &gpu::GpuContext, len: usize, label: &str) {
    let mut rng = rng(5);
    // Along M: f₀ = A·w₀ at q = 0 (y = 0, so f = −r = A·w₀ exactly).
    let d = twin::design(
        &Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(4)
            .m(len)
            .build()
            .unwrap(),
    )
    .unwrap();
    let a = d.matrix();
    let w0: Vec<f64> = (0..len).map(|_| f64::from(rng.random::<f32>())).collect();
    let mut b = GdBatch::new(vec![vec![0.0; 4]], vec![1e-9], vec![0]);
    b.w0 = Some(vec![w0.clone()]);
    for strategy in [Strategy::Primal, Strategy::MatrixFree] {
        let t = GpuEngine::new(ctx)
            .with_strategy(strategy)
            .run(&Problem::from_design(&d), &b, &NoProgress)
            .unwrap();
        let want = exact(&a, &w0);
        let got = rel_error(&t.checkpoints[0].f[0], &want);
        let naive = rel_error(&naive_f32(&a, &w0), &want);
        eprintln!(
            "{label} {strategy}: A·w over M = {len}: error {:.1}u (plain f32 sum: {:.1}u)",
            got / U32,
            naive / U32
        );
        assert!(got <= 32.0 * U32, "{label} {strategy}: {got:e}");
        assert!(
            got * 4.0 < naive,
            "{label}: the plain sum is not worse here ({naive:e})"
        );
    }
    // Along N: w₁ = α·Aᵀy at q = 1 from w₀ = 0.
    let d = twin::design(
        &Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(len)
            .m(4)
            .build()
            .unwrap(),
    )
    .unwrap();
    let a = d.matrix();
    let y: Vec<f64> = (0..len).map(|_| f64::from(rng.random::<f32>())).collect();
    // Small enough that the step is stable (α·s_max² < 1); a power of two.
    let alpha = 2f64.powi(-40);
    let mut b = GdBatch::new(vec![y.clone()], vec![alpha], vec![1]);
    b.record_w = true;
    let t = GpuEngine::new(ctx)
        .run(&Problem::from_design(&d), &b, &NoProgress)
        .unwrap();
    let at = faer::Mat::from_fn(4, len, |j, i| a[(i, j)]);
    let want: Vec<f64> = exact(&at, &y).iter().map(|v| alpha * v).collect();
    let got = rel_error(&t.checkpoints[0].w.as_ref().unwrap()[0], &want);
    let naive = rel_error(&naive_f32(&at, &y), &exact(&at, &y));
    eprintln!(
        "{label}: Aᵀ·y over N = {len}: error {:.1}u (plain f32 sum: {:.1}u)",
        got / U32,
        naive / U32
    );
    assert!(got <= 32.0 * U32, "{label}: {got:e}");
    assert!(
        got * 4.0 < naive,
        "{label}: the plain sum is not worse here ({naive:e})"
    );
}

#[test]
fn long_reductions_stay_within_a_constant_times_u() {
    check(ctx(), 1 << 18, "streaming");
    let tiled = open(&GpuOptions {
        tiled: Some(true),
        ..GpuOptions::default()
    });
    check(&tiled, 1 << 16, "tiled");
}

/// Driver quirk: llvmpipe (lavapipe) stops every loop of an invocation once the
/// invocation has run 65535 loop iterations in total (Mesa's
/// `LP_MAX_TGSI_LOOP_ITERATIONS`, shared between all loops) — silently, so a
/// long reduction just loses its tail. The engine splits reductions (and the
/// Gram formation) so no invocation comes near the limit on such adapters
/// (`GpuContext::loop_limit`). Before that split, A·w over 2¹⁸ terms lost 8.6%.
#[test]
fn llvmpipe_loop_limit_never_truncates_a_sum() {
    for tiled in [false, true] {
        let ctx = open(&GpuOptions {
            tiled: Some(tiled),
            ..GpuOptions::default()
        });
        // 8 columns per invocation; 2¹⁸ terms would take one invocation past
        // the limit with a quarter of the sum each (the split used for speed).
        let len = 1 << 18;
        let d = twin::design(
            &Design::spec(Activation::Relu)
                .sigma(1.0)
                .n(3)
                .m(len)
                .build()
                .unwrap(),
        )
        .unwrap();
        let a = d.matrix();
        let mut rng = rng(9);
        let w0: Vec<Vec<f64>> = (0..8)
            .map(|_| (0..len).map(|_| f64::from(rng.random::<f32>())).collect())
            .collect();
        let mut b = GdBatch::new(vec![vec![0.0; 3]; 8], vec![1e-12; 8], vec![0]);
        b.w0 = Some(w0.clone());
        for strategy in [Strategy::Primal, Strategy::MatrixFree] {
            let t = GpuEngine::new(&ctx)
                .with_strategy(strategy)
                .run(&Problem::from_design(&d), &b, &NoProgress)
                .unwrap();
            for (r, w) in w0.iter().enumerate() {
                let e = rel_error(&t.checkpoints[0].f[r], &exact(&a, w));
                assert!(e <= 32.0 * U32, "tiled={tiled} {strategy} run {r}: {e:e}");
            }
        }
    }
}

/// The same quirk for the Gram matrices: K = AAᵀ and G = AᵀA over 2¹⁸-long
/// reductions are formed in chunks on such adapters.
#[test]
fn llvmpipe_loop_limit_never_truncates_a_gram_matrix() {
    let ctx = ctx();
    // K = AAᵀ and G = AᵀA over long reductions (chunked on such adapters).
    for (n, m) in [(16, 1 << 18), (1 << 18, 16)] {
        let d = twin::design(
            &Design::spec(Activation::Relu)
                .sigma(1.0)
                .n(n)
                .m(m)
                .build()
                .unwrap(),
        )
        .unwrap();
        let a = d.matrix();
        let s = spectral::singular_values(a.as_ref()).unwrap()[0];
        let y: Vec<f64> = d
            .x()
            .iter()
            .map(|x| f64::from((3.0 * x).sin() as f32))
            .collect();
        let alpha = f64::from((1.0 / (s * s)) as f32);
        let b = GdBatch::new(vec![y], vec![alpha], vec![0, 1, 2, 8]);
        let cpu = CpuEngine
            .run(
                &Problem::from_matrix(a.as_ref()).with_s_max(s),
                &b,
                &NoProgress,
            )
            .unwrap();
        let t = GpuEngine::new(ctx)
            .with_strategy(Strategy::Dual)
            .run(&Problem::from_design(&d).with_s_max(s), &b, &NoProgress)
            .unwrap();
        for (g, c) in t.checkpoints.iter().zip(&cpu.checkpoints) {
            let e = rel_error(&g.f[0], &c.f[0]);
            let tol = f_tolerance(1.0, g.q);
            assert!(e <= tol, "dual {n}x{m} q={}: {e:e} > {tol:e}", g.q);
        }
    }
}
