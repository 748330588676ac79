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
//! Principal components u_k come from [`crate::spectral::thin_svd`]. Smoothness
//! is the discrete Dirichlet energy of the unit-norm component,
//! $E(u) = \sum (u_p - u_{p'})^2$ over horizontal and vertical neighbours, shown
//! against k beside the 2-D DST basis sin(π(k_x+½)x)·sin(π(k_y+½)y) ordered by
//! frequency.

use std::path::Path;

use faer::Mat;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::util::{fx, g, save_figure, spearman, write_npy, write_table};
use super::{Claim, ClaimKind, FigureOutput, Progress, Size};
use crate::error::{Error, Result};
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::output::array::Table;
use crate::output::plot::{Figure, Heatmap, Legend, LinePanel, Panel, Scale, Series};
use crate::spectral::thin_svd;

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

struct Variant {
    name: &'static str,
    energy: Vec<f64>,
    hfrac: Vec<f64>,
    shown: Vec<Vec<f64>>,
    spearman: f64,
}

/// Runs Fig. 9.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let g = cfg.g;
    let n = g * g;
    super::begin(
        progress,
        "fig9",
        &format!("2-D thin SVD {}x{}", n, cfg.m),
        2,
    );
    let (a1, a2) = designs(cfg)?;
    let mut variants = Vec::new();
    for (name, a) in [("rank-one V", a1), ("full-rank V", a2)] {
        let svd = thin_svd(a.as_ref())?;
        let ke = cfg.k_energy.min(svd.rank_bound());
        let (energy, hfrac): (Vec<f64>, Vec<f64>) =
            (0..ke).map(|k| dirichlet_energy(&svd.u_col(k), g)).unzip();
        let shown = cfg
            .ks_show
            .iter()
            .filter(|&&k| k < svd.rank_bound())
            .map(|&k| svd.u_col(k))
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
    let ks: Vec<f64> = (0..ke).map(|k| k as f64).collect();

    let mut t = Table::new().with("k", ks.clone());
    for v in &variants {
        let key = if v.name.starts_with("rank") {
            "rank_one"
        } else {
            "full_rank"
        };
        t.push(format!("energy_{key}"), v.energy[..ke].to_vec());
        t.push(format!("horizontal_fraction_{key}"), v.hfrac[..ke].to_vec());
    }
    t.push("energy_dst2d", dst_e.iter().map(|e| e.0).collect());
    t.push(
        "horizontal_fraction_dst2d",
        dst_e.iter().map(|e| e.1).collect(),
    );
    let mut files = vec![write_table(out, "fig9/energy.csv", &t)?];
    for v in &variants {
        let key = if v.name.starts_with("rank") {
            "rank_one"
        } else {
            "full_rank"
        };
        let data: Vec<f64> = v.shown.iter().flatten().copied().collect();
        files.push(write_npy(
            out,
            &format!("fig9/u_{key}.npy"),
            &[v.shown.len() as u64, g as u64, g as u64],
            &data,
        )?);
    }
    let shown_dst: Vec<&(usize, usize, Vec<f64>)> =
        cfg.ks_show.iter().filter_map(|&k| dst.get(k)).collect();
    files.push(write_npy(
        out,
        "fig9/dst2d.npy",
        &[shown_dst.len() as u64, g as u64, g as u64],
        &shown_dst
            .iter()
            .flat_map(|d| d.2.iter().copied())
            .collect::<Vec<_>>(),
    )?);

    let mut panels = Vec::new();
    for v in &variants {
        for (k, u) in cfg.ks_show.iter().zip(&v.shown) {
            panels.push(Panel::Heat(Heatmap {
                title: format!("{} u_{k}", v.name),
                rows: g,
                cols: g,
                values: u.clone(),
            }));
        }
    }
    for (k, d) in cfg.ks_show.iter().zip(&shown_dst) {
        panels.push(Panel::Heat(Heatmap {
            title: format!("2-D DST #{k} (kx={}, ky={})", d.0, d.1),
            rows: g,
            cols: g,
            values: d.2.clone(),
        }));
    }
    let cols = cfg.ks_show.len().max(1);
    let heat = Figure::new(
        format!(
            "Fig. 9 — 2-D principal components (ReLU, {g}×{g} grid, M = {})",
            cfg.m
        ),
        cols,
        panels,
    )
    .panel_size(260, 280);
    let mut plots = vec![save_figure(out, "fig9/fig9", &heat)?];
    let energy_fig = Figure::new(
        "Fig. 9 — smoothness of u_k: Dirichlet energy vs k",
        1,
        vec![Panel::Lines(LinePanel {
            title: format!(
                "Spearman(k, E): rank-one {}, full-rank {}",
                fx(variants[0].spearman, 3),
                fx(variants[1].spearman, 3)
            ),
            x_label: "component k".into(),
            y_label: "Σ neighbour differences² / ‖u‖²".into(),
            y_scale: Scale::Log,
            series: vec![
                Series::new(
                    "rank-one V",
                    ks.clone(),
                    variants[0].energy[..ke].to_vec(),
                    1,
                )
                .markers(),
                Series::new(
                    "full-rank V",
                    ks.clone(),
                    variants[1].energy[..ke].to_vec(),
                    0,
                )
                .markers(),
                Series::new(
                    "2-D DST (by frequency)",
                    ks.clone(),
                    dst_e.iter().map(|e| e.0).collect(),
                    9,
                ),
            ],
            legend: Legend::LowerRight,
            ..LinePanel::default()
        })],
    )
    .panel_size(900, 500);
    plots.push(save_figure(out, "fig9/energy", &energy_fig)?);

    Ok(FigureOutput {
        id: "fig9".into(),
        title: "Fig. 9 / App. E — two-dimensional principal components".into(),
        description: format!(
            "ReLU network on a {g}×{g} grid of [0,1]² (N = {n}), width M = {}: rank-one V (v = (g, 1) for every unit; biases linspace over vᵀx) vs full-rank V (random unit directions, seed {}); u_k for k ∈ {:?}, the 2-D DST basis, and the Dirichlet energy of u_k for k < {ke}.",
            cfg.m, cfg.seed, cfg.ks_show
        ),
        data_files: files,
        plots,
        claims: claims(&variants, &dst_e, ke),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "The paper gives no sizes for Fig. 9; grid, width and the full-rank sampling are this project's choices (see description).".into(),
            "With v = (g, 1) the projection vᵀx is the raster index: the rank-one network is the 1-D ReLU network along a path that jumps from the bottom of one column to the top of the next. Its components are 1-D sinusoids of that index: for k < g they vary along x only and their energy still grows with k (like k², far above the 2-D DST's), beyond k ≈ g the phase step between horizontal neighbours wraps around and the energy falls again. Whether the Spearman test sees 'no order' therefore depends on the window k < k_energy relative to g.".into(),
        ],
        seconds: 0.0,
    })
}

fn claims(v: &[Variant], dst_e: &[(f64, f64)], ke: usize) -> Vec<Claim> {
    let mut out = Vec::new();
    let (r1, fr) = (&v[0], &v[1]);
    let mean = |x: &[f64]| x.iter().filter(|e| e.is_finite()).sum::<f64>() / x.len().max(1) as f64;
    let ratio_med = |e: &[f64]| {
        let mut r: Vec<f64> = e
            .iter()
            .zip(dst_e)
            .skip(1)
            .map(|(a, d)| a / d.0)
            .filter(|x| x.is_finite())
            .collect();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
    };
    out.push(Claim::new(
        "fig9.full_rank_orders_smoothness",
        ClaimKind::Hard,
        "With a full-rank V the relation between singular-value order and smoothness returns (paper App. E, Fig. 9 row 2).",
        format!("Spearman rank correlation between k and the Dirichlet energy of u_k, k < {ke}, ≥ 0.9"),
        format!(
            "Spearman {}; horizontal share of the energy {} (isotropic ≈ 0.5); median E(u_k)/E(DST_k) {}",
            fx(fr.spearman, 4),
            fx(mean(&fr.hfrac), 3),
            g(ratio_med(&fr.energy))
        ),
        json!({"spearman": fr.spearman, "mean_horizontal_fraction": mean(&fr.hfrac), "energy": fr.energy}),
        fr.spearman >= 0.9,
    ));
    out.push(Claim::new(
        "fig9.rank_one_no_order",
        ClaimKind::Observation,
        "With Zhang et al.'s rank-one V there is no longer any relationship between the ordering of the singular values and the smoothness of the principal components (paper App. E, Fig. 9 row 1).",
        format!("Spearman rank correlation between k and the Dirichlet energy of u_k, k < {ke}, ≤ 0.5"),
        format!(
            "Spearman {} (full-rank V: {})",
            fx(r1.spearman, 4),
            fx(fr.spearman, 4)
        ),
        json!({"spearman": r1.spearman, "energy": r1.energy}),
        r1.spearman <= 0.5,
    ));
    let (h1, e1, ef) = (
        mean(&r1.hfrac),
        ratio_med(&r1.energy),
        ratio_med(&fr.energy),
    );
    out.push(Claim::new(
        "fig9.rank_one_not_2d_smooth",
        ClaimKind::Observation,
        "Rank-one V components violate the 2-D smoothness assumption, exhibiting variation only in the horizontal direction (paper App. E, Fig. 9 row 1).",
        format!("for k < {ke}: share of the Dirichlet energy in horizontal differences ≥ 0.8, and median E(u_k)/E(DST2D_k) ≥ 2 (the 2-D DST ordered by frequency is the smoothest basis of each size)"),
        format!(
            "horizontal share {} (full-rank {}); median E(u_k)/E(DST2D_k) {} (full-rank {})",
            fx(h1, 3),
            fx(mean(&fr.hfrac), 3),
            g(e1),
            g(ef)
        ),
        json!({"mean_horizontal_fraction": h1, "median_energy_ratio_vs_dst2d": e1, "full_rank_median_energy_ratio": ef}),
        h1 >= 0.8 && e1 >= 2.0,
    ));
    out
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
