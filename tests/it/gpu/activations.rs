//! Each WGSL activation (`shaders/fragments/activations.wgsl`) against its f64
//! twin (`Activation::eval`) on the adapter, over a dense z-grid with z = 0,
//! tiny, moderate and huge |z| of both signs. Tolerance: the f32 error model
//! of one η value, `gdshrink::precision::eta_tolerance`
//! (|Δ| ≤ C·u·(|η| + |z·η'|) + τ, C = 64); the measured constant is printed
//! (run with --nocapture) and is far below C.

use gdshrink::Activation;
use gdshrink::gpu;
use gdshrink::precision::{ETA_C, ETA_FLOOR, U32, eta_tolerance};

use crate::common::gpu::ctx;
use crate::common::{all_activations, dense_z_grid};
/// The shared dense grid ([`dense_z_grid`]) in f32.
fn z_grid() -> Vec<f32> {
    dense_z_grid().iter().map(|&v| v as f32).collect()
}

#[test]
fn every_wgsl_activation_matches_its_f64_twin() {
    let ctx = ctx();
    let z = z_grid();
    for act in all_activations() {
        let got = gpu::eval_activation(ctx, act, &z).unwrap();
        let mut worst_c = 0.0f64;
        let mut worst_rel = 0.0f64;
        for (&zi, &g) in z.iter().zip(&got) {
            let zf = f64::from(zi);
            let want = act.eval(zf);
            let want32 = want as f32;
            if want32.is_infinite() {
                // The true value is beyond f32 (relu2, splines at huge z): the
                // GPU must give the same infinity, never NaN.
                assert_eq!(g, want32, "{act} at z = {zi:e}: got {g}, want {want32}");
                continue;
            }
            let diff = (f64::from(g) - want).abs();
            let tol = eta_tolerance(act, zf);
            assert!(
                diff <= tol,
                "{act} at z = {zi:e}: got {g:e}, want {want:e}, |diff| = {diff:e} > tol {tol:e}"
            );
            // The scale the model multiplies by C·u (|η| + |z·η'| for a
            // built-in, the table's own scale for a table).
            let scale = (tol - ETA_FLOOR * (1.0 + zf.abs())) / (ETA_C * U32);
            if scale > 1e-30 {
                worst_c = worst_c.max(diff / (U32 * scale));
            }
            if want.abs() > 1e-30 {
                worst_rel = worst_rel.max(diff / want.abs());
            }
        }
        eprintln!(
            "{act:>10}: {} points, measured C = {worst_c:.2} (bound {}), max relative error {worst_rel:.2e}",
            z.len(),
            ETA_C
        );
    }
}

#[test]
fn landmarks_are_exact() {
    let ctx = ctx();
    let z = [0.0f32, -0.0, 1e-30, -1e-30];
    let h = gpu::eval_activation(ctx, Activation::Heaviside, &z).unwrap();
    assert_eq!(h, vec![0.0, 0.0, 1.0, 0.0]);
    let s = gpu::eval_activation(ctx, Activation::Sinc, &[0.0, 1.0, 2.0, -3.0]).unwrap();
    assert_eq!(s[0], 1.0);
    assert!(s[1..].iter().all(|v| *v == 0.0), "{s:?}");
    let g = gpu::eval_activation(ctx, Activation::Gaussian, &[0.0, 1e30, -1e30]).unwrap();
    assert_eq!(g, vec![1.0, 0.0, 0.0]);
    // tanh never NaN at large |z| (some drivers' built-in tanh is NaN past 44).
    let t = gpu::eval_activation(ctx, Activation::Tanh, &[44.5, -44.5, 1e30, -1e30]).unwrap();
    assert_eq!(t, vec![1.0, -1.0, 1.0, -1.0]);
}
