//! The chunked, pipelined loop of a GPU batch: chunk c + 1 is recorded and
//! submitted while the device still runs chunk c, whose read-back is mapped
//! afterwards; every observation feeds the divergence watch, every checkpoint
//! becomes a [`Checkpoint`].

use super::{DeviceBatch, KERNEL};
use crate::error::{Error, Result};
use crate::gd::{Checkpoint, EngineInfo, GdBatch, Progress, ResidualWatch, RunStatus, Trajectory};
use crate::gpu::kernels::launch::{self, Dispatch};
use crate::gpu::{GpuContext, GpuError};

/// Read-back buffer per chunk, bytes (more checkpoints per chunk wait for the next).
const STAGING_BYTES: usize = 64 << 20;

/// Offsets (in f32) of one observation in the read-back buffer.
struct Record {
    q: u64,
    cp: bool,
    norms: usize,
    r: usize,
    fs: usize,
    w: usize,
    f: usize,
}

/// A submitted chunk: its submission, what it copied where, and which
/// read-back buffer.
struct Chunk {
    index: wgpu::SubmissionIndex,
    recs: Vec<Record>,
    len: usize,
    buffer: usize,
}

/// What one observation reads back: the norms always, the state at checkpoints.
struct Layout {
    norm_len: usize,
    cp_len: usize,
}

/// The observation points, in order: 0, every checkpoint, every multiple of
/// `chunk` up to `q_max`, and `q_max`. Generated one at a time, so that the
/// host memory of a run does not grow with q (a run to q = 10¹² has 10¹¹
/// chunk ends).
#[derive(Clone, Debug)]
pub(super) struct Observations<'a> {
    checkpoints: &'a [u64],
    chunk: u64,
    q_max: u64,
    /// The next point, `None` after `q_max`.
    next: Option<u64>,
}

impl<'a> Observations<'a> {
    pub(super) fn new(checkpoints: &'a [u64], chunk: u64, q_max: u64) -> Self {
        Observations {
            checkpoints,
            chunk: chunk.max(1),
            q_max,
            next: Some(0),
        }
    }

    /// The next observation point, if any.
    pub(super) fn peek(&self) -> Option<u64> {
        self.next
    }

    /// The point after `q`: the next checkpoint, chunk end or `q_max`.
    fn after(&self, q: u64) -> Option<u64> {
        if q >= self.q_max {
            return None;
        }
        let cp = self.checkpoints.partition_point(|&c| c <= q);
        let next_cp = self.checkpoints.get(cp).copied().unwrap_or(u64::MAX);
        let next_chunk = (q / self.chunk)
            .saturating_add(1)
            .saturating_mul(self.chunk);
        Some(next_cp.min(next_chunk).min(self.q_max))
    }

    /// Moves to the next point.
    pub(super) fn advance(&mut self) {
        self.next = self.next.and_then(|q| self.after(q));
    }

    /// How many points are left, saturating (an upper bound when a
    /// checkpoint falls on a chunk end).
    pub(super) fn remaining_bound(&self) -> u64 {
        self.next.map_or(0, |q| {
            (self.q_max - q) / self.chunk + 2 + self.checkpoints.len() as u64
        })
    }
}

/// The state of the loop between chunks.
struct Loop<'a> {
    batch: &'a GdBatch,
    obs: Observations<'a>,
    layout: Layout,
    cap: usize,
    staging: [wgpu::Buffer; 2],
    status: Vec<RunStatus>,
    watch: Vec<ResidualWatch>,
    checkpoints: Vec<Checkpoint>,
    q_cur: u64,
    chunk_no: usize,
}

impl DeviceBatch {
    /// Runs the batch to its last checkpoint (see the module docs).
    pub(crate) fn run(
        mut self,
        ctx: &GpuContext,
        batch: &GdBatch,
        engine: EngineInfo,
        progress: &dyn Progress,
    ) -> Result<Trajectory> {
        let mut lp = self.start(ctx, batch)?;
        let mut pending: Option<Chunk> = None;
        loop {
            let all_failed = lp.status.iter().all(|s| !s.is_ok());
            let next = if lp.obs.peek().is_some() && !all_failed {
                Some(self.record_chunk(ctx, &mut lp)?)
            } else {
                None
            };
            let Some(done) = pending.take() else {
                if next.is_none() {
                    break;
                }
                pending = next;
                continue;
            };
            if let Some(q) = self.read_chunk(ctx, &mut lp, done)? {
                progress.set(q);
                if progress.cancelled() {
                    return Err(Error::Interrupted { iteration: q });
                }
            }
            self.freeze_failed(ctx, &lp.status);
            pending = next;
        }
        Ok(self.finish(lp, engine))
    }

    /// Observation points, read-back buffers and the per-run watch.
    fn start<'a>(&self, ctx: &GpuContext, batch: &'a GdBatch) -> Result<Loop<'a>> {
        let (n, m, nb, e) = (self.n, self.m, self.nb, self.e);
        let obs = Observations::new(&batch.checkpoints, self.chunk, batch.q_max());
        let layout = Layout {
            norm_len: 3 * nb,
            cp_len: 2 * n * nb + if batch.record_w { m * nb } else { 0 } + e * nb,
        };
        // Everything the batch reads back (bounded above), if that is less
        // than the budget.
        let total = (u128::from(obs.remaining_bound()) * layout.norm_len as u128
            + batch.checkpoints.len() as u128 * layout.cp_len as u128)
            .min(usize::MAX as u128) as usize;
        let one = layout.norm_len + layout.cp_len;
        let cap = (STAGING_BYTES / 4)
            .min(total)
            .max(one)
            .min((ctx.limits().max_buffer_size / 4) as usize);
        if one > cap {
            return Err(GpuError::TooLarge {
                kernel: KERNEL.into(),
                what: "read-back of one checkpoint".into(),
                requested: 4 * one as u64,
                max: ctx.limits().max_buffer_size,
            }
            .into());
        }
        // Two read-back buffers: chunk c + 1 is recorded and submitted while the
        // device still runs chunk c, whose results are read afterwards. A run
        // that fails in chunk c is frozen from chunk c + 2 on; its checkpoints
        // after the failure are NaN either way.
        let stage = |k: usize| {
            ctx.buffer(
                KERNEL,
                &format!("checkpoint read-back {k}"),
                (cap * 4) as u64,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            )
        };
        let staging = [stage(0)?, stage(1)?];
        Ok(Loop {
            batch,
            obs,
            layout,
            cap,
            staging,
            status: vec![RunStatus::Ok; nb],
            watch: vec![ResidualWatch::default(); nb],
            checkpoints: Vec::with_capacity(batch.checkpoints.len()),
            q_cur: 0,
            chunk_no: 0,
        })
    }

    /// Records the steps up to the next observations of one chunk, the
    /// observations themselves and the copies into a read-back buffer, and
    /// submits them.
    fn record_chunk(&self, ctx: &GpuContext, lp: &mut Loop<'_>) -> Result<Chunk> {
        let batch = lp.batch;
        let buffer = lp.chunk_no % 2;
        let stage = &lp.staging[buffer];
        let mut enc = ctx.encoder("gd chunk");
        if lp.chunk_no == 0 {
            launch::record(&mut enc, &[self.init()]);
        }
        let is_cp = |q: u64| batch.checkpoints.binary_search(&q).is_ok();
        let mut recs = Vec::new();
        let mut off = 0usize;
        while let Some(q) = lp.obs.peek() {
            self.record_steps(&mut enc, lp.q_cur, q);
            lp.q_cur = q;
            let cp = is_cp(q);
            let mut lists: Vec<&[Dispatch]> = vec![self.observe()];
            if cp {
                lists.push(&self.launches.f_samples);
            }
            if cp && (batch.record_w || self.e > 0) {
                lists.push(&self.launches.make_w);
            }
            if cp && self.e > 0 {
                lists.push(&self.launches.eval);
            }
            launch::record(&mut enc, &lists);
            let mut copy = |src: &wgpu::Buffer, len: usize| {
                enc.copy_buffer_to_buffer(src, 0, stage, (off * 4) as u64, (len * 4) as u64);
                off += len;
                off - len
            };
            let mut rec = Record {
                q,
                cp,
                norms: copy(&self.norms, lp.layout.norm_len),
                r: 0,
                fs: 0,
                w: 0,
                f: 0,
            };
            if cp {
                rec.r = copy(&self.r, self.n * self.nb);
                rec.fs = copy(&self.fs, self.n * self.nb);
                if batch.record_w {
                    rec.w = copy(&self.w_src, self.m * self.nb);
                }
                if let Some(fe) = &self.feval {
                    rec.f = copy(fe, self.e * self.nb);
                }
            }
            recs.push(rec);
            lp.obs.advance();
            let Some(next_q) = lp.obs.peek() else { break };
            if q % self.chunk == 0 {
                break;
            }
            let next_cp = is_cp(next_q);
            let need = lp.layout.norm_len + if next_cp { lp.layout.cp_len } else { 0 };
            if off + need > lp.cap {
                break;
            }
        }
        let index = ctx.submit(KERNEL, enc)?;
        lp.chunk_no += 1;
        Ok(Chunk {
            index,
            recs,
            len: off,
            buffer,
        })
    }

    /// GD steps from iteration `from` to `to`, in one compute pass.
    fn record_steps(&self, enc: &mut wgpu::CommandEncoder, from: u64, to: u64) {
        if to <= from {
            return;
        }
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("gd steps"),
            timestamp_writes: None,
        });
        for _ in from..to {
            for d in self.step() {
                d.record(&mut pass);
            }
        }
    }

    /// Maps a finished chunk's read-back, feeds every observation to the
    /// watch and keeps every checkpoint; returns the chunk's last iteration.
    fn read_chunk(&self, ctx: &GpuContext, lp: &mut Loop<'_>, chunk: Chunk) -> Result<Option<u64>> {
        let data = ctx.map_f32_after(KERNEL, &lp.staging[chunk.buffer], chunk.len, chunk.index)?;
        let q_max = lp.batch.q_max();
        for rec in &chunk.recs {
            for b in 0..self.nb {
                if !lp.status[b].is_ok() {
                    continue;
                }
                let at = rec.norms + 3 * b;
                let norm = if data[at + 2] == 0.0 {
                    f64::from(data[at]) * f64::from(data[at + 1]).sqrt()
                } else {
                    f64::NAN
                };
                lp.status[b] = lp.watch[b].observe(rec.q, norm, rec.q == q_max);
            }
            if rec.cp {
                let cp = self.checkpoint(lp.batch, rec, &data, &lp.status);
                lp.checkpoints.push(cp);
            }
        }
        Ok(chunk.recs.last().map(|r| r.q))
    }

    /// Freezes the runs that failed: α_b = 0 keeps their state as it was.
    fn freeze_failed(&mut self, ctx: &GpuContext, status: &[RunStatus]) {
        let mut changed = false;
        for (b, st) in status.iter().enumerate() {
            if !st.is_ok() && self.alpha32[b] != 0.0 {
                self.alpha32[b] = 0.0;
                changed = true;
            }
        }
        if changed {
            ctx.queue()
                .write_buffer(&self.alpha, 0, bytemuck::cast_slice(&self.alpha32));
        }
    }

    /// The trajectory, with NaN checkpoints for the ones never reached
    /// because every run had failed (as on the CPU).
    fn finish(self, lp: Loop<'_>, engine: EngineInfo) -> Trajectory {
        let (n, m, nb, e) = (self.n, self.m, self.nb, self.e);
        let mut checkpoints = lp.checkpoints;
        // Checkpoints are recorded in order: the first `done` are there.
        let done = checkpoints.len();
        for &q in &lp.batch.checkpoints[done..] {
            let nan = |len: usize| vec![vec![f64::NAN; len]; nb];
            checkpoints.push(Checkpoint {
                q,
                f: nan(n),
                loss: vec![f64::NAN; nb],
                w: lp.batch.record_w.then(|| nan(m)),
                f_eval: (e > 0).then(|| nan(e)),
            });
        }
        Trajectory {
            engine,
            checkpoints,
            status: lp.status,
        }
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
                (0..len).map(|i| f64::from(data[at + i * nb + b])).collect()
            } else {
                vec![f64::NAN; len]
            }
        };
        let mut f = Vec::with_capacity(nb);
        let mut loss = Vec::with_capacity(nb);
        for b in 0..nb {
            let r = col(rec.r, n, b);
            loss.push(0.5 * r.iter().map(|v| v * v).sum::<f64>());
            // f formed from the iterate on the device (A·w, or K·c), accurate
            // relative to f; y − r would lose u‖y‖/‖f‖ to cancellation.
            f.push(col(rec.fs, n, b));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_cover_checkpoints_and_chunks() {
        let all = |cps: &[u64], chunk, q_max| {
            let mut o = Observations::new(cps, chunk, q_max);
            let mut v = Vec::new();
            while let Some(q) = o.peek() {
                v.push(q);
                o.advance();
            }
            v
        };
        assert_eq!(all(&[3, 40], 16, 40), vec![0, 3, 16, 32, 40]);
        assert_eq!(all(&[0], 16, 0), vec![0]);
        assert_eq!(all(&[16, 17], 16, 17), vec![0, 16, 17]);
        // Memory does not grow with q: the points are generated lazily.
        let mut o = Observations::new(&[1_000_000_000_000], 16, 1_000_000_000_000);
        o.advance();
        assert_eq!(o.peek(), Some(16));
        assert!((62_499_999_999..62_500_000_010).contains(&o.remaining_bound()));
    }
}
