//! SPEC §4 and §5 facts, each one a test that fails if the math is wrong, and
//! the typed errors promised for bad input (never a panic).
//!
//! The 1024×1024 spectra (heaviside, relu, relu2, tanh σ = M) are computed once
//! and shared between tests.

mod common;

use std::sync::OnceLock;

use common::*;
use gdshrink::mask::{self, Mask};
use gdshrink::signal::Builtin;
use gdshrink::spectrum::{self, ThinSvd};
use gdshrink::trajectory::{GdBatch, RunStatus};
use gdshrink::{Activation, Design, Error, Grid, Signal, cpu_gd, qk};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 1024;

/// Thin SVD of the N = M = 1024 linspace design of `act` at scale σ (cached).
fn svd_1024(act: Activation, sigma: f64) -> &'static (Design, ThinSvd) {
    static HEAVISIDE: OnceLock<(Design, ThinSvd)> = OnceLock::new();
    static TANH: OnceLock<(Design, ThinSvd)> = OnceLock::new();
    let cell = match act {
        Activation::Heaviside => &HEAVISIDE,
        Activation::Tanh => &TANH,
        other => panic!("no cached SVD for {other}"),
    };
    cell.get_or_init(|| {
        let d = Design::spec(act).sigma(sigma).n(N).m(N).build().unwrap();
        let svd = spectrum::thin_svd(d.matrix().as_ref()).unwrap();
        (d, svd)
    })
}

/// Singular values of the N = M = 1024 linspace design (cached for relu, relu2).
fn sv_1024(act: Activation) -> &'static Vec<f64> {
    static RELU: OnceLock<Vec<f64>> = OnceLock::new();
    static RELU2: OnceLock<Vec<f64>> = OnceLock::new();
    match act {
        Activation::Heaviside => &svd_1024(act, 1.0).1.s,
        Activation::Relu | Activation::Relu2 => {
            let cell = if act == Activation::Relu {
                &RELU
            } else {
                &RELU2
            };
            cell.get_or_init(|| sv_of(act, 1.0, N, N))
        }
        other => panic!("no cached spectrum for {other}"),
    }
}

fn sv_of(act: Activation, sigma: f64, n: usize, m: usize) -> Vec<f64> {
    let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
    spectrum::singular_values(d.matrix().as_ref()).unwrap()
}

fn q_at(s: &[f64], k: usize) -> u64 {
    qk::q_of_k(s, k, N, N).unwrap().q.expect("reachable q(K)")
}

// ---------------------------------------------------------------- §5 heaviside

/// Heaviside, N = M: A is the strictly lower-triangular all-ones matrix, i.e. a
/// zero row/column plus the n×n lower-triangular ones matrix L (n = N − 1), whose
/// singular values are known in closed form: s_k = 1 / (2 sin(π(2k+1)/(2(2n+1)))).
/// Hence s_k/s_0 = 1/(2k+1)·(1 + θ_k²/6 + …), θ_k = π(2k+1)/(2(2n+1)): the
/// continuum law with an O((k/N)²) discretization term (≈ 1.0e−3 at k = 50).
#[test]
fn heaviside_spectrum_is_one_over_2k_plus_1() {
    let s = sv_1024(Activation::Heaviside);
    let n = N - 1;
    // Exact discrete formula, to the SVD's own accuracy (ε·N·s_0).
    let tol = sv_abs_tol(N, N, s[0]);
    for (k, &sk) in s.iter().enumerate().take(n) {
        let theta = std::f64::consts::PI * (2 * k + 1) as f64 / (2 * (2 * n + 1)) as f64;
        let want = 1.0 / (2.0 * theta.sin());
        assert!((sk - want).abs() <= tol, "s_{k} = {sk}, closed form {want}");
    }
    assert!(
        s[n] <= tol,
        "the zero row/column gives s_{{N-1}} = 0, got {}",
        s[n]
    );
    // Continuum law for k ≤ 50: the relative deviation is the discretization
    // term θ_k²/6 ≤ 1.0e−3 (bounded here by 1.2e−3), absolute ≤ 1e−5 ("4 digits").
    for k in 0..=50 {
        let r = s[k] / s[0];
        let law = 1.0 / (2 * k + 1) as f64;
        assert!(
            (r / law - 1.0).abs() <= 1.2e-3,
            "k={k}: s_k/s_0 = {r}, 1/(2k+1) = {law}"
        );
        assert!(
            (r - law).abs() <= 1e-5,
            "k={k}: s_k/s_0 = {r}, 1/(2k+1) = {law}"
        );
    }
}

/// u_k ≈ d_k = sin(π(k+½)x): |cos| ≥ 0.9999 at k ∈ {0, 4, 5, 9} (SPEC §5, measured
/// ≥ 0.99996), and d_k is the best-matching basis vector.
#[test]
fn heaviside_components_are_dst_like() {
    let (d, svd) = svd_1024(Activation::Heaviside, 1.0);
    let ks = [0, 4, 5, 9];
    for m in spectrum::dst_similarity(svd, &d.x, &ks).unwrap() {
        assert!(
            m.abs_cos >= 0.9999,
            "k={}: |cos(u_k, d_k)| = {}",
            m.k,
            m.abs_cos
        );
        assert_eq!(m.best_j, m.k);
    }
}

/// Hence q(K) = (2K − 1)² approximately: q(10) = 361 (SPEC §5) and, for K ≤ 50,
/// q(K)/(2K−1)² − 1 is the squared discretization term (≤ 2·1.2e−3) plus the
/// ceiling (≤ 1/(2K−1)²).
#[test]
fn heaviside_q_of_k_is_2k_minus_1_squared() {
    let s = sv_1024(Activation::Heaviside);
    assert_eq!(q_at(s, 10), 361);
    for k in 1..=50 {
        let law = ((2 * k - 1) * (2 * k - 1)) as f64;
        let q = q_at(s, k) as f64;
        assert!(
            (q / law - 1.0).abs() <= 2.4e-3 + 1.0 / law,
            "K={k}: q = {q}, (2K-1)^2 = {law}"
        );
    }
}

// ---------------------------------------------------------------- §5 decay rates

/// Least-squares slope of log(s_k/s_0) against log(k + ½) over k ∈ [lo, hi].
fn loglog_slope(s: &[f64], lo: usize, hi: usize) -> f64 {
    let pts: Vec<(f64, f64)> = (lo..=hi)
        .map(|k| ((k as f64 + 0.5).ln(), (s[k] / s[0]).ln()))
        .collect();
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    sxy / sxx
}

/// s_k/s_0 = O(k^−r) with r = 1, 2, 3 for heaviside, relu, relu2 (spline order).
/// Fitted over k ∈ [10, 100] against log(k + ½) (the continuum law is
/// ∝ (k + ½)^−r; k ≥ 10 skips the first terms, k ≤ 100 ≪ N keeps the
/// O((k/N)²) discretization term small). Measured slopes −0.998, −1.997,
/// −3.000; tolerance ±0.05, a twentieth of the distance between classes.
#[test]
fn decay_rate_follows_spline_order() {
    for (act, r) in [
        (Activation::Heaviside, 1.0),
        (Activation::Relu, 2.0),
        (Activation::Relu2, 3.0),
    ] {
        let slope = loglog_slope(sv_1024(act), 10, 100);
        assert!(
            (slope + r).abs() <= 0.05,
            "{act}: slope {slope}, expected -{r}"
        );
    }
}

/// q(K) at N = M = 1024 against SPEC §5's numbers. The SPEC gives two significant
/// digits, so the check is half a unit in the last printed digit
/// (e.g. 6.4e4 means [6.35e4, 6.45e4]); measured 361, 64172, 5828370 (K = 10)
/// and 9783, 4.713e7, 1.167e11 (K = 50).
#[test]
fn q_of_k_matches_spec_numbers() {
    let cases = [
        (Activation::Heaviside, 10, 361.0, 0.5),
        (Activation::Relu, 10, 6.4e4, 0.05e4),
        (Activation::Relu2, 10, 5.8e6, 0.05e6),
        (Activation::Heaviside, 50, 9.8e3, 0.05e3),
        (Activation::Relu, 50, 4.7e7, 0.05e7),
        (Activation::Relu2, 50, 1.2e11, 0.05e11),
    ];
    for (act, k, want, half_unit) in cases {
        let q = q_at(sv_1024(act), k) as f64;
        assert!(
            (q - want).abs() <= half_unit,
            "{act} q(K={k}) = {q}, SPEC {want:e}"
        );
    }
}

// ---------------------------------------------------------------- §5 tanh

/// tanh(σz), σ = M = 1024: singular values in equal pairs (1, 1, 1/3, 1/3, 1/5, …;
/// relative gap within a pair at rounding level, measured ≤ 2e−15), each pair
/// spanning {cos, sin}(π(2j+1)x) (projection ≥ 0.9999, measured ≥ 0.99997).
/// Individual vectors within an exactly degenerate pair are arbitrary (any
/// rotation is a valid SVD), so "not individually DST-like" is checked on what
/// the pair determines: the largest |cos(u, d_k)| over every unit u in the pair's
/// plane stays ≤ 0.96 (measured 0.90–0.95), while heaviside reaches 0.9999.
#[test]
fn tanh_sharp_comes_in_pairs() {
    let (d, svd) = svd_1024(Activation::Tanh, N as f64);
    let s = &svd.s;
    for j in 0..10 {
        let (a, b) = (s[2 * j], s[2 * j + 1]);
        assert!((a - b) <= 1e-12 * s[0], "pair {j}: s = {a}, {b}");
        let law = 1.0 / (2 * j + 1) as f64;
        assert!(
            (a / s[0] / law - 1.0).abs() <= 2e-3,
            "pair {j}: s/s_0 = {}",
            a / s[0]
        );
        // The next pair is clearly separated: (2j+1)/(2j+3) ≤ 0.905 for j < 10.
        assert!(s[2 * j + 2] <= 0.95 * b, "pair {j} vs next");
    }
    let ks = [0, 1, 4, 5, 8, 9];
    for m in spectrum::dst_similarity(svd, &d.x, &ks).unwrap() {
        assert!(
            m.fourier_pair_proj >= 0.9999,
            "k={}: pair projection {}",
            m.k,
            m.fourier_pair_proj
        );
        let k2 = m.k ^ 1; // partner in the pair
        let dk = spectrum::dst_basis(&d.x, m.k);
        let nd = dk.iter().map(|v| v * v).sum::<f64>().sqrt();
        let c = |k: usize| {
            svd.u_col(k)
                .iter()
                .zip(&dk)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / nd
        };
        let plane_max = (c(m.k).powi(2) + c(k2).powi(2)).sqrt();
        assert!(
            plane_max <= 0.96,
            "k={}: max |cos| over the pair plane {plane_max}",
            m.k
        );
        assert!(m.abs_cos <= plane_max + 1e-12);
    }
    // q(K = 10) ≈ 82 (SPEC §5): ratio² = 81.05, far from an integer.
    assert_eq!(q_at(s, 10), 82);
}

// ---------------------------------------------------------------- §5 sinc, gaussian

/// sinc(σ·): s_k/s_0 ≈ 1 for k < σ, then a precipitous drop.
/// At N = M = 1024, σ ∈ {15, 30} (measured): ≥ 0.996 for k ≤ σ − 4, 0.32–0.34 at
/// k = σ, ≤ 7e−4 from k = σ + 4, and s_{1.5σ}/s_0 ≤ 1.5e−7; the steepest
/// neighbour ratio s_{k+1}/s_k around σ is ≈ 0.27.
/// gaussian exp(−π(σz)²): gradual fall, s_σ/s_0 ≈ 0.43 and s_2σ/s_0 ≈ 0.044
/// (SPEC §2 at σ = 15, checked to half a unit in the last printed digit), and
/// no neighbour ratio below 0.8 (measured 0.82).
#[test]
fn sinc_plateau_and_gaussian_gradual_fall() {
    for sigma in [15usize, 30] {
        let s = sv_of(Activation::Sinc, sigma as f64, N, N);
        let r = spectrum::normalized(&s);
        for (k, rk) in r.iter().enumerate().take(sigma - 3) {
            assert!(*rk >= 0.98, "sinc σ={sigma}: plateau s_{k}/s_0 = {rk}");
        }
        assert!(
            (0.2..=0.5).contains(&r[sigma]),
            "sinc σ={sigma}: s_σ/s_0 = {}",
            r[sigma]
        );
        for (k, rk) in r.iter().enumerate().skip(sigma + 4).take(2 * sigma) {
            assert!(
                *rk <= 1e-3,
                "sinc σ={sigma}: s_{k}/s_0 = {rk} after the cut-off"
            );
        }
        assert!(
            r[3 * sigma / 2] <= 1e-6,
            "sinc σ={sigma}: s_1.5σ/s_0 = {}",
            r[3 * sigma / 2]
        );
        let steepest = (sigma - 3..sigma + 3)
            .map(|k| r[k + 1] / r[k])
            .fold(1.0, f64::min);
        assert!(
            steepest <= 0.35,
            "sinc σ={sigma}: steepest neighbour ratio {steepest}"
        );
    }
    let sigma = 15;
    let r = spectrum::normalized(&sv_of(Activation::Gaussian, sigma as f64, N, N));
    assert!(
        (r[sigma] - 0.43).abs() <= 0.005,
        "gaussian s_σ/s_0 = {}",
        r[sigma]
    );
    assert!(
        (r[2 * sigma] - 0.044).abs() <= 0.0005,
        "gaussian s_2σ/s_0 = {}",
        r[2 * sigma]
    );
    for k in 0..2 * sigma {
        let ratio = r[k + 1] / r[k];
        assert!(
            (0.8..=1.0).contains(&ratio),
            "gaussian s_{}/s_{k} = {ratio}",
            k + 1
        );
    }
}

// ---------------------------------------------------------------- §3 GD = closed form

/// Iterated f64 GD equals the gd_exact closed form, f and w, for B = 3 runs with
/// different α (1, 0.5 and 1.5 /s_max² — the last in the alternating regime for
/// the top components) and different y (two built-ins and seeded noise), on wide
/// (N < M) and tall (N > M) designs of several activations, at q ∈ {0, 1, 7, 50, 400}.
/// Tolerance 1e−10 relative: rounding grows at most ~linearly in q
/// (≤ 400·few·ε ≈ 1e−13, see golden.rs), measured ≤ 1e−13; the loss likewise.
/// A non-zero w₀ is the same with y ← y − A w₀ and w ← w₀ + w (paper App. B).
#[test]
fn iterated_gd_equals_closed_form() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x005e_ed6d);
    let qs = vec![0, 1, 7, 50, 400];
    let designs = [
        (Activation::Tanh, 100.0, 40, 100),
        (Activation::Relu, 1.0, 100, 40),
        (Activation::Gelu, 20.0, 60, 90),
        (Activation::Gaussian, 12.0, 90, 60),
        (Activation::Heaviside, 1.0, 70, 70),
    ];
    let mut worst: f64 = 0.0;
    for (act, sigma, n, m) in designs {
        let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
        let a = d.matrix();
        let svd = spectrum::thin_svd(a.as_ref()).unwrap();
        let smax2 = svd.s_max() * svd.s_max();
        let noise: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ys = vec![
            Builtin::Heavisine.sample(&d.x),
            Builtin::Doppler.sample(&d.x),
            noise,
        ];
        let alphas = vec![1.0 / smax2, 0.5 / smax2, 1.5 / smax2];
        let w0: Vec<Vec<f64>> = (0..3)
            .map(|b| {
                (0..m)
                    .map(|_| {
                        if b == 2 {
                            rng.random_range(-0.1..0.1)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mut batch = GdBatch::new(ys.clone(), alphas.clone(), qs.clone());
        batch.record_w = true;
        batch.w0 = Some(w0.clone());
        let t = cpu_gd::run(a.as_ref(), &batch, Some(svd.s_max()), None)
            .unwrap()
            .into_result()
            .unwrap();
        for b in 0..3 {
            // y ← y − A w₀
            let aw0 = d.eval(&w0[b], &d.x).unwrap();
            let yb: Vec<f64> = ys[b].iter().zip(&aw0).map(|(y, v)| y - v).collect();
            let closed = mask::shrink(&svd, &yb, &mask::gd_exact_masks(alphas[b], &qs)).unwrap();
            for (i, &q) in qs.iter().enumerate() {
                let cp = t.at(q).unwrap();
                let f_cf: Vec<f64> = closed.f[i].iter().zip(&aw0).map(|(f, v)| f + v).collect();
                let w_cf: Vec<f64> = closed.w[i].iter().zip(&w0[b]).map(|(w, v)| w + v).collect();
                let what = format!("{act} σ={sigma} {n}x{m} run {b} q={q}");
                let ef = rel(&cp.f[b], &f_cf);
                let ew = rel(&cp.w.as_ref().unwrap()[b], &w_cf);
                let el = (cp.loss[b] - gdshrink::trajectory::half_sq_residual(&ys[b], &f_cf)).abs()
                    / cp.loss[b];
                if q == 0 && b < 2 {
                    // w₀ = 0: f₀ = 0 exactly.
                    assert!(cp.f[b].iter().all(|v| *v == 0.0), "{what}");
                    continue;
                }
                assert_le(ef, 1e-10, &format!("{what}: f"));
                assert_le(ew, 1e-10, &format!("{what}: w"));
                assert_le(el, 1e-10, &format!("{what}: loss"));
                worst = worst.max(ef).max(ew).max(el);
            }
        }
    }
    eprintln!("iterated GD vs gd_exact closed form: worst relative error {worst:e}");
}

// ---------------------------------------------------------------- §4 Prop. 4.2

/// At q = (s_0/s_{K−1})² and α = 1/s_0²: the flow mask at s_{K−1} is 1 − e⁻¹
/// exactly (κ(α, q, e⁻¹) = s_{K−1}), and the exact mask after the integer
/// q(K) = ⌈ratio²⌉ steps is 1 − (1 − 1/ratio²)^q(K) = (1 − e⁻¹) + O(1/ratio²)
/// (from (1 − 1/Q)^Q = e⁻¹(1 − 1/(2Q) + …), ≤ 1 extra step from the ceiling and
/// ≤ 10⁻⁹·ratio² fewer from its slack `Q_RTOL`), checked to ≤ 1/ratio² + Q_RTOL,
/// for heaviside, relu, relu2 at K ∈ {2, 5, 10, 50}.
#[test]
fn mask_at_q_of_k_is_one_minus_inverse_e() {
    let target = 1.0 - (-1.0f64).exp();
    for act in [Activation::Heaviside, Activation::Relu, Activation::Relu2] {
        let s = sv_1024(act);
        let alpha = 1.0 / (s[0] * s[0]);
        for k in [2, 5, 10, 50] {
            let row = qk::q_of_k(s, k, N, N).unwrap();
            let (q, r2) = (row.q.unwrap(), row.ratio_sq.unwrap());
            let sk = s[k - 1];
            let flow = mask::gd_flow(sk, alpha, r2);
            assert!((flow - target).abs() <= 1e-12, "{act} K={k}: flow {flow}");
            let kappa = qk::kappa(alpha, r2, (-1.0f64).exp()).unwrap();
            assert!(
                (kappa - sk).abs() <= 1e-12 * sk,
                "{act} K={k}: κ {kappa} vs s {sk}"
            );
            let exact = mask::gd_exact(sk, alpha, q);
            assert!(
                (exact - target).abs() <= 1.0 / r2 + qk::Q_RTOL,
                "{act} K={k} (q={q}, ratio²={r2}): exact mask {exact}"
            );
            // And the component is "kept" (above 1/2), its successor less so.
            assert!(mask::gd_exact(s[k], alpha, q) < exact);
        }
        // SPEC's consequence, active window ρ = √q at ε = e⁻¹.
        assert!((qk::window_rho(100.0, (-1.0f64).exp()) - 10.0).abs() < 1e-12);
    }
}

/// Where m(s) = level, by bisection in log s on [1e−8, s_top]; m must increase
/// there (α = 1: s_top = 1 for the exact mask, beyond which it alternates).
fn solve_mask(mk: Mask, level: f64) -> f64 {
    let s_top: f64 = match mk {
        Mask::GdExact { .. } => 1.0,
        _ => 100.0,
    };
    let (mut lo, mut hi) = (1e-8f64.ln(), s_top.ln());
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mk.eval(mid.exp()) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// Grey zone: measured on the masks themselves (bisection for m = 1 − δ and
/// m = δ, δ = 0.005), width 10·log10(s_hi/s_lo) in dB. Flow: 15.12 dB for every
/// q (SPEC §4); exact: 14.57, 15.06, 15.11, 15.12 dB at q = 10 … 10⁴. The SPEC
/// numbers are checked to half a unit in their last digit, the closed forms in
/// `qk` to 1e−9 dB (bisection resolves log s to 2⁻²⁰⁰).
#[test]
fn grey_zone_widths() {
    let delta = 0.005;
    let width = |mk: Mask| 10.0 * (solve_mask(mk, 1.0 - delta) / solve_mask(mk, delta)).log10();
    for q in [1.0, 10.0, 1e3, 1e4] {
        let w = width(Mask::GdFlow { alpha: 1.0, q });
        assert!((w - 15.12).abs() <= 0.005, "flow q={q}: {w} dB");
        assert!(
            (w - qk::grey_zone_flow_db(delta)).abs() <= 1e-9,
            "flow q={q}"
        );
    }
    for (q, spec) in [(10u64, 14.57), (100, 15.06), (1000, 15.11), (10_000, 15.12)] {
        let w = width(Mask::GdExact { alpha: 1.0, q });
        assert!(
            (w - spec).abs() <= 0.005,
            "exact q={q}: {w} dB, SPEC {spec}"
        );
        assert!(
            (w - qk::grey_zone_exact_db(q, delta)).abs() <= 1e-9,
            "exact q={q}"
        );
    }
}

/// The gd_flow gap (SPEC §4): ‖f_flow − f_exact‖/‖f_exact‖ ≈ 0.36 at q = 1,
/// ~1e−2 at q = 10, ~1e−3…1e−4 at q = 100, shrinking further with q.
/// Case: tanh, σ = M = 256, N = 64 (linspace), heavisine, α = 1/s_max² — the
/// golden gd_checkpoints case (measured 0.361, 1.31e−2, 6.9e−4, 3.0e−5). At q = 1
/// the top component alone gives 1 − (1 − e⁻¹) = e⁻¹ ≈ 0.368 relative gap.
#[test]
fn gd_flow_gap_shrinks_with_q() {
    let d = Design::spec(Activation::Tanh)
        .sigma(256.0)
        .n(64)
        .m(256)
        .build()
        .unwrap();
    let svd = spectrum::thin_svd(d.matrix().as_ref()).unwrap();
    let y = Builtin::Heavisine.sample(&d.x);
    let alpha = 1.0 / (svd.s_max() * svd.s_max());
    let qs = [1u64, 10, 100, 1000];
    let mut masks = mask::gd_exact_masks(alpha, &qs);
    masks.extend(mask::gd_flow_masks(alpha, &qs));
    let sh = mask::shrink(&svd, &y, &masks).unwrap();
    let gap: Vec<f64> = (0..4).map(|i| rel(&sh.f[4 + i], &sh.f[i])).collect();
    assert!((gap[0] - 0.36).abs() <= 0.01, "q=1: {}", gap[0]);
    assert!((5e-3..=3e-2).contains(&gap[1]), "q=10: {}", gap[1]);
    assert!((1e-4..=1e-3).contains(&gap[2]), "q=100: {}", gap[2]);
    assert!(
        gap[3] < gap[2] && gap[2] < gap[1] && gap[1] < gap[0],
        "{gap:?}"
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn zero_sizes_are_typed_errors() {
    for (n, m, name) in [(0, 4, "n"), (4, 0, "m")] {
        match Design::spec(Activation::Tanh).sigma(1.0).n(n).m(m).build() {
            Err(Error::InvalidParameter {
                name: got, value, ..
            }) => {
                assert_eq!((got.as_str(), value.as_str()), (name, "0"));
            }
            other => panic!("N={n} M={m}: {other:?}"),
        }
    }
}

#[test]
fn bad_sigma_is_a_typed_error() {
    for sigma in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Design::spec(Activation::Relu)
            .sigma(sigma)
            .n(4)
            .m(4)
            .build()
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidParameter { name, .. } if name == "sigma"),
            "σ={sigma}: {e:?}"
        );
        assert!(e.to_string().contains("> 0"), "{e}");
    }
}

#[test]
fn non_finite_signal_is_a_typed_error() {
    let d = Design::spec(Activation::Tanh)
        .sigma(10.0)
        .n(6)
        .m(5)
        .build()
        .unwrap();
    let a = d.matrix();
    let svd = spectrum::thin_svd(a.as_ref()).unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut y = vec![0.5; 6];
        y[3] = bad;
        match mask::shrink(&svd, &y, &[Mask::Ridge { lambda: 1.0 }]) {
            Err(Error::NonFiniteInput { index: 3, .. }) => {}
            other => panic!("shrink with {bad}: {other:?}"),
        }
        let batch = GdBatch::new(vec![vec![0.0; 6], y.clone()], vec![0.1, 0.1], vec![1]);
        let e = cpu_gd::run(a.as_ref(), &batch, Some(svd.s_max()), None).unwrap_err();
        assert!(matches!(e, Error::NonFiniteInput { index: 3, .. }), "{e:?}");
        assert!(e.to_string().contains("run 1"), "{e}");
    }
    // From a file: the value parses (Rust reads "nan"/"inf") and is then refused.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("y.txt");
    std::fs::write(&p, "0.1 0.2 nan 0.4 0.5 0.6").unwrap();
    let e = Signal::File(p).values(&d.x).unwrap_err();
    assert!(matches!(e, Error::NonFiniteInput { index: 2, .. }), "{e:?}");
    // Non-finite matrices are refused by the SVD routes, naming the entry.
    let mut bad = a.clone();
    bad[(2, 1)] = f64::NAN;
    let e = spectrum::thin_svd(bad.as_ref()).unwrap_err().to_string();
    assert!(e.contains("(2, 1)"), "{e}");
}

#[test]
fn unknown_activation_lists_valid_names() {
    let e = "softplus".parse::<Activation>().unwrap_err();
    assert!(matches!(e, Error::UnknownActivation { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("softplus"), "{msg}");
    for name in Activation::PAPER.map(|a| a.name()) {
        assert!(msg.contains(&name), "message misses '{name}': {msg}");
    }
    assert!(msg.contains("spline"), "{msg}");
}

#[test]
fn unstable_learning_rate_names_run_and_limit() {
    let d = Design::spec(Activation::Relu)
        .sigma(1.0)
        .n(12)
        .m(10)
        .build()
        .unwrap();
    let a = d.matrix();
    let s_max = spectrum::singular_values(a.as_ref()).unwrap()[0];
    let limit = 2.0 / (s_max * s_max);
    let y = Builtin::Bumps.sample(&d.x);
    // Exactly at the limit is already refused (α ≥ 2/s_max²).
    for bad in [limit, 1.5 * limit] {
        let batch = GdBatch::new(vec![y.clone(), y.clone()], vec![0.5 * limit, bad], vec![5]);
        let e = cpu_gd::run(a.as_ref(), &batch, Some(s_max), None).unwrap_err();
        match &e {
            Error::UnstableLearningRate {
                run,
                alpha,
                limit: l,
                ..
            } => {
                assert_eq!(*run, 1);
                assert_eq!(*alpha, bad);
                assert!((l - limit).abs() <= 1e-15 * limit);
            }
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("run 1") && msg.contains(&format!("{limit:e}")),
            "{msg}"
        );
    }
}

/// A huge α with `allow_unstable`: run 1 overflows to ∞/NaN; the error names the
/// run and the (first checked) iteration, and the partial trajectory keeps every
/// checkpoint — run 0 intact, run 1 finite before the failure and NaN after.
#[test]
fn divergence_is_reported_with_partial_trajectory() {
    let d = Design::spec(Activation::Tanh)
        .sigma(30.0)
        .n(16)
        .m(12)
        .build()
        .unwrap();
    let a = d.matrix();
    let s_max = spectrum::singular_values(a.as_ref()).unwrap()[0];
    let s2 = s_max * s_max;
    let y = Builtin::Heavisine.sample(&d.x);
    let mut batch = GdBatch::new(
        vec![y.clone(), y],
        vec![1.0 / s2, 1e150 / s2],
        vec![1, 5, 40],
    );
    batch.record_w = true;
    batch.allow_unstable = true;
    let t = cpu_gd::run(a.as_ref(), &batch, Some(s_max), None).unwrap();
    assert!(t.status[0].is_ok());
    let it = match t.status[1] {
        RunStatus::NonFinite { iteration } => iteration,
        ref other => panic!("expected NonFinite, got {other:?}"),
    };
    assert!((2..=5).contains(&it), "first seen at {it}");
    match t.into_result() {
        Err(Error::Diverged {
            run,
            iteration,
            detail,
            partial,
        }) => {
            assert_eq!((run, iteration), (1, it));
            assert!(detail.contains("non-finite"), "{detail}");
            let p = partial.expect("partial trajectory");
            assert_eq!(p.checkpoints.len(), 3);
            assert!(
                p.checkpoints
                    .iter()
                    .all(|c| c.f[0].iter().all(|v| v.is_finite()))
            );
            assert!(p.checkpoints[0].f[1].iter().all(|v| v.is_finite()));
            assert!(p.checkpoints[2].f[1].iter().all(|v| v.is_nan()));
            assert!(p.checkpoints[2].loss[1].is_nan());
        }
        other => panic!("{other:?}"),
    }
    // A moderately unstable run (|1 − αs²| = 1.5) is caught by the growth watch instead.
    let mut batch = GdBatch::new(vec![vec![1.0; 16]], vec![2.5 / s2], vec![300]);
    batch.allow_unstable = true;
    let e = cpu_gd::run(a.as_ref(), &batch, Some(s_max), None)
        .unwrap()
        .into_result()
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("run 0 diverged at iteration") && msg.contains("grows"),
        "{msg}"
    );
}

#[test]
fn bad_grids_are_typed_errors() {
    assert!(matches!(
        Grid::Points(vec![0.0, 0.5]).points(3, "n"),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        Grid::Points(vec![0.0, f64::NAN]).points(2, "n"),
        Err(Error::NonFiniteInput { index: 1, .. })
    ));
    assert!(matches!(
        Grid::Linspace.points(0, "n"),
        Err(Error::InvalidParameter { .. })
    ));
    let e = "chebyshev".parse::<Grid>().unwrap_err().to_string();
    assert!(
        e.contains("chebyshev") && e.contains("linspace") && e.contains("midpoint"),
        "{e}"
    );
    // Through the design: a user grid of the wrong length, a NaN bias.
    let e = Design::spec(Activation::Tanh)
        .sigma(1.0)
        .n(3)
        .m(2)
        .grid(Grid::Points(vec![0.0, 1.0]).clone())
        .bias_grid(Grid::Linspace.clone())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = Design::new(Activation::Tanh, 1.0, vec![0.0], vec![f64::NAN]).unwrap_err();
    assert!(e.to_string().contains("bias grid"), "{e}");
    // An empty grid file.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.txt");
    std::fs::write(&p, "  \n").unwrap();
    assert!(matches!(Grid::from_file(&p), Err(Error::Format { .. })));
}

#[test]
fn mismatched_lengths_are_typed_errors() {
    let d = Design::spec(Activation::Gelu)
        .sigma(5.0)
        .n(8)
        .m(6)
        .build()
        .unwrap();
    let a = d.matrix();
    let svd = spectrum::thin_svd(a.as_ref()).unwrap();
    let e = mask::shrink(&svd, &[0.0; 7], &[Mask::Pca { kappa: 0.1 }]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 8,
                got: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        d.eval(&[1.0; 5], &d.x),
        Err(Error::LengthMismatch {
            expected: 6,
            got: 5,
            ..
        })
    ));

    let y = vec![0.0; 8];
    let run = |b: &GdBatch| cpu_gd::run(a.as_ref(), b, Some(svd.s_max()), None).unwrap_err();
    // α count ≠ runs.
    let e = run(&GdBatch::new(
        vec![y.clone(), y.clone()],
        vec![0.01],
        vec![1],
    ));
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{e:?}"
    );
    // y of run 1 too short.
    let e = run(&GdBatch::new(
        vec![y.clone(), vec![0.0; 3]],
        vec![0.01, 0.01],
        vec![1],
    ));
    assert!(e.to_string().contains("run 1"), "{e}");
    // w0 of the wrong width.
    let mut b = GdBatch::new(vec![y.clone()], vec![0.01], vec![1]);
    b.w0 = Some(vec![vec![0.0; 5]]);
    assert!(matches!(
        run(&b),
        Error::LengthMismatch {
            expected: 6,
            got: 5,
            ..
        }
    ));
    // Checkpoints: empty, or not strictly increasing.
    assert!(matches!(
        run(&GdBatch::new(vec![y.clone()], vec![0.01], vec![])),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        run(&GdBatch::new(vec![y.clone()], vec![0.01], vec![5, 5])),
        Error::InvalidParameter { .. }
    ));
    // An evaluation grid without its matrix.
    let mut b = GdBatch::new(vec![y.clone()], vec![0.01], vec![1]);
    b.eval_points = Some(vec![0.5]);
    assert!(matches!(run(&b), Error::InvalidParameter { .. }));
    // No runs; non-positive α.
    assert!(matches!(
        run(&GdBatch::new(vec![], vec![], vec![1])),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        run(&GdBatch::new(vec![y], vec![-0.1], vec![1])),
        Error::InvalidParameter { .. }
    ));
    // q(K) out of range, component index out of range, bad ε, bad mask parameter.
    assert!(qk::q_of_k(&svd.s, 0, 8, 6).is_err());
    assert!(qk::q_of_k(&svd.s, 7, 8, 6).is_err());
    assert!(spectrum::dst_similarity(&svd, &d.x, &[6]).is_err());
    assert!(qk::kappa(1.0, 10.0, 1.0).is_err());
    let e = mask::shrink(
        &svd,
        &[0.0; 8],
        &[Mask::GdExact {
            alpha: f64::NAN,
            q: 3,
        }],
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
}
