//! `validate`: literally iterated gradient descent checked against the
//! closed-form shrinkage prediction, checkpoint by checkpoint.
//!
//! For a design A = U diag(s) Vᵀ (f64 thin SVD), a target y and a learning rate
//! α, GD from w₀ = 0 satisfies exactly (paper Eq. 29, SPEC §3)
//! $$f_q = U \operatorname{diag}\big(1 - (1 - \alpha s^2)^q\big) U^\top y,\qquad
//!   w_q = V \operatorname{diag}\big(m(s)/s\big) U^\top y .$$
//! [`validate`] runs an engine ([`Engine`]: the f32 GPU engine or the f64 CPU
//! reference) and reports at every checkpoint q:
//!
//! * the relative error of the engine against gd_exact in function space — f_q
//!   at the samples and on an evaluation grid — and in weight space, each next
//!   to its tolerance from the rounding-error model ([`crate::precision`]);
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

mod checks;
mod divergence;
#[cfg(feature = "plot")]
pub mod figure;
mod reference;
pub mod report;
mod streamed;
pub mod suite;

use faer::Mat;
use serde::Serialize;

#[cfg(feature = "plot")]
pub use figure::mask_figure;
pub use report::{
    Check, CheckpointReport, DirectionRow, DivergenceReport, Failure, FlowGap, Measured,
    SpaceErrors, ValidateReport,
};

use std::sync::Arc;

use super::{Features, StudyConfig};
use crate::error::{Error, Result};
use crate::gd::{
    CpuEngine, Engine, EngineInfo, GdBatch, Operator, Precision, Problem, Progress, Trajectory,
};
use crate::model::Design;
use crate::precision::{
    Arithmetic, ErrorModel, GdRun, ModelInputs, NORM_RTOL, RefStates, Rounding, SAFETY, Truncation,
    f32_rounding, gram_effect,
};
use crate::spectral::{
    StreamOptions, ThinSvd, TopkInfo, TopkOptions, largest_singular_value_to, perturbation_bound,
    streamed_spectrum, tail_bounds, thin_svd, topk_of_design,
};
use reference::{Basis, Reference, svd_backward_error};
pub use streamed::{BLOCK as STREAM_BLOCK, block_width as stream_block_width};

/// Floating-point work (4·N·M per iteration) the f64 sanity line may spend by
/// default; checkpoints beyond it are not re-run on the CPU.
pub const CPU_CHECK_FLOPS: f64 = 2e10;

/// Checkpoints of the run that measures divergence: 0, 8, …, 128.
pub const DIVERGENCE_CHECKPOINTS: [u64; 17] = [
    0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128,
];

/// Largest q that the f64 sanity line runs by default for an N×M design
/// (≈ [`CPU_CHECK_FLOPS`] of work).
#[must_use]
pub fn default_cpu_check_q_max(n: usize, m: usize) -> u64 {
    ((CPU_CHECK_FLOPS / (4.0 * n as f64 * m as f64)).floor() as u64).max(1)
}

/// The default evaluation grid: linspace with 2N − 1 points (the samples of a
/// linspace design and every midpoint between them).
#[must_use]
pub fn default_eval_points(n: usize) -> Vec<f64> {
    crate::model::grid::linspace((2 * n).saturating_sub(1).max(2))
}

/// How the f64 prediction is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceRoute {
    /// [`ReferenceRoute::Streamed`] for a wide network design whose dense
    /// reference needs more than [`AUTO_STREAM_BYTES`]; else dense.
    #[default]
    Auto,
    /// A, the network on the evaluation grid and their f32 twins stored, one
    /// thin SVD: every quantity of the error model computed exactly.
    Dense,
    /// A never stored: streamed TSQR for s and U, then passes over column
    /// blocks (a network design with N ≤ M; see the `streamed` module docs).
    Streamed,
    /// A never stored: the K leading triplets by block Krylov
    /// ([`crate::spectral::topk_of_design`]), the prediction restricted to
    /// them, and a proven bound on what the other components add
    /// ([`crate::spectral::tail_bounds`]) in every tolerance (a network design).
    #[serde(rename = "topk")]
    TopK,
}

/// Components the top-K route takes unless told otherwise.
pub const TOPK_K: usize = 128;

/// Bytes of the dense reference above which [`ReferenceRoute::Auto`] takes
/// the top-K route for a design the top-K method suits
/// ([`crate::spectral::prefers_topk`]): 4 GiB (N = M = 10 000 needs 5.6 GB
/// and a full SVD of cost ≈ 10·r³).
pub const AUTO_TOPK_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// Bytes of the dense reference above which [`ReferenceRoute::Auto`] streams: 1 GiB.
pub const AUTO_STREAM_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;

/// Bytes the dense reference stores for an N×M design with P evaluation
/// points: A and the network on the grid in f64 and as the f32 kernels form
/// them (8·(N + P)·M each) and V (8·M·min(N, M)).
#[must_use]
pub fn dense_reference_bytes(n: usize, m: usize, p: usize) -> f64 {
    let (n, m, p) = (n as f64, m as f64, p as f64);
    16.0 * (n + p) * m + 8.0 * m * n.min(m)
}

impl ReferenceRoute {
    /// The name the CLI uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReferenceRoute::Auto => "auto",
            ReferenceRoute::Dense => "dense",
            ReferenceRoute::Streamed => "streamed",
            ReferenceRoute::TopK => "topk",
        }
    }

    /// Auto resolved for `features` with `eval_points` evaluation points and
    /// `k` components on the top-K route; routes refused where they do not apply.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `Streamed` with a user's matrix or a
    /// tall design, for `TopK` with a user's matrix or K outside 1..=min(N, M).
    pub fn resolve(
        self,
        features: &Features,
        eval_points: usize,
        k: usize,
    ) -> Result<ReferenceRoute> {
        self.resolve_for(
            features.design().is_some(),
            (features.n(), features.m()),
            eval_points,
            k,
        )
    }

    /// As [`ReferenceRoute::resolve`] from the shape alone: `design` is
    /// false for a user's matrix.
    ///
    /// Auto takes the top-K route for a design whose dense reference needs
    /// more than [`AUTO_TOPK_BYTES`] and that the top-K method suits
    /// ([`crate::spectral::prefers_topk`]), else the streamed route for a
    /// wide design whose dense reference needs more than
    /// [`AUTO_STREAM_BYTES`], else the dense one.
    ///
    /// # Errors
    /// As [`ReferenceRoute::resolve`].
    pub fn resolve_for(
        self,
        design: bool,
        (n, m): (usize, usize),
        eval_points: usize,
        k: usize,
    ) -> Result<ReferenceRoute> {
        let wide_design = design && n <= m;
        let bytes = dense_reference_bytes(n, m, eval_points);
        match self {
            ReferenceRoute::Auto => Ok(
                if design && bytes > AUTO_TOPK_BYTES && crate::spectral::prefers_topk(n, m, k) {
                    ReferenceRoute::TopK
                } else if wide_design && bytes > AUTO_STREAM_BYTES {
                    ReferenceRoute::Streamed
                } else {
                    ReferenceRoute::Dense
                },
            ),
            ReferenceRoute::TopK if !design => Err(Error::invalid(
                "reference",
                "topk for a user's matrix",
                "a network design (a user's matrix is stored already); use the dense reference",
            )),
            ReferenceRoute::TopK if k == 0 || k > n.min(m) => Err(Error::invalid(
                "k",
                k,
                format!("a number of components from 1 to min(N, M) = {}", n.min(m)),
            )),
            ReferenceRoute::Streamed if !wide_design => Err(Error::invalid(
                "reference",
                format!(
                    "streamed for {} with N = {n}, M = {m}",
                    if design {
                        "a network"
                    } else {
                        "a user's matrix"
                    }
                ),
                "a network design with N <= M (a user's matrix is stored already, and a tall \
                 design's A is no larger than its SVD); use the dense reference",
            )),
            r => Ok(r),
        }
    }
}

impl std::str::FromStr for ReferenceRoute {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ReferenceRoute::Auto),
            "dense" => Ok(ReferenceRoute::Dense),
            "streamed" | "stream" => Ok(ReferenceRoute::Streamed),
            "topk" | "top-k" => Ok(ReferenceRoute::TopK),
            _ => Err(Error::invalid(
                "reference",
                s,
                "auto, dense, streamed or topk",
            )),
        }
    }
}

/// What to validate: the study and how it is checked.
///
/// For a user's matrix ([`super::Features::Matrix`]) there is no network to
/// evaluate elsewhere: `eval_points` is empty and the evaluation-grid check
/// is not made (reported as absent, never as passed).
#[derive(Clone, Debug)]
pub struct ValidateConfig {
    /// Design, target, learning rate and checkpoints.
    pub study: StudyConfig,
    /// Evaluation grid (points in any order); empty for a user's matrix.
    pub eval_points: Vec<f64>,
    /// Re-run the f64 CPU reference up to this q as a sanity line (None: never).
    /// Ignored when the engine under test is itself f64.
    pub cpu_check_q_max: Option<u64>,
    /// Safety factor of the error model.
    pub safety: f64,
    /// How the f64 prediction is computed.
    pub reference: ReferenceRoute,
    /// Components of the top-K route.
    pub k: usize,
}

impl ValidateConfig {
    /// A configuration with the default evaluation grid, sanity-line budget and safety factor.
    #[must_use]
    pub fn new(study: StudyConfig) -> Self {
        let (n, m) = (study.features.n(), study.features.m());
        let eval_points = if study.features.design().is_some() {
            default_eval_points(n)
        } else {
            Vec::new()
        };
        ValidateConfig {
            eval_points,
            cpu_check_q_max: Some(default_cpu_check_q_max(n, m)),
            study,
            safety: SAFETY,
            reference: ReferenceRoute::Auto,
            k: TOPK_K,
        }
    }

    /// The engine's batch (α resolved): one run, w and the evaluation grid recorded.
    fn batch(&self, alpha: f64) -> GdBatch {
        let mut b = self.study.batch(alpha);
        b.record_w = true;
        b.eval_points = (!self.eval_points.is_empty()).then(|| self.eval_points.clone());
        b
    }

    /// Everything that can be checked before the SVD: the study's own rules
    /// and the model's parameters.
    fn check(&self) -> Result<()> {
        self.study.check()?;
        if !(self.safety.is_finite() && self.safety > 0.0) {
            return Err(Error::invalid(
                "safety factor",
                self.safety,
                "a finite number > 0",
            ));
        }
        match (self.study.features.design(), self.eval_points.len()) {
            (Some(_), 0) => Err(Error::invalid(
                "evaluation grid",
                "no points",
                "at least one point",
            )),
            (None, p) if p > 0 => Err(Error::invalid(
                "evaluation grid",
                format!("{p} points with a user's matrix A"),
                "no evaluation grid: a matrix has no network to evaluate at other points",
            )),
            _ => Ok(()),
        }
    }
}

/// How the operator is held for the reference.
enum Operand<'c> {
    /// A, the network on the evaluation grid (0 rows for a user's matrix) and
    /// their thin SVD.
    Dense {
        a: Arc<Mat<f64>>,
        a_eval: Mat<f64>,
        svd: ThinSvd,
    },
    /// A never stored: the streamed basis (U, s) or the K leading
    /// components (with `tail`), and the norms of one pass.
    Streamed {
        design: &'c Design,
        basis: Basis,
        norms: streamed::Norms,
        tail: Option<Tail>,
    },
}

/// What the top-K route leaves out: components whose singular values are at
/// most `s` and that carry a share of y of norm `y`.
#[derive(Clone, Copy, Debug)]
struct Tail {
    s: f64,
    y: f64,
}

/// What every check of one configuration starts from: the operator (dense
/// or streamed), its spectrum and norms, α.
struct Setup<'c> {
    cfg: &'c ValidateConfig,
    operand: Operand<'c>,
    s_max: f64,
    alpha: f64,
    inputs: ModelInputs,
    /// The top-K route's spectrum summary.
    topk: Option<TopkInfo>,
}

impl<'c> Setup<'c> {
    /// `twin`: the engine under test computes in f32, so the error model
    /// needs the kernels' matrices.
    fn new(cfg: &'c ValidateConfig, twin: bool) -> Result<Self> {
        let d = &cfg.study.features;
        let route = cfg.reference.resolve(d, cfg.eval_points.len(), cfg.k)?;
        match (route, d.design()) {
            (ReferenceRoute::Streamed, Some(design)) => Self::streamed(cfg, design, twin),
            (ReferenceRoute::TopK, Some(design)) => Self::topk(cfg, design, twin),
            _ => Self::dense(cfg),
        }
    }

    fn dense(cfg: &'c ValidateConfig) -> Result<Self> {
        let d = &cfg.study.features;
        let a = d.a();
        let a_eval = d.matrix_at(&cfg.eval_points)?;
        let svd = thin_svd(Mat::as_ref(&a))?;
        let (s_max, alpha) = cfg.study.resolve(&svd)?;
        let inputs = ModelInputs {
            n: d.n(),
            m: d.m(),
            alpha,
            s_max,
            a_fro: a.norm_l2(),
            a_eval_two: largest_singular_value_to(a_eval.as_ref(), NORM_RTOL)?,
            svd_backward_error: svd_backward_error(&a, &svd),
        };
        Ok(Setup {
            cfg,
            operand: Operand::Dense { a, a_eval, svd },
            s_max,
            alpha,
            inputs,
            topk: None,
        })
    }

    fn streamed(cfg: &'c ValidateConfig, design: &'c Design, twin: bool) -> Result<Self> {
        let spec = streamed_spectrum(design, &StreamOptions::default())?;
        let Some(u) = spec.u else {
            return Err(Error::invalid(
                "reference",
                "streamed for a tall design",
                "a design with N <= M",
            ));
        };
        let (s_max, alpha) = cfg
            .study
            .resolve_s_max(spec.s.first().copied().unwrap_or(0.0))?;
        let norms = streamed::norms(design, &cfg.eval_points, twin);
        let inputs = ModelInputs {
            n: design.n(),
            m: design.m(),
            alpha,
            s_max,
            // Orthogonal transformations keep ‖A‖_F = ‖R‖_F = ‖s‖.
            a_fro: spec.s.iter().map(|v| v * v).sum::<f64>().sqrt(),
            a_eval_two: norms.a_eval_fro,
            svd_backward_error: streamed::backward_error(design.n().max(design.m())),
        };
        Ok(Setup {
            cfg,
            operand: Operand::Streamed {
                design,
                basis: Basis {
                    u,
                    s: spec.s,
                    v: None,
                },
                norms,
                tail: None,
            },
            s_max,
            alpha,
            inputs,
            topk: None,
        })
    }

    /// The top-K route: the K leading triplets, exact for A + E with ‖E‖₂
    /// bounded by their residuals ([`crate::spectral::perturbation_bound`]);
    /// ‖E‖ enters the model as the SVD's backward error, and every singular
    /// value left out is at most ŝ_K + ‖E‖ (Weyl, taking the computed
    /// triplets as the K largest, which block Krylov finds from a random start).
    fn topk(cfg: &'c ValidateConfig, design: &'c Design, twin: bool) -> Result<Self> {
        let spec = topk_of_design(design, &TopkOptions::new(cfg.k))?;
        let e_abs = perturbation_bound(&spec);
        let (s_max, alpha) = cfg
            .study
            .resolve_s_max(spec.s.first().copied().unwrap_or(0.0))?;
        let norms = streamed::norms(design, &cfg.eval_points, twin);
        let (s_tail, y_tail) = spec.tail(&cfg.study.y);
        let l = design.n().max(design.m());
        let e_rel = if norms.a_fro > 0.0 {
            e_abs / norms.a_fro
        } else {
            0.0
        };
        let inputs = ModelInputs {
            n: design.n(),
            m: design.m(),
            alpha,
            s_max,
            a_fro: norms.a_fro,
            a_eval_two: norms.a_eval_fro,
            svd_backward_error: streamed::backward_error(l).max(e_rel),
        };
        let tail = Tail {
            s: s_tail,
            y: y_tail,
        };
        let topk = TopkInfo::from(&spec);
        Ok(Setup {
            cfg,
            operand: Operand::Streamed {
                design,
                basis: Basis {
                    u: spec.u,
                    s: spec.s,
                    v: Some(spec.v),
                },
                norms,
                tail: Some(tail),
            },
            s_max,
            alpha,
            inputs,
            topk: Some(topk),
        })
    }

    fn features(&self) -> &'c Features {
        &self.cfg.study.features
    }

    /// The route taken.
    fn route(&self) -> ReferenceRoute {
        match self.operand {
            Operand::Dense { .. } => ReferenceRoute::Dense,
            Operand::Streamed { tail: None, .. } => ReferenceRoute::Streamed,
            Operand::Streamed { tail: Some(_), .. } => ReferenceRoute::TopK,
        }
    }

    /// The network on the evaluation grid as the f32 kernels form it (0 rows
    /// without a grid).
    fn eval_twin(&self) -> Mat<f64> {
        if self.cfg.eval_points.is_empty() {
            Mat::zeros(0, self.features().m())
        } else {
            self.features().f32_twin(&self.cfg.eval_points)
        }
    }

    fn problem(&self) -> Problem<'_> {
        match &self.operand {
            Operand::Dense { a, a_eval, .. } => {
                let p = self.features().problem(a).with_s_max(self.s_max);
                if self.cfg.eval_points.is_empty() {
                    p
                } else {
                    p.with_eval_matrix(a_eval.as_ref())
                }
            }
            Operand::Streamed { design, .. } => Problem::from_design(design).with_s_max(self.s_max),
        }
    }

    /// How far the f32 kernels' matrices are from A and A_e.
    fn rounding(&self) -> Result<(Rounding, Rounding)> {
        match &self.operand {
            Operand::Dense { a, a_eval, .. } => {
                let d = self.features();
                Ok((
                    f32_rounding(d.f32_twin(&d.x()).as_ref(), Mat::as_ref(a))?,
                    f32_rounding(self.eval_twin().as_ref(), a_eval.as_ref())?,
                ))
            }
            Operand::Streamed { norms, .. } => norms.rounding.ok_or_else(|| {
                Error::invalid(
                    "engine",
                    "an f32 engine after an f64 set-up",
                    "the engine the reference was set up for",
                )
            }),
        }
    }

    /// The error model of an engine that holds the operator as `operator`.
    fn model(&self, info: &EngineInfo, operator: Operator) -> Result<ErrorModel> {
        let r = if operator == Operator::ExactF64 {
            None
        } else {
            Some(self.rounding()?)
        };
        let arith = Arithmetic {
            precision: info.precision,
            operator,
            summation: info.summation,
        };
        Ok(ErrorModel::new(arith, self.inputs, r, self.cfg.safety))
    }

    /// An empty report for `engine` under `model`.
    fn report(&self, engine: &EngineInfo, model: ErrorModel) -> ValidateReport {
        let d = self.features();
        ValidateReport {
            design: d.label(),
            n: d.n(),
            m: d.m(),
            signal: self.cfg.study.signal.clone(),
            alpha: self.alpha,
            alpha_s_max2: self.alpha * self.s_max * self.s_max,
            s_max: self.s_max,
            engine: engine.name.clone(),
            device: engine.device.clone(),
            software: engine.software,
            eval_points: self.cfg.eval_points.len(),
            reference: self.route(),
            topk: self.topk.clone(),
            model,
            cpu_model: None,
            cpu_checked_to: None,
            checkpoints: Vec::new(),
            directions: Vec::new(),
            divergence: None,
            failures: Vec::new(),
            passed: false,
        }
    }

    /// The f64 CPU sanity line for an f32 engine, up to its budget.
    fn cpu_line(
        &self,
        info: &EngineInfo,
        batch: &GdBatch,
        progress: &dyn Progress,
    ) -> Result<Option<Trajectory>> {
        let (Precision::F32, Some(q_max)) = (info.precision, self.cfg.cpu_check_q_max) else {
            return Ok(None);
        };
        let qs: Vec<u64> = batch
            .checkpoints
            .iter()
            .copied()
            .filter(|&q| q <= q_max)
            .collect();
        if qs.is_empty() {
            return Ok(None);
        }
        let mut b = batch.clone();
        b.checkpoints = qs;
        Ok(Some(CpuEngine.run(&self.problem(), &b, progress)?))
    }

    /// The f64 prediction, with the computed Gram term for Gram engines.
    fn reference(self, operator: Operator) -> Result<Reference> {
        let cfg = self.cfg;
        let gram = operator == Operator::GramF32;
        match self.operand {
            Operand::Dense { a, a_eval, svd } => {
                let mut refs = Reference::new(cfg, self.alpha, &a, &a_eval, svd)?;
                if gram {
                    let d = &cfg.study.features;
                    let a_twin = d.f32_twin(&d.x());
                    let ae_twin = if cfg.eval_points.is_empty() {
                        Mat::zeros(0, d.m())
                    } else {
                        d.f32_twin(&cfg.eval_points)
                    };
                    let run = GdRun {
                        a: a_twin.as_ref(),
                        a_eval: ae_twin.as_ref(),
                        y: &cfg.study.y,
                        alpha: self.alpha,
                        qs: &cfg.study.qs,
                    };
                    let effect = gram_effect(
                        &run,
                        RefStates {
                            f: &refs.f,
                            f_eval: &refs.f_eval,
                            w: &refs.w,
                        },
                    )?;
                    set_gram(&mut refs, effect);
                }
                Ok(refs)
            }
            Operand::Streamed {
                design,
                basis,
                tail,
                ..
            } => {
                let mut refs = streamed::reference(cfg, design, self.alpha, basis)?;
                if let Some(t) = tail {
                    for rn in &mut refs.norms {
                        let (mu_f, mu_w) = tail_bounds(self.alpha, rn.q, t.s);
                        rn.truncation = Truncation {
                            f: mu_f * t.y,
                            f_eval: self.inputs.a_eval_two * mu_w * t.y,
                            w: mu_w * t.y,
                        };
                    }
                }
                if gram {
                    let effect = streamed::gram_effect(cfg, design, self.alpha, &refs)?;
                    set_gram(&mut refs, effect);
                }
                Ok(refs)
            }
        }
    }
}

fn set_gram(refs: &mut Reference, effect: Vec<crate::precision::GramTerms>) {
    for (rn, g) in refs.norms.iter_mut().zip(effect) {
        rn.gram = Some(g);
    }
}

/// Validates `engine` on `cfg` (see the module docs); `progress` hears every
/// engine run. Errors are returned for bad input and for engines that fail to
/// run; failed checks are in the report.
pub fn validate(
    cfg: &ValidateConfig,
    engine: &dyn Engine,
    progress: &dyn Progress,
) -> Result<ValidateReport> {
    cfg.check()?;
    let info = engine.info();
    let setup = Setup::new(cfg, info.precision == Precision::F32)?;
    if setup.alpha * setup.s_max * setup.s_max >= 2.0 {
        // Before a run the operator of an f32 engine is taken as its design.
        let operator = match info.precision {
            Precision::F64 => Operator::ExactF64,
            Precision::F32 => Operator::DesignF32,
        };
        let report = setup.report(&info, setup.model(&info, operator)?);
        return divergence::diverge(cfg, &setup, engine, progress, report);
    }

    let batch = cfg.batch(setup.alpha);
    let traj = engine.run(&setup.problem(), &batch, progress)?;
    let operator = traj.engine.operator();
    let mut report = setup.report(&traj.engine, setup.model(&traj.engine, operator)?);
    let cpu_traj = setup.cpu_line(&info, &batch, progress)?;
    if let Some(t) = &cpu_traj {
        report.cpu_checked_to = t.checkpoints.last().map(|c| c.q);
        report.cpu_model = Some(setup.model(&t.engine, Operator::ExactF64)?);
    }
    let refs = setup.reference(operator)?;
    let cpu_label = EngineInfo::cpu_f64().label;
    for (label, t) in std::iter::once((report.engine.clone(), &traj))
        .chain(cpu_traj.iter().map(|t| (cpu_label.clone(), t)))
    {
        if let Some(f) = checks::status_failure(&label, t) {
            report.failures.push(f);
        }
    }
    for (qi, &q) in cfg.study.qs.iter().enumerate() {
        checks::checkpoint(&mut report, &refs, (qi, q), &traj, cpu_traj.as_ref());
    }
    report.passed = report.failures.is_empty();
    Ok(report)
}
