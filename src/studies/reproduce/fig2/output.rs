//! Fig. 2's files: the mask table, the grey-zone table and the plot.

use std::path::Path;

use super::Config;
use super::compute::{Masks, Zone};
use crate::error::Result;
use crate::output::array::Table;
use crate::output::plot::{Band, Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::studies::reproduce::output::{save_figure, write_table, write_table_csv_npy};

/// Writes `masks.{csv,npy}` and `grey_zone.csv`; returns their relative paths.
pub(super) fn write_data(out: &Path, m: &Masks) -> Result<Vec<String>> {
    let mut table = Table::new().with("s", m.s.clone());
    for (z, (ex, fl)) in m.zones.iter().zip(&m.curves) {
        table.push(format!("exact_q{}", z.q), ex.clone());
        table.push(format!("flow_q{}", z.q), fl.clone());
    }
    let mut files = write_table_csv_npy(out, "fig2/masks", &table)?;
    let zones = &m.zones;
    let zt = Table::new()
        .with("q", zones.iter().map(|z| z.q as f64).collect())
        .with("flow_db", zones.iter().map(|z| Zone::db(z.flow)).collect())
        .with("flow_s_hi", zones.iter().map(|z| z.flow.0).collect())
        .with("flow_s_lo", zones.iter().map(|z| z.flow.1).collect())
        .with(
            "exact_db",
            zones.iter().map(|z| Zone::db(z.exact)).collect(),
        )
        .with("exact_s_hi", zones.iter().map(|z| z.exact.0).collect())
        .with("exact_s_lo", zones.iter().map(|z| z.exact.1).collect())
        .with("flow_exact_max_gap", m.max_gap.clone());
    files.push(write_table(out, "fig2/grey_zone.csv", &zt)?);
    Ok(files)
}

/// Plot: exact (solid) and flow (dashed) per q; the flow grey zone shaded.
pub(super) fn plot(cfg: &Config, out: &Path, m: &Masks) -> Result<String> {
    let mut series = Vec::new();
    let mut bands = Vec::new();
    for (i, (z, (ex, fl))) in m.zones.iter().zip(&m.curves).enumerate() {
        let q = z.q;
        series.push(Series::new(
            format!("q = {q} exact"),
            m.s.clone(),
            ex.clone(),
            i,
        ));
        series.push(
            Series::new(format!("q = {q} flow"), m.s.clone(), fl.clone(), i)
                .dash(Dash::Dashed)
                .width(1),
        );
        bands.push(Band {
            x0: z.flow.1,
            x1: z.flow.0,
            color: i,
        });
    }
    let panel = LinePanel {
        title: format!(
            "m(s; α=1, q): solid gd_exact, dashed gd_flow; shaded: flow grey zone (δ = {})",
            cfg.delta
        ),
        x_label: "singular value s (α = 1)".into(),
        y_label: "mask m(s)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        x_range: Some((cfg.s_min, 1.0)),
        y_range: Some((0.0, 1.05)),
        series,
        bands,
        legend: Legend::UpperLeft,
    };
    save_figure(
        out,
        "fig2/fig2",
        &Figure::new("Fig. 2 — GD masking function", 1, vec![Panel::Lines(panel)])
            .panel_size(900, 520),
    )
}
