//! Kernel launches: device matrices split into row blocks, and recorded
//! dispatches of the WGSL kernels (`shaders/`), each with its pipeline, bind
//! group and workgroup counts, so that one GD step can be recorded thousands of
//! times into command buffers without touching the CPU in between.

use std::sync::Arc;

use super::shaders::{Kernel, Loader, SkinnyTile};
use super::{GpuContext, GpuError};
use crate::activation::Activation;

/// Largest workgroup count per dispatch dimension that every device accepts.
pub(crate) const MAX_GROUPS: u32 = 65535;
/// Reduction indices per split of a skinny product, at least (32 k-tiles).
pub(crate) const MIN_SPLIT: usize = 512;
/// Reduction length per Gram dispatch (longer ones are accumulated in pieces,
/// so no single dispatch runs long enough to trip a driver watchdog).
pub(crate) const GRAM_CHUNK: usize = 1 << 16;

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// One recorded kernel launch.
#[derive(Clone)]
pub(crate) struct Dispatch {
    pipeline: Arc<wgpu::ComputePipeline>,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

impl Dispatch {
    /// Records the launch into a compute pass.
    pub(crate) fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind, &[]);
        let [x, y, z] = self.groups;
        pass.dispatch_workgroups(x, y, z);
    }
}

/// Records `steps` in one compute pass.
pub(crate) fn record(enc: &mut wgpu::CommandEncoder, steps: &[&[Dispatch]]) {
    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some("gdshrink"),
        timestamp_writes: None,
    });
    for list in steps {
        for d in list.iter() {
            d.record(&mut pass);
        }
    }
}

/// A device storage buffer of `len` f32, zero-filled.
pub(crate) fn zeros(
    ctx: &GpuContext,
    kernel: &str,
    what: &str,
    len: usize,
) -> Result<wgpu::Buffer, GpuError> {
    check_binding(ctx, kernel, what, len)?;
    // wgpu zero-initialises new buffers.
    ctx.buffer(kernel, what, (len * 4) as u64, STORAGE)
}

/// A device storage buffer holding `data`.
pub(crate) fn upload(
    ctx: &GpuContext,
    kernel: &str,
    what: &str,
    data: &[f32],
) -> Result<wgpu::Buffer, GpuError> {
    check_binding(ctx, kernel, what, data.len())?;
    ctx.storage_with(kernel, what, data)
}

/// Fails with [`GpuError::TooLarge`] when `len` f32 do not fit one binding.
pub(crate) fn check_binding(
    ctx: &GpuContext,
    kernel: &str,
    what: &str,
    len: usize,
) -> Result<(), GpuError> {
    let bytes = (len as u64) * 4;
    if bytes > ctx.max_binding {
        return Err(GpuError::TooLarge {
            kernel: kernel.to_string(),
            what: what.to_string(),
            requested: bytes,
            max: ctx.max_binding,
        });
    }
    Ok(())
}

/// Rows per block so that one block of `cols` f32 columns fits one binding.
pub(crate) fn rows_per_block(
    ctx: &GpuContext,
    kernel: &str,
    what: &str,
    cols: usize,
) -> Result<usize, GpuError> {
    let rows = (ctx.max_binding / (4 * cols.max(1) as u64)) as usize;
    if rows == 0 {
        return Err(GpuError::TooLarge {
            kernel: kernel.to_string(),
            what: format!("one row of {what} ({cols} values)"),
            requested: 4 * cols as u64,
            max: ctx.max_binding,
        });
    }
    Ok(rows)
}

/// Rows `row0 .. row0 + rows` of a row-major device matrix.
pub(crate) struct Block {
    /// First row.
    pub row0: usize,
    /// Number of rows.
    pub rows: usize,
    /// `rows × cols` f32, row-major.
    pub buf: wgpu::Buffer,
}

/// A row-major `rows × cols` f32 matrix split into row blocks, each within one
/// storage binding (`ctx.max_binding`), so any size up to device memory works.
pub(crate) struct Blocked {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

impl Blocked {
    /// Allocates a zero matrix in blocks of at most `block_rows` rows.
    pub(crate) fn zeros(
        ctx: &GpuContext,
        kernel: &str,
        what: &str,
        rows: usize,
        cols: usize,
        block_rows: usize,
    ) -> Result<Self, GpuError> {
        let block_rows = block_rows.max(1);
        let mut blocks = Vec::new();
        let mut row0 = 0;
        while row0 < rows {
            let r = block_rows.min(rows - row0);
            let label = format!(
                "{what} rows {row0}..{} of {rows}x{cols} f32 (block {})",
                row0 + r,
                blocks.len()
            );
            blocks.push(Block {
                row0,
                rows: r,
                buf: zeros(ctx, kernel, &label, r * cols)?,
            });
            row0 += r;
        }
        Ok(Blocked { rows, cols, blocks })
    }

    /// Downloads the whole matrix, row-major.
    pub(crate) fn download(&self, ctx: &GpuContext, kernel: &str) -> Result<Vec<f32>, GpuError> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for b in &self.blocks {
            out.extend(ctx.read_f32(kernel, &b.buf, 0, b.rows * self.cols)?);
        }
        Ok(out)
    }
}

/// Where a product reads its matrix.
pub(crate) enum Operand<'a> {
    /// Stored blocks (A, K, G or A_eval).
    Stored(&'a Blocked),
    /// A (rows = points `xs`, columns = biases `bs`) recomputed in the kernel.
    Free {
        /// Sample (or evaluation) points, f32.
        xs: &'a wgpu::Buffer,
        /// Biases, f32.
        bs: &'a wgpu::Buffer,
        /// σ, f32.
        sigma: f32,
        /// Number of points.
        rows: usize,
        /// Number of biases.
        cols: usize,
    },
}

impl Operand<'_> {
    fn shape(&self) -> (usize, usize) {
        match self {
            Operand::Stored(b) => (b.rows, b.cols),
            Operand::Free { rows, cols, .. } => (*rows, *cols),
        }
    }

    fn loader(&self) -> Loader {
        match self {
            Operand::Stored(_) => Loader::Stored,
            Operand::Free { .. } => Loader::Free,
        }
    }

    /// `(row0, rows)` of each block (one block spanning everything when free).
    fn spans(&self) -> Vec<(usize, usize)> {
        match self {
            Operand::Stored(b) => b.blocks.iter().map(|k| (k.row0, k.rows)).collect(),
            Operand::Free { rows, .. } => vec![(0, *rows)],
        }
    }
}

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
}

#[derive(Clone, Debug)]
struct SkinnyCall {
    block: usize,
    params: [u32; 16],
    groups: [u32; 3],
}

impl SkinnyPlan {
    /// Elements of the partial buffer this plan needs.
    pub(crate) fn partial_len(&self) -> usize {
        self.slots * self.p_stride
    }

    /// Plans `op(M)·X` for `op` = M (`transposed` false: outputs are rows of M)
    /// or Mᵀ (outputs are columns). Splits the reduction so that about
    /// `target_groups` workgroups run, each split ≥ [`MIN_SPLIT`] long, and the
    /// partial buffer holds at most `max_partial` elements (at least one slot
    /// per block).
    pub(crate) fn new(
        op: &Operand<'_>,
        transposed: bool,
        nb: usize,
        target_groups: usize,
        max_partial: usize,
        direct: bool,
    ) -> Self {
        let (rows, cols) = op.shape();
        let tile = SkinnyTile::for_columns(nb);
        let spans = op.spans();
        let n_out = if transposed { cols } else { rows };
        let p_stride = n_out * nb;
        let tiles_b = nb.div_ceil(tile.bt() as usize);
        let max_slots = (max_partial / p_stride.max(1)).max(spans.len());
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
            let max_by_len = (d_red / MIN_SPLIT).max(1);
            let splits0 = want.min(max_by_len).min(per_block_cap).max(1);
            let tk = SkinnyTile::TK as usize;
            let split_len = d_red.div_ceil(splits0).next_multiple_of(tk).max(tk);
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
        SkinnyPlan {
            calls,
            tile,
            transposed,
            direct,
            loader: op.loader(),
            slots: slots_total,
            p_stride,
            n_out,
        }
    }

    /// Pipelines and bind groups for this plan: reads `op` and `x`, writes the
    /// raw split sums to `partial`, or — with `epilogue` (one slot only) — the
    /// finished values (see `shaders/skinny.wgsl`).
    fn realize(
        &self,
        ctx: &GpuContext,
        act: Activation,
        op: &Operand<'_>,
        x: &wgpu::Buffer,
        partial: &wgpu::Buffer,
        d: &Dummies,
        epilogue: Option<&Finish<'_>>,
    ) -> Result<Vec<Dispatch>, GpuError> {
        let kernel = Kernel::Skinny {
            loader: self.loader,
            tile: self.tile,
            transposed: self.transposed,
            direct: self.direct,
        };
        let name = kernel.name();
        let pipeline = ctx.cached_pipeline(&name, &kernel.source(act), kernel.entry())?;
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
            let bind = ctx.bind_group(&name, &pipeline, &entries)?;
            out.push(Dispatch {
                pipeline: pipeline.clone(),
                bind,
                groups: call.groups,
            });
        }
        Ok(out)
    }
}

/// `op(M)·X` followed by the finish step `fin` (its sizes and partial fields
/// are taken from `plan`): one fused launch when the reduction is not split and
/// `fuse` allows it (the update target must not be X), else the split product
/// plus the finish kernel.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    ctx: &GpuContext,
    act: Activation,
    op: &Operand<'_>,
    plan: &SkinnyPlan,
    x: &wgpu::Buffer,
    partial: &wgpu::Buffer,
    fin: Finish<'_>,
    dummies: &Dummies,
    fuse: bool,
) -> Result<Vec<Dispatch>, GpuError> {
    let fin = Finish {
        n: plan.n_out * fin.nb,
        slots: plan.slots,
        p_stride: plan.p_stride,
        partial: Some(partial),
        ..fin
    };
    let in_place = fin.update.is_none_or(|u| u.1.is_none());
    if plan.slots == 1 && fuse && in_place {
        return plan.realize(ctx, act, op, x, partial, dummies, Some(&fin));
    }
    let mut v = plan.realize(ctx, act, op, x, partial, dummies, None)?;
    v.push(fin.realize(ctx, dummies)?);
    Ok(v)
}

/// Small buffers bound where a kernel's optional input or output is unused.
pub(crate) struct Dummies {
    read: wgpu::Buffer,
    write: wgpu::Buffer,
    write2: wgpu::Buffer,
}

impl Dummies {
    pub(crate) fn new(ctx: &GpuContext, kernel: &str) -> Result<Self, GpuError> {
        Ok(Dummies {
            read: zeros(ctx, kernel, "unused input", 4)?,
            write: zeros(ctx, kernel, "unused output", 4)?,
            write2: zeros(ctx, kernel, "unused output", 4)?,
        })
    }
}

/// What the finish kernel does with `v = c_y·Y + c_p·ΣP` (see `shaders/finish.wgsl`).
pub(crate) struct Finish<'a> {
    /// Elements (outputs × B).
    pub n: usize,
    /// B.
    pub nb: usize,
    /// Partial slots and their stride (0 slots: no product term).
    pub slots: usize,
    /// Elements per slot.
    pub p_stride: usize,
    /// The partial buffer.
    pub partial: Option<&'a wgpu::Buffer>,
    /// Y and its coefficient.
    pub y: Option<(&'a wgpu::Buffer, f32)>,
    /// Coefficient of the product.
    pub c_p: f32,
    /// Where v is written.
    pub out: Option<&'a wgpu::Buffer>,
    /// Update `dst (+)= coef·v`: (`dst`, `src` — `None` for in place, α per run?).
    pub update: Option<(&'a wgpu::Buffer, Option<&'a wgpu::Buffer>, bool)>,
    /// Learning rates (when the update uses α).
    pub alpha: Option<&'a wgpu::Buffer>,
}

impl Finish<'_> {
    pub(crate) fn realize(
        &self,
        ctx: &GpuContext,
        dummies: &Dummies,
    ) -> Result<Dispatch, GpuError> {
        let kernel = Kernel::Finish;
        let name = kernel.name();
        // The finish kernel never evaluates η: any activation composes it.
        let pipeline = ctx.cached_pipeline(&name, &kernel.source(Activation::Relu), "main")?;
        let mut flags = 0u32;
        if self.y.is_some() {
            flags |= 1;
        }
        if self.out.is_some() {
            flags |= 2;
        }
        if let Some((_, src, use_alpha)) = self.update {
            flags |= 4;
            if src.is_none() {
                flags |= 8;
            }
            if use_alpha {
                flags |= 16;
            }
        }
        let params = [
            self.n as u32,
            self.nb as u32,
            if self.partial.is_some() {
                self.slots as u32
            } else {
                0
            },
            self.p_stride as u32,
            self.y.map_or(0.0f32, |(_, c)| c).to_bits(),
            self.c_p.to_bits(),
            flags,
            0,
        ];
        let u = ctx.uniform(&name, &params)?;
        let r = &dummies.read;
        let w = &dummies.write;
        let (dst, src) = match self.update {
            Some((dst, src, _)) => (dst, src.unwrap_or(r)),
            None => (w, r),
        };
        let bind = ctx.bind_group(
            &name,
            &pipeline,
            &[
                (0, &u),
                (1, self.partial.unwrap_or(r)),
                (2, self.y.map_or(r, |(b, _)| b)),
                (3, self.alpha.unwrap_or(r)),
                (4, src),
                (5, self.out.unwrap_or(w)),
                (6, dst),
            ],
        )?;
        Ok(Dispatch {
            pipeline,
            bind,
            groups: [(self.n.div_ceil(256) as u32).clamp(1, MAX_GROUPS), 1, 1],
        })
    }
}

/// Per-run residual norms of an `n × nb` matrix `r` into `out[0 .. 3·nb]`.
pub(crate) fn colnorm(
    ctx: &GpuContext,
    r: &wgpu::Buffer,
    n: usize,
    nb: usize,
    out: &wgpu::Buffer,
) -> Result<Dispatch, GpuError> {
    let kernel = Kernel::ColNorm;
    let name = kernel.name();
    let pipeline = ctx.cached_pipeline(&name, &kernel.source(Activation::Relu), "main")?;
    let u = ctx.uniform(&name, &[n as u32, nb as u32, 0, 0])?;
    let bind = ctx.bind_group(&name, &pipeline, &[(0, &u), (1, r), (2, out)])?;
    Ok(Dispatch {
        pipeline,
        bind,
        groups: [nb as u32, 1, 1],
    })
}

/// Launches that fill `a` (blocks of A) with η(σ(x − b)).
pub(crate) fn design(
    ctx: &GpuContext,
    act: Activation,
    xs: &wgpu::Buffer,
    bs: &wgpu::Buffer,
    sigma: f32,
    a: &Blocked,
) -> Result<Vec<Dispatch>, GpuError> {
    let kernel = Kernel::Design;
    let name = kernel.name();
    let pipeline = ctx.cached_pipeline(&name, &kernel.source(act), "main")?;
    let mut out = Vec::new();
    for blk in &a.blocks {
        let u = ctx.uniform(
            &name,
            &[
                blk.rows as u32,
                a.cols as u32,
                blk.row0 as u32,
                sigma.to_bits(),
            ],
        )?;
        let bind = ctx.bind_group(
            &name,
            &pipeline,
            &[(0, &u), (1, xs), (2, bs), (3, &blk.buf)],
        )?;
        out.push(Dispatch {
            pipeline: pipeline.clone(),
            bind,
            groups: [
                (a.cols.div_ceil(16) as u32).clamp(1, MAX_GROUPS),
                (blk.rows.div_ceil(16) as u32).clamp(1, MAX_GROUPS),
                1,
            ],
        });
    }
    Ok(out)
}

/// Launches that form K = AAᵀ (`transposed` false, `out` is N×N) or G = AᵀA
/// (`transposed`, `out` is M×M) from `a`, in blocks of `out`'s rows.
pub(crate) fn gram(
    ctx: &GpuContext,
    act: Activation,
    a: &Operand<'_>,
    transposed: bool,
    out: &Blocked,
) -> Result<Vec<Dispatch>, GpuError> {
    let kernel = Kernel::Gram {
        loader: a.loader(),
        transposed,
    };
    let name = kernel.name();
    let pipeline = ctx.cached_pipeline(&name, &kernel.source(act), "main")?;
    let (rows, cols) = a.shape();
    let n_red_total = if transposed { rows } else { cols };
    let mut list = Vec::new();
    let groups = |n1: usize, n2: usize| {
        [
            (n2.div_ceil(64) as u32).max(1),
            (n1.div_ceil(64) as u32).max(1),
            1,
        ]
    };
    #[allow(clippy::too_many_arguments)]
    let params = |n1: usize,
                  n2: usize,
                  n_red: usize,
                  out_col0: usize,
                  accumulate: bool,
                  o1_off: usize,
                  o2_off: usize,
                  ld: usize,
                  r_off: usize,
                  sigma: f32| {
        [
            n1 as u32,
            n2 as u32,
            n_red as u32,
            out.cols as u32,
            out_col0 as u32,
            accumulate as u32,
            o1_off as u32,
            o2_off as u32,
            ld as u32,
            ld as u32,
            r_off as u32,
            0,
            sigma.to_bits(),
            0,
            0,
            0,
        ]
    };
    for ob in &out.blocks {
        match a {
            Operand::Free { xs, bs, sigma, .. } => {
                let n2 = out.cols;
                let mut r_off = 0;
                while r_off < n_red_total {
                    let len = GRAM_CHUNK.min(n_red_total - r_off);
                    let p = params(ob.rows, n2, len, 0, r_off > 0, ob.row0, 0, 0, r_off, *sigma);
                    let u = ctx.uniform(&name, &p)?;
                    let bind = ctx.bind_group(
                        &name,
                        &pipeline,
                        &[(0, &u), (1, xs), (2, bs), (3, &ob.buf)],
                    )?;
                    list.push(Dispatch {
                        pipeline: pipeline.clone(),
                        bind,
                        groups: groups(ob.rows, n2),
                    });
                    r_off += len;
                }
            }
            Operand::Stored(m) => {
                if transposed {
                    // G rows g0.. (columns of A) from every block of A's rows.
                    let mut first = true;
                    for ab in &m.blocks {
                        let mut r_off = 0;
                        while r_off < ab.rows {
                            let len = GRAM_CHUNK.min(ab.rows - r_off);
                            let p = params(
                                ob.rows, out.cols, len, 0, !first, ob.row0, 0, m.cols, r_off, 0.0,
                            );
                            first = false;
                            let u = ctx.uniform(&name, &p)?;
                            let bind = ctx.bind_group(
                                &name,
                                &pipeline,
                                &[(0, &u), (1, &ab.buf), (2, &ab.buf), (3, &ob.buf)],
                            )?;
                            list.push(Dispatch {
                                pipeline: pipeline.clone(),
                                bind,
                                groups: groups(ob.rows, out.cols),
                            });
                            r_off += len;
                        }
                    }
                } else {
                    // K rows of A block p against every block p' of A: out
                    // block p shares A's row partition.
                    let p_blk = m
                        .blocks
                        .iter()
                        .find(|b| b.row0 == ob.row0 && b.rows == ob.rows)
                        .ok_or_else(|| GpuError::Validation {
                            kernel: name.clone(),
                            message: "K and A must share their row blocks".into(),
                        })?;
                    for q_blk in &m.blocks {
                        let mut r_off = 0;
                        while r_off < m.cols {
                            let len = GRAM_CHUNK.min(m.cols - r_off);
                            let p = params(
                                ob.rows,
                                q_blk.rows,
                                len,
                                q_blk.row0,
                                r_off > 0,
                                0,
                                0,
                                m.cols,
                                r_off,
                                0.0,
                            );
                            let u = ctx.uniform(&name, &p)?;
                            let bind = ctx.bind_group(
                                &name,
                                &pipeline,
                                &[(0, &u), (1, &p_blk.buf), (2, &q_blk.buf), (3, &ob.buf)],
                            )?;
                            list.push(Dispatch {
                                pipeline: pipeline.clone(),
                                bind,
                                groups: groups(ob.rows, q_blk.rows),
                            });
                            r_off += len;
                        }
                    }
                }
            }
        }
    }
    Ok(list)
}
