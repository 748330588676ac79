//! `validate`: literally iterated gradient descent checked against the
//! closed-form shrinkage prediction, checkpoint by checkpoint.
//!
//! For a design A = U diag(s) Vᵀ (f64 thin SVD), a target y and a learning rate
//! α, GD from w₀ = 0 satisfies exactly (paper Eq. 29, SPEC §3)
//! $$f_q = U \operatorname{diag}\big(1 - (1 - \alpha s^2)^q\big) U^\top y,\qquad
//!   w_q = V \operatorname{diag}\big(m(s)/s\big) U^\top y .$$
//! [`validate`] runs an engine ([`GdEngine`]: the f32 GPU engine or the f64 CPU
//! reference) and reports at every checkpoint q:
//!
//! * the relative error of the engine against gd_exact in function space — f_q
//!   at the samples and on an evaluation grid — and in weight space, each next
//!   to its tolerance from the rounding-error model ([`model`]);
//! * the gap between the gradient-flow mask gd_flow, 1 − exp(−αqs²), and
//!   gd_exact: how good the paper's continuous approximation is at this q;
//! * the f64 CPU iterate against gd_exact (a sanity line for the reference itself);
//! * the empirical mask per singular direction,
//!   $\hat m_k = u_k^\top f_q / u_k^\top y$, next to m(s_k) — the paper's Fig. 1/2
//!   measured on real GD — wherever $|u_k^\top y|$ resolves it.
//!
//! A learning rate at or beyond the stability limit 2/s_max² is not compared:
//! the run is made to measure the growth of ‖y − A w‖ per iteration, reported
//! next to the predicted |1 − α s_max²|, and the report fails.
//!
//! [`mask_figure`] draws m̂_k against m(s_k) from a report (PNG and SVG).

pub mod engine;
pub mod figure;
pub mod model;
pub mod suite;

use faer::Mat;
use serde::Serialize;

pub use engine::{CpuEngine, GdEngine, GpuEngine, Operator, Precision, Problem, Summation};
pub use figure::mask_figure;
pub use model::{ErrorModel, RESOLVE, SAFETY, SpaceTolerances, Tolerance};

use crate::design::Design;
use crate::error::{Error, Result};
use crate::mask::{gd_exact_masks, gd_flow_masks, shrink};
use crate::spectrum::{ThinSvd, norm, thin_svd};
use crate::trajectory::{GdBatch, RunStatus, Trajectory, rel_error};
use model::{ModelInputs, RefNorms, abs_product_norm};

/// Floating-point work (4·N·M per iteration) the f64 sanity line may spend by
/// default; checkpoints beyond it are not re-run on the CPU.
pub const CPU_CHECK_FLOPS: f64 = 2e10;

/// Checkpoints of the run that measures divergence: 0, 8, …, 128.
pub const DIVERGENCE_CHECKPOINTS: [u64; 17] = [
    0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128,
];

/// Largest q that the f64 sanity line runs by default for an N×M design
/// (≈ [`CPU_CHECK_FLOPS`] of work).
pub fn default_cpu_check_q_max(n: usize, m: usize) -> u64 {
    ((CPU_CHECK_FLOPS / (4.0 * n as f64 * m as f64)).floor() as u64).max(1)
}

/// The default evaluation grid: linspace with 2N − 1 points (the samples of a
/// linspace design and every midpoint between them).
pub fn default_eval_points(n: usize) -> Vec<f64> {
    crate::grid::linspace((2 * n).saturating_sub(1).max(2))
}

/// s_max of `d`'s design matrix from its SVD; an all-zero A (s_max = 0) or a
/// NaN is an error naming the design. Shared by `validate` and `compare`.
pub(crate) fn design_s_max(svd: &ThinSvd, d: &Design) -> Result<f64> {
    let s_max = svd.s_max();
    if s_max.is_nan() || s_max <= 0.0 {
        return Err(Error::invalid(
            "design",
            d.label(),
            "a design matrix with at least one non-zero entry (A is zero)",
        ));
    }
    Ok(s_max)
}

/// A learning rate, fixed or relative to the largest singular value of A
/// (known only once the SVD is done).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningRate {
    /// α itself.
    Value(f64),
    /// α = c / s_max² (c = 1 is the paper's choice; c ≥ 2 diverges).
    OverSmax2(f64),
}

impl LearningRate {
    /// α for a matrix with largest singular value `s_max`.
    pub fn resolve(self, s_max: f64) -> f64 {
        match self {
            LearningRate::Value(a) => a,
            LearningRate::OverSmax2(c) => c / (s_max * s_max),
        }
    }

    fn check(self) -> Result<()> {
        let (LearningRate::Value(v) | LearningRate::OverSmax2(v)) = self;
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(Error::invalid("alpha", v, "a finite learning rate > 0"))
        }
    }
}

/// What to validate.
#[derive(Clone, Debug)]
pub struct ValidateConfig {
    /// The network.
    pub design: Design,
    /// Target at the samples (length N).
    pub y: Vec<f64>,
    /// Name of the target, for reports.
    pub signal: String,
    /// Learning rate.
    pub alpha: LearningRate,
    /// Checkpoints q, strictly increasing.
    pub qs: Vec<u64>,
    /// Evaluation grid (points in any order).
    pub eval_points: Vec<f64>,
    /// Re-run the f64 CPU reference up to this q as a sanity line (None: never).
    /// Ignored when the engine under test is itself f64.
    pub cpu_check_q_max: Option<u64>,
    /// Safety factor of the error model.
    pub safety: f64,
}

impl ValidateConfig {
    /// A configuration with the default evaluation grid, sanity-line budget and safety factor.
    pub fn new(design: Design, y: Vec<f64>, alpha: LearningRate, qs: Vec<u64>) -> Self {
        let (n, m) = (design.n(), design.m());
        ValidateConfig {
            eval_points: default_eval_points(n),
            cpu_check_q_max: Some(default_cpu_check_q_max(n, m)),
            design,
            y,
            signal: "custom".into(),
            alpha,
            qs,
            safety: SAFETY,
        }
    }

    /// The engine's batch (α resolved): one run, w and the evaluation grid recorded.
    fn batch(&self, alpha: f64) -> GdBatch {
        let mut b = GdBatch::new(vec![self.y.clone()], vec![alpha], self.qs.clone());
        b.record_w = true;
        b.eval_points = Some(self.eval_points.clone());
        b
    }

    /// Everything that can be checked before the SVD: the batch's own rules
    /// (lengths, finiteness, ordering of q) and the model's parameters.
    fn check(&self) -> Result<()> {
        self.alpha.check()?;
        self.batch(1.0)
            .validate(self.design.n(), self.design.m(), None)?;
        if !(self.safety.is_finite() && self.safety > 0.0) {
            return Err(Error::invalid(
                "safety factor",
                self.safety,
                "a finite number > 0",
            ));
        }
        if self.eval_points.is_empty() {
            return Err(Error::invalid(
                "evaluation grid",
                "no points",
                "at least one point",
            ));
        }
        Ok(())
    }
}

/// One measured error next to its tolerance.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Measured {
    /// ‖got − ref‖/‖ref‖ (NaN when the engine returned nothing usable).
    pub err: f64,
    /// The tolerance from the error model.
    pub tol: Tolerance,
    /// err ≤ tol (NaN never passes).
    pub ok: bool,
}

impl Measured {
    fn new(err: f64, tol: Tolerance) -> Self {
        Measured {
            err,
            tol,
            ok: err <= tol.rel,
        }
    }
}

/// Errors of one engine at one checkpoint.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SpaceErrors {
    /// f at the samples.
    pub f: Measured,
    /// f on the evaluation grid.
    pub f_eval: Measured,
    /// w.
    pub w: Measured,
}

/// Relative gap ‖gd_flow − gd_exact‖/‖gd_exact‖ per space.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FlowGap {
    /// At the samples.
    pub f: f64,
    /// On the evaluation grid.
    pub f_eval: f64,
    /// In weight space.
    pub w: f64,
}

/// Everything measured at one checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointReport {
    /// Iteration count.
    pub q: u64,
    /// The engine under test vs gd_exact.
    pub engine: SpaceErrors,
    /// The f64 CPU iterate vs gd_exact (when run at this q).
    pub cpu: Option<SpaceErrors>,
    /// gd_flow vs gd_exact.
    pub flow_gap: FlowGap,
    /// Loss ½‖y − f‖² of the engine.
    pub loss: f64,
    /// Loss of gd_exact.
    pub loss_exact: f64,
    /// Number of resolved directions (where m̂_k is meaningful).
    pub resolved: usize,
    /// max |m̂_k − m(s_k)| over the resolved directions (engine).
    pub mask_max_dev: f64,
}

/// The empirical mask in one direction at one checkpoint.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DirectionRow {
    /// Checkpoint.
    pub q: u64,
    /// Direction index (0-based, s descending).
    pub k: usize,
    /// s_k.
    pub s: f64,
    /// u_kᵀy.
    pub uty: f64,
    /// gd_exact mask m(s_k).
    pub m_exact: f64,
    /// gd_flow mask.
    pub m_flow: f64,
    /// m̂_k of the engine.
    pub m_hat: f64,
    /// m̂_k of the f64 CPU iterate (NaN when not run at this q).
    pub m_hat_cpu: f64,
    /// |u_kᵀy| ≥ RESOLVE·E_f: m̂_k is meaningful and checked.
    pub resolved: bool,
    /// Allowed |m̂_k − m(s_k)| = E_f/|u_kᵀy|.
    pub tol: f64,
}

/// What was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// f at the samples.
    FunctionSamples,
    /// f on the evaluation grid.
    FunctionEval,
    /// w.
    Weights,
    /// The empirical mask in the resolved directions.
    Mask,
    /// The run itself (non-finite values, divergence, missing checkpoint).
    Run,
}

impl Check {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Check::FunctionSamples => "function space (f at the samples)",
            Check::FunctionEval => "function space (f on the evaluation grid)",
            Check::Weights => "weight space (w)",
            Check::Mask => "empirical mask",
            Check::Run => "run",
        }
    }
}

/// A failed check: where, what, by how much.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// Checkpoint (None for the run as a whole).
    pub q: Option<u64>,
    /// Engine label (the engine under test or the f64 sanity line).
    pub engine: String,
    /// Which check.
    pub check: Check,
    /// Direction k it concentrates in, where that is known.
    pub k: Option<usize>,
    /// Measured value.
    pub got: f64,
    /// Allowed value.
    pub tol: f64,
    /// One sentence saying all of the above.
    pub message: String,
}

/// A learning rate beyond the stability limit, and what the run did with it.
#[derive(Clone, Debug, Serialize)]
pub struct DivergenceReport {
    /// α.
    pub alpha: f64,
    /// 2/s_max².
    pub limit: f64,
    /// α·s_max².
    pub alpha_s_max2: f64,
    /// Predicted growth of ‖y − A w‖ per iteration: |1 − α s_max²|.
    pub predicted_growth: f64,
    /// Measured growth per iteration (None if no finite pair of checkpoints).
    pub measured_growth: Option<f64>,
    /// Iteration from which the growth was measured.
    pub from_iteration: Option<u64>,
    /// Where the measurement comes from.
    pub source: String,
    /// How the engine's run ended.
    pub status: RunStatus,
}

/// The result of [`validate`].
#[derive(Clone, Debug, Serialize)]
pub struct ValidateReport {
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
    /// α·s_max².
    pub alpha_s_max2: f64,
    /// s_max.
    pub s_max: f64,
    /// The engine as it names itself in the trajectory.
    pub engine: String,
    /// Where it ran.
    pub device: String,
    /// Software adapter (timings meaningless).
    pub software: bool,
    /// Number of evaluation points.
    pub eval_points: usize,
    /// The error model of the engine under test.
    pub model: ErrorModel,
    /// The error model of the f64 sanity line (when run).
    pub cpu_model: Option<ErrorModel>,
    /// Largest q re-run on the CPU (None: not run).
    pub cpu_checked_to: Option<u64>,
    /// One entry per checkpoint (empty when diverged).
    pub checkpoints: Vec<CheckpointReport>,
    /// The empirical mask per checkpoint and direction.
    pub directions: Vec<DirectionRow>,
    /// Present when α ≥ 2/s_max².
    pub divergence: Option<DivergenceReport>,
    /// Every failed check.
    pub failures: Vec<Failure>,
    /// No failure.
    pub passed: bool,
}

/// The f64 prediction at every checkpoint, from one SVD.
struct Reference {
    svd: ThinSvd,
    /// Uᵀy.
    c: Vec<f64>,
    f: Vec<Vec<f64>>,
    w: Vec<Vec<f64>>,
    f_eval: Vec<Vec<f64>>,
    f_flow: Vec<Vec<f64>>,
    w_flow: Vec<Vec<f64>>,
    f_eval_flow: Vec<Vec<f64>>,
    m_exact: Vec<Vec<f64>>,
    m_flow: Vec<Vec<f64>>,
    loss: Vec<f64>,
    norms: Vec<RefNorms>,
}

fn matvec_t(u: &Mat<f64>, v: &[f64]) -> Vec<f64> {
    let vm = Mat::<f64>::from_fn(v.len(), 1, |i, _| v[i]);
    let p = u.transpose() * &vm;
    p.col(0).iter().copied().collect()
}

impl Reference {
    fn new(
        cfg: &ValidateConfig,
        alpha: f64,
        a: &Mat<f64>,
        a_eval: &Mat<f64>,
        svd: ThinSvd,
    ) -> Result<Self> {
        let qs = &cfg.qs;
        let nq = qs.len();
        let c = matvec_t(&svd.u, &cfg.y);
        let uc = &svd.u * Mat::<f64>::from_fn(c.len(), 1, |k, _| c[k]);
        let y_perp = norm(
            &cfg.y
                .iter()
                .zip(uc.col(0).iter())
                .map(|(a, b)| a - b)
                .collect::<Vec<_>>(),
        );
        let mut masks = gd_exact_masks(alpha, qs);
        masks.extend(gd_flow_masks(alpha, qs));
        let sh = shrink(&svd, &cfg.y, &masks)?;
        let fe = sh.f_at(a_eval.as_ref())?;
        let p_sums = model::residual_norm_sums(&svd.s, &c, y_perp, alpha, qs);
        let mut f = sh.f;
        let mut w = sh.w;
        let mut m = sh.m;
        let f_flow = f.split_off(nq);
        let w_flow = w.split_off(nq);
        let m_flow = m.split_off(nq);
        let mut f_eval = fe;
        let f_eval_flow = f_eval.split_off(nq);
        let norms = (0..nq)
            .map(|i| RefNorms {
                q: qs[i],
                f_norm: norm(&f[i]),
                f_eval_norm: norm(&f_eval[i]),
                w_norm: norm(&w[i]),
                abs_aw: abs_product_norm(a.as_ref(), &w[i]),
                abs_aew: abs_product_norm(a_eval.as_ref(), &w[i]),
                s_sum_norm: model::residual_sum_norm(&svd.s, &c, y_perp, alpha, qs[i]),
                p_sum: p_sums[i],
                gram: None,
            })
            .collect();
        Ok(Reference {
            svd,
            c,
            f,
            w,
            f_eval,
            f_flow,
            w_flow,
            f_eval_flow,
            m_exact: m,
            m_flow,
            loss: sh.loss[..nq].to_vec(),
            norms,
        })
    }
}

/// ‖A − U diag(s) Vᵀ‖_F / ‖A‖_F.
fn svd_backward_error(a: &Mat<f64>, svd: &ThinSvd) -> f64 {
    let us = Mat::<f64>::from_fn(svd.u.nrows(), svd.s.len(), |i, k| svd.u[(i, k)] * svd.s[k]);
    let rec = &us * svd.v.transpose();
    let af = a.norm_l2();
    if af == 0.0 {
        0.0
    } else {
        (a - &rec).norm_l2() / af
    }
}

/// Validates `engine` on `cfg` (see the module docs). Errors are returned for
/// bad input and for engines that fail to run; failed checks are in the report.
pub fn validate(cfg: &ValidateConfig, engine: &dyn GdEngine) -> Result<ValidateReport> {
    cfg.check()?;
    let d = &cfg.design;
    let (n, m) = (d.n(), d.m());
    let a = d.matrix();
    let a_eval = d.matrix_at(&cfg.eval_points);
    let svd = thin_svd(a.as_ref())?;
    let s_max = design_s_max(&svd, d)?;
    let alpha = cfg.alpha.resolve(s_max);
    let problem = Problem {
        design: d,
        a: a.as_ref(),
        a_eval: Some(a_eval.as_ref()),
        s_max,
    };
    let backward = svd_backward_error(&a, &svd);
    let inputs = ModelInputs {
        n,
        m,
        alpha,
        s_max,
        a_fro: a.norm_l2(),
        a_eval_two: model::spectral_norm(a_eval.as_ref()),
        svd_backward_error: backward,
    };
    let model_for = |precision: Precision, operator: Operator, summation: Summation| {
        let (r, re) = if operator == Operator::ExactF64 {
            (None, None)
        } else {
            (
                Some(model::f32_rounding(d, &d.x, a.as_ref())),
                Some(model::f32_rounding(d, &cfg.eval_points, a_eval.as_ref())),
            )
        };
        ErrorModel::new(precision, operator, summation, inputs, r, re, cfg.safety)
    };
    let default_operator = match engine.precision() {
        Precision::F64 => Operator::ExactF64,
        Precision::F32 => Operator::DesignF32,
    };
    let report_with = |model: ErrorModel| ValidateReport {
        design: d.label(),
        n,
        m,
        signal: cfg.signal.clone(),
        alpha,
        alpha_s_max2: alpha * s_max * s_max,
        s_max,
        engine: engine.label(),
        device: engine.device(),
        software: engine.software(),
        eval_points: cfg.eval_points.len(),
        model,
        cpu_model: None,
        cpu_checked_to: None,
        checkpoints: Vec::new(),
        directions: Vec::new(),
        divergence: None,
        failures: Vec::new(),
        passed: false,
    };

    if alpha * s_max * s_max >= 2.0 {
        let report = report_with(model_for(
            engine.precision(),
            default_operator,
            engine.summation(),
        ));
        return diverge(cfg, alpha, engine, &problem, report);
    }

    let batch = cfg.batch(alpha);
    let traj = engine.run(&problem, &batch)?;
    let mut report = report_with(model_for(
        engine.precision(),
        engine.operator(&traj),
        engine.summation(),
    ));
    report.engine = traj.engine.clone();

    let cpu_traj = match (engine.precision(), cfg.cpu_check_q_max) {
        (Precision::F32, Some(q_max)) => {
            let qs: Vec<u64> = cfg.qs.iter().copied().filter(|&q| q <= q_max).collect();
            if qs.is_empty() {
                None
            } else {
                let mut b = batch.clone();
                b.checkpoints = qs;
                report.cpu_checked_to = b.checkpoints.last().copied();
                Some(CpuEngine.run(&problem, &b)?)
            }
        }
        _ => None,
    };
    if cpu_traj.is_some() {
        report.cpu_model = Some(model_for(
            Precision::F64,
            Operator::ExactF64,
            CpuEngine.summation(),
        ));
    }

    let mut refs = Reference::new(cfg, alpha, &a, &a_eval, svd)?;
    if report.model.operator == Operator::GramF32 {
        let effect = model::gram_effect(
            d,
            &cfg.eval_points,
            &cfg.y,
            alpha,
            &cfg.qs,
            model::RefStates {
                f: &refs.f,
                f_eval: &refs.f_eval,
                w: &refs.w,
            },
        )?;
        for (rn, g) in refs.norms.iter_mut().zip(effect) {
            rn.gram = Some(g);
        }
    }
    for (label, t) in std::iter::once((report.engine.clone(), &traj))
        .chain(cpu_traj.iter().map(|t| (CpuEngine.label(), t)))
    {
        if let Some(f) = status_failure(&label, t) {
            report.failures.push(f);
        }
    }
    for (qi, &q) in cfg.qs.iter().enumerate() {
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
            continue;
        };
        let got = Got::from_checkpoint(cp);
        let errs = measure(&got, &refs, qi, tol);
        let proj = matvec_t(&refs.svd.u, got.f);
        let cpu = cpu_traj.as_ref().and_then(|t| t.at(q)).map(|cp| {
            let g = Got::from_checkpoint(cp);
            let ctol = report
                .cpu_model
                .as_ref()
                .map(|cm| cm.tolerances(&refs.norms[qi]))
                .unwrap_or(tol);
            (measure(&g, &refs, qi, ctol), matvec_t(&refs.svd.u, g.f), g)
        });

        // Empirical mask.
        let e_abs = tol.f.abs;
        let mut resolved = 0;
        let mut max_dev: f64 = 0.0;
        let mut worst: Option<(usize, f64, f64)> = None; // (k, dev, tol_k)
        let mut n_bad = 0;
        for k in 0..refs.c.len() {
            let ck = refs.c[k];
            let m_hat = proj[k] / ck;
            let me = refs.m_exact[qi][k];
            let is_res = ck.abs() >= RESOLVE * e_abs && ck != 0.0;
            let tol_k = if ck != 0.0 {
                e_abs / ck.abs()
            } else {
                f64::INFINITY
            };
            if is_res {
                resolved += 1;
                let dev = (m_hat - me).abs();
                max_dev = max_dev.max(if dev.is_nan() { f64::INFINITY } else { dev });
                if dev.is_nan() || dev > tol_k {
                    n_bad += 1;
                    let ratio = dev / tol_k;
                    if worst.is_none_or(|(_, d, t)| ratio > d / t || ratio.is_nan()) {
                        worst = Some((k, dev, tol_k));
                    }
                }
            }
            report.directions.push(DirectionRow {
                q,
                k,
                s: refs.svd.s[k],
                uty: ck,
                m_exact: me,
                m_flow: refs.m_flow[qi][k],
                m_hat,
                m_hat_cpu: cpu.as_ref().map_or(f64::NAN, |(_, p, _)| p[k] / ck),
                resolved: is_res,
                tol: tol_k,
            });
        }

        let eng = report.engine.clone();
        failures_of(&mut report.failures, &eng, q, &errs, &got, &refs, qi, &proj);
        if let Some((k, dev, tol_k)) = worst {
            let s0 = refs.svd.s[0];
            report.failures.push(Failure {
                q: Some(q),
                engine: eng.clone(),
                check: Check::Mask,
                k: Some(k),
                got: dev,
                tol: tol_k,
                message: format!(
                    "q = {q}: empirical mask off in {n_bad} of {resolved} resolved directions; worst k = {k} \
                     (s_k/s_0 = {:.3e}, u_k^T y = {:.3e}): m_hat = {:.6} vs m = {:.6}, |diff| = {dev:.3e} \
                     exceeds the allowed {tol_k:.3e} by {:.1}x",
                    refs.svd.s[k] / s0,
                    refs.c[k],
                    proj[k] / refs.c[k],
                    refs.m_exact[qi][k],
                    dev / tol_k
                ),
            });
        }
        if let Some((cerrs, cproj, g)) = &cpu {
            failures_of(
                &mut report.failures,
                &CpuEngine.label(),
                q,
                cerrs,
                g,
                &refs,
                qi,
                cproj,
            );
        }

        report.checkpoints.push(CheckpointReport {
            q,
            engine: errs,
            cpu: cpu.as_ref().map(|(e, _, _)| *e),
            flow_gap: FlowGap {
                f: rel_error(&refs.f_flow[qi], &refs.f[qi]),
                f_eval: rel_error(&refs.f_eval_flow[qi], &refs.f_eval[qi]),
                w: rel_error(&refs.w_flow[qi], &refs.w[qi]),
            },
            loss: cp.loss.first().copied().unwrap_or(f64::NAN),
            loss_exact: refs.loss[qi],
            resolved,
            mask_max_dev: max_dev,
        });
    }
    report.passed = report.failures.is_empty();
    Ok(report)
}

/// An engine's state at one checkpoint (run 0).
struct Got<'a> {
    f: &'a [f64],
    f_eval: &'a [f64],
    w: &'a [f64],
}

impl<'a> Got<'a> {
    fn from_checkpoint(cp: &'a crate::trajectory::Checkpoint) -> Self {
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
        f_eval: Measured::new(rel_error(got.f_eval, &refs.f_eval[qi]), tol.f_eval),
        w: Measured::new(rel_error(got.w, &refs.w[qi]), tol.w),
    }
}

fn status_failure(label: &str, t: &Trajectory) -> Option<Failure> {
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

#[allow(clippy::too_many_arguments)]
fn failures_of(
    out: &mut Vec<Failure>,
    engine: &str,
    q: u64,
    errs: &SpaceErrors,
    got: &Got<'_>,
    refs: &Reference,
    qi: usize,
    proj: &[f64],
) {
    let s0 = refs.svd.s[0];
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
            let (k, pk, outside) = concentrate(&refs.svd.u, &diff);
            let ck = refs.c[k];
            format!(
                "{}; it is largest along u_{k} (s_k/s_0 = {:.3e}, u_k^T y = {:.3e}, |u_k^T (f - f_q)| = {pk:.3e}): \
                 m_hat = {:.6} vs m = {:.6}{}",
                head(Check::FunctionSamples, &errs.f),
                refs.svd.s[k] / s0,
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
        (Check::FunctionEval, &errs.f_eval),
        (Check::Weights, &errs.w),
    ] {
        if m.ok {
            continue;
        }
        let mut k_out = None;
        let detail = if got.w.len() == refs.w[qi].len() {
            let diff: Vec<f64> = got.w.iter().zip(&refs.w[qi]).map(|(a, b)| a - b).collect();
            let (k, pk, outside) = concentrate(&refs.svd.v, &diff);
            k_out = Some(k);
            format!(
                "; the weight error is largest along v_{k} (s_k/s_0 = {:.3e}, |v_k^T (w - w_q)| = {pk:.3e}); \
                 the null space of A carries {outside:.3e} of it",
                refs.svd.s[k] / s0
            )
        } else {
            format!(
                "; the engine returned no usable weights ({} values)",
                got.w.len()
            )
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

/// α ≥ 2/s_max²: measure the growth instead of comparing.
fn diverge(
    cfg: &ValidateConfig,
    alpha: f64,
    engine: &dyn GdEngine,
    problem: &Problem<'_>,
    mut report: ValidateReport,
) -> Result<ValidateReport> {
    let s_max = problem.s_max;
    let x = report.alpha_s_max2;
    let mut batch = GdBatch::new(
        vec![cfg.y.clone()],
        vec![alpha],
        DIVERGENCE_CHECKPOINTS.to_vec(),
    );
    batch.allow_unstable = true;
    let traj = engine.run(problem, &batch)?;
    report.engine = traj.engine.clone();
    let predicted = (1.0 - x).abs();
    let status = traj.status.first().cloned().unwrap_or(RunStatus::Ok);
    let (measured, from, source) = match status {
        RunStatus::Diverged { iteration, growth } => (
            Some(growth),
            Some(iteration),
            "the engine's residual watch".to_string(),
        ),
        _ => {
            let y_norm = norm(&cfg.y);
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
            "alpha = {:.6e} is beyond the stability limit 2/s_max^2 = {limit:.6e} (alpha*s_max^2 = {x:.4}): \
             gradient descent diverges along u_0; {measured_txt}; predicted |1 - alpha*s_max^2| = {predicted:.6}",
            alpha
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
