//! The f32 GPU engine: batched full-batch gradient descent on the device.
//!
//! B runs share A (activation, σ, grids) and differ in y_b, α_b and w₀,b:
//!
//! $$W_{q+1} = W_q + A^\top (Y - A W_q)\,\operatorname{diag}(\alpha)$$
//!
//! (f64 twin: [`crate::gd::CpuEngine`]). Every product is a matrix–matrix
//! kernel over all B columns, so A (or K, G) is read once per product for the
//! whole batch. Iterations are recorded back to back into one command buffer
//! per chunk ([`Plan::chunk`] iterations); at each checkpoint the state is
//! copied into a read-back buffer on the device, which is read once per chunk.
//! At every observation (checkpoints, chunk ends) the residual norm of every
//! run is computed on the GPU and fed to [`crate::gd::ResidualWatch`]: a run
//! that produces NaN/∞ or whose residual grows is recorded in
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
//!   flops). f = A w₀ + K c at the samples (at checkpoints);
//!   w_q = w₀ + Aᵀc_q is rebuilt only at checkpoints that record w or f on
//!   the evaluation grid.
//!
//! Every strategy forms f at the samples from its iterate (A·w, or
//! A w₀ + K c) at checkpoints, never as y − r: that subtraction rounds f by
//! u‖r‖ ≈ u‖y‖, which swamps f when α s² q ≪ 1.
//! * **dual, weight space** (M < N) — G = AᵀA and h = Aᵀy formed once; the step
//!   is w += α·(h − G w) (2·M²·B flops), exactly the primal step rearranged;
//!   r = y − A w is computed at observations only.
//! * **matrix-free** — the primal with η(σ(x − b)) recomputed inside the
//!   product kernels' tile loads: A is never stored.

use super::GpuContext;
use super::batch::{DeviceBatch, KERNEL};
use super::kernels::launch;
use super::plan::{self, Plan};
use crate::error::{Error, Result};
use crate::gd::{
    Engine, EngineInfo, GdBatch, Precision, Problem, Progress, Strategy, Summation, Trajectory,
};
use crate::model::Design;
use faer::MatRef;

/// Options of the GPU engine.
#[derive(Clone, Debug, Default)]
pub struct GpuGdOptions {
    /// Strategy (Auto picks from the sizes).
    pub strategy: Strategy,
    /// Device memory for stored matrices (A, K or G) that `Auto` may use, bytes
    /// (default [`plan::DEFAULT_MEMORY_BUDGET`]).
    pub memory_budget: Option<u64>,
    /// Iterations per submission (= spacing of the NaN/divergence checks between
    /// checkpoints). Default: from the cost model, 16 with `allow_unstable`.
    pub chunk: Option<u64>,
}

/// The f32 GPU engine on a device, with a strategy.
///
/// ```no_run
/// use gdshrink::gd::{Engine, GdBatch, NoProgress, Problem, Strategy};
/// use gdshrink::gpu::{GpuContext, GpuEngine, GpuOptions};
/// use gdshrink::{Activation, Design};
/// let ctx = GpuContext::new(&GpuOptions::default())?;
/// let d = Design::spec(Activation::Relu).sigma(1.0).n(256).m(1024).build()?;
/// let y: Vec<f64> = d.x().iter().map(|x| (6.0 * x).sin()).collect();
/// let batch = GdBatch::new(vec![y], vec![1e-4], vec![0, 10, 100, 1000]);
/// let engine = GpuEngine::new(&ctx).with_strategy(Strategy::Dual);
/// let t = engine.run(&Problem::from_design(&d), &batch, &NoProgress)?;
/// println!("{}: loss at q=1000 {}", t.engine, t.at(1000).unwrap().loss[0]);
/// # Ok::<(), gdshrink::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GpuEngine<'c> {
    ctx: &'c GpuContext,
    options: GpuGdOptions,
}

impl<'c> GpuEngine<'c> {
    /// The engine on `ctx` with the default options (automatic strategy).
    #[must_use]
    pub fn new(ctx: &'c GpuContext) -> Self {
        GpuEngine {
            ctx,
            options: GpuGdOptions::default(),
        }
    }

    /// The same engine with another strategy.
    #[must_use]
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.options.strategy = strategy;
        self
    }

    /// The same engine with other options.
    #[must_use]
    pub fn with_options(mut self, options: GpuGdOptions) -> Self {
        self.options = options;
        self
    }

    /// The device.
    #[must_use]
    pub fn context(&self) -> &'c GpuContext {
        self.ctx
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &GpuGdOptions {
        &self.options
    }

    /// What A comes from: the design (built on the device), or else the
    /// caller's matrix (rounded to f32 and uploaded). A user's matrix has no
    /// network behind it: no matrix-free strategy, no evaluation grid.
    fn source<'p>(&self, problem: &Problem<'p>, batch: &GdBatch) -> Result<Source<'p>> {
        if let Some(d) = problem.design() {
            return Ok(Source::Design(d));
        }
        let Some(a) = problem.matrix() else {
            return Err(Error::invalid(
                "problem",
                "neither a design nor a matrix",
                "a design or a matrix A",
            ));
        };
        if self.options.strategy == Strategy::MatrixFree {
            return Err(Error::invalid(
                "strategy",
                "matrix-free",
                "auto, primal or dual for a user's matrix A (matrix-free recomputes A from a design)",
            ));
        }
        if batch.eval_points.is_some() {
            return Err(Error::invalid(
                "evaluation grid",
                "points with a user's matrix A",
                "a design: a matrix has no network to evaluate at other points",
            ));
        }
        Ok(Source::Matrix(a))
    }

    /// The strategy, memory and flop plan this engine would use for `batch`.
    pub fn plan(&self, problem: &Problem<'_>, batch: &GdBatch) -> Result<Plan> {
        let src = self.source(problem, batch)?;
        Ok(plan::plan(
            self.ctx,
            src.shape(),
            src.design().is_some(),
            batch,
            &self.options,
        ))
    }

    /// Validates `batch`, plans it and builds it on the device.
    fn build(&self, problem: &Problem<'_>, batch: &GdBatch) -> Result<(Plan, DeviceBatch)> {
        let src = self.source(problem, batch)?;
        let (n, m) = src.shape();
        batch.validate(n, m, problem.s_max())?;
        check_f32_range(batch, problem.s_max())?;
        let plan = plan::plan(
            self.ctx,
            (n, m),
            src.design().is_some(),
            batch,
            &self.options,
        );
        let dev = DeviceBatch::build(self.ctx, &src, batch, &plan)?;
        Ok((plan, dev))
    }

    /// Validates and prepares `batch` on the device (see [`PreparedGd`]); the
    /// set-up (building A, forming K or G) is done and waited for here.
    pub fn prepare(&self, problem: &Problem<'_>, batch: &GdBatch) -> Result<PreparedGd<'c>> {
        let (plan, batch_dev) = self.build(problem, batch)?;
        launch::run(self.ctx, KERNEL, &[batch_dev.init()])?;
        Ok(PreparedGd {
            ctx: self.ctx,
            batch: batch_dev,
            plan,
            steps: 0,
        })
    }
}

/// Where the device's A comes from.
pub(crate) enum Source<'a> {
    /// Built on the device from the design (or recomputed in the kernels).
    Design(&'a Design),
    /// The caller's f64 matrix, rounded to f32 and uploaded.
    Matrix(MatRef<'a, f64>),
}

impl Source<'_> {
    /// (N, M).
    pub(crate) fn shape(&self) -> (usize, usize) {
        match self {
            Source::Design(d) => (d.n(), d.m()),
            Source::Matrix(a) => (a.nrows(), a.ncols()),
        }
    }

    /// The design, if A comes from one.
    pub(crate) fn design(&self) -> Option<&Design> {
        match self {
            Source::Design(d) => Some(d),
            Source::Matrix(_) => None,
        }
    }
}

impl Engine for GpuEngine<'_> {
    fn info(&self) -> EngineInfo {
        let label = format!("gpu-f32 ({})", self.options.strategy);
        EngineInfo {
            name: label.clone(),
            label,
            device: self.ctx.describe(),
            adapter: Some(self.ctx.adapter().name.clone()),
            software: self.ctx.is_software(),
            precision: Precision::F32,
            // Every product accumulates with Kahan compensation (`shaders/kernels/skinny.wgsl`, `gram.wgsl`).
            summation: Summation::Compensated,
            strategy: self.options.strategy,
        }
    }

    fn needs_host_matrix(&self) -> bool {
        false
    }

    /// Runs the batch on the GPU; the trajectory's engine names the adapter
    /// and the strategy used. Runs that diverge are reported in
    /// [`Trajectory::status`], as on the CPU.
    fn run(
        &self,
        problem: &Problem<'_>,
        batch: &GdBatch,
        progress: &dyn Progress,
    ) -> Result<Trajectory> {
        let (plan, dev) = self.build(problem, batch)?;
        let mut info = self.info();
        info.name = dev.name().to_string();
        info.strategy = plan.strategy;
        progress.begin(&info.label, batch.q_max());
        let t = dev.run(self.ctx, batch, info, progress);
        progress.finish();
        t
    }
}

/// Largest s_max² the f32 engine accepts: K = AAᵀ and G = AᵀA hold entries up
/// to s_max², and their sums must stay below f32::MAX (3.4e38) with room.
pub const MAX_F32_SMAX2: f64 = 1e36;

/// Refuses a batch that f32 cannot represent: every α must be a normal f32,
/// s_max² (the size of A's entries and of K, G) must stay far from f32's
/// overflow, the targets must be representable, and the first step α·Aᵀy
/// must not underflow. The error names the quantity and the way out.
fn check_f32_range(batch: &GdBatch, s_max: Option<f64>) -> Result<()> {
    let f32_min = f64::from(f32::MIN_POSITIVE);
    let bad = |name: &str, value: f64, why: String| {
        Err(Error::invalid(
            name,
            format!("{value:e}"),
            format!(
                "{why} on the f32 GPU engine; use --device cpu (the f64 engine) or rescale \
                 (a smaller --sigma, or grids of smaller extent, lower s_max)"
            ),
        ))
    };
    for (run, &a) in batch.alpha.iter().enumerate() {
        if a.is_nan() || a < f32_min || a > f64::from(f32::MAX) {
            return bad(
                &format!("alpha of run {run}"),
                a,
                format!("a learning rate from {f32_min:.2e} to 3.4e38 (a normal f32)"),
            );
        }
    }
    let ymax = batch.y.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if ymax > 1e18 {
        return bad("signal", ymax, "targets with |y| <= 1e18".into());
    }
    if let Some(s) = s_max {
        if s * s > MAX_F32_SMAX2 {
            return bad(
                "s_max",
                s,
                format!("s_max^2 <= {MAX_F32_SMAX2:e} (A's Gram matrices must stay finite in f32)"),
            );
        }
        let amin = batch.alpha.iter().copied().fold(f64::INFINITY, f64::min);
        // The first step's largest entry is about α·s_max·|y|; below the
        // smallest normal f32 (divided by u, so that its digits survive) the
        // update is lost to underflow.
        let step = amin * s * ymax;
        if ymax > 0.0 && step < f32_min / f64::from(f32::EPSILON) {
            return bad(
                "alpha",
                amin,
                format!(
                    "a step alpha·s_max·max|y| = {step:e} that does not underflow f32 (at least {:.2e})",
                    f32_min / f64::from(f32::EPSILON)
                ),
            );
        }
    }
    Ok(())
}

/// A batch set up on the device — grids, A (or K, G), states, pipelines — with
/// its initial state computed, ready to advance by any number of GD steps
/// without checkpoints or read-back (benchmarks; warm-starting many steps).
///
/// ```no_run
/// use gdshrink::gd::{GdBatch, Problem};
/// use gdshrink::gpu::{GpuContext, GpuEngine, GpuOptions};
/// use gdshrink::{Activation, Design};
/// let ctx = GpuContext::new(&GpuOptions::default())?;
/// let d = Design::spec(Activation::Tanh).sigma(30.0).n(1024).m(1024).build()?;
/// let batch = GdBatch::new(vec![vec![0.5; 1024]; 16], vec![1e-7; 16], vec![1_000_000]);
/// let mut p = GpuEngine::new(&ctx).prepare(&Problem::from_design(&d), &batch)?;
/// p.advance(10_000)?; // 10⁴ steps of all 16 runs, no read-back
/// let r = p.residuals()?;
/// # Ok::<(), gdshrink::Error>(())
/// ```
pub struct PreparedGd<'c> {
    ctx: &'c GpuContext,
    batch: DeviceBatch,
    plan: Plan,
    steps: u64,
}

impl PreparedGd<'_> {
    /// The engine description (adapter and strategy), as in a trajectory's engine name.
    #[must_use]
    pub fn engine(&self) -> &str {
        self.batch.name()
    }

    /// The resolved plan (strategy, cost model, flops and bytes per step).
    #[must_use]
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// GD steps done so far.
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Kernel launches in one GD step (all B runs together).
    #[must_use]
    pub fn launches_per_step(&self) -> usize {
        self.batch.step().len()
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
            for d in self.batch.step() {
                d.record(&mut pass);
            }
        }
    }

    /// Records `steps` GD steps (at most [`plan::MAX_CHUNK`] per command buffer),
    /// submits them and waits until the device has finished them all.
    pub fn advance(&mut self, steps: u64) -> Result<()> {
        let mut left = steps;
        let mut last = None;
        while left > 0 {
            let k = left.min(plan::MAX_CHUNK);
            let mut enc = self.encoder("gd steps");
            self.record(&mut enc, k);
            last = Some(self.ctx.submit(KERNEL, enc)?);
            left -= k;
        }
        if let Some(index) = last {
            self.ctx.wait_for(KERNEL, Some(index))?;
        }
        self.steps += steps;
        Ok(())
    }

    /// A command encoder on this batch's device.
    #[must_use]
    pub fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.ctx.encoder(label)
    }

    /// Submits `enc` and waits for it.
    pub fn submit_and_wait(&self, enc: wgpu::CommandEncoder) -> Result<()> {
        Ok(self.ctx.submit_and_wait(KERNEL, enc)?)
    }

    /// The residuals r_b = y_b − A·w_b after the steps done so far (one vector
    /// of N per run), read back from the device.
    pub fn residuals(&self) -> Result<Vec<Vec<f64>>> {
        launch::run(self.ctx, KERNEL, &[self.batch.observe()])?;
        self.batch.residuals(self.ctx)
    }
}
