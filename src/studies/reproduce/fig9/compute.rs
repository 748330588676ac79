//! The two designs on the grid, their principal components, the Dirichlet
//! energies and the 2-D DST basis.

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Config;
use crate::error::{Error, Result};
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::studies::reproduce::begin;
use crate::studies::reproduce::metrics::spearman;
use crate::studies::reproduce::route::{Need, Routes, leading_of_matrix};

/// Dirichlet energy of a g×g field (row-major) divided by its squared norm,
/// and the fraction of it in horizontal differences.
pub fn dirichlet_energy(u: &[f64], g: usize) -> (f64, f64) {
    let (mut h, mut v) = (0.0, 0.0);
    for i in 0..g {
        for j in 0..g {
            let c = u[i * g + j];
            if j + 1 < g {
                h += (u[i * g + j + 1] - c).powi(2);
            }
            if i + 1 < g {
                v += (u[(i + 1) * g + j] - c).powi(2);
            }
        }
    }
    let n2: f64 = u.iter().map(|x| x * x).sum();
    if n2 == 0.0 || h + v == 0.0 {
        return (0.0, f64::NAN);
    }
    ((h + v) / n2, h / (h + v))
}

/// The first `count` 2-D DST basis fields, ordered by (k_x+½)² + (k_y+½)².
pub fn dst2d(g: usize, count: usize) -> Vec<(usize, usize, Vec<f64>)> {
    let c: Vec<f64> = crate::model::grid::linspace(g);
    let mut freqs: Vec<(usize, usize)> = (0..g).flat_map(|a| (0..g).map(move |b| (a, b))).collect();
    let key = |p: &(usize, usize)| (p.0 as f64 + 0.5).powi(2) + (p.1 as f64 + 0.5).powi(2);
    freqs.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
    freqs
        .into_iter()
        .take(count)
        .map(|(kx, ky)| {
            let mut f = vec![0.0; g * g];
            for i in 0..g {
                for j in 0..g {
                    f[i * g + j] = (std::f64::consts::PI * (kx as f64 + 0.5) * c[j]).sin()
                        * (std::f64::consts::PI * (ky as f64 + 0.5) * c[i]).sin();
                }
            }
            (kx, ky, f)
        })
        .collect()
}

/// The N×M ReLU design matrices (rank-one V, full-rank V) on a g×g grid.
pub fn designs(cfg: &Config) -> Result<(Mat<f64>, Mat<f64>)> {
    let g = cfg.g;
    if g < 2 || cfg.m == 0 {
        return Err(Error::invalid(
            "2-D grid",
            format!("g = {g}, M = {}", cfg.m),
            "g ≥ 2 and M ≥ 1",
        ));
    }
    let c = crate::model::grid::linspace(g);
    let pts: Vec<(f64, f64)> = (0..g)
        .flat_map(|i| (0..g).map(move |j| (j, i)))
        .map(|(j, i)| (c[j], c[i]))
        .collect();
    // Rank one: t = g·x + y, the raster coordinate; biases linspace over its range.
    let t: Vec<f64> = pts.iter().map(|&(x, y)| g as f64 * x + y).collect();
    let (lo, hi) = (0.0, g as f64 + 1.0);
    let b: Vec<f64> = crate::model::grid::linspace(cfg.m)
        .into_iter()
        .map(|u| lo + (hi - lo) * u)
        .collect();
    let rank_one = Design::new(Activation::Relu, 1.0, t, b)?.matrix();
    // Full rank: random unit directions, hinges through random points of the square.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let units: Vec<(f64, f64, f64)> = (0..cfg.m)
        .map(|_| {
            let th = 2.0 * std::f64::consts::PI * rng.random::<f64>();
            let (vx, vy) = (th.cos(), th.sin());
            let (cx, cy) = (rng.random::<f64>(), rng.random::<f64>());
            (vx, vy, vx * cx + vy * cy)
        })
        .collect();
    let full = Mat::<f64>::from_fn(pts.len(), cfg.m, |i, j| {
        let (vx, vy, bj) = units[j];
        Activation::Relu.eval(vx * pts[i].0 + vy * pts[i].1 - bj)
    });
    Ok((rank_one, full))
}

/// The components of one V.
pub(super) struct Variant {
    /// "rank-one V" or "full-rank V".
    pub(super) name: &'static str,
    /// Dirichlet energy of u_k.
    pub(super) energy: Vec<f64>,
    /// Horizontal share of that energy.
    pub(super) hfrac: Vec<f64>,
    /// The components shown (k in the configuration's `ks_show`, below the rank).
    pub(super) shown: Vec<Vec<f64>>,
    /// Spearman correlation between k and the energy.
    pub(super) spearman: f64,
}

impl Variant {
    /// `rank_one` or `full_rank`, for file and column names.
    pub(super) fn key(&self) -> &'static str {
        if self.name.starts_with("rank") {
            "rank_one"
        } else {
            "full_rank"
        }
    }
}

/// Both variants, the 2-D DST basis and its energies.
pub(super) struct Energies {
    /// Rank-one V, then full-rank V.
    pub(super) variants: Vec<Variant>,
    /// Components compared (the smaller count of the two variants).
    pub(super) ke: usize,
    /// The first 2-D DST fields (at least up to the largest shown k).
    pub(super) dst: Vec<(usize, usize, Vec<f64>)>,
    /// (energy, horizontal share) of the first `ke` DST fields.
    pub(super) dst_e: Vec<(f64, f64)>,
    /// The route of each variant's components.
    pub(super) routes: Routes,
}

/// What Fig. 9 reads of each design: u_k for k < `k_energy` and the k
/// shown, each to 1e-4 rad (the claims rank Dirichlet energies and compare
/// shares and medians with margins far above that).
fn need(cfg: &Config, n: usize) -> Need {
    let k = cfg
        .k_energy
        .max(cfg.ks_show.iter().copied().max().unwrap_or(0) + 1);
    Need {
        k: k.min(n.min(cfg.m)),
        rel: 1e-3,
        floor: 0.0,
        angle: 1e-4,
    }
}

/// The leading components of each V (by the route of
/// [`leading_of_matrix`]), and the DST energies to compare with.
pub(super) fn energies(cfg: &Config, progress: &dyn Progress) -> Result<Energies> {
    let g = cfg.g;
    let n = g * g;
    begin(
        progress,
        "fig9",
        &format!("2-D leading components {}x{}", n, cfg.m),
        2,
    );
    let (a1, a2) = designs(cfg)?;
    let mut variants = Vec::new();
    let mut routes = Routes::default();
    for (name, a) in [("rank-one V", a1), ("full-rank V", a2)] {
        let l = leading_of_matrix(&a, &need(cfg, n))?;
        routes.push(name, &l.route);
        let u = l.u.as_ref().ok_or_else(|| {
            Error::invalid(
                "need",
                "values only",
                "the left singular vectors (angle > 0)",
            )
        })?;
        let u_col = |k: usize| -> Vec<f64> { u.col(k).iter().copied().collect() };
        let rank = l.s.len();
        let ke = cfg.k_energy.min(rank);
        let (energy, hfrac): (Vec<f64>, Vec<f64>) =
            (0..ke).map(|k| dirichlet_energy(&u_col(k), g)).unzip();
        let shown = cfg
            .ks_show
            .iter()
            .filter(|&&k| k < rank)
            .map(|&k| u_col(k))
            .collect();
        let ks: Vec<f64> = (0..ke).map(|k| k as f64).collect();
        variants.push(Variant {
            name,
            spearman: spearman(&ks, &energy),
            energy,
            hfrac,
            shown,
        });
        progress.advance(1);
    }
    progress.finish();
    let ke = variants.iter().map(|v| v.energy.len()).min().unwrap_or(0);
    let dst = dst2d(
        g,
        ke.max(cfg.ks_show.iter().copied().max().unwrap_or(0) + 1),
    );
    let dst_e: Vec<(f64, f64)> = dst
        .iter()
        .take(ke)
        .map(|d| dirichlet_energy(&d.2, g))
        .collect();
    Ok(Energies {
        variants,
        ke,
        dst,
        dst_e,
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_of_known_fields() {
        let g = 8;
        let flat = vec![1.0; g * g];
        assert_eq!(dirichlet_energy(&flat, g).0, 0.0);
        // A field varying only along x has all its energy horizontal.
        let ramp: Vec<f64> = (0..g * g).map(|p| (p % g) as f64).collect();
        let (e, h) = dirichlet_energy(&ramp, g);
        assert!(e > 0.0 && (h - 1.0).abs() < 1e-15);
        let d = dst2d(g, 3);
        assert_eq!((d[0].0, d[0].1), (0, 0));
        assert_eq!((d[1].0, d[1].1), (0, 1));
    }
}
