//! What `validate` reports: errors next to tolerances per checkpoint, the
//! empirical mask per direction, every failed check, and divergence.

use serde::Serialize;

use crate::gd::RunStatus;
use crate::precision::{ErrorModel, Tolerance};

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
    pub(crate) fn new(err: f64, tol: Tolerance) -> Self {
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
    /// f on the evaluation grid (None without one: a user's matrix).
    pub f_eval: Option<Measured>,
    /// w.
    pub w: Measured,
}

/// Relative gap ‖gd_flow − gd_exact‖/‖gd_exact‖ per space.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FlowGap {
    /// At the samples.
    pub f: f64,
    /// On the evaluation grid (None without one).
    pub f_eval: Option<f64>,
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

/// The result of [`super::validate`].
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
    /// How the f64 prediction was computed (dense, streamed or topk).
    pub reference: super::ReferenceRoute,
    /// The top-K route's spectrum (K, steps, passes, largest residual).
    pub topk: Option<crate::spectral::TopkInfo>,
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
