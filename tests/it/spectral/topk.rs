//! The top-K spectrum (`spectral::topk`) against the dense SVD: values to the
//! stated accuracy ε·s_max + ρ²/gap, vectors by subspace angle (≲ ρ/gap),
//! residuals that are the true residuals and lie below their bounds, on a
//! stored matrix and on a design streamed in blocks (square, wide and tall);
//! determinism, the full-space path, honest non-convergence and bad K.

use faer::{Mat, MatRef};
use gdshrink::spectral::{
    self, ThinSvd, TopkOptions, TopkSpectrum, topk_of_design, topk_of_matrix,
};
use gdshrink::{Activation, Design};

use crate::common::EPS;

fn design(act: Activation, sigma: f64, n: usize, m: usize) -> Design {
    Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap()
}

/// Largest sine of the principal angles between span(a) and span(b) (both
/// with orthonormal columns, a's count ≤ b's): ‖a − b(bᵀa)‖₂, computed
/// without the cancellation of √(1 − cos²).
fn sin_angle(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let p = a - b * (b.transpose() * a);
    spectral::singular_values(p.as_ref()).unwrap()[0]
}

/// ‖Aᵀu_k − s_k v_k‖/s_0 and ‖A v_k − s_k u_k‖/s_0 from the dense A.
fn dense_residuals(a: &Mat<f64>, t: &TopkSpectrum, k: usize) -> (f64, f64) {
    let (u, v) = (t.u.as_ref().subcols(k, 1), t.v.as_ref().subcols(k, 1));
    let left = a.transpose() * u - v * faer::Scale(t.s[k]);
    let right = a * v - u * faer::Scale(t.s[k]);
    (left.norm_l2() / t.s[0], right.norm_l2() / t.s[0])
}

/// Every claim of the module docs for one computed top-K against the dense SVD.
///
/// Tolerances:
/// * residuals: the reported ones are recomputed with the dense A; they agree
///   to the rounding of the products, ≈ √L·ε·s_0/s_k relative to s_0 (the
///   reported Tᵀu is formed as C·w/s, see the module docs), so to
///   16·√L·ε·s_0/s_k + 1e-14;
/// * values: |ŝ_k − s_k| ≤ 16·ε·L·s_0 (rounding of both SVDs, the dense route's
///   own golden tolerance is ε·L·s_0) + (ρ_k·s_0)²/gap_k, the quadratic residual
///   bound, with gap_k = ŝ_k − s_K the distance to the first singular value not
///   computed (K is chosen between tanh's pairs);
/// * vectors: for every leading k whose gap s_{k−1} − s_k exceeds 1e-3·s_0, the
///   sine of the angle between the computed and the dense k-dimensional
///   subspaces is ≤ 4·(ρ_max·s_0 + 16·ε·L·s_0)/gap (Wedin's bound with a
///   factor 4 for the two sides).
fn check(label: &str, a: &Mat<f64>, dense: &ThinSvd, t: &TopkSpectrum) {
    let k = t.s.len();
    let (l, s0) = (a.nrows().max(a.ncols()) as f64, dense.s[0]);
    assert!(
        t.converged,
        "{label}: not converged: {:e}",
        t.max_residual()
    );
    for c in 0..k {
        let (rl, rr) = dense_residuals(a, t, c);
        let agree = 16.0 * l.sqrt() * EPS * s0 / dense.s[c] + 1e-14;
        assert!(
            (rl - t.residual_left[c]).abs() <= agree && (rr - t.residual_right[c]).abs() <= agree,
            "{label}: residuals of {c}: reported {:e}/{:e}, dense {rl:e}/{rr:e}",
            t.residual_left[c],
            t.residual_right[c]
        );
        assert!(t.residual(c) <= t.bound[c], "{label}: residual {c}");
        let rho = t.residual(c) * s0;
        let gap = t.s[c] - dense.s.get(k).copied().unwrap_or(0.0);
        // Without a gap, the first-order bound: within ρ_k of a singular value.
        let quad = if gap > rho { rho * rho / gap } else { rho };
        let tol = 16.0 * EPS * l * s0 + quad;
        assert!(
            (t.s[c] - dense.s[c]).abs() <= tol,
            "{label}: s_{c} {:e} vs {:e} (tol {tol:e})",
            t.s[c],
            dense.s[c]
        );
    }
    let rho_max = t.max_residual() * s0;
    for j in 1..=k {
        let gap = dense.s[j - 1] - dense.s.get(j).copied().unwrap_or(0.0);
        if gap <= 1e-3 * s0 {
            continue;
        }
        let bound = 4.0 * (rho_max + 16.0 * EPS * l * s0) / gap;
        for (what, got, want) in [("u", &t.u, &dense.u), ("v", &t.v, &dense.v)] {
            let sin = sin_angle(got.as_ref().subcols(0, j), want.as_ref().subcols(0, j));
            assert!(
                sin <= bound,
                "{label}: {what}[..{j}] sin {sin:e} > {bound:e}"
            );
        }
    }
}

/// The paper's activations on N = M = 300 (gaussian at σ = 10, where its
/// spectrum decays; at σ = M it is nearly flat, see below), K = 20 (between
/// tanh's pairs), on the stored A and on the design streamed in blocks.
#[test]
fn square_designs_match_the_dense_svd() {
    for (act, sigma) in [
        (Activation::Heaviside, 300.0),
        (Activation::Tanh, 300.0),
        (Activation::Relu, 300.0),
        (Activation::Relu2, 300.0),
        (Activation::Gaussian, 10.0),
        (Activation::Sinc, 20.0),
    ] {
        let d = design(act, sigma, 300, 300);
        let a = d.matrix();
        let dense = spectral::thin_svd(a.as_ref()).unwrap();
        let opts = TopkOptions::new(20);
        let stored = topk_of_matrix(a.as_ref(), &opts).unwrap();
        assert!(!stored.full && stored.steps >= 2, "{act}: Krylov path");
        check(&format!("{act} stored"), &a, &dense, &stored);
        let streamed = topk_of_design(&d, &opts).unwrap();
        check(&format!("{act} streamed"), &a, &dense, &streamed);
        assert_eq!(stored.passes, stored.steps + 1);
    }
}

/// Wide and tall designs take T = Aᵀ or A: both sides come back the right way
/// round, stored and streamed.
#[test]
fn wide_and_tall_designs_match_the_dense_svd() {
    for (n, m) in [(150, 500), (500, 150)] {
        for act in [Activation::Tanh, Activation::Relu] {
            let d = design(act, 100.0, n, m);
            let a = d.matrix();
            let dense = spectral::thin_svd(a.as_ref()).unwrap();
            let opts = TopkOptions::new(10);
            let stored = topk_of_matrix(a.as_ref(), &opts).unwrap();
            assert_eq!((stored.u.nrows(), stored.v.nrows()), (n, m));
            check(&format!("{act} {n}x{m} stored"), &a, &dense, &stored);
            let streamed = topk_of_design(&d, &opts).unwrap();
            assert_eq!((streamed.u.nrows(), streamed.v.nrows()), (n, m));
            check(&format!("{act} {n}x{m} streamed"), &a, &dense, &streamed);
        }
    }
}

/// The same call gives the same bits; another seed agrees to the tolerance.
#[test]
fn seeded_and_deterministic() {
    let d = design(Activation::Tanh, 400.0, 400, 400);
    let opts = TopkOptions::new(12);
    let (x, y) = (
        topk_of_design(&d, &opts).unwrap(),
        topk_of_design(&d, &opts).unwrap(),
    );
    assert_eq!(x.s, y.s);
    assert_eq!(x.residual_left, y.residual_left);
    assert!(x.u == y.u && x.v == y.v);
    let other = topk_of_design(&d, &TopkOptions { seed: 7, ..opts }).unwrap();
    // Both converged to ρ ≤ 1e-10·s_0, so each value is within ≈ ε·L·s_0 of
    // the true one (quadratic bound, as in `check`): 16·ε·L·s_0 apart at most.
    for (a, b) in x.s.iter().zip(&other.s) {
        assert!((a - b).abs() <= 16.0 * EPS * 400.0 * x.s[0], "{a} vs {b}");
    }
}

/// When the oversampled block covers a quarter of the space the Krylov steps
/// are skipped: the thin SVD of A, exact to rounding.
#[test]
fn small_problems_take_the_full_space() {
    let d = design(Activation::Relu, 60.0, 60, 80);
    let a = d.matrix();
    let dense = spectral::thin_svd(a.as_ref()).unwrap();
    for k in [15, 30, 60] {
        let t = topk_of_design(&d, &TopkOptions::new(k)).unwrap();
        assert!(t.full && t.steps == 0 && t.passes == 1, "k = {k}");
        check(&format!("full k = {k}"), &a, &dense, &t);
    }
}

/// A nearly flat spectrum (gaussian at σ = M: s_19/s_0 ≈ 0.998) with two
/// Krylov steps cannot converge: `converged` says so, and the residuals exceed
/// their bounds rather than being hidden.
#[test]
fn non_convergence_is_reported() {
    let d = design(Activation::Gaussian, 300.0, 300, 300);
    let opts = TopkOptions {
        max_steps: 2,
        ..TopkOptions::new(20)
    };
    let t = topk_of_design(&d, &opts).unwrap();
    assert_eq!(t.steps, 2);
    assert!(!t.converged);
    assert!((0..20).any(|k| t.residual(k) > t.bound[k]));
    // The values are still lower bounds of the true ones (Rayleigh–Ritz).
    let s = spectral::singular_values(d.matrix().as_ref()).unwrap();
    for (k, v) in t.s.iter().enumerate() {
        assert!(*v <= s[k] * (1.0 + 1e-12), "s_{k}: {v} > {}", s[k]);
    }
}

#[test]
fn bad_k_and_options_are_errors() {
    let d = design(Activation::Tanh, 30.0, 30, 40);
    let e = topk_of_design(&d, &TopkOptions::new(0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("invalid k = 0") && e.contains("at least 1"),
        "{e}"
    );
    let e = topk_of_design(&d, &TopkOptions::new(31))
        .unwrap_err()
        .to_string();
    assert!(e.contains("31") && e.contains("min(N, M) = 30"), "{e}");
    let a = d.matrix();
    let e = topk_of_matrix(a.as_ref(), &TopkOptions::new(31))
        .unwrap_err()
        .to_string();
    assert!(e.contains("min(N, M) = 30"), "{e}");
    let bad_block = TopkOptions {
        block: 3,
        ..TopkOptions::new(5)
    };
    let e = topk_of_design(&d, &bad_block).unwrap_err().to_string();
    assert!(e.contains("block") && e.contains("K = 5"), "{e}");
    for tol in [f64::NAN, -1.0, 2.0] {
        let o = TopkOptions {
            tol,
            ..TopkOptions::new(5)
        };
        assert!(topk_of_design(&d, &o).is_err(), "tol {tol}");
    }
    let mut nan = d.matrix();
    nan[(3, 4)] = f64::NAN;
    let e = topk_of_matrix(nan.as_ref(), &TopkOptions::new(2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(3, 4)"), "{e}");
}

/// The perturbation behind `perturbation_bound`: E = −RV̂ᵀ − ÛQᵀ(I − V̂V̂ᵀ),
/// formed explicitly from a stored A, makes the computed triplets exact for
/// A + E (to the rounding of the products, ≈ √L·ε·s_0; checked to 1e-12·s_0)
/// and its norm is within the bound (Frobenius norm ≥ 2-norm, so the bound
/// is checked on the larger one, with the same rounding slack).
#[test]
fn the_perturbation_bound_makes_the_triplets_exact() {
    for (act, n, m, k) in [
        (Activation::Tanh, 300, 260, 12),
        (Activation::Relu, 200, 320, 20),
        (Activation::Gaussian, 240, 240, 8),
    ] {
        let d = design(act, m as f64 / 4.0, n, m);
        let a = d.matrix();
        let t = topk_of_matrix(a.as_ref(), &TopkOptions::new(k)).unwrap();
        let (u, v) = (&t.u, &t.v);
        let s = Mat::<f64>::from_fn(k, k, |i, j| if i == j { t.s[i] } else { 0.0 });
        let r = &a * v - u * &s;
        let q = a.transpose() * u - v * &s;
        let proj = Mat::<f64>::identity(m, m) - v * v.transpose();
        let e = -(&r * v.transpose()) - u * (q.transpose() * &proj);
        let ae = &a + &e;
        let s0 = t.s[0];
        let right = (&ae * v - u * &s).norm_l2();
        let left = (ae.transpose() * u - v * &s).norm_l2();
        assert!(
            right <= 1e-12 * s0 && left <= 1e-12 * s0,
            "{act:?}: {right:e} {left:e}"
        );
        let bound = spectral::perturbation_bound(&t);
        assert!(
            e.norm_l2() <= bound + 1e-12 * s0,
            "{act:?}: ||E||_F = {:e} > {bound:e}",
            e.norm_l2()
        );
    }
}

/// `tail_bounds` against the suprema it claims, found by brute force over
/// 20 001 points of (0, s_tail] (the sup of m over the grid may miss the true
/// one by its grid step, so the bound must be ≥ it; for x_t ≤ 1 μ_f is the
/// value at s_tail, so it equals the grid's last point to 1e-12), in both
/// regimes (α·s_tail² ≤ 1 and in (1, 2)), with q = 0, 1, 7, 1000, 10⁶; and the
/// gradient-flow mask stays within the same bounds.
#[test]
fn tail_bounds_cover_the_mask_over_the_tail() {
    for &(alpha, s_tail) in &[
        (1.0, 0.3),
        (1.0, 1.0),
        (0.5, 1.9),
        (2.0e-6, 400.0),
        (1.0, 1.3),
    ] {
        for q in [0u64, 1, 7, 1000, 1_000_000] {
            let (mu_f, mu_w) = spectral::tail_bounds(alpha, q, s_tail);
            let (mut sup_f, mut sup_w, mut sup_flow_f, mut sup_flow_w) =
                (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            let mut last = 0.0;
            for i in 1..=20_000 {
                let s = s_tail * f64::from(i) / 20_000.0;
                let x = alpha * s * s;
                let m = 1.0 - (1.0 - x).powf(q as f64);
                let flow = -(-x * q as f64).exp_m1();
                sup_f = sup_f.max(m.abs());
                sup_w = sup_w.max(m.abs() / s);
                sup_flow_f = sup_flow_f.max(flow);
                sup_flow_w = sup_flow_w.max(flow / s);
                last = m;
            }
            let tag = format!("alpha {alpha} s_tail {s_tail} q {q}");
            assert!(mu_f >= sup_f * (1.0 - 1e-12), "{tag}: {mu_f} < {sup_f}");
            assert!(mu_w >= sup_w * (1.0 - 1e-12), "{tag}: {mu_w} < {sup_w}");
            assert!(
                mu_f >= sup_flow_f * (1.0 - 1e-12) && mu_w >= sup_flow_w * (1.0 - 1e-12),
                "{tag}"
            );
            if alpha * s_tail * s_tail <= 1.0 {
                assert!(
                    (mu_f - last).abs() <= 1e-12,
                    "{tag}: {mu_f} vs m(s_tail) = {last}"
                );
            }
        }
    }
}
