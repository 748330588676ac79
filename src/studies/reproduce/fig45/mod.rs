//! Figs. 4 and 5 — principal components u_k(x) of A against the DST-like basis
//! d_k(x) = sin(π(k + ½)x) (paper §6, SPEC §5).
//!
//! Fig. 4 uses N = M, Fig. 5 a narrow network (M = 50). The components come
//! from the route of [`super::route::leading`] (the thin SVD, or at
//! N = M = 5000 the top-K method with K = 128 when its residuals give the
//! u_k shown to 1e-4 rad); [`crate::spectral::dst_similarity_of`]
//! gives |cos(u_k, d_k)| and, for tanh (σ = M), the projection on the
//! {cos, sin}(π(2⌊k/2⌋+1)x) pair subspace its near-degenerate pairs span.
//!
//! Smoothness at finite width is measured by the *roughness*
//! R(u) = ‖Δ²u‖ / ‖Δu‖ (first and second differences along x): a smooth
//! component of frequency ω sampled at spacing h has R ≈ ωh ≪ 1, while a
//! staircase (piecewise constant, isolated jumps) has R ≈ √2, since every
//! jump appears in two second differences.
//!
//! `compute` gives the components and their similarities, `claims` checks
//! them (the N = M claims for Fig. 4, the finite-width ones for Fig. 5),
//! `output` writes the tables and the plot.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress, Size};
use crate::error::Result;
use crate::model::activation::Activation;

mod claims;
mod compute;
mod output;

pub use compute::roughness;

/// Parameters of Fig. 4 or Fig. 5.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// `fig4` or `fig5`.
    pub id: String,
    /// Samples N.
    pub n: usize,
    /// Width M.
    pub m: usize,
    /// Activations (tanh uses σ = M; the others are scale-equivariant, σ = 1).
    pub activations: Vec<Activation>,
    /// Components shown and compared.
    pub ks: Vec<usize>,
}

impl Config {
    /// Fig. 4 preset (paper: N = M = 5000).
    pub fn fig4(size: Size) -> Self {
        let nm = size.square();
        Config {
            id: "fig4".into(),
            n: nm,
            m: nm,
            activations: vec![
                Activation::Heaviside,
                Activation::Tanh,
                Activation::Relu,
                Activation::Relu2,
            ],
            ks: vec![0, 4, 5, 9],
        }
    }

    /// Fig. 5 preset (paper: N = 5000, M = 50).
    pub fn fig5(size: Size) -> Self {
        let mut c = Config::fig4(size);
        c.id = "fig5".into();
        c.m = 50;
        c
    }

    fn sigma(&self, a: Activation) -> f64 {
        if a == Activation::Tanh {
            self.m as f64
        } else {
            1.0
        }
    }

    /// "Fig. 4" or "Fig. 5".
    fn label(&self) -> &'static str {
        if self.id == "fig4" {
            "Fig. 4"
        } else {
            "Fig. 5"
        }
    }
}

/// Runs Fig. 4 or Fig. 5.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let (results, routes) = compute::components(cfg, progress)?;
    let data_files = output::write_data(cfg, out, &results)?;
    let plots = vec![output::plot(cfg, out, &results)?];
    Ok(FigureOutput {
        id: cfg.id.clone(),
        title: if cfg.id == "fig4" {
            format!("Fig. 4 — principal components at N = M = {}", cfg.n)
        } else {
            format!("Fig. 5 — principal components at N = {}, M = {}", cfg.n, cfg.m)
        },
        description: format!(
            "Left singular vectors u_k (k ∈ {:?}) of A for {} with N = {}, M = {} (tanh with σ = M), compared with d_k(x) = sin(π(k+½)x) on the same x.",
            cfg.ks,
            super::format::names(&cfg.activations),
            cfg.n,
            cfg.m
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &results),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "tanh(σz) with σ = M has near-equal singular-value pairs; each pair spans {cos, sin}(π(2j+1)x), so its components are compared with that 2-D subspace (SPEC §5), not one by one.".into(),
            "Sign of each u_k is chosen so that ⟨u_k, d_k⟩ ≥ 0.".into(),
        ],
        routes: routes.lines(),
        seconds: 0.0,
    })
}
