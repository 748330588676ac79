//! Test hooks (hidden from the documentation): each kernel launched alone on
//! host data, so that a test holds it against its CPU twin
//! ([`crate::precision::twin`]) and a failure names the kernel; the kernel
//! registry for the shader validation; the context's tuning.

use super::GpuContext;
use super::kernels::launch::{self, Blocked, Dummies, Finish, Operand};
use super::kernels::skinny::{ProductEnv, SkinnyPlan};
use crate::error::{Error, Result};
use crate::model::Activation;
use crate::precision::twin::RowMajor;

pub use super::kernels::{FILES, Kernel, Loader, SkinnyTile, compose, compose_with, wgsl_name};

/// How a context splits and tiles its products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Workgroups each product aims for.
    pub occupancy: usize,
    /// Shortest split of a reduction.
    pub min_split: usize,
    /// Shared-memory tiles (true) or the streaming kernel.
    pub tiled: bool,
    /// Largest storage binding, bytes.
    pub max_binding: u64,
}

/// The tuning of `ctx`.
#[must_use]
pub fn tuning(ctx: &GpuContext) -> Tuning {
    Tuning {
        occupancy: ctx.occupancy,
        min_split: ctx.min_split,
        tiled: ctx.tiled,
        max_binding: ctx.max_binding,
    }
}

const KERNEL: &str = "kernel test";

fn run(ctx: &GpuContext, launches: &[launch::Dispatch]) -> Result<()> {
    Ok(launch::run(ctx, KERNEL, &[launches])?)
}

/// `skinny.wgsl` alone: the raw split sums of op(M)·X (op = M, or Mᵀ when
/// `transposed`) over the `nb` columns of X, slot-major as the finish kernel
/// reads them, and the split length the plan chose. M is one stored block.
pub fn skinny(
    ctx: &GpuContext,
    m: RowMajor<'_>,
    x: &[f32],
    nb: usize,
    transposed: bool,
) -> Result<(Vec<f32>, usize)> {
    let blk = Blocked::upload(ctx, KERNEL, "M", m.data, (m.rows, m.cols))?;
    let op = Operand::Stored(&blk);
    let n_out = if transposed { m.cols } else { m.rows };
    let cap = (ctx.max_binding / 4) as usize;
    let plan = SkinnyPlan::new(ctx, &op, transposed, nb, cap);
    let xs = launch::upload(ctx, KERNEL, "X", x)?;
    let len = plan.partial_len().max(plan.slots * n_out * nb);
    let partial = launch::zeros(ctx, KERNEL, "partial sums", len)?;
    let dummies = Dummies::new(ctx, KERNEL)?;
    let env = ProductEnv {
        ctx,
        act: Activation::Relu,
        partial: &partial,
        dummies: &dummies,
    };
    let launches = plan.realize(&env, &op, &xs, None)?;
    run(ctx, &launches)?;
    let split = plan.split_lens().first().copied().unwrap_or(0);
    Ok((
        ctx.read_f32(KERNEL, &partial, 0, plan.slots * n_out * nb)?,
        split,
    ))
}

/// What the finish kernel is asked to do in [`finish`].
#[derive(Clone, Copy, Debug)]
pub struct FinishCase<'a> {
    /// `slots × len` partial sums, slot-major.
    pub partial: &'a [f32],
    /// Elements per slot (outputs × B).
    pub len: usize,
    /// B (columns; α is per column).
    pub nb: usize,
    /// Y and its coefficient c_y.
    pub y: Option<(&'a [f32], f32)>,
    /// Coefficient c_p of the summed product.
    pub c_p: f32,
    /// Update dst += coef·v in place, with coef = α_b when given, else 1.
    pub update: Option<(&'a [f32], Option<&'a [f32]>)>,
}

/// `finish.wgsl` alone: v = c_y·y + c_p·Σ partial written out, and the updated
/// dst when asked.
pub fn finish(ctx: &GpuContext, case: &FinishCase<'_>) -> Result<(Vec<f32>, Option<Vec<f32>>)> {
    if case.len == 0 || !case.partial.len().is_multiple_of(case.len) {
        return Err(Error::invalid(
            "partial",
            case.partial.len(),
            format!("a whole number of slots of {} values", case.len),
        ));
    }
    let partial = launch::upload(ctx, KERNEL, "partial sums", case.partial)?;
    let y = case
        .y
        .map(|(v, c)| launch::upload(ctx, KERNEL, "Y", v).map(|b| (b, c)))
        .transpose()?;
    let out = launch::zeros(ctx, KERNEL, "out", case.len)?;
    let dst = case
        .update
        .map(|(d, _)| launch::upload(ctx, KERNEL, "dst", d))
        .transpose()?;
    let alpha = case
        .update
        .and_then(|(_, a)| a)
        .map(|a| launch::upload(ctx, KERNEL, "alpha", a))
        .transpose()?;
    let dummies = Dummies::new(ctx, KERNEL)?;
    let fin = Finish {
        n: case.len,
        slots: case.partial.len() / case.len,
        p_stride: case.len,
        partial: Some(&partial),
        y: y.as_ref().map(|(b, c)| (b, *c)),
        c_p: case.c_p,
        out: Some(&out),
        update: dst.as_ref().map(|d| (d, None, alpha.is_some())),
        alpha: alpha.as_ref(),
        ..Finish::none(case.nb)
    };
    run(ctx, &[fin.realize(ctx, &dummies)?])?;
    let v = ctx.read_f32(KERNEL, &out, 0, case.len)?;
    let d = dst
        .map(|d| ctx.read_f32(KERNEL, &d, 0, case.len))
        .transpose()?;
    Ok((v, d))
}

/// `gram.wgsl` alone (stored loader): K = AAᵀ, or G = AᵀA when `transposed`, row-major.
pub fn gram(ctx: &GpuContext, a: RowMajor<'_>, transposed: bool) -> Result<Vec<f32>> {
    let blk = Blocked::upload(ctx, KERNEL, "A", a.data, (a.rows, a.cols))?;
    let d = if transposed { a.cols } else { a.rows };
    let out = Blocked::zeros(ctx, (KERNEL, "K or G"), (d, d), d)?;
    let launches = super::kernels::gram::gram(
        ctx,
        Activation::Relu,
        &Operand::Stored(&blk),
        transposed,
        &out,
    )?;
    run(ctx, &launches)?;
    Ok(out.download(ctx, KERNEL)?)
}

/// `colnorm.wgsl` alone: `[max |r|, Σ (r/max)², NaN flag]` per column of the
/// row-major n × nb matrix `r`.
pub fn colnorm(ctx: &GpuContext, r: &[f32], n: usize, nb: usize) -> Result<Vec<f32>> {
    if r.len() != n * nb {
        return Err(Error::LengthMismatch {
            what: "residual matrix (n x nb)".into(),
            expected: n * nb,
            got: r.len(),
        });
    }
    let rb = launch::upload(ctx, KERNEL, "R", r)?;
    let out = launch::zeros(ctx, KERNEL, "norms", 3 * nb)?;
    run(ctx, &[launch::colnorm(ctx, &rb, n, nb, &out)?])?;
    Ok(ctx.read_f32(KERNEL, &out, 0, 3 * nb)?)
}
