//! Divergence watch: stable gradient descent never increases ‖y − A w‖.
//!
//! Every engine feeds the residual norm of each run to a [`ResidualWatch`]
//! every [`CHECK_EVERY`] iterations (and at checkpoints); a NaN/∞ or a
//! residual that grows past [`GROWTH_LIMIT`] times its start is recorded in the
//! run's [`RunStatus`], with the growth factor per iteration measured once the
//! unstable mode dominates.

use super::RunStatus;

/// How often (in iterations) the residual of every run is checked for growth and NaN.
pub const CHECK_EVERY: u64 = 16;

/// A residual larger than this multiple of its starting norm counts as divergence.
/// Stable GD never increases the residual, so the margin is only for rounding.
pub const GROWTH_LIMIT: f64 = 2.0;

/// Watches ‖y − A w‖ of one run. Growth past [`GROWTH_LIMIT`] × the starting
/// norm marks divergence; the growth factor per iteration is then measured over
/// the next check window, once the unstable mode dominates the residual.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResidualWatch {
    start: f64,
    prev: (u64, f64),
    detected: Option<(u64, f64)>,
}

impl ResidualWatch {
    /// Feeds the residual norm at iteration q; returns the run's status.
    /// `last` forces a verdict on a pending divergence.
    pub fn observe(&mut self, q: u64, norm: f64, last: bool) -> RunStatus {
        if !norm.is_finite() {
            return RunStatus::NonFinite { iteration: q };
        }
        if q == 0 {
            self.start = norm;
            self.prev = (0, norm);
            return RunStatus::Ok;
        }
        let rate = |from: (u64, f64)| {
            (norm / from.1.max(f64::MIN_POSITIVE)).powf(1.0 / (q - from.0).max(1) as f64)
        };
        let status = match self.detected {
            Some(d) if q > d.0 => RunStatus::Diverged {
                iteration: d.0,
                growth: rate(d),
            },
            _ if norm > GROWTH_LIMIT * self.start && norm > 0.0 => {
                self.detected = Some((q, norm));
                if last {
                    RunStatus::Diverged {
                        iteration: q,
                        growth: rate(self.prev),
                    }
                } else {
                    RunStatus::Ok
                }
            }
            _ => RunStatus::Ok,
        };
        self.prev = (q, norm);
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_measured_after_detection() {
        let mut w = ResidualWatch::default();
        assert_eq!(w.observe(0, 1.0, false), RunStatus::Ok);
        assert_eq!(w.observe(16, 0.5, false), RunStatus::Ok);
        // Past 2x the start: detected, verdict at the next observation.
        assert_eq!(w.observe(32, 4.0, false), RunStatus::Ok);
        match w.observe(48, 4.0 * 1.5f64.powi(16), false) {
            RunStatus::Diverged { iteration, growth } => {
                assert_eq!(iteration, 32);
                assert!((growth - 1.5).abs() < 1e-12, "{growth}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ResidualWatch::default().observe(3, f64::NAN, false),
            RunStatus::NonFinite { iteration: 3 }
        );
    }
}
