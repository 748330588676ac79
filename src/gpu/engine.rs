//! The device side of one GD batch ([`super::gd`]): buffers, the recorded
//! launches of each strategy (set-up, one step, an observation, rebuilding w,
//! evaluating f on a grid), and the chunked, pipelined loop that records steps,
//! copies checkpoints on the device and reads them back once per chunk.

use super::design::{self as gdesign, sigma_f32, to_f32};
use super::gd::Strategy;
use super::ops::{self, Blocked, Dispatch, Dummies, Finish, Operand};
use super::plan::{self, DualSpace, Plan};
use super::skinny::{self, SkinnyPlan};
use super::{GpuContext, GpuError};
use crate::cpu_gd::ResidualWatch;
use crate::design::Design;
use crate::error::{Error, Result};
use crate::trajectory::{Checkpoint, GdBatch, RunStatus, Trajectory};

/// Kernel name used in the errors of the GD engine.
pub(crate) const KERNEL: &str = "gd";
/// Read-back buffer per chunk, bytes (more checkpoints per chunk wait for the next).
const STAGING_BYTES: usize = 64 << 20;
/// Partial-sum buffer of the split products, bytes.
const PARTIAL_BYTES: u64 = 64 << 20;

/// The device side of one batch: buffers and recorded launches.
pub(crate) struct Engine {
    pub(crate) name: String,
    pub(crate) n: usize,
    m: usize,
    pub(crate) nb: usize,
    e: usize,
    chunk: u64,
    y32: Vec<f32>,
    alpha32: Vec<f32>,
    alpha: wgpu::Buffer,
    pub(crate) r: wgpu::Buffer,
    norms: wgpu::Buffer,
    w_src: wgpu::Buffer,
    feval: Option<wgpu::Buffer>,
    pub(crate) init: Vec<Dispatch>,
    pub(crate) step: Vec<Dispatch>,
    pub(crate) observe: Vec<Dispatch>,
    make_w: Vec<Dispatch>,
    eval: Vec<Dispatch>,
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

impl Engine {
    pub(crate) fn build(
        ctx: &GpuContext,
        design: &Design,
        batch: &GdBatch,
        plan: &Plan,
    ) -> Result<Self> {
        let act = design.activation;
        let sigma = sigma_f32(design)?;
        let (n, m, nb) = (design.n(), design.m(), batch.runs());
        let eval_pts = batch.eval_points.as_deref().unwrap_or(&[]);
        let e = eval_pts.len();
        // Workgroups to aim for per product (GpuOptions::occupancy).
        let target = ctx.occupancy;
        // Partial sums: 64 MiB, at least one slot of the widest product, at
        // most one binding.
        let widest = n.max(m).max(e) * nb;
        let cap = ((PARTIAL_BYTES / 4) as usize)
            .max(widest)
            .min((ctx.max_binding / 4) as usize);

        if nb > ops::MAX_GROUPS as usize {
            return Err(Error::invalid(
                "runs",
                nb,
                format!(
                    "at most {} runs per GPU batch (one workgroup per run checks its residual); split the batch",
                    ops::MAX_GROUPS
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

        let xs = ops::upload(ctx, KERNEL, "sample grid x (f32)", &to_f32(&design.x))?;
        let bs = ops::upload(ctx, KERNEL, "bias grid b (f32)", &to_f32(&design.b))?;
        let y = ops::upload(ctx, KERNEL, "targets Y (N x B)", &y32)?;
        let alpha = ops::upload(ctx, KERNEL, "learning rates", &alpha32)?;
        let r = ops::zeros(ctx, KERNEL, "residuals R (N x B)", n * nb)?;
        let norms = ops::zeros(ctx, KERNEL, "residual norms", 3 * nb)?;
        let dummies = Dummies::new(ctx, KERNEL)?;
        let state_w = |what: &str| -> Result<wgpu::Buffer> {
            Ok(match &w0 {
                Some(w) => ops::upload(ctx, KERNEL, what, w)?,
                None => ops::zeros(ctx, KERNEL, what, m * nb)?,
            })
        };

        let rows = plan::block_rows(ctx, design, plan.dual)?;
        let a_stored = if plan.store_a {
            Some(gdesign::build(
                ctx,
                act,
                &xs,
                &bs,
                sigma,
                n,
                m,
                rows,
                "design matrix A",
            )?)
        } else {
            None
        };
        let a_op = match &a_stored {
            Some(a) => Operand::Stored(a),
            None => Operand::Free {
                xs: &xs,
                bs: &bs,
                sigma,
                rows: n,
                cols: m,
            },
        };
        let xe = if e > 0 {
            Some(ops::upload(
                ctx,
                KERNEL,
                "evaluation grid (f32)",
                &to_f32(eval_pts),
            )?)
        } else {
            None
        };
        let eval_stored = match (&xe, plan.store_eval) {
            (Some(xe), true) => {
                let er = ops::rows_per_block(ctx, KERNEL, "A on the evaluation grid", m)?;
                Some(gdesign::build(
                    ctx,
                    act,
                    xe,
                    &bs,
                    sigma,
                    e,
                    m,
                    er,
                    "A on the evaluation grid",
                )?)
            }
            _ => None,
        };
        let eval_op = match (&eval_stored, &xe) {
            (Some(a), _) => Some(Operand::Stored(a)),
            (None, Some(xe)) => Some(Operand::Free {
                xs: xe,
                bs: &bs,
                sigma,
                rows: e,
                cols: m,
            }),
            _ => None,
        };
        let feval = match e {
            0 => None,
            _ => Some(ops::zeros(ctx, KERNEL, "f on the evaluation grid", e * nb)?),
        };

        // Gram matrix of the dual.
        let gram = match plan.dual {
            Some(DualSpace::Samples) => Some(Blocked::zeros(ctx, KERNEL, "K = A A^T", n, n, rows)?),
            Some(DualSpace::Weights) => {
                let gr = ops::rows_per_block(ctx, KERNEL, "G", m)?;
                Some(Blocked::zeros(ctx, KERNEL, "G = A^T A", m, m, gr)?)
            }
            None => None,
        };
        let gram_op = gram.as_ref().map(Operand::Stored);

        // Plans of every product, then one partial buffer for the largest.
        let a_fwd = SkinnyPlan::new(ctx, &a_op, false, nb, target, cap);
        let a_bwd = SkinnyPlan::new(ctx, &a_op, true, nb, target, cap);
        let g_fwd = gram_op
            .as_ref()
            .map(|g| SkinnyPlan::new(ctx, g, false, nb, target, cap));
        let e_fwd = eval_op
            .as_ref()
            .map(|o| SkinnyPlan::new(ctx, o, false, nb, target, cap));
        let partial_len = [Some(&a_fwd), Some(&a_bwd), g_fwd.as_ref(), e_fwd.as_ref()]
            .into_iter()
            .flatten()
            .map(SkinnyPlan::partial_len)
            .max()
            .unwrap_or(1);
        let partial = ops::zeros(
            ctx,
            KERNEL,
            "partial sums of the split products",
            partial_len,
        )?;

        let fin = Finish {
            n: 0,
            nb,
            slots: 0,
            p_stride: 0,
            partial: None,
            y: None,
            c_p: 1.0,
            out: None,
            update: None,
            alpha: None,
        };
        let d = &dummies;

        let mut init = Vec::new();
        let mut step = Vec::new();
        let mut observe = Vec::new();
        let mut make_w = Vec::new();
        let mut eval = Vec::new();
        let w_src;
        if let (Some(g), Some(gop)) = (&gram, &gram_op) {
            let transposed = plan.dual == Some(DualSpace::Weights);
            init.extend(ops::gram(ctx, act, &a_op, transposed, g)?);
            let g_fwd = g_fwd.as_ref().ok_or_else(|| internal("no plan for K/G"))?;
            if !transposed {
                // Sample space: iterate C (N×B); R = Y' − K C, C += α R.
                let c = ops::zeros(ctx, KERNEL, "dual coefficients C (N x B)", n * nb)?;
                let (yp, w0buf) = match &w0 {
                    Some(w) => {
                        let w0buf = ops::upload(ctx, KERNEL, "initial weights W0", w)?;
                        let yp = ops::zeros(ctx, KERNEL, "Y' = Y - A W0", n * nb)?;
                        let f = Finish {
                            y: Some((&y, 1.0)),
                            c_p: -1.0,
                            out: Some(&yp),
                            ..fin
                        };
                        init.extend(skinny::product(
                            ctx, act, &a_op, &a_fwd, &w0buf, &partial, f, d, true,
                        )?);
                        (yp, Some(w0buf))
                    }
                    None => (y.clone(), None),
                };
                let f = Finish {
                    y: Some((&yp, 1.0)),
                    c_p: -1.0,
                    out: Some(&r),
                    ..fin
                };
                let resid = skinny::product(ctx, act, gop, g_fwd, &c, &partial, f, d, true)?;
                init.extend(resid.iter().cloned());
                step.push(
                    Finish {
                        n: n * nb,
                        y: Some((&r, 1.0)),
                        c_p: 0.0,
                        update: Some((&c, None, true)),
                        alpha: Some(&alpha),
                        ..fin
                    }
                    .realize(ctx, d)?,
                );
                step.extend(resid);
                if batch.record_w || e > 0 {
                    let wt = ops::zeros(ctx, KERNEL, "weights W = W0 + A^T C (M x B)", m * nb)?;
                    let f = Finish {
                        y: w0buf.as_ref().map(|b| (b, 1.0)),
                        out: Some(&wt),
                        ..fin
                    };
                    make_w.extend(skinny::product(
                        ctx, act, &a_op, &a_bwd, &c, &partial, f, d, true,
                    )?);
                    w_src = wt;
                } else {
                    w_src = c;
                }
                observe.push(ops::colnorm(ctx, &r, n, nb, &norms)?);
            } else {
                // Weight space: H = Aᵀ Y once, W += α (H − G W).
                let w = state_w("weights W (M x B)")?;
                let h = ops::zeros(ctx, KERNEL, "H = A^T Y (M x B)", m * nb)?;
                let f = Finish {
                    out: Some(&h),
                    ..fin
                };
                init.extend(skinny::product(
                    ctx, act, &a_op, &a_bwd, &y, &partial, f, d, true,
                )?);
                // W is both read (G W) and updated: never fused.
                let f = Finish {
                    y: Some((&h, 1.0)),
                    c_p: -1.0,
                    update: Some((&w, None, true)),
                    alpha: Some(&alpha),
                    ..fin
                };
                step.extend(skinny::product(
                    ctx, act, gop, g_fwd, &w, &partial, f, d, false,
                )?);
                let f = Finish {
                    y: Some((&y, 1.0)),
                    c_p: -1.0,
                    out: Some(&r),
                    ..fin
                };
                observe.extend(skinny::product(
                    ctx, act, &a_op, &a_fwd, &w, &partial, f, d, true,
                )?);
                observe.push(ops::colnorm(ctx, &r, n, nb, &norms)?);
                w_src = w;
            }
        } else {
            // Primal (A stored) or matrix-free (A recomputed by the loader).
            let w = state_w("weights W (M x B)")?;
            let f = Finish {
                y: Some((&y, 1.0)),
                c_p: -1.0,
                out: Some(&r),
                ..fin
            };
            let resid = skinny::product(ctx, act, &a_op, &a_fwd, &w, &partial, f, d, true)?;
            init.extend(resid.iter().cloned());
            let f = Finish {
                update: Some((&w, None, true)),
                alpha: Some(&alpha),
                ..fin
            };
            step.extend(skinny::product(
                ctx, act, &a_op, &a_bwd, &r, &partial, f, d, true,
            )?);
            step.extend(resid);
            observe.push(ops::colnorm(ctx, &r, n, nb, &norms)?);
            w_src = w;
        }
        if let (Some(op), Some(p), Some(fe)) = (&eval_op, &e_fwd, &feval) {
            let f = Finish {
                out: Some(fe),
                ..fin
            };
            eval.extend(skinny::product(
                ctx, act, op, p, &w_src, &partial, f, d, true,
            )?);
        }

        let what = match (plan.strategy, plan.dual) {
            (_, Some(DualSpace::Samples)) => format!(
                "dual K = A A^T ({n}x{n}), A {}",
                if plan.store_a { "stored" } else { "recomputed" }
            ),
            (_, Some(DualSpace::Weights)) => format!(
                "dual G = A^T A ({m}x{m}), A {}",
                if plan.store_a { "stored" } else { "recomputed" }
            ),
            (Strategy::MatrixFree, _) => "matrix-free".to_string(),
            _ => format!(
                "primal, A stored in {} block(s)",
                a_stored.as_ref().map_or(0, |a| a.blocks.len())
            ),
        };
        Ok(Engine {
            name: format!("gpu-f32 {} [{what}] on {}", plan.strategy, ctx.describe()),
            n,
            m,
            nb,
            e,
            chunk: plan.chunk,
            y32,
            alpha32,
            alpha,
            r,
            norms,
            w_src,
            feval,
            init,
            step,
            observe,
            make_w,
            eval,
        })
    }

    pub(crate) fn run(
        mut self,
        ctx: &GpuContext,
        batch: &GdBatch,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Trajectory> {
        let (n, m, nb, e) = (self.n, self.m, self.nb, self.e);
        let q_max = batch.q_max();
        let obs = observation_points(&batch.checkpoints, self.chunk, q_max);
        let is_cp = |q: u64| batch.checkpoints.binary_search(&q).is_ok();
        let norm_len = 3 * nb;
        let cp_len = n * nb + if batch.record_w { m * nb } else { 0 } + e * nb;
        // Everything the batch reads back, if that is less than the budget.
        let total: usize = obs
            .iter()
            .map(|&q| norm_len + if is_cp(q) { cp_len } else { 0 })
            .sum();
        let cap = (STAGING_BYTES / 4)
            .min(total)
            .max(norm_len + cp_len)
            .min((ctx.limits.max_buffer_size / 4) as usize);
        if norm_len + cp_len > cap {
            return Err(GpuError::TooLarge {
                kernel: KERNEL.into(),
                what: "read-back of one checkpoint".into(),
                requested: 4 * (norm_len + cp_len) as u64,
                max: ctx.limits.max_buffer_size,
            }
            .into());
        }
        // Two read-back buffers: chunk c + 1 is recorded and submitted while the
        // device still runs chunk c, whose results are read afterwards. A run
        // that fails in chunk c is frozen from chunk c + 2 on; its checkpoints
        // after the failure are NaN either way.
        let staging = [0, 1].map(|k| {
            ctx.buffer(
                KERNEL,
                &format!("checkpoint read-back {k}"),
                (cap * 4) as u64,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            )
        });
        let staging = match staging {
            [Ok(a), Ok(b)] => [a, b],
            [Err(e), _] | [_, Err(e)] => return Err(e.into()),
        };

        let mut status = vec![RunStatus::Ok; nb];
        let mut watch = vec![ResidualWatch::default(); nb];
        let mut checkpoints = Vec::with_capacity(batch.checkpoints.len());
        let mut q_cur = 0u64;
        let mut i = 0usize;
        let mut chunk_no = 0usize;
        let mut all_failed = false;
        let mut pending: Option<(wgpu::SubmissionIndex, Vec<Record>, usize, usize)> = None;
        loop {
            let mut next = None;
            if i < obs.len() && !all_failed {
                let sb = chunk_no % 2;
                let stage = &staging[sb];
                let mut enc = ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("gd chunk"),
                    });
                if chunk_no == 0 {
                    ops::record(&mut enc, &[&self.init]);
                }
                let mut recs = Vec::new();
                let mut off = 0usize;
                loop {
                    let q = obs[i];
                    if q > q_cur {
                        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                            label: Some("gd steps"),
                            timestamp_writes: None,
                        });
                        for _ in q_cur..q {
                            for d in &self.step {
                                d.record(&mut pass);
                            }
                        }
                    }
                    q_cur = q;
                    let cp = is_cp(q);
                    let mut lists: Vec<&[Dispatch]> = vec![&self.observe];
                    if cp && (batch.record_w || e > 0) {
                        lists.push(&self.make_w);
                    }
                    if cp && e > 0 {
                        lists.push(&self.eval);
                    }
                    ops::record(&mut enc, &lists);
                    let mut copy = |src: &wgpu::Buffer, len: usize, off: &mut usize| {
                        enc.copy_buffer_to_buffer(
                            src,
                            0,
                            stage,
                            (*off * 4) as u64,
                            (len * 4) as u64,
                        );
                        let at = *off;
                        *off += len;
                        at
                    };
                    let norms_at = copy(&self.norms, norm_len, &mut off);
                    let mut rec = Record {
                        q,
                        cp,
                        norms: norms_at,
                        r: 0,
                        w: 0,
                        f: 0,
                    };
                    if cp {
                        rec.r = copy(&self.r, n * nb, &mut off);
                        if batch.record_w {
                            rec.w = copy(&self.w_src, m * nb, &mut off);
                        }
                        if let Some(fe) = &self.feval {
                            rec.f = copy(fe, e * nb, &mut off);
                        }
                    }
                    recs.push(rec);
                    i += 1;
                    if i == obs.len() || q % self.chunk == 0 {
                        break;
                    }
                    let need = norm_len + if is_cp(obs[i]) { cp_len } else { 0 };
                    if off + need > cap {
                        break;
                    }
                }
                let index = ctx.submit(KERNEL, enc)?;
                next = Some((index, recs, off, sb));
                chunk_no += 1;
            }
            let Some((index, recs, off, sb)) = pending.take() else {
                if next.is_none() {
                    break;
                }
                pending = next;
                continue;
            };
            let data = ctx.map_f32_after(KERNEL, &staging[sb], off, index)?;
            for rec in &recs {
                for b in 0..nb {
                    if !status[b].is_ok() {
                        continue;
                    }
                    let at = rec.norms + 3 * b;
                    let norm = if data[at + 2] != 0.0 {
                        f64::NAN
                    } else {
                        data[at] as f64 * (data[at + 1] as f64).sqrt()
                    };
                    status[b] = watch[b].observe(rec.q, norm, rec.q == q_max);
                }
                if rec.cp {
                    checkpoints.push(self.checkpoint(batch, rec, &data, &status));
                }
            }
            if let Some(last) = recs.last() {
                progress(last.q);
            }
            // Freeze the runs that failed: α_b = 0 keeps their state as it was.
            let mut changed = false;
            for (b, st) in status.iter().enumerate() {
                if !st.is_ok() && self.alpha32[b] != 0.0 {
                    self.alpha32[b] = 0.0;
                    changed = true;
                }
            }
            if changed {
                ctx.queue
                    .write_buffer(&self.alpha, 0, bytemuck::cast_slice(&self.alpha32));
            }
            all_failed = status.iter().all(|s| !s.is_ok());
            pending = next;
        }
        // Checkpoints are recorded in order: the first `done` are there.
        let done = checkpoints.len();
        // Every run failed early: the remaining checkpoints are NaN, as on the CPU.
        for &q in &batch.checkpoints[done..] {
            let nan = |len: usize| vec![vec![f64::NAN; len]; nb];
            checkpoints.push(Checkpoint {
                q,
                f: nan(n),
                loss: vec![f64::NAN; nb],
                w: batch.record_w.then(|| nan(m)),
                f_eval: (e > 0).then(|| nan(e)),
            });
        }
        Ok(Trajectory {
            engine: self.name,
            checkpoints,
            status,
        })
    }

    fn checkpoint(
        &self,
        batch: &GdBatch,
        rec: &Record,
        data: &[f32],
        status: &[RunStatus],
    ) -> Checkpoint {
        let (n, m, nb, e) = (self.n, self.m, self.nb, self.e);
        let col = |at: usize, len: usize, b: usize| -> Vec<f64> {
            if status[b].is_ok() {
                (0..len).map(|i| data[at + i * nb + b] as f64).collect()
            } else {
                vec![f64::NAN; len]
            }
        };
        let mut f = Vec::with_capacity(nb);
        let mut loss = Vec::with_capacity(nb);
        for b in 0..nb {
            let r = col(rec.r, n, b);
            loss.push(0.5 * r.iter().map(|v| v * v).sum::<f64>());
            // f = y − r with the f32 target the GPU iterated on (exact in f64).
            f.push(
                r.iter()
                    .enumerate()
                    .map(|(i, ri)| self.y32[i * nb + b] as f64 - ri)
                    .collect(),
            );
        }
        Checkpoint {
            q: rec.q,
            f,
            loss,
            w: batch
                .record_w
                .then(|| (0..nb).map(|b| col(rec.w, m, b)).collect()),
            f_eval: (e > 0).then(|| (0..nb).map(|b| col(rec.f, e, b)).collect()),
        }
    }
}

/// Offsets (in f32) of one observation in the read-back buffer.
struct Record {
    q: u64,
    cp: bool,
    norms: usize,
    r: usize,
    w: usize,
    f: usize,
}

/// 0, every checkpoint, every multiple of `chunk` up to `q_max`, and `q_max`.
fn observation_points(checkpoints: &[u64], chunk: u64, q_max: u64) -> Vec<u64> {
    let mut v: Vec<u64> = checkpoints.to_vec();
    v.push(0);
    v.push(q_max);
    let mut q = chunk;
    while q < q_max {
        v.push(q);
        q += chunk;
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn internal(msg: &str) -> Error {
    Error::Gpu(GpuError::Validation {
        kernel: KERNEL.into(),
        message: format!("internal: {msg}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_cover_checkpoints_and_chunks() {
        assert_eq!(observation_points(&[3, 40], 16, 40), vec![0, 3, 16, 32, 40]);
        assert_eq!(observation_points(&[0], 16, 0), vec![0]);
    }
}
