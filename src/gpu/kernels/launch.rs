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

/// Records `steps` in one compute pass, submits them and waits for them.
pub(crate) fn run(ctx: &GpuContext, kernel: &str, steps: &[&[Dispatch]]) -> Result<(), GpuError> {
    let mut enc = ctx.encoder(kernel);
    record(&mut enc, steps);
    ctx.submit_and_wait(kernel, enc)
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

/// The binding of a table activation's lookup buffer (`eta_table` in
/// `shaders/fragments/activations.wgsl`, group 0), bound by every kernel that
/// evaluates η when η is a table; no kernel uses this number for anything else.
pub(crate) const TABLE_BINDING: u32 = 15;

/// The lookup buffer of `act` when it is a table ([`crate::model::Table::gpu_words`]),
/// `None` for a built-in: bind it at [`TABLE_BINDING`] in a kernel that evaluates η.
pub(crate) fn eta_table(
    ctx: &GpuContext,
    kernel: &str,
    act: Activation,
) -> Result<Option<wgpu::Buffer>, GpuError> {
    match act {
        Activation::Table(t) => Ok(Some(upload(
            ctx,
            kernel,
            "activation table (lookup buffer)",
            &t.table().gpu_words(),
        )?)),
        _ => Ok(None),
    }
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
    /// Allocates a zero `rows × cols` matrix in blocks of at most `block_rows` rows.
    pub(crate) fn zeros(
        ctx: &GpuContext,
        (kernel, what): (&str, &str),
        (rows, cols): (usize, usize),
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

    /// `data` (`rows × cols`, row-major) in blocks of at most `block_rows` rows.
    pub(crate) fn upload_rows(
        ctx: &GpuContext,
        (kernel, what): (&str, &str),
        data: &[f32],
        (rows, cols): (usize, usize),
        block_rows: usize,
    ) -> Result<Self, GpuError> {
        let block_rows = block_rows.max(1);
        let mut blocks = Vec::new();
        let mut row0 = 0;
        while row0 < rows {
            let r = block_rows.min(rows - row0);
            let label = format!("{what} rows {row0}..{} of {rows}x{cols}", row0 + r);
            let part = &data[row0 * cols..(row0 + r) * cols];
            blocks.push(Block {
                row0,
                rows: r,
                buf: upload(ctx, kernel, &label, part)?,
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

/// What the finish kernel does with `v = c_y·Y + c_p·ΣP` (see `shaders/kernels/finish.wgsl`).
#[derive(Clone, Copy)]
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
