//! GPU engine (wgpu / WGSL): builds A and runs batched full-batch GD in f32.
//!
//! Every kernel has an f64 CPU twin in the library ([`crate::design`],
//! [`crate::cpu_gd`]) and a test that holds the two together on lavapipe.

pub mod context;
pub mod design;
pub mod gd;
pub(crate) mod ops;
pub mod plan;
pub mod shaders;

pub use context::{AdapterSummary, GpuContext, GpuOptions, list_adapters};
pub use design::{design_matrix, design_matrix_f64, eval_activation, f32_rounded};
pub use gd::{GpuGdOptions, Strategy, run_gd, run_gd_with_progress};
pub use plan::{Plan, plan};

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
