//! The computed matrix term of Gram engines (the dual strategy).
//!
//! A Gram engine iterates with K = AAᵀ (or G = AᵀA) formed once and rounded
//! to f32: a fixed perturbation of the operator that GD never damps in its
//! slow directions. Its first-order bound grows like q (f) and q^{3/2} (w),
//! orders of magnitude above what happens, so [`gram_effect`] computes the
//! exact f64 outcome of GD with the rounded operator from its
//! eigendecomposition instead, as distances from the reference.

use faer::{Mat, MatRef, Side};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::spectral::gd_exact;

/// GD with the rounded Gram operator at one q ([`gram_effect`]).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct GramTerms {
    /// ‖f̃ − f_q‖ at the samples.
    pub f: f64,
    /// ‖f̃_e − f_e‖ on the evaluation grid.
    pub f_eval: f64,
    /// ‖w̃ − w_q‖.
    pub w: f64,
    /// ‖|K̃||c_q|‖ (N ≤ M) or ‖|G̃||w_q|‖ (M < N): what the iteration's product sums.
    pub abs_gram_x: f64,
    /// Length of those sums (N or M).
    pub dim: usize,
    /// ‖|Ã|ᵀ|c_q|‖: what the rebuild w = Ãᵀc sums (N ≤ M; 0 when w is iterated).
    pub abs_rebuild: f64,
}

/// 1 − (1 − x)^q for any x < 2, including x ≤ 0 (a rounded Gram operator can
/// have eigenvalues a few ulps below zero).
fn mask_of_x(x: f64, q: u64) -> f64 {
    if x < 1.0 {
        -((q as f64) * (-x).ln_1p()).exp_m1()
    } else {
        gd_exact(1.0, x, q)
    }
}

/// Σ_{t<q} α(1 − x)^t = α·m(x)/x with x = αλ (→ αq as x → 0).
fn sum_coefficient(x: f64, alpha: f64, q: u64) -> f64 {
    if x.abs() < 1e-300 {
        alpha * q as f64
    } else {
        alpha * mask_of_x(x, q) / x
    }
}

/// One GD run from w₀ = 0: the matrices the f32 kernels hold (at the
/// samples and on the evaluation grid), the target, α and the checkpoints.
#[derive(Clone, Copy, Debug)]
pub struct GdRun<'a> {
    /// Ã: A as the f32 kernels hold it ([`super::twin::design_matrix`] for a design,
    /// A rounded to f32 entry by entry for a user's matrix).
    pub a: MatRef<'a, f64>,
    /// Ã_e: the network on the evaluation grid as the kernels form it
    /// (0 rows without an evaluation grid).
    pub a_eval: MatRef<'a, f64>,
    /// Target at the samples.
    pub y: &'a [f64],
    /// Learning rate.
    pub alpha: f64,
    /// Checkpoints q.
    pub qs: &'a [u64],
}

/// Reference values the Gram effect is measured against, one vector per q.
#[derive(Clone, Copy, Debug)]
pub struct RefStates<'a> {
    /// f_q at the samples.
    pub f: &'a [Vec<f64>],
    /// f_q on the evaluation grid.
    pub f_eval: &'a [Vec<f64>],
    /// w_q.
    pub w: &'a [Vec<f64>],
}

/// The exact (f64) outcome of GD run with the operator rounded as a Gram
/// engine holds it, at every q, as distances from the reference ([`GramTerms`]):
/// * N ≤ M: K̃ = fl₃₂(ÃÃᵀ); r_q = (I − αK̃)^q y, f = y − r_q,
///   c_q = α Σ_{t<q} r_t, w = Ãᵀ c_q;
/// * M < N: G̃ = fl₃₂(ÃᵀÃ), h̃ = fl₃₂(Ãᵀy); w_q = α Σ_{t<q} (I − αG̃)^t h̃, f = Ã w;
///
/// in both, f_e = Ã_e w, with Ã, Ã_e the f32 kernels' matrices ([`super::twin::design_matrix`]).
pub fn gram_effect(run: &GdRun<'_>, refs: RefStates<'_>) -> Result<Vec<GramTerms>> {
    let GdRun {
        a,
        a_eval: ae,
        y,
        alpha,
        qs,
    } = *run;
    let (n, m) = (a.nrows(), a.ncols());
    let samples = n <= m;
    let gram = if samples {
        a * a.transpose()
    } else {
        a.transpose() * a
    };
    let yv = Mat::<f64>::from_fn(n, 1, |i, _| y[i]);
    // The start vector: y (samples) or h̃ = fl₃₂(Ãᵀy) (weights).
    let start = if samples {
        y.to_vec()
    } else {
        let h = a.transpose() * &yv;
        (0..m).map(|j| f64::from(h[(j, 0)] as f32)).collect()
    };
    let dual = RoundedDual::new(&gram, &start, alpha, qs)?;
    let (x, gram, nq) = (&dual.x, &dual.gram, qs.len());
    let w = if samples {
        a.transpose() * x
    } else {
        x.clone()
    };
    let f = if samples { dual.f_samples(y) } else { a * &w };
    let fe = ae * &w;
    // ‖|K̃||x|‖ column by column (x = c or w).
    let dim = gram.nrows();
    let gx = dual.abs_gram_x();
    let abs_x = Mat::<f64>::from_fn(dim, nq, |i, qi| x[(i, qi)].abs());
    let rebuild = samples.then(|| {
        let abs_at = Mat::<f64>::from_fn(m, n, |j, i| a[(i, j)].abs());
        &abs_at * &abs_x
    });
    let dist = column_distance;
    Ok((0..nq)
        .map(|qi| GramTerms {
            f: dist(&f, qi, &refs.f[qi]),
            f_eval: dist(&fe, qi, &refs.f_eval[qi]),
            w: dist(&w, qi, &refs.w[qi]),
            abs_gram_x: gx[qi],
            dim,
            abs_rebuild: rebuild.as_ref().map_or(0.0, |r| r.col(qi).norm_l2()),
        })
        .collect())
}

/// ‖mat[:, qi] − want‖.
pub(crate) fn column_distance(mat: &Mat<f64>, qi: usize, want: &[f64]) -> f64 {
    mat.col(qi)
        .iter()
        .zip(want)
        .map(|(g, r)| (g - r) * (g - r))
        .sum::<f64>()
        .sqrt()
}

/// GD run exactly (in f64) with a Gram operator rounded to f32 as the
/// engines hold it: the eigendecomposition of K̃ = fl₃₂(K) and, per q, the
/// iterate x_q (c_q in the sample space, w_q in the weight space).
pub(crate) struct RoundedDual {
    /// K̃ (symmetrised, then rounded to f32).
    pub(crate) gram: Mat<f64>,
    /// Eigenvectors of K̃.
    q_mat: Mat<f64>,
    /// Eigenvalues of K̃.
    lam: Vec<f64>,
    /// Coordinates of the start vector in the eigenbasis.
    d: Vec<f64>,
    alpha: f64,
    qs: Vec<u64>,
    /// x_q = α Σ_{t<q} (I − αK̃)^t · start, one column per q.
    pub(crate) x: Mat<f64>,
}

impl RoundedDual {
    /// From the Gram matrix `gram` (K = ÃÃᵀ or G = ÃᵀÃ, formed in f64 from the
    /// kernels' matrix) and the start vector (y, or h̃ in the weight space).
    pub(crate) fn new(gram: &Mat<f64>, start: &[f64], alpha: f64, qs: &[u64]) -> Result<Self> {
        let gram = Mat::<f64>::from_fn(gram.nrows(), gram.ncols(), |i, j| {
            f64::from((0.5 * (gram[(i, j)] + gram[(j, i)])) as f32)
        });
        let eig = gram
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| Error::Linalg {
                op: "eigendecomposition of the rounded Gram matrix".into(),
                rows: gram.nrows(),
                cols: gram.ncols(),
                detail: format!("{e:?}"),
            })?;
        let q_mat = eig.U().to_owned();
        let lam: Vec<f64> = eig.S().column_vector().iter().copied().collect();
        let sv = Mat::<f64>::from_fn(start.len(), 1, |i, _| start[i]);
        let d: Vec<f64> = (q_mat.transpose() * &sv).col(0).iter().copied().collect();
        let dim = lam.len();
        let coef = Mat::<f64>::from_fn(dim, qs.len(), |k, qi| {
            sum_coefficient(alpha * lam[k], alpha, qs[qi]) * d[k]
        });
        let x = &q_mat * &coef;
        Ok(RoundedDual {
            gram,
            q_mat,
            lam,
            d,
            alpha,
            qs: qs.to_vec(),
            x,
        })
    }

    /// f_q = y − (I − αK̃)^q y at the samples (sample space), one column per q.
    pub(crate) fn f_samples(&self, y: &[f64]) -> Mat<f64> {
        let keep = Mat::<f64>::from_fn(self.lam.len(), self.qs.len(), |k, qi| {
            (1.0 - mask_of_x(self.alpha * self.lam[k], self.qs[qi])) * self.d[k]
        });
        let r = &self.q_mat * &keep;
        Mat::<f64>::from_fn(y.len(), self.qs.len(), |i, qi| y[i] - r[(i, qi)])
    }

    /// ‖|K̃||x_q|‖ per q: what the iteration's products sum.
    pub(crate) fn abs_gram_x(&self) -> Vec<f64> {
        let dim = self.gram.nrows();
        let abs_gram = Mat::<f64>::from_fn(dim, dim, |i, j| self.gram[(i, j)].abs());
        let abs_x = Mat::<f64>::from_fn(dim, self.qs.len(), |i, qi| self.x[(i, qi)].abs());
        let gx = &abs_gram * &abs_x;
        (0..self.qs.len()).map(|qi| gx.col(qi).norm_l2()).collect()
    }
}
