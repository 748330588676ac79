//! The gradient-descent engine as a parameter: the f64 CPU reference or the
//! f32 GPU engine with a strategy, behind one trait.
//!
//! Both engines iterate $w_{q+1} = w_q + \alpha A^\top (y - A w_q)$ and return
//! the same [`Trajectory`]; [`GdEngine`] adds what the checks need to know about
//! an engine: its arithmetic ([`Precision`]), how it holds the operator
//! ([`Operator`], which decides the matrix term of the error model) and where
//! it ran.

use faer::MatRef;
use serde::Serialize;

use crate::cpu_gd;
use crate::design::Design;
use crate::error::Result;
use crate::gpu::{GpuContext, GpuGdOptions, Strategy, run_gd_with_progress};
use crate::trajectory::{GdBatch, Trajectory};

/// Floating-point format of an engine's arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// IEEE binary64.
    F64,
    /// IEEE binary32.
    F32,
}

impl Precision {
    /// Unit roundoff u (half the machine epsilon): 2⁻⁵³ or 2⁻²⁴.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::F64 => f64::EPSILON / 2.0,
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
        }
    }
}

/// How an engine holds the operator; decides the matrix term of the error model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    pub fn gamma(self, n: usize) -> f64 {
        match self {
            Summation::Plain => (n as f64).sqrt(),
            Summation::Compensated => 2.0,
        }
    }
}

/// What an engine is handed besides the batch.
#[derive(Clone, Copy, Debug)]
pub struct Problem<'a> {
    /// Activation, σ, samples and biases (GPU engines build A from it).
    pub design: &'a Design,
    /// A in f64 (N×M), for CPU engines.
    pub a: MatRef<'a, f64>,
    /// The network at the evaluation points (rows), when the batch asks for them.
    pub a_eval: Option<MatRef<'a, f64>>,
    /// Largest singular value of A (for the stability check α < 2/s_max²).
    pub s_max: f64,
}

/// A gradient-descent engine that [`crate::validate`] and [`crate::compare`] can drive.
pub trait GdEngine {
    /// Short name for tables, e.g. `cpu-f64` or `gpu-f32 (primal)`.
    fn label(&self) -> String;
    /// Where it runs, e.g. the CPU or the GPU adapter (software adapters say so).
    fn device(&self) -> String;
    /// True when timings say nothing about a real GPU (software rasteriser).
    fn software(&self) -> bool {
        false
    }
    /// Arithmetic of the iteration.
    fn precision(&self) -> Precision;
    /// How its products sum (plain unless the engine documents compensation).
    fn summation(&self) -> Summation {
        Summation::Plain
    }
    /// True when the engine iterates with the f64 A of [`Problem::a`] (built on
    /// the host); false when it builds the operator itself from the design.
    fn needs_host_matrix(&self) -> bool {
        true
    }
    /// How the operator was held in the run that produced `trajectory`
    /// (an automatic strategy is resolved from the trajectory's engine name).
    fn operator(&self, trajectory: &Trajectory) -> Operator;
    /// Runs the batch.
    fn run(&self, problem: &Problem<'_>, batch: &GdBatch) -> Result<Trajectory>;
    /// Runs the batch, calling `progress(q)` with the iterations done from time
    /// to time (for progress bars; the callback must be cheap). The default
    /// runs [`GdEngine::run`] and never calls it.
    fn run_with_progress(
        &self,
        problem: &Problem<'_>,
        batch: &GdBatch,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Trajectory> {
        let _ = progress;
        self.run(problem, batch)
    }
}

/// The f64 reference ([`crate::cpu_gd`]) on the CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuEngine;

impl GdEngine for CpuEngine {
    fn label(&self) -> String {
        "cpu-f64".into()
    }
    fn device(&self) -> String {
        format!("CPU ({} threads, faer)", rayon::current_num_threads())
    }
    fn precision(&self) -> Precision {
        Precision::F64
    }
    fn operator(&self, _: &Trajectory) -> Operator {
        Operator::ExactF64
    }
    fn run(&self, p: &Problem<'_>, batch: &GdBatch) -> Result<Trajectory> {
        self.run_with_progress(p, batch, &mut |_| {})
    }
    fn run_with_progress(
        &self,
        p: &Problem<'_>,
        batch: &GdBatch,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Trajectory> {
        cpu_gd::run_with_progress(p.a, batch, Some(p.s_max), p.a_eval, progress)
    }
}

/// The f32 GPU engine ([`crate::gpu::run_gd`]) with a strategy.
#[derive(Debug)]
pub struct GpuEngine<'c> {
    /// Device and queue.
    pub ctx: &'c GpuContext,
    /// Primal, dual, matrix-free or automatic.
    pub strategy: Strategy,
}

impl<'c> GpuEngine<'c> {
    /// An engine on `ctx` with `strategy`.
    pub fn new(ctx: &'c GpuContext, strategy: Strategy) -> Self {
        GpuEngine { ctx, strategy }
    }
}

/// The strategy named in an engine string (`… dual …`), if any.
pub fn strategy_in_label(label: &str) -> Option<Strategy> {
    let l = label.to_ascii_lowercase();
    if l.contains("matrix-free") || l.contains("matrixfree") || l.contains("matfree") {
        Some(Strategy::MatrixFree)
    } else if l.contains("dual") {
        Some(Strategy::Dual)
    } else if l.contains("primal") {
        Some(Strategy::Primal)
    } else {
        None
    }
}

impl GdEngine for GpuEngine<'_> {
    fn label(&self) -> String {
        format!("gpu-f32 ({})", self.strategy)
    }
    fn device(&self) -> String {
        self.ctx.describe()
    }
    fn software(&self) -> bool {
        self.ctx.adapter.software
    }
    fn precision(&self) -> Precision {
        Precision::F32
    }
    /// Every product of the GPU engine accumulates with Kahan compensation (`shaders/skinny.wgsl`, `gram.wgsl`).
    fn summation(&self) -> Summation {
        Summation::Compensated
    }
    fn needs_host_matrix(&self) -> bool {
        false
    }
    fn operator(&self, trajectory: &Trajectory) -> Operator {
        let used = match self.strategy {
            Strategy::Auto => strategy_in_label(&trajectory.engine),
            s => Some(s),
        };
        match used {
            Some(Strategy::Primal) | Some(Strategy::MatrixFree) => Operator::DesignF32,
            // Dual, or an automatic choice the engine did not name: the model
            // with the Gram term is the wider of the two.
            _ => Operator::GramF32,
        }
    }
    fn run(&self, p: &Problem<'_>, batch: &GdBatch) -> Result<Trajectory> {
        self.run_with_progress(p, batch, &mut |_| {})
    }
    fn run_with_progress(
        &self,
        p: &Problem<'_>,
        batch: &GdBatch,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Trajectory> {
        let opts = GpuGdOptions {
            strategy: self.strategy,
            s_max: Some(p.s_max),
            ..GpuGdOptions::default()
        };
        run_gd_with_progress(self.ctx, p.design, batch, &opts, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_in_engine_strings() {
        assert_eq!(strategy_in_label("gpu llvmpipe dual"), Some(Strategy::Dual));
        assert_eq!(
            strategy_in_label("GPU (Matrix-Free)"),
            Some(Strategy::MatrixFree)
        );
        assert_eq!(strategy_in_label("gpu primal"), Some(Strategy::Primal));
        assert_eq!(strategy_in_label("gpu"), None);
        assert_eq!(Precision::F32.unit_roundoff(), 2f64.powi(-24));
        assert_eq!(Precision::F64.unit_roundoff(), 2f64.powi(-53));
    }
}
