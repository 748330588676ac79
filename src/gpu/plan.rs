//! Which strategy runs a batch, and why: a memory check and a flop count.
//!
//! With d = min(N, M), B runs, q = q_max iterations:
//!
//! | strategy | set-up | per iteration | memory |
//! |---|---|---|---|
//! | primal | build A: N·M·c_η | 4·N·M·B (A·W, Aᵀ·R) | A: 4·N·M bytes |
//! | dual | form K = AAᵀ (N ≤ M) or G = AᵀA: 2·N·M·d | 2·d²·B | K or G: 4·d² bytes (+ A if kept) |
//! | matrix-free | – | 4·N·M·B + 2·N·M·c_η | O((N + M)·B) |
//!
//! plus, at checkpoints, what each needs beyond the state: f at the samples
//! formed from the iterate (A·w, 2·N·M·B; K·c in the sample-space dual,
//! 2·N²·B); the dual in the
//! sample space (K) rebuilds w = w₀ + Aᵀc (2·N·M·B) when w or f on the
//! evaluation grid is recorded; the dual in the weight space (G) computes
//! r = y − A·w (2·N·M·B) at every observation (checkpoints and chunk ends).
//! c_η ≈ 16 flops stands for one η evaluation.
//!
//! **Auto**: among the strategies whose stored matrices fit the memory budget
//! ([`GpuGdOptions::memory_budget`], default [`DEFAULT_MEMORY_BUDGET`] — wgpu
//! cannot query the size of device memory), the one with the fewest flops.
//! Consequences: the dual wins once q·B ≳ d (forming K costs about as much as
//! d/2 primal iterations for N = M, and each dual iteration is cheaper by
//! 2·N·M/d²); the primal wins for short runs; matrix-free runs only when A
//! does not fit (it does the primal's work plus recomputing η, but needs no
//! N×M storage, so widths such as M = 10⁶ run in O((N + M)·B) memory).
//! A strategy named explicitly is honoured whatever the budget; allocation
//! failures are then typed out-of-memory errors.

use serde::Serialize;

use super::GpuContext;
use super::engine::GpuGdOptions;
use super::kernels::launch as ops;
use crate::error::Result;
use crate::gd::{CHECK_EVERY, GdBatch, Strategy};

/// Default device memory for stored matrices: 2 GiB.
pub use crate::gd::DEFAULT_MEMORY_BUDGET;

/// Flop-equivalents of one η evaluation in the cost model.
pub const ETA_FLOPS: f64 = 16.0;

/// Largest and smallest number of iterations recorded per submission.
pub const MAX_CHUNK: u64 = 1024;

/// The space the dual strategy iterates in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DualSpace {
    /// K = AAᵀ (N×N); iterate c with w = w₀ + Aᵀc (N ≤ M).
    Samples,
    /// G = AᵀA (M×M); iterate w directly (M < N).
    Weights,
}

/// Estimated work (flop-equivalents) and memory of each strategy.
#[derive(Clone, Debug, Serialize)]
pub struct Costs {
    /// Primal.
    pub primal: f64,
    /// Dual (set-up included).
    pub dual: f64,
    /// Matrix-free.
    pub matrix_free: f64,
    /// Bytes of A (primal).
    pub bytes_a: u64,
    /// Bytes of K or G (dual).
    pub bytes_dual: u64,
    /// Bytes of A on the evaluation grid.
    pub bytes_eval: u64,
    /// The memory budget used for the choice.
    pub budget: u64,
}

/// The resolved plan of one batch.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Primal, Dual or MatrixFree (never Auto).
    pub strategy: Strategy,
    /// For the dual: which Gram matrix.
    pub dual: Option<DualSpace>,
    /// A is stored on the device (otherwise recomputed where needed).
    pub store_a: bool,
    /// A on the evaluation grid is stored.
    pub store_eval: bool,
    /// Iterations per submission; observations (NaN/divergence checks) happen
    /// at multiples of it, at every checkpoint and at the end.
    pub chunk: u64,
    /// The cost model's numbers.
    pub costs: Costs,
    /// Flops of one GD step of the chosen strategy (η evaluations counted as
    /// [`ETA_FLOPS`] each).
    pub step_flops: f64,
    /// Bytes one GD step must move at least (matrices read once per product,
    /// B-column states read and written): the "effective" bandwidth basis.
    pub step_bytes: f64,
    /// One line on why.
    pub reason: String,
}

/// Resolves `opts.strategy` for this design and batch.
///
/// (Library users ask [`super::GpuEngine::plan`].)
///
/// `(rows, cols)` is A's shape; `free_ok` is false when A is a user's matrix
/// (no design to recompute it from): `Auto` then never picks the matrix-free
/// strategy and the dual keeps A stored.
pub(crate) fn plan(
    ctx: &GpuContext,
    (rows, cols): (usize, usize),
    free_ok: bool,
    batch: &GdBatch,
    opts: &GpuGdOptions,
) -> Plan {
    let (n, m) = (rows as f64, cols as f64);
    let nb = batch.runs().max(1) as f64;
    let e = batch.eval_points.as_ref().map_or(0, Vec::len) as f64;
    let q = batch.q_max() as f64;
    let d = n.min(m);
    let samples = rows <= cols;
    let budget = opts.memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
    let bytes_a = 4 * rows as u64 * cols as u64;
    let bytes_eval = 4 * e as u64 * cols as u64;
    let bytes_dual = 4 * (d as u64) * (d as u64);

    let per_iter_primal = 4.0 * n * m * nb;
    let per_iter_free = per_iter_primal + 2.0 * n * m * ETA_FLOPS;
    let per_iter_dual = 2.0 * d * d * nb;
    let chunk = match opts.chunk {
        Some(c) => c.max(1),
        None if batch.allow_unstable => CHECK_EVERY,
        None => {
            let target: f64 = if ctx.is_software() { 1.0e8 } else { 4.0e9 };
            let per = per_iter_primal.min(per_iter_dual).max(1.0);
            let c = (target / per).clamp(CHECK_EVERY as f64, MAX_CHUNK as f64) as u64;
            // A power of two, so observations fall on round iteration counts.
            1u64 << c.ilog2()
        }
    };
    let n_cp = batch.checkpoints.len() as f64;
    let n_obs = n_cp + q / chunk as f64;
    let n_rec = if batch.record_w || e > 0.0 { n_cp } else { 0.0 };
    let eval_cost = n_cp * 2.0 * e * m * nb;

    let a_fits = bytes_a <= budget;
    let free_penalty = |uses: f64| {
        if a_fits {
            0.0
        } else {
            uses * n * m * ETA_FLOPS
        }
    };
    // f at the samples, formed from the iterate at every checkpoint: A·W
    // (primal, matrix-free, weight-space dual) or K·C (sample-space dual).
    let f_cost = n_cp * 2.0 * n * m * nb;
    let primal = q * per_iter_primal + eval_cost + f_cost;
    let matrix_free = q * per_iter_free + eval_cost + f_cost + n_cp * (e + n) * m * ETA_FLOPS;
    let dual_form = 2.0 * n * m * d;
    let dual_ckpt = if samples {
        n_rec * 2.0 * n * m * nb + free_penalty(n_rec) + n_cp * 2.0 * d * d * nb
    } else {
        (n_obs + n_cp) * 2.0 * n * m * nb + free_penalty(n_obs + n_cp)
    };
    let dual = dual_form + q * per_iter_dual + dual_ckpt + eval_cost;
    let costs = Costs {
        primal,
        dual,
        matrix_free,
        bytes_a,
        bytes_dual,
        bytes_eval,
        budget,
    };

    let dual_fits = bytes_dual <= budget;
    let (strategy, reason) = match opts.strategy {
        Strategy::Auto => {
            if dual_fits && (!a_fits || dual < primal) && dual < matrix_free {
                (
                    Strategy::Dual,
                    format!(
                        "auto: dual ({:.3e} flops) beats primal ({:.3e}){}",
                        dual,
                        primal,
                        if a_fits {
                            ""
                        } else {
                            "; A does not fit the memory budget"
                        }
                    ),
                )
            } else if a_fits || !free_ok {
                (
                    Strategy::Primal,
                    format!(
                        "auto: primal ({primal:.3e} flops; dual {dual:.3e}{})",
                        if dual_fits { "" } else { ", K/G too large" }
                    ),
                )
            } else {
                (
                    Strategy::MatrixFree,
                    format!(
                        "auto: matrix-free: A ({bytes_a} bytes) exceeds the memory budget ({budget} bytes)"
                    ),
                )
            }
        }
        s => (s, format!("{s} as requested")),
    };
    let store_a = match strategy {
        Strategy::Primal => true,
        Strategy::Dual => !free_ok || bytes_a + bytes_dual <= budget,
        _ => false,
    };
    let store_eval = e > 0.0 && strategy == Strategy::Primal && bytes_eval <= budget;
    let state = |len: f64, touches: f64| 4.0 * len * nb * touches;
    let (step_flops, step_bytes) = match (strategy, samples) {
        (Strategy::Primal, _) => (per_iter_primal, 8.0 * n * m + state(n, 2.0) + state(m, 3.0)),
        (Strategy::Dual, true) => (per_iter_dual, 4.0 * d * d + state(n, 5.0)),
        (Strategy::Dual, false) => (per_iter_dual, 4.0 * d * d + state(m, 4.0)),
        _ => (per_iter_free, state(n, 2.0) + state(m, 3.0)),
    };
    Plan {
        step_flops,
        step_bytes,
        strategy,
        dual: (strategy == Strategy::Dual).then_some(if samples {
            DualSpace::Samples
        } else {
            DualSpace::Weights
        }),
        store_a,
        store_eval,
        chunk,
        costs,
        reason,
    }
}

/// Rows per block shared by A (N×M) and K (N×N), so K's blocks line up with A's.
pub(crate) fn block_rows(
    ctx: &GpuContext,
    (rows, cols): (usize, usize),
    dual: Option<DualSpace>,
) -> Result<usize> {
    let a = ops::rows_per_block(ctx, "gd", "A", cols)?;
    Ok(match dual {
        Some(DualSpace::Samples) => a.min(ops::rows_per_block(ctx, "gd", "K", rows)?),
        _ => a,
    })
}
