//! The checks of one checkpoint and the failures they report: errors in each
//! space against their tolerances, where a difference concentrates, and runs
//! that ended early.

use faer::Mat;

use super::reference::{Reference, matvec_t};
use super::report::{
    Check, CheckpointReport, DirectionRow, Failure, FlowGap, Measured, SpaceErrors, ValidateReport,
};
use crate::gd::{Checkpoint, EngineInfo, RunStatus, Trajectory, rel_error};
use crate::precision::{RESOLVE, SpaceTolerances};
use crate::spectral::norm;

/// An engine's state at one checkpoint (run 0).
struct Got<'a> {
    f: &'a [f64],
    f_eval: &'a [f64],
    w: &'a [f64],
}

impl<'a> Got<'a> {
    fn from_checkpoint(cp: &'a Checkpoint) -> Self {
        let first = |v: Option<&'a Vec<Vec<f64>>>| -> &'a [f64] {
            v.and_then(|b| b.first()).map_or(&[], |x| x.as_slice())
        };
        Got {
            f: first(Some(&cp.f)),
            f_eval: first(cp.f_eval.as_ref()),
            w: first(cp.w.as_ref()),
        }
    }
}

fn measure(got: &Got<'_>, refs: &Reference, qi: usize, tol: SpaceTolerances) -> SpaceErrors {
    SpaceErrors {
        f: Measured::new(rel_error(got.f, &refs.f[qi]), tol.f),
        // No evaluation grid (a user's matrix): nothing to measure there.
        f_eval: (!refs.f_eval[qi].is_empty())
            .then(|| Measured::new(rel_error(got.f_eval, &refs.f_eval[qi]), tol.f_eval)),
        w: Measured::new(rel_error(got.w, &refs.w[qi]), tol.w),
    }
}

/// The failure of a run that ended early (NaN/∞ or divergence), if any.
pub(crate) fn status_failure(label: &str, t: &Trajectory) -> Option<Failure> {
    let st = t.status.first()?;
    let (iteration, what) = match st {
        RunStatus::Ok => return None,
        RunStatus::NonFinite { iteration } => (
            *iteration,
            "a NaN or inf appeared in the iterate".to_string(),
        ),
        RunStatus::Diverged { iteration, growth } => (
            *iteration,
            format!("the residual grew by {growth:.6} per iteration, which stable GD never does"),
        ),
    };
    Some(Failure {
        q: Some(iteration),
        engine: label.to_string(),
        check: Check::Run,
        k: None,
        got: f64::NAN,
        tol: f64::NAN,
        message: format!("{label}: at iteration {iteration} {what}"),
    })
}

/// Where a difference vector concentrates: the largest component along the
/// given orthonormal columns, and the norm outside their span.
fn concentrate(basis: &Mat<f64>, diff: &[f64]) -> (usize, f64, f64) {
    let p = matvec_t(basis, diff);
    let (k, pk) = p.iter().enumerate().fold((0, 0.0f64), |acc, (k, &v)| {
        if v.abs() > acc.1 { (k, v.abs()) } else { acc }
    });
    let inside: f64 = p.iter().map(|v| v * v).sum();
    let outside = (norm(diff).powi(2) - inside).max(0.0).sqrt();
    (k, pk, outside)
}

/// What one engine returned at one checkpoint, measured.
struct Observed<'a> {
    /// The engine's label in messages.
    engine: &'a str,
    /// Checkpoint and its index.
    q: u64,
    qi: usize,
    got: Got<'a>,
    errs: SpaceErrors,
    /// Uᵀf of the engine.
    proj: Vec<f64>,
}

impl<'a> Observed<'a> {
    fn new(
        engine: &'a str,
        (q, qi): (u64, usize),
        cp: &'a Checkpoint,
        refs: &Reference,
        tol: SpaceTolerances,
    ) -> Self {
        let got = Got::from_checkpoint(cp);
        Observed {
            engine,
            q,
            qi,
            errs: measure(&got, refs, qi, tol),
            proj: matvec_t(&refs.basis.u, got.f),
            got,
        }
    }
}

fn failures_of(out: &mut Vec<Failure>, obs: &Observed<'_>, refs: &Reference) {
    let Observed {
        engine,
        q,
        qi,
        ref got,
        ref errs,
        ref proj,
    } = *obs;
    let s0 = refs.basis.s[0];
    let head = |check: Check, m: &Measured| {
        format!(
            "q = {q}: {engine}: {}: relative error {:.3e} exceeds the tolerance {:.3e} by {:.1}x \
             (largest model term: {})",
            check.describe(),
            m.err,
            m.tol.rel,
            m.err / m.tol.rel,
            m.tol.dominant()
        )
    };
    if !errs.f.ok {
        let msg = if got.f.len() == refs.f[qi].len() {
            let diff: Vec<f64> = got.f.iter().zip(&refs.f[qi]).map(|(a, b)| a - b).collect();
            let (k, pk, outside) = concentrate(&refs.basis.u, &diff);
            let ck = refs.c[k];
            format!(
                "{}; it is largest along u_{k} (s_k/s_0 = {:.3e}, u_k^T y = {:.3e}, |u_k^T (f - f_q)| = {pk:.3e}): \
                 m_hat = {:.6} vs m = {:.6}{}",
                head(Check::FunctionSamples, &errs.f),
                refs.basis.s[k] / s0,
                ck,
                proj[k] / ck,
                refs.m_exact[qi][k],
                if outside > 0.0 {
                    format!("; outside the range of A: {outside:.3e}")
                } else {
                    String::new()
                }
            )
        } else {
            format!(
                "{}; the engine returned {} values for N = {}",
                head(Check::FunctionSamples, &errs.f),
                got.f.len(),
                refs.f[qi].len()
            )
        };
        out.push(Failure {
            q: Some(q),
            engine: engine.into(),
            check: Check::FunctionSamples,
            k: None,
            got: errs.f.err,
            tol: errs.f.tol.rel,
            message: msg,
        });
    }
    for (check, m) in [
        (Check::FunctionEval, errs.f_eval.as_ref()),
        (Check::Weights, Some(&errs.w)),
    ] {
        let Some(m) = m.filter(|m| !m.ok) else {
            continue;
        };
        let mut k_out = None;
        let detail = if got.w.len() != refs.w[qi].len() {
            format!(
                "; the engine returned no usable weights ({} values)",
                got.w.len()
            )
        } else if let Some(v) = &refs.basis.v {
            let diff: Vec<f64> = got.w.iter().zip(&refs.w[qi]).map(|(a, b)| a - b).collect();
            let (k, pk, outside) = concentrate(v, &diff);
            k_out = Some(k);
            format!(
                "; the weight error is largest along v_{k} (s_k/s_0 = {:.3e}, |v_k^T (w - w_q)| = {pk:.3e}); \
                 the null space of A carries {outside:.3e} of it",
                refs.basis.s[k] / s0
            )
        } else {
            "; the reference was streamed (V is not stored), so the direction is not named"
                .to_string()
        };
        out.push(Failure {
            q: Some(q),
            engine: engine.into(),
            check,
            k: k_out,
            got: m.err,
            tol: m.tol.rel,
            message: format!("{}{detail}", head(check, m)),
        });
    }
}

/// The empirical mask m̂_k = u_kᵀf / u_kᵀy in every direction at one checkpoint.
struct MaskCheck {
    resolved: usize,
    max_dev: f64,
    /// (k, |m̂_k − m_k|, allowed) of the worst unresolved-by-tolerance direction.
    worst: Option<(usize, f64, f64)>,
    n_bad: usize,
}

fn empirical_mask(
    report: &mut ValidateReport,
    refs: &Reference,
    obs: &Observed<'_>,
    cpu: Option<&Observed<'_>>,
    e_abs: f64,
) -> MaskCheck {
    let (q, qi) = (obs.q, obs.qi);
    let mut mc = MaskCheck {
        resolved: 0,
        max_dev: 0.0,
        worst: None,
        n_bad: 0,
    };
    for k in 0..refs.c.len() {
        let ck = refs.c[k];
        let m_hat = obs.proj[k] / ck;
        let me = refs.m_exact[qi][k];
        let is_res = ck.abs() >= RESOLVE * e_abs && ck != 0.0;
        let tol_k = if ck == 0.0 {
            f64::INFINITY
        } else {
            e_abs / ck.abs()
        };
        if is_res {
            mc.resolved += 1;
            let dev = (m_hat - me).abs();
            mc.max_dev = mc
                .max_dev
                .max(if dev.is_nan() { f64::INFINITY } else { dev });
            if dev.is_nan() || dev > tol_k {
                mc.n_bad += 1;
                let ratio = dev / tol_k;
                if mc
                    .worst
                    .is_none_or(|(_, d, t)| ratio > d / t || ratio.is_nan())
                {
                    mc.worst = Some((k, dev, tol_k));
                }
            }
        }
        report.directions.push(DirectionRow {
            q,
            k,
            s: refs.basis.s[k],
            uty: ck,
            m_exact: me,
            m_flow: refs.m_flow[qi][k],
            m_hat,
            m_hat_cpu: cpu.map_or(f64::NAN, |c| c.proj[k] / ck),
            resolved: is_res,
            tol: tol_k,
        });
    }
    mc
}

fn mask_failure(obs: &Observed<'_>, refs: &Reference, mc: &MaskCheck) -> Option<Failure> {
    let (k, dev, tol_k) = mc.worst?;
    let (q, qi) = (obs.q, obs.qi);
    let s0 = refs.basis.s[0];
    Some(Failure {
        q: Some(q),
        engine: obs.engine.to_string(),
        check: Check::Mask,
        k: Some(k),
        got: dev,
        tol: tol_k,
        message: format!(
            "q = {q}: empirical mask off in {} of {} resolved directions; worst k = {k} \
             (s_k/s_0 = {:.3e}, u_k^T y = {:.3e}): m_hat = {:.6} vs m = {:.6}, |diff| = {dev:.3e} \
             exceeds the allowed {tol_k:.3e} by {:.1}x",
            mc.n_bad,
            mc.resolved,
            refs.basis.s[k] / s0,
            refs.c[k],
            obs.proj[k] / refs.c[k],
            refs.m_exact[qi][k],
            dev / tol_k
        ),
    })
}

/// Every check at checkpoint `q` (index `qi`): the engine's errors in each
/// space, the empirical mask, the f64 sanity line's errors, and the row of
/// the report.
pub(crate) fn checkpoint(
    report: &mut ValidateReport,
    refs: &Reference,
    (qi, q): (usize, u64),
    traj: &Trajectory,
    cpu_traj: Option<&Trajectory>,
) {
    let tol = report.model.tolerances(&refs.norms[qi]);
    let Some(cp) = traj.at(q) else {
        report.failures.push(Failure {
            q: Some(q),
            engine: report.engine.clone(),
            check: Check::Run,
            k: None,
            got: f64::NAN,
            tol: f64::NAN,
            message: format!(
                "q = {q}: the engine '{}' returned no checkpoint at q = {q}",
                report.engine
            ),
        });
        return;
    };
    let engine = report.engine.clone();
    let obs = Observed::new(&engine, (q, qi), cp, refs, tol);
    let cpu_label = EngineInfo::cpu_f64().label;
    let cpu = cpu_traj.and_then(|t| t.at(q)).map(|cp| {
        let ctol = report
            .cpu_model
            .as_ref()
            .map_or(tol, |cm| cm.tolerances(&refs.norms[qi]));
        Observed::new(&cpu_label, (q, qi), cp, refs, ctol)
    });
    let mc = empirical_mask(report, refs, &obs, cpu.as_ref(), tol.f.abs);
    failures_of(&mut report.failures, &obs, refs);
    report.failures.extend(mask_failure(&obs, refs, &mc));
    if let Some(c) = &cpu {
        failures_of(&mut report.failures, c, refs);
    }
    report.checkpoints.push(CheckpointReport {
        q,
        engine: obs.errs,
        cpu: cpu.as_ref().map(|c| c.errs),
        flow_gap: FlowGap {
            f: rel_error(&refs.f_flow[qi], &refs.f[qi]),
            f_eval: (!refs.f_eval[qi].is_empty())
                .then(|| rel_error(&refs.f_eval_flow[qi], &refs.f_eval[qi])),
            w: rel_error(&refs.w_flow[qi], &refs.w[qi]),
        },
        loss: cp.loss.first().copied().unwrap_or(f64::NAN),
        loss_exact: refs.loss[qi],
        resolved: mc.resolved,
        mask_max_dev: mc.max_dev,
    });
}
