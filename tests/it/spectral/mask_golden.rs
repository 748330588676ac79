//! The masks against the golden data (`tests/data/masks.json`, from an
//! independent float64 numpy implementation of SPEC.md).

use gdshrink::spectral::{self, Mask};

use crate::common::{EPS, f, load, vecf};

/// Tolerance for a mask value m(x = αs², q) computed by two f64 implementations.
/// Evaluation (log1p/ln, ×q, expm1) has relative error ≲ 8ε: the condition of
/// m = 1 − e^E in E is |E|/(e^{|E|} − 1) ≤ 1 for E ≤ 0. On top, x = α·s·s itself
/// may be rounded differently (|dx| ≤ 2ε·x), which moves the exact mask by
/// |∂m/∂x|·|dx| = q·|1 − m|/|1 − x|·|dx| (flow: q·|1 − m|·|dx|).
fn mask_tol(x: f64, q: f64, m: f64, flow: bool) -> f64 {
    let dm_dx = if flow {
        q * (1.0 - m).abs()
    } else if x == 1.0 {
        0.0
    } else {
        q * (1.0 - m).abs() / (1.0 - x).abs()
    };
    16.0 * EPS * m.abs() + dm_dx * 2.0 * EPS * x
}

#[test]
fn masks_match_golden() {
    let g = load("masks.json");
    let alpha = f(&g, "alpha");
    let svals = vecf(&g["s"]);
    let curves = g["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 5);
    let mut n = 0;
    for cv in curves {
        let q = cv["q"].as_u64().unwrap();
        for (name, flow) in [("gd_exact", false), ("gd_flow", true)] {
            let want = vecf(&cv[name]);
            let mk = if flow {
                Mask::GdFlow { alpha, q: q as f64 }
            } else {
                Mask::GdExact { alpha, q }
            };
            for (&sv, &w) in svals.iter().zip(&want) {
                let got = mk.eval(sv);
                let tol = mask_tol(alpha * sv * sv, q as f64, w, flow);
                assert!(
                    (got - w).abs() <= tol,
                    "{name} q={q} s={sv}: {got:e} vs golden {w:e} (diff {:e}, tol {tol:e})",
                    (got - w).abs()
                );
                n += 1;
            }
        }
    }
    // Ridge λ = 0.01: s²/(s² + λ), two roundings in each implementation.
    for (&sv, &w) in svals.iter().zip(&vecf(&g["ridge_lam_0.01"])) {
        let got = Mask::Ridge { lambda: 0.01 }.eval(sv);
        assert!(
            (got - w).abs() <= 8.0 * EPS * w,
            "ridge s={sv}: {got} vs {w}"
        );
        n += 1;
    }
    // PCA κ = 0.1: an indicator, compared exactly (s = 0.1 = κ is kept).
    for (&sv, &w) in svals.iter().zip(&vecf(&g["pca_kappa_0.1"])) {
        assert_eq!(Mask::Pca { kappa: 0.1 }.eval(sv), w, "pca s={sv}");
        n += 1;
    }
    assert_eq!(n, 5 * 2 * 12 + 2 * 12);
    // Alternating regime is present in the data (αs² = 1.44, 1.9881).
    assert_eq!(spectral::regime(1.41, alpha), spectral::Regime::Alternating);
}
