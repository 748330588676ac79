//! The f64 reference engine on the CPU (faer matrix products).
//!
//! $$W_{q+1} = W_q + A^\top (Y - A W_q)\,\operatorname{diag}(\alpha)$$
//!
//! for B runs at once (columns of W and Y), literally iterated: this is the
//! ground truth that the closed-form masks ([`crate::spectral::shrink()`]) and
//! the f32 GPU engine are checked against. Cost per iteration: 4·N·M·B flops.
//!
//! Stability: α_b ≥ 2/s_max² is refused before anything runs (unless
//! [`GdBatch::allow_unstable`]); during the run the residual norm is watched
//! ([`super::ResidualWatch`]) and a NaN/∞ or a growing residual is recorded
//! per run in [`Trajectory::status`], naming the iteration.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use super::watch::{CHECK_EVERY, ResidualWatch};
use super::{
    Checkpoint, Engine, EngineInfo, GdBatch, Problem, Progress, RunStatus, Trajectory,
    half_sq_residual,
};
use crate::error::{Error, Result};

/// The f64 reference engine: iterates with A in f64 (the matrix the reference
/// SVD factors), built from the design unless the problem carries it.
///
/// ```
/// use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem};
/// use gdshrink::{Activation, Design};
/// let d = Design::spec(Activation::Relu).sigma(1.0).n(32).m(64).build()?;
/// let y: Vec<f64> = d.x().iter().map(|x| (6.0 * x).sin()).collect();
/// let batch = GdBatch::new(vec![y], vec![1e-3], vec![0, 10, 100]);
/// let t = CpuEngine.run(&Problem::from_design(&d), &batch, &NoProgress)?;
/// assert!(t.at(100).unwrap().loss[0] < t.at(10).unwrap().loss[0]);
/// # Ok::<(), gdshrink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuEngine;

impl Engine for CpuEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo::cpu_f64()
    }

    fn run(
        &self,
        problem: &Problem<'_>,
        batch: &GdBatch,
        progress: &dyn Progress,
    ) -> Result<Trajectory> {
        problem.check(batch)?;
        // The batch's rules before any work (A is built below when not given).
        let (n, m) = problem.shape();
        batch.validate(n, m, problem.s_max())?;
        let built;
        let a = match (problem.matrix(), problem.design()) {
            (Some(a), _) => a,
            (None, Some(d)) => {
                built = d.matrix();
                built.as_ref()
            }
            (None, None) => {
                return Err(Error::invalid(
                    "problem",
                    "neither a design nor a matrix",
                    "a design or a matrix A",
                ));
            }
        };
        let built_eval;
        let a_eval = match (problem.eval_matrix(), problem.design(), &batch.eval_points) {
            (Some(ae), _, _) => Some(ae),
            (None, Some(d), Some(p)) => {
                built_eval = d.matrix_at(p);
                Some(built_eval.as_ref())
            }
            _ => None,
        };
        progress.begin(&EngineInfo::cpu_f64().label, batch.q_max());
        let t = iterate(a, batch, a_eval, progress);
        progress.finish();
        t
    }
}

/// Iterates the batch, validated by the caller, on `a` (N×M); `a_eval` (rows = evaluation points)
/// is needed when `batch.eval_points` is set. `progress` hears the iteration
/// count every [`CHECK_EVERY`] iterations.
fn iterate(
    a: MatRef<'_, f64>,
    batch: &GdBatch,
    a_eval: Option<MatRef<'_, f64>>,
    progress: &dyn Progress,
) -> Result<Trajectory> {
    let (n, m) = (a.nrows(), a.ncols());
    if batch.eval_points.is_some() && a_eval.is_none() {
        return Err(Error::invalid(
            "evaluation grid",
            "points without their matrix",
            "the evaluation matrix a_eval must be passed with eval_points",
        ));
    }
    let nb = batch.runs();
    let y = Mat::<f64>::from_fn(n, nb, |i, b| batch.y[b][i]);
    let mut w = match &batch.w0 {
        Some(w0) => Mat::<f64>::from_fn(m, nb, |j, b| w0[b][j]),
        None => Mat::<f64>::zeros(m, nb),
    };
    let mut r = Mat::<f64>::zeros(n, nb);
    let mut g = Mat::<f64>::zeros(m, nb);
    let par = Par::rayon(0);

    let mut status = vec![RunStatus::Ok; nb];
    let mut watch = vec![ResidualWatch::default(); nb];
    let mut checkpoints = Vec::with_capacity(batch.checkpoints.len());
    let mut next_cp = 0usize;
    let q_max = batch.q_max();

    for q in 0..=q_max {
        // R = Y − A W
        r.copy_from(&y);
        matmul(r.as_mut(), Accum::Add, a, w.as_ref(), -1.0, par);

        let last = q == q_max;
        if q % CHECK_EVERY == 0 {
            progress.set(q);
            if progress.cancelled() {
                return Err(Error::Interrupted { iteration: q });
            }
        }
        if q % CHECK_EVERY == 0 || last || batch.checkpoints[next_cp] == q {
            for (b, (st, wa)) in status.iter_mut().zip(&mut watch).enumerate() {
                if st.is_ok() {
                    *st = wa.observe(q, r.col(b).norm_l2(), last);
                }
            }
        }
        if batch.checkpoints[next_cp] == q {
            let state = State { a, w: &w };
            checkpoints.push(state.record(q, batch, a_eval, &status));
            next_cp += 1;
            if next_cp == batch.checkpoints.len() {
                break;
            }
        }

        // W += Aᵀ R diag(α); failed runs are frozen.
        matmul(
            g.as_mut(),
            Accum::Replace,
            a.transpose(),
            r.as_ref(),
            1.0,
            par,
        );
        for (b, (st, &alpha)) in status.iter().zip(&batch.alpha).enumerate() {
            if st.is_ok() {
                w.col_mut(b)
                    .iter_mut()
                    .zip(g.col(b).iter())
                    .for_each(|(wj, gj)| *wj += alpha * gj);
            }
        }
    }

    Ok(Trajectory {
        engine: EngineInfo::cpu_f64(),
        checkpoints,
        status,
    })
}

/// The iteration's matrices at one q: A and the weights W (one column per run).
struct State<'a> {
    a: MatRef<'a, f64>,
    w: &'a Mat<f64>,
}

impl State<'_> {
    /// The checkpoint at q: f = A W, the loss ½‖y − f‖², and (when asked) w and f
    /// on the evaluation grid; runs that failed are NaN.
    ///
    /// f is formed as A W, not as Y − R: the subtraction Y − R cancels when
    /// ‖f‖ ≪ ‖y‖ (early iterations, α s² q ≪ 1) and would leave f with an
    /// absolute error u‖y‖, i.e. a relative error u‖y‖/‖f‖ far above the
    /// reference engine's u·‖|A||w|‖/‖f‖.
    fn record(
        &self,
        q: u64,
        batch: &GdBatch,
        a_eval: Option<MatRef<'_, f64>>,
        status: &[RunStatus],
    ) -> Checkpoint {
        let State { a, w } = *self;
        let nb = batch.runs();
        let dead = |b: usize| !status[b].is_ok();
        let col = |mat: &Mat<f64>, b: usize| -> Vec<f64> {
            if dead(b) {
                vec![f64::NAN; mat.nrows()]
            } else {
                mat.col(b).iter().copied().collect()
            }
        };
        let aw = a * w;
        let f: Vec<Vec<f64>> = (0..nb).map(|b| col(&aw, b)).collect();
        let loss = (0..nb)
            .map(|b| {
                if dead(b) {
                    f64::NAN
                } else {
                    half_sq_residual(&batch.y[b], &f[b])
                }
            })
            .collect();
        let w_rec = batch.record_w.then(|| (0..nb).map(|b| col(w, b)).collect());
        let f_eval = a_eval.filter(|_| batch.eval_points.is_some()).map(|ae| {
            let fe = ae * w;
            (0..nb).map(|b| col(&fe, b)).collect()
        });
        Checkpoint {
            q,
            f,
            loss,
            w: w_rec,
            f_eval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gd::NoProgress;
    use crate::model::{Activation, Design};
    use crate::spectral::singular_values;

    fn run(a: MatRef<'_, f64>, batch: &GdBatch, s_max: Option<f64>) -> Result<Trajectory> {
        let mut p = Problem::from_matrix(a);
        if let Some(s) = s_max {
            p = p.with_s_max(s);
        }
        CpuEngine.run(&p, batch, &NoProgress)
    }

    #[test]
    fn two_runs_follow_their_own_rates() {
        let d = Design::spec(Activation::Tanh)
            .sigma(8.0)
            .n(12)
            .m(20)
            .build()
            .unwrap();
        let a = d.matrix();
        let s_max = singular_values(a.as_ref()).unwrap()[0];
        let y1: Vec<f64> = d.x().iter().map(|x| (3.0 * x).sin()).collect();
        let y2: Vec<f64> = d.x().iter().map(|x| x * x).collect();
        let a1 = 1.0 / (s_max * s_max);
        let mut batch = GdBatch::new(
            vec![y1.clone(), y2.clone()],
            vec![a1, 0.5 * a1],
            vec![0, 1, 3],
        );
        batch.record_w = true;
        let t = run(a.as_ref(), &batch, Some(s_max)).unwrap();
        assert_eq!(t.checkpoints.len(), 3);
        assert!(t.status.iter().all(RunStatus::is_ok));
        // q = 0: f = 0; q = 1: w = α Aᵀ y.
        assert!(t.checkpoints[0].f[0].iter().all(|&v| v == 0.0));
        let w1 = &t.checkpoints[1].w.as_ref().unwrap()[1];
        for j in 0..20 {
            let want: f64 = 0.5 * a1 * (0..12).map(|i| a[(i, j)] * y2[i]).sum::<f64>();
            assert!((w1[j] - want).abs() < 1e-14 * want.abs().max(1e-300) + 1e-16);
        }
        // The loss decreases.
        assert!(t.checkpoints[2].loss[0] < t.checkpoints[1].loss[0]);
    }

    #[test]
    fn unstable_rate_is_refused_or_recorded() {
        let d = Design::spec(Activation::Relu)
            .sigma(1.0)
            .n(10)
            .m(10)
            .build()
            .unwrap();
        let a = d.matrix();
        let s_max = singular_values(a.as_ref()).unwrap()[0];
        let y = vec![d.x().iter().map(|x| x.cos()).collect::<Vec<_>>()];
        let alpha = 2.5 / (s_max * s_max);
        let mut batch = GdBatch::new(y, vec![alpha], vec![1, 200]);
        let e = run(a.as_ref(), &batch, Some(s_max)).unwrap_err();
        assert!(
            matches!(e, Error::UnstableLearningRate { run: 0, .. }),
            "{e}"
        );
        batch.allow_unstable = true;
        let t = run(a.as_ref(), &batch, Some(s_max)).unwrap();
        match &t.status[0] {
            RunStatus::Diverged { growth, .. } => {
                // Predicted growth |1 − α s_max²| = 1.5 per iteration.
                assert!((growth - 1.5).abs() < 0.05, "{growth}");
            }
            other => panic!("expected divergence, got {other:?}"),
        }
        let e = t.into_result().unwrap_err();
        match e {
            Error::Diverged { run, partial, .. } => {
                assert_eq!(run, 0);
                assert_eq!(partial.unwrap().checkpoints.len(), 2);
            }
            other => panic!("{other}"),
        }
    }
}
