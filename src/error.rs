//! Typed errors of the library.
//!
//! Every variant carries the offending value and what is allowed, so that a
//! message can be shown to a user as it is. The library never prints and never
//! exits; the binary turns these into a message and a non-zero exit status.

use std::path::PathBuf;

use crate::gd::Trajectory;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in gdshrink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A numeric or structural parameter is outside its allowed range.
    #[error("invalid {name} = {value}: {allowed}")]
    InvalidParameter {
        /// Parameter name as the user knows it (e.g. `n`, `sigma`, `q`).
        name: String,
        /// The value that was given, formatted.
        value: String,
        /// What would have been accepted.
        allowed: String,
    },

    /// An activation name that gdshrink does not know.
    #[error("unknown activation '{name}'; valid activations: {valid}")]
    UnknownActivation {
        /// What the user typed.
        name: String,
        /// Comma-separated list of valid names.
        valid: String,
    },

    /// A NaN or infinite value in user-supplied data.
    #[error(
        "{what} contains a non-finite value ({value}) at index {index}; all values must be finite"
    )]
    NonFiniteInput {
        /// What the data is (e.g. "signal y", "sample grid").
        what: String,
        /// Index of the first offending element.
        index: usize,
        /// The offending value.
        value: f64,
    },

    /// Inputs whose lengths do not agree.
    #[error("{what}: expected length {expected}, got {got}")]
    LengthMismatch {
        /// What was being compared.
        what: String,
        /// Required length.
        expected: usize,
        /// Given length.
        got: usize,
    },

    /// A learning rate at or beyond the stability limit 2/s_max² of gradient descent.
    #[error(
        "run {run}: learning rate alpha = {alpha:e} is unstable: gradient descent diverges for alpha >= 2/s_max^2 = {limit:e} (s_max = {s_max:e}); use alpha < {limit:e} (default 1/s_max^2 = {default:e})",
        default = 1.0 / (s_max * s_max)
    )]
    UnstableLearningRate {
        /// Index of the run in the batch.
        run: usize,
        /// The learning rate that was asked for.
        alpha: f64,
        /// 2 / s_max².
        limit: f64,
        /// Largest singular value of A.
        s_max: f64,
    },

    /// A gradient-descent run produced non-finite values or diverged.
    /// `partial` holds every checkpoint that was completed before the failure.
    #[error("run {run} diverged at iteration {iteration}: {detail}")]
    Diverged {
        /// Index of the run in the batch.
        run: usize,
        /// First iteration at which the failure was seen.
        iteration: u64,
        /// What was observed (non-finite value, measured growth …).
        detail: String,
        /// Everything computed before the failure, so nothing is lost.
        partial: Option<Box<Trajectory>>,
    },

    /// A dense linear-algebra routine failed (e.g. the SVD did not converge).
    #[error("{op} failed on a {rows}x{cols} matrix: {detail}")]
    Linalg {
        /// Operation name.
        op: String,
        /// Rows of the input.
        rows: usize,
        /// Columns of the input.
        cols: usize,
        /// Details from the backend.
        detail: String,
    },

    /// A file could not be read or written.
    #[error("{action} '{path}': {source}")]
    Io {
        /// "cannot read", "cannot write" …
        action: String,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A data file was read but its content is not what was expected.
    #[error("'{path}': {detail}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and what is expected.
        detail: String,
    },

    /// A run would need more memory than this machine has available.
    #[error("{what} needs {needed} of host memory; this machine has {available} available; {hint}")]
    TooLarge {
        /// The allocation, with its shape and element type.
        what: String,
        /// Bytes needed, formatted.
        needed: String,
        /// Bytes available, formatted.
        available: String,
        /// What to change.
        hint: String,
    },

    /// A figure could not be drawn or written.
    #[error("cannot draw plot '{path}': {detail}")]
    Plot {
        /// The output file.
        path: PathBuf,
        /// What the plotting backend reported.
        detail: String,
    },

    /// The caller's [`crate::gd::Progress::cancelled`] asked to stop (Ctrl-C in a
    /// front end); checked between chunks of iterations.
    #[error("interrupted at iteration {iteration}")]
    Interrupted {
        /// The last iteration done.
        iteration: u64,
    },

    /// Anything the GPU engine reports (adapter, shader, out of memory, device loss).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(action: &str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action: action.to_string(),
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Format`].
    pub fn format(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

/// Fails with [`Error::NonFiniteInput`] at the first NaN or ±∞ in `values`.
pub fn ensure_finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFiniteInput {
            what: what.to_string(),
            index,
            value: values[index],
        }),
    }
}
