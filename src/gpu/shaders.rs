//! WGSL sources and their composition.
//!
//! `shaders/activations.wgsl` is the one source of truth for η on the GPU; a
//! kernel is composed as *activations + `fn eta` selecting one activation + the
//! kernel body*, so every kernel specialises on the activation at pipeline
//! creation (no per-element branching on an activation id).

use crate::activation::Activation;

/// The shared activation library.
pub const ACTIVATIONS: &str = include_str!("../../shaders/activations.wgsl");

/// The WGSL function name of η for `act` (e.g. `act_tanh`).
pub fn wgsl_name(act: Activation) -> &'static str {
    match act {
        Activation::Heaviside => "act_heaviside",
        Activation::Tanh => "act_tanh",
        Activation::Relu => "act_relu",
        Activation::Relu2 => "act_relu2",
        Activation::Spline(_) => "act_spline",
        Activation::Gelu => "act_gelu",
        Activation::Silu => "act_silu",
        Activation::Sinc => "act_sinc",
        Activation::Gaussian => "act_gaussian",
    }
}

/// activations.wgsl + `const SPLINE_R` + `fn eta(z)` for `act` + `kernel`.
pub fn compose(act: Activation, kernel: &str) -> String {
    let r = match act {
        Activation::Spline(r) => r,
        _ => 1,
    };
    format!(
        "{ACTIVATIONS}\nconst SPLINE_R: u32 = {r}u;\nfn eta(z: f32) -> f32 {{ return {}(z); }}\n\n{kernel}",
        wgsl_name(act)
    )
}
