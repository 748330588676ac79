//! Fig. 9's files: the energies, the components shown (NPY), the 2-D DST
//! fields, the heatmaps and the energy plot.

use std::path::Path;

use super::Config;
use super::compute::Energies;
use crate::error::Result;
use crate::output::array::Table;
use crate::output::plot::{Figure, Heatmap, Legend, LinePanel, Panel, Scale, Series};
use crate::studies::reproduce::format::fx;
use crate::studies::reproduce::output::{save_figure, write_npy, write_table};

fn ks(e: &Energies) -> Vec<f64> {
    (0..e.ke).map(|k| k as f64).collect()
}

/// The DST fields of the shown k.
fn shown_dst<'a>(cfg: &Config, e: &'a Energies) -> Vec<&'a (usize, usize, Vec<f64>)> {
    cfg.ks_show.iter().filter_map(|&k| e.dst.get(k)).collect()
}

/// Writes `energy.csv`, `u_rank_one.npy`, `u_full_rank.npy` and `dst2d.npy`;
/// returns their relative paths.
pub(super) fn write_data(cfg: &Config, out: &Path, e: &Energies) -> Result<Vec<String>> {
    let (g, ke) = (cfg.g, e.ke);
    let mut t = Table::new().with("k", ks(e));
    for v in &e.variants {
        let key = v.key();
        t.push(format!("energy_{key}"), v.energy[..ke].to_vec());
        t.push(format!("horizontal_fraction_{key}"), v.hfrac[..ke].to_vec());
    }
    t.push("energy_dst2d", e.dst_e.iter().map(|e| e.0).collect());
    t.push(
        "horizontal_fraction_dst2d",
        e.dst_e.iter().map(|e| e.1).collect(),
    );
    let mut files = vec![write_table(out, "fig9/energy.csv", &t)?];
    for v in &e.variants {
        let data: Vec<f64> = v.shown.iter().flatten().copied().collect();
        files.push(write_npy(
            out,
            &format!("fig9/u_{}.npy", v.key()),
            &[v.shown.len() as u64, g as u64, g as u64],
            &data,
        )?);
    }
    let shown_dst = shown_dst(cfg, e);
    files.push(write_npy(
        out,
        "fig9/dst2d.npy",
        &[shown_dst.len() as u64, g as u64, g as u64],
        &shown_dst
            .iter()
            .flat_map(|d| d.2.iter().copied())
            .collect::<Vec<_>>(),
    )?);
    Ok(files)
}

/// `fig9` (the heatmaps) and `energy` (Dirichlet energy vs k).
pub(super) fn plots(cfg: &Config, out: &Path, e: &Energies) -> Result<Vec<String>> {
    Ok(vec![
        save_figure(out, "fig9/fig9", &heatmaps(cfg, e))?,
        save_figure(out, "fig9/energy", &energy_figure(e))?,
    ])
}

/// u_k of both variants and the 2-D DST fields, one row each.
fn heatmaps(cfg: &Config, e: &Energies) -> Figure {
    let g = cfg.g;
    let mut panels = Vec::new();
    for v in &e.variants {
        for (k, u) in cfg.ks_show.iter().zip(&v.shown) {
            panels.push(Panel::Heat(Heatmap {
                title: format!("{} u_{k}", v.name),
                rows: g,
                cols: g,
                values: u.clone(),
            }));
        }
    }
    for (k, d) in cfg.ks_show.iter().zip(&shown_dst(cfg, e)) {
        panels.push(Panel::Heat(Heatmap {
            title: format!("2-D DST #{k} (kx={}, ky={})", d.0, d.1),
            rows: g,
            cols: g,
            values: d.2.clone(),
        }));
    }
    let cols = cfg.ks_show.len().max(1);
    Figure::new(
        format!(
            "Fig. 9 — 2-D principal components (ReLU, {g}×{g} grid, M = {})",
            cfg.m
        ),
        cols,
        panels,
    )
    .panel_size(260, 280)
}

fn energy_figure(e: &Energies) -> Figure {
    let (v, ke, ks) = (&e.variants, e.ke, ks(e));
    Figure::new(
        "Fig. 9 — smoothness of u_k: Dirichlet energy vs k",
        1,
        vec![Panel::Lines(LinePanel {
            title: format!(
                "Spearman(k, E): rank-one {}, full-rank {}",
                fx(v[0].spearman, 3),
                fx(v[1].spearman, 3)
            ),
            x_label: "component k".into(),
            y_label: "Σ neighbour differences² / ‖u‖²".into(),
            y_scale: Scale::Log,
            series: vec![
                Series::new("rank-one V", ks.clone(), v[0].energy[..ke].to_vec(), 1).markers(),
                Series::new("full-rank V", ks.clone(), v[1].energy[..ke].to_vec(), 0).markers(),
                Series::new(
                    "2-D DST (by frequency)",
                    ks.clone(),
                    e.dst_e.iter().map(|e| e.0).collect(),
                    9,
                ),
            ],
            legend: Legend::LowerRight,
            ..LinePanel::default()
        })],
    )
    .panel_size(900, 500)
}
