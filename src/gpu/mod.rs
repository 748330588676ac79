//! GPU engine (wgpu / WGSL): builds A and runs batched full-batch GD in f32.
//!
//! * [`design_matrix`] — $A_{ij} = \eta(\sigma (x_i - b_j))$ on the device
//!   (`shaders/design.wgsl`), from the f64 grids rounded to f32, split into row
//!   blocks when A exceeds one storage binding.
//! * [`run_gd`] — B runs of $w_{q+1} = w_q + \alpha_b A^\top (y_b - A w_q)$ at
//!   once, checkpoints read back from the device, divergence watched per run;
//!   three [`Strategy`]s (primal, dual, matrix-free) chosen by a cost model
//!   ([`plan`](mod@plan)).
//! * [`context`] — adapter choice, limits, typed errors ([`GpuError`]); every
//!   result names the adapter ([`GpuContext::describe`]).
//!
//! Every kernel has an f64 CPU twin in the library ([`crate::activation`],
//! [`crate::design`], [`crate::cpu_gd`]) and a test that holds the two together
//! on lavapipe (`tests/gpu_*.rs`).
//!
//! # Error model (f32, u = 2⁻²⁴)
//!
//! 1. **The problem in f32.** x, b, σ, y, α and w₀ are rounded to f32 once
//!    (relative u each). For A this moves z = σ(x − b) by ≈ σ·u·(|x| + |b|),
//!    i.e. |ΔA_ij| ≈ |η'(z)|·σ·u — large σ (tanh with σ = M) makes this the
//!    dominant end-to-end difference to the f64 design (measured ‖ΔA‖/‖A‖ ≤
//!    5.4e−7 over every activation). [`f32_rounded`] gives the design the GPU
//!    actually sees, so tests can separate this from the arithmetic below.
//! 2. **η in WGSL.** |η₃₂(z) − η(z)| ≤ C·u·(|η(z)| + |z·η'(z)|) + τ·(1 + |z|):
//!    evaluation roundings, the rounding of z and of exp's argument (Vulkan
//!    allows 3 + 2|x| ulp for exp(x); |x| ∝ |z·η'/η| for tanh and the Gaussian),
//!    and underflow (τ = 2⁻¹²⁶, results may be flushed). Test bound C = 64;
//!    measured C ≤ 5.5. No activation overflows for any finite z (exp only sees
//!    arguments ≤ 0; sinc's sin is our own polynomial after exact reduction).
//! 3. **Products.** Every reduction (A·W, Aᵀ·R, K·C, K and G themselves) sums
//!    TK = 16 terms with fma, adds tile sums with Kahan compensation, and adds
//!    split partial sums with Kahan again: |Δ(A v)_i| ≤ (TK + 4)·u·(|A||v|)_i,
//!    independent of N and M (measured 0.2–0.5u for 2¹⁸ positive terms, where a
//!    plain f32 running sum is off by 36–632u).
//! 4. **Iterations.** With e_q the f32 − f64 difference of w_q,
//!    e_{q+1} = (I − αAᵀA)·e_q + δ_q and ‖I − αAᵀA‖₂ ≤ 1 for α ≤ 2/s_max²: GD
//!    is non-expansive on the error, so local errors add up but never grow.
//!    ‖δ_q‖ ≲ c·u·ν²·‖w_q‖ + c·u·ν·‖r_q‖/s_max with ν = ‖|A|‖₂/‖A‖₂ (1 for
//!    A ≥ 0). Components along right singular vectors with α·s_i² ≫ 1/q are
//!    damped within a few steps; those with α·s_i² ≪ 1/q — the ones GD has not
//!    fitted yet — are not, and collect the local errors: linearly in q in the
//!    worst case, ∝ √q for independent roundings. In f = A·w these components
//!    are weighted by s_i (‖A(I − αAᵀA)^j‖ ≤ 1/√(α(2j+1))), so function-space
//!    errors stay small. The dual iterates with a rounded K or G: a *fixed*
//!    perturbation of the operator, whose effect on w grows linearly in q in
//!    the undamped directions (measured; f is not affected the same way).
//!    Tests use rel. error(f_q) ≤ 64·u·ν²·√(q+1) and
//!    rel. error(w_q) ≤ 16·u·ν²·√(q+1) (+ 8·u·ν²·(q+1) for the weight-space
//!    dual); measured maxima are 8, 2.6 and 1.3 times u·ν²·(…).
//!
//! Weight-space errors are therefore much larger than function-space errors
//! when q is large: a figure of w_q must say so (SPEC §3).

pub mod context;
pub mod design;
mod engine;
pub mod gd;
pub(crate) mod ops;
pub mod plan;
pub mod shaders;
mod skinny;

pub use context::{AdapterSummary, GpuContext, GpuOptions, list_adapters};
pub use design::{design_matrix, design_matrix_f64, eval_activation, f32_rounded};
pub use gd::{GpuGdOptions, PreparedGd, Strategy, prepare_gd, run_gd, run_gd_with_progress};
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
