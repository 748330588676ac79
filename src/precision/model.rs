//! The a-posteriori error model behind every pass/fail threshold of `validate`.
//!
//! An engine with unit roundoff u (2⁻²⁴ for f32, 2⁻⁵³ for f64) is compared
//! at checkpoint q with the f64 prediction $f_q = U\,\mathrm{diag}(m)\,U^\top y$,
//! $w_q = V\,\mathrm{diag}(m/s)\,U^\top y$, m = gd_exact(α, q). With the reference
//! quantities at q — w = w_q, the residual sum $S_q = \sum_{t<q} r_t$ (so that
//! $w_q = \alpha A^\top S_q$) and $P_q = \sum_{t<q} \lVert r_t \rVert$ — the
//! absolute error is estimated by three named terms per space, then multiplied
//! by a safety factor [`SAFETY`]:
//!
//! **Function space**, at the points of B (B = A at the samples, B = A_e on the
//! evaluation grid):
//! * *matrix* — A and the grids rounded to f32: $2\,\varepsilon_B\,\lVert |B||w| \rVert$,
//!   where $\varepsilon_B = \lVert \tilde B - B \rVert_F / \lVert B \rVert_F + c_\eta u$ is
//!   *measured*: $\tilde B$ is formed on the CPU exactly as the kernels form it
//!   (x, b, σ rounded to f32, z = σ·(x − b) in f32, η rounded to f32) and
//!   $c_\eta u$ covers the WGSL activations' own error (a few ulps). One
//!   $\varepsilon_B$ is the reported $f = \tilde B w$, the other the change of the
//!   trajectory itself (first order; rounding perturbations are incoherent, so
//!   this does not grow with q in practice — the coherent worst case grows
//!   like √q).
//! * *reduction* — each f_i is a sum of M products: $\gamma_M\,u\,\lVert |B||w| \rVert$,
//!   with $\gamma_n = \sqrt{n}$ for plain sums (probabilistic growth of a sum's
//!   rounding error) and $\gamma_n = 2$ for compensated (Kahan) sums, which the
//!   GPU engine uses in every product ([`Summation`]).
//!
//!   Every engine reports f at the samples as a product of its iterate
//!   (f = A w; the sample-space dual f = A w₀ + K c), never as y − r: the
//!   subtraction would round each f_i by u|r_i|, an error u‖r_q‖ that is not
//!   relative to f and dominates when α s² q ≪ 1 (‖r_q‖ ≈ ‖y‖ ≫ ‖f_q‖). So
//!   no term of the model scales with ‖r_q‖.
//! * *accumulation over q* — every update $w \leftarrow w + \alpha g$ rounds each
//!   w_j by ≤ u|w_j|; the slow directions never damp it; independent errors
//!   add like a random walk: $\sqrt{q}\,u\,\lVert B \rVert_2 \lVert w \rVert$.
//!
//! **Weight space** — far more sensitive, because the directions with tiny s
//! and the null space of A (M > N) are never corrected by GD:
//! * *matrix*: $w = \alpha \tilde A^\top \sum_t \tilde r_t$ drifts by $\alpha \lVert \tilde A - A\rVert_2 \lVert S_q \rVert$
//!   (first-order bound; the part along the null space of A stays for ever).
//! * *reduction*: g = Aᵀr sums N products, fed undamped into the null space:
//!   $\gamma_N\,u\,\alpha \lVert A \rVert_F P_q$.
//! * *accumulation over q*: the per-update rounding u|w_j| summed coherently: $q\,u\,\lVert w\rVert$.
//!
//! **Gram operators** (the dual strategy iterates with K = AAᵀ, or G = AᵀA,
//! formed once and rounded to f32). Their rounding is *not* damped in the slow
//! directions (first-order bounds grow like q in f and q^{3/2} in w, orders of
//! magnitude above what happens), so the matrix term is *computed*: the exact
//! f64 result of GD with $\tilde K = \mathrm{fl}_{32}(\tilde A \tilde A^\top)$ (or
//! $\tilde G$, $\tilde h = \mathrm{fl}_{32}(\tilde A^\top y)$) from its
//! eigendecomposition ([`super::gram_effect`]); the term is twice its distance to the
//! reference (the engine rounds K differently from us, by the same amount).
//! Its residual r = y − K̃c is a sum of N products with c = αS_q, and c grows
//! like q along the directions GD never fits (λ ≈ 0), so the function-space
//! reduction term is $\gamma_N\,u\,\lVert |\tilde K||c| \rVert$ (computed), which grows like q.
//! The dual keeps c (w = Ãᵀc) instead of w, so its weight accumulation term is
//! $\sqrt{q}\,u\,\alpha\, s_{max} \lVert S_q \rVert$ (c = αS_q rounded each step;
//! only the slow directions keep it, and Ãᵀ scales those by s ≲ s_max/√q).
//!
//! The relative tolerance is the absolute one divided by the reference norm.
//! For the f64 CPU engine the same formulas hold with u = 2⁻⁵³ and ε = the
//! measured backward error of the reference SVD, $\lVert A - U S V^\top\rVert_F / \lVert A\rVert_F$.
//!
//! **Empirical mask.** $\hat m_k = u_k^\top f_q / u_k^\top y$. Its error is at
//! most $E_f / |u_k^\top y|$ with E_f the absolute function-space tolerance, so
//! direction k is *resolved* — reported and checked — only where
//! $|u_k^\top y| \ge$ [`RESOLVE`]·E_f, i.e. where m̂_k is known to ±1/RESOLVE or better.

use faer::MatRef;
use serde::Serialize;

use super::gram::GramTerms;
use crate::error::Result;
use crate::gd::{Operator, Precision, Summation};
use crate::spectral::{largest_singular_value_to, norm};

/// Relative accuracy of the spectral norms that scale a tolerance (‖ΔA‖₂,
/// ‖A_e‖₂): a tolerance needs two digits, not fourteen.
pub const NORM_RTOL: f64 = 1e-4;

/// Safety factor applied to every estimate (the estimates are typical-case,
/// not worst-case, in the reduction and accumulation terms).
pub const SAFETY: f64 = 2.0;

/// Ulps allowed for the WGSL activations themselves (erfc fit ≤ 2 ulps,
/// exp/sin a few ulps on Vulkan).
pub const C_ETA: f64 = 4.0;

/// m̂_k is resolved where |u_kᵀy| ≥ RESOLVE · E_f (its uncertainty ≤ 1/RESOLVE).
pub const RESOLVE: f64 = 10.0;

/// How a matrix differs from its f32 twin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rounding {
    /// ‖B̃ − B‖_F / ‖B‖_F, without the activation term.
    pub rel_fro: f64,
    /// ‖B̃ − B‖₂ (absolute, Lanczos estimate to [`NORM_RTOL`]).
    pub abs_two: f64,
}

/// How far the matrix `twin` that the f32 kernels hold (for a design,
/// [`super::twin::design_matrix`] at the same points) is from the f64 matrix `b`.
pub fn f32_rounding(twin: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<Rounding> {
    if b.nrows() == 0 || b.ncols() == 0 {
        return Ok(Rounding {
            rel_fro: 0.0,
            abs_two: 0.0,
        });
    }
    let d = twin - b;
    let bf = b.norm_l2();
    Ok(Rounding {
        rel_fro: if bf > 0.0 { d.norm_l2() / bf } else { 0.0 },
        abs_two: largest_singular_value_to(d.as_ref(), NORM_RTOL)?,
    })
}

/// ‖|B||w|‖: the norm of the entrywise absolute values of B applied to |w|
/// (what the rounding error of the sums B·w scales with).
pub fn abs_product_norm(b: MatRef<'_, f64>, w: &[f64]) -> f64 {
    let mut out = vec![0.0; b.nrows()];
    for (j, wj) in w.iter().enumerate() {
        let aw = wj.abs();
        if aw == 0.0 {
            continue;
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o += b[(i, j)].abs() * aw;
        }
    }
    norm(&out)
}

/// Everything about the problem and the engine that the tolerances depend on.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorModel {
    /// Arithmetic of the engine.
    pub precision: Precision,
    /// How the engine holds the operator.
    pub operator: Operator,
    /// How the engine's products sum.
    pub summation: Summation,
    /// Unit roundoff u.
    pub u: f64,
    /// Safety factor on every estimate.
    pub safety: f64,
    /// ε_A: relative rounding of A at the samples (measured, incl. c_η·u and the SVD's backward error).
    pub eps_a: f64,
    /// ε_{A_e}: the same on the evaluation grid.
    pub eps_a_eval: f64,
    /// ‖Ã − A‖₂ (absolute).
    pub delta_a_two: f64,
    /// Sizes and norms of the problem.
    #[serde(flatten)]
    pub problem: ModelInputs,
}

/// Inputs of [`ErrorModel::new`] that come from the problem.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ModelInputs {
    /// N.
    pub n: usize,
    /// M.
    pub m: usize,
    /// α.
    pub alpha: f64,
    /// ‖A‖₂.
    pub s_max: f64,
    /// ‖A‖_F.
    pub a_fro: f64,
    /// ‖A_e‖₂.
    pub a_eval_two: f64,
    /// ‖A − USVᵀ‖_F / ‖A‖_F of the reference.
    pub svd_backward_error: f64,
}

/// How an engine computes: what the model's terms depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arithmetic {
    /// Floating-point format.
    pub precision: Precision,
    /// How the operator is held.
    pub operator: Operator,
    /// How the products sum.
    pub summation: Summation,
}

impl ErrorModel {
    /// The model for an engine. `rounding` holds the f32 kernels' matrix
    /// errors at the samples and on the evaluation grid ([`f32_rounding`]);
    /// it is ignored for [`Operator::ExactF64`].
    pub fn new(
        arith: Arithmetic,
        inputs: ModelInputs,
        rounding: Option<(Rounding, Rounding)>,
        safety: f64,
    ) -> Self {
        let Arithmetic {
            precision,
            operator,
            summation,
        } = arith;
        let u = precision.unit_roundoff();
        let (e_svd, a_fro) = (inputs.svd_backward_error, inputs.a_fro);
        let (eps_a, eps_a_eval, delta_a_two) = match (operator, rounding) {
            (Operator::ExactF64, _) | (_, None) => {
                let e = e_svd.max(u);
                (e, e, e * a_fro)
            }
            (_, Some((r, re))) => {
                let eta = C_ETA * u;
                (
                    r.rel_fro + eta + e_svd,
                    re.rel_fro + eta + e_svd,
                    r.abs_two + (eta + e_svd) * a_fro,
                )
            }
        };
        ErrorModel {
            precision,
            operator,
            summation,
            u,
            safety,
            eps_a,
            eps_a_eval,
            delta_a_two,
            problem: inputs,
        }
    }

    /// Tolerances of the three spaces at one checkpoint.
    pub fn tolerances(&self, r: &RefNorms) -> SpaceTolerances {
        let u = self.u;
        let p = &self.problem;
        let sq = (r.q as f64).sqrt();
        let qf = r.q as f64;
        let sm = self.summation.gamma(p.m);
        let sn = self.summation.gamma(p.n);
        // Matrix terms: first-order estimates, or twice the computed effect of
        // the rounded Gram operator.
        let red_w_primal = sn * u * p.alpha * p.a_fro * r.p_sum;
        let (mat_f, mat_fe, mat_w, red_f, red_w, acc_w) = match (self.operator, r.gram) {
            (Operator::GramF32, Some(g)) => {
                // The sample-space dual rebuilds w = Ãᵀc, an N-term sum over a c
                // that grows like q; the weight-space dual iterates w like the primal.
                let red_w = if g.abs_rebuild > 0.0 {
                    sn * u * g.abs_rebuild
                } else {
                    red_w_primal
                };
                (
                    2.0 * g.f,
                    2.0 * g.f_eval,
                    2.0 * g.w,
                    self.summation.gamma(g.dim) * u * g.abs_gram_x,
                    red_w,
                    sq * u * p.alpha * p.s_max * r.s_sum_norm,
                )
            }
            _ => (
                2.0 * self.eps_a * r.abs_aw,
                2.0 * self.eps_a_eval * r.abs_aew,
                p.alpha * self.delta_a_two * r.s_sum_norm,
                sm * u * r.abs_aw,
                red_w_primal,
                qf * u * r.w_norm,
            ),
        };
        // f on the evaluation grid is A_e·w: it inherits w's reduction error.
        let red_fe = sm * u * r.abs_aew
            + if self.operator == Operator::GramF32 {
                p.a_eval_two * red_w
            } else {
                0.0
            };
        let t = r.truncation;
        let f = Tolerance::new(
            self.safety,
            r.f_norm,
            [mat_f, red_f, sq * u * p.s_max * r.w_norm],
            t.f,
        );
        let f_eval = Tolerance::new(
            self.safety,
            r.f_eval_norm,
            [mat_fe, red_fe, sq * u * p.a_eval_two * r.w_norm],
            t.f_eval,
        );
        let w = Tolerance::new(self.safety, r.w_norm, [mat_w, red_w, acc_w], t.w);
        SpaceTolerances { f, f_eval, w }
    }
}

/// Norms of the reference at one checkpoint that the tolerances use.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RefNorms {
    /// q.
    pub q: u64,
    /// ‖f_q‖ at the samples.
    pub f_norm: f64,
    /// ‖f_q‖ on the evaluation grid.
    pub f_eval_norm: f64,
    /// ‖w_q‖.
    pub w_norm: f64,
    /// ‖r_q‖ = ‖y − f_q‖ at the samples.
    pub r_norm: f64,
    /// ‖|A||w_q|‖.
    pub abs_aw: f64,
    /// ‖|A_e||w_q|‖.
    pub abs_aew: f64,
    /// ‖S_q‖ = ‖Σ_{t<q} r_t‖.
    pub s_sum_norm: f64,
    /// P_q = Σ_{t<q} ‖r_t‖.
    pub p_sum: f64,
    /// For Gram operators: what [`super::gram_effect`] computed at this q.
    pub gram: Option<GramTerms>,
    /// Bounds on what a reference restricted to the leading components
    /// leaves out (zero for a reference from the whole spectrum).
    pub truncation: Truncation,
}

/// Bounds on the distance between a reference restricted to K components
/// and the full one, per space (absolute): zero unless the reference comes
/// from a top-K spectrum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Truncation {
    /// ‖f_q − f_q^K‖ at the samples.
    pub f: f64,
    /// ‖f_q − f_q^K‖ on the evaluation grid.
    pub f_eval: f64,
    /// ‖w_q − w_q^K‖.
    pub w: f64,
}

/// One tolerance with its terms (absolute, safety included; they add up to `abs`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tolerance {
    /// Allowed relative error ‖got − ref‖/‖ref‖ (absolute when ‖ref‖ = 0).
    pub rel: f64,
    /// Allowed absolute error.
    pub abs: f64,
    /// Matrix rounding term.
    pub matrix: f64,
    /// Reduction term.
    pub reduction: f64,
    /// Accumulation-over-q term.
    pub accumulation: f64,
    /// Bound on what a top-K reference leaves out (a proven bound, so not
    /// scaled by the safety factor; 0 for a reference from the whole spectrum).
    pub truncation: f64,
}

impl Tolerance {
    /// `terms`: matrix, reduction and accumulation estimates (scaled by
    /// `safety`); `truncation`: a bound, added as it is.
    fn new(safety: f64, ref_norm: f64, terms: [f64; 3], truncation: f64) -> Self {
        let [matrix, reduction, accumulation] = terms.map(|t| safety * t);
        let abs = matrix + reduction + accumulation + truncation;
        Tolerance {
            rel: if ref_norm > 0.0 { abs / ref_norm } else { abs },
            abs,
            matrix,
            reduction,
            accumulation,
            truncation,
        }
    }

    /// Which term dominates (`matrix`, `reduction`, `accumulation` or `truncation`).
    pub fn dominant(&self) -> &'static str {
        let terms = [
            (self.matrix, "matrix"),
            (self.reduction, "reduction"),
            (self.accumulation, "accumulation"),
            (self.truncation, "truncation"),
        ];
        terms
            .iter()
            .fold(terms[0], |best, &t| if t.0 > best.0 { t } else { best })
            .1
    }
}

/// Tolerances of one checkpoint.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SpaceTolerances {
    /// f at the samples.
    pub f: Tolerance,
    /// f on the evaluation grid.
    pub f_eval: Tolerance,
    /// w.
    pub w: Tolerance,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Design};
    use crate::precision::twin;
    use faer::Mat;

    #[test]
    fn the_norm_estimate_finds_the_norm() {
        let a = Mat::<f64>::from_fn(5, 3, |i, j| if i == j { [3.0, 2.0, 1.0][i] } else { 0.0 });
        assert!((largest_singular_value_to(a.as_ref(), NORM_RTOL).unwrap() - 3.0).abs() < 1e-9);
        assert_eq!(
            largest_singular_value_to(Mat::<f64>::zeros(2, 2).as_ref(), NORM_RTOL).unwrap(),
            0.0
        );
    }

    #[test]
    fn f32_twin_of_the_design() {
        // Ties x_i = b_j give z = 0 exactly in f32 too (heaviside stays 0 on the diagonal).
        let d = Design::spec(Activation::Heaviside)
            .sigma(64.0)
            .n(64)
            .m(64)
            .build()
            .unwrap();
        let a = d.matrix();
        let r = f32_rounding(twin::design_matrix(&d, d.x()).as_ref(), a.as_ref()).unwrap();
        assert_eq!(r.rel_fro, 0.0);
        // tanh at σ = M: the f32 grids move z by ~σ·u, a few ulps of A.
        let d = Design::spec(Activation::Tanh)
            .sigma(256.0)
            .n(64)
            .m(256)
            .build()
            .unwrap();
        let a = d.matrix();
        let r = f32_rounding(twin::design_matrix(&d, d.x()).as_ref(), a.as_ref()).unwrap();
        let u = Precision::F32.unit_roundoff();
        assert!(
            r.rel_fro > 0.1 * u && r.rel_fro < 100.0 * u,
            "{}",
            r.rel_fro / u
        );
        assert!(r.abs_two <= r.rel_fro * a.norm_l2() * (1.0 + 1e-12));
    }
}
