//! What a batch of gradient-descent runs returns.
//!
//! Every engine returns a [`Trajectory`]: at every checkpoint q, $f_q = A w_q$
//! at the samples, the loss $E = \tfrac12 \lVert y_b - A w_q \rVert^2$ and, when
//! asked, $w_q$ and f on an evaluation grid; one [`RunStatus`] per run; and
//! the [`EngineInfo`] of the engine that produced it, so every GPU number can
//! be put next to its CPU twin without conversion.

use serde::{Deserialize, Serialize};

use super::engine::EngineInfo;
use crate::error::{Error, Result};

/// The state of every run at one iteration count q.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Iteration count q.
    pub q: u64,
    /// f_q = A w_q at the samples, per run (B × N).
    pub f: Vec<Vec<f64>>,
    /// ½‖y_b − f_q‖², per run.
    pub loss: Vec<f64>,
    /// w_q per run (B × M), when asked for.
    pub w: Option<Vec<Vec<f64>>>,
    /// f_q on the evaluation grid per run, when asked for.
    pub f_eval: Option<Vec<Vec<f64>>>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// Finished every iteration with finite values and a non-growing residual.
    Ok,
    /// A NaN or ±∞ appeared at `iteration`.
    NonFinite {
        /// First iteration at which it was seen.
        iteration: u64,
    },
    /// The residual grew (which stable GD never does) by `growth` per iteration.
    Diverged {
        /// Iteration at which the growth was detected.
        iteration: u64,
        /// Measured growth factor of ‖y − A w‖ per iteration.
        growth: f64,
    },
}

impl RunStatus {
    /// True for [`RunStatus::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, RunStatus::Ok)
    }
}

/// Result of a batch: checkpoints in ascending q and a status per run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// The engine that produced it, as it ran (an automatic strategy resolved).
    pub engine: EngineInfo,
    /// Recorded states, ascending in q. A failed run's entries after its failure are NaN.
    pub checkpoints: Vec<Checkpoint>,
    /// One status per run.
    pub status: Vec<RunStatus>,
}

impl Trajectory {
    /// The checkpoint at iteration q, if recorded.
    pub fn at(&self, q: u64) -> Option<&Checkpoint> {
        self.checkpoints.iter().find(|c| c.q == q)
    }

    /// Ok(self) when every run finished; otherwise [`Error::Diverged`] naming the
    /// first failed run and iteration, with the whole trajectory attached.
    pub fn into_result(self) -> Result<Trajectory> {
        let failed = self.status.iter().enumerate().find_map(|(run, s)| match s {
            RunStatus::Ok => None,
            RunStatus::NonFinite { iteration } => Some((
                run,
                *iteration,
                "a non-finite value (NaN or inf) appeared".to_string(),
            )),
            RunStatus::Diverged { iteration, growth } => Some((
                run,
                *iteration,
                format!("the residual ||y - A w|| grows by a factor {growth:.6} per iteration"),
            )),
        });
        match failed {
            None => Ok(self),
            Some((run, iteration, detail)) => Err(Error::Diverged {
                run,
                iteration,
                detail,
                partial: Some(Box::new(self)),
            }),
        }
    }
}

/// ½‖y − f‖².
pub fn half_sq_residual(y: &[f64], f: &[f64]) -> f64 {
    0.5 * y.iter().zip(f).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
}

/// Relative error ‖got − want‖/‖want‖ (SPEC §8). NaN anywhere gives NaN, which
/// never passes a `<=` test; a zero reference gives the absolute norm of `got`.
pub fn rel_error(got: &[f64], want: &[f64]) -> f64 {
    if got.len() != want.len() {
        return f64::NAN;
    }
    let mut num = 0.0;
    let mut den = 0.0;
    for (g, w) in got.iter().zip(want) {
        num += (g - w) * (g - w);
        den += w * w;
    }
    if den == 0.0 {
        num.sqrt()
    } else {
        (num / den).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_error_never_passes_nan() {
        assert_eq!(rel_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!(rel_error(&[f64::NAN, 2.0], &[1.0, 2.0]).is_nan());
        assert!(rel_error(&[f64::NAN], &[1.0]).partial_cmp(&1.0).is_none());
    }
}
