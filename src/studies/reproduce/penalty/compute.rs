//! One penalty measurement per activation.

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::design::Design;
use crate::studies::penalty::{PenaltyConfig, PenaltyReport, run};
use crate::studies::reproduce::begin;

/// The penalty report of every configured activation, in order.
pub(super) fn reports(cfg: &Config, progress: &dyn Progress) -> Result<Vec<PenaltyReport>> {
    begin(
        progress,
        "penalty",
        &format!("FFT and spectrum {}x{}", cfg.n, cfg.n),
        cfg.activations.len() as u64,
    );
    let mut out = Vec::with_capacity(cfg.activations.len());
    for &a in &cfg.activations {
        let design = Design::spec(a).sigma(cfg.sigma).n(cfg.n).m(cfg.n).build()?;
        let mut pc = PenaltyConfig::new(design);
        pc.qs.clone_from(&cfg.qs);
        out.push(run(&pc)?);
        progress.advance(1);
    }
    progress.finish();
    Ok(out)
}
