//! SPEC §5: the spectra of the paper's designs — heaviside's closed form and
//! DST-like components, the decay rate by spline order, tanh's pairs, the sinc
//! plateau and the gradual fall of the gaussian.

use gdshrink::Activation;
use gdshrink::spectral;

use super::{N, q_at, sv_1024, sv_of, svd_1024};
use crate::common::sv_abs_tol;

// ---------------------------------------------------------------- heaviside

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
    for m in spectral::dst_similarity(svd, d.x(), &ks).unwrap() {
        assert!(
            m.abs_cos >= 0.9999,
            "k={}: |cos(u_k, d_k)| = {}",
            m.k,
            m.abs_cos
        );
        assert_eq!(m.best_j, m.k);
    }
}

// ---------------------------------------------------------------- decay rates

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

// ---------------------------------------------------------------- tanh

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
    for m in spectral::dst_similarity(svd, d.x(), &ks).unwrap() {
        assert!(
            m.fourier_pair_proj >= 0.9999,
            "k={}: pair projection {}",
            m.k,
            m.fourier_pair_proj
        );
        let k2 = m.k ^ 1; // partner in the pair
        let dk = spectral::dst_basis(d.x(), m.k);
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

// ---------------------------------------------------------------- sinc, gaussian

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
        let r = spectral::normalized(&s);
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
    let r = spectral::normalized(&sv_of(Activation::Gaussian, sigma as f64, N, N));
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
