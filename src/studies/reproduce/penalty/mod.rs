//! Extra figure (not in the paper): the spectral penalty of each activation
//! against the singular values of A — the companion paper's prediction
//! (arXiv 2503.10587, SPEC §7) checked on the designs of this paper.
//!
//! For every built-in activation φ, [`crate::studies::penalty::run`] measures
//! |F\[φ\](ν)|² by FFT (beside its closed form), the penalty exponent of
//! ρ = 1/|F\[φ\]|² over ν ∈ \[0.05, 1\] cycles per unit z, the singular values of
//! A = φ(σ(x − bᵀ)) at N = M, and holds s_k/s_0 against
//! √(ρ(ν_0)/ρ(ν_k)) at ν_k = (k+½)/2 over the components k ∈ \[1, N/4\] (the
//! band ends earlier where either side falls below 1e−8), with the GD masks
//! that follow (K(q) at α = 1/s_0²).
//!
//! σ = N/16 for every activation, so the band's highest frequency,
//! ν_{N/4}/σ ≈ 2 cycles per unit z, is the same at every size and reaches
//! past the knee of every smooth activation's transform (σ = M would probe
//! only ν/σ ≲ 0.13, where every smooth step looks like heaviside).
//!
//! `compute` runs the measurements, `claims` checks them, `output` writes the
//! tables and the plots (one per activation and one overview).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress, Size};
use crate::error::Result;
use crate::model::activation::Activation;

mod claims;
mod compute;
mod output;

/// Parameters of the penalty figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Samples N = width M.
    pub n: usize,
    /// Scale σ of every design.
    pub sigma: f64,
    /// Activations (every built-in but the splines beyond relu2, whose
    /// penalties ν^{2r} the exponent claim covers through heaviside, relu, relu2).
    pub activations: Vec<Activation>,
    /// Step counts q of the mask comparison.
    pub qs: Vec<u64>,
}

impl Config {
    /// Preset: N = M = 256 (quick), 1024 (default) or 2048 (full); σ = N/16.
    pub fn new(size: Size) -> Self {
        let n = match size {
            Size::Quick => 256,
            Size::Default => 1024,
            Size::Full => 2048,
        };
        let mut activations = Activation::PAPER.to_vec();
        activations.extend(Activation::EXTRA);
        Config {
            n,
            sigma: (n / 16) as f64,
            activations,
            qs: vec![10, 100, 1_000, 10_000],
        }
    }
}

/// Runs the penalty figure.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let reports = compute::reports(cfg, progress)?;
    let data_files = output::write_data(out, &reports)?;
    let plots = output::plots(cfg, out, &reports)?;
    Ok(FigureOutput {
        id: "penalty".into(),
        title: "Extra (not in the paper) — spectral penalty of each activation vs the singular values of A".into(),
        description: format!(
            "The companion paper's penalty ρ(ν) = 1/|F[φ](ν)|² (arXiv 2503.10587, SPEC §7), measured by FFT, against s_k/s_0 of A = φ(σ(x − bᵀ)) with N = M = {}, σ = {} (linspace grids): component k ↔ ν_k = (k+½)/2 cycles per unit x, predicted s_k/s_0 = √(ρ(ν_0/σ)/ρ(ν_k/σ)), over k ∈ [1, {}] (ending where a side falls below 1e−8). Not a figure of arXiv 2504.18207: its claims are this tool's checks of the companion prediction.",
            cfg.n,
            cfg.sigma,
            cfg.n / 4
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &reports),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "The prediction is sorted like the SVD: s_k/s_0 is held against the k-th largest |F[φ](ν_j/σ)| over j (the same as ν_k for every activation whose |F| decreases; the band-pass wavepacket is matched by rank).".into(),
            "Transforms of activations that do not decay (heaviside, tanh, relu, relu2, gelu, silu, softplus, sigmoid) are measured through a derivative: F[φ⁽ⁿ⁾](ν) = (2πiν)ⁿ F[φ](ν) (see `gdshrink penalty`).".into(),
        ],
        routes: Vec::new(),
        seconds: 0.0,
    })
}
