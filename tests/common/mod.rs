//! Shared helpers of the GPU tests: the device (a missing adapter FAILS the
//! test with a clear message — never a silent skip) and the f32 error model
//! of one activation value.
#![allow(dead_code)]

use std::sync::OnceLock;

use gdshrink::Activation;
use gdshrink::gpu::{GpuContext, GpuOptions};

/// f32 unit roundoff u = 2⁻²⁴ (ε₃₂ = 2u is the spacing at 1).
pub const U32: f64 = 5.960464477539063e-8;

/// The default adapter, opened once per test binary.
pub fn ctx() -> &'static GpuContext {
    static CTX: OnceLock<GpuContext> = OnceLock::new();
    CTX.get_or_init(|| open(GpuOptions::default()))
}

/// An adapter with the given options; panics (test failure) when there is none.
pub fn open(opts: GpuOptions) -> GpuContext {
    match GpuContext::new(&opts) {
        Ok(c) => c,
        Err(e) => panic!(
            "the GPU tests need a wgpu adapter and found none ({e}). On a machine without a GPU \
             install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers \
             libvulkan1); lavapipe runs these tests in CI. They never skip."
        ),
    }
}

/// A context whose largest storage binding is `bytes`, so that tiled (row-block)
/// paths run on small problems.
pub fn ctx_with_binding(bytes: u64) -> GpuContext {
    open(GpuOptions {
        max_binding_override: Some(bytes),
        ..GpuOptions::default()
    })
}

/// Standard normal density and CDF (f64).
fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// z·η'(z) in f64: the condition number numerator of η at z (how much a
/// relative perturbation of z moves η).
pub fn z_deta(act: Activation, z: f64) -> f64 {
    let pi = std::f64::consts::PI;
    match act {
        Activation::Heaviside => 0.0,
        Activation::Tanh => {
            let t = z.tanh();
            z * (1.0 - t * t)
        }
        Activation::Relu => z.max(0.0),
        Activation::Relu2 => 2.0 * z.max(0.0).powi(2),
        Activation::Spline(r) => {
            if z > 0.0 {
                (r as f64 - 1.0) * z.powi(r as i32 - 1)
            } else {
                0.0
            }
        }
        Activation::Gelu => {
            let cdf = 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
            z * cdf + z * z * phi(z)
        }
        Activation::Silu => {
            let s = if z >= 0.0 {
                1.0 / (1.0 + (-z).exp())
            } else {
                let e = z.exp();
                e / (1.0 + e)
            };
            z * s + z * z * s * (1.0 - s)
        }
        Activation::Sinc => {
            if z == 0.0 {
                0.0
            } else {
                (pi * z).cos() - act.eval(z)
            }
        }
        Activation::Gaussian => -2.0 * pi * z * z * act.eval(z),
    }
}

/// Error model of one f32 activation value (derived in src/gpu/mod.rs):
///
///   |η₃₂(z) − η(z)| ≤ C·u·(|η(z)| + |z·η'(z)|) + τ,
///
/// the first term the evaluation (a few roundings, and the erfc fit's 1.2e−7
/// relative), the second the rounding of z and of the arguments of exp (Vulkan
/// bounds exp by 3 + 2|x| ulp: exp(−πz²) and exp(−2|z|) have x ∝ z·η'/η), and
/// τ·(1 + |z|) the underflow: values below the smallest normal f32 τ = 2⁻¹²⁶
/// may be flushed to zero, and gelu/silu form η as z × a factor that may
/// itself flush. C = 64 covers ~16 ulp of evaluation plus the exp bound.
pub const ETA_C: f64 = 64.0;
/// Underflow floor τ (smallest normal f32).
pub const ETA_FLOOR: f64 = 1.1754943508222875e-38;

/// Tolerance of one η value at z (both f64; z is the exact f32 argument).
pub fn eta_tol(act: Activation, z: f64) -> f64 {
    ETA_C * U32 * (act.eval(z).abs() + z_deta(act, z).abs()) + ETA_FLOOR * (1.0 + z.abs())
}

/// Seeded random source for the tests.
pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// Every activation the engine offers (the paper's and a few spline orders).
pub fn all_activations() -> Vec<Activation> {
    let mut v = Activation::PAPER.to_vec();
    v.extend([
        Activation::Spline(1),
        Activation::Spline(4),
        Activation::Spline(8),
    ]);
    v
}
