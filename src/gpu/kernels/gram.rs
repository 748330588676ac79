//! Launches of `gram.wgsl`: K = AAᵀ or G = AᵀA in row blocks of the output,
//! the reduction cut into chunks (accumulated in place) so that no single
//! dispatch runs long enough to trip a driver watchdog. Twin:
//! [`crate::precision::twin::gram`].

use std::sync::Arc;

use super::Kernel;
use super::launch::{Block, Blocked, Dispatch, Operand, TABLE_BINDING, eta_table, max_reduction};
use crate::gpu::{GpuContext, GpuError};
use crate::model::Activation;

/// Reduction length per Gram dispatch (longer ones are accumulated in pieces).
pub(crate) const GRAM_CHUNK: usize = 1 << 16;

/// Gram reduction chunk for this context.
fn gram_chunk(ctx: &GpuContext) -> usize {
    // Per reduction index: 1/16 of (k-tile loop + 4 loads + 16·(1 + 4·(1 + 4))
    // multiply-adds + 16 Kahan steps) ≈ 22.4 iterations.
    GRAM_CHUNK.min(max_reduction(ctx, 22.4, 64.0))
}

/// One dispatch of `gram.wgsl`: `C[o1, out_col0 + o2] (+)= Σ_r P1(o1, r)·P2(o2, r)`
/// over `n_red` reduction indices from `r_off`.
struct GramCall {
    /// Output rows (of this block) and columns.
    n1: usize,
    n2: usize,
    n_red: usize,
    out_col0: usize,
    /// Add to the output instead of overwriting it.
    accumulate: bool,
    /// Offsets of o1 and o2 in the operands (matrix-free: global sample/bias index).
    o1_off: usize,
    o2_off: usize,
    /// Leading dimension of stored operands.
    ld: usize,
    r_off: usize,
    sigma: f32,
}

impl GramCall {
    fn params(&self, ldc: usize) -> [u32; 16] {
        [
            self.n1 as u32,
            self.n2 as u32,
            self.n_red as u32,
            ldc as u32,
            self.out_col0 as u32,
            u32::from(self.accumulate),
            self.o1_off as u32,
            self.o2_off as u32,
            self.ld as u32,
            self.ld as u32,
            self.r_off as u32,
            0,
            self.sigma.to_bits(),
            0,
            0,
            0,
        ]
    }

    fn groups(&self) -> [u32; 3] {
        [
            (self.n2.div_ceil(64) as u32).max(1),
            (self.n1.div_ceil(64) as u32).max(1),
            1,
        ]
    }
}

/// The launches being collected for one output matrix.
struct Launches<'a> {
    ctx: &'a GpuContext,
    name: String,
    pipeline: Arc<wgpu::ComputePipeline>,
    out: &'a Blocked,
    list: Vec<Dispatch>,
    /// A table activation's lookup buffer, for the matrix-free loader.
    table: Option<wgpu::Buffer>,
}

impl Launches<'_> {
    /// Adds `call` writing into `ob`, with the two operand bindings.
    fn push(
        &mut self,
        call: &GramCall,
        ops: (&wgpu::Buffer, &wgpu::Buffer),
        ob: &Block,
    ) -> Result<(), GpuError> {
        let u = self.ctx.uniform(&self.name, &call.params(self.out.cols))?;
        let mut entries = vec![(0, &u), (1, ops.0), (2, ops.1), (3, &ob.buf)];
        if let Some(t) = &self.table {
            entries.push((TABLE_BINDING, t));
        }
        let bind = self.ctx.bind_group(&self.name, &self.pipeline, &entries)?;
        self.list
            .push(Dispatch::new(self.pipeline.clone(), bind, call.groups()));
        Ok(())
    }

    /// Reduction chunks `(r_off, len)` covering `0..total`.
    fn chunks(&self, total: usize) -> Vec<(usize, usize)> {
        let step = gram_chunk(self.ctx).max(1);
        (0..total)
            .step_by(step)
            .map(|r| (r, step.min(total - r)))
            .collect()
    }

    /// Matrix-free A: every chunk of the reduction recomputes η from the grids.
    fn free(
        &mut self,
        (xs, bs, sigma): (&wgpu::Buffer, &wgpu::Buffer, f32),
        n_red: usize,
        ob: &Block,
    ) -> Result<(), GpuError> {
        for (r_off, len) in self.chunks(n_red) {
            let call = GramCall {
                n1: ob.rows,
                n2: self.out.cols,
                n_red: len,
                out_col0: 0,
                accumulate: r_off > 0,
                o1_off: ob.row0,
                o2_off: 0,
                ld: 0,
                r_off,
                sigma,
            };
            self.push(&call, (xs, bs), ob)?;
        }
        Ok(())
    }

    /// G rows (columns of A) from every block of A's rows, accumulated.
    fn stored_weights(&mut self, m: &Blocked, ob: &Block) -> Result<(), GpuError> {
        let mut first = true;
        for ab in &m.blocks {
            for (r_off, len) in self.chunks(ab.rows) {
                let call = GramCall {
                    n1: ob.rows,
                    n2: self.out.cols,
                    n_red: len,
                    out_col0: 0,
                    accumulate: !first,
                    o1_off: ob.row0,
                    o2_off: 0,
                    ld: m.cols,
                    r_off,
                    sigma: 0.0,
                };
                first = false;
                self.push(&call, (&ab.buf, &ab.buf), ob)?;
            }
        }
        Ok(())
    }

    /// K rows of A block p against every block p' of A: the output block p
    /// shares A's row partition.
    fn stored_samples(&mut self, m: &Blocked, ob: &Block) -> Result<(), GpuError> {
        let p_blk = m
            .blocks
            .iter()
            .find(|b| b.row0 == ob.row0 && b.rows == ob.rows)
            .ok_or_else(|| GpuError::Validation {
                kernel: self.name.clone(),
                message: "K and A must share their row blocks".into(),
            })?;
        for q_blk in &m.blocks {
            for (r_off, len) in self.chunks(m.cols) {
                let call = GramCall {
                    n1: ob.rows,
                    n2: q_blk.rows,
                    n_red: len,
                    out_col0: q_blk.row0,
                    accumulate: r_off > 0,
                    o1_off: 0,
                    o2_off: 0,
                    ld: m.cols,
                    r_off,
                    sigma: 0.0,
                };
                self.push(&call, (&p_blk.buf, &q_blk.buf), ob)?;
            }
        }
        Ok(())
    }
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
    // Only the matrix-free loader evaluates η.
    let table = match a {
        Operand::Free { .. } => eta_table(ctx, &name, act)?,
        Operand::Stored(_) => None,
    };
    let mut l = Launches {
        ctx,
        name,
        pipeline,
        out,
        list: Vec::new(),
        table,
    };
    for ob in &out.blocks {
        match a {
            Operand::Free { xs, bs, sigma, .. } => {
                let n_red = if transposed { rows } else { cols };
                l.free((xs, bs, *sigma), n_red, ob)?;
            }
            Operand::Stored(m) if transposed => l.stored_weights(m, ob)?,
            Operand::Stored(m) => l.stored_samples(m, ob)?,
        }
    }
    Ok(l.list)
}
