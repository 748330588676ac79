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

/// Largest singular value s_max of `a` by Golub–Kahan–Lanczos bidiagonalization
/// with full reorthogonalization: O(N·M) per step instead of a full SVD.
///
/// The Ritz value of the small bidiagonal matrix converges to s_max from below
/// (even inside near-degenerate clusters such as tanh's pairs), usually to
/// ~1e−14 relative within a few dozen steps; iteration stops when three
/// consecutive estimates agree to 1e−14 or after min(N, M) steps (then it is exact).
/// α = 1/ŝ² with ŝ ≤ s_max puts α·s_max² within that tolerance of 1 (see
/// [`crate::mask::REGIME_RTOL`]).
pub fn largest_singular_value(a: MatRef<'_, f64>) -> Result<f64> {
    check_finite(a, "largest singular value")?;
    let (n, m) = (a.nrows(), a.ncols());
    let r = n.min(m);
    if r == 0 {
        return Ok(0.0);
    }
    let max_steps = r.min(300);
    // Deterministic, non-special start vector.
    let mut v: Vec<f64> = (0..m)
        .map(|j| 1.0 + 0.5 * ((j as f64 + 1.0) * 0.618_033_988_749_895).fract())
        .collect();
    normalize(&mut v);
    let (mut us, mut vs): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (Vec::new(), Vec::new());
    let (mut alphas, mut betas) = (Vec::new(), Vec::new());
    let mut beta_prev = 0.0;
    let mut est = 0.0f64;
    let mut agree = 0;
    for k in 0..max_steps {
        let vm = Mat::<f64>::from_fn(m, 1, |j, _| v[j]);
        let mut u: Vec<f64> = (a * &vm).col(0).iter().copied().collect();
        if let Some(up) = us.last() {
            u.iter_mut().zip(up).for_each(|(x, y)| *x -= beta_prev * y);
        }
        reorthogonalize(&mut u, &us);
        let alpha = norm(&u);
        alphas.push(alpha);
        vs.push(v.clone());
        if alpha == 0.0 {
            break;
        }
        u.iter_mut().for_each(|x| *x /= alpha);
        let um = Mat::<f64>::from_fn(n, 1, |i, _| u[i]);
        let mut w: Vec<f64> = (a.transpose() * &um).col(0).iter().copied().collect();
        w.iter_mut().zip(&v).for_each(|(x, y)| *x -= alpha * y);
        reorthogonalize(&mut w, &vs);
        let beta = norm(&w);
        us.push(u);
        // Largest singular value of the (k+1)×(k+1) upper-bidiagonal matrix.
        let kk = k + 1;
        let b = Mat::<f64>::from_fn(kk, kk, |i, j| {
            if i == j {
                alphas[i]
            } else if j == i + 1 {
                betas[i]
            } else {
                0.0
            }
        });
        let new = b
            .singular_values()
            .map_err(|e| linalg_error("Lanczos bidiagonal SVD", a, e))?[0];
        agree = if (new - est).abs() <= 1e-14 * new {
            agree + 1
        } else {
            0
        };
        est = est.max(new);
        if agree >= 3 || beta <= 1e-14 * est {
            break;
        }
        betas.push(beta);
        beta_prev = beta;
        v = w.into_iter().map(|x| x / beta).collect();
    }
    Ok(est)
}

fn normalize(v: &mut [f64]) {
    let n = norm(v);
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Two passes of classical Gram–Schmidt against an orthonormal set.
fn reorthogonalize(v: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for e in basis {
            let d: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(e).for_each(|(a, b)| *a -= d * b);
        }
    }
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

/// d_k(x_i) = sin(π(k + ½)x_i), the DST-like basis of the paper.
pub fn dst_basis(x: &[f64], k: usize) -> Vec<f64> {
    let w = std::f64::consts::PI * (k as f64 + 0.5);
    x.iter().map(|&xi| (w * xi).sin()).collect()
}

/// |cos(a, b)| = |aᵀb| / (‖a‖‖b‖); 0 when either vector is zero.
pub fn abs_cos(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        (ab / (aa.sqrt() * bb.sqrt())).abs()
    }
}

/// Norm of the projection of the unit vector u/‖u‖ on span{cos, sin}(π(2j+1)x),
/// j = ⌊k/2⌋: the subspace that the k-th near-degenerate pair of tanh(σz), σ = M, spans (SPEC §5).
pub fn fourier_pair_projection(u: &[f64], x: &[f64], k: usize) -> f64 {
    let w = std::f64::consts::PI * (2 * (k / 2) + 1) as f64;
    let c: Vec<f64> = x.iter().map(|&xi| (w * xi).cos()).collect();
    let s: Vec<f64> = x.iter().map(|&xi| (w * xi).sin()).collect();
    let basis = orthonormalize(&[c, s]);
    let un = norm(u);
    if un == 0.0 {
        return 0.0;
    }
    let p2: f64 = basis
        .iter()
        .map(|e| {
            let d: f64 = e.iter().zip(u).map(|(a, b)| a * b).sum::<f64>() / un;
            d * d
        })
        .sum();
    p2.sqrt()
}

/// How well u_k matches the DST basis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DstMatch {
    /// Component index k.
    pub k: usize,
    /// |cos(u_k, d_k)|.
    pub abs_cos: f64,
    /// The j in 0..r with the largest |cos(u_k, d_j)|.
    pub best_j: usize,
    /// That largest |cos(u_k, d_j)|.
    pub best_abs_cos: f64,
    /// Projection of u_k on the {cos, sin}(π(2⌊k/2⌋+1)x) pair subspace.
    pub fourier_pair_proj: f64,
}

/// |cos(u_k, d_k)| and friends for each k in `ks` (k must be < r).
pub fn dst_similarity(svd: &ThinSvd, x: &[f64], ks: &[usize]) -> Result<Vec<DstMatch>> {
    let r = svd.rank_bound();
    ks.iter()
        .map(|&k| {
            if k >= r {
                return Err(Error::invalid(
                    "component k",
                    k,
                    format!("an index below min(N, M) = {r}"),
                ));
            }
            let u = svd.u_col(k);
            let (best_j, best_abs_cos) = (0..r)
                .map(|j| (j, abs_cos(&u, &dst_basis(x, j))))
                .fold((0, -1.0), |acc, c| if c.1 > acc.1 { c } else { acc });
            Ok(DstMatch {
                k,
                abs_cos: abs_cos(&u, &dst_basis(x, k)),
                best_j,
                best_abs_cos,
                fourier_pair_proj: fourier_pair_projection(&u, x, k),
            })
        })
        .collect()
}

/// Euclidean norm ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Modified Gram–Schmidt; drops vectors that are numerically dependent.
fn orthonormalize(vs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut v = v.clone();
        for e in &out {
            let d: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(e).for_each(|(a, b)| *a -= d * b);
        }
        let n = norm(&v);
        if n > 1e-12 {
            v.iter_mut().for_each(|a| *a /= n);
            out.push(v);
        }
    }
    out
}

fn check_finite(a: MatRef<'_, f64>, op: &str) -> Result<()> {
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

fn linalg_error(op: &str, a: MatRef<'_, f64>, e: impl std::fmt::Debug) -> Error {
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
    use crate::activation::Activation;
    use crate::design::Design;

    #[test]
    fn svd_reconstructs_and_routes_agree() {
        for (n, m) in [(7, 12), (12, 12), (12, 7)] {
            let d = Design::linspace(Activation::Gelu, 5.0, n, m).unwrap();
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
    fn lanczos_s_max_matches_the_svd() {
        for (act, sigma, n, m) in [
            (Activation::Tanh, 300.0, 300, 300), // near-equal top pair
            (Activation::Relu, 1.0, 120, 400),
            (Activation::Sinc, 20.0, 400, 90), // flat top of the spectrum
            (Activation::Heaviside, 1.0, 1, 1),
        ] {
            let a = Design::linspace(act, sigma, n, m).unwrap().matrix();
            let s = singular_values(a.as_ref()).unwrap()[0];
            let l = largest_singular_value(a.as_ref()).unwrap();
            assert!((l - s).abs() <= 1e-12 * s, "{act}: {l} vs {s}");
        }
    }

    #[test]
    fn non_finite_matrix_is_an_error() {
        let mut a = Mat::<f64>::zeros(3, 3);
        a[(1, 2)] = f64::NAN;
        let e = singular_values(a.as_ref()).unwrap_err().to_string();
        assert!(e.contains("(1, 2)"), "{e}");
    }

    #[test]
    fn cosine_helpers() {
        assert_eq!(abs_cos(&[1.0, 0.0], &[-2.0, 0.0]), 1.0);
        assert_eq!(abs_cos(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        let x = crate::grid::linspace(64);
        let c: Vec<f64> = x
            .iter()
            .map(|&t| (3.0 * std::f64::consts::PI * t).cos())
            .collect();
        assert!((fourier_pair_projection(&c, &x, 2) - 1.0).abs() < 1e-12);
        assert!((fourier_pair_projection(&c, &x, 3) - 1.0).abs() < 1e-12);
    }
}
