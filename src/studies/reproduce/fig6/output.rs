//! Fig. 6's files: the PSNR tables of (a) and (b), the row with its
//! reconstructions, `fig6.json`, and the plots.

use std::path::Path;

use serde_json::json;

use super::compute::{Curve, Fig6Data, Psnr};
use super::{Config, TestSet};
use crate::error::Result;
use crate::model::grid::linspace;
use crate::output::array::Table;
use crate::output::plot::{BLACK_INDEX, Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::studies::reproduce::output::{q_value, save_figure, write_csv, write_table};

/// K as table and plot values.
fn ks_f64(data: &Fig6Data) -> Vec<f64> {
    data.ks.iter().map(|&k| k as f64).collect()
}

/// Writes `psnr_a.csv`, `psnr_b.csv`, `row.csv`, `row_columns.csv` and
/// `fig6.json`; returns their relative paths.
pub(super) fn write_data(cfg: &Config, out: &Path, data: &Fig6Data) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for (name, curves) in [("a", &data.a), ("b", &data.b)] {
        let tb = psnr_table(data, curves, cfg.test);
        files.push(write_table(out, &format!("fig6/psnr_{name}.csv"), &tb)?);
    }
    files.extend(write_row(cfg, out, data)?);
    let json_path = "fig6/fig6.json";
    crate::output::array::write_bytes(
        &out.join(json_path),
        serde_json::to_string_pretty(&json!({
            "signal": cfg.signal.label,
            "protocol": cfg.protocol,
            "psnr_sets": "all = every pixel; rest = odd pixels; interior_* = pixels in [L/16, 15L/16)",
            "data": data,
        }))
        .unwrap_or_default()
        .as_bytes(),
    )?;
    files.push(json_path.into());
    Ok(files)
}

/// σ, q and PSNR per activation, then the baselines, against K.
fn psnr_table(data: &Fig6Data, curves: &[Curve], t: TestSet) -> Table {
    let mut tb = Table::new().with("K", ks_f64(data));
    for c in curves {
        let act = c.activation.name();
        tb.push(format!("{act}_sigma"), c.sigma.clone());
        tb.push(
            format!("{act}_q"),
            c.q.iter().map(|q| q_value(*q)).collect(),
        );
        tb.push(
            format!("{act}_{t}"),
            c.exact.iter().map(|p| p.test(t)).collect(),
        );
        tb.push(
            format!("{act}_interior"),
            c.exact.iter().map(|p| p.interior(t)).collect(),
        );
        tb.push(
            format!("{act}_flow_{t}"),
            c.flow.iter().map(|p| p.test(t)).collect(),
        );
    }
    tb.push(
        format!("dst_{t}"),
        data.dst.iter().map(|p| p.test(t)).collect(),
    );
    tb.push(
        "dst_interior",
        data.dst.iter().map(|p| p.interior(t)).collect(),
    );
    tb.push(
        format!("dct_{t}"),
        data.dct.iter().map(|p| p.test(t)).collect(),
    );
    tb.push(
        "dct_interior",
        data.dct.iter().map(|p| p.interior(t)).collect(),
    );
    tb
}

/// `row.csv` (pixel, x, y, train flag, reconstructions) and `row_columns.csv`
/// (what each reconstruction column is).
fn write_row(cfg: &Config, out: &Path, data: &Fig6Data) -> Result<Vec<String>> {
    let mut rt = Table::new()
        .with("pixel", (0..data.l).map(|p| p as f64).collect())
        .with("x", linspace(data.l))
        .with("y", cfg.signal.values.clone())
        .with(
            "train",
            (0..data.l)
                .map(|p| f64::from(u8::from((p % 2) == 0)))
                .collect(),
        );
    for (i, (_, f)) in data.recon.iter().enumerate() {
        rt.push(format!("recon{i}"), f.clone());
    }
    Ok(vec![
        write_table(out, "fig6/row.csv", &rt)?,
        write_csv(
            out,
            "fig6/row_columns.csv",
            &["column", "meaning"],
            &data
                .recon
                .iter()
                .enumerate()
                .map(|(i, (lbl, _))| {
                    vec![
                        format!("recon{i}"),
                        format!("\"{lbl}, K = {}\"", data.recon_k),
                    ]
                })
                .collect::<Vec<_>>(),
        )?,
    ])
}

/// `fig6a`, `fig6b` (PSNR vs K) and `signal` (the row and its reconstructions).
pub(super) fn plots(cfg: &Config, out: &Path, data: &Fig6Data) -> Result<Vec<String>> {
    let t = cfg.test;
    let title_a = format!(
        "Fig. 6(a) — σ = M = {}, q = q(K) — {}",
        cfg.protocol.m, cfg.signal.label
    );
    let title_b = format!(
        "Fig. 6(b) — σ = K, q = {} — {}",
        cfg.protocol.q_b, cfg.signal.label
    );
    Ok(vec![
        save_figure(out, "fig6/fig6a", &psnr_figure(data, &data.a, t, &title_a))?,
        save_figure(out, "fig6/fig6b", &psnr_figure(data, &data.b, t, &title_b))?,
        save_figure(out, "fig6/signal", &signal_figure(cfg, data))?,
    ])
}

/// PSNR vs K on the test set and on its interior.
fn psnr_figure(data: &Fig6Data, curves: &[Curve], t: TestSet, title: &str) -> Figure {
    let ksf = ks_f64(data);
    let panel = |interior: bool| {
        let pick = |p: &Psnr| if interior { p.interior(t) } else { p.test(t) };
        let mut series: Vec<Series> = curves
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Series::new(
                    c.activation.name(),
                    ksf.clone(),
                    c.exact.iter().map(pick).collect(),
                    i,
                )
                .markers()
            })
            .collect();
        series.push(
            Series::new(
                "DST",
                ksf.clone(),
                data.dst.iter().map(pick).collect(),
                BLACK_INDEX,
            )
            .dash(Dash::Dashed)
            .markers(),
        );
        series.push(
            Series::new(
                "cos (extra)",
                ksf.clone(),
                data.dct.iter().map(pick).collect(),
                7,
            )
            .dash(Dash::Dotted)
            .width(1),
        );
        Panel::Lines(LinePanel {
            title: if interior {
                format!("interior of '{t}' pixels [L/16, 15L/16)")
            } else {
                format!("test set '{t}'")
            },
            x_label: "K (components kept)".into(),
            y_label: "PSNR (dB)".into(),
            x_scale: Scale::Log,
            series,
            legend: Legend::UpperLeft,
            ..LinePanel::default()
        })
    };
    Figure::new(title, 2, vec![panel(false), panel(true)]).panel_size(620, 440)
}

/// The row, its training pixels and the reconstructions at K = recon_k.
fn signal_figure(cfg: &Config, data: &Fig6Data) -> Figure {
    let y = &cfg.signal.values;
    let xs = linspace(data.l);
    let mut series = vec![
        Series::new("signal", xs.clone(), y.clone(), BLACK_INDEX).width(1),
        Series::new(
            "training pixels",
            (0..data.l).step_by(2).map(|p| xs[p]).collect(),
            (0..data.l).step_by(2).map(|p| y[p]).collect(),
            BLACK_INDEX,
        )
        .width(0),
    ];
    for (i, (lbl, f)) in data.recon.iter().enumerate() {
        series.push(Series::new(lbl.clone(), xs.clone(), f.clone(), i).width(1));
    }
    Figure::new(
        format!(
            "Fig. 6 — {} and reconstructions at K = {}",
            cfg.signal.label, data.recon_k
        ),
        1,
        vec![Panel::Lines(LinePanel {
            title: String::new(),
            x_label: "x".into(),
            y_label: "intensity".into(),
            series,
            legend: Legend::UpperRight,
            ..LinePanel::default()
        })],
    )
    .panel_size(1100, 460)
}
