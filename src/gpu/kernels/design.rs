//! The design matrix $A_{ij} = \eta(\sigma (x_i - b_j))$ built on the GPU in f32
//! (`shaders/kernels/design.wgsl`; twin [`crate::precision::twin::design_matrix`],
//! f64 reference [`crate::model::Design::matrix`]).
//!
//! The grids are computed once on the CPU in f64 (SPEC §1) and rounded to f32
//! ([`crate::precision::twin::design`]); z = σ·(x − b) is formed in that order, so x_i = b_j gives
//! z = 0 exactly. A larger than one storage binding is split into row blocks
//! transparently (`GpuContext::max_binding`, or the test override).

use faer::Mat;

use super::Kernel;
use super::launch::{self as ops, Blocked, Dispatch};
use crate::error::Result;
use crate::gpu::{GpuContext, GpuError};
use crate::model::{Activation, Design};
use crate::precision::twin::to_f32;

/// σ as f32, refused if it does not fit (the GPU computes in f32).
pub(crate) fn sigma_f32(design: &Design) -> Result<f32> {
    let s = design.sigma() as f32;
    if !(s.is_finite() && s > 0.0) {
        return Err(crate::error::Error::invalid(
            "sigma",
            design.sigma(),
            "a value representable in f32 (between 1.2e-38 and 3.4e38) for the GPU engine",
        ));
    }
    Ok(s)
}

/// The design matrix on the device, as the kernels see it: the points of its
/// rows (`xs`, N samples or P evaluation points) and the biases (`bs`) in
/// f32 buffers, σ in f32.
#[derive(Clone, Copy)]
pub(crate) struct DeviceDesign<'a> {
    /// η.
    pub act: Activation,
    /// Row points (f32).
    pub xs: &'a wgpu::Buffer,
    /// Biases (f32).
    pub bs: &'a wgpu::Buffer,
    /// σ.
    pub sigma: f32,
    /// Rows and columns.
    pub shape: (usize, usize),
}

impl DeviceDesign<'_> {
    /// Launches that fill `a` (blocks of A) with η(σ(x − b)).
    pub(crate) fn launches(
        &self,
        ctx: &GpuContext,
        a: &Blocked,
    ) -> Result<Vec<Dispatch>, GpuError> {
        let kernel = Kernel::Design;
        let name = kernel.name();
        let pipeline = ctx.cached_pipeline(&name, &kernel.source(self.act), "main")?;
        let table = ops::eta_table(ctx, &name, self.act)?;
        let mut out = Vec::new();
        for blk in &a.blocks {
            let params = [
                blk.rows as u32,
                a.cols as u32,
                blk.row0 as u32,
                self.sigma.to_bits(),
            ];
            let u = ctx.uniform(&name, &params)?;
            let mut entries = vec![(0, &u), (1, self.xs), (2, self.bs), (3, &blk.buf)];
            if let Some(t) = &table {
                entries.push((ops::TABLE_BINDING, t));
            }
            let bind = ctx.bind_group(&name, &pipeline, &entries)?;
            let groups = [
                (a.cols.div_ceil(16) as u32).clamp(1, ops::MAX_GROUPS),
                (blk.rows.div_ceil(16) as u32).clamp(1, ops::MAX_GROUPS),
                1,
            ];
            out.push(Dispatch::new(pipeline.clone(), bind, groups));
        }
        Ok(out)
    }

    /// Builds A on the device in row blocks of at most `block_rows` rows,
    /// and waits for it.
    pub(crate) fn build(
        &self,
        ctx: &GpuContext,
        block_rows: usize,
        what: &str,
    ) -> Result<Blocked, GpuError> {
        let kernel = Kernel::Design.name();
        let a = Blocked::zeros(ctx, (&kernel, what), self.shape, block_rows)?;
        ops::run(ctx, &kernel, &[&self.launches(ctx, &a)?])?;
        Ok(a)
    }
}

/// A (N×M) built on the GPU, downloaded row-major as f32: `a[i * m + j]`.
///
/// ```no_run
/// use gdshrink::{Activation, Design, gpu};
/// let ctx = gpu::GpuContext::new(&gpu::GpuOptions::default())?;
/// let d = Design::spec(Activation::Tanh).sigma(8.0).n(64).m(128).build()?;
/// let a = gpu::design_matrix(&ctx, &d)?;
/// assert_eq!(a.len(), 64 * 128);
/// # Ok::<(), gdshrink::Error>(())
/// ```
pub fn design_matrix(ctx: &GpuContext, design: &Design) -> Result<Vec<f32>> {
    let kernel = Kernel::Design.name();
    let sigma = sigma_f32(design)?;
    let (n, m) = (design.n(), design.m());
    let xs = ops::upload(ctx, &kernel, "sample grid x (f32)", &to_f32(design.x()))?;
    let bs = ops::upload(ctx, &kernel, "bias grid b (f32)", &to_f32(design.b()))?;
    let rows = ops::rows_per_block(ctx, &kernel, "A", m)?;
    let dev = DeviceDesign {
        act: design.activation(),
        xs: &xs,
        bs: &bs,
        sigma,
        shape: (n, m),
    };
    let a = dev.build(ctx, rows, "design matrix A")?;
    Ok(a.download(ctx, &kernel)?)
}

/// [`design_matrix`] as an f64 faer matrix (every entry an f32 value).
pub fn design_matrix_f64(ctx: &GpuContext, design: &Design) -> Result<Mat<f64>> {
    let a = design_matrix(ctx, design)?;
    let m = design.m();
    Ok(Mat::from_fn(design.n(), m, |i, j| f64::from(a[i * m + j])))
}

/// η(z) for every z, evaluated by the WGSL activation (`shaders/kernels/eta_eval.wgsl`; twin [`crate::precision::twin::eta`]).
pub fn eval_activation(ctx: &GpuContext, act: Activation, z: &[f32]) -> Result<Vec<f32>> {
    let kernel = Kernel::EtaEval;
    let name = kernel.name();
    if z.is_empty() {
        return Ok(Vec::new());
    }
    let zin = ops::upload(ctx, &name, "z", z)?;
    let out = ops::zeros(ctx, &name, "eta(z)", z.len())?;
    let pipeline = ctx.cached_pipeline(&name, &kernel.source(act), "main")?;
    let table = ops::eta_table(ctx, &name, act)?;
    let mut entries = vec![(0, &zin), (1, &out)];
    if let Some(t) = &table {
        entries.push((ops::TABLE_BINDING, t));
    }
    let bind = ctx.bind_group(&name, &pipeline, &entries)?;
    let groups = [
        (z.len().div_ceil(256) as u32).clamp(1, ops::MAX_GROUPS),
        1,
        1,
    ];
    ops::run(ctx, &name, &[&[Dispatch::new(pipeline, bind, groups)]])?;
    Ok(ctx.read_f32(&name, &out, 0, z.len())?)
}
