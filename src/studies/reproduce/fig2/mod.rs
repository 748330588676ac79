//! Fig. 2 — the masking function m(s; α, q) and its grey zone (paper §4, SPEC §4).
//!
//! At α = 1 (so s_max = 1 is the top of the monotone regime) the curves
//! $m_{exact}(s) = 1 - (1 - s^2)^q$ and $m_{flow}(s) = 1 - e^{-q s^2}$ are
//! sampled on a log grid of s for q ∈ {10, 100, 1000, 10000}. The grey zone is
//! where the mask falls from 1 − δ to δ (δ = 0.005, "99% of the transition");
//! its width 10·log10(s_hi/s_lo) is measured here by bisection on the mask
//! functions [`crate::spectral::gd_exact`] and [`crate::spectral::gd_flow`]
//! and compared with the closed forms of [`crate::spectral::qk`]
//! (flow: 5·log10(ln δ / ln(1 − δ)) ≈ 15.12 dB for every q).
//!
//! `compute` samples the masks and finds the grey zones, `claims` checks
//! them, `output` writes the tables and the plot.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress};
use crate::error::Result;

mod claims;
mod compute;
mod output;

/// Parameters of Fig. 2.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Iteration counts q.
    pub qs: Vec<u64>,
    /// Grey-zone threshold δ.
    pub delta: f64,
    /// Smallest s on the plot (largest is 1 = s_max at α = 1).
    pub s_min: f64,
    /// Number of s samples (log-spaced).
    pub points: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            qs: vec![10, 100, 1000, 10_000],
            delta: 0.005,
            s_min: 1e-4,
            points: 600,
        }
    }
}

/// Runs Fig. 2.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let masks = compute::masks(cfg, progress);
    let data_files = output::write_data(out, &masks)?;
    let plots = vec![output::plot(cfg, out, &masks)?];
    Ok(FigureOutput {
        id: "fig2".into(),
        title: "Fig. 2 — masking function m(s; α, q) and grey zone".into(),
        description: format!(
            "gd_exact 1 − (1 − αs²)^q and gd_flow 1 − exp(−αqs²) at α = 1 for q ∈ {:?}, on {} log-spaced s ∈ [{}, 1]. Grey zone: where m falls from 1 − δ to δ (δ = {}), width 10·log10(s_hi/s_lo) found by bisection on the mask functions.",
            cfg.qs,
            masks.s.len(),
            cfg.s_min,
            cfg.delta
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &masks),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "The width is 10·log10 of an amplitude ratio (SPEC §4); 20·log10 would give twice the number.".into(),
        ],
        routes: Vec::new(),
        seconds: 0.0,
    })
}
