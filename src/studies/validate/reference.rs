//! The f64 prediction at every checkpoint, from one SVD: gd_exact and
//! gd_flow in function and weight space, the masks, and the reference norms
//! the tolerances scale with.

use faer::Mat;

use super::ValidateConfig;
use crate::error::Result;
use crate::precision::{
    RefNorms, Truncation, abs_product_norm, residual_norm_sums, residual_sum_norm,
};
use crate::spectral::{Shrunk, ThinSvd, f_at, gd_exact_masks, gd_flow_masks, norm, shrink};

/// The singular basis the prediction is expressed in.
pub(crate) struct Basis {
    /// Left singular vectors, N×r.
    pub(crate) u: Mat<f64>,
    /// Singular values, descending.
    pub(crate) s: Vec<f64>,
    /// Right singular vectors, M×r (`None` on the streamed route, which never forms them).
    pub(crate) v: Option<Mat<f64>>,
}

/// The f64 prediction at every checkpoint, from one SVD.
pub(crate) struct Reference {
    pub(crate) basis: Basis,
    /// Uᵀy.
    pub(crate) c: Vec<f64>,
    pub(crate) f: Vec<Vec<f64>>,
    pub(crate) w: Vec<Vec<f64>>,
    pub(crate) f_eval: Vec<Vec<f64>>,
    pub(crate) f_flow: Vec<Vec<f64>>,
    pub(crate) w_flow: Vec<Vec<f64>>,
    pub(crate) f_eval_flow: Vec<Vec<f64>>,
    pub(crate) m_exact: Vec<Vec<f64>>,
    pub(crate) m_flow: Vec<Vec<f64>>,
    pub(crate) loss: Vec<f64>,
    pub(crate) norms: Vec<RefNorms>,
}

/// Uᵀv.
pub(crate) fn matvec_t(u: &Mat<f64>, v: &[f64]) -> Vec<f64> {
    let vm = Mat::<f64>::from_fn(v.len(), 1, |i, _| v[i]);
    let p = u.transpose() * &vm;
    p.col(0).iter().copied().collect()
}

impl Reference {
    pub(crate) fn new(
        cfg: &ValidateConfig,
        alpha: f64,
        a: &Mat<f64>,
        a_eval: &Mat<f64>,
        svd: ThinSvd,
    ) -> Result<Self> {
        let (y, qs) = (&cfg.study.y, &cfg.study.qs);
        let (c, y_perp) = coordinates(&svd.u, y);
        let exact = shrink(&svd, y, &gd_exact_masks(alpha, qs))?;
        let flow = shrink(&svd, y, &gd_flow_masks(alpha, qs))?;
        let f_eval = f_at(&exact, a_eval.as_ref())?;
        let f_eval_flow = f_at(&flow, a_eval.as_ref())?;
        let p_sums = residual_norm_sums(&svd.s, &c, y_perp, alpha, qs);
        let norms = exact
            .iter()
            .zip(&f_eval)
            .zip(qs.iter().zip(&p_sums))
            .map(|((ex, fe), (&q, &p_sum))| RefNorms {
                q,
                f_norm: norm(&ex.f),
                f_eval_norm: norm(fe),
                w_norm: norm(&ex.w),
                r_norm: norm(&y.iter().zip(&ex.f).map(|(a, b)| a - b).collect::<Vec<_>>()),
                abs_aw: abs_product_norm(a.as_ref(), &ex.w),
                abs_aew: abs_product_norm(a_eval.as_ref(), &ex.w),
                s_sum_norm: residual_sum_norm(&svd.s, &c, y_perp, alpha, q),
                p_sum,
                gram: None,
                truncation: Truncation::default(),
            })
            .collect();
        let loss = exact.iter().map(|s| s.loss).collect();
        let (f, w, m_exact) = columns(exact);
        let (f_flow, w_flow, m_flow) = columns(flow);
        Ok(Reference {
            basis: Basis {
                u: svd.u,
                s: svd.s,
                v: Some(svd.v),
            },
            c,
            f,
            w,
            f_eval,
            f_flow,
            w_flow,
            f_eval_flow,
            m_exact,
            m_flow,
            loss,
            norms,
        })
    }
}

/// c = Uᵀy and ‖y − Uc‖ (the part of y outside the range of U).
pub(crate) fn coordinates(u: &Mat<f64>, y: &[f64]) -> (Vec<f64>, f64) {
    let c = matvec_t(u, y);
    let uc = u * Mat::<f64>::from_fn(c.len(), 1, |k, _| c[k]);
    let y_perp = norm(
        &y.iter()
            .zip(uc.col(0).iter())
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
    );
    (c, y_perp)
}

/// One vector per q.
type PerQ = Vec<Vec<f64>>;

/// f, w and the mask values of each solution, one vector per q.
fn columns(solutions: Vec<Shrunk>) -> (PerQ, PerQ, PerQ) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for s in solutions {
        out.0.push(s.f);
        out.1.push(s.w);
        out.2.push(s.m);
    }
    out
}

/// ‖A − U diag(s) Vᵀ‖_F / ‖A‖_F.
pub(crate) fn svd_backward_error(a: &Mat<f64>, svd: &ThinSvd) -> f64 {
    let us = Mat::<f64>::from_fn(svd.u.nrows(), svd.s.len(), |i, k| svd.u[(i, k)] * svd.s[k]);
    let rec = &us * svd.v.transpose();
    let af = a.norm_l2();
    if af == 0.0 {
        0.0
    } else {
        (a - &rec).norm_l2() / af
    }
}
