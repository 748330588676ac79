//! The SVD routes against every spectrum of the golden data
//! (`tests/data/spectra.json`, from an independent float64 numpy/LAPACK
//! implementation of SPEC.md). f64 against f64: the only differences are
//! rounding (η from another libm, LAPACK vs faer), so the tolerances are a few
//! ε times the condition of the quantity compared.

use gdshrink::spectral;
use gdshrink::{Activation, Design, Grid};

use crate::common::{
    EPS, SVD_C, cases, check_singular_values, design, f, label, load, s, sv_abs_tol, u, vecf,
};

/// Largest |Δs_k| / (ε·max(N, M)·s_0) seen over a list of comparisons.
fn worst_ratio(got: &[f64], want: &[f64], n: usize, m: usize) -> f64 {
    let unit = EPS * n.max(m) as f64 * want[0];
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / unit)
        .fold(0.0, f64::max)
}

/// Direct route (faer bidiagonal SVD, values only and thin SVD) for all 72 golden
/// spectra: |Δs_k| ≤ SVD_C·ε·max(N, M)·s_0 (see `common::SVD_C` for the error model).
#[test]
fn spectra_match_lapack() {
    let g = load("spectra.json");
    let cs = cases(&g);
    assert_eq!(cs.len(), 72, "spectra.json should hold 72 cases");
    let mut worst: f64 = 0.0;
    let (mut wide, mut square, mut midpoint) = (0, 0, 0);
    for c in cs {
        let d = design(c);
        let (n, m) = (d.n(), d.m());
        wide += usize::from(n < m);
        square += usize::from(n == m);
        midpoint += usize::from(c["grid"] == "midpoint");
        let a = d.matrix();
        let want = vecf(&c["singular_values"]);
        let what = label(c);

        let sv = spectral::singular_values(a.as_ref()).unwrap();
        check_singular_values(&sv, &want, n, m, &format!("{what} (values only)"));
        worst = worst.max(worst_ratio(&sv, &want, n, m));

        let svd = spectral::thin_svd(a.as_ref()).unwrap();
        check_singular_values(&svd.s, &want, n, m, &format!("{what} (thin SVD)"));
        worst = worst.max(worst_ratio(&svd.s, &want, n, m));

        // Normalized spectrum: s_k/s_0, same bound divided by s_0 (plus one rounding).
        let norm_want = vecf(&c["normalized"]);
        let norm_got = spectral::normalized(&sv);
        let tol = sv_abs_tol(n, m, 1.0) * 2.0;
        for (k, (g, w)) in norm_got.iter().zip(&norm_want).enumerate() {
            assert!(
                (g - w).abs() <= tol,
                "{what}: s_{k}/s_0 = {g:e}, golden {w:e}"
            );
        }
        // The golden rank tolerance is the SPEC's numerical-zero threshold max(N,M)·ε·s_0.
        let thr = n.max(m) as f64 * EPS * sv[0];
        assert!(
            (thr - f(c, "rank_tol")).abs() <= 1e-3 * thr,
            "{what}: rank_tol"
        );
    }
    assert_eq!((wide, square, midpoint), (36, 36, 18), "case coverage");
    eprintln!(
        "spectra: worst |Δs_k| / (ε·max(N,M)·s_0) = {worst:.4} (tolerance {SVD_C}, margin {:.0}x)",
        SVD_C / worst.max(f64::MIN_POSITIVE)
    );
}

/// N > M: the golden cases are N ≤ M, but for odd (tanh) and even (sinc, gaussian)
/// activations the design with the grids swapped is exactly ∓Aᵀ
/// (η(σ(b − x)) = ±η(σ(x − b)), negation is exact), so the 64×256 golden
/// spectra are also the spectra of the 256×64 designs. Same tolerance.
#[test]
fn spectra_tall_by_symmetry() {
    let g = load("spectra.json");
    let mut checked = 0;
    for c in cases(&g) {
        let act: Activation = s(c, "activation").parse().unwrap();
        if !matches!(
            act,
            Activation::Tanh | Activation::Sinc | Activation::Gaussian
        ) || u(c, "n") >= u(c, "m")
        {
            continue;
        }
        let grid: Grid = s(c, "grid").parse().unwrap();
        let bias_grid: Grid = s(c, "bias_grid").parse().unwrap();
        // Swap: samples on the bias layout (M of them), biases on the sample layout (N).
        let d = Design::spec(act)
            .sigma(f(c, "sigma"))
            .n(u(c, "m"))
            .m(u(c, "n"))
            .grid(bias_grid)
            .bias_grid(grid)
            .build()
            .unwrap();
        let a = d.matrix();
        let sv = spectral::singular_values(a.as_ref()).unwrap();
        let want = vecf(&c["singular_values"]);
        check_singular_values(
            &sv,
            &want,
            d.n(),
            d.m(),
            &format!("{} transposed to N={} M={}", label(c), d.n(), d.m()),
        );
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// Gram route: eigenvalues of the smaller Gram matrix carry an absolute error
/// δ ≈ SVD_C·ε·max(N,M)·s_0² in s² (forming G and its eigen-solver are both
/// backward stable in G), hence |Δs_k| ≤ min(δ/s_k, √δ) (from
/// |ŝ² − s²| ≤ δ: |ŝ − s| = |ŝ² − s²|/(ŝ + s) ≤ δ/s and |ŝ − s|² ≤ |ŝ² − s²|).
/// That is the "loses half the digits" of the module docs, checked on every case.
#[test]
fn gram_route_within_its_error_model() {
    let g = load("spectra.json");
    for c in cases(&g) {
        let d = design(c);
        let (n, m) = (d.n(), d.m());
        let a = d.matrix();
        let got = spectral::singular_values_gram(a.as_ref()).unwrap();
        let want = vecf(&c["singular_values"]);
        let delta = SVD_C * EPS * n.max(m) as f64 * want[0] * want[0];
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            let tol = (delta / w.max(f64::MIN_POSITIVE)).min(delta.sqrt());
            assert!(
                (g - w).abs() <= tol,
                "{} (Gram): s_{k} = {g:e}, golden {w:e}, tol {tol:e}",
                label(c)
            );
        }
    }
}
