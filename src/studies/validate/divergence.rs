//! A learning rate at or beyond 2/s_max²: the run measures the growth of
//! ‖y − A w‖ per iteration instead of being compared, next to the predicted
//! |1 − α s_max²|, and the report fails.

use super::report::{Check, DivergenceReport, Failure, ValidateReport};
use super::{DIVERGENCE_CHECKPOINTS, Setup, ValidateConfig};
use crate::error::Result;
use crate::gd::{Engine, GdBatch, Progress, RunStatus};
use crate::spectral::norm;

/// α ≥ 2/s_max²: measure the growth instead of comparing.
pub(super) fn diverge(
    cfg: &ValidateConfig,
    setup: &Setup<'_>,
    engine: &dyn Engine,
    progress: &dyn Progress,
    mut report: ValidateReport,
) -> Result<ValidateReport> {
    let (s_max, alpha) = (setup.s_max, setup.alpha);
    let x = report.alpha_s_max2;
    let mut batch = GdBatch::new(
        vec![cfg.study.y.clone()],
        vec![alpha],
        DIVERGENCE_CHECKPOINTS.to_vec(),
    );
    batch.allow_unstable = true;
    let traj = engine.run(&setup.problem(), &batch, progress)?;
    report.engine.clone_from(&traj.engine.name);
    let predicted = (1.0 - x).abs();
    let status = traj.status.first().cloned().unwrap_or(RunStatus::Ok);
    let (measured, from, source) = if let RunStatus::Diverged { iteration, growth } = status {
        (
            Some(growth),
            Some(iteration),
            "the engine's residual watch".to_string(),
        )
    } else {
        let y_norm = norm(&cfg.study.y);
        let pts: Vec<(u64, f64)> = traj
            .checkpoints
            .iter()
            .filter_map(|c| {
                let r = if c.q == 0 {
                    y_norm
                } else {
                    (2.0 * c.loss.first().copied()?).sqrt()
                };
                (r.is_finite() && r > 0.0).then_some((c.q, r))
            })
            .collect();
        match pts.len() {
            0 | 1 => (None, None, "no two finite checkpoints".to_string()),
            l => {
                let ((q1, r1), (q2, r2)) = (pts[l - 2], pts[l - 1]);
                (
                    Some((r2 / r1).powf(1.0 / (q2 - q1) as f64)),
                    Some(q1),
                    format!("||y - A w|| at checkpoints {q1} and {q2}"),
                )
            }
        }
    };
    let limit = 2.0 / (s_max * s_max);
    let measured_txt = match measured {
        Some(g) => format!(
            "measured growth of ||y - A w|| per iteration {g:.6} (from {source}, from iteration {})",
            from.unwrap_or(0)
        ),
        None => format!("growth not measurable ({source})"),
    };
    report.failures.push(Failure {
        q: from,
        engine: report.engine.clone(),
        check: Check::Run,
        k: Some(0),
        got: measured.unwrap_or(f64::NAN),
        tol: 1.0,
        message: format!(
            "alpha = {alpha:.6e} is beyond the stability limit 2/s_max^2 = {limit:.6e} (alpha*s_max^2 = {x:.4}): \
             gradient descent diverges along u_0; {measured_txt}; predicted |1 - alpha*s_max^2| = {predicted:.6}"
        ),
    });
    report.divergence = Some(DivergenceReport {
        alpha,
        limit,
        alpha_s_max2: x,
        predicted_growth: predicted,
        measured_growth: measured,
        from_iteration: from,
        source,
        status,
    });
    report.passed = false;
    Ok(report)
}
