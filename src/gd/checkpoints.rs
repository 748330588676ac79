//! Lists of iteration counts q: explicit (`1,10,100`, `1e6`) or log-spaced
//! (`log:LO:HI:COUNT`), sorted and de-duplicated.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest iteration count accepted in a list.
pub const MAX_ITERATIONS: u64 = 1_000_000_000_000_000_000;

/// Most checkpoints a list may hold (every checkpoint keeps f, and w or f on
/// the evaluation grid when asked, for every run).
pub const MAX_CHECKPOINTS: usize = 100_000;

/// A sorted, de-duplicated, non-empty list of iteration counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QList(Vec<u64>);

impl QList {
    /// The counts, ascending.
    #[must_use]
    pub fn values(&self) -> &[u64] {
        &self.0
    }

    /// The counts, ascending.
    #[must_use]
    pub fn into_vec(self) -> Vec<u64> {
        self.0
    }

    /// A list from any counts (sorted and de-duplicated); empty is an error.
    pub fn new(mut q: Vec<u64>) -> Result<Self> {
        if q.is_empty() {
            return Err(Error::invalid(
                "q",
                "an empty list",
                "at least one iteration count, e.g. --q 1,10,100",
            ));
        }
        q.sort_unstable();
        q.dedup();
        if q.len() > MAX_CHECKPOINTS {
            return Err(Error::invalid(
                "q",
                format!("a list of {} iteration counts", q.len()),
                format!("at most {MAX_CHECKPOINTS} checkpoints"),
            ));
        }
        Ok(QList(q))
    }
}

impl fmt::Display for QList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// An iteration count: a whole number ≥ 0 (at most [`MAX_ITERATIONS`]), in any
/// notation that reads as a float (`100`, `1e6`).
#[must_use]
pub fn parse_iterations(s: &str) -> Option<u64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= MAX_ITERATIONS as f64)
        .map(|v| v as u64)
}

/// `count` integers from `lo` to `hi`, evenly spaced in log q (rounded,
/// de-duplicated by the caller); `[hi]` when `count` is 1.
#[must_use]
pub fn log_spaced(lo: u64, hi: u64, count: usize) -> Vec<u64> {
    if count <= 1 {
        return vec![hi];
    }
    let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
    (0..count)
        .map(|i| (l + (h - l) * i as f64 / (count - 1) as f64).exp().round() as u64)
        .map(|v| v.clamp(lo, hi))
        .collect()
}

impl FromStr for QList {
    type Err = Error;
    /// `1,10,100` or `log:LO:HI:COUNT` (COUNT log-spaced integers from LO to HI).
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let q: Vec<u64> = if let Some(spec) = s.strip_prefix("log:") {
            let bad = || {
                Error::invalid(
                    "q range",
                    format!("'{s}'"),
                    "log:LO:HI:COUNT with integers 1 <= LO <= HI and COUNT >= 1, e.g. log:1:1000000:25",
                )
            };
            let parts: Vec<&str> = spec.split(':').collect();
            let [lo, hi, count] = parts[..] else {
                return Err(bad());
            };
            let lo: u64 = lo.parse().map_err(|_| bad())?;
            let hi: u64 = hi.parse().map_err(|_| bad())?;
            let count: usize = count.parse().map_err(|_| bad())?;
            if lo == 0 || hi < lo || count == 0 {
                return Err(bad());
            }
            // Checked before the list is laid out: no allocation in
            // proportion to an unchecked number.
            if count > MAX_CHECKPOINTS {
                return Err(Error::invalid(
                    "q range",
                    format!("'{s}'"),
                    format!("COUNT of at most {MAX_CHECKPOINTS} checkpoints"),
                ));
            }
            if hi > MAX_ITERATIONS {
                return Err(Error::invalid(
                    "q range",
                    format!("'{s}'"),
                    format!("HI of at most {MAX_ITERATIONS:e} iterations"),
                ));
            }
            log_spaced(lo, hi, count)
        } else {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    parse_iterations(p).ok_or_else(|| {
                        Error::invalid(
                            "iteration count",
                            format!("'{p}'"),
                            "whole numbers >= 0 such as 1,10,100 or 1e6",
                        )
                    })
                })
                .collect::<Result<_>>()?
        };
        QList::new(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<u64>> {
        s.parse::<QList>().map(QList::into_vec)
    }

    #[test]
    fn q_lists() {
        assert_eq!(parse("100,1,10,10").unwrap(), vec![1, 10, 100]);
        assert_eq!(parse("1e6").unwrap(), vec![1_000_000]);
        assert_eq!(parse("log:1:1000:4").unwrap(), vec![1, 10, 100, 1000]);
        assert!(parse("1.5").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("").is_err());
        assert!(parse("log:0:10:3").is_err());
        assert_eq!(log_spaced(5, 50, 1), vec![50]);
    }
}
