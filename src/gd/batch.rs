//! What a batch of gradient-descent runs is asked to do.
//!
//! B runs share one design matrix A (N×M) and differ in their target y_b,
//! learning rate α_b and starting weights w₀,b. Run b iterates
//! $w_{q+1} = w_q + \alpha_b A^\top (y_b - A w_q)$ from $w_0$ (zero by
//! default); every engine ([`super::Engine`]) takes a [`GdBatch`] and
//! validates it with [`GdBatch::validate`] before any work.

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
    /// recorded in [`super::Trajectory::status`] instead of being refused up front.
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
        if let Some(&[a, b]) = self.checkpoints.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "q",
                format!("{a} followed by {b}"),
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
}
