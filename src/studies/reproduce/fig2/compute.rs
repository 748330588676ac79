//! The mask curves on a log grid of s and their grey zones (bisection).

use super::Config;
use crate::gd::Progress;
use crate::spectral::{gd_exact, gd_flow};
use crate::studies::reproduce::begin;

/// s in (0, 1] where the increasing function `m` equals `target` (bisection in log s).
fn solve(m: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (1e-12f64.ln(), 0.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if m(mid.exp()) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The grey zone of one q: (s where m = 1 − δ, s where m = δ) for each mask.
#[derive(Clone, Copy, Debug)]
pub(super) struct Zone {
    pub(super) q: u64,
    pub(super) flow: (f64, f64),
    pub(super) exact: (f64, f64),
}

impl Zone {
    /// Width 10·log10(s_hi/s_lo) in dB.
    pub(super) fn db(pair: (f64, f64)) -> f64 {
        10.0 * (pair.0 / pair.1).log10()
    }
}

/// The sampled masks, one entry per q of the configuration.
pub(super) struct Masks {
    /// The log-spaced s grid, from 1 down to s_min.
    pub(super) s: Vec<f64>,
    /// (gd_exact, gd_flow) on the grid.
    pub(super) curves: Vec<(Vec<f64>, Vec<f64>)>,
    /// The grey zones.
    pub(super) zones: Vec<Zone>,
    /// max over s of |gd_exact − gd_flow|.
    pub(super) max_gap: Vec<f64>,
}

/// Samples both masks for every q and finds their grey zones.
pub(super) fn masks(cfg: &Config, progress: &dyn Progress) -> Masks {
    begin(progress, "fig2", "mask curves", cfg.qs.len() as u64);
    let d = cfg.delta;
    let n = cfg.points.max(2);
    let s: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / (n - 1) as f64;
            (cfg.s_min.ln() * (1.0 - t)).exp()
        })
        .collect();
    let mut curves = Vec::new();
    let mut zones = Vec::new();
    let mut max_gap = Vec::new();
    for &q in &cfg.qs {
        let ex: Vec<f64> = s.iter().map(|&v| gd_exact(v, 1.0, q)).collect();
        let fl: Vec<f64> = s.iter().map(|&v| gd_flow(v, 1.0, q as f64)).collect();
        max_gap.push(
            ex.iter()
                .zip(&fl)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max),
        );
        curves.push((ex, fl));
        let fe = |v: f64| gd_exact(v, 1.0, q);
        let ff = |v: f64| gd_flow(v, 1.0, q as f64);
        zones.push(Zone {
            q,
            flow: (solve(ff, 1.0 - d), solve(ff, d)),
            exact: (solve(fe, 1.0 - d), solve(fe, d)),
        });
        progress.advance(1);
    }
    progress.finish();
    Masks {
        s,
        curves,
        zones,
        max_gap,
    }
}
