//! The principal components of each activation, their DST similarities and
//! their roughness.

use super::Config;
use crate::error::{Error, Result};
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::{DstMatch, dst_basis, dst_similarity_of};
use crate::studies::reproduce::begin;
use crate::studies::reproduce::route::{Need, Route, Routes, leading};

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

/// What Figs. 4 and 5 read of the spectrum: the left singular vectors u_k
/// for the k shown (k ≤ 9), each to an angle of 1e-4 (the claims compare
/// |cos(u_k, d_k)| with 0.999 and 0.99, an angle of ≈ 0.045).
fn need(cfg: &Config) -> Need {
    Need {
        k: (cfg.ks.iter().copied().max().unwrap_or(0) + 1).min(cfg.n.min(cfg.m)),
        rel: 1e-3,
        floor: 0.0,
        angle: 1e-4,
    }
}

/// The leading components of each activation, by the route of [`leading`].
pub(super) fn components(
    cfg: &Config,
    progress: &dyn Progress,
) -> Result<(Vec<ActResult>, Routes)> {
    begin(
        progress,
        &cfg.id,
        &format!("leading components {}x{}", cfg.n, cfg.m),
        cfg.activations.len() as u64,
    );
    let mut results = Vec::new();
    let mut routes = Routes::default();
    for &a in &cfg.activations {
        let (r, route) = activation(cfg, a)?;
        routes.push(a.name(), &route);
        results.push(r);
        progress.advance(1);
    }
    progress.finish();
    Ok((results, routes))
}

fn activation(cfg: &Config, a: Activation) -> Result<(ActResult, Route)> {
    let d = Design::spec(a)
        .sigma(cfg.sigma(a))
        .n(cfg.n)
        .m(cfg.m)
        .build()?;
    let l = leading(&d, &need(cfg))?;
    let u_all = l.u.as_ref().ok_or_else(|| {
        Error::invalid(
            "need",
            "values only",
            "the left singular vectors (angle > 0)",
        )
    })?;
    let ks: Vec<usize> = cfg.ks.iter().copied().filter(|&k| k < l.s.len()).collect();
    let matches = dst_similarity_of(u_all.as_ref(), cfg.n.min(cfg.m), d.x(), &ks)?;
    // Sign: positive correlation with d_k, so plots are comparable.
    let u: Vec<Vec<f64>> = ks
        .iter()
        .map(|&k| {
            let mut v: Vec<f64> = u_all.col(k).iter().copied().collect();
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
    Ok((
        ActResult {
            activation: a,
            x: d.x().to_vec(),
            ks,
            matches,
            rough,
            u,
        },
        l.route,
    ))
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
