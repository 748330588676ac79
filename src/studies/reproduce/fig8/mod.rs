//! Fig. 8 — iteration efficiency: q(K) = ⌈(s_0/s_{K−1})²⌉ for K = 1..K_max per
//! activation (paper App. D, Prop. 4.2, SPEC §4).
//!
//! Singular values by the route of [`super::route::leading`] (the dense SVD
//! at the `--quick` and default sizes; at N = M = 5000 the top-K method,
//! K = 128, where its residuals resolve s_0 … s_99, else the dense SVD), the table from
//! [`crate::spectral::qk::q_table`] (unreachable K, where s_{K−1} is numerically zero,
//! are reported as such). Activations that are not scale-equivariant use σ = M
//! (the paper's choice for tanh; GELU and SiLU then approach ReLU).
//!
//! `compute` gives the q(K) tables, `claims` checks them, `output`
//! writes the table and the plot.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress, Size};
use crate::error::Result;
use crate::model::activation::Activation;

mod claims;
mod compute;
mod output;

/// Parameters of Fig. 8.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Samples N.
    pub n: usize,
    /// Width M.
    pub m: usize,
    /// Largest K.
    pub k_max: usize,
    /// Activations (σ = M unless scale-equivariant).
    pub activations: Vec<Activation>,
}

impl Config {
    /// Preset (paper: N = M = 5000).
    pub fn new(size: Size) -> Self {
        let nm = size.square();
        Config {
            n: nm,
            m: nm,
            k_max: 100,
            activations: Activation::PAPER.to_vec(),
        }
    }
}

/// Runs Fig. 8.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let q = compute::q_tables(cfg, progress)?;
    let data_files = output::write_data(out, &q)?;
    let plots = vec![output::plot(cfg, out, &q)?];
    let mut notes = vec![
        "q(K) follows Eq. 17 with the square and a (1 − 1e−9) guard against ratios that equal an integer up to rounding (SPEC §4).".into(),
    ];
    for (a, rows) in &q.tables {
        let un: Vec<usize> = rows.iter().filter(|r| r.q.is_none()).map(|r| r.k).collect();
        if !un.is_empty() {
            notes.push(format!(
                "{a}: q(K) unreachable for K = {un:?} (s_(K−1) numerically zero)."
            ));
        }
    }
    Ok(FigureOutput {
        id: "fig8".into(),
        title: "Fig. 8 — iteration efficiency q(K)".into(),
        description: format!(
            "q(K) for K = 1..{} from the singular values of A (N = {}, M = {}, linspace grids; σ = M for tanh, gelu, silu, sinc, gaussian).",
            q.k_max, cfg.n, cfg.m
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &q),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes,
        routes: q.routes.lines(),
        seconds: 0.0,
    })
}
