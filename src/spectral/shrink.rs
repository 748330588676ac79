//! Closed-form solutions from one SVD: the masks of [`super::mask`] applied.
//!
//! For a thin SVD $A = U \operatorname{diag}(s) V^\top$ and a mask m(s):
//! $$w = V \operatorname{diag}(m(s)/s)\, U^\top y, \qquad f = A w = U \operatorname{diag}(m(s))\, U^\top y.$$
//!
//! [`shrink`] returns one [`Shrunk`] per mask, in the order given; one SVD
//! serves every mask, every q and every α.
//!
//! **Kept components.** A component counts as *kept* when its mask value is
//! at least [`KEPT_LEVEL`] = 1 − 1/e: Proposition 4.2's threshold (ε = e⁻¹),
//! so that at q = q(K) with α = 1/s_max² the gd_flow mask keeps K components.

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use super::mask::Mask;
use super::svd::ThinSvd;
use crate::error::{Error, Result, ensure_finite};
use crate::gd::half_sq_residual;

/// Mask value from which a component counts as kept: 1 − 1/e (Prop. 4.2, ε = e⁻¹).
pub const KEPT_LEVEL: f64 = 1.0 - 0.367_879_441_171_442_33;

/// The closed-form solution for one mask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shrunk {
    /// The mask.
    pub mask: Mask,
    /// f = U diag(m) Uᵀ y at the samples (N values).
    pub f: Vec<f64>,
    /// w = V diag(m/s) Uᵀ y (M values).
    pub w: Vec<f64>,
    /// ½‖y − f‖².
    pub loss: f64,
    /// The mask values m(s_k) (r = min(N, M) values).
    pub m: Vec<f64>,
    /// Components with s_k > 0 whose mask value is at least [`KEPT_LEVEL`].
    pub kept: usize,
}

/// Applies every mask to one SVD: c = Uᵀy once, then two matrix products
/// U·[m ⊙ c] and V·[m/s ⊙ c] for all masks together. Components with s = 0
/// contribute nothing.
///
/// ```
/// use gdshrink::spectral::{gd_exact_masks, shrink, thin_svd};
/// use gdshrink::{Activation, Design};
/// let d = Design::spec(Activation::Tanh).n(32).m(64).build()?;
/// let svd = thin_svd(d.matrix().as_ref())?;
/// let y: Vec<f64> = d.x().iter().map(|x| (5.0 * x).cos()).collect();
/// let alpha = 1.0 / (svd.s_max() * svd.s_max());
/// let out = shrink(&svd, &y, &gd_exact_masks(alpha, &[1, 100]))?;
/// assert!(out[1].loss < out[0].loss);
/// # Ok::<(), gdshrink::Error>(())
/// ```
pub fn shrink(svd: &ThinSvd, y: &[f64], masks: &[Mask]) -> Result<Vec<Shrunk>> {
    let n = svd.u.nrows();
    if y.len() != n {
        return Err(Error::LengthMismatch {
            what: "signal y (one value per sample)".into(),
            expected: n,
            got: y.len(),
        });
    }
    ensure_finite("signal y", y)?;
    for mk in masks {
        mk.validate()?;
    }
    let r = svd.s.len();
    let nq = masks.len();
    let yv = Mat::<f64>::from_fn(n, 1, |i, _| y[i]);
    let c = svd.u.transpose() * &yv; // r×1
    let mvals: Vec<Vec<f64>> = masks
        .iter()
        .map(|mk| svd.s.iter().map(|&s| mk.eval(s)).collect())
        .collect();
    let cf = Mat::<f64>::from_fn(r, nq, |k, q| {
        if svd.s[k] > 0.0 {
            mvals[q][k] * c[(k, 0)]
        } else {
            0.0
        }
    });
    let cw = Mat::<f64>::from_fn(r, nq, |k, q| {
        if svd.s[k] > 0.0 {
            mvals[q][k] / svd.s[k] * c[(k, 0)]
        } else {
            0.0
        }
    });
    let fm = &svd.u * &cf;
    let wm = &svd.v * &cw;
    Ok(masks
        .iter()
        .zip(mvals)
        .enumerate()
        .map(|(q, (&mask, m))| {
            let f: Vec<f64> = fm.col(q).iter().copied().collect();
            let kept = m
                .iter()
                .zip(&svd.s)
                .filter(|&(&v, &s)| s > 0.0 && v >= KEPT_LEVEL)
                .count();
            Shrunk {
                mask,
                loss: half_sq_residual(y, &f),
                f,
                w: wm.col(q).iter().copied().collect(),
                m,
                kept,
            }
        })
        .collect())
}

/// f = U diag(m) Uᵀ y at the samples for every mask, from U (N×r) and s
/// alone — what the streamed spectrum gives without V (components with
/// s = 0 dropped, as [`shrink`] does).
///
/// # Errors
/// A length mismatch between y and U, a non-finite y, or a bad mask.
pub fn shrink_samples(
    u: MatRef<'_, f64>,
    s: &[f64],
    y: &[f64],
    masks: &[Mask],
) -> Result<Vec<Vec<f64>>> {
    if y.len() != u.nrows() {
        return Err(Error::LengthMismatch {
            what: "signal y (one value per sample)".into(),
            expected: u.nrows(),
            got: y.len(),
        });
    }
    ensure_finite("signal y", y)?;
    for mk in masks {
        mk.validate()?;
    }
    let yv = Mat::<f64>::from_fn(y.len(), 1, |i, _| y[i]);
    let c = u.transpose() * &yv;
    let cf = Mat::<f64>::from_fn(s.len(), masks.len(), |k, q| {
        if s[k] > 0.0 {
            masks[q].eval(s[k]) * c[(k, 0)]
        } else {
            0.0
        }
    });
    let fm = u * &cf;
    Ok((0..masks.len())
        .map(|q| fm.col(q).iter().copied().collect())
        .collect())
}

/// f = A_e w at other points for every solution: `a_eval` is the network at
/// those points (P×M, see [`crate::model::Design::matrix_at`]); one matrix
/// product serves them all.
pub fn f_at(solutions: &[Shrunk], a_eval: MatRef<'_, f64>) -> Result<Vec<Vec<f64>>> {
    let nq = solutions.len();
    let m = solutions.first().map_or(a_eval.ncols(), |s| s.w.len());
    if a_eval.ncols() != m {
        return Err(Error::LengthMismatch {
            what: "columns of the evaluation matrix (one per weight)".into(),
            expected: m,
            got: a_eval.ncols(),
        });
    }
    let w = Mat::<f64>::from_fn(m, nq, |j, q| solutions[q].w[j]);
    let f = a_eval * &w;
    Ok((0..nq)
        .map(|q| f.col(q).iter().copied().collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gd::rel_error;
    use crate::model::{Activation, Design};
    use crate::spectral::{gd_exact_masks, thin_svd};

    #[test]
    fn f_at_the_samples_is_f() {
        let d = Design::spec(Activation::Tanh)
            .sigma(8.0)
            .n(12)
            .m(20)
            .build()
            .unwrap();
        let a = d.matrix();
        let svd = thin_svd(a.as_ref()).unwrap();
        let y: Vec<f64> = d.x().iter().map(|x| (5.0 * x).cos()).collect();
        let sh = shrink(
            &svd,
            &y,
            &gd_exact_masks(1.0 / (svd.s_max() * svd.s_max()), &[1, 50]),
        )
        .unwrap();
        let f = f_at(&sh, a.as_ref()).unwrap();
        for (got, want) in f.iter().zip(&sh) {
            // Two routes to the same product (A·w vs U·diag(m)·Uᵀy): rounding only.
            assert!(rel_error(got, &want.f) < 1e-12);
        }
        let short = d.matrix_at(&[0.5]);
        assert_eq!(f_at(&sh, short.as_ref()).unwrap()[0].len(), 1);
        let wrong = faer::Mat::<f64>::zeros(3, 7);
        assert!(f_at(&sh, wrong.as_ref()).is_err());
    }

    #[test]
    fn kept_counts_the_level() {
        let d = Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(16)
            .m(16)
            .build()
            .unwrap();
        let svd = thin_svd(d.matrix().as_ref()).unwrap();
        let y = vec![1.0; 16];
        // PCA at κ = s_2 keeps exactly s_0, s_1, s_2 (distinct for relu).
        let sh = shrink(&svd, &y, &[Mask::Pca { kappa: svd.s[2] }]).unwrap();
        assert_eq!(sh[0].kept, 3);
        // A mask just below the level keeps nothing.
        let lambda = svd.s_max().powi(2) * (1.0 / KEPT_LEVEL - 1.0) * 1.000_001;
        let sh = shrink(&svd, &y, &[Mask::Ridge { lambda }]).unwrap();
        assert_eq!(sh[0].kept, 0);
        assert!((KEPT_LEVEL - (1.0 - (-1.0f64).exp())).abs() < 1e-16);
    }
}
