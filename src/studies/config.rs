//! The configuration `validate` and `compare` share: a design, a target, a
//! learning rate and the checkpoints q.

use crate::error::{Error, Result};
use crate::gd::{GdBatch, LearningRate};
use crate::model::Design;
use crate::spectral::ThinSvd;

/// One GD problem to study: the network, the target, α and the q list.
#[derive(Clone, Debug)]
pub struct StudyConfig {
    /// The network.
    pub design: Design,
    /// Target at the samples (length N).
    pub y: Vec<f64>,
    /// Name of the target, for reports.
    pub signal: String,
    /// Learning rate (resolved once s_max is known).
    pub alpha: LearningRate,
    /// Checkpoints q, strictly increasing.
    pub qs: Vec<u64>,
}

impl StudyConfig {
    /// A configuration whose target is named `custom`.
    #[must_use]
    pub fn new(design: Design, y: Vec<f64>, alpha: LearningRate, qs: Vec<u64>) -> Self {
        StudyConfig {
            design,
            y,
            signal: "custom".into(),
            alpha,
            qs,
        }
    }

    /// The same configuration with the target named `name`.
    #[must_use]
    pub fn with_signal(mut self, name: impl Into<String>) -> Self {
        self.signal = name.into();
        self
    }

    /// One run of this problem with the learning rate `alpha`.
    #[must_use]
    pub fn batch(&self, alpha: f64) -> GdBatch {
        GdBatch::new(vec![self.y.clone()], vec![alpha], self.qs.clone())
    }

    /// Everything that can be checked before the SVD: the learning rate's
    /// parameter and the batch's own rules (length and finiteness of y,
    /// ordering of q).
    pub(crate) fn check(&self) -> Result<()> {
        self.alpha.check()?;
        self.batch(1.0)
            .validate(self.design.n(), self.design.m(), None)
    }

    /// s_max from the design's SVD and α resolved with it.
    pub(crate) fn resolve(&self, svd: &ThinSvd) -> Result<(f64, f64)> {
        let s_max = design_s_max(svd, &self.design)?;
        Ok((s_max, self.alpha.resolve(s_max, self.design.n())?))
    }
}

/// s_max of `d`'s design matrix from its SVD; an all-zero A (s_max = 0) or a
/// NaN is an error naming the design.
pub(crate) fn design_s_max(svd: &ThinSvd, d: &Design) -> Result<f64> {
    let s_max = svd.s_max();
    if s_max.is_nan() || s_max <= 0.0 {
        return Err(Error::invalid(
            "design",
            d.label(),
            "a design matrix with at least one non-zero entry (A is zero)",
        ));
    }
    Ok(s_max)
}
