//! Each product kernel alone against its CPU twin (`gdshrink::precision::twin`),
//! so that a failure names the kernel.
//!
//! The twins perform the kernels' operations in the kernels' order (fma
//! within a k-tile of 16, Kahan compensation across tiles and across splits,
//! the finish kernel's slots in order), so the kernels must equal them **bit
//! for bit**. The one freedom Vulkan leaves is `fma`: one rounding, or a
//! multiply and an add (lavapipe does the latter); the twins take it as a
//! parameter ([`Fma`]) and each kernel must match the twin under one of the
//! two, exactly. Only the column-norm kernel divides, and Vulkan's division is
//! within 2.5 ulp: it is held to a stated tolerance instead. Inputs are
//! random with mixed signs (cancellation), with partial tiles, several splits,
//! both entry points of the product kernel, and slot counts that cover the
//! finish kernel's 8-load loop and its remainder.

use gdshrink::gpu::testing::{self, FinishCase};
use gdshrink::gpu::{GpuContext, GpuOptions};
use gdshrink::precision::U32;
use gdshrink::precision::twin::{self, Fma, RowMajor, SkinnySpec};
use rand::Rng;

use crate::common::gpu::{ctx, open};
use crate::common::rng;

/// Random values in [−1, 1) rounded to f32.
fn random(rng: &mut impl Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// Largest |got − want| / scale over all entries, and where.
fn worst(got: &[f32], want: &[f32], scale: &[f64]) -> (f64, usize) {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .zip(scale)
        .enumerate()
        .map(|(i, ((g, w), s))| ((f64::from(*g) - f64::from(*w)).abs() / s.max(1e-300), i))
        .fold(
            (0.0, 0),
            |a, b| if b.0 > a.0 || b.0.is_nan() { b } else { a },
        )
}

/// The kind of fma under which the twin reproduces `got` exactly; otherwise
/// a failure naming `what`, the closest twin and the first differing entry
/// with its size in u·`scale`.
fn assert_exact(what: &str, got: &[f32], twin: impl Fn(Fma) -> Vec<f32>, scale: &[f64]) -> Fma {
    let mut closest = (f64::INFINITY, 0, Fma::Fused, Vec::new());
    for fma in Fma::BOTH {
        let want = twin(fma);
        assert_eq!(got.len(), want.len(), "{what}: length");
        if got.iter().zip(&want).all(|(g, w)| g == w) {
            return fma;
        }
        let (w, at) = worst(got, &want, scale);
        if w < closest.0 {
            closest = (w, at, fma, want);
        }
    }
    let (w, at, fma, want) = closest;
    panic!(
        "{what}: the kernel matches its twin under no kind of fma; closest ({fma:?}): entry {at}: \
         gpu {} vs twin {} ({:.2} u of the magnitude sum {:e})",
        got[at],
        want[at],
        w / U32,
        scale[at]
    );
}

/// Σ_r |op(o, r)|·|x(r, b)| per output, slot by slot, laid out as the partials.
fn abs_sums(m: RowMajor<'_>, x: &[f32], spec: SkinnySpec) -> Vec<f64> {
    let abs_m: Vec<f32> = m.data.iter().map(|v| v.abs()).collect();
    let abs_x: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    let am = RowMajor { data: &abs_m, ..m };
    twin::skinny(am, &abs_x, spec)
        .iter()
        .map(|&v| f64::from(v))
        .collect()
}

fn contexts() -> Vec<(&'static str, GpuContext)> {
    // Tiled and streaming entry points; many splits (hardware occupancy).
    [("tiled", Some(true)), ("streaming", Some(false))]
        .into_iter()
        .map(|(name, tiled)| {
            (
                name,
                open(&GpuOptions {
                    tiled,
                    occupancy: Some(1024),
                    ..GpuOptions::default()
                }),
            )
        })
        .collect()
}

#[test]
fn skinny_kernel_equals_its_twin() {
    let mut rng = rng(11);
    let mut kinds = Vec::new();
    for (label, ctx) in contexts() {
        for &(rows, cols, nb) in &[(5, 37, 1), (40, 300, 3), (130, 90, 16), (7, 1000, 5)] {
            let data = random(&mut rng, rows * cols);
            let m = RowMajor {
                data: &data,
                rows,
                cols,
            };
            for transposed in [false, true] {
                let red = if transposed { rows } else { cols };
                let x = random(&mut rng, red * nb);
                let (got, split_len) = testing::skinny(&ctx, m, &x, nb, transposed).unwrap();
                let spec = |fma| SkinnySpec {
                    nb,
                    transposed,
                    split_len,
                    fma,
                };
                let what = format!(
                    "skinny[{label}, {}] {rows}x{cols}, B = {nb}, splits of {split_len}",
                    if transposed { "A^T" } else { "A" }
                );
                let scale = abs_sums(m, &x, spec(Fma::Fused));
                let fma = assert_exact(&what, &got, |f| twin::skinny(m, &x, spec(f)), &scale);
                kinds.push(fma);
            }
        }
    }
    eprintln!(
        "skinny: every launch equals its twin bit for bit (fma: {:?})",
        kinds[0]
    );
    assert!(
        kinds.iter().all(|k| *k == kinds[0]),
        "one device, one kind of fma: {kinds:?}"
    );
}

#[test]
fn finish_kernel_equals_its_twin() {
    let mut rng = rng(12);
    let ctx = ctx();
    let (len, nb) = (3 * 67, 3);
    for slots in [1usize, 7, 8, 11, 19] {
        let partial = random(&mut rng, slots * len);
        let y = random(&mut rng, len);
        let dst = random(&mut rng, len);
        let alpha: Vec<f32> = (0..nb).map(|b| 0.3 + 0.1 * b as f32).collect();
        for (c_p, with_y, with_update) in [
            (-1.0f32, true, false),
            (1.0, false, true),
            (0.0, true, true),
        ] {
            let case = FinishCase {
                partial: &partial,
                len,
                nb,
                y: with_y.then_some((y.as_slice(), 1.0)),
                c_p,
                update: with_update.then_some((dst.as_slice(), Some(alpha.as_slice()))),
            };
            let (v, d) = testing::finish(ctx, &case).unwrap();
            let what = format!("finish, {slots} slots, c_p = {c_p}, y: {with_y}");
            // v takes no fma (c_y and c_p are ±1 or 0): exact on every device.
            let want_v = twin::finish(&partial, len, case.y, c_p);
            let scale: Vec<f64> = (0..len)
                .map(|i| {
                    (0..slots)
                        .map(|k| f64::from(partial[k * len + i].abs()))
                        .sum::<f64>()
                        + f64::from(y[i].abs())
                })
                .collect();
            assert_exact(&what, &v, |_| want_v.clone(), &scale);
            if with_update {
                let d = d.expect("the updated dst");
                assert_exact(
                    &format!("{what}: dst += alpha v"),
                    &d,
                    |fma| twin::update(&dst, &want_v, Some(&alpha), nb, fma),
                    &scale,
                );
            }
        }
    }
}

#[test]
fn gram_kernel_equals_its_twin() {
    let mut rng = rng(13);
    let ctx = ctx();
    for &(rows, cols) in &[(9, 40), (70, 33), (3, 129)] {
        let data = random(&mut rng, rows * cols);
        let a = RowMajor {
            data: &data,
            rows,
            cols,
        };
        let abs: Vec<f32> = data.iter().map(|v| v.abs()).collect();
        let abs_a = RowMajor { data: &abs, ..a };
        for transposed in [false, true] {
            let got = testing::gram(ctx, a, transposed).unwrap();
            let scale: Vec<f64> = twin::gram(abs_a, transposed, Fma::Fused)
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let what = format!(
                "gram[{}] of {rows}x{cols}",
                if transposed { "A^T A" } else { "A A^T" }
            );
            assert_exact(&what, &got, |fma| twin::gram(a, transposed, fma), &scale);
        }
    }
}

#[test]
fn colnorm_kernel_equals_its_twin() {
    let mut rng = rng(14);
    let ctx = ctx();
    for &(n, nb) in &[(1, 1), (300, 3), (1000, 2)] {
        let mut r: Vec<f32> = random(&mut rng, n * nb).iter().map(|v| v * 1e20).collect();
        let got = testing::colnorm(ctx, &r, n, nb).unwrap();
        let want = twin::colnorm(&r, n, nb);
        for b in 0..nb {
            let what = format!("colnorm n = {n}, run {b}");
            assert_eq!(got[3 * b], want[3 * b], "{what}: max |r|");
            assert_eq!(got[3 * b + 2], 0.0, "{what}: no NaN flag on finite data");
            // Σ (r/max)² ≤ n: r/max may round differently (Vulkan division is
            // within 2.5 ulp), each term by ≤ 6u relative; the sums by ≤ 2u.
            let (g, w) = (f64::from(got[3 * b + 1]), f64::from(want[3 * b + 1]));
            assert!(
                (g - w).abs() <= 8.0 * U32 * w,
                "{what}: Σ(r/max)² gpu {g} vs twin {w}"
            );
            // ‖r‖ = max·√Σ without overflow, although Σ r² overflows f32.
            let norm = f64::from(got[3 * b]) * g.sqrt();
            let exact = (0..n)
                .map(|i| f64::from(r[i * nb + b]).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(
                (norm - exact).abs() <= 16.0 * U32 * exact,
                "{what}: {norm} vs {exact}"
            );
        }
        // A NaN in one run raises that run's flag only.
        r[nb - 1] = f32::NAN;
        let got = testing::colnorm(ctx, &r, n, nb).unwrap();
        assert_eq!(got[3 * (nb - 1) + 2], 1.0, "colnorm n = {n}: NaN flag");
        assert_eq!(twin::colnorm(&r, n, nb)[3 * (nb - 1) + 2], 1.0);
    }
}
