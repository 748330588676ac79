//! Fig. 3's files: the spectra table and the two-panel plot.

use std::path::Path;

use super::Config;
use super::compute::Spectra;
use crate::error::Result;
use crate::model::activation::Monotonicity;
use crate::output::array::Table;
use crate::output::plot::{Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::studies::reproduce::output::{save_figure, write_table_csv_npy};

/// Writes `spectra.{csv,npy}` (k below the shortest spectrum: K rows when
/// one came from the top-K route); returns their relative paths.
pub(super) fn write_data(out: &Path, sp: &Spectra) -> Result<Vec<String>> {
    let rows = sp.rows();
    let mut table = Table::new().with("k", (0..rows).map(|k| k as f64).collect());
    for (name, s) in &sp.columns {
        table.push(name.clone(), s[..rows].to_vec());
    }
    write_table_csv_npy(out, "fig3/spectra", &table)
}

/// (a) monotonic and quasi-monotonic, (b) non-monotonic spectra, k < k_plot;
/// each curve ends where its values stop being resolved (see `compute::need`).
pub(super) fn plot(cfg: &Config, out: &Path, spectra: &Spectra) -> Result<String> {
    let kmax = cfg.k_plot.min(cfg.n.min(cfg.m));
    let ks: Vec<f64> = (0..kmax).map(|k| k as f64).collect();
    let mut mono = Vec::new();
    let mut nonmono = Vec::new();
    for (ci, &a) in cfg.activations.iter().enumerate() {
        for (si, &sigma) in cfg.sigmas.iter().enumerate() {
            if a.is_scale_equivariant() && si > 0 {
                continue;
            }
            let Some(s) = spectra.get(a, sigma) else {
                continue;
            };
            let label = if a.is_scale_equivariant() {
                format!("{a} (any σ)")
            } else {
                format!("{a} σ={sigma}")
            };
            let end = kmax.min(spectra.resolved(a, sigma));
            let ser = Series::new(label, ks[..end].to_vec(), s[..end].to_vec(), ci)
                .dash(if si == 0 { Dash::Solid } else { Dash::Dashed });
            if a.class() == Monotonicity::NonMonotonic {
                nonmono.push(ser);
            } else {
                mono.push(ser);
            }
        }
    }
    let panel = |title: &str, series: Vec<Series>| {
        Panel::Lines(LinePanel {
            title: title.into(),
            x_label: "component k".into(),
            y_label: "s_k / s_0".into(),
            y_scale: Scale::Log,
            y_range: Some((1e-8, 2.0)),
            series,
            legend: Legend::UpperRight,
            ..LinePanel::default()
        })
    };
    let fig = Figure::new(
        format!("Fig. 3 — normalized spectra, N = {}, M = {}", cfg.n, cfg.m),
        2,
        vec![
            panel("(a) monotonic and quasi-monotonic", mono),
            panel("(b) non-monotonic", nonmono),
        ],
    )
    .panel_size(640, 480);
    save_figure(out, "fig3/fig3", &fig)
}
