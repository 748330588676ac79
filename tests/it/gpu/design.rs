//! GPU design matrix (`shaders/kernels/design.wgsl`) against the f64 CPU matrix
//! (`Design::matrix`) for every activation, on linspace, midpoint and random
//! grids, tall and wide, with the row-block split forced on small sizes.
//!
//! Each entry is also held against the kernel's twin
//! (`gdshrink::precision::twin::design_matrix`, z formed in f32 as the kernel
//! forms it) within the model of one η value at that z.
//!
//! The CPU reference is built from the same f32-rounded x, b and σ
//! (`gdshrink::precision::twin::design`), so the comparison measures the
//! kernel: per entry the f32 model of one activation value at z = σ(x − b)
//! (`gdshrink::precision::eta_tolerance`; the two roundings of z are inside
//! its |z·η'| term). The end-to-end difference to the f64 design (rounding of
//! the problem itself) is printed beside it.

use gdshrink::gpu::{self, GpuContext};
use gdshrink::precision::{eta_tolerance, twin};
use gdshrink::{Activation, Design, Grid};
use rand::Rng;

use crate::common::gpu::{ctx, ctx_with_binding};
use crate::common::{all_activations, rng};

fn sigma_for(act: Activation, m: usize) -> f64 {
    match act {
        Activation::Tanh => m as f64,
        Activation::Sinc | Activation::Gaussian => 15.0,
        _ => 7.3,
    }
}

fn designs(act: Activation) -> Vec<Design> {
    let mut out = Vec::new();
    for (n, m) in [(64, 96), (97, 64), (128, 128)] {
        out.push(
            Design::spec(act)
                .sigma(sigma_for(act, m))
                .n(n)
                .m(m)
                .build()
                .unwrap(),
        );
    }
    out.push(
        Design::spec(act)
            .sigma(sigma_for(act, 80))
            .n(50)
            .m(80)
            .grid(Grid::Midpoint)
            .bias_grid(Grid::Linspace)
            .build()
            .unwrap(),
    );
    let mut rng = rng(11);
    let mut pts = |k: usize| {
        let mut v: Vec<f64> = (0..k).map(|_| rng.random::<f64>()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (x, b) = (pts(70), pts(45));
    out.push(Design::new(act, sigma_for(act, 45) * 1.37, x, b).unwrap());
    out
}

/// Max of |Δ|/tol over the entries (≤ 1 passes) and the Frobenius relative
/// differences (kernel, end-to-end).
fn check(ctx: &GpuContext, d: &Design) -> (f64, f64, f64) {
    let got = gpu::design_matrix(ctx, d).unwrap();
    let d32 = twin::design(d).unwrap();
    let want = d32.matrix();
    let exact = d.matrix();
    // The kernel's twin forms z in f32 as the kernel does: only the WGSL η
    // differs from it, within the model of one value at that z.
    let tw = twin::design_matrix(d, d.x());
    let s32 = d.sigma() as f32;
    let (n, m) = (d.n(), d.m());
    assert_eq!(got.len(), n * m);
    let mut worst = 0.0f64;
    let (mut num, mut num64, mut den) = (0.0, 0.0, 0.0);
    for i in 0..n {
        for j in 0..m {
            let g = f64::from(got[i * m + j]);
            let w = want[(i, j)];
            let z = d32.sigma() * (d32.x()[i] - d32.b()[j]);
            let tol = eta_tolerance(d.activation(), z);
            let diff = (g - w).abs();
            assert!(
                diff <= tol,
                "{} at ({i},{j}), z = {z:e}: got {g:e}, want {w:e}, |diff| {diff:e} > tol {tol:e}",
                d.label()
            );
            worst = worst.max(diff / tol);
            let z32 = f64::from(s32 * (d.x()[i] as f32 - d.b()[j] as f32));
            let dt = (g - tw[(i, j)]).abs();
            let tol32 = eta_tolerance(d.activation(), z32);
            assert!(
                dt <= tol32,
                "{} at ({i},{j}), z32 = {z32:e}: design kernel {g:e} vs its twin {:e}: |diff| {dt:e} > {tol32:e}",
                d.label(),
                tw[(i, j)]
            );
            num += diff * diff;
            num64 += (g - exact[(i, j)]).powi(2);
            den += exact[(i, j)].powi(2);
        }
    }
    let rel = |x: f64| {
        if den > 0.0 {
            (x / den).sqrt()
        } else {
            x.sqrt()
        }
    };
    (worst, rel(num), rel(num64))
}

#[test]
fn gpu_a_matches_cpu_a_for_every_activation() {
    let ctx = ctx();
    for act in all_activations() {
        let mut worst = 0.0f64;
        let mut kern = 0.0f64;
        let mut e2e = 0.0f64;
        for d in designs(act) {
            let (w, k, e) = check(ctx, &d);
            worst = worst.max(w);
            kern = kern.max(k);
            e2e = e2e.max(e);
        }
        eprintln!(
            "{act:>10}: max |diff|/tol = {worst:.3}, rel. Frobenius error vs CPU(f32 grids) = {kern:.2e}, \
             vs f64 design (end to end) = {e2e:.2e}"
        );
    }
}

#[test]
fn row_blocks_give_the_same_matrix() {
    // 5 rows of M = 96 per binding: a 64×96 A is split into 13 blocks.
    let small = ctx_with_binding(4 * 96 * 5);
    let ctx = ctx();
    for act in [Activation::Tanh, Activation::Sinc, Activation::Relu2] {
        let d = Design::spec(act)
            .sigma(sigma_for(act, 96))
            .n(64)
            .m(96)
            .build()
            .unwrap();
        let whole = gpu::design_matrix(ctx, &d).unwrap();
        let tiled = gpu::design_matrix(&small, &d).unwrap();
        assert_eq!(whole, tiled, "{act}: the split changed the entries");
        check(&small, &d);
    }
    // A row that does not fit one binding is a typed error naming the sizes.
    let tiny = ctx_with_binding(64);
    let d = Design::spec(Activation::Relu)
        .sigma(1.0)
        .n(4)
        .m(100)
        .build()
        .unwrap();
    let e = gpu::design_matrix(&tiny, &d).unwrap_err().to_string();
    assert!(e.contains("400") && e.contains("64"), "{e}");
}

#[test]
fn ties_give_z_zero_exactly() {
    // N = M: every diagonal entry has x_i = b_j, z = 0, where heaviside is 0.
    let ctx = ctx();
    let n = 256;
    let d = Design::spec(Activation::Heaviside)
        .sigma(1.0)
        .n(n)
        .m(n)
        .build()
        .unwrap();
    let a = gpu::design_matrix(ctx, &d).unwrap();
    for i in 0..n {
        assert_eq!(a[i * n + i], 0.0, "diagonal {i}");
        if i > 0 {
            assert_eq!(a[i * n + i - 1], 1.0, "sub-diagonal {i}");
        }
    }
    let s = Design::spec(Activation::Sinc)
        .sigma(300.0)
        .n(n)
        .m(n)
        .build()
        .unwrap();
    let a = gpu::design_matrix(ctx, &s).unwrap();
    assert!((0..n).all(|i| a[i * n + i] == 1.0));
}
