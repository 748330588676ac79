//! Fig. 9 / App. E — two dimensions: f(x) = Σ_j w_j η(v_jᵀx − b_j) on a g×g grid of [0, 1]².
//!
//! Pixel (row i, column j) sits at x = (j, i)/(g − 1) (horizontal, vertical).
//! * Rank-one V (the paper's, after Zhang et al.): v_j = (g, 1) for every j, so
//!   vᵀx = (g·j + i)/(g − 1) is the raster index, and the network is the 1-D
//!   ReLU network on that coordinate ([`crate::model::design::Design`] on the points
//!   t_i, biases linspace over their range).
//! * Full-rank V: v_j = (cos θ_j, sin θ_j) with θ_j uniform on [0, 2π) and
//!   b_j = v_jᵀc_j with c_j uniform in [0, 1]² (every unit's hinge crosses the
//!   square), from a fixed-seed ChaCha8 generator.
//!
//! Principal components u_k come from the route of
//! [`super::route::leading_of_matrix`] (the thin SVD, or with `--full`
//! (4096 × 4096) the top-K method, K = 128, when its residuals give u_k,
//! k < 64, to 1e-4 rad). Smoothness
//! is the discrete Dirichlet energy of the unit-norm component,
//! $E(u) = \sum (u_p - u_{p'})^2$ over horizontal and vertical neighbours, shown
//! against k beside the 2-D DST basis sin(π(k_x+½)x)·sin(π(k_y+½)y) ordered by
//! frequency.
//!
//! `compute` gives the designs, components and energies, `claims` checks
//! them, `output` writes the arrays and the plots.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress, Size};
use crate::error::Result;

mod claims;
mod compute;
mod output;

pub use compute::{designs, dirichlet_energy, dst2d};

/// Parameters of Fig. 9.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Grid side g (N = g²).
    pub g: usize,
    /// Width M.
    pub m: usize,
    /// Seed of the full-rank directions.
    pub seed: u64,
    /// Components shown as heatmaps.
    pub ks_show: Vec<usize>,
    /// Components whose energy is compared (k < k_energy).
    pub k_energy: usize,
}

impl Config {
    /// Preset (the paper does not give its sizes).
    pub fn new(size: Size) -> Self {
        let (g, m) = match size {
            Size::Quick => (16, 256),
            Size::Default => (32, 1024),
            Size::Full => (64, 4096),
        };
        Config {
            g,
            m,
            seed: 2025,
            ks_show: vec![0, 1, 15, 16],
            k_energy: 64,
        }
    }
}

/// Runs Fig. 9.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let e = compute::energies(cfg, progress)?;
    let data_files = output::write_data(cfg, out, &e)?;
    let plots = output::plots(cfg, out, &e)?;
    let (g, n, ke) = (cfg.g, cfg.g * cfg.g, e.ke);
    Ok(FigureOutput {
        id: "fig9".into(),
        title: "Fig. 9 / App. E — two-dimensional principal components".into(),
        description: format!(
            "ReLU network on a {g}×{g} grid of [0,1]² (N = {n}), width M = {}: rank-one V (v = (g, 1) for every unit; biases linspace over vᵀx) vs full-rank V (random unit directions, seed {}); u_k for k ∈ {:?}, the 2-D DST basis, and the Dirichlet energy of u_k for k < {ke}.",
            cfg.m, cfg.seed, cfg.ks_show
        ),
        data_files,
        plots,
        claims: claims::claims(&e),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "The paper gives no sizes for Fig. 9; grid, width and the full-rank sampling are this project's choices (see description).".into(),
            "With v = (g, 1) the projection vᵀx is the raster index: the rank-one network is the 1-D ReLU network along a path that jumps from the bottom of one column to the top of the next. Its components are 1-D sinusoids of that index: for k < g they vary along x only and their energy still grows with k (like k², far above the 2-D DST's), beyond k ≈ g the phase step between horizontal neighbours wraps around and the energy falls again. Whether the Spearman test sees 'no order' therefore depends on the window k < k_energy relative to g.".into(),
        ],
        routes: e.routes.lines(),
        seconds: 0.0,
    })
}
