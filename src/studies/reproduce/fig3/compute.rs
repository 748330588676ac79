//! The normalized spectra of every (activation, σ).

use std::collections::BTreeMap;

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::normalized;
use crate::studies::reproduce::begin;
use crate::studies::reproduce::route::{Need, Routes, leading};

/// Normalized spectra keyed by (activation, σ); σ-independent ones under every σ.
pub(super) struct Spectra {
    /// (s_k/s_0, the leading components resolved to the need's accuracy).
    map: BTreeMap<(String, u64), (Vec<f64>, usize)>,
    /// The computed spectra in order, as named table columns
    /// (`<activation>` or `<activation>_sigma<σ>`).
    pub(super) columns: Vec<(String, Vec<f64>)>,
    /// The route of each spectrum.
    pub(super) routes: Routes,
}

impl Spectra {
    /// s_k/s_0 of an activation at σ.
    pub(super) fn get(&self, a: Activation, sigma: f64) -> Option<&Vec<f64>> {
        self.map.get(&(a.name(), sigma.to_bits())).map(|e| &e.0)
    }

    /// The leading components of `get(a, σ)` known to the accuracy of
    /// [`need`] (all of them on the dense route; 0 when not computed).
    pub(super) fn resolved(&self, a: Activation, sigma: f64) -> usize {
        self.map
            .get(&(a.name(), sigma.to_bits()))
            .map_or(0, |e| e.1)
    }

    /// The length of the shortest column (the table's rows).
    pub(super) fn rows(&self) -> usize {
        self.columns.iter().map(|c| c.1.len()).min().unwrap_or(0)
    }
}

/// What Fig. 3 reads of the spectrum of `a`: the decay-exponent claim reads
/// s_10 … s_100 of the exact splines (heaviside, relu, relu2) to three
/// digits (heaviside's closed-form claim to 1e-10); the plot and the other
/// claims read s_k for k < `k_plot` to three digits down to 1e-5·s_0 (the
/// sinc claim's threshold) and need values below it only bounded.
pub(super) fn need(cfg: &Config, a: Activation) -> Need {
    let k = cfg.k_plot.max(101).min(cfg.n.min(cfg.m));
    match a {
        Activation::Heaviside => Need {
            k,
            rel: 1e-10,
            floor: 0.0,
            angle: 0.0,
        },
        Activation::Relu | Activation::Relu2 => Need {
            k,
            rel: 1e-3,
            floor: 0.0,
            angle: 0.0,
        },
        _ => Need {
            k: cfg.k_plot.min(cfg.n.min(cfg.m)),
            rel: 1e-3,
            floor: 1e-5,
            angle: 0.0,
        },
    }
}

/// One spectrum per activation and σ (one per activation if it is
/// scale-equivariant), each by the route of [`leading`].
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
        routes: Routes::default(),
    };
    for (a, sigmas) in &jobs {
        for &sigma in sigmas {
            // Scale-equivariant: σ = 1, the design Figs. 4 and 8 use too.
            let sg = if a.is_scale_equivariant() { 1.0 } else { sigma };
            let d = Design::spec(*a).sigma(sg).n(cfg.n).m(cfg.m).build()?;
            let l = leading(&d, &need(cfg, *a))?;
            let s = normalized(&l.s);
            if a.is_scale_equivariant() {
                spectra.routes.push(a.name(), &l.route);
                spectra.columns.push((a.name(), s.clone()));
                for &sg in &cfg.sigmas {
                    spectra
                        .map
                        .insert((a.name(), sg.to_bits()), (s.clone(), l.resolved));
                }
            } else {
                spectra.routes.push(format!("{a} σ={sigma}"), &l.route);
                spectra
                    .columns
                    .push((format!("{}_sigma{}", a.name(), sigma), s.clone()));
                spectra
                    .map
                    .insert((a.name(), sigma.to_bits()), (s, l.resolved));
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
