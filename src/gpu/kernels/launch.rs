//! Kernel launches: device matrices split into row blocks, and recorded
//! dispatches of the WGSL kernels (`shaders/`), each with its pipeline, bind
//! group and workgroup counts, so that one GD step can be recorded thousands of
//! times into command buffers without touching the CPU in between.

use std::sync::Arc;

use super::{Kernel, Loader};
use crate::gpu::{GpuContext, GpuError};
use crate::model::Activation;

/// Largest workgroup count per dispatch dimension that every device accepts.
pub(crate) const MAX_GROUPS: u32 = 65535;
/// Reduction length per Gram dispatch (longer ones are accumulated in pieces,
/// so no single dispatch runs long enough to trip a driver watchdog).
pub(crate) const GRAM_CHUNK: usize = 1 << 16;

/// Reduction indices one invocation may cover under a loop limit (see
/// [`GpuContext::loop_limit`]), counting every loop iteration of the kernel as
/// if no loop were unrolled, with a safety factor of 2: `per_index` loop
/// iterations per reduction index, `fixed` per invocation. A multiple of TK.
pub(crate) fn max_reduction(ctx: &GpuContext, per_index: f64, fixed: f64) -> usize {
    match ctx.loop_limit {
        None => usize::MAX,
        Some(limit) => {
            let l = ((limit as f64 / 2.0 - fixed) / per_index).max(16.0) as usize;
            (l / 16 * 16).max(16)
        }
    }
}

/// Gram reduction chunk for this context.
fn gram_chunk(ctx: &GpuContext) -> usize {
    // Per reduction index: 1/16 of (k-tile loop + 4 loads + 16·(1 + 4·(1 + 4))
    // multiply-adds + 16 Kahan steps) ≈ 22.4 iterations.
    GRAM_CHUNK.min(max_reduction(ctx, 22.4, 64.0))
}

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
    /// A launch of `pipeline` with `bind` as group 0 over `groups` workgroups.
    pub(crate) fn new(
        pipeline: Arc<wgpu::ComputePipeline>,
        bind: wgpu::BindGroup,
        groups: [u32; 3],
    ) -> Self {
        Dispatch {
            pipeline,
            bind,
            groups,
        }
    }

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
        for d in *list {
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

    /// One block holding `data` (`rows × cols`, row-major).
    pub(crate) fn upload(
        ctx: &GpuContext,
        kernel: &str,
        what: &str,
        data: &[f32],
        (rows, cols): (usize, usize),
    ) -> Result<Self, GpuError> {
        Ok(Blocked {
            rows,
            cols,
            blocks: vec![Block {
                row0: 0,
                rows,
                buf: upload(ctx, kernel, what, data)?,
            }],
        })
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

impl<'a> Operand<'a> {
    /// A recomputed from the grids (rows = points `xs`, columns = biases `bs`).
    pub(crate) fn free(
        xs: &'a wgpu::Buffer,
        bs: &'a wgpu::Buffer,
        sigma: f32,
        rows: usize,
        cols: usize,
    ) -> Self {
        Operand::Free {
            xs,
            bs,
            sigma,
            rows,
            cols,
        }
    }

    pub(crate) fn shape(&self) -> (usize, usize) {
        match self {
            Operand::Stored(b) => (b.rows, b.cols),
            Operand::Free { rows, cols, .. } => (*rows, *cols),
        }
    }

    pub(crate) fn loader(&self) -> Loader {
        match self {
            Operand::Stored(_) => Loader::Stored,
            Operand::Free { .. } => Loader::Free,
        }
    }

    /// `(row0, rows)` of each block (one block spanning everything when free).
    pub(crate) fn spans(&self) -> Vec<(usize, usize)> {
        match self {
            Operand::Stored(b) => b.blocks.iter().map(|k| (k.row0, k.rows)).collect(),
            Operand::Free { rows, .. } => vec![(0, *rows)],
        }
    }
}

/// Small buffers bound where a kernel's optional input or output is unused.
pub(crate) struct Dummies {
    pub(crate) read: wgpu::Buffer,
    pub(crate) write: wgpu::Buffer,
    pub(crate) write2: wgpu::Buffer,
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
    /// A finish step that does nothing yet, for B runs: fill in what it does
    /// with struct update syntax (`Finish { out: Some(&r), ..Finish::none(nb) }`).
    pub(crate) fn none(nb: usize) -> Self {
        Finish {
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
        }
    }

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
            u32::from(accumulate),
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
                    let len = gram_chunk(ctx).min(n_red_total - r_off);
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
                            let len = gram_chunk(ctx).min(ab.rows - r_off);
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
                            let len = gram_chunk(ctx).min(m.cols - r_off);
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
