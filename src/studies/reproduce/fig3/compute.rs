//! The normalized spectra of every (activation, σ).

use std::collections::BTreeMap;

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::{normalized, singular_values};
use crate::studies::reproduce::begin;

/// Normalized spectra keyed by (activation, σ); σ-independent ones under every σ.
pub(super) struct Spectra {
    map: BTreeMap<(String, u64), Vec<f64>>,
    /// The computed spectra in order, as named table columns
    /// (`<activation>` or `<activation>_sigma<σ>`).
    pub(super) columns: Vec<(String, Vec<f64>)>,
}

impl Spectra {
    /// s_k/s_0 of an activation at σ.
    pub(super) fn get(&self, a: Activation, sigma: f64) -> Option<&Vec<f64>> {
        self.map.get(&(a.name(), sigma.to_bits()))
    }
}

/// One SVD per activation and σ (one per activation if it is scale-equivariant).
pub(super) fn spectra(cfg: &Config, progress: &dyn Progress) -> Result<Spectra> {
    let jobs: Vec<(Activation, Vec<f64>)> = cfg
        .activations
        .iter()
        .map(|&a| {
            if a.is_scale_equivariant() {
                (a, vec![cfg.sigmas[0]])
            } else {
                (a, cfg.sigmas.clone())
            }
        })
        .collect();
    let total: usize = jobs.iter().map(|j| j.1.len()).sum();
    begin(
        progress,
        "fig3",
        &format!("spectra {}x{}", cfg.n, cfg.m),
        total as u64,
    );
    let mut spectra = Spectra {
        map: BTreeMap::new(),
        columns: Vec::new(),
    };
    for (a, sigmas) in &jobs {
        for &sigma in sigmas {
            let d = Design::spec(*a).sigma(sigma).n(cfg.n).m(cfg.m).build()?;
            let s = normalized(&singular_values(d.matrix().as_ref())?);
            if a.is_scale_equivariant() {
                spectra.columns.push((a.name(), s.clone()));
                for &sg in &cfg.sigmas {
                    spectra.map.insert((a.name(), sg.to_bits()), s.clone());
                }
            } else {
                spectra
                    .columns
                    .push((format!("{}_sigma{}", a.name(), sigma), s.clone()));
                spectra.map.insert((a.name(), sigma.to_bits()), s);
            }
            progress.advance(1);
        }
    }
    progress.finish();
    Ok(spectra)
}

/// The exact spectrum of the heaviside design at N = M: A = [i > j], the
/// strictly lower triangular ones matrix, has s_k = 1/(2 sin((2k+1)π/(4N−2))),
/// so s_k/s_0 → 1/(2k+1) and q(K) → (2K−1)² as N → ∞ (used by Figs. 3 and 8).
pub(in crate::studies::reproduce) struct HeavisideSquare {
    /// π/(4N−2).
    t: f64,
}

impl HeavisideSquare {
    /// The spectrum at N = M = `n`.
    pub(in crate::studies::reproduce) fn new(n: usize) -> Self {
        HeavisideSquare {
            t: std::f64::consts::PI / (4 * n - 2) as f64,
        }
    }

    /// s_k/s_0 = sin(π/(4N−2))/sin((2k+1)π/(4N−2)).
    pub(in crate::studies::reproduce) fn ratio(&self, k: usize) -> f64 {
        self.t.sin() / ((2 * k + 1) as f64 * self.t).sin()
    }

    /// (s_0/s_{K−1})² = (sin((2K−1)π/(4N−2))/sin(π/(4N−2)))², for K ≥ 1.
    pub(in crate::studies::reproduce) fn ratio_sq_inv(&self, big_k: usize) -> f64 {
        (((2 * big_k - 1) as f64 * self.t).sin() / self.t.sin()).powi(2)
    }
}
