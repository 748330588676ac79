//! The f64 prediction of a wide design (N ≤ M) without storing A.
//!
//! The streamed TSQR ([`crate::spectral::streamed_spectrum`]) gives s and U
//! (N×N) to about ε·s_max. Everything else is formed over blocks of
//! [`BLOCK`] columns of A generated on the fly and dropped, so memory is
//! O((N + P)·BLOCK per thread + M·(columns of the solution)) instead of
//! (N + P)·M for A and the network on the P-point evaluation grid:
//!
//! * f_q = U diag(m) Uᵀy needs only U and s;
//! * w_q = V diag(m/s) Uᵀy = Aᵀ z_q with z_q = U diag(m/s²) Uᵀy, since
//!   V = AᵀU diag(1/s): one product per block. Component k is accurate to
//!   about ε·s_max·|m_k/s_k²|·|u_kᵀy| (the error of Aᵀu_k), which for the
//!   small s_k that a mask barely passes is ≈ α·q·ε·s_max·|u_kᵀy|;
//! * f on the evaluation grid is Σ_blocks A_e,J·w_J, and the model's
//!   ‖|A||w|‖, ‖|A_e||w|‖ accumulate block by block;
//! * the error model's 2-norms of A_e and of the kernels' rounding Ã − A are
//!   replaced by Frobenius norms, which bound them from above (the tolerances
//!   can only widen, by at most √rank); the SVD's backward error is the
//!   Householder estimate [`backward_error`] instead of a reconstruction;
//! * for a Gram engine, K̃ = fl₃₂(ÃÃᵀ) is accumulated block by block and the
//!   rounded-operator run is rebuilt with w = Ãᵀc in a further pass.

use std::ops::Range;

use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::ValidateConfig;
use super::reference::{Basis, Reference, coordinates};
use crate::error::Result;
use crate::model::Design;
use crate::precision::gram::{RoundedDual, column_distance};
use crate::precision::{
    GramTerms, RefNorms, Rounding, Truncation, residual_norm_sums, residual_sum_norm, twin,
};
use crate::spectral::{Mask, gd_exact_masks, gd_flow_masks, norm};

/// Columns of A per block of a pass, at most.
pub const BLOCK: usize = 2048;

/// Entries of a block of A and A_e together (f64: 32 MiB): tall designs
/// (the top-K route's N = M ≥ 20 000) take narrower blocks.
const BLOCK_ENTRIES: usize = 1 << 22;

/// Columns per block when A and A_e together have `rows` rows.
#[must_use]
pub fn block_width(rows: usize) -> usize {
    (BLOCK_ENTRIES / rows.max(1)).clamp(16, BLOCK)
}

/// The normwise backward error taken for the streamed factorisation A = U S Vᵀ:
/// √L·ε with L = max(N, M), the probabilistic size of Householder QR's
/// backward error (the worst case grows like L·ε). The dense route's
/// measured ‖A − USVᵀ‖_F/‖A‖_F follows the same law: 1.6e−14 and 4.3e−14
/// for tanh at N = 256, M = 10⁴ and 10⁵ (≈ 0.6·√M·ε), below this estimate.
#[must_use]
pub fn backward_error(l: usize) -> f64 {
    (l as f64).sqrt() * f64::EPSILON
}

/// Runs `step` over the column blocks of an M-column matrix with `rows`
/// rows in all (A and A_e), each thread on a contiguous range of blocks with
/// its own state; the states in order.
fn fold_blocks<S: Send>(
    (rows, m): (usize, usize),
    init: impl Fn() -> S + Sync,
    step: impl Fn(&mut S, Range<usize>) + Sync,
) -> Vec<S> {
    let width = block_width(rows);
    let blocks = m.div_ceil(width);
    let t = rayon::current_num_threads().clamp(1, blocks.max(1));
    (0..t)
        .into_par_iter()
        .map(|i| {
            let mut s = init();
            for k in (i * blocks / t)..((i + 1) * blocks / t) {
                step(&mut s, (k * width)..((k + 1) * width).min(m));
            }
            s
        })
        .collect()
}

fn fro2(a: MatRef<'_, f64>) -> f64 {
    let f = a.norm_l2();
    f * f
}

fn diff_fro2(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    fro2((a - b).as_ref())
}

/// Norms the error model needs before any run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Norms {
    /// ‖A_e‖_F (stands for ‖A_e‖₂, which it bounds).
    pub(crate) a_eval_fro: f64,
    /// ‖A‖_F.
    pub(crate) a_fro: f64,
    /// ‖Ã − A‖ at the samples and on the grid, when the kernels' twin was asked.
    pub(crate) rounding: Option<(Rounding, Rounding)>,
}

/// One pass: ‖A_e‖_F, ‖A‖_F and, with `twin`, how far the f32 kernels'
/// matrices are from A and A_e (Frobenius norms for both of [`Rounding`]'s terms).
pub(crate) fn norms(design: &Design, eval: &[f64], twin_too: bool) -> Norms {
    let x = design.x();
    let parts = fold_blocks(
        (design.n() + eval.len(), design.m()),
        // ‖A_e‖², ‖A‖², ‖Ã − A‖², ‖Ã_e − A_e‖².
        || [0.0f64; 4],
        |acc, cols| {
            let sub = design.columns(cols);
            let ae = sub.matrix_at(eval);
            acc[0] += fro2(ae.as_ref());
            let a = sub.matrix_at(x);
            acc[1] += fro2(a.as_ref());
            if twin_too {
                acc[2] += diff_fro2(&twin::design_matrix(&sub, x), &a);
                acc[3] += diff_fro2(&twin::design_matrix(&sub, eval), &ae);
            }
        },
    );
    let mut t = [0.0f64; 4];
    for p in &parts {
        for (a, b) in t.iter_mut().zip(p) {
            *a += b;
        }
    }
    let rounding = |d2: f64, b2: f64| Rounding {
        rel_fro: if b2 > 0.0 { (d2 / b2).sqrt() } else { 0.0 },
        abs_two: d2.sqrt(),
    };
    Norms {
        a_eval_fro: t[0].sqrt(),
        a_fro: t[1].sqrt(),
        rounding: twin_too.then(|| (rounding(t[2], t[1]), rounding(t[3], t[0]))),
    }
}

/// What a pass with the solutions' coefficient vectors z (N × k) gathers.
struct Solutions {
    /// w = Aᵀz, M × k.
    w: Mat<f64>,
    /// A_e·w, P × k.
    fe: Mat<f64>,
    /// ‖|A||w_j|‖ and ‖|A_e||w_j|‖ for the first `abs_cols` columns.
    abs_aw: Vec<f64>,
    abs_aew: Vec<f64>,
}

/// One thread's share of [`solutions`].
struct SolutionAcc {
    w: Vec<(usize, Mat<f64>)>,
    fe: Mat<f64>,
    aw: Mat<f64>,
    aew: Mat<f64>,
}

/// w = Aᵀz and A_e·w over the column blocks, with the absolute products of
/// the first `abs_cols` columns.
fn solutions(design: &Design, eval: &[f64], z: MatRef<'_, f64>, abs_cols: usize) -> Solutions {
    let (n, m, p, k) = (design.n(), design.m(), eval.len(), z.ncols());
    let x = design.x();
    let parts = fold_blocks(
        (n + p, m),
        || SolutionAcc {
            w: Vec::new(),
            fe: Mat::zeros(p, k),
            aw: Mat::zeros(n, abs_cols),
            aew: Mat::zeros(p, abs_cols),
        },
        |acc, cols| {
            let sub = design.columns(cols.clone());
            let a = sub.matrix_at(x);
            let ae = sub.matrix_at(eval);
            let mut wj = Mat::<f64>::zeros(cols.len(), k);
            faer::linalg::matmul::matmul(
                wj.as_mut(),
                Accum::Replace,
                a.transpose(),
                z,
                1.0,
                Par::Seq,
            );
            faer::linalg::matmul::matmul(
                acc.fe.as_mut(),
                Accum::Add,
                ae.as_ref(),
                wj.as_ref(),
                1.0,
                Par::Seq,
            );
            if abs_cols > 0 {
                let abs_w = Mat::<f64>::from_fn(cols.len(), abs_cols, |j, c| wj[(j, c)].abs());
                let abs = |b: &Mat<f64>| {
                    Mat::<f64>::from_fn(b.nrows(), b.ncols(), |i, j| b[(i, j)].abs())
                };
                acc.aw += abs(&a) * &abs_w;
                acc.aew += abs(&ae) * &abs_w;
            }
            acc.w.push((cols.start, wj));
        },
    );
    let mut out = Solutions {
        w: Mat::zeros(m, k),
        fe: Mat::zeros(p, k),
        abs_aw: Vec::new(),
        abs_aew: Vec::new(),
    };
    let mut aw = Mat::<f64>::zeros(n, abs_cols);
    let mut aew = Mat::<f64>::zeros(p, abs_cols);
    for part in parts {
        out.fe += &part.fe;
        aw += &part.aw;
        aew += &part.aew;
        for (j0, wj) in part.w {
            out.w.as_mut().subrows_mut(j0, wj.nrows()).copy_from(&wj);
        }
    }
    out.abs_aw = (0..abs_cols).map(|c| aw.col(c).norm_l2()).collect();
    out.abs_aew = (0..abs_cols).map(|c| aew.col(c).norm_l2()).collect();
    out
}

/// Mask values and the two coefficient vectors of each mask: U·(m∘c) for f
/// and U·(m/s²∘c) for w = Aᵀz (components with s = 0 dropped, as
/// [`crate::spectral::shrink`] does).
struct Coefficients {
    m: Vec<Vec<f64>>,
    f: Mat<f64>,
    z: Mat<f64>,
}

fn coefficients(basis: &Basis, c: &[f64], masks: &[Mask]) -> Result<Coefficients> {
    for mk in masks {
        mk.validate()?;
    }
    let r = basis.s.len();
    let m: Vec<Vec<f64>> = masks
        .iter()
        .map(|mk| basis.s.iter().map(|&s| mk.eval(s)).collect())
        .collect();
    let cf = Mat::<f64>::from_fn(r, masks.len(), |k, q| {
        if basis.s[k] > 0.0 {
            m[q][k] * c[k]
        } else {
            0.0
        }
    });
    let cz = Mat::<f64>::from_fn(r, masks.len(), |k, q| {
        let s = basis.s[k];
        if s > 0.0 {
            m[q][k] / (s * s) * c[k]
        } else {
            0.0
        }
    });
    Ok(Coefficients {
        f: &basis.u * &cf,
        z: &basis.u * &cz,
        m,
    })
}

fn column(a: &Mat<f64>, j: usize) -> Vec<f64> {
    a.col(j).iter().copied().collect()
}

/// The prediction (gd_exact and gd_flow at every checkpoint) of a design
/// from its streamed spectrum (see the module docs).
pub(crate) fn reference(
    cfg: &ValidateConfig,
    design: &Design,
    alpha: f64,
    basis: Basis,
) -> Result<Reference> {
    let (y, qs) = (&cfg.study.y, &cfg.study.qs);
    let nq = qs.len();
    let (c, y_perp) = coordinates(&basis.u, y);
    let mut masks = gd_exact_masks(alpha, qs);
    masks.extend(gd_flow_masks(alpha, qs));
    let co = coefficients(&basis, &c, &masks)?;
    let sol = solutions(design, &cfg.eval_points, co.z.as_ref(), nq);
    let f: Vec<Vec<f64>> = (0..2 * nq).map(|j| column(&co.f, j)).collect();
    let w: Vec<Vec<f64>> = (0..2 * nq).map(|j| column(&sol.w, j)).collect();
    let fe: Vec<Vec<f64>> = (0..2 * nq).map(|j| column(&sol.fe, j)).collect();
    let resid = |f: &[f64]| -> Vec<f64> { y.iter().zip(f).map(|(a, b)| a - b).collect() };
    let p_sums = residual_norm_sums(&basis.s, &c, y_perp, alpha, qs);
    let norms = (0..nq)
        .map(|qi| RefNorms {
            q: qs[qi],
            f_norm: norm(&f[qi]),
            f_eval_norm: norm(&fe[qi]),
            w_norm: norm(&w[qi]),
            r_norm: norm(&resid(&f[qi])),
            abs_aw: sol.abs_aw[qi],
            abs_aew: sol.abs_aew[qi],
            s_sum_norm: residual_sum_norm(&basis.s, &c, y_perp, alpha, qs[qi]),
            p_sum: p_sums[qi],
            gram: None,
            truncation: Truncation::default(),
        })
        .collect();
    let loss = f[..nq]
        .iter()
        .map(|fq| 0.5 * norm(&resid(fq)).powi(2))
        .collect();
    let mut m = co.m;
    let m_flow = m.split_off(nq);
    let (mut f, mut w, mut fe) = (f, w, fe);
    Ok(Reference {
        basis,
        c,
        f_flow: f.split_off(nq),
        w_flow: w.split_off(nq),
        f_eval_flow: fe.split_off(nq),
        f,
        w,
        f_eval: fe,
        m_exact: m,
        m_flow,
        loss,
        norms,
    })
}

/// One thread's share of [`gram_effect`]'s second pass.
struct GramAcc {
    fe: Mat<f64>,
    w2: Vec<f64>,
    rebuild2: Vec<f64>,
}

/// What a Gram engine computes (see [`crate::precision::gram_effect`]), for
/// a wide design, over column blocks: K̃ = fl₃₂(ÃÃᵀ) in one pass, then w̃ =
/// Ãᵀc, f̃_e = Ã_e·w̃ and ‖|Ã|ᵀ|c|‖ in another, as distances from `refs`.
pub(crate) fn gram_effect(
    cfg: &ValidateConfig,
    design: &Design,
    alpha: f64,
    refs: &Reference,
) -> Result<Vec<GramTerms>> {
    let (y, qs, eval) = (&cfg.study.y, &cfg.study.qs, &cfg.eval_points);
    let (n, m, p, nq) = (design.n(), design.m(), eval.len(), qs.len());
    let x = design.x();
    let grams = fold_blocks(
        (n, m),
        || Mat::<f64>::zeros(n, n),
        |g, cols| {
            let at = twin::design_matrix(&design.columns(cols), x);
            faer::linalg::matmul::matmul(
                g.as_mut(),
                Accum::Add,
                at.as_ref(),
                at.transpose(),
                1.0,
                Par::Seq,
            );
        },
    );
    let mut gram = Mat::<f64>::zeros(n, n);
    for g in &grams {
        gram += g;
    }
    let dual = RoundedDual::new(&gram, y, alpha, qs)?;
    let f = dual.f_samples(y);
    let gx = dual.abs_gram_x();
    let abs_c = Mat::<f64>::from_fn(n, nq, |i, qi| dual.x[(i, qi)].abs());
    let parts = fold_blocks(
        (n + p, m),
        || GramAcc {
            fe: Mat::zeros(p, nq),
            w2: vec![0.0; nq],
            rebuild2: vec![0.0; nq],
        },
        |acc, cols| {
            let sub = design.columns(cols.clone());
            let at = twin::design_matrix(&sub, x);
            let wj = at.transpose() * &dual.x;
            if p > 0 {
                acc.fe += twin::design_matrix(&sub, eval) * &wj;
            }
            let abs_at = Mat::<f64>::from_fn(at.ncols(), n, |j, i| at[(i, j)].abs());
            let rb = &abs_at * &abs_c;
            for qi in 0..nq {
                let want = &refs.w[qi][cols.clone()];
                acc.w2[qi] += wj
                    .col(qi)
                    .iter()
                    .zip(want)
                    .map(|(g, r)| (g - r) * (g - r))
                    .sum::<f64>();
                acc.rebuild2[qi] += rb.col(qi).iter().map(|v| v * v).sum::<f64>();
            }
        },
    );
    let mut fe = Mat::<f64>::zeros(p, nq);
    let (mut w2, mut rebuild2) = (vec![0.0; nq], vec![0.0; nq]);
    for part in &parts {
        fe += &part.fe;
        for qi in 0..nq {
            w2[qi] += part.w2[qi];
            rebuild2[qi] += part.rebuild2[qi];
        }
    }
    let dist = column_distance;
    Ok((0..nq)
        .map(|qi| GramTerms {
            f: dist(&f, qi, &refs.f[qi]),
            f_eval: dist(&fe, qi, &refs.f_eval[qi]),
            w: w2[qi].sqrt(),
            abs_gram_x: gx[qi],
            dim: n,
            abs_rebuild: rebuild2[qi].sqrt(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::{ReferenceRoute, Setup, ValidateConfig};
    use crate::gd::{LearningRate, Operator};
    use crate::model::{Activation, Design};
    use crate::studies::StudyConfig;

    fn rel(a: &[f64], b: &[f64]) -> f64 {
        let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        let n: f64 = b.iter().map(|y| y * y).sum();
        (d / n).sqrt()
    }

    /// The streamed reference equals the dense one: three blocks of columns
    /// (M = 5000 > 2·BLOCK) with a partial last block, random biases and
    /// target, every activation class. Tolerance 1e-9: both are f64
    /// computations of the same quantities from factorisations accurate to
    /// ≈ ε·s_max; w through Aᵀz loses a further s_max/s_k on components the
    /// masks pass (q ≤ 1000, α·s_max² = 1: s_k ≥ s_max/30), so 1e-9 leaves
    /// a margin of ~1e3 over ε·30²·√M.
    #[test]
    fn streamed_matches_dense() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for act in [Activation::Tanh, Activation::Relu, Activation::Gaussian] {
            let (n, m) = (24, 5000);
            let x = crate::model::grid::linspace(n);
            let b: Vec<f64> = (0..m).map(|_| rng.random_range(-0.2..1.2)).collect();
            let design = Design::new(act, 12.0, x, b).unwrap();
            let y: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let study = StudyConfig::new(design, y, LearningRate::AUTO, vec![1, 10, 100, 1000]);
            let mut cfg = ValidateConfig::new(study);
            cfg.reference = ReferenceRoute::Dense;
            let dense = Setup::new(&cfg, true).unwrap();
            let mut scfg = cfg.clone();
            scfg.reference = ReferenceRoute::Streamed;
            let streamed = Setup::new(&scfg, true).unwrap();
            assert_eq!(streamed.route(), ReferenceRoute::Streamed);
            assert!((dense.s_max - streamed.s_max).abs() <= 1e-13 * dense.s_max);
            let (ri, si) = (dense.inputs, streamed.inputs);
            assert!((ri.a_fro - si.a_fro).abs() <= 1e-12 * ri.a_fro);
            // The estimate covers the backward error the dense route measures.
            assert!(
                si.svd_backward_error >= ri.svd_backward_error,
                "{si:?} {ri:?}"
            );
            // Frobenius bounds: never below the 2-norms, within √rank of them.
            assert!(si.a_eval_two >= ri.a_eval_two * (1.0 - 1e-12));
            assert!(si.a_eval_two <= ri.a_eval_two * (n as f64).sqrt() * 2.0);
            let (rd, sd) = (dense.rounding().unwrap(), streamed.rounding().unwrap());
            assert!((rd.0.rel_fro - sd.0.rel_fro).abs() <= 1e-9 * rd.0.rel_fro.max(1e-30));
            assert!(sd.0.abs_two >= rd.0.abs_two * (1.0 - 1e-9));
            let a = dense.reference(Operator::GramF32).unwrap();
            let s = streamed.reference(Operator::GramF32).unwrap();
            for qi in 0..4 {
                for (x, y, what) in [
                    (&s.f[qi], &a.f[qi], "f"),
                    (&s.w[qi], &a.w[qi], "w"),
                    (&s.f_eval[qi], &a.f_eval[qi], "f_eval"),
                    (&s.f_flow[qi], &a.f_flow[qi], "f_flow"),
                    (&s.w_flow[qi], &a.w_flow[qi], "w_flow"),
                    (&s.f_eval_flow[qi], &a.f_eval_flow[qi], "f_eval_flow"),
                ] {
                    let e = rel(x, y);
                    assert!(e < 1e-9, "{act:?} q#{qi} {what}: {e:e}");
                }
                let (gn, sn) = (&a.norms[qi], &s.norms[qi]);
                for (x, y, what) in [
                    (sn.abs_aw, gn.abs_aw, "abs_aw"),
                    (sn.abs_aew, gn.abs_aew, "abs_aew"),
                    (sn.s_sum_norm, gn.s_sum_norm, "s_sum_norm"),
                    (sn.p_sum, gn.p_sum, "p_sum"),
                    (sn.w_norm, gn.w_norm, "w_norm"),
                ] {
                    assert!(
                        (x - y).abs() <= 1e-9 * y.abs(),
                        "{act:?} {what}: {x:e} vs {y:e}"
                    );
                }
                // The Gram run's distances: differences of nearly equal
                // vectors (≈ 1e-7 relative), so they agree to ≈ 1e-9/1e-7.
                let (gg, sg) = (gn.gram.unwrap(), sn.gram.unwrap());
                for (x, y, what) in [
                    (sg.f, gg.f, "gram f"),
                    (sg.w, gg.w, "gram w"),
                    (sg.f_eval, gg.f_eval, "gram f_eval"),
                    (sg.abs_gram_x, gg.abs_gram_x, "abs_gram_x"),
                    (sg.abs_rebuild, gg.abs_rebuild, "abs_rebuild"),
                ] {
                    assert!(
                        (x - y).abs() <= 1e-2 * y.abs() + 1e-12,
                        "{act:?} {what}: {x:e} vs {y:e}"
                    );
                }
            }
        }
    }

    /// The top-K route against the dense one on square designs (N = M = 300,
    /// random target): at every checkpoint the restricted prediction is
    /// within its truncation bound of the full one in f, f_eval and w, plus a
    /// slack for the two f64 computations (see `TOPK_SLACK`); the bound is not
    /// vacuous (the f bound at q = 1 is below 1e-3·‖y‖ where the tail holds
    /// little); with K = min(N, M) nothing is left out.
    #[test]
    fn topk_reference_is_within_its_truncation_bound() {
        use rand::{Rng, SeedableRng};
        // The top-K triplets have residuals ≤ 1e-10·s_0 (TOPK_TOL); w = Aᵀz
        // carries them times m_k/s_k² ≤ q·α, i.e. ≤ q·1e-10·‖c‖₁/s_0, which
        // relative to ‖w‖ ≥ ‖f‖/s_0 is ≤ 1e3·1e-10·√K·‖y‖/‖f‖ ≲ 1e-5 here; f
        // and f_eval inherit 1e-10 relative. A 1e-5 relative slack covers both.
        const TOPK_SLACK: f64 = 1e-5;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        // σ = 8 for the Gaussian: a bump 1/8 wide has a fast-decaying
        // spectrum (at σ = 60 the first ~100 values are nearly flat and no
        // small K holds the signal).
        for (act, sigma, k) in [
            (Activation::Tanh, 60.0, 40),
            (Activation::Relu, 60.0, 24),
            (Activation::Gaussian, 8.0, 30),
            (Activation::Tanh, 60.0, 300),
        ] {
            let n = 300;
            let design = Design::spec(act).sigma(sigma).n(n).m(n).build().unwrap();
            let y: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let y_norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
            let study = StudyConfig::new(design, y, LearningRate::AUTO, vec![1, 10, 100, 1000]);
            let mut cfg = ValidateConfig::new(study);
            cfg.reference = ReferenceRoute::Dense;
            let dense = Setup::new(&cfg, true).unwrap();
            let mut tcfg = cfg.clone();
            tcfg.reference = ReferenceRoute::TopK;
            tcfg.k = k;
            let topk = Setup::new(&tcfg, true).unwrap();
            assert_eq!(topk.route(), ReferenceRoute::TopK);
            assert!(
                topk.topk.as_ref().unwrap().converged,
                "{act:?}: {:?}",
                topk.topk
            );
            assert!(
                (dense.s_max - topk.s_max).abs() <= 1e-12 * dense.s_max,
                "{act:?}: {} vs {} ({:?})",
                dense.s_max,
                topk.s_max,
                topk.topk
            );
            let (ri, ti) = (dense.inputs, topk.inputs);
            assert!((ri.a_fro - ti.a_fro).abs() <= 1e-12 * ri.a_fro);
            assert!(ti.a_eval_two >= ri.a_eval_two * (1.0 - 1e-12));
            let d = dense.reference(Operator::DesignF32).unwrap();
            let t = topk.reference(Operator::DesignF32).unwrap();
            let dist = |a: &[f64], b: &[f64]| -> f64 {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f64>()
                    .sqrt()
            };
            for qi in 0..4 {
                let tr = t.norms[qi].truncation;
                let dn = &d.norms[qi];
                for (got, bound, scale, what) in [
                    (dist(&t.f[qi], &d.f[qi]), tr.f, dn.f_norm, "f"),
                    (
                        dist(&t.f_eval[qi], &d.f_eval[qi]),
                        tr.f_eval,
                        dn.f_eval_norm,
                        "f_eval",
                    ),
                    (dist(&t.w[qi], &d.w[qi]), tr.w, dn.w_norm, "w"),
                ] {
                    assert!(
                        got <= bound + TOPK_SLACK * scale,
                        "{act:?} K = {k} q#{qi} {what}: {got:e} > {bound:e} + slack"
                    );
                }
                if k == n {
                    assert!(tr.f <= 1e-12 * y_norm && tr.w <= 1e-12 * y_norm, "{tr:?}");
                }
            }
            assert!(
                t.norms[0].truncation.f < 1e-3 * y_norm,
                "{act:?}: {:?}",
                t.norms[0]
            );
        }
    }

    #[test]
    fn routes_resolve_and_refuse() {
        use crate::studies::Features;
        let wide = Design::spec(Activation::Tanh)
            .n(256)
            .m(1_000_000)
            .build()
            .unwrap();
        let f: Features = wide.into();
        assert_eq!(
            ReferenceRoute::Auto.resolve(&f, 511, 128).unwrap(),
            ReferenceRoute::Streamed
        );
        let small: Features = Design::spec(Activation::Tanh)
            .n(256)
            .m(1024)
            .build()
            .unwrap()
            .into();
        assert_eq!(
            ReferenceRoute::Auto.resolve(&small, 511, 128).unwrap(),
            ReferenceRoute::Dense
        );
        let tall: Features = Design::spec(Activation::Tanh)
            .n(2048)
            .m(16)
            .build()
            .unwrap()
            .into();
        let e = ReferenceRoute::Streamed
            .resolve(&tall, 10, 128)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N <= M"), "{e}");
        let mat = Features::matrix(faer::Mat::identity(4, 8), "eye").unwrap();
        assert!(ReferenceRoute::Streamed.resolve(&mat, 0, 128).is_err());
        assert_eq!(
            ReferenceRoute::Auto.resolve(&mat, 0, 128).unwrap(),
            ReferenceRoute::Dense
        );
        // Top-K: auto for a large square design, never for a user's matrix,
        // K within 1..=min(N, M), naming the flag.
        let square = |n: usize| -> Features {
            Design::spec(Activation::Tanh)
                .n(n)
                .m(n)
                .build()
                .unwrap()
                .into()
        };
        let big = square(20_000);
        assert_eq!(
            ReferenceRoute::Auto.resolve(&big, 39_999, 128).unwrap(),
            ReferenceRoute::TopK
        );
        // 5000² needs 1.4 GB: streamed, not top-K (below 4 GiB).
        assert_eq!(
            ReferenceRoute::Auto
                .resolve(&square(5000), 9999, 128)
                .unwrap(),
            ReferenceRoute::Streamed
        );
        assert!(ReferenceRoute::TopK.resolve(&mat, 0, 2).is_err());
        for k in [0, 20_001] {
            let e = ReferenceRoute::TopK
                .resolve(&big, 10, k)
                .unwrap_err()
                .to_string();
            assert!(e.contains('k') && e.contains("20000"), "{e}");
        }
        assert_eq!(
            "topk".parse::<ReferenceRoute>().unwrap(),
            ReferenceRoute::TopK
        );
    }
}
