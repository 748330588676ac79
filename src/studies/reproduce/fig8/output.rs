//! Fig. 8's files: the q(K) table and the plot.

use std::path::Path;

use super::Config;
use super::compute::QTables;
use crate::error::Result;
use crate::output::array::Table;
use crate::output::plot::{Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::spectral::qk::QkRow;
use crate::studies::reproduce::output::{q_value, save_figure, write_table_csv_npy};

fn ks(q: &QTables) -> Vec<f64> {
    (1..=q.k_max).map(|k| k as f64).collect()
}

fn qcol(rows: &[QkRow]) -> Vec<f64> {
    rows.iter().map(|r| q_value(r.q)).collect()
}

/// Writes `qk.{csv,npy}`; returns their relative paths.
pub(super) fn write_data(out: &Path, q: &QTables) -> Result<Vec<String>> {
    let mut t = Table::new().with("K", ks(q));
    for (a, rows) in &q.tables {
        t.push(a.name(), qcol(rows));
    }
    write_table_csv_npy(out, "fig8/qk", &t)
}

/// q(K) per activation on a log scale.
pub(super) fn plot(cfg: &Config, out: &Path, q: &QTables) -> Result<String> {
    let series = q
        .tables
        .iter()
        .enumerate()
        .map(|(i, (a, rows))| {
            let lbl = if a.is_scale_equivariant() {
                a.name()
            } else {
                format!("{a} (σ = M)")
            };
            Series::new(lbl, ks(q), qcol(rows), i)
        })
        .collect();
    let fig = Figure::new(
        format!(
            "Fig. 8 — iterations q(K) to keep K components, N = {}, M = {}",
            cfg.n, cfg.m
        ),
        1,
        vec![Panel::Lines(LinePanel {
            title: "q(K) = ⌈(s_0 / s_(K−1))²⌉, α = 1/s_max²".into(),
            x_label: "K (active components)".into(),
            y_label: "q(K)".into(),
            y_scale: Scale::Log,
            series,
            legend: Legend::UpperLeft,
            ..LinePanel::default()
        })],
    )
    .panel_size(900, 540);
    save_figure(out, "fig8/fig8", &fig)
}
