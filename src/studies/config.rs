//! The configuration `validate` and `compare` share: the features (a
//! design's network or a user's matrix A), a target, a learning rate and the
//! checkpoints q.

use std::sync::Arc;

use faer::Mat;

use crate::error::{Error, Result};
use crate::gd::{GdBatch, LearningRate, Problem};
use crate::model::Design;
use crate::model::grid::linspace;
use crate::precision::twin;
use crate::spectral::ThinSvd;

/// What a study runs gradient descent on: the N×M matrix A and, when it
/// comes from a network, the network itself.
#[derive(Clone, Debug)]
pub enum Features {
    /// The shallow network of a design: A_ij = η(σ(x_i − b_j)), and the
    /// network anywhere on [0, 1] (so an evaluation grid exists).
    Network(Design),
    /// A user's N×M matrix A (for example the features of their own
    /// network at N inputs). There is no network behind it: no evaluation
    /// grid, no matrix-free strategy; built-in signals are taken on
    /// x = linspace(N).
    Matrix {
        /// A (finite entries, N, M ≥ 1).
        a: Arc<Mat<f64>>,
        /// Where it came from (a file name, `numpy`): reports say
        /// "matrix A (N x M) from <source>".
        source: String,
    },
}

impl From<Design> for Features {
    fn from(d: Design) -> Self {
        Features::Network(d)
    }
}

impl Features {
    /// A user's matrix from `source` (a file name, `numpy`), checked: N, M ≥ 1
    /// and every entry finite.
    pub fn matrix(a: Mat<f64>, source: impl Into<String>) -> Result<Self> {
        let label = source.into();
        if a.nrows() == 0 || a.ncols() == 0 {
            return Err(Error::invalid(
                "matrix A",
                format!("{label} ({} x {})", a.nrows(), a.ncols()),
                "N >= 1 rows and M >= 1 columns",
            ));
        }
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                let v = a[(i, j)];
                if !v.is_finite() {
                    return Err(Error::invalid(
                        "matrix A",
                        format!("{label}: A[{i}, {j}] = {v}"),
                        "finite entries only",
                    ));
                }
            }
        }
        Ok(Features::Matrix {
            a: Arc::new(a),
            source: label,
        })
    }

    /// Rows N (samples).
    #[must_use]
    pub fn n(&self) -> usize {
        match self {
            Features::Network(d) => d.n(),
            Features::Matrix { a, .. } => a.nrows(),
        }
    }

    /// Columns M (weights).
    #[must_use]
    pub fn m(&self) -> usize {
        match self {
            Features::Network(d) => d.m(),
            Features::Matrix { a, .. } => a.ncols(),
        }
    }

    /// The name reports give it.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Features::Network(d) => d.label(),
            Features::Matrix { a, source } => {
                format!("matrix A ({} x {}) from {source}", a.nrows(), a.ncols())
            }
        }
    }

    /// The design, when the features are a network's.
    #[must_use]
    pub fn design(&self) -> Option<&Design> {
        match self {
            Features::Network(d) => Some(d),
            Features::Matrix { .. } => None,
        }
    }

    /// The sample points the built-in signals are taken on: the design's x,
    /// or linspace(N) for a matrix.
    #[must_use]
    pub fn x(&self) -> Vec<f64> {
        match self {
            Features::Network(d) => d.x().to_vec(),
            Features::Matrix { a, .. } => linspace(a.nrows()),
        }
    }

    /// The bias points of the weights' axis: the design's b, or linspace(M)
    /// for a matrix.
    #[must_use]
    pub fn b(&self) -> Vec<f64> {
        match self {
            Features::Network(d) => d.b().to_vec(),
            Features::Matrix { a, .. } => linspace(a.ncols()),
        }
    }

    /// A in f64 (built for a design; shared for a matrix).
    #[must_use]
    pub fn a(&self) -> Arc<Mat<f64>> {
        match self {
            Features::Network(d) => Arc::new(d.matrix()),
            Features::Matrix { a, .. } => Arc::clone(a),
        }
    }

    /// The network at `points` (P×M): only a design has one.
    pub(crate) fn matrix_at(&self, points: &[f64]) -> Result<Mat<f64>> {
        match self {
            Features::Network(d) => Ok(d.matrix_at(points)),
            Features::Matrix { .. } if points.is_empty() => Ok(Mat::zeros(0, self.m())),
            Features::Matrix { .. } => Err(Error::invalid(
                "evaluation grid",
                format!("{} points with a user's matrix A", points.len()),
                "no evaluation grid: a matrix has no network to evaluate at other points",
            )),
        }
    }

    /// The matrix an f32 engine holds at `points` (the samples: `points` is
    /// ignored for a matrix, which is only rounded entry by entry).
    pub(crate) fn f32_twin(&self, points: &[f64]) -> Mat<f64> {
        match self {
            Features::Network(d) => twin::design_matrix(d, points),
            Features::Matrix { a, .. } => {
                Mat::from_fn(a.nrows(), a.ncols(), |i, j| f64::from(a[(i, j)] as f32))
            }
        }
    }

    /// The engine's problem, with A already built.
    pub(crate) fn problem<'a>(&'a self, a: &'a Mat<f64>) -> Problem<'a> {
        match self {
            Features::Network(d) => Problem::from_design(d).with_matrix(a.as_ref()),
            Features::Matrix { .. } => Problem::from_matrix(a.as_ref()),
        }
    }
}

/// One GD problem to study: the features, the target, α and the q list.
#[derive(Clone, Debug)]
pub struct StudyConfig {
    /// The network, or a user's matrix A.
    pub features: Features,
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
    /// A configuration whose target is named `custom`; `features` is a
    /// [`Design`] or [`Features::matrix`].
    #[must_use]
    pub fn new(
        features: impl Into<Features>,
        y: Vec<f64>,
        alpha: LearningRate,
        qs: Vec<u64>,
    ) -> Self {
        StudyConfig {
            features: features.into(),
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
            .validate(self.features.n(), self.features.m(), None)
    }

    /// s_max from the SVD of A and α resolved with it.
    pub(crate) fn resolve(&self, svd: &ThinSvd) -> Result<(f64, f64)> {
        self.resolve_s_max(svd.s_max())
    }

    /// As [`StudyConfig::resolve`], from the largest singular value alone.
    pub(crate) fn resolve_s_max(&self, s_max: f64) -> Result<(f64, f64)> {
        let s_max = checked_s_max(s_max, &self.features)?;
        Ok((s_max, self.alpha.resolve(s_max, self.features.n())?))
    }
}

/// `s_max` itself when it is a number > 0; an all-zero A (s_max = 0) or a
/// NaN is an error naming the design or matrix.
pub(crate) fn checked_s_max(s_max: f64, f: &Features) -> Result<f64> {
    if s_max.is_nan() || s_max <= 0.0 {
        let what = if f.design().is_some() {
            "design"
        } else {
            "matrix A"
        };
        return Err(Error::invalid(
            what,
            f.label(),
            "a matrix with at least one non-zero entry (A is zero)",
        ));
    }
    Ok(s_max)
}
