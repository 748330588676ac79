//! What a run will need, known before it starts: bytes of host memory, checked
//! against what this machine has available, with a message that gives both
//! numbers and what to change.
//!
//! Sizes are computed in `u128`/`f64` so that no request, however large,
//! overflows or allocates before it is checked.
//!
//! A [`Plan`] is what one command will need, computed from N, M, B, the q
//! list and the strategy before anything is allocated: every host allocation
//! by name, every device binding by name, and an operation count. Commands
//! check it ([`Plan::check_host`]) before any work and print its estimate
//! ([`Plan::estimate`]) when the work is long.

use crate::error::{Error, Result};

pub mod device;

/// Bytes of address space this process may still map under its soft
/// `RLIMIT_AS`/`RLIMIT_DATA` (`ulimit -v`, `ulimit -d`, batch schedulers'
/// memory caps), from `/proc/self/limits` less what is mapped now; `None`
/// when unlimited or unreadable.
fn address_space_left() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let cap = limits
        .lines()
        .filter(|l| l.starts_with("Max address space") || l.starts_with("Max data size"))
        .filter_map(|l| {
            l.split_whitespace()
                .rev()
                .nth(2)
                .and_then(|soft| soft.parse::<u64>().ok())
        })
        .min()?;
    let status = std::fs::read_to_string("/proc/self/status").ok();
    let used = status
        .as_deref()
        .and_then(|t| t.lines().find(|l| l.starts_with("VmSize:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb.saturating_mul(1024));
    Some(cap.saturating_sub(used))
}

/// Bytes of host memory available to a new allocation: `MemAvailable` from
/// `/proc/meminfo` on Linux, lowered to a cgroup's memory limit and to the
/// process's address-space limit when they are set; `None` where none can
/// be read (the check is then skipped).
#[must_use]
pub fn available_host_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let avail = meminfo.as_deref().and_then(|text| {
        text.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb.saturating_mul(1024))
    });
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .and_then(|s| s.trim().parse::<u64>().ok());
    [avail, cgroup, address_space_left()]
        .into_iter()
        .flatten()
        .min()
}

/// A byte count for people: `512 B`, `3.2 MiB`, `8.0 TB` style (binary units).
#[must_use]
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Bytes of an `rows × cols` array of `elem`-byte values, without overflow.
#[must_use]
pub fn array_bytes(rows: usize, cols: usize, elem: usize) -> f64 {
    rows as f64 * cols as f64 * elem as f64
}

/// Refuses a request for `bytes` of host memory that this machine does not
/// have available. `what` names the allocation ("A (f64, 1000 × 1000)"),
/// `hint` says what to change.
///
/// # Errors
/// [`Error::TooLarge`] with both numbers.
pub fn ensure_host_fits(what: &str, bytes: f64, hint: &str) -> Result<()> {
    // Above 2^63 bytes nothing can be allocated, whatever /proc says.
    let limit = available_host_bytes().map_or(9.2e18, |a| a as f64);
    if bytes > limit {
        return Err(Error::TooLarge {
            what: what.to_string(),
            needed: format_bytes(bytes),
            available: format_bytes(limit),
            hint: hint.to_string(),
        });
    }
    Ok(())
}

/// Floating-point operations per second assumed for a time estimate: a
/// deliberately modest rate (one core of a laptop in faer's products), so
/// that an estimate errs on the long side.
pub const ASSUMED_FLOPS: f64 = 2e9;

/// Work longer than this (estimated, seconds) is announced before it starts.
pub const ANNOUNCE_SECONDS: f64 = 5.0;

/// One named allocation of a [`Plan`].
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What is allocated, with its type and shape (`A (f64, 1000 × 1000)`).
    pub what: String,
    /// Bytes.
    pub bytes: f64,
}

/// What a run will need, known before it starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Host allocations.
    pub host: Vec<Item>,
    /// Device bindings (GPU runs).
    pub device: Vec<Item>,
    /// Floating-point operations of the whole run.
    pub ops: f64,
    /// What to change when the plan does not fit (`use a smaller --m`).
    pub hint: String,
}

impl Plan {
    /// An empty plan whose refusal suggests `hint`.
    #[must_use]
    pub fn new(hint: &str) -> Self {
        Plan {
            hint: hint.to_string(),
            ..Plan::default()
        }
    }

    /// Adds a host allocation of `bytes`.
    #[must_use]
    pub fn host(mut self, what: impl Into<String>, bytes: f64) -> Self {
        self.host.push(Item {
            what: what.into(),
            bytes,
        });
        self
    }

    /// Adds a host matrix of `rows × cols` f64 named `name`.
    #[must_use]
    pub fn host_f64(self, name: &str, rows: usize, cols: usize) -> Self {
        let what = format!("{name} (f64, {rows} × {cols})");
        self.host(what, array_bytes(rows, cols, 8))
    }

    /// Adds a device binding of `bytes`.
    #[must_use]
    pub fn device(mut self, what: impl Into<String>, bytes: f64) -> Self {
        self.device.push(Item {
            what: what.into(),
            bytes,
        });
        self
    }

    /// Adds `ops` floating-point operations.
    #[must_use]
    pub fn ops(mut self, ops: f64) -> Self {
        self.ops += ops;
        self
    }

    /// Total host bytes.
    #[must_use]
    pub fn host_bytes(&self) -> f64 {
        self.host.iter().map(|i| i.bytes).sum()
    }

    /// Total device bytes.
    #[must_use]
    pub fn device_bytes(&self) -> f64 {
        self.device.iter().map(|i| i.bytes).sum()
    }

    /// Estimated seconds at [`ASSUMED_FLOPS`].
    #[must_use]
    pub fn seconds(&self) -> f64 {
        self.ops / ASSUMED_FLOPS
    }

    /// Refuses the plan when its host memory exceeds what is available,
    /// naming the largest allocation.
    ///
    /// # Errors
    /// [`Error::TooLarge`] with both numbers and the plan's hint.
    pub fn check_host(&self) -> Result<()> {
        let total = self.host_bytes();
        // The first of the largest (A before its copies).
        let largest = self
            .host
            .iter()
            .fold(None::<&Item>, |best, i| match best {
                Some(b) if b.bytes >= i.bytes => Some(b),
                _ => Some(i),
            })
            .map_or_else(|| "the run".to_string(), |i| i.what.clone());
        let what = if self.host.len() > 1 {
            format!("{largest} (with the run's other arrays)")
        } else {
            largest
        };
        ensure_host_fits(&what, total, &self.hint)
    }

    /// One line for people: host and device memory, operations and time.
    #[must_use]
    pub fn estimate(&self) -> String {
        let device = if self.device.is_empty() {
            String::new()
        } else {
            format!(", device memory {}", format_bytes(self.device_bytes()))
        };
        format!(
            "host memory {}{device}, {:.2e} floating-point operations (about {} at {:.0} GFLOP/s)",
            format_bytes(self.host_bytes()),
            self.ops,
            format_seconds(self.seconds()),
            ASSUMED_FLOPS / 1e9
        )
    }

    /// Whether the run is long enough to be announced ([`ANNOUNCE_SECONDS`]).
    #[must_use]
    pub fn is_long(&self) -> bool {
        self.seconds() > ANNOUNCE_SECONDS
    }
}

/// Seconds for people: `12 s`, `3.5 min`, `2.0 h`, `4.1 days`, `3.2e5 years`.
#[must_use]
pub fn format_seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.0} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 86400.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s < 86400.0 * 365.0 {
        format!("{:.1} days", s / 86400.0)
    } else {
        format!("{:.1e} years", s / (86400.0 * 365.0))
    }
}

/// The host memory of the f64 dense work on one N×M design: the grids, A, and
/// (with `svd`) a thin SVD of A: U (N × r), V (M × r), s, and faer's working
/// copy of A (r = min(N, M)).
#[must_use]
pub fn dense_plan(n: usize, m: usize, svd: bool, hint: &str) -> Plan {
    let r = n.min(m);
    let mut p = Plan::new(hint)
        .host("grids x and b (f64)", array_bytes(n + m, 1, 8))
        .host_f64("A", n, m);
    if svd {
        p = p
            .host_f64("working copy of A for the SVD", n, m)
            .host_f64("U", n, r)
            .host_f64("V", m, r)
            // Bidiagonalisation and the Householder products: ~4NMr + 8r³/3,
            // and a cost per entry of A that dominates for very unequal N, M
            // (measured: 19 s for the SVD of a 16 × 10⁶ A on 2 shared vCPUs,
            // ~1 µs per entry, 2000 operations at the assumed rate).
            .ops(
                4.0 * n as f64 * m as f64 * r as f64
                    + 3.0 * (r as f64).powi(3)
                    + 2000.0 * n as f64 * m as f64,
            );
    }
    p
}

/// The host memory and work of a streamed f64 reference for an N×M design
/// (N ≤ M) with P evaluation points and `cols` solution vectors kept per
/// column of w: the TSQR (per thread: a block of 4N rows over R, N×N) and U,
/// `threads` blocks of `block` columns of A, A_e and their f32 twins in
/// flight, w (M × cols) and f on the grid; 2·M·N² operations for the TSQR
/// plus the passes' products and, per pass, an η evaluation for each of
/// the (N + P)·M entries (η ≈ 16 operations).
#[must_use]
pub fn streamed_reference_plan(
    (n, m, p): (usize, usize, usize),
    cols: usize,
    block: usize,
    hint: &str,
) -> Plan {
    let threads = rayon::current_num_threads() as f64;
    let tsqr_block = (4 * n).clamp(256, 8192);
    let plan = Plan::new(hint)
        .host("grids x and b (f64)", array_bytes(n + m, 1, 8))
        .host(
            "TSQR blocks and factors",
            8.0 * threads * ((tsqr_block + n) * n) as f64,
        )
        .host_f64("U and the small factors", 3 * n, n)
        .ops(2.0 * m as f64 * (n as f64).powi(2));
    with_column_passes(plan, (n, m, p), cols, block)
}

/// The passes over column blocks that both f64 references without A make:
/// `threads` blocks of `width` columns of A, A_e and their f32 twins in
/// flight, w (M × cols) and f on the grid; the products and, per pass, an η
/// evaluation for each of the (N + P)·M entries (η ≈ 16 operations).
fn with_column_passes(
    plan: Plan,
    (n, m, p): (usize, usize, usize),
    cols: usize,
    width: usize,
) -> Plan {
    let threads = rayon::current_num_threads() as f64;
    let (nf, mf, pf) = (n as f64, m as f64, p as f64);
    plan.host(
        "column blocks of A and A_e in flight (f64 and f32 twins)",
        threads * 2.0 * 8.0 * (nf + pf) * width as f64,
    )
    .host_f64("w = A^T z", m, cols)
    .host_f64("f on the evaluation grid", p.max(1), cols)
    .ops(3.0 * 16.0 * (nf + pf) * mf + 4.0 * (nf + pf) * mf * cols as f64)
}

/// The top-K route on an N × M A (`stored`: A is built once and kept; else
/// streamed in blocks): the Krylov basis and its projection at the step
/// limit, the accumulators of the streamed groups and the blocks in flight,
/// the last pass's T·Z, the K vectors; 4·N·M·b operations per pass for
/// about 10 passes (the measured typical count; the limit is 41).
#[must_use]
pub fn topk_plan(n: usize, m: usize, k: usize, stored: bool, hint: &str) -> Plan {
    let (r, l) = (n.min(m), n.max(m));
    let b = (k + (k / 10).max(10)).min(r);
    let steps = (r / b.max(1))
        .saturating_sub(1)
        .min(crate::spectral::topk::TOPK_MAX_STEPS);
    let p = Plan::new(hint)
        .host("grids x and b (f64)", array_bytes(n + m, 1, 8))
        .host_f64("Krylov basis", r, b * (steps + 1))
        .host_f64("block tridiagonal projection", b * steps, b * steps)
        .host_f64("T·Z and Tᵀ(T·Z) of the last pass", l + r, b)
        .host_f64("the K singular vectors", n + m, k);
    let p = if stored {
        p.host_f64("A", n, m)
    } else {
        p.host_f64("streamed accumulators (8 groups)", r, 8 * b)
            .host("blocks of A in flight", 2.0 * 32.0 * 1024.0 * 1024.0)
    };
    p.ops(10.0 * 4.0 * n as f64 * m as f64 * b as f64)
}

/// The plan of the top-K validate/compare reference for an N×M design with
/// P evaluation points and `cols` solution columns: [`topk_plan`] with A
/// streamed, then the norms and solution passes over column blocks as on
/// the streamed route.
#[must_use]
pub fn topk_reference_plan(
    (n, m, p): (usize, usize, usize),
    cols: usize,
    k: usize,
    hint: &str,
) -> Plan {
    let width = crate::studies::validate::stream_block_width(n + p);
    with_column_passes(topk_plan(n, m, k, false, hint), (n, m, p), cols, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_refuses_with_both_numbers() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        let e = ensure_host_fits(
            "A (f64, 1000000 × 1000000)",
            array_bytes(1_000_000, 1_000_000, 8),
            "use a smaller --m",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("7.3 TiB") && e.contains("--m"), "{e}");
        ensure_host_fits("a little", 1024.0, "").unwrap();
    }

    #[test]
    fn a_plan_names_its_largest_allocation_and_estimates() {
        let p = dense_plan(1_000_000, 1_000_000, false, "use a smaller --m");
        let e = p.check_host().unwrap_err().to_string();
        assert!(e.contains("A (f64, 1000000 × 1000000)"), "{e}");
        assert!(e.contains("7.3 TiB") && e.contains("--m"), "{e}");
        let small = dense_plan(10, 20, true, "");
        small.check_host().unwrap();
        // 8·(30 + 2·200 + 100 + 200) bytes.
        assert_eq!(small.host_bytes(), 8.0 * 730.0);
        assert!(!small.is_long());
        let long = Plan::new("").ops(1e15);
        assert!(
            long.is_long() && long.estimate().contains("days"),
            "{}",
            long.estimate()
        );
    }
}
