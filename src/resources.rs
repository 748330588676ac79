//! What a run will need, known before it starts: bytes of host memory, checked
//! against what this machine has available, with a message that gives both
//! numbers and what to change.
//!
//! Sizes are computed in `u128`/`f64` so that no request, however large,
//! overflows or allocates before it is checked.

use crate::error::{Error, Result};

/// Bytes of host memory available to a new allocation: `MemAvailable` from
/// `/proc/meminfo` on Linux, lowered to a cgroup's memory limit when one is
/// set; `None` where neither can be read (the check is then skipped).
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
    let cgroup = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| s.trim().parse::<u64>().ok());
    match (avail, cgroup) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    }
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
}
