//! Spectrum of the design matrix through faer, in f64.
//!
//! $$A = U \operatorname{diag}(s) V^\top,\quad s_0 \ge s_1 \ge \dots \ge 0$$
//! (thin SVD, 0-indexed, $s_0 = s_{max}$).
//!
//! Three routes:
//! * [`singular_values`] — the fast path (no vectors), faer's bidiagonal SVD;
//!   every singular value to ≈ ε·s_max absolute accuracy.
//! * [`thin_svd`] — U (N×r), s, V (M×r) with r = min(N, M), when vectors are needed.
//! * [`singular_values_gram`] — eigenvalues of the smaller Gram matrix AAᵀ or AᵀA.
//!   Cheaper for very unequal N and M, but **squaring loses half the digits**:
//!   s_k is only accurate to about ε·s_max²/s_k, so values below
//!   ≈ √ε·s_max ≈ 1.5e−8·s_max are noise (they are clamped to 0 when the
//!   eigenvalue comes out negative). Use it for the top of the spectrum only.
//!
//! Principal components u_k are compared with the DST-like basis
//! $d_k(x) = \sin(\pi (k + ½) x)$ (paper §6) by |cos(u_k, d_k)|.

use faer::{Mat, MatRef, Side};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which algorithm computes the singular values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SvdMethod {
    /// Bidiagonal SVD of A itself (accurate; the default).
    #[default]
    Direct,
    /// Eigenvalues of the smaller of AAᵀ and AᵀA (fast, loses accuracy below √ε·s_max).
    Gram,
}

impl std::str::FromStr for SvdMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "direct" | "svd" => Ok(SvdMethod::Direct),
            "gram" => Ok(SvdMethod::Gram),
            _ => Err(Error::invalid(
                "svd method",
                format!("'{s}'"),
                "'direct' (accurate) or 'gram' (fast, top of the spectrum only)",
            )),
        }
    }
}

/// Singular values of `a`, descending, with the chosen method.
pub fn singular_values_with(a: MatRef<'_, f64>, method: SvdMethod) -> Result<Vec<f64>> {
    match method {
        SvdMethod::Direct => singular_values(a),
        SvdMethod::Gram => singular_values_gram(a),
    }
}

/// Singular values of `a`, descending (min(N, M) of them).
pub fn singular_values(a: MatRef<'_, f64>) -> Result<Vec<f64>> {
    check_finite(a, "singular values")?;
    a.singular_values()
        .map_err(|e| linalg_error("singular values", a, e))
}

/// Singular values from the eigenvalues of the smaller Gram matrix (see module docs).
pub fn singular_values_gram(a: MatRef<'_, f64>) -> Result<Vec<f64>> {
    check_finite(a, "Gram singular values")?;
    let g = if a.nrows() <= a.ncols() {
        a * a.transpose()
    } else {
        a.transpose() * a
    };
    let ev = g
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| linalg_error("Gram eigenvalues", a, e))?;
    // Ascending eigenvalues → descending singular values; negatives are rounding noise.
    Ok(ev.iter().rev().map(|&l| l.max(0.0).sqrt()).collect())
}

/// Thin SVD A = U diag(s) Vᵀ with r = min(N, M) components.
#[derive(Clone, Debug)]
pub struct ThinSvd {
    /// Left singular vectors, N×r (columns are the principal components u_k).
    pub u: Mat<f64>,
    /// Singular values, descending, length r.
    pub s: Vec<f64>,
    /// Right singular vectors, M×r.
    pub v: Mat<f64>,
}

impl ThinSvd {
    /// Number of components r.
    pub fn rank_bound(&self) -> usize {
        self.s.len()
    }

    /// s_max = s_0 (0 for an empty matrix).
    pub fn s_max(&self) -> f64 {
        self.s.first().copied().unwrap_or(0.0)
    }

    /// Principal component u_k as a vector.
    pub fn u_col(&self, k: usize) -> Vec<f64> {
        self.u.col(k).iter().copied().collect()
    }

    /// Numerical-zero threshold max(N, M)·ε·s_max: singular values at or below it
    /// carry no information (SPEC §4).
    pub fn zero_threshold(&self) -> f64 {
        let dim = self.u.nrows().max(self.v.nrows()) as f64;
        dim * f64::EPSILON * self.s_max()
    }
}

/// Thin SVD of `a` (vectors included).
pub fn thin_svd(a: MatRef<'_, f64>) -> Result<ThinSvd> {
    check_finite(a, "thin SVD")?;
    let svd = a.thin_svd().map_err(|e| linalg_error("thin SVD", a, e))?;
    let s: Vec<f64> = svd.S().column_vector().iter().copied().collect();
    Ok(ThinSvd {
        u: svd.U().to_owned(),
        s,
        v: svd.V().to_owned(),
    })
}

/// s_k / s_0 (all zeros when s_0 = 0).
pub fn normalized(s: &[f64]) -> Vec<f64> {
    let s0 = s.first().copied().unwrap_or(0.0);
    if s0 == 0.0 {
        return vec![0.0; s.len()];
    }
    s.iter().map(|v| v / s0).collect()
}

pub(crate) fn check_finite(a: MatRef<'_, f64>, op: &str) -> Result<()> {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let v = a[(i, j)];
            if !v.is_finite() {
                return Err(Error::Linalg {
                    op: op.to_string(),
                    rows: a.nrows(),
                    cols: a.ncols(),
                    detail: format!("entry ({i}, {j}) is {v}; the matrix must be finite"),
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn linalg_error(op: &str, a: MatRef<'_, f64>, e: impl std::fmt::Debug) -> Error {
    Error::Linalg {
        op: op.to_string(),
        rows: a.nrows(),
        cols: a.ncols(),
        detail: format!("{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Design};

    #[test]
    fn svd_reconstructs_and_routes_agree() {
        for (n, m) in [(7, 12), (12, 12), (12, 7)] {
            let d = Design::spec(Activation::Gelu)
                .sigma(5.0)
                .n(n)
                .m(m)
                .build()
                .unwrap();
            let a = d.matrix();
            let svd = thin_svd(a.as_ref()).unwrap();
            let r = n.min(m);
            assert_eq!(svd.s.len(), r);
            assert_eq!((svd.u.nrows(), svd.u.ncols()), (n, r));
            assert_eq!((svd.v.nrows(), svd.v.ncols()), (m, r));
            let mut rec = Mat::<f64>::zeros(n, m);
            for k in 0..r {
                for i in 0..n {
                    for j in 0..m {
                        rec[(i, j)] += svd.u[(i, k)] * svd.s[k] * svd.v[(j, k)];
                    }
                }
            }
            let err = (&rec - &a).norm_l2() / a.norm_l2();
            assert!(err < 1e-13, "{err}");
            let s = singular_values(a.as_ref()).unwrap();
            let g = singular_values_gram(a.as_ref()).unwrap();
            for k in 0..r {
                assert!((s[k] - svd.s[k]).abs() <= 1e-13 * s[0]);
                // Gram route: absolute error ≈ ε s_max² / s_k.
                assert!(
                    (g[k] - s[k]).abs() <= 1e-13 * s[0] * s[0] / s[k].max(1e-300) + 1e-7 * s[0]
                );
            }
        }
    }

    #[test]
    fn non_finite_matrix_is_an_error() {
        let mut a = Mat::<f64>::zeros(3, 3);
        a[(1, 2)] = f64::NAN;
        let e = singular_values(a.as_ref()).unwrap_err().to_string();
        assert!(e.contains("(1, 2)"), "{e}");
    }
}
