//! Fixed lists of configurations for `validate --suite`.
//!
//! * `paper`: every activation of the paper at its Fig. 6 size (N = 256,
//!   M = 1024) and at a large size (N = 1024, M = 4096), σ = M as in Fig. 6(a),
//!   plus sinc and gaussian at σ = 32 as in Fig. 6(b) (σ = K, K = 32);
//!   α = 1/s_max², q = 1, 10, …, 10⁵.
//! * `ci`: the same activations at N = 64, M = 256 (σ = M; sinc and gaussian
//!   also at σ = 16), q = 1, 10, …, 10⁴ — small enough for a software adapter
//!   on two CPU cores.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::activation::Activation;

/// A named list of configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suite {
    /// The paper's sizes, q up to 10⁵.
    Paper,
    /// Small sizes for continuous integration.
    Ci,
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Suite::Paper => "paper",
            Suite::Ci => "ci",
        })
    }
}

impl FromStr for Suite {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "paper" => Ok(Suite::Paper),
            "ci" | "quick" => Ok(Suite::Ci),
            _ => Err(Error::invalid(
                "suite",
                format!("'{s}'"),
                "'paper' (the paper's sizes, q up to 1e5) or 'ci' (small, for CI)",
            )),
        }
    }
}

/// One configuration of a suite (α = 1/s_max²; the signal is the caller's).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SuiteCase {
    /// η.
    pub activation: Activation,
    /// σ.
    pub sigma: f64,
    /// Samples N.
    pub n: usize,
    /// Width M.
    pub m: usize,
    /// Checkpoints.
    pub qs: Vec<u64>,
}

/// The configurations of `suite`, in order.
pub fn cases(suite: Suite) -> Vec<SuiteCase> {
    let (sizes, qs, narrow): (&[(usize, usize)], Vec<u64>, f64) = match suite {
        Suite::Paper => (
            &[(256, 1024), (1024, 4096)],
            vec![1, 10, 100, 1_000, 10_000, 100_000],
            32.0,
        ),
        Suite::Ci => (&[(64, 256)], vec![1, 10, 100, 1_000, 10_000], 16.0),
    };
    let mut out = Vec::new();
    for &(n, m) in sizes {
        for act in Activation::PAPER {
            out.push(SuiteCase {
                activation: act,
                sigma: m as f64,
                n,
                m,
                qs: qs.clone(),
            });
        }
        for act in [Activation::Sinc, Activation::Gaussian] {
            out.push(SuiteCase {
                activation: act,
                sigma: narrow,
                n,
                m,
                qs: qs.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_cover_every_activation() {
        for s in [Suite::Paper, Suite::Ci] {
            let c = cases(s);
            for act in Activation::PAPER {
                assert!(c.iter().any(|k| k.activation == act), "{s} {act}");
            }
        }
        let p = cases(Suite::Paper);
        assert!(p.iter().any(|k| (k.n, k.m) == (256, 1024)));
        assert_eq!(p[0].qs.last(), Some(&100_000));
        assert_eq!("quick".parse::<Suite>().unwrap(), Suite::Ci);
        assert!("huge".parse::<Suite>().is_err());
    }
}
