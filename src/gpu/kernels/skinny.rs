//! The skinny products P = op(M)·X over the B columns of a batch
//! (`shaders/kernels/skinny.wgsl`; twin [`crate::precision::twin::skinny`]): how a product is split into launches (row blocks
//! of the operand, splits of the reduction for occupancy and for the loop
//! limit of software drivers, partial slots that fit one binding), and the
//! finish step that sums the splits — fused into the product's epilogue when
//! there is nothing to sum.

use super::launch::{Dispatch, Dummies, Finish, MAX_GROUPS, Operand, max_reduction};
use super::{Kernel, Loader, SkinnyTile};
use crate::gpu::{GpuContext, GpuError};
use crate::model::Activation;

/// A planned skinny product `P = op(M) · X` (op = identity or transpose) over B
/// columns: its launches and the partial slots they fill.
#[derive(Clone, Debug)]
pub(crate) struct SkinnyPlan {
    calls: Vec<SkinnyCall>,
    tile: SkinnyTile,
    transposed: bool,
    direct: bool,
    loader: Loader,
    /// Partial slots to sum in the finish kernel.
    pub slots: usize,
    /// Elements per slot = outputs × B.
    pub p_stride: usize,
    /// Number of outputs (rows of op(M)).
    pub n_out: usize,
    /// Most slots the partial buffer holds at once.
    max_slots: usize,
}

#[derive(Clone, Debug)]
struct SkinnyCall {
    block: usize,
    params: [u32; 16],
    groups: [u32; 3],
}

impl SkinnyPlan {
    /// The reduction indices per split of each launch (one launch per block).
    pub(crate) fn split_lens(&self) -> Vec<usize> {
        self.calls.iter().map(|c| c.params[3] as usize).collect()
    }

    /// Elements of the partial buffer this plan needs.
    pub(crate) fn partial_len(&self) -> usize {
        self.slots.min(self.max_slots) * self.p_stride
    }

    /// The launches in groups whose partial slots fit the buffer (several
    /// groups only when Mᵀ·X runs over more row blocks than slots fit; the
    /// finish step then accumulates group by group).
    fn groups(&self) -> Vec<SkinnyPlan> {
        if self.slots <= self.max_slots {
            return vec![self.clone()];
        }
        let mut out = Vec::new();
        let mut cur: Vec<SkinnyCall> = Vec::new();
        let mut used = 0usize;
        let flush = |cur: &mut Vec<SkinnyCall>, used: &mut usize, out: &mut Vec<SkinnyPlan>| {
            out.push(SkinnyPlan {
                calls: std::mem::take(cur),
                slots: *used,
                ..self.clone()
            });
            *used = 0;
        };
        for call in &self.calls {
            let k = call.groups[2] as usize;
            if used + k > self.max_slots && !cur.is_empty() {
                flush(&mut cur, &mut used, &mut out);
            }
            let mut c = call.clone();
            c.params[4] = used as u32;
            used += k;
            cur.push(c);
        }
        flush(&mut cur, &mut used, &mut out);
        out
    }

    /// Plans `op(M)·X` for `op` = M (`transposed` false: outputs are rows of M)
    /// or Mᵀ (outputs are columns). Splits the reduction so that about
    /// `ctx.occupancy` workgroups run, each split at least `ctx.min_split` long, and the
    /// partial buffer holds at most `max_partial` elements (at least one slot
    /// per block).
    pub(crate) fn new(
        ctx: &GpuContext,
        op: &Operand<'_>,
        transposed: bool,
        nb: usize,
        max_partial: usize,
    ) -> Self {
        let target_groups = ctx.occupancy;
        let direct = !ctx.tiled;
        let (rows, cols) = op.shape();
        let tile = SkinnyTile::for_columns(nb);
        // Loop iterations per reduction index (no unrolling assumed): the
        // streaming kernel runs the r loop and its RB-column loop; the tiled one
        // its tile loads, the TK×RI×RB multiply-add loops and the Kahan loop.
        let (ri, rb) = (f64::from(tile.ri), f64::from(tile.rb));
        let per_index = if direct {
            2.0 + rb + (1.0 + rb) / 16.0
        } else {
            2.0 + (f64::from(tile.ti()) + f64::from(tile.bt())) / 256.0
                + ri * (1.0 + rb)
                + ri * rb / 16.0
        };
        let max_len = max_reduction(ctx, per_index, 64.0 + 4.0 * ri * rb);
        let spans = op.spans();
        let n_out = if transposed { cols } else { rows };
        let p_stride = n_out * nb;
        let tiles_b = nb.div_ceil(tile.bt() as usize);
        let max_slots = (max_partial / p_stride.max(1)).max(1);
        let per_block_cap = if transposed {
            (max_slots / spans.len()).max(1)
        } else {
            max_slots
        };
        let mut calls = Vec::new();
        let mut slot = 0usize;
        let mut slots_total = 0usize;
        for (bi, &(row0, brows)) in spans.iter().enumerate() {
            let (d_out, d_red, o0, r0) = if transposed {
                (cols, brows, 0, row0)
            } else {
                (brows, cols, row0, 0)
            };
            // Workgroups per split: output tiles × column tiles (tiled), or
            // 64 invocations over outputs × column groups (streaming).
            let (gx, gy) = if direct {
                let n_cb = nb.div_ceil(tile.rb as usize);
                ((d_out * n_cb).div_ceil(64).max(1), 1)
            } else {
                (d_out.div_ceil(tile.ti() as usize).max(1), tiles_b)
            };
            let want = target_groups.div_ceil(gx * gy).max(1);
            let max_by_len = (d_red / ctx.min_split.max(16)).max(1);
            // Beyond MAX_GROUPS workgroups an invocation loops over several
            // outputs: its reduction share shrinks accordingly.
            let reps = gx.div_ceil(MAX_GROUPS as usize).max(1);
            let max_len = (max_len / reps / 16 * 16).max(16);
            // The loop limit overrides the memory cap of the partial buffer.
            let needed = d_red.div_ceil(max_len).max(1);
            let splits0 = want.min(max_by_len).min(per_block_cap).max(needed);
            let tk = SkinnyTile::TK as usize;
            let split_len = d_red
                .div_ceil(splits0)
                .next_multiple_of(tk)
                .max(tk)
                .min(max_len.max(tk));
            let splits = d_red.div_ceil(split_len).max(1);
            let slot0 = if transposed { slot } else { 0 };
            let ld = cols;
            calls.push(SkinnyCall {
                block: bi,
                params: [
                    d_out as u32,
                    d_red as u32,
                    nb as u32,
                    split_len as u32,
                    slot0 as u32,
                    p_stride as u32,
                    o0 as u32,
                    r0 as u32,
                    ld as u32,
                    0,
                    0, // σ, filled in at realisation
                    0, // epilogue flags, c_y, c_p: filled in at realisation
                    0,
                    0,
                    0,
                    0,
                ],
                groups: [(gx as u32).min(MAX_GROUPS), gy as u32, splits as u32],
            });
            if transposed {
                slot += splits;
                slots_total = slot;
            } else {
                slots_total = slots_total.max(splits);
            }
        }
        // Fwd products cannot be grouped: their slots must all fit.
        let max_slots = if transposed {
            max_slots
        } else {
            max_slots.max(slots_total)
        };
        SkinnyPlan {
            calls,
            tile,
            transposed,
            direct,
            loader: op.loader(),
            slots: slots_total,
            p_stride,
            n_out,
            max_slots,
        }
    }

    /// Pipelines and bind groups for this plan: reads `op` and `x`, writes the
    /// raw split sums to the partial buffer, or — with `epilogue` (one slot
    /// only) — the finished values (see `shaders/kernels/skinny.wgsl`).
    pub(crate) fn realize(
        &self,
        env: &ProductEnv<'_>,
        op: &Operand<'_>,
        x: &wgpu::Buffer,
        epilogue: Option<&Finish<'_>>,
    ) -> Result<Vec<Dispatch>, GpuError> {
        let ProductEnv {
            ctx,
            act,
            partial,
            dummies: d,
        } = *env;
        let kernel = Kernel::Skinny {
            loader: self.loader,
            tile: self.tile,
            transposed: self.transposed,
            direct: self.direct,
        };
        let name = kernel.name();
        let pipeline = ctx.cached_pipeline(&name, &kernel.source(act), kernel.entry())?;
        // Only the matrix-free loader evaluates η.
        let table = match op {
            Operand::Free { .. } => super::launch::eta_table(ctx, &name, act)?,
            Operand::Stored(_) => None,
        };
        let mut out = Vec::with_capacity(self.calls.len());
        for call in &self.calls {
            let mut params = call.params;
            if let Operand::Free { sigma, .. } = op {
                params[10] = sigma.to_bits();
            }
            let (target, yin, alpha, dst) = match epilogue {
                None => (partial, &d.read, &d.read, &d.write2),
                Some(fin) => {
                    let mut epi = 1u32;
                    if fin.y.is_some() {
                        epi |= 2;
                    }
                    if fin.out.is_some() {
                        epi |= 4;
                    }
                    if fin.update.is_some() {
                        epi |= 8;
                    }
                    if fin.update.is_some_and(|u| u.2) {
                        epi |= 16;
                    }
                    params[11] = epi;
                    params[12] = fin.y.map_or(0.0f32, |(_, c)| c).to_bits();
                    params[13] = fin.c_p.to_bits();
                    (
                        fin.out.unwrap_or(&d.write),
                        fin.y.map_or(&d.read, |(b, _)| b),
                        fin.alpha.unwrap_or(&d.read),
                        fin.update.map_or(&d.write2, |u| u.0),
                    )
                }
            };
            let u = ctx.uniform(&name, &params)?;
            let mut entries: Vec<(u32, &wgpu::Buffer)> = vec![(0, &u), (1, x), (2, target)];
            match op {
                Operand::Stored(m) => entries.push((3, &m.blocks[call.block].buf)),
                Operand::Free { xs, bs, .. } => {
                    entries.push((3, xs));
                    entries.push((4, bs));
                }
            }
            entries.push((5, yin));
            entries.push((6, alpha));
            entries.push((7, dst));
            if let Some(t) = &table {
                entries.push((super::launch::TABLE_BINDING, t));
            }
            let bind = ctx.bind_group(&name, &pipeline, &entries)?;
            out.push(Dispatch::new(pipeline.clone(), bind, call.groups));
        }
        Ok(out)
    }
}

/// Where the products of a batch run: the device, the activation the loaders
/// evaluate, the shared partial-sum buffer and the dummy bindings.
#[derive(Clone, Copy)]
pub(crate) struct ProductEnv<'a> {
    /// The device.
    pub ctx: &'a GpuContext,
    /// η, for the matrix-free loader.
    pub act: Activation,
    /// Split partial sums.
    pub partial: &'a wgpu::Buffer,
    /// Bound where an optional input or output is unused.
    pub dummies: &'a Dummies,
}

/// `op(M)·X` followed by the finish step `fin` (its sizes and partial fields
/// are taken from `plan`): one fused launch when the reduction is not split and
/// `fuse` allows it (the update target must not be X), else the split product
/// plus the finish kernel.
pub(crate) fn product(
    env: &ProductEnv<'_>,
    (op, plan): (&Operand<'_>, &SkinnyPlan),
    x: &wgpu::Buffer,
    fin: Finish<'_>,
    fuse: bool,
) -> Result<Vec<Dispatch>, GpuError> {
    let ProductEnv {
        ctx,
        partial,
        dummies,
        ..
    } = *env;
    let fin = Finish {
        n: plan.n_out * fin.nb,
        slots: plan.slots,
        p_stride: plan.p_stride,
        partial: Some(partial),
        ..fin
    };
    let in_place = fin.update.is_none_or(|u| u.1.is_none());
    let groups = plan.groups();
    if groups.len() == 1 {
        if plan.slots == 1 && fuse && in_place {
            return plan.realize(env, op, x, Some(&fin));
        }
        let mut v = plan.realize(env, op, x, None)?;
        v.push(fin.realize(ctx, dummies)?);
        return Ok(v);
    }
    // Group by group: the first writes (or updates) the target, the others
    // add their part of the product to it.
    let mut v = Vec::new();
    for (k, g) in groups.iter().enumerate() {
        v.extend(g.realize(env, op, x, None)?);
        let part = Finish {
            slots: g.slots,
            ..fin
        };
        let step = if k == 0 {
            part
        } else {
            match (fin.out, fin.update) {
                (Some(out), None) => Finish {
                    y: None,
                    out: None,
                    update: Some((out, None, false)),
                    alpha: None,
                    ..part
                },
                (None, Some(_)) => Finish { y: None, ..part },
                _ => {
                    return Err(GpuError::Validation {
                        kernel: "finish".into(),
                        message: "internal: a grouped product must either write or update".into(),
                    });
                }
            }
        };
        v.push(step.realize(ctx, dummies)?);
    }
    Ok(v)
}
