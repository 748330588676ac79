//! What f32 arithmetic does to the problem: the f32 CPU twins of the GPU
//! kernels and the error model that turns them into tolerances.
//!
//! The model has two levels, built on the same unit roundoff u and the same
//! kernel arithmetic:
//!
//! * **a priori** ([`bounds`]) — from the sizes alone: one η value
//!   ([`eta_tolerance`]), one product entry ([`PRODUCT_ULPS`]), one GD
//!   checkpoint of the f32 engine against the f64 reference on the same f32
//!   problem ([`f_tolerance`], [`w_tolerance`]). The kernel and engine tests use them.
//! * **a posteriori** ([`model`]) — from the reference solution: three named
//!   terms per space (matrix, reduction, accumulation over q) with a measured
//!   matrix rounding ([`f32_rounding`] against the twin of the design kernel)
//!   and, for Gram engines, the computed effect of the rounded operator
//!   ([`gram`]). `validate` reports them next to every error.
//!
//! [`twin`] reproduces each kernel on the CPU in the kernel's order.
//!
//! # The f32 engine (u = 2⁻²⁴)
//!
//! 1. **The problem in f32.** x, b, σ, y, α and w₀ are rounded to f32 once
//!    (relative u each). For A this moves z = σ(x − b) by ≈ σ·u·(|x| + |b|),
//!    i.e. |ΔA_ij| ≈ |η'(z)|·σ·u — large σ (tanh with σ = M) makes this the
//!    dominant end-to-end difference to the f64 design (measured ‖ΔA‖/‖A‖ ≤
//!    5.4e−7 over every activation). [`twin::design`] gives the design the GPU
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
//!    [`f_tolerance`] is 64·u·ν²·√(q+1) and [`w_tolerance`] 16·u·ν²·√(q+1)
//!    (+ 8·u·ν²·(q+1) for the weight-space dual); measured maxima are 8, 2.6
//!    and 1.3 times u·ν²·(…).
//!
//! Weight-space errors are therefore much larger than function-space errors
//! when q is large: a figure of w_q must say so (SPEC §3).

pub mod bounds;
pub mod gram;
pub mod model;
pub mod residual;
pub mod twin;

pub use bounds::{
    C_F, C_W, C_W_LIN, ETA_C, ETA_FLOOR, PRODUCT_ULPS, U32, eta_tolerance, f_tolerance, nu,
    w_tolerance, z_deta,
};
pub use gram::{GdRun, GramTerms, RefStates, gram_effect};
pub use model::{
    Arithmetic, C_ETA, ErrorModel, ModelInputs, NORM_RTOL, RESOLVE, RefNorms, Rounding, SAFETY,
    SpaceTolerances, Tolerance, Truncation, abs_product_norm, f32_rounding,
};
pub use residual::{residual_norm_sums, residual_sum_norm};
