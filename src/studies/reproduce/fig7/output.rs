//! Fig. 7's files: the columns, the column similarities, the equivalence gaps
//! and the plot.

use std::path::Path;

use super::Config;
use super::compute::{Column, Equivalence, grid, spline_activation};
use crate::error::Result;
use crate::output::array::Table;
use crate::output::plot::{Dash, Figure, Legend, LinePanel, Panel, Series};
use crate::studies::reproduce::format::fx;
use crate::studies::reproduce::output::{save_figure, write_csv, write_table};

/// Writes `columns.npy`, `column_similarity.csv` and `equivalence.csv`;
/// returns their relative paths.
pub(super) fn write_data(
    cfg: &Config,
    out: &Path,
    cols: &[Column],
    eq: &[Equivalence],
) -> Result<Vec<String>> {
    let m = cfg.m_cols;
    let mut t = Table::new().with("x", grid(m));
    for (cm, c, e) in cols {
        t.push(format!("nabla_inv_r{}_m{}", cm.r, cm.m), c.clone());
        t.push(format!("eta_r{}_b{}", cm.r, cm.m), e.clone());
    }
    let mut files = vec![write_table(out, "fig7/columns.npy", &t)?];
    files.push(write_csv(
        out,
        "fig7/column_similarity.csv",
        &[
            "r",
            "m",
            "M",
            "abs_cos_b_m_over_M",
            "abs_cos_b_m_minus_1_over_M",
        ],
        &cols
            .iter()
            .map(|(c, _, _)| {
                vec![
                    c.r.to_string(),
                    c.m.to_string(),
                    m.to_string(),
                    format!("{}", c.cos_paper),
                    format!("{}", c.cos_shifted),
                ]
            })
            .collect::<Vec<_>>(),
    )?);
    files.push(write_csv(
        out,
        "fig7/equivalence.csv",
        &[
            "r",
            "lam_rel",
            "ridge_vs_spline",
            "net_b_m_over_M_vs_spline",
            "net_b_m_over_M_matrix_mismatch",
            "net_b_m_minus_1_over_M_vs_spline",
            "net_b_m_minus_1_over_M_matrix_mismatch",
        ],
        &eq.iter()
            .map(|e| {
                vec![
                    e.r.to_string(),
                    format!("{}", e.lam_rel),
                    format!("{}", e.ridge_vs_spline),
                    format!("{}", e.net_paper_vs_spline),
                    format!("{}", e.net_paper_mismatch),
                    format!("{}", e.net_shifted_vs_spline),
                    format!("{}", e.net_shifted_mismatch),
                ]
            })
            .collect::<Vec<_>>(),
    )?);
    Ok(files)
}

/// Plot: columns normalized to max 1 (solid) and the shifted splines (dashed),
/// one panel per r.
pub(super) fn plot(cfg: &Config, out: &Path, cols: &[Column]) -> Result<String> {
    let m = cfg.m_cols;
    let x = grid(m);
    let stride = m.div_ceil(1000).max(1);
    let xs: Vec<f64> = x.iter().step_by(stride).copied().collect();
    let norm = |v: &[f64]| {
        let mx = v.iter().copied().fold(0.0f64, |a, b| a.max(b.abs()));
        let mx = if mx > 0.0 { mx } else { 1.0 };
        v.iter()
            .step_by(stride)
            .map(|e| e / mx)
            .collect::<Vec<f64>>()
    };
    let panels = cfg
        .rs
        .iter()
        .map(|&r| {
            let mut series = Vec::new();
            for (i, (cm, c, e)) in cols.iter().filter(|(cm, _, _)| cm.r == r).enumerate() {
                series.push(Series::new(
                    format!("∇^-{r} col m={}", cm.m),
                    xs.clone(),
                    norm(c),
                    i,
                ));
                series.push(
                    Series::new(
                        format!(
                            "{} b=m/M |cos| {}",
                            spline_activation(r),
                            fx(cm.cos_paper, 5)
                        ),
                        xs.clone(),
                        norm(e),
                        i,
                    )
                    .dash(Dash::Dashed)
                    .width(1),
                );
            }
            Panel::Lines(LinePanel {
                title: format!("r = {r}"),
                x_label: "x".into(),
                y_label: "column / max".into(),
                series,
                legend: Legend::UpperLeft,
                ..LinePanel::default()
            })
        })
        .collect();
    let fig = Figure::new(
        format!("Fig. 7 — columns of ∇^-r vs shifted splines, M = {m}"),
        3,
        panels,
    )
    .panel_size(520, 420);
    save_figure(out, "fig7/fig7", &fig)
}
