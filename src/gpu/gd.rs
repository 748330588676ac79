//! Batched full-batch gradient descent on the GPU (f32).
//!
//! B runs share A (activation, σ, grids) and differ in y_b, α_b and w₀,b:
//!
//! $$W_{q+1} = W_q + A^\top (Y - A W_q)\,\operatorname{diag}(\alpha)$$
//!
//! (f64 twin: [`crate::cpu_gd::run`]). Every product is a matrix–matrix
//! kernel over all B columns, so A (or K, G) is read once per product for the
//! whole batch. Iterations are recorded back to back into one command buffer
//! per chunk ([`Plan::chunk`](super::plan::Plan) iterations); at each checkpoint
//! the state is copied into a read-back buffer on the device, which is read once
//! per chunk. At every observation (checkpoints, chunk ends) the residual norm
//! of every run is computed on the GPU and fed to [`crate::cpu_gd::ResidualWatch`]: a run that
//! produces NaN/∞ or whose residual grows is recorded in
//! [`Trajectory::status`] and frozen (α_b = 0), the others go on; nothing
//! already computed is lost.
//!
//! Strategies (see [`super::plan`](mod@super::plan) for the cost model behind `Auto`):
//!
//! * **primal** — A stored (row blocks); a step is P = Aᵀ·R, W += α∘ΣP,
//!   P = A·W, R = Y − ΣP.
//! * **dual, sample space** (N ≤ M) — K = AAᵀ formed once. Writing
//!   w_q = w₀ + Aᵀc_q, the GD step is c_{q+1} = c_q + α·r_q with
//!   r_q = y' − K c_q, y' = y − A w₀: the same iterates as the primal in exact
//!   arithmetic, for any w₀. A step is C += α∘R, P = K·C, R = Y' − ΣP (2·N²·B
//!   flops). f = y − r at the samples; w_q = w₀ + Aᵀc_q is rebuilt only at
//!   checkpoints that record w or f on the evaluation grid.
//! * **dual, weight space** (M < N) — G = AᵀA and h = Aᵀy formed once; the step
//!   is w += α·(h − G w) (2·M²·B flops), exactly the primal step rearranged;
//!   r = y − A w is computed at observations only.
//! * **matrix-free** — the primal with η(σ(x − b)) recomputed inside the
//!   product kernels' tile loads: A is never stored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::GpuContext;
use super::engine::{Engine, KERNEL};
use super::ops;
use super::plan::{self, Plan};
use crate::design::Design;
use crate::error::{Error, Result};
use crate::trajectory::{GdBatch, Trajectory};

/// How the GPU iterates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Pick one from the sizes (see [`plan()`](super::plan::plan)).
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

/// Options of a GPU batch.
#[derive(Clone, Debug, Default)]
pub struct GpuGdOptions {
    /// Strategy (Auto picks from the sizes).
    pub strategy: Strategy,
    /// Largest singular value of A, for the up-front stability check α < 2/s_max².
    pub s_max: Option<f64>,
    /// Device memory for stored matrices (A, K or G) that `Auto` may use, bytes
    /// (default [`plan::DEFAULT_MEMORY_BUDGET`]).
    pub memory_budget: Option<u64>,
    /// Iterations per submission (= spacing of the NaN/divergence checks between
    /// checkpoints). Default: from the cost model, 16 with `allow_unstable`.
    pub chunk: Option<u64>,
}

/// Runs the batch on the GPU; the returned trajectory's `engine` names the
/// adapter and the strategy used. Runs that diverge are reported in
/// [`Trajectory::status`] (as [`crate::cpu_gd::run`] does); use
/// [`Trajectory::into_result`] to turn them into an error.
///
/// ```no_run
/// use gdshrink::{Activation, Design, GdBatch, gpu};
/// let ctx = gpu::GpuContext::new(&gpu::GpuOptions::default())?;
/// let d = Design::linspace(Activation::Relu, 1.0, 256, 1024)?;
/// let y: Vec<f64> = d.x.iter().map(|x| (6.0 * x).sin()).collect();
/// let batch = GdBatch::new(vec![y], vec![1e-4], vec![0, 10, 100, 1000]);
/// let t = gpu::run_gd(&ctx, &d, &batch, &gpu::GpuGdOptions::default())?;
/// println!("{}: loss at q=1000 {}", t.engine, t.at(1000).unwrap().loss[0]);
/// # Ok::<(), gdshrink::Error>(())
/// ```
pub fn run_gd(
    ctx: &GpuContext,
    design: &Design,
    batch: &GdBatch,
    opts: &GpuGdOptions,
) -> Result<Trajectory> {
    run_gd_with_progress(ctx, design, batch, opts, &mut |_| {})
}

/// [`run_gd`], calling `progress(q)` after every chunk with the iterations done.
pub fn run_gd_with_progress(
    ctx: &GpuContext,
    design: &Design,
    batch: &GdBatch,
    opts: &GpuGdOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Trajectory> {
    batch.validate(design.n(), design.m(), opts.s_max)?;
    let plan = plan::plan(ctx, design, batch, opts)?;
    let engine = Engine::build(ctx, design, batch, &plan)?;
    engine.run(ctx, batch, progress)
}

/// A batch set up on the device — grids, A (or K, G), states, pipelines — with
/// its initial state computed, ready to advance by any number of GD steps
/// without checkpoints or read-back (benchmarks; warm-starting many steps).
pub struct PreparedGd {
    engine: Engine,
    plan: Plan,
    steps: u64,
}

/// Validates and prepares `batch` on the device (see [`PreparedGd`]); the
/// set-up (building A, forming K or G) is done and waited for here.
///
/// ```no_run
/// use gdshrink::{Activation, Design, GdBatch, gpu};
/// let ctx = gpu::GpuContext::new(&gpu::GpuOptions::default())?;
/// let d = Design::linspace(Activation::Tanh, 30.0, 1024, 1024)?;
/// let batch = GdBatch::new(vec![vec![0.5; 1024]; 16], vec![1e-7; 16], vec![1_000_000]);
/// let mut p = gpu::prepare_gd(&ctx, &d, &batch, &gpu::GpuGdOptions::default())?;
/// p.advance(&ctx, 10_000)?; // 10⁴ steps of all 16 runs, no read-back
/// let r = p.residuals(&ctx)?;
/// # Ok::<(), gdshrink::Error>(())
/// ```
pub fn prepare_gd(
    ctx: &GpuContext,
    design: &Design,
    batch: &GdBatch,
    opts: &GpuGdOptions,
) -> Result<PreparedGd> {
    batch.validate(design.n(), design.m(), opts.s_max)?;
    let plan = plan::plan(ctx, design, batch, opts)?;
    let engine = Engine::build(ctx, design, batch, &plan)?;
    let mut enc = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gd set-up"),
        });
    ops::record(&mut enc, &[&engine.init]);
    ctx.submit_and_wait(KERNEL, enc)?;
    Ok(PreparedGd {
        engine,
        plan,
        steps: 0,
    })
}

impl PreparedGd {
    /// The engine description (adapter and strategy), as in [`Trajectory::engine`].
    pub fn engine(&self) -> &str {
        &self.engine.name
    }

    /// The resolved plan (strategy, cost model, flops and bytes per step).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// GD steps done so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Kernel launches in one GD step (all B runs together).
    pub fn launches_per_step(&self) -> usize {
        self.engine.step.len()
    }

    /// Records `steps` GD steps into one compute pass of `enc` without
    /// submitting them; [`PreparedGd::steps`] is not advanced (use
    /// [`PreparedGd::advance`] to run steps). Used by `advance` and by the
    /// benches to time the host-side encoding on its own.
    pub fn record(&self, enc: &mut wgpu::CommandEncoder, steps: u64) {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("gd steps"),
            timestamp_writes: None,
        });
        for _ in 0..steps {
            for d in &self.engine.step {
                d.record(&mut pass);
            }
        }
    }

    /// Records `steps` GD steps (at most [`plan::MAX_CHUNK`] per command buffer),
    /// submits them and waits until the device has finished them all.
    pub fn advance(&mut self, ctx: &GpuContext, steps: u64) -> Result<()> {
        let mut left = steps;
        let mut last = None;
        while left > 0 {
            let k = left.min(plan::MAX_CHUNK);
            let mut enc = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("gd steps"),
                });
            self.record(&mut enc, k);
            last = Some(ctx.submit(KERNEL, enc)?);
            left -= k;
        }
        if let Some(index) = last {
            ctx.wait_for(KERNEL, Some(index))?;
        }
        self.steps += steps;
        Ok(())
    }

    /// The residuals r_b = y_b − A·w_b after the steps done so far (one vector
    /// of N per run), read back from the device.
    pub fn residuals(&self, ctx: &GpuContext) -> Result<Vec<Vec<f64>>> {
        let mut enc = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gd residuals"),
            });
        ops::record(&mut enc, &[&self.engine.observe]);
        ctx.submit_and_wait(KERNEL, enc)?;
        let (n, nb) = (self.engine.n, self.engine.nb);
        let r = ctx.read_f32(KERNEL, &self.engine.r, 0, n * nb)?;
        Ok((0..nb)
            .map(|b| (0..n).map(|i| r[i * nb + b] as f64).collect())
            .collect())
    }
}
