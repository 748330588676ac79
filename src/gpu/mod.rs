//! GPU engine (wgpu / WGSL): builds A and runs batched full-batch GD in f32.
//!
//! * [`GpuEngine`] — the [`crate::gd::Engine`] on a device: B runs of
//!   $w_{q+1} = w_q + \alpha_b A^\top (y_b - A w_q)$ at once, checkpoints read
//!   back from the device, divergence watched per run; three strategies
//!   (primal, dual, matrix-free) chosen by a cost model ([`plan`](mod@plan)).
//! * [`design_matrix`] — $A_{ij} = \eta(\sigma (x_i - b_j))$ on the device, from
//!   the f64 grids rounded to f32, split into row blocks when A exceeds one
//!   storage binding; [`eval_activation`] — η alone.
//! * [`context`] — adapter choice, limits, typed errors ([`GpuError`]); every
//!   result names the adapter ([`GpuContext::describe`]).
//! * `kernels` (private) — the WGSL kernels (`shaders/kernels/`), the shared
//!   fragments they include (`shaders/fragments/`) and their launches;
//!   `batch` (private) — the device side of one batch.
//!
//! Every kernel has a CPU twin ([`crate::precision::twin`]) and a test that
//! holds the two together on lavapipe, kernel by kernel; the error model of
//! the f32 engine is [`crate::precision`].

mod adapter;
mod batch;
pub mod context;
mod device;
mod engine;
pub(crate) mod kernels;
pub mod plan;
#[doc(hidden)]
pub mod testing;

pub use crate::gd::Strategy;
pub use adapter::{ADAPTER_ENV, AdapterSummary, list_adapters};
pub use context::{GpuContext, GpuOptions};
pub use engine::{GpuEngine, GpuGdOptions, PreparedGd};
pub use kernels::design::{design_matrix, design_matrix_f64, eval_activation};
pub use plan::{DualSpace, Plan};

/// Errors of the GPU engine. Each names the kernel and, where it applies, the sizes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No usable adapter, or the requested one does not exist.
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// WGSL compilation or pipeline creation failed.
    #[error("kernel '{kernel}': shader error: {message}")]
    Shader {
        /// Kernel name.
        kernel: String,
        /// Compiler message with source location.
        message: String,
    },
    /// A validation error while recording or submitting work.
    #[error("kernel '{kernel}': validation error: {message}")]
    Validation {
        /// Kernel name.
        kernel: String,
        /// Driver/wgpu message.
        message: String,
    },
    /// The device ran out of memory.
    #[error("kernel '{kernel}': out of GPU memory allocating {what} ({bytes} bytes)")]
    OutOfMemory {
        /// Kernel name.
        kernel: String,
        /// What was being allocated.
        what: String,
        /// Requested bytes (0 when unknown).
        bytes: u64,
    },
    /// A buffer beyond the device's limits.
    #[error("kernel '{kernel}': {what} needs {requested} bytes, the device allows at most {max}")]
    TooLarge {
        /// Kernel name.
        kernel: String,
        /// What was being allocated.
        what: String,
        /// Requested bytes.
        requested: u64,
        /// Device maximum.
        max: u64,
    },
    /// The device was lost (driver reset, hang, removal).
    #[error("kernel '{kernel}': GPU device lost: {reason}")]
    DeviceLost {
        /// Kernel name.
        kernel: String,
        /// Reason reported by the driver.
        reason: String,
    },
}
