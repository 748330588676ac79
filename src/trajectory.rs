//! What a batch of gradient-descent runs is asked to do, and what it returns.
//!
//! Both engines — the f64 CPU reference ([`crate::cpu_gd`]) and the f32 GPU
//! engine ([`crate::gpu`]) — take a [`GdBatch`] and return a [`Trajectory`], so
//! every GPU number can be put next to its CPU twin without conversion.
//!
//! Run b iterates $w_{q+1} = w_q + \alpha_b A^\top (y_b - A w_q)$ from $w_0$
//! (zero by default) and reports, at every checkpoint q, $f_q = A w_q$ at the
//! samples, the loss $E = \tfrac12 \lVert y_b - A w_q \rVert^2$ and, when asked,
//! $w_q$ and f on an evaluation grid.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure_finite};

/// B gradient-descent runs on one design matrix A (N×M).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GdBatch {
    /// Targets y_b, each of length N.
    pub y: Vec<Vec<f64>>,
    /// Learning rates α_b, one per run.
    pub alpha: Vec<f64>,
    /// Iteration counts q at which to record the state, ascending (0 allowed).
    pub checkpoints: Vec<u64>,
    /// Also record the weights w_q (M values per run and checkpoint).
    pub record_w: bool,
    /// Also evaluate f_q at these points (the evaluation grid).
    pub eval_points: Option<Vec<f64>>,
    /// Starting weights w_0 per run (zero when `None`).
    pub w0: Option<Vec<Vec<f64>>>,
    /// Run even when α_b ≥ 2/s_max² (to study divergence); divergence is then
    /// recorded in [`Trajectory::status`] instead of being refused up front.
    pub allow_unstable: bool,
}

impl GdBatch {
    /// One run per (y, α) pair, recording f and the loss at `checkpoints`.
    pub fn new(y: Vec<Vec<f64>>, alpha: Vec<f64>, checkpoints: Vec<u64>) -> Self {
        GdBatch {
            y,
            alpha,
            checkpoints,
            ..GdBatch::default()
        }
    }

    /// Number of runs B.
    pub fn runs(&self) -> usize {
        self.y.len()
    }

    /// Largest checkpoint (the number of iterations to run).
    pub fn q_max(&self) -> u64 {
        self.checkpoints.last().copied().unwrap_or(0)
    }

    /// Checks shapes, finiteness, ordering and (unless `allow_unstable`) the
    /// stability limit α_b < 2/s_max². `s_max` is the largest singular value of A.
    pub fn validate(&self, n: usize, m: usize, s_max: Option<f64>) -> Result<()> {
        if self.y.is_empty() {
            return Err(Error::invalid("runs", 0, "at least one run (one signal y)"));
        }
        if self.alpha.len() != self.y.len() {
            return Err(Error::LengthMismatch {
                what: "learning rates (one per run)".into(),
                expected: self.y.len(),
                got: self.alpha.len(),
            });
        }
        for (b, y) in self.y.iter().enumerate() {
            if y.len() != n {
                return Err(Error::LengthMismatch {
                    what: format!("signal y of run {b} (one value per sample)"),
                    expected: n,
                    got: y.len(),
                });
            }
            ensure_finite(&format!("signal y of run {b}"), y)?;
        }
        for (b, &a) in self.alpha.iter().enumerate() {
            if !(a.is_finite() && a > 0.0) {
                return Err(Error::invalid(
                    format!("alpha of run {b}"),
                    a,
                    "a finite learning rate > 0",
                ));
            }
        }
        if self.checkpoints.is_empty() {
            return Err(Error::invalid(
                "q",
                "an empty list",
                "at least one iteration count",
            ));
        }
        if let Some(w) = self.checkpoints.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "q",
                format!("{} followed by {}", w[0], w[1]),
                "strictly increasing iteration counts",
            ));
        }
        if let Some(p) = &self.eval_points {
            ensure_finite("evaluation grid", p)?;
        }
        if let Some(w0) = &self.w0 {
            if w0.len() != self.y.len() {
                return Err(Error::LengthMismatch {
                    what: "initial weights w0 (one vector per run)".into(),
                    expected: self.y.len(),
                    got: w0.len(),
                });
            }
            for (b, w) in w0.iter().enumerate() {
                if w.len() != m {
                    return Err(Error::LengthMismatch {
                        what: format!("initial weights w0 of run {b}"),
                        expected: m,
                        got: w.len(),
                    });
                }
                ensure_finite(&format!("initial weights w0 of run {b}"), w)?;
            }
        }
        if let (Some(s_max), false) = (s_max, self.allow_unstable) {
            let limit = 2.0 / (s_max * s_max);
            for (run, &alpha) in self.alpha.iter().enumerate() {
                if alpha >= limit {
                    return Err(Error::UnstableLearningRate {
                        run,
                        alpha,
                        limit,
                        s_max,
                    });
                }
            }
        }
        Ok(())
    }
}

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
    /// Which engine produced it (e.g. `cpu-f64`, or the GPU adapter and strategy).
    pub engine: String,
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
    fn validation_names_the_problem() {
        let ok = GdBatch::new(vec![vec![1.0; 3]], vec![0.1], vec![1, 10]);
        ok.validate(3, 5, Some(1.0)).unwrap();
        let e = GdBatch::new(vec![vec![1.0; 3]], vec![2.5], vec![1])
            .validate(3, 5, Some(1.0))
            .unwrap_err();
        assert!(
            matches!(e, Error::UnstableLearningRate { run: 0, .. }),
            "{e}"
        );
        let mut nan = ok.clone();
        nan.y[0][1] = f64::NAN;
        let e = nan.validate(3, 5, Some(1.0)).unwrap_err().to_string();
        assert!(e.contains("index 1"), "{e}");
        let mut unsorted = ok.clone();
        unsorted.checkpoints = vec![10, 1];
        assert!(unsorted.validate(3, 5, None).is_err());
        assert!(ok.validate(4, 5, None).is_err());
    }

    #[test]
    fn rel_error_never_passes_nan() {
        assert_eq!(rel_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!(rel_error(&[f64::NAN, 2.0], &[1.0, 2.0]).is_nan());
        assert!(rel_error(&[f64::NAN], &[1.0]).partial_cmp(&1.0).is_none());
    }
}
