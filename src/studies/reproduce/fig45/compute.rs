//! The principal components of each activation, their DST similarities and
//! their roughness.

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::{DstMatch, dst_basis, dst_similarity, thin_svd};
use crate::studies::reproduce::begin;

/// R(u) = ‖Δ²u‖/‖Δu‖ (see module docs); NaN for a constant vector.
pub fn roughness(u: &[f64]) -> f64 {
    let d: Vec<f64> = u.windows(2).map(|w| w[1] - w[0]).collect();
    let d1: f64 = d.iter().map(|v| v * v).sum();
    let d2: f64 = d.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    if d1 > 0.0 { (d2 / d1).sqrt() } else { f64::NAN }
}

/// The components of one activation.
pub(super) struct ActResult {
    pub(super) activation: Activation,
    /// The sample points x.
    pub(super) x: Vec<f64>,
    /// The components compared (those of the configuration below the rank).
    pub(super) ks: Vec<usize>,
    /// DST similarity per k.
    pub(super) matches: Vec<DstMatch>,
    /// Roughness per k.
    pub(super) rough: Vec<f64>,
    /// u_k per k, signed so that ⟨u_k, d_k⟩ ≥ 0.
    pub(super) u: Vec<Vec<f64>>,
}

/// One thin SVD per activation.
pub(super) fn components(cfg: &Config, progress: &dyn Progress) -> Result<Vec<ActResult>> {
    begin(
        progress,
        &cfg.id,
        &format!("thin SVD {}x{}", cfg.n, cfg.m),
        cfg.activations.len() as u64,
    );
    let mut results = Vec::new();
    for &a in &cfg.activations {
        results.push(activation(cfg, a)?);
        progress.advance(1);
    }
    progress.finish();
    Ok(results)
}

fn activation(cfg: &Config, a: Activation) -> Result<ActResult> {
    let d = Design::spec(a)
        .sigma(cfg.sigma(a))
        .n(cfg.n)
        .m(cfg.m)
        .build()?;
    let svd = thin_svd(d.matrix().as_ref())?;
    let ks: Vec<usize> = cfg
        .ks
        .iter()
        .copied()
        .filter(|&k| k < svd.rank_bound())
        .collect();
    let matches = dst_similarity(&svd, d.x(), &ks)?;
    // Sign: positive correlation with d_k, so plots are comparable.
    let u: Vec<Vec<f64>> = ks
        .iter()
        .map(|&k| {
            let mut v = svd.u_col(k);
            let dk = dst_basis(d.x(), k);
            if v.iter().zip(&dk).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
                for e in &mut v {
                    *e = -*e;
                }
            }
            v
        })
        .collect();
    let rough = u.iter().map(|v| roughness(v)).collect();
    Ok(ActResult {
        activation: a,
        x: d.x().to_vec(),
        ks,
        matches,
        rough,
        u,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roughness_separates_staircases_from_sinusoids() {
        let n = 1000;
        let smooth: Vec<f64> = (0..n)
            .map(|i| (std::f64::consts::PI * 4.5 * f64::from(i) / f64::from(n)).sin())
            .collect();
        let stair: Vec<f64> = (0..n)
            .map(|i| (std::f64::consts::PI * 4.5 * f64::from(i / 20 * 20) / f64::from(n)).sin())
            .collect();
        assert!(roughness(&smooth) < 0.05, "{}", roughness(&smooth));
        assert!(
            (roughness(&stair) - 2f64.sqrt()).abs() < 0.05,
            "{}",
            roughness(&stair)
        );
        assert!(roughness(&[1.0, 1.0, 1.0]).is_nan());
    }
}
