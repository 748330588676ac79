//! A-priori bounds of the f32 engine: how far one kernel's output, or one GD
//! checkpoint, may be from its f64 twin, from the sizes and u alone (the
//! derivations are in the module docs of [`super`]).

use faer::{Mat, MatRef};

use super::twin::TK;
use crate::error::Result;
use crate::model::Activation;
use crate::spectral::largest_singular_value;

/// f32 unit roundoff u = 2⁻²⁴ (ε₃₂ = 2u is the spacing at 1).
pub const U32: f64 = 5.960_464_477_539_063e-8;

/// Evaluation constant C of one WGSL η value: ~16 ulp of evaluation plus
/// Vulkan's exp bound (3 + 2|x| ulp), with margin; measured C ≤ 5.5.
pub const ETA_C: f64 = 64.0;

/// Underflow floor τ (smallest normal f32): values below it may be flushed.
pub const ETA_FLOOR: f64 = 1.175_494_350_822_287_5e-38;

/// Rounding of one product entry in units of u·(|M||X|): an fma chain over a
/// k-tile of [`TK`] terms, Kahan across tiles (≤ 2u) and across splits (≤ 2u).
pub const PRODUCT_ULPS: f64 = TK as f64 + 4.0;

/// Trajectory constant of f (measured maximum 8 over tanh, relu, relu2, sinc,
/// gaussian, heaviside, gelu at 64–128 wide, q ≤ 10⁴, B = 3: a margin ≥ 6×).
pub const C_F: f64 = 64.0;

/// Trajectory constant of w, random-walk law (primal, matrix-free, dual in the
/// sample space; measured 2.6).
pub const C_W: f64 = 16.0;

/// Trajectory constant of w, linear law (dual in the weight space; measured 1.3).
pub const C_W_LIN: f64 = 8.0;

/// Standard normal density.
fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// z·η'(z) in f64: how much a relative perturbation of z moves η.
#[must_use]
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
                (f64::from(r) - 1.0) * z.powi(r as i32 - 1)
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
        // η' = sigmoid(z).
        Activation::Softplus => z * Activation::Sigmoid.eval(z),
        Activation::Sigmoid => {
            let s = act.eval(z);
            z * s * (1.0 - s)
        }
        // η' = −2z/(1 + z²)²; written with η so that z² never overflows.
        Activation::Cauchy => {
            let c = act.eval(z);
            -2.0 * (z * c) * (z * c)
        }
        // η = g·c, g = exp(−πz²/4), c = cos(2πz):
        // z·η' = −(π z²/2)·η − 2π z·g·sin(2πz).
        Activation::Wavepacket => {
            let g = (-0.25 * pi * (z * z).min(4000.0)).exp();
            -0.5 * pi * z * z * act.eval(z) - 2.0 * pi * z * g * (2.0 * pi * z).sin()
        }
        // The slope of the segment holding z (0 beyond the grid).
        Activation::Table(t) => z * t.table().slope(z),
    }
}

/// Tolerance of one f32 η value at z (z the exact f32 argument):
///
/// |η₃₂(z) − η(z)| ≤ C·u·(|η(z)| + |z·η'(z)|) + τ·(1 + |z|),
///
/// the first term the evaluation (a few roundings, the erfc fit's 1.2e−7
/// relative), the second the rounding of z and of exp's argument (Vulkan
/// bounds exp by 3 + 2|x| ulp; exp(−πz²) and exp(−2|z|) have x ∝ z·η'/η), and
/// τ·(1 + |z|) the underflow (gelu and silu form η as z × a factor that may
/// itself flush). C = [`ETA_C`], τ = [`ETA_FLOOR`].
///
/// A table ([`crate::model::Table::error_scale`]) replaces |η| + |z·η'| by
/// max |η_k| + (|z| + |z_0| + h)·max |slope| over the segments next to z:
/// its values round to f32 and interpolate relative to the end values of the
/// segment, and t = (z − z_0)·(1/h) rounds relative to |z| + |z_0|, not |z|.
#[must_use]
pub fn eta_tolerance(act: Activation, z: f64) -> f64 {
    let scale = match act {
        Activation::Table(t) => t.table().error_scale(z),
        _ => act.eval(z).abs() + z_deta(act, z).abs(),
    };
    ETA_C * U32 * scale + ETA_FLOOR * (1.0 + z.abs())
}

/// ν = ‖|A|‖₂ / ‖A‖₂ ≥ 1: how much larger the rounding of the products is
/// than the products themselves (1 for A ≥ 0; larger when entries cancel).
pub fn nu(a: MatRef<'_, f64>) -> Result<f64> {
    let abs = Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].abs());
    Ok(largest_singular_value(abs.as_ref())? / largest_singular_value(a)?)
}

/// Relative tolerance of f_q (at the samples or on an evaluation grid) of the
/// f32 engine against the f64 reference on the same f32 problem:
/// C_F·u·ν²·√(q + 1). Per step the products round with ≈ (TK + 4)·u·|A||v|
/// (independent of N and M), a relative local error ≈ c·u·ν²; GD is
/// non-expansive on the error (‖I − αAᵀA‖ ≤ 1), so local errors add, as a
/// random walk for independent roundings.
#[must_use]
pub fn f_tolerance(nu: f64, q: u64) -> f64 {
    C_F * U32 * nu * nu * ((q + 1) as f64).sqrt()
}

/// Relative tolerance of w_q: C_W·u·ν²·√(q + 1), plus C_W_LIN·u·ν²·(q + 1)
/// when `linear` (the weight-space dual, whose rounded G is a fixed
/// perturbation of the operator that grows linearly in the directions GD has
/// not reached).
#[must_use]
pub fn w_tolerance(nu: f64, q: u64, linear: bool) -> f64 {
    let q1 = (q + 1) as f64;
    let walk = C_W * U32 * nu * nu * q1.sqrt();
    if linear {
        C_W_LIN * U32 * nu * nu * q1 + walk
    } else {
        walk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gd::Precision;

    #[test]
    fn constants_and_laws() {
        assert_eq!(U32, Precision::F32.unit_roundoff());
        assert_eq!(PRODUCT_ULPS, 20.0);
        assert!((f_tolerance(1.0, 3) - 2.0 * C_F * U32).abs() < 1e-20);
        assert!(w_tolerance(1.0, 99, true) > w_tolerance(1.0, 99, false));
        assert_eq!(z_deta(Activation::Relu, 2.0), 2.0);
        assert!(eta_tolerance(Activation::Heaviside, 0.0) > 0.0);
    }
}
