//! What a GPU batch stores on the device, binding by binding (f32), known
//! before anything is allocated: the one computation behind the device side
//! of the CLI plans (`gd`, `validate`, `compare`) and of a sweep's GPU groups.
//!
//! The storage rules are the GPU engine's (`gpu::plan`, `gpu::batch`):
//!
//! * A (4·N·M bytes, row blocks of at most one binding each) is stored by the
//!   primal, and by the dual when A and K/G fit the budget together (always
//!   for a user's matrix, which cannot be recomputed);
//! * K = AAᵀ (N ≤ M) or G = AᵀA (4·d² bytes, d = min(N, M), row blocks) by
//!   the dual;
//! * nothing N × M by the matrix-free strategy;
//! * every strategy: the grids, Y, R, f at the samples (N × B each), the
//!   state W (M × B; the sample-space dual's C is N × B and rebuilds W only
//!   when it is recorded), the rates and norms, f on the evaluation grid, the
//!   partial sums of the split products (at most 64 MiB, at most one
//!   binding), two checkpoint read-back buffers (at most 64 MiB each, at
//!   least one checkpoint) and the lookup table of a tabulated activation.
//!
//! With the strategy `auto`, A is stored only when it fits the memory budget;
//! otherwise the run goes without A on the device (matrix-free, or the dual
//! when K/G fits and the engine's cost model finds it cheaper). A strategy
//! named explicitly that must store more than the budget is refused
//! ([`DeviceNeed::refused`]). Every binding is also held against the
//! adapter's limits ([`DeviceNeed::check_limits`]): one buffer or one row of
//! a blocked matrix beyond `max_storage_buffer_binding_size` or
//! `max_buffer_size` cannot run on that adapter whatever the budget.

use super::format_bytes;
use crate::error::{Error, Result};
use crate::gd::{DEFAULT_MEMORY_BUDGET, Strategy};

/// The partial-sum buffer of the split products is at most this many bytes
/// (and at least one slot of the widest product, at most one binding).
pub const PARTIAL_BYTES: f64 = (64u64 << 20) as f64;

/// A checkpoint read-back buffer is at most this many bytes (and at least one
/// checkpoint); the engine keeps two.
pub const STAGING_BYTES: f64 = (64u64 << 20) as f64;

const PARTIAL: &str = "partial sums of the split products (at most)";
const READ_BACK: &str = "checkpoint read-back";

/// What a GPU batch is, for its device plan.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceRequest {
    /// N (samples).
    pub n: usize,
    /// M (width).
    pub m: usize,
    /// B, the runs of one batch.
    pub runs: usize,
    /// Checkpoints per run.
    pub checkpoints: usize,
    /// Points of the evaluation grid (0: none).
    pub eval_points: usize,
    /// w is read back at every checkpoint.
    pub record_w: bool,
    /// The strategy as asked.
    pub strategy: Strategy,
    /// The memory budget for stored matrices, bytes (`None`: the default).
    pub budget: Option<u64>,
    /// A can be recomputed from a design (false for a user's matrix).
    pub recompute: bool,
    /// Bytes of a tabulated activation's lookup table (0 for the others).
    pub table_bytes: f64,
}

/// One device buffer of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// What it holds, with its type and shape (`A (f32, 16 × 1024)`).
    pub what: String,
    /// Bytes.
    pub bytes: f64,
    /// For a matrix stored in row blocks (one binding each): the bytes of
    /// one row, which must fit one binding; `None` for a single buffer.
    pub row_bytes: Option<f64>,
}

/// The device side of a GPU batch: what it stores, binding by binding, and
/// whether the strategy fits the budget.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceNeed {
    /// A in f32: 4·N·M.
    pub a: f64,
    /// K = AAᵀ (N ≤ M) or G = AᵀA in f32: 4·d².
    pub dual: f64,
    /// Everything else (states, grids, targets, partial sums, read-back), f32.
    pub state: f64,
    /// The budget for stored matrices.
    pub budget: u64,
    /// Whether the budget was given or is the default.
    pub budget_given: bool,
    /// The strategy as asked.
    pub strategy: Strategy,
    /// A is (or may be) stored on the device.
    pub stores_a: bool,
    /// What runs, in words.
    pub verdict: String,
    /// What the explicit strategy must store beyond the budget (refused), if anything.
    pub refused: Option<(String, f64)>,
    /// Every buffer the run allocates on the device (the stored matrices at
    /// their largest: A when it may be stored).
    pub bindings: Vec<Binding>,
}

/// `A (f32, 16 × 1024)`.
fn f32_label(name: &str, rows: usize, cols: usize) -> String {
    format!("{name} (f32, {rows} × {cols})")
}

impl DeviceRequest {
    /// The device plan of this batch.
    #[must_use]
    pub fn need(&self) -> DeviceNeed {
        let (n, m) = (self.n as f64, self.m as f64);
        let d = n.min(m);
        let a = 4.0 * n * m;
        let dual = 4.0 * d * d;
        let budget = self.budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
        let bf = budget as f64;
        let space = if self.n <= self.m {
            "K = A A^T"
        } else {
            "G = A^T A"
        };
        let a_fits = a <= bf;
        let (stores_a, stores_dual, verdict, refused) = match self.strategy {
            Strategy::Primal if !a_fits => (
                true,
                false,
                "primal: A does not fit".to_string(),
                Some(("A".to_string(), a)),
            ),
            Strategy::Primal => (true, false, "primal: A stored".to_string(), None),
            Strategy::Dual if dual > bf || (!self.recompute && a + dual > bf) => {
                let (what, bytes) = if self.recompute {
                    (space.to_string(), dual)
                } else {
                    (
                        format!("A and {space} (a user's matrix is stored)"),
                        a + dual,
                    )
                };
                (
                    !self.recompute,
                    true,
                    format!("dual: {space} does not fit"),
                    Some((what, bytes)),
                )
            }
            Strategy::Dual => {
                let keep = !self.recompute || a + dual <= bf;
                let how = if keep { "A stored" } else { "A recomputed" };
                (keep, true, format!("dual: {space} stored, {how}"), None)
            }
            Strategy::MatrixFree => (
                false,
                false,
                "matrix-free: nothing N x M stored".to_string(),
                None,
            ),
            Strategy::Auto if a_fits || !self.recompute => (
                true,
                dual <= bf,
                "auto: A fits; primal or dual by the engine's cost model".to_string(),
                // A user's matrix has nothing to recompute A from.
                (!a_fits).then(|| ("A (a user's matrix is stored)".to_string(), a)),
            ),
            Strategy::Auto if dual <= bf => (
                false,
                true,
                format!(
                    "auto: A ({}) does not fit, runs without A: matrix-free, or the dual \
                     ({space}, {}, fits) if the engine's cost model finds it cheaper",
                    format_bytes(a),
                    format_bytes(dual)
                ),
                None,
            ),
            Strategy::Auto => (
                false,
                false,
                format!(
                    "auto: matrix-free (neither A, {}, nor {space}, {}, fits)",
                    format_bytes(a),
                    format_bytes(dual)
                ),
                None,
            ),
        };
        let mut bindings = Vec::new();
        if stores_a {
            bindings.push(Binding {
                what: f32_label("A", self.n, self.m),
                bytes: a,
                row_bytes: Some(4.0 * m),
            });
        }
        if stores_dual {
            let (name, side) = if self.n <= self.m {
                ("K = A A^T", self.n)
            } else {
                ("G = A^T A", self.m)
            };
            bindings.push(Binding {
                what: f32_label(name, side, side),
                bytes: dual,
                row_bytes: Some(4.0 * side as f64),
            });
        }
        let matrices: f64 = bindings.iter().map(|b| b.bytes).sum();
        self.states(&mut bindings, stores_a);
        let state = bindings.iter().map(|b| b.bytes).sum::<f64>() - matrices;
        DeviceNeed {
            a,
            dual,
            state,
            budget,
            budget_given: self.budget.is_some(),
            strategy: self.strategy,
            stores_a,
            verdict,
            refused,
            bindings,
        }
    }

    /// The buffers every strategy allocates besides A and K/G.
    fn states(&self, out: &mut Vec<Binding>, stores_a: bool) {
        let (n, m, b, e) = (self.n, self.m, self.runs.max(1), self.eval_points);
        let mut one = |what: String, bytes: f64| {
            out.push(Binding {
                what,
                bytes,
                row_bytes: None,
            });
        };
        let v = |len: usize| 4.0 * len as f64;
        let nb = v(n) * b as f64;
        let mb = v(m) * b as f64;
        one("grids x and b (f32)".into(), v(n) + v(m));
        one(f32_label("targets Y", n, b), nb);
        one(f32_label("residuals R", n, b), nb);
        one(f32_label("f at the samples", n, b), nb);
        one(f32_label("weights W", m, b), mb);
        one("learning rates and residual norms (f32)".into(), v(4 * b));
        if e > 0 {
            one("evaluation grid (f32)".into(), v(e));
            one(f32_label("f on the evaluation grid", e, b), v(e) * b as f64);
            // The primal stores A on the evaluation grid when it fits the budget.
            let ae = 4.0 * e as f64 * m as f64;
            if stores_a && ae <= self.budget.unwrap_or(DEFAULT_MEMORY_BUDGET) as f64 {
                out.push(Binding {
                    what: f32_label("A on the evaluation grid", e, m),
                    bytes: ae,
                    row_bytes: Some(v(m)),
                });
            }
        }
        // At most 64 MiB (at least one slot of the widest product), and no
        // more slots than the ~1024 splits a product takes on hardware; the
        // engine caps it at one binding itself.
        let widest = n.max(m).max(e) as f64 * b as f64 * 4.0;
        out.push(Binding {
            what: PARTIAL.into(),
            bytes: PARTIAL_BYTES.max(widest).min(1024.0 * widest),
            row_bytes: None,
        });
        let per_cp = 3.0 * b as f64
            + 2.0 * (n * b) as f64
            + if self.record_w { (m * b) as f64 } else { 0.0 }
            + (e * b) as f64;
        let staging = (4.0 * per_cp * self.checkpoints.max(1) as f64)
            .min(STAGING_BYTES)
            .max(4.0 * per_cp);
        out.push(Binding {
            what: format!("{READ_BACK}, one of two"),
            bytes: staging,
            row_bytes: None,
        });
        out.push(Binding {
            what: format!("{READ_BACK}, two of two"),
            bytes: staging,
            row_bytes: None,
        });
        if self.table_bytes > 0.0 {
            out.push(Binding {
                what: "lookup table of the activation (f32)".into(),
                bytes: self.table_bytes,
                row_bytes: None,
            });
        }
    }
}

impl DeviceNeed {
    /// Total bytes of every binding.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.bindings.iter().map(|b| b.bytes).sum()
    }

    /// The budget in words: `2.0 GiB (the default)` or `1.0 KiB (--memory-budget 1024)`.
    #[must_use]
    pub fn budget_text(&self, flag: &str) -> String {
        if self.budget_given {
            format!(
                "{} ({flag} {})",
                format_bytes(self.budget as f64),
                self.budget
            )
        } else {
            format!(
                "{} (the default of {flag}; wgpu cannot query device memory)",
                format_bytes(self.budget as f64)
            )
        }
    }

    /// Refuses a batch some binding of which cannot be allocated on an
    /// adapter with these limits: a single buffer above `max_binding` (a
    /// storage binding) or `max_buffer` bytes, or a row of a blocked matrix
    /// above one binding. The error names the binding and both numbers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`].
    pub fn check_limits(&self, max_binding: u64, max_buffer: u64, hint: &str) -> Result<()> {
        const BINDING: &str = "max_storage_buffer_binding_size";
        let (mb, mbuf) = (max_binding as f64, max_buffer as f64);
        for b in &self.bindings {
            let (size, what, limit, name) = match b.row_bytes {
                Some(row) => (row, format!("one row of {}", b.what), mb, BINDING),
                // The engine caps the partial sums at one binding itself.
                None if b.what == PARTIAL => continue,
                // Read-back buffers are mapped, not bound.
                None if b.what.starts_with(READ_BACK) => {
                    (b.bytes, b.what.clone(), mbuf, "max_buffer_size")
                }
                None => (b.bytes, b.what.clone(), mb.min(mbuf), BINDING),
            };
            if size > limit {
                return Err(Error::invalid(
                    format!("GPU buffer {what}"),
                    format_bytes(size),
                    format!(
                        "at most {} ({name} of the adapter, {} bytes); {hint}",
                        format_bytes(limit),
                        limit
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One line: every binding by name, the budget and what runs.
    #[must_use]
    pub fn line(&self, flag: &str) -> String {
        let items: Vec<String> = self
            .bindings
            .iter()
            .map(|b| format!("{} {}", b.what, format_bytes(b.bytes)))
            .collect();
        format!(
            "device memory {} ({}); budget for stored matrices {}; {}",
            format_bytes(self.total()),
            items.join(", "),
            self.budget_text(flag),
            self.verdict
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(strategy: Strategy, budget: Option<u64>) -> DeviceRequest {
        DeviceRequest {
            n: 16,
            m: 1024,
            runs: 2,
            checkpoints: 3,
            eval_points: 0,
            record_w: false,
            strategy,
            budget,
            recompute: true,
            table_bytes: 0.0,
        }
    }

    #[test]
    fn storage_follows_the_budget() {
        let need = req(Strategy::Auto, None).need();
        assert!(need.stores_a && need.refused.is_none());
        assert_eq!(need.bindings[0].bytes, 4.0 * 16.0 * 1024.0);
        // A = 64 KiB over a 4 KiB budget: auto runs without A, the explicit
        // primal is refused with what it needs.
        let need = req(Strategy::Auto, Some(4096)).need();
        assert!(!need.stores_a && need.refused.is_none(), "{need:?}");
        assert!(need.verdict.contains("without A"), "{}", need.verdict);
        let need = req(Strategy::Primal, Some(4096)).need();
        assert_eq!(need.refused, Some(("A".into(), 65536.0)));
        let need = req(Strategy::MatrixFree, Some(1)).need();
        assert!(need.refused.is_none() && !need.stores_a);
        // A user's matrix cannot run without A.
        let mut r = req(Strategy::Auto, Some(4096));
        r.recompute = false;
        assert!(r.need().refused.is_some());
    }

    #[test]
    fn limits_name_the_binding_and_both_numbers() {
        let need = req(Strategy::Primal, None).need();
        need.check_limits(1 << 30, 1 << 30, "").unwrap();
        // A row of A is 4 KiB: a 2 KiB binding cannot hold it.
        let e = need
            .check_limits(2048, 1 << 30, "use --strategy matrix-free")
            .unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains("one row of A (f32, 16 × 1024)") && e.contains("2.0 KiB"),
            "{e}"
        );
    }
}
