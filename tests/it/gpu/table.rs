//! Tabulated activations (`table:FILE`) on the GPU: the WGSL lookup
//! (`act_table`, the table in a storage buffer) against the f64 form
//! (`Activation::eval`, the same interpolation rule in f64), at every grid
//! point, between them, just outside the grid and far beyond it.
//!
//! Tolerance: the f32 model of one η value, `precision::eta_tolerance`, which
//! for a table is C·u·(max |η_k| + (|z| + |z_0| + h)·max |slope|) over the
//! segments next to z (C = 64): the values round to f32 (u·|η_k|), the
//! interpolation a + f·(b − a) adds a few roundings relative to the segment's
//! end values, and t = (z − z_0)·(1/h) rounds by ≈ 3u·(|z| + |z_0|)/h in index
//! units, which moves η by the slope times h per index unit. The measured
//! constant (error / (u·scale)) is printed and is a few units.

use gdshrink::Activation;
use gdshrink::gpu;
use gdshrink::precision::{U32, eta_tolerance};

use crate::common::gpu::ctx;
use crate::common::{wiggle_table, write_table};

/// Every grid point, the midpoints and quarter points, the ends ± a little,
/// and far outside.
fn probe(act: Activation) -> Vec<f32> {
    let Activation::Table(id) = act else {
        unreachable!()
    };
    let t = id.table();
    let mut z = Vec::new();
    for k in 0..t.len() {
        let zk = t.z0() + k as f64 * t.h();
        for d in [0.0, 0.25, 0.5, 0.75, 1e-3, -1e-3] {
            z.push((zk + d * t.h()) as f32);
        }
    }
    let (a, b) = (t.z0(), t.z_last());
    for d in [1e-6, 1e-3, 0.5, 1.0, 10.0, 1e6, 1e30] {
        z.extend([
            (a - d) as f32,
            (b + d) as f32,
            (a + d.min(0.5) * t.h()) as f32,
        ]);
    }
    z.extend([0.0, -0.0, f32::MAX, f32::MIN]);
    z
}

fn check(act: Activation) -> (f64, f64) {
    let Activation::Table(id) = act else {
        unreachable!()
    };
    let z = probe(act);
    let got = gpu::eval_activation(ctx(), act, &z).unwrap();
    let (mut worst_abs, mut worst_c) = (0.0f64, 0.0f64);
    for (&zi, &g) in z.iter().zip(&got) {
        let zf = f64::from(zi);
        let want = act.eval(zf);
        let diff = (f64::from(g) - want).abs();
        let tol = eta_tolerance(act, zf);
        assert!(
            diff <= tol,
            "{act} at z = {zi:e}: GPU {g:e}, CPU {want:e}, |diff| {diff:e} > tol {tol:e}"
        );
        worst_abs = worst_abs.max(diff);
        worst_c = worst_c.max(diff / (U32 * id.table().error_scale(zf)));
    }
    (worst_abs, worst_c)
}

#[test]
fn table_lookup_matches_the_f64_interpolation() {
    let relu_like = write_table("relu-like.npy", -4.0, 8.0 / 65536.0, 65537, |z| z.max(0.0));
    let offset = write_table("offset.csv", 1000.0, 0.01, 1601, |z| {
        ((z - 1008.0) / 3.0).sin()
    });
    let bump = write_table("bump.csv", -3.0, 0.5, 13, |z| (-z * z).exp());
    for act in [wiggle_table(), relu_like, offset, bump] {
        let Activation::Table(id) = act else {
            unreachable!()
        };
        let (abs, c) = check(act);
        eprintln!(
            "{:>8} points on [{}, {}]: max |GPU - CPU| = {abs:.2e}, measured C = {c:.2} (bound 64)",
            id.table().len(),
            id.table().z0(),
            id.table().z_last()
        );
    }
}

#[test]
fn far_outside_the_grid_is_the_end_value_exactly() {
    let act = wiggle_table();
    let Activation::Table(id) = act else {
        unreachable!()
    };
    let v = id.table().values();
    let got = gpu::eval_activation(
        ctx(),
        act,
        &[-1e30, 1e30, f32::MIN, f32::MAX, -100.0, 100.0],
    )
    .unwrap();
    let (first, last) = (v[0] as f32, v[v.len() - 1] as f32);
    assert_eq!(got, vec![first, last, first, last, first, last]);
}
