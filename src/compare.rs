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

use std::time::Instant;

use serde::Serialize;

use crate::design::Design;
use crate::error::{Error, Result};
use crate::mask::{Mask, gd_exact_masks, shrink};
use crate::spectrum::thin_svd;
use crate::trajectory::{GdBatch, rel_error};
use crate::validate::{GdEngine, LearningRate, Problem, design_s_max};

/// What to compare.
#[derive(Clone, Debug)]
pub struct CompareConfig {
    /// The network.
    pub design: Design,
    /// Target at the samples.
    pub y: Vec<f64>,
    /// Name of the target.
    pub signal: String,
    /// Learning rate.
    pub alpha: LearningRate,
    /// Iteration counts, strictly increasing, each ≥ 1.
    pub qs: Vec<u64>,
    /// Timed calls per measurement; the fastest counts.
    pub repeats: usize,
}

/// One GD measurement.
#[derive(Clone, Debug, Serialize)]
pub struct GdTiming {
    /// Iterations.
    pub q: u64,
    /// The engine as the run named itself (an automatic GPU strategy may differ per q).
    pub engine: String,
    /// Time to result, seconds (fastest of the repeats).
    pub seconds: f64,
    /// ‖f_q − gd_exact‖/‖gd_exact‖ at the samples.
    pub rel_err: f64,
}

/// The closed form wins from here on.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Crossover {
    /// Set-up time a of the segment t = a + b·q that crosses, seconds.
    pub setup_seconds: f64,
    /// Time per iteration b on that segment, seconds.
    pub seconds_per_iteration: f64,
    /// q* = (T − a)/b; 0 when the closed form is faster than GD's set-up alone;
    /// None when GD time does not grow with q.
    pub q_star: Option<f64>,
    /// The first measured q at which GD took longer than the closed form.
    pub first_measured_win: Option<u64>,
    /// q* lies beyond the largest measured q.
    pub extrapolated: bool,
}

/// GD on one engine at every q.
#[derive(Clone, Debug, Serialize)]
pub struct EngineTimings {
    /// Engine label (as in its trajectories).
    pub engine: String,
    /// Where it ran.
    pub device: String,
    /// Software adapter: the timings say nothing about a GPU.
    pub software: bool,
    /// One row per q.
    pub rows: Vec<GdTiming>,
    /// Where the closed form overtakes it.
    pub crossover: Crossover,
}

/// The closed form's costs, seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ClosedForm {
    /// Building A (N×M, f64).
    pub matrix_seconds: f64,
    /// Thin SVD.
    pub svd_seconds: f64,
    /// One gd_exact mask applied (f and w for one q).
    pub mask_seconds: f64,
    /// Every q of the list at once.
    pub all_masks_seconds: f64,
    /// Time to the first result: matrix + SVD + one mask.
    pub total_seconds: f64,
}

/// PCA and ridge at the matched hyper-parameters, against gd_exact, at one q.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Quality {
    /// Iterations.
    pub q: u64,
    /// κ = (αq)^{−1/2}.
    pub kappa: f64,
    /// K = #{s_k ≥ κ}.
    pub pca_k: usize,
    /// ‖f_pca − f_gd‖/‖f_gd‖.
    pub pca_vs_gd: f64,
    /// λ = 1/(αq).
    pub lambda: f64,
    /// ‖f_ridge − f_gd‖/‖f_gd‖ at λ = 1/(αq).
    pub ridge_vs_gd: f64,
    /// The same at λ = ln 2/(αq) (half-points matched).
    pub ridge_half_vs_gd: f64,
    /// ‖y − f‖/‖y‖ of gd_exact.
    pub fit_gd: f64,
    /// ‖y − f‖/‖y‖ of PCA.
    pub fit_pca: f64,
    /// ‖y − f‖/‖y‖ of ridge (λ = 1/(αq)).
    pub fit_ridge: f64,
}

/// The result of [`compare`].
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// `activation sigma=… N=… M=…`.
    pub design: String,
    /// N.
    pub n: usize,
    /// M.
    pub m: usize,
    /// Target name.
    pub signal: String,
    /// α.
    pub alpha: f64,
    /// s_max.
    pub s_max: f64,
    /// The closed form.
    pub closed: ClosedForm,
    /// GD per engine.
    pub engines: Vec<EngineTimings>,
    /// PCA and ridge per q.
    pub quality: Vec<Quality>,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

fn residual_ratio(y: &[f64], f: &[f64]) -> f64 {
    rel_error(f, y)
}

/// The crossover of GD timings `rows` (ascending q) with a closed form costing
/// `total` seconds: GD time is interpolated linearly in q between measured
/// points (an automatic strategy may change its per-iteration cost with q, so
/// no single line fits all of them), and extrapolated with the slope of the
/// nearest segment outside them.
pub fn crossover(rows: &[GdTiming], total: f64) -> Crossover {
    let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.q as f64, r.seconds)).collect();
    let slope = |i: usize| {
        let ((q0, t0), (q1, t1)) = (pts[i], pts[i + 1]);
        (t1 - t0) / (q1 - q0)
    };
    let line = |i: usize| {
        let b = slope(i);
        (pts[i].1 - b * pts[i].0, b)
    };
    let q_max = pts.last().map_or(0.0, |p| p.0);
    let (setup, per_iter, q_star) = match pts.len() {
        0 => (0.0, 0.0, None),
        1 => (pts[0].1, 0.0, (total <= pts[0].1).then_some(0.0)),
        l => {
            // The first segment whose end GD needs longer than the closed form.
            let seg = (0..l - 1).find(|&i| pts[i + 1].1 > total).unwrap_or(l - 2);
            let (a, b) = line(seg);
            let q = if total <= a {
                Some(0.0)
            } else if b > 0.0 {
                Some((total - a) / b)
            } else {
                None
            };
            (a, b, q)
        }
    };
    Crossover {
        setup_seconds: setup,
        seconds_per_iteration: per_iter,
        q_star,
        first_measured_win: rows.iter().find(|r| r.seconds > total).map(|r| r.q),
        extrapolated: q_star.is_none_or(|q| q > q_max || (q < pts[0].0 && q > 0.0)),
    }
}

/// Runs the comparison (see the module docs) with every engine in `engines`.
pub fn compare(cfg: &CompareConfig, engines: &[&dyn GdEngine]) -> Result<CompareReport> {
    let d = &cfg.design;
    // The batch's own rules (length and finiteness of y, ordering of q) first.
    GdBatch::new(vec![cfg.y.clone()], vec![1.0], cfg.qs.clone()).validate(d.n(), d.m(), None)?;
    if cfg.qs[0] == 0 {
        return Err(Error::invalid(
            "q",
            0,
            "iteration counts >= 1 (compare times iterations)",
        ));
    }
    if cfg.repeats == 0 {
        return Err(Error::invalid("repeats", 0, "at least 1 timed call"));
    }

    let (a, matrix_seconds) = timed(|| d.matrix());
    let (svd, svd_seconds) = timed(|| thin_svd(a.as_ref()));
    let svd = svd?;
    let s_max = design_s_max(&svd, d)?;
    let alpha = cfg.alpha.resolve(s_max);
    if !(alpha.is_finite() && alpha > 0.0) || alpha * s_max * s_max >= 2.0 {
        return Err(Error::UnstableLearningRate {
            run: 0,
            alpha,
            limit: 2.0 / (s_max * s_max),
            s_max,
        });
    }
    let q_last = *cfg.qs.last().unwrap_or(&1);
    let (one, mask_seconds) = timed(|| shrink(&svd, &cfg.y, &gd_exact_masks(alpha, &[q_last])));
    one?;
    let (exact, all_masks_seconds) =
        timed(|| shrink(&svd, &cfg.y, &gd_exact_masks(alpha, &cfg.qs)));
    let exact = exact?;
    let closed = ClosedForm {
        matrix_seconds,
        svd_seconds,
        mask_seconds,
        all_masks_seconds,
        total_seconds: matrix_seconds + svd_seconds + mask_seconds,
    };

    // PCA and ridge at the matched hyper-parameters.
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
    let other = shrink(&svd, &cfg.y, &masks)?;
    let quality = cfg
        .qs
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let gd = &exact.f[i];
            Quality {
                q,
                kappa: kappas[i],
                pca_k: svd.s.iter().filter(|&&s| s >= kappas[i] && s > 0.0).count(),
                pca_vs_gd: rel_error(&other.f[3 * i], gd),
                lambda: 1.0 / (alpha * q as f64),
                ridge_vs_gd: rel_error(&other.f[3 * i + 1], gd),
                ridge_half_vs_gd: rel_error(&other.f[3 * i + 2], gd),
                fit_gd: residual_ratio(&cfg.y, gd),
                fit_pca: residual_ratio(&cfg.y, &other.f[3 * i]),
                fit_ridge: residual_ratio(&cfg.y, &other.f[3 * i + 1]),
            }
        })
        .collect();

    let problem = Problem {
        design: d,
        a: a.as_ref(),
        a_eval: None,
        s_max,
    };
    let mut out = Vec::with_capacity(engines.len());
    for engine in engines {
        // One untimed call first: driver and allocator warm-up.
        let warm = GdBatch::new(vec![cfg.y.clone()], vec![alpha], vec![1]);
        let t = engine.run(&problem, &warm)?;
        let label = t.engine.clone();
        // An engine that is handed the f64 A (the CPU) is charged for building it.
        let charge = if engine.needs_host_matrix() {
            matrix_seconds
        } else {
            0.0
        };
        let mut rows = Vec::with_capacity(cfg.qs.len());
        for (i, &q) in cfg.qs.iter().enumerate() {
            let batch = GdBatch::new(vec![cfg.y.clone()], vec![alpha], vec![q]);
            let mut best = f64::INFINITY;
            let mut err = f64::NAN;
            let mut name = String::new();
            for _ in 0..cfg.repeats {
                let (traj, secs) = timed(|| engine.run(&problem, &batch));
                let traj = traj?.into_result()?;
                best = best.min(secs + charge);
                err = traj
                    .at(q)
                    .map_or(f64::NAN, |c| rel_error(&c.f[0], &exact.f[i]));
                name = traj.engine;
            }
            rows.push(GdTiming {
                q,
                engine: name,
                seconds: best,
                rel_err: err,
            });
        }
        let crossover = crossover(&rows, closed.total_seconds);
        out.push(EngineTimings {
            engine: label,
            device: engine.device(),
            software: engine.software(),
            rows,
            crossover,
        });
    }
    Ok(CompareReport {
        design: d.label(),
        n: d.n(),
        m: d.m(),
        signal: cfg.signal.clone(),
        alpha,
        s_max,
        closed,
        engines: out,
        quality,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(f: impl Fn(f64) -> f64) -> Vec<GdTiming> {
        [10u64, 100, 1000, 10_000]
            .iter()
            .map(|&q| GdTiming {
                q,
                engine: "test".into(),
                seconds: f(q as f64),
                rel_err: 0.0,
            })
            .collect()
    }

    #[test]
    fn crossover_of_a_line() {
        // t = 0.5 + 0.01 q; closed form 2.5 s → q* = 200.
        let r = rows(|q| 0.5 + 0.01 * q);
        let c = crossover(&r, 2.5);
        assert!((c.q_star.unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(c.first_measured_win, Some(1000));
        assert!(!c.extrapolated);
        let c = crossover(&r, 0.1);
        assert_eq!(c.q_star, Some(0.0));
        let c = crossover(&r, 1000.0);
        assert!(c.extrapolated && c.first_measured_win.is_none());
        assert!((c.q_star.unwrap() - 99_950.0).abs() < 1e-6);
    }

    #[test]
    fn crossover_follows_a_change_of_slope() {
        // 0.03 s/iteration up to q = 1000, then 0.01 s/iteration (a strategy switch).
        let r = rows(|q| {
            if q <= 1000.0 {
                0.03 * q
            } else {
                30.0 + 0.01 * (q - 1000.0)
            }
        });
        let c = crossover(&r, 2.7);
        assert!((c.q_star.unwrap() - 90.0).abs() < 1e-9, "{:?}", c.q_star);
        assert_eq!(c.first_measured_win, Some(100));
        let c = crossover(&r, 60.0);
        assert!((c.q_star.unwrap() - 4000.0).abs() < 1e-9, "{:?}", c.q_star);
    }
}
