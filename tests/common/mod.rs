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

// ---------------------------------------------------------------------------
// Gradient descent: GPU trajectories against the f64 CPU reference.
// ---------------------------------------------------------------------------

use gdshrink::trajectory::{Trajectory, rel_error};
use gdshrink::{Design, GdBatch};

/// ν = ‖|A|‖₂ / ‖A‖₂ ≥ 1: how much larger the rounding of the products is than
/// the products themselves (1 for A ≥ 0; larger when entries cancel).
pub fn nu(a: faer::MatRef<'_, f64>) -> f64 {
    let abs = faer::Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].abs());
    let s = gdshrink::spectrum::singular_values(a).unwrap()[0];
    gdshrink::spectrum::singular_values(abs.as_ref()).unwrap()[0] / s
}

/// How the f32 error of a GD checkpoint grows with q (src/gpu/mod.rs, "Error
/// model"): per step, the products round with ≈ (TK + 4)·u·|A||v| (blocked
/// fma + Kahan: independent of N and M), i.e. a relative local error ≈ c·u·ν²;
/// GD is non-expansive on the error (‖I − αAᵀA‖ ≤ 1), so local errors add:
/// independent roundings as a random walk (∝ √(q+1)), a fixed perturbation of
/// the operator (the dual's rounded K or G) linearly (∝ q + 1) in the
/// directions with αs² ≪ 1/q, which GD has not reached yet. In f = A·w those
/// directions are weighted by s, so f errors stay ∝ √(q+1) in every strategy.
///
/// Constants: measured maxima over tanh, relu, relu2, sinc, gaussian,
/// heaviside and gelu (64–128 wide, q ≤ 10⁴, B = 3) are 8 (f), 2.6 (w, primal,
/// √q law) and 1.3 (w, dual, linear law); the constants below keep a margin
/// of ≥ 6×.
pub const C_F: f64 = 64.0;
/// Weight-space constant, random-walk law (primal, matrix-free, dual in the sample space).
pub const C_W: f64 = 16.0;
/// Weight-space constant, linear law (dual in the weight space).
pub const C_W_LIN: f64 = 8.0;

/// Relative tolerance of f_q (at the samples or on the evaluation grid).
pub fn tol_f(nu: f64, q: u64) -> f64 {
    C_F * U32 * nu * nu * ((q + 1) as f64).sqrt()
}

/// Relative tolerance of w_q; `linear` for the weight-space dual.
pub fn tol_w(nu: f64, q: u64, linear: bool) -> f64 {
    let q1 = (q + 1) as f64;
    if linear {
        C_W_LIN * U32 * nu * nu * q1 + C_W * U32 * nu * nu * q1.sqrt()
    } else {
        C_W * U32 * nu * nu * q1.sqrt()
    }
}

/// The f32 version of a problem: design with f32 grids and σ, targets, rates
/// and starting weights rounded to f32, so that the CPU reference sees exactly
/// the numbers the GPU iterates on and the comparison measures the arithmetic.
pub fn f32_problem(design: &Design, batch: &GdBatch) -> (Design, GdBatch) {
    let r = |v: &Vec<f64>| v.iter().map(|&t| t as f32 as f64).collect::<Vec<_>>();
    let mut b = batch.clone();
    b.y = batch.y.iter().map(r).collect();
    b.alpha = batch.alpha.iter().map(|&a| a as f32 as f64).collect();
    b.w0 = batch.w0.as_ref().map(|w| w.iter().map(r).collect());
    b.eval_points = batch.eval_points.as_ref().map(r);
    (gdshrink::gpu::f32_rounded(design), b)
}

/// Largest observed relative errors of one comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct Agreement {
    /// max over checkpoints and runs of rel. error of f at the samples.
    pub f: f64,
    /// … of w (when recorded).
    pub w: f64,
    /// … of f on the evaluation grid (when recorded).
    pub f_eval: f64,
    /// max of (error / tolerance): ≤ 1 passes.
    pub worst_ratio: f64,
}

/// Compares every checkpoint of `gpu` with `cpu` under the error model and
/// panics (naming q, run and the numbers) when a tolerance is exceeded.
pub fn assert_agree(
    what: &str,
    gpu: &Trajectory,
    cpu: &Trajectory,
    nu: f64,
    w_linear: bool,
) -> Agreement {
    assert_eq!(gpu.checkpoints.len(), cpu.checkpoints.len(), "{what}");
    let ok = |t: &Trajectory| t.status.iter().map(|s| s.is_ok()).collect::<Vec<_>>();
    assert_eq!(
        ok(gpu),
        ok(cpu),
        "{what}: statuses differ: {:?} vs {:?}",
        gpu.status,
        cpu.status
    );
    let mut ag = Agreement::default();
    for (g, c) in gpu.checkpoints.iter().zip(&cpu.checkpoints) {
        assert_eq!(g.q, c.q, "{what}");
        let q = g.q;
        for b in 0..c.f.len() {
            if !cpu.status[b].is_ok() {
                continue;
            }
            let mut check = |name: &str, got: &[f64], want: &[f64], tol: f64, slot: &mut f64| {
                let e = rel_error(got, want);
                assert!(
                    e <= tol,
                    "{what}: {name} at q = {q}, run {b}: relative error {e:.3e} > tolerance {tol:.3e}"
                );
                *slot = slot.max(e);
                ag.worst_ratio = ag.worst_ratio.max(e / tol);
            };
            check("f", &g.f[b], &c.f[b], tol_f(nu, q), &mut ag.f);
            if let (Some(gw), Some(cw)) = (&g.w, &c.w) {
                check("w", &gw[b], &cw[b], tol_w(nu, q, w_linear), &mut ag.w);
            }
            if let (Some(ge), Some(ce)) = (&g.f_eval, &c.f_eval) {
                check("f_eval", &ge[b], &ce[b], tol_f(nu, q), &mut ag.f_eval);
            }
            // loss = ½‖r‖²: |Δloss| ≤ ‖Δf‖(‖r‖ + ½‖Δf‖) with ‖Δf‖ ≤ tol_f·‖f‖.
            let fnorm = c.f[b].iter().map(|v| v * v).sum::<f64>().sqrt();
            let dfn = tol_f(nu, q) * fnorm;
            let rnorm = (2.0 * c.loss[b]).sqrt();
            let dl = (g.loss[b] - c.loss[b]).abs();
            assert!(
                dl <= dfn * (rnorm + 0.5 * dfn) + 1e-300,
                "{what}: loss at q = {q}, run {b}: {} vs {}",
                g.loss[b],
                c.loss[b]
            );
        }
    }
    ag
}
