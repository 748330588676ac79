//! `compare`: time-to-result and quality of iterating gradient descent versus
//! one SVD and a closed-form mask.
//!
//! For one configuration (design, y, α, a list of q) [`compare`] measures
//!
//! * (a) GD literally iterated to each q on every engine given (the f32 GPU
//!   engine, the f64 CPU reference), wall clock per call with the device waited
//!   for (the engines return only after reading the result back);
//! * (b) the closed form: build A, one thin SVD, then
//!   $f_q = U \operatorname{diag}(1 - (1 - \alpha s^2)^q) U^\top y$ — one SVD serves
//!   every q and every α, so its cost is paid once;
//! * (c) PCA and ridge shrinkage at the matched hyper-parameter, from the same SVD.
//!
//! **Matching.** With x = αqs² the gradient-flow mask is 1 − e^{−x}. PCA keeps
//! the directions with x ≥ 1, i.e. s ≥ κ = (αq)^{−1/2} — Proposition 4.2 with
//! ε = e⁻¹, where the flow mask is 1 − e⁻¹ ≈ 0.63 — so K = #{s_k ≥ κ}. Ridge
//! with λ = 1/(αq) has mask x/(x + 1): the same slope as the flow mask at
//! x → 0 (both ≈ αqs², so the components GD has barely begun to fit are shrunk
//! alike), and its half-point x = 1 sits at the PCA cut κ. Matching the
//! half-points instead (flow mask ½ at x = ln 2) gives λ = ln 2/(αq); both are
//! reported.
//!
//! **Crossover.** GD costs t(q) ≈ a + b·q between measured q (set-up, then a
//! cost per iteration — piecewise, because an automatic GPU strategy switches
//! from primal to dual for long runs); the closed form costs
//! T = t_A + t_SVD + t_mask. The closed form wins for q ≥ q* = (T − a)/b on the
//! segment where GD's time passes T (`extrapolated` when q* lies outside the
//! measured q). Timings on a software adapter (lavapipe) say nothing about a
//! GPU and are labelled so.

mod crossover;
pub mod report;

use std::time::Instant;

use faer::Mat;

pub use crossover::crossover;
pub use report::{ClosedForm, CompareReport, Crossover, EngineTimings, GdTiming, Quality};

use super::StudyConfig;
use super::validate::ReferenceRoute;
use crate::error::{Error, Result};
use crate::gd::{Engine, GdBatch, Problem, Progress, rel_error};
use crate::spectral::{
    Mask, StreamOptions, ThinSvd, TopkOptions, gd_exact_masks, shrink, shrink_samples,
    streamed_spectrum, tail_bounds, thin_svd, topk_of_design,
};

/// What the closed form is computed from: the thin SVD of the stored A, or
/// U and s of the streamed spectrum or of the K leading components (A never
/// stored; f only, which is all the comparison uses).
enum ClosedBasis {
    Dense(ThinSvd),
    Streamed { u: Mat<f64>, s: Vec<f64> },
}

impl ClosedBasis {
    fn s(&self) -> &[f64] {
        match self {
            ClosedBasis::Dense(svd) => &svd.s,
            ClosedBasis::Streamed { s, .. } => s,
        }
    }

    /// f = U diag(m) Uᵀy for every mask (the dense route forms w too, as
    /// the closed form's cost includes it).
    fn f(&self, y: &[f64], masks: &[Mask]) -> Result<Vec<Vec<f64>>> {
        match self {
            ClosedBasis::Dense(svd) => {
                Ok(shrink(svd, y, masks)?.into_iter().map(|s| s.f).collect())
            }
            ClosedBasis::Streamed { u, s } => shrink_samples(u.as_ref(), s, y, masks),
        }
    }
}

/// What to compare: the study and how often each measurement is timed.
#[derive(Clone, Debug)]
pub struct CompareConfig {
    /// Design, target, learning rate and the q list (each q ≥ 1).
    pub study: StudyConfig,
    /// Timed calls per measurement; the fastest counts.
    pub repeats: usize,
    /// How the closed form's spectrum is computed (dense SVD, streamed or top-K).
    pub reference: ReferenceRoute,
    /// Components of the top-K route.
    pub k: usize,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

fn residual_ratio(y: &[f64], f: &[f64]) -> f64 {
    rel_error(f, y)
}

impl CompareConfig {
    /// The study's rules, q ≥ 1 and at least one repeat.
    fn check(&self) -> Result<()> {
        // The study's own rules (α, length and finiteness of y, ordering of q) first.
        let s = &self.study;
        s.check()?;
        if s.qs[0] == 0 {
            return Err(Error::invalid(
                "q",
                0,
                "iteration counts >= 1 (compare times iterations)",
            ));
        }
        if self.repeats == 0 {
            return Err(Error::invalid("repeats", 0, "at least 1 timed call"));
        }
        Ok(())
    }
}

/// PCA and ridge at the hyper-parameters matched to GD at each q (see the
/// module docs), against gd_exact.
fn quality(
    cfg: &StudyConfig,
    basis: &ClosedBasis,
    alpha: f64,
    exact: &[Vec<f64>],
) -> Result<Vec<Quality>> {
    let mut masks = Vec::new();
    let mut kappas = Vec::new();
    for &q in &cfg.qs {
        let x = alpha * q as f64;
        let kappa = x.recip().sqrt();
        kappas.push(kappa);
        masks.push(Mask::Pca { kappa });
        masks.push(Mask::Ridge { lambda: 1.0 / x });
        masks.push(Mask::Ridge {
            lambda: std::f64::consts::LN_2 / x,
        });
    }
    let other = basis.f(&cfg.y, &masks)?;
    Ok(cfg
        .qs
        .iter()
        .zip(other.chunks(3))
        .zip(exact.iter().zip(&kappas))
        .map(|((&q, o), (ex, &kappa))| {
            let gd = ex;
            let (pca, ridge, ridge_half) = (&o[0], &o[1], &o[2]);
            Quality {
                q,
                kappa,
                pca_k: basis.s().iter().filter(|&&s| s >= kappa && s > 0.0).count(),
                pca_vs_gd: rel_error(pca, gd),
                lambda: 1.0 / (alpha * q as f64),
                ridge_vs_gd: rel_error(ridge, gd),
                ridge_half_vs_gd: rel_error(ridge_half, gd),
                fit_gd: residual_ratio(&cfg.y, gd),
                fit_pca: residual_ratio(&cfg.y, pca),
                fit_ridge: residual_ratio(&cfg.y, ridge),
            }
        })
        .collect())
}

/// GD on one engine at every q, timed (fastest of the repeats), with its
/// error against gd_exact.
fn time_engine(
    cfg: &CompareConfig,
    engine: &dyn Engine,
    (problem, alpha): (&Problem<'_>, f64),
    (closed, exact): (&ClosedForm, &[Vec<f64>]),
    progress: &dyn Progress,
) -> Result<EngineTimings> {
    let y = &cfg.study.y;
    // One untimed call first: driver and allocator warm-up.
    let warm = GdBatch::new(vec![y.clone()], vec![alpha], vec![1]);
    let t = engine.run(problem, &warm, progress)?;
    // An engine that is handed the f64 A (the CPU) is charged for building it.
    let charge = if engine.needs_host_matrix() {
        closed.matrix_seconds
    } else {
        0.0
    };
    let mut rows = Vec::with_capacity(cfg.study.qs.len());
    for (&q, ex) in cfg.study.qs.iter().zip(exact) {
        let batch = GdBatch::new(vec![y.clone()], vec![alpha], vec![q]);
        let mut best = f64::INFINITY;
        let mut err = f64::NAN;
        let mut name = String::new();
        let mut strategy = t.engine.strategy;
        for _ in 0..cfg.repeats {
            let (traj, secs) = timed(|| engine.run(problem, &batch, progress));
            let traj = traj?.into_result()?;
            best = best.min(secs + charge);
            err = traj.at(q).map_or(f64::NAN, |c| rel_error(&c.f[0], ex));
            name = traj.engine.name;
            strategy = traj.engine.strategy;
        }
        rows.push(GdTiming {
            q,
            engine: name,
            strategy,
            seconds: best,
            rel_err: err,
        });
    }
    Ok(EngineTimings {
        crossover: crossover(&rows, closed.total_seconds),
        engine: t.engine.name,
        device: t.engine.device,
        software: t.engine.software,
        rows,
    })
}

/// Runs the comparison (see the module docs) with every engine in `engines`;
/// `progress` hears every engine run.
pub fn compare(
    cfg: &CompareConfig,
    engines: &[&dyn Engine],
    progress: &dyn Progress,
) -> Result<CompareReport> {
    cfg.check()?;
    let s = &cfg.study;
    let d = &s.features;
    let route = cfg.reference.resolve(d, 0, cfg.k)?;
    // A user's matrix is already built: its "matrix" time is that of sharing it.
    // The streamed and top-K routes never build A: their spectrum's time
    // includes every η.
    let design = d.design();
    // Top-K: (bound on the left-out singular values, ‖(I − U_K U_Kᵀ)y‖).
    let mut tail = None;
    let (a, basis, matrix_seconds, svd_seconds) =
        if let (ReferenceRoute::TopK, Some(design)) = (route, design) {
            let (spec, secs) = timed(|| topk_of_design(design, &TopkOptions::new(cfg.k)));
            let spec = spec?;
            let (s_tail, y_perp) = spec.tail(&s.y);
            tail = Some((s_tail, y_perp, crate::spectral::norm(&s.y)));
            let basis = ClosedBasis::Streamed {
                u: spec.u,
                s: spec.s,
            };
            (None, basis, 0.0, secs)
        } else if let (ReferenceRoute::Streamed, Some(design)) = (route, design) {
            let (spec, secs) = timed(|| streamed_spectrum(design, &StreamOptions::default()));
            let spec = spec?;
            let u = spec.u.ok_or_else(|| {
                Error::invalid(
                    "reference",
                    "streamed for a tall design",
                    "a design with N <= M",
                )
            })?;
            (None, ClosedBasis::Streamed { u, s: spec.s }, 0.0, secs)
        } else {
            let (a, matrix_seconds) = timed(|| d.a());
            let (svd, svd_seconds) = timed(|| thin_svd(Mat::as_ref(&a)));
            (
                Some(a),
                ClosedBasis::Dense(svd?),
                matrix_seconds,
                svd_seconds,
            )
        };
    let s_max = super::config::checked_s_max(basis.s().first().copied().unwrap_or(0.0), d)?;
    let alpha = s.alpha.value(s_max, d.n());
    if !(alpha.is_finite() && alpha > 0.0) || alpha * s_max * s_max >= 2.0 {
        return Err(Error::UnstableLearningRate {
            run: 0,
            alpha,
            limit: 2.0 / (s_max * s_max),
            s_max,
        });
    }
    let q_last = *s.qs.last().unwrap_or(&1);
    let (one, mask_seconds) = timed(|| basis.f(&s.y, &gd_exact_masks(alpha, &[q_last])));
    one?;
    let (exact, all_masks_seconds) = timed(|| basis.f(&s.y, &gd_exact_masks(alpha, &s.qs)));
    let exact = exact?;
    let truncation = tail.map_or(0.0, |(s_tail, y_tail, y_norm)| {
        let (mu_f, _) = tail_bounds(alpha, q_last, s_tail);
        if y_norm > 0.0 {
            mu_f * y_tail / y_norm
        } else {
            0.0
        }
    });
    let closed = ClosedForm {
        route: route.name(),
        components: basis.s().len(),
        truncation,
        matrix_seconds,
        svd_seconds,
        mask_seconds,
        all_masks_seconds,
        total_seconds: matrix_seconds + svd_seconds + mask_seconds,
    };
    let quality = quality(s, &basis, alpha, &exact)?;
    let problem = match (&a, d.design()) {
        (Some(a), _) => d.problem(a),
        (None, Some(design)) => Problem::from_design(design),
        (None, None) => unreachable!("a user's matrix is always stored"),
    }
    .with_s_max(s_max);
    let engines = engines
        .iter()
        .map(|e| time_engine(cfg, *e, (&problem, alpha), (&closed, &exact), progress))
        .collect::<Result<Vec<_>>>()?;
    Ok(CompareReport {
        design: d.label(),
        n: d.n(),
        m: d.m(),
        signal: s.signal.clone(),
        alpha,
        s_max,
        closed,
        engines,
        quality,
    })
}
