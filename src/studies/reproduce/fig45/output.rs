//! Fig. 4/5's files: the components per activation, the similarity table and
//! the plot.

use std::path::Path;

use super::Config;
use super::compute::ActResult;
use crate::error::Result;
use crate::model::activation::Activation;
use crate::output::array::Table;
use crate::output::plot::{Figure, Legend, LinePanel, Panel, Series};
use crate::spectral::dst_basis;
use crate::studies::reproduce::format::fx;
use crate::studies::reproduce::output::{save_figure, write_csv, write_table};

/// Writes `pcs_<activation>.csv` (x, u_k, d_k) per activation and
/// `dst_similarity.csv`; returns their relative paths.
pub(super) fn write_data(cfg: &Config, out: &Path, results: &[ActResult]) -> Result<Vec<String>> {
    let id = cfg.id.as_str();
    let mut files = Vec::new();
    for r in results {
        let mut t = Table::new().with("x", r.x.clone());
        for (k, v) in r.ks.iter().zip(&r.u) {
            t.push(format!("u{k}"), v.clone());
        }
        for &k in &r.ks {
            t.push(format!("d{k}"), dst_basis(&r.x, k));
        }
        files.push(write_table(
            out,
            &format!("{id}/pcs_{}.csv", r.activation),
            &t,
        )?);
    }
    let mut rows = Vec::new();
    for r in results {
        for (mt, j) in r.matches.iter().zip(&r.rough) {
            rows.push(vec![
                r.activation.name(),
                mt.k.to_string(),
                format!("{}", mt.abs_cos),
                mt.best_j.to_string(),
                format!("{}", mt.best_abs_cos),
                format!("{}", mt.fourier_pair_proj),
                format!("{j}"),
            ]);
        }
    }
    files.push(write_csv(
        out,
        &format!("{id}/dst_similarity.csv"),
        &[
            "activation",
            "k",
            "abs_cos_dk",
            "best_j",
            "best_abs_cos",
            "pair_projection",
            "roughness",
        ],
        &rows,
    )?);
    Ok(files)
}

/// One panel of components per activation.
pub(super) fn plot(cfg: &Config, out: &Path, results: &[ActResult]) -> Result<String> {
    let id = cfg.id.as_str();
    let x_all = results.last().map_or(&[][..], |r| &r.x[..]);
    let panels = results
        .iter()
        .map(|r| {
            let series = r
                .matches
                .iter()
                .zip(&r.u)
                .enumerate()
                .map(|(i, (mt, u))| {
                    let label = if r.activation == Activation::Tanh {
                        format!("k={} pair {}", mt.k, fx(mt.fourier_pair_proj, 4))
                    } else {
                        format!("k={} |cos| {}", mt.k, fx(mt.abs_cos, 4))
                    };
                    Series::new(label, x_all.to_vec(), u.clone(), i)
                })
                .collect();
            let sigma = if r.activation == Activation::Tanh {
                format!(" (σ = M = {})", cfg.m)
            } else {
                String::new()
            };
            Panel::Lines(LinePanel {
                title: format!("{}{sigma}", r.activation),
                x_label: "x".into(),
                y_label: "u_k(x)".into(),
                series,
                legend: Legend::LowerLeft,
                ..LinePanel::default()
            })
        })
        .collect();
    let fig = Figure::new(
        format!(
            "{} — principal components u_k, N = {}, M = {}",
            cfg.label(),
            cfg.n,
            cfg.m
        ),
        2,
        panels,
    );
    save_figure(out, &format!("{id}/{id}"), &fig)
}
