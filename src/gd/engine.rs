//! The one engine abstraction: a problem and a batch in, a trajectory out.
//!
//! Every engine iterates $w_{q+1} = w_q + \alpha A^\top (y - A w_q)$ and
//! returns the same [`super::Trajectory`]. The f64 CPU reference
//! ([`super::CpuEngine`]) and the f32 GPU engine (`gpu::GpuEngine`) are its two
//! implementations; `validate`, `compare`, `reproduce` and the CLI drive them
//! through [`Engine::run`] only.
//!
//! What the checks need to know about an engine is typed metadata,
//! [`EngineInfo`]: its arithmetic ([`Precision`]), how it holds the operator
//! ([`Operator`], which decides the matrix term of the error model), how its
//! products sum ([`Summation`]), its [`Strategy`], where it ran and whether
//! that was a software adapter. [`Engine::info`] describes the engine before a
//! run; the trajectory carries the same description as the run resolved it
//! (an automatic strategy replaced by the one used).

use std::fmt;
use std::str::FromStr;

use faer::MatRef;
use serde::{Deserialize, Serialize};

use super::{GdBatch, Trajectory};
use crate::error::{Error, Result};
use crate::model::Design;

/// Floating-point format of an engine's arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// IEEE binary64.
    F64,
    /// IEEE binary32.
    F32,
}

impl Precision {
    /// Unit roundoff u (half the machine epsilon): 2⁻⁵³ or 2⁻²⁴.
    #[must_use]
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::F64 => f64::EPSILON / 2.0,
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
        }
    }
}

/// How an engine holds the operator; decides the matrix term of the error model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// A in f64, the very matrix the reference SVD factors.
    ExactF64,
    /// A (stored or recomputed in the kernels) from grids and σ rounded to f32,
    /// z = σ·(x − b) and η evaluated in f32.
    DesignF32,
    /// The Gram matrix K = AAᵀ (or AᵀA) formed once and rounded to f32; the
    /// iteration runs in the smaller space.
    GramF32,
}

/// How an engine's products accumulate their sums (decides the reduction term).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Summation {
    /// Plain floating-point sums: the error of an n-term sum grows like √n·u
    /// (probabilistic estimate).
    Plain,
    /// Compensated (Kahan) sums: about 2u, whatever n.
    Compensated,
}

impl Summation {
    /// γ(n): the error of an n-term sum in units of u·Σ|terms|.
    #[must_use]
    pub fn gamma(self, n: usize) -> f64 {
        match self {
            Summation::Plain => (n as f64).sqrt(),
            Summation::Compensated => 2.0,
        }
    }
}

/// How an engine iterates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Pick one from the sizes (the GPU engine's cost model).
    #[default]
    Auto,
    /// Iterate w with A stored (N×M).
    Primal,
    /// Form K = AAᵀ (N ≤ M) or G = AᵀA once and iterate in the smaller space.
    Dual,
    /// Recompute η(σ(x − b)) inside the kernels; A is never stored.
    MatrixFree,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Auto => "auto",
            Strategy::Primal => "primal",
            Strategy::Dual => "dual",
            Strategy::MatrixFree => "matrix-free",
        })
    }
}

impl FromStr for Strategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Strategy::Auto),
            "primal" => Ok(Strategy::Primal),
            "dual" => Ok(Strategy::Dual),
            "matrix-free" | "matrixfree" | "matfree" => Ok(Strategy::MatrixFree),
            _ => Err(Error::invalid(
                "strategy",
                format!("'{s}'"),
                "auto, primal, dual or matrix-free",
            )),
        }
    }
}

/// Device memory the GPU engine's `Auto` strategy may use for stored
/// matrices (A, K or G) unless told otherwise: 2 GiB (wgpu cannot query the
/// size of device memory). Sweeps check their device plans against it too.
pub const DEFAULT_MEMORY_BUDGET: u64 = 2 << 30;

/// What an engine is, typed: everything a check or a report needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// Short name for tables: `cpu-f64`, `gpu-f32 (dual)`.
    pub label: String,
    /// The full description a run names itself by, e.g. `cpu-f64` or
    /// `gpu-f32 dual [dual K = A A^T (256x256), A stored] on <adapter>`.
    pub name: String,
    /// Where it runs: the CPU with its threads, or the GPU adapter.
    pub device: String,
    /// The GPU adapter's name (none on the CPU).
    pub adapter: Option<String>,
    /// True on a software adapter: timings then say nothing about a GPU.
    pub software: bool,
    /// Arithmetic of the iteration.
    pub precision: Precision,
    /// How its products sum.
    pub summation: Summation,
    /// How it iterates ([`Strategy::Auto`] only before a run).
    pub strategy: Strategy,
}

impl EngineInfo {
    /// How the operator is held: exact for f64 engines; for f32 engines the
    /// Gram matrix with the dual strategy, else the f32 design. An automatic
    /// strategy not yet resolved counts as the dual, whose model is the wider.
    #[must_use]
    pub fn operator(&self) -> Operator {
        match (self.precision, self.strategy) {
            (Precision::F64, _) => Operator::ExactF64,
            (Precision::F32, Strategy::Primal | Strategy::MatrixFree) => Operator::DesignF32,
            (Precision::F32, Strategy::Dual | Strategy::Auto) => Operator::GramF32,
        }
    }

    /// The f64 CPU reference's description ([`super::CpuEngine`]).
    #[must_use]
    pub fn cpu_f64() -> Self {
        EngineInfo {
            label: "cpu-f64".into(),
            name: "cpu-f64".into(),
            device: format!("CPU ({} threads, faer)", rayon::current_num_threads()),
            adapter: None,
            software: false,
            precision: Precision::F64,
            summation: Summation::Plain,
            strategy: Strategy::Primal,
        }
    }
}

impl fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Progress of a long computation. The library never prints: a front end
/// implements this (progress bars on a terminal, plain lines in batch logs).
/// Every method has an empty default; calls must be cheap.
pub trait Progress: Sync {
    /// A new stage, `what`, with `total` steps begins.
    fn begin(&self, what: &str, total: u64) {
        let _ = (what, total);
    }
    /// `done` steps of the current stage are done.
    fn set(&self, done: u64) {
        let _ = done;
    }
    /// `n` more steps of the current stage are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// The current stage is finished.
    fn finish(&self) {}
    /// True when the caller wants the computation stopped (Ctrl-C in a front
    /// end). Engines ask after each [`Progress::set`] (every
    /// [`super::CHECK_EVERY`] iterations on the CPU, every chunk on the GPU)
    /// and return [`Error::Interrupted`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// What an engine is handed besides the batch: the network (a [`Design`]),
/// or a user's own matrix A, with what the caller already computed.
#[derive(Clone, Copy, Debug)]
pub struct Problem<'a> {
    design: Option<&'a Design>,
    a: Option<MatRef<'a, f64>>,
    a_eval: Option<MatRef<'a, f64>>,
    s_max: Option<f64>,
}

impl<'a> Problem<'a> {
    /// The network of `design`; engines build A (and the network at the
    /// evaluation points) themselves unless given with [`Problem::with_matrix`].
    #[must_use]
    pub fn from_design(design: &'a Design) -> Self {
        Problem {
            design: Some(design),
            a: None,
            a_eval: None,
            s_max: None,
        }
    }

    /// Any N×M matrix A (engines that build A from a design refuse it).
    #[must_use]
    pub fn from_matrix(a: MatRef<'a, f64>) -> Self {
        Problem {
            design: None,
            a: Some(a),
            a_eval: None,
            s_max: None,
        }
    }

    /// A already built in f64 (the design's, so it is not built again).
    #[must_use]
    pub fn with_matrix(mut self, a: MatRef<'a, f64>) -> Self {
        self.a = Some(a);
        self
    }

    /// The network at the batch's evaluation points (rows), already built.
    #[must_use]
    pub fn with_eval_matrix(mut self, a_eval: MatRef<'a, f64>) -> Self {
        self.a_eval = Some(a_eval);
        self
    }

    /// The largest singular value of A: enables the up-front stability check
    /// α < 2/s_max² of every run.
    #[must_use]
    pub fn with_s_max(mut self, s_max: f64) -> Self {
        self.s_max = Some(s_max);
        self
    }

    /// The design, when the problem has one.
    #[must_use]
    pub fn design(&self) -> Option<&'a Design> {
        self.design
    }

    /// A in f64, when given.
    #[must_use]
    pub fn matrix(&self) -> Option<MatRef<'a, f64>> {
        self.a
    }

    /// The network at the evaluation points, when given.
    #[must_use]
    pub fn eval_matrix(&self) -> Option<MatRef<'a, f64>> {
        self.a_eval
    }

    /// s_max, when given.
    #[must_use]
    pub fn s_max(&self) -> Option<f64> {
        self.s_max
    }

    /// (N, M).
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        match (self.design, self.a) {
            (Some(d), _) => (d.n(), d.m()),
            (None, Some(a)) => (a.nrows(), a.ncols()),
            (None, None) => (0, 0),
        }
    }

    /// Checks that a given A (and evaluation matrix) has the design's shape.
    pub(crate) fn check(&self, batch: &GdBatch) -> Result<()> {
        let (n, m) = self.shape();
        if let (Some(d), Some(a)) = (self.design, self.a)
            && (a.nrows(), a.ncols()) != (d.n(), d.m())
        {
            return Err(Error::invalid(
                "matrix A",
                format!("{}x{}", a.nrows(), a.ncols()),
                format!("the design's shape N x M = {n}x{m}"),
            ));
        }
        // An evaluation matrix serves a batch with evaluation points; a batch
        // without them does not read it.
        if let (Some(ae), Some(points)) = (self.a_eval, &batch.eval_points) {
            let p = points.len();
            if (ae.nrows(), ae.ncols()) != (p, m) {
                return Err(Error::invalid(
                    "evaluation matrix",
                    format!("{}x{}", ae.nrows(), ae.ncols()),
                    format!("one row per evaluation point and one column per weight: {p}x{m}"),
                ));
            }
        }
        Ok(())
    }
}

/// A gradient-descent engine: problem + batch + progress → trajectory.
pub trait Engine {
    /// What the engine is (an automatic strategy is resolved per run, in the
    /// trajectory's [`EngineInfo`]).
    fn info(&self) -> EngineInfo;

    /// True when the engine iterates with the f64 A on the host: a caller that
    /// has built A passes it with [`Problem::with_matrix`] so it is not built
    /// twice. False when the engine builds the operator itself from the design.
    fn needs_host_matrix(&self) -> bool {
        true
    }

    /// Runs the batch. Divergence and non-finite values are recorded per run
    /// in the trajectory's status (use [`super::Trajectory::into_result`] to
    /// make them an error); `progress` hears the iterations done.
    fn run(
        &self,
        problem: &Problem<'_>,
        batch: &GdBatch,
        progress: &dyn Progress,
    ) -> Result<Trajectory>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_follows_precision_and_strategy() {
        let mut info = EngineInfo::cpu_f64();
        assert_eq!(info.operator(), Operator::ExactF64);
        info.precision = Precision::F32;
        for (s, op) in [
            (Strategy::Primal, Operator::DesignF32),
            (Strategy::MatrixFree, Operator::DesignF32),
            (Strategy::Dual, Operator::GramF32),
            (Strategy::Auto, Operator::GramF32),
        ] {
            info.strategy = s;
            assert_eq!(info.operator(), op, "{s}");
        }
        assert_eq!(Precision::F32.unit_roundoff(), 2f64.powi(-24));
        assert_eq!(Precision::F64.unit_roundoff(), 2f64.powi(-53));
    }

    #[test]
    fn strategy_names() {
        for s in [
            Strategy::Auto,
            Strategy::Primal,
            Strategy::Dual,
            Strategy::MatrixFree,
        ] {
            assert_eq!(s.to_string().parse::<Strategy>().unwrap(), s);
        }
        assert!("diagonal".parse::<Strategy>().is_err());
    }
}
