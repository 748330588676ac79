//! Shrinkage masks on singular values (SPEC §3); [`super::shrink()`] applies them.
//!
//! For a thin SVD $A = U \operatorname{diag}(s) V^\top$ and a mask m(s):
//! $$w = V \operatorname{diag}(m(s)/s)\, U^\top y, \qquad f = A w = U \operatorname{diag}(m(s))\, U^\top y.$$
//!
//! | mask | m(s) | paper |
//! |---|---|---|
//! | gd_exact(α, q) | 1 − (1 − αs²)^q | Eq. 29, exact for discrete GD from w₀ = 0 |
//! | gd_flow(α, q) | 1 − exp(−αqs²) | Eq. 15/34, gradient-flow approximation (t = αq) |
//! | ridge(λ) | s²/(s² + λ) | Eq. 8 |
//! | pca(κ) | [s ≥ κ] | Eq. 10 |
//!
//! **Precision.** gd_exact is evaluated as −expm1(q·log1p(−αs²)) and gd_flow as
//! −expm1(−αqs²): both keep full relative precision for tiny αs² (where
//! 1 − αs² would round to 1 — in f32 already below αs² ≈ 6e−8).
//!
//! **Regimes of gd_exact** (x = αs²): for 0 ≤ x < 1 the mask rises monotonically
//! in q towards 1; x = 1 gives 1 after one step; for 1 < x < 2 the factor
//! (1 − x) is negative, so the mask **alternates** around 1 (sign flips every
//! iteration) while still converging; x = 2 oscillates between 0 and 2 for ever,
//! and x > 2 **diverges** geometrically like |1 − x|^q. [`Regime`] names these.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A shrinkage mask m(s).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mask", rename_all = "snake_case")]
pub enum Mask {
    /// 1 − (1 − αs²)^q: discrete GD after q iterations with learning rate α.
    GdExact {
        /// Learning rate α.
        alpha: f64,
        /// Iterations q.
        q: u64,
    },
    /// 1 − exp(−αqs²): gradient flow at time t = αq.
    GdFlow {
        /// Learning rate α.
        alpha: f64,
        /// Iterations q (real-valued: t = αq).
        q: f64,
    },
    /// s²/(s² + λ): ridge regression.
    Ridge {
        /// λ ≥ 0.
        lambda: f64,
    },
    /// [s ≥ κ]: PCA regression / hard threshold.
    Pca {
        /// Threshold κ.
        kappa: f64,
    },
}

impl Mask {
    /// m(s).
    pub fn eval(&self, s: f64) -> f64 {
        match *self {
            Mask::GdExact { alpha, q } => gd_exact(s, alpha, q),
            Mask::GdFlow { alpha, q } => gd_flow(s, alpha, q),
            Mask::Ridge { lambda } => ridge(s, lambda),
            Mask::Pca { kappa } => pca(s, kappa),
        }
    }

    /// Short label, e.g. `gd_exact(alpha=1e-3, q=100)`.
    pub fn label(&self) -> String {
        match *self {
            Mask::GdExact { alpha, q } => format!("gd_exact(alpha={alpha:e}, q={q})"),
            Mask::GdFlow { alpha, q } => format!("gd_flow(alpha={alpha:e}, q={q})"),
            Mask::Ridge { lambda } => format!("ridge(lambda={lambda:e})"),
            Mask::Pca { kappa } => format!("pca(kappa={kappa:e})"),
        }
    }

    /// Rejects non-finite or negative parameters.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, v: f64, allowed: &str| Err(Error::invalid(name, v, allowed));
        match *self {
            Mask::GdExact { alpha, .. } if !(alpha.is_finite() && alpha > 0.0) => {
                bad("alpha", alpha, "a finite learning rate > 0")
            }
            Mask::GdFlow { alpha, q } => {
                if !(alpha.is_finite() && alpha > 0.0) {
                    bad("alpha", alpha, "a finite learning rate > 0")
                } else if !(q.is_finite() && q >= 0.0) {
                    bad("q", q, "a finite iteration count >= 0")
                } else {
                    Ok(())
                }
            }
            Mask::Ridge { lambda } if !(lambda.is_finite() && lambda >= 0.0) => {
                bad("lambda", lambda, "a finite ridge penalty >= 0")
            }
            Mask::Pca { kappa } if !(kappa.is_finite() && kappa >= 0.0) => {
                bad("kappa", kappa, "a finite threshold >= 0")
            }
            _ => Ok(()),
        }
    }
}

/// Relative slack on αs² = 1: the default α = 1/s_max² lands within a few ulp
/// of 1, where (1 − αs²)^q vanishes after one step and no alternation is visible.
pub const REGIME_RTOL: f64 = 1e-12;

/// Where αs² puts a singular value for discrete GD (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// 0 ≤ αs² ≤ 1 (+ [`REGIME_RTOL`]): monotone convergence (exact after one step at αs² = 1).
    Monotone,
    /// 1 < αs² < 2: converges with alternating sign.
    Alternating,
    /// αs² ≥ 2: no convergence (oscillation at 2, geometric growth beyond).
    Divergent,
}

/// Regime of discrete GD for the component with singular value s.
pub fn regime(s: f64, alpha: f64) -> Regime {
    let x = alpha * s * s;
    if x <= 1.0 + REGIME_RTOL {
        Regime::Monotone
    } else if x < 2.0 {
        Regime::Alternating
    } else {
        Regime::Divergent
    }
}

/// 1 − (1 − αs²)^q, stable for tiny αs² and exact in every regime.
pub fn gd_exact(s: f64, alpha: f64, q: u64) -> f64 {
    if q == 0 {
        return 0.0;
    }
    let x = alpha * s * s;
    let qf = q as f64;
    if x < 1.0 {
        -(qf * (-x).ln_1p()).exp_m1()
    } else if x == 1.0 {
        1.0
    } else {
        // (1 − x)^q = (−1)^q |1 − x|^q
        let mag = (qf * (x - 1.0).ln()).exp();
        if q.is_multiple_of(2) {
            1.0 - mag
        } else {
            1.0 + mag
        }
    }
}

/// 1 − exp(−αqs²).
pub fn gd_flow(s: f64, alpha: f64, q: f64) -> f64 {
    -(-alpha * q * s * s).exp_m1()
}

/// s²/(s² + λ); 0 at s = 0.
pub fn ridge(s: f64, lambda: f64) -> f64 {
    let s2 = s * s;
    if s2 == 0.0 { 0.0 } else { s2 / (s2 + lambda) }
}

/// 1 if s ≥ κ else 0.
pub fn pca(s: f64, kappa: f64) -> f64 {
    if s >= kappa && s > 0.0 { 1.0 } else { 0.0 }
}

/// gd_exact masks for one α and a list of q.
#[must_use]
pub fn gd_exact_masks(alpha: f64, qs: &[u64]) -> Vec<Mask> {
    qs.iter().map(|&q| Mask::GdExact { alpha, q }).collect()
}

/// gd_flow masks for one α and a list of q.
#[must_use]
pub fn gd_flow_masks(alpha: f64, qs: &[u64]) -> Vec<Mask> {
    qs.iter()
        .map(|&q| Mask::GdFlow { alpha, q: q as f64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_mask_regimes() {
        // Tiny x = αs² = 1e−12: 1 − (1 − x)^10 = 10x − 45x² + … to full precision
        // (the naive 1 − (1 − x)^q keeps only ~4 digits here).
        let m = gd_exact(1e-6, 1.0, 10);
        let want = 10.0 * 1e-12 - 45.0 * 1e-24;
        assert!((m - want).abs() < 1e-15 * want, "{m}");
        assert_eq!(gd_exact(1.0, 1.0, 5), 1.0);
        // Alternating: x = 1.44 → (1 − x) = −0.44.
        assert!((gd_exact(1.2, 1.0, 1) - 1.44).abs() < 1e-15);
        assert!((gd_exact(1.2, 1.0, 2) - (1.0 - 0.44f64.powi(2))).abs() < 1e-15);
        assert_eq!(regime(1.2, 1.0), Regime::Alternating);
        // The default α = 1/s_max² is monotone, whatever the last ulp says.
        let s_max = 3.7f64;
        assert_eq!(regime(s_max, 1.0 / (s_max * s_max)), Regime::Monotone);
        // Divergent: x = 4 → (1 − x)^q = (−3)^q.
        assert!((gd_exact(2.0, 1.0, 3) - 28.0).abs() < 1e-12);
        assert_eq!(regime(2.0, 1.0), Regime::Divergent);
        assert_eq!(gd_exact(0.5, 1.0, 0), 0.0);
    }

    #[test]
    fn flow_ridge_pca() {
        assert!((gd_flow(1.0, 1.0, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-16);
        assert!((gd_flow(1e-9, 1.0, 1.0) - 1e-18).abs() < 1e-30);
        assert_eq!(ridge(0.0, 0.0), 0.0);
        assert_eq!(ridge(1.0, 1.0), 0.5);
        assert_eq!(pca(0.1, 0.1), 1.0);
        assert_eq!(pca(0.09, 0.1), 0.0);
    }

    #[test]
    fn bad_mask_parameters() {
        assert!(Mask::Ridge { lambda: -1.0 }.validate().is_err());
        assert!(
            Mask::GdExact {
                alpha: f64::NAN,
                q: 1
            }
            .validate()
            .is_err()
        );
        assert!(
            Mask::GdFlow {
                alpha: 1.0,
                q: -1.0
            }
            .validate()
            .is_err()
        );
    }
}
