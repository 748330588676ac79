//! The device side of one GD batch ([`super::engine`]): its buffers and the
//! recorded launches of each strategy — set-up, one step, an observation,
//! rebuilding w, evaluating f on a grid. [`run`] holds the chunked, pipelined
//! loop that records steps, copies checkpoints on the device and reads them
//! back once per chunk.

mod run;

use super::engine::Source;
use super::kernels::design::{DeviceDesign, sigma_f32};
use super::kernels::gram;
use super::kernels::launch::{self, Blocked, Dispatch, Dummies, Finish, Operand};
use super::kernels::skinny::{self, ProductEnv, SkinnyPlan};
use super::plan::{self, DualSpace, Plan};
use super::{GpuContext, GpuError};
use crate::error::{Error, Result};
use crate::gd::{GdBatch, Strategy};
use crate::model::Activation;
use crate::precision::twin::to_f32;
use faer::MatRef;

/// Kernel name used in the errors of the GD engine.
pub(crate) const KERNEL: &str = "gd";
/// Partial-sum buffer of the split products, bytes.
const PARTIAL_BYTES: u64 = 64 << 20;

/// The device side of one batch: buffers and recorded launches.
pub(crate) struct DeviceBatch {
    name: String,
    n: usize,
    m: usize,
    nb: usize,
    e: usize,
    chunk: u64,
    alpha32: Vec<f32>,
    alpha: wgpu::Buffer,
    r: wgpu::Buffer,
    fs: wgpu::Buffer,
    norms: wgpu::Buffer,
    w_src: wgpu::Buffer,
    feval: Option<wgpu::Buffer>,
    launches: Launches,
}

/// The recorded launches of a batch, by purpose.
#[derive(Default)]
struct Launches {
    /// Once, before the first step (forming K or G, the first residual).
    init: Vec<Dispatch>,
    /// One GD step of every run.
    step: Vec<Dispatch>,
    /// The residual norms (and, in the weight space, the residual itself).
    observe: Vec<Dispatch>,
    /// Rebuilding w from the dual coefficients.
    make_w: Vec<Dispatch>,
    /// f at the samples formed from the state (A·W, or K·C + A·W0 in the
    /// sample-space dual), at checkpoints: never as y − r, which cancels
    /// when α s² q ≪ 1.
    f_samples: Vec<Dispatch>,
    /// f on the evaluation grid.
    eval: Vec<Dispatch>,
}

/// Values checked and rounded to f32 before anything is uploaded.
struct HostData {
    y32: Vec<f32>,
    alpha32: Vec<f32>,
    w0: Option<Vec<f32>>,
}

/// The buffers every strategy uses.
struct Io {
    xs: wgpu::Buffer,
    bs: wgpu::Buffer,
    y: wgpu::Buffer,
    alpha: wgpu::Buffer,
    r: wgpu::Buffer,
    fs: wgpu::Buffer,
    norms: wgpu::Buffer,
    dummies: Dummies,
}

/// What every strategy's launches are built from.
struct Parts<'a> {
    ctx: &'a GpuContext,
    act: Activation,
    n: usize,
    m: usize,
    nb: usize,
    io: &'a Io,
    host: &'a HostData,
    a_op: &'a Operand<'a>,
    a_fwd: &'a SkinnyPlan,
    a_bwd: &'a SkinnyPlan,
    partial: &'a wgpu::Buffer,
    fin: Finish<'a>,
}

fn f32_values(what: &str, v: &[f64]) -> Result<Vec<f32>> {
    v.iter()
        .enumerate()
        .map(|(i, &t)| {
            let f = t as f32;
            if f.is_finite() {
                Ok(f)
            } else {
                Err(Error::invalid(
                    what,
                    format!("{t:e} (index {i})"),
                    "values within the f32 range (|v| < 3.4e38) for the GPU engine",
                ))
            }
        })
        .collect()
}

/// Row-major (len × B) f32 matrix whose column b is `cols[b]`.
fn columns(what: &str, cols: &[Vec<f64>], len: usize) -> Result<Vec<f32>> {
    let nb = cols.len();
    let mut out = vec![0f32; len * nb];
    for (b, c) in cols.iter().enumerate() {
        for (i, v) in f32_values(what, c)?.into_iter().enumerate() {
            out[i * nb + b] = v;
        }
    }
    Ok(out)
}

impl HostData {
    fn new((n, m): (usize, usize), batch: &GdBatch) -> Result<Self> {
        let nb = batch.runs();
        if nb > launch::MAX_GROUPS as usize {
            return Err(Error::invalid(
                "runs",
                nb,
                format!(
                    "at most {} runs per GPU batch (one workgroup per run checks its residual); split the batch",
                    launch::MAX_GROUPS
                ),
            ));
        }
        let y32 = columns("signal y", &batch.y, n)?;
        let alpha32 = f32_values("learning rate alpha", &batch.alpha)?;
        if let Some(b) = alpha32.iter().position(|a| *a <= 0.0) {
            return Err(Error::invalid(
                format!("alpha of run {b}"),
                format!("{:e}", batch.alpha[b]),
                "a learning rate representable in f32 (> 1.2e-38) for the GPU engine",
            ));
        }
        let w0 = match &batch.w0 {
            Some(w) => Some(columns("initial weights w0", w, m)?),
            None => None,
        };
        Ok(HostData { y32, alpha32, w0 })
    }
}

impl Io {
    /// The grids (zeros for a user's matrix: bound, never read), targets,
    /// rates and the residual buffers.
    fn upload(ctx: &GpuContext, src: &Source<'_>, host: &HostData, nb: usize) -> Result<Self> {
        let (n, m) = src.shape();
        let (xs, bs) = match src.design() {
            Some(d) => (to_f32(d.x()), to_f32(d.b())),
            None => (vec![0f32; n], vec![0f32; m]),
        };
        Ok(Io {
            xs: launch::upload(ctx, KERNEL, "sample grid x (f32)", &xs)?,
            bs: launch::upload(ctx, KERNEL, "bias grid b (f32)", &bs)?,
            y: launch::upload(ctx, KERNEL, "targets Y (N x B)", &host.y32)?,
            alpha: launch::upload(ctx, KERNEL, "learning rates", &host.alpha32)?,
            r: launch::zeros(ctx, KERNEL, "residuals R (N x B)", n * nb)?,
            fs: launch::zeros(ctx, KERNEL, "f at the samples (N x B)", n * nb)?,
            norms: launch::zeros(ctx, KERNEL, "residual norms", 3 * nb)?,
            dummies: Dummies::new(ctx, KERNEL)?,
        })
    }
}

impl Parts<'_> {
    /// The state W (M × B): the starting weights, or zero.
    fn state_w(&self, what: &str) -> Result<wgpu::Buffer> {
        Ok(match &self.host.w0 {
            Some(w) => launch::upload(self.ctx, KERNEL, what, w)?,
            None => launch::zeros(self.ctx, KERNEL, what, self.m * self.nb)?,
        })
    }

    /// `op · x` finished by `fin` (see [`skinny::product`]).
    fn product(
        &self,
        (op, plan): (&Operand<'_>, &SkinnyPlan),
        x: &wgpu::Buffer,
        fin: Finish<'_>,
        fuse: bool,
    ) -> Result<Vec<Dispatch>, GpuError> {
        let env = ProductEnv {
            ctx: self.ctx,
            act: self.act,
            partial: self.partial,
            dummies: &self.io.dummies,
        };
        skinny::product(&env, (op, plan), x, fin, fuse)
    }

    /// Primal (A stored) or matrix-free (A recomputed by the loader):
    /// R = Y − A W, then W += α Aᵀ R per step. Returns the buffer holding w.
    fn primal(&self, l: &mut Launches) -> Result<wgpu::Buffer> {
        let io = self.io;
        let w = self.state_w("weights W (M x B)")?;
        let f = Finish {
            y: Some((&io.y, 1.0)),
            c_p: -1.0,
            out: Some(&io.r),
            ..self.fin
        };
        let resid = self.product((self.a_op, self.a_fwd), &w, f, true)?;
        l.init.extend(resid.iter().cloned());
        let f = Finish {
            update: Some((&w, None, true)),
            alpha: Some(&io.alpha),
            ..self.fin
        };
        l.step
            .extend(self.product((self.a_op, self.a_bwd), &io.r, f, true)?);
        l.step.extend(resid);
        l.observe.push(launch::colnorm(
            self.ctx, &io.r, self.n, self.nb, &io.norms,
        )?);
        l.f_samples.extend(self.f_of_w(&w)?);
        Ok(w)
    }

    /// f = A·W at the samples, into `io.fs`.
    fn f_of_w(&self, w: &wgpu::Buffer) -> Result<Vec<Dispatch>> {
        let f = Finish {
            out: Some(&self.io.fs),
            ..self.fin
        };
        Ok(self.product((self.a_op, self.a_fwd), w, f, true)?)
    }

    /// Dual in the sample space: iterate C (N×B); R = Y' − K C, C += α R.
    /// Returns the buffer holding w (rebuilt as W0 + Aᵀ C) or C itself.
    fn dual_samples(
        &self,
        l: &mut Launches,
        gop: &Operand<'_>,
        g_fwd: &SkinnyPlan,
        rebuild_w: bool,
    ) -> Result<wgpu::Buffer> {
        let (io, n, m, nb) = (self.io, self.n, self.m, self.nb);
        let c = launch::zeros(self.ctx, KERNEL, "dual coefficients C (N x B)", n * nb)?;
        let (yp, w0buf, f0) = match &self.host.w0 {
            Some(w) => {
                let w0buf = launch::upload(self.ctx, KERNEL, "initial weights W0", w)?;
                let yp = launch::zeros(self.ctx, KERNEL, "Y' = Y - A W0", n * nb)?;
                let f0 = launch::zeros(self.ctx, KERNEL, "F0 = A W0 (N x B)", n * nb)?;
                let f = Finish {
                    y: Some((&io.y, 1.0)),
                    c_p: -1.0,
                    out: Some(&yp),
                    ..self.fin
                };
                l.init
                    .extend(self.product((self.a_op, self.a_fwd), &w0buf, f, true)?);
                let f = Finish {
                    out: Some(&f0),
                    ..self.fin
                };
                l.init
                    .extend(self.product((self.a_op, self.a_fwd), &w0buf, f, true)?);
                (yp, Some(w0buf), Some(f0))
            }
            None => (io.y.clone(), None, None),
        };
        let f = Finish {
            y: Some((&yp, 1.0)),
            c_p: -1.0,
            out: Some(&io.r),
            ..self.fin
        };
        let resid = self.product((gop, g_fwd), &c, f, true)?;
        l.init.extend(resid.iter().cloned());
        l.step.push(
            Finish {
                n: n * nb,
                y: Some((&io.r, 1.0)),
                c_p: 0.0,
                update: Some((&c, None, true)),
                alpha: Some(&io.alpha),
                ..self.fin
            }
            .realize(self.ctx, &io.dummies)?,
        );
        l.step.extend(resid);
        l.observe
            .push(launch::colnorm(self.ctx, &io.r, n, nb, &io.norms)?);
        // f = A w = A W0 + K C: the product of the iterate, relative to f
        // itself (y' − r would cancel when α s² q ≪ 1).
        let f = Finish {
            y: f0.as_ref().map(|b| (b, 1.0)),
            out: Some(&io.fs),
            ..self.fin
        };
        l.f_samples.extend(self.product((gop, g_fwd), &c, f, true)?);
        if !rebuild_w {
            return Ok(c);
        }
        let wt = launch::zeros(self.ctx, KERNEL, "weights W = W0 + A^T C (M x B)", m * nb)?;
        let f = Finish {
            y: w0buf.as_ref().map(|b| (b, 1.0)),
            out: Some(&wt),
            ..self.fin
        };
        l.make_w
            .extend(self.product((self.a_op, self.a_bwd), &c, f, true)?);
        Ok(wt)
    }

    /// Dual in the weight space: H = Aᵀ Y once, W += α (H − G W) per step,
    /// R = Y − A W at observations. Returns the buffer holding w.
    fn dual_weights(
        &self,
        l: &mut Launches,
        gop: &Operand<'_>,
        g_fwd: &SkinnyPlan,
    ) -> Result<wgpu::Buffer> {
        let (io, m, nb) = (self.io, self.m, self.nb);
        let w = self.state_w("weights W (M x B)")?;
        let h = launch::zeros(self.ctx, KERNEL, "H = A^T Y (M x B)", m * nb)?;
        let f = Finish {
            out: Some(&h),
            ..self.fin
        };
        l.init
            .extend(self.product((self.a_op, self.a_bwd), &io.y, f, true)?);
        // W is both read (G W) and updated: never fused.
        let f = Finish {
            y: Some((&h, 1.0)),
            c_p: -1.0,
            update: Some((&w, None, true)),
            alpha: Some(&io.alpha),
            ..self.fin
        };
        l.step.extend(self.product((gop, g_fwd), &w, f, false)?);
        let f = Finish {
            y: Some((&io.y, 1.0)),
            c_p: -1.0,
            out: Some(&io.r),
            ..self.fin
        };
        l.observe
            .extend(self.product((self.a_op, self.a_fwd), &w, f, true)?);
        l.observe
            .push(launch::colnorm(self.ctx, &io.r, self.n, nb, &io.norms)?);
        l.f_samples.extend(self.f_of_w(&w)?);
        Ok(w)
    }
}

/// The evaluation grid on the device (none without points), and the network
/// on it when the plan stores it (`store`).
fn eval_grid(
    ctx: &GpuContext,
    a_dev: &DeviceDesign<'_>,
    store: bool,
    pts: &[f64],
) -> Result<(Option<wgpu::Buffer>, Option<Blocked>)> {
    if pts.is_empty() {
        return Ok((None, None));
    }
    let xe = launch::upload(ctx, KERNEL, "evaluation grid (f32)", &to_f32(pts))?;
    let stored = if store {
        let what = "A on the evaluation grid";
        let m = a_dev.shape.1;
        let rows = launch::rows_per_block(ctx, KERNEL, what, m)?;
        let dev = DeviceDesign {
            xs: &xe,
            shape: (pts.len(), m),
            ..*a_dev
        };
        Some(dev.build(ctx, rows, what)?)
    } else {
        None
    };
    Ok((Some(xe), stored))
}

/// A user's f64 matrix rounded to f32 and uploaded in row blocks of at most
/// `rows` rows; an entry outside the f32 range is refused by its index.
fn upload_matrix(ctx: &GpuContext, a: MatRef<'_, f64>, rows: usize) -> Result<Blocked> {
    let (n, m) = (a.nrows(), a.ncols());
    let mut flat = Vec::with_capacity(n * m);
    for i in 0..n {
        for j in 0..m {
            let v = a[(i, j)];
            let f = v as f32;
            if !f.is_finite() {
                return Err(Error::invalid(
                    format!("matrix A[{i}, {j}]"),
                    format!("{v:e}"),
                    "finite values within the f32 range (|v| < 3.4e38) for the GPU engine",
                ));
            }
            flat.push(f);
        }
    }
    Ok(Blocked::upload_rows(
        ctx,
        (KERNEL, "matrix A (f32)"),
        &flat,
        (n, m),
        rows,
    )?)
}

/// One partial-sum buffer for the largest of the products' plans.
fn partial_buffer(ctx: &GpuContext, plans: &[Option<&SkinnyPlan>]) -> Result<wgpu::Buffer> {
    let len = plans
        .iter()
        .flatten()
        .map(|p| p.partial_len())
        .max()
        .unwrap_or(1);
    Ok(launch::zeros(
        ctx,
        KERNEL,
        "partial sums of the split products",
        len,
    )?)
}

/// The Gram matrix of the dual (K or G), allocated in row blocks.
fn gram_buffer(
    ctx: &GpuContext,
    plan: &Plan,
    n: usize,
    m: usize,
    rows: usize,
) -> Result<Option<Blocked>> {
    Ok(match plan.dual {
        Some(DualSpace::Samples) => Some(Blocked::zeros(ctx, (KERNEL, "K = A A^T"), (n, n), rows)?),
        Some(DualSpace::Weights) => {
            let gr = launch::rows_per_block(ctx, KERNEL, "G", m)?;
            Some(Blocked::zeros(ctx, (KERNEL, "G = A^T A"), (m, m), gr)?)
        }
        None => None,
    })
}

/// What the engine names itself by: strategy, operator, adapter.
fn describe(ctx: &GpuContext, plan: &Plan, n: usize, m: usize, a_blocks: usize) -> String {
    let stored = if plan.store_a { "stored" } else { "recomputed" };
    let what = match (plan.strategy, plan.dual) {
        (_, Some(DualSpace::Samples)) => format!("dual K = A A^T ({n}x{n}), A {stored}"),
        (_, Some(DualSpace::Weights)) => format!("dual G = A^T A ({m}x{m}), A {stored}"),
        (Strategy::MatrixFree, _) => "matrix-free".to_string(),
        _ => format!("primal, A stored in {a_blocks} block(s)"),
    };
    format!("gpu-f32 {} [{what}] on {}", plan.strategy, ctx.describe())
}

impl DeviceBatch {
    pub(crate) fn build(
        ctx: &GpuContext,
        src: &Source<'_>,
        batch: &GdBatch,
        plan: &Plan,
    ) -> Result<Self> {
        // A user's matrix has no activation: the kernels are composed with
        // one (for their recomputing loader) that its stored operand never calls.
        let (act, sigma) = match src.design() {
            Some(d) => (d.activation(), sigma_f32(d)?),
            None => (Activation::Relu, 1.0),
        };
        let (n, m) = src.shape();
        let nb = batch.runs();
        let eval_pts = batch.eval_points.as_deref().unwrap_or(&[]);
        let e = eval_pts.len();
        let host = HostData::new((n, m), batch)?;
        let io = Io::upload(ctx, src, &host, nb)?;

        let rows = plan::block_rows(ctx, (n, m), plan.dual)?;
        let a_dev = DeviceDesign {
            act,
            xs: &io.xs,
            bs: &io.bs,
            sigma,
            shape: (n, m),
        };
        let a_stored = match src {
            Source::Matrix(a) => Some(upload_matrix(ctx, *a, rows)?),
            Source::Design(_) if plan.store_a => Some(a_dev.build(ctx, rows, "design matrix A")?),
            Source::Design(_) => None,
        };
        let a_op = match &a_stored {
            Some(a) => Operand::Stored(a),
            None => Operand::free(&io.xs, &io.bs, sigma, n, m),
        };
        let (xe, eval_stored) = eval_grid(ctx, &a_dev, plan.store_eval, eval_pts)?;
        let eval_op = match (&eval_stored, &xe) {
            (Some(a), _) => Some(Operand::Stored(a)),
            (None, Some(xe)) => Some(Operand::free(xe, &io.bs, sigma, e, m)),
            _ => None,
        };
        let feval = match e {
            0 => None,
            _ => Some(launch::zeros(
                ctx,
                KERNEL,
                "f on the evaluation grid",
                e * nb,
            )?),
        };
        let gram = gram_buffer(ctx, plan, n, m, rows)?;
        let gram_op = gram.as_ref().map(Operand::Stored);

        // Plans of every product, then one partial buffer for the largest:
        // 64 MiB, at least one slot of the widest product, at most one binding.
        let cap = ((PARTIAL_BYTES / 4) as usize)
            .max(n.max(m).max(e) * nb)
            .min((ctx.max_binding / 4) as usize);
        let plan_of = |op: &Operand<'_>, t: bool| SkinnyPlan::new(ctx, op, t, nb, cap);
        let a_fwd = plan_of(&a_op, false);
        let a_bwd = plan_of(&a_op, true);
        let g_fwd = gram_op.as_ref().map(|g| plan_of(g, false));
        let e_fwd = eval_op.as_ref().map(|o| plan_of(o, false));
        let all = [Some(&a_fwd), Some(&a_bwd), g_fwd.as_ref(), e_fwd.as_ref()];
        let partial = partial_buffer(ctx, &all)?;

        let parts = Parts {
            ctx,
            act,
            n,
            m,
            nb,
            io: &io,
            host: &host,
            a_op: &a_op,
            a_fwd: &a_fwd,
            a_bwd: &a_bwd,
            partial: &partial,
            fin: Finish::none(nb),
        };
        let mut l = Launches::default();
        let w_src = match (&gram, &gram_op, &g_fwd) {
            (Some(g), Some(gop), Some(g_fwd)) => {
                let transposed = plan.dual == Some(DualSpace::Weights);
                l.init.extend(gram::gram(ctx, act, &a_op, transposed, g)?);
                if transposed {
                    parts.dual_weights(&mut l, gop, g_fwd)?
                } else {
                    parts.dual_samples(&mut l, gop, g_fwd, batch.record_w || e > 0)?
                }
            }
            _ => parts.primal(&mut l)?,
        };
        if let (Some(op), Some(p), Some(fe)) = (&eval_op, &e_fwd, &feval) {
            let f = Finish {
                out: Some(fe),
                ..parts.fin
            };
            l.eval.extend(parts.product((op, p), &w_src, f, true)?);
        }

        let a_blocks = a_stored.as_ref().map_or(0, |a| a.blocks.len());
        Ok(DeviceBatch {
            name: describe(ctx, plan, n, m, a_blocks),
            n,
            m,
            nb,
            e,
            chunk: plan.chunk,
            alpha32: host.alpha32,
            alpha: io.alpha,
            r: io.r,
            fs: io.fs,
            norms: io.norms,
            w_src,
            feval,
            launches: l,
        })
    }

    /// What the engine names itself by (strategy, operator, adapter).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The launches run once before the first step.
    pub(crate) fn init(&self) -> &[Dispatch] {
        &self.launches.init
    }

    /// The launches of one GD step.
    pub(crate) fn step(&self) -> &[Dispatch] {
        &self.launches.step
    }

    /// The launches that compute the residual norms.
    pub(crate) fn observe(&self) -> &[Dispatch] {
        &self.launches.observe
    }

    /// The residuals r_b after the last observation, read back (one vector per run).
    pub(crate) fn residuals(&self, ctx: &GpuContext) -> Result<Vec<Vec<f64>>> {
        let (n, nb) = (self.n, self.nb);
        let r = ctx.read_f32(KERNEL, &self.r, 0, n * nb)?;
        Ok((0..nb)
            .map(|b| (0..n).map(|i| f64::from(r[i * nb + b])).collect())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_inputs_are_checked() {
        assert!(
            f32_values("y", &[1.0, 1e39])
                .unwrap_err()
                .to_string()
                .contains("index 1")
        );
        assert_eq!(
            columns("y", &[vec![1.0, 2.0], vec![3.0, 4.0]], 2).unwrap(),
            vec![1.0, 3.0, 2.0, 4.0]
        );
    }
}
