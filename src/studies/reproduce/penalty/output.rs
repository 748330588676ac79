//! The penalty figure's files: the summary, the spectra against the
//! prediction, the masks, the measured penalties, one plot per activation and
//! an overview.

use std::path::Path;

use super::Config;
use crate::error::Result;
use crate::output::array::Table;
use crate::output::plot::{Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::studies::penalty::{PenaltyReport, log_frequencies, penalty_figure};
use crate::studies::reproduce::output::{save_figure, write_csv, write_table_csv_npy};

/// Points of the common log-spaced ν grid of `rho.csv` (1/64 … 8 cycles per unit z).
const RHO_POINTS: usize = 200;

/// Penalties above this are not drawn: |F|² below 1e−26 is the FFT's
/// rounding floor (ε·∫|φ⁽ⁿ⁾| squared, ≈ 1e−30 here), not the transform.
const RHO_SHOWN: f64 = 1e26;

/// Colours wrap after ten series: the ones past ten are dashed.
fn styled(s: Series, i: usize) -> Series {
    if i >= 10 { s.dash(Dash::Dashed) } else { s }
}

fn rho_grid() -> Vec<f64> {
    log_frequencies(RHO_POINTS)
}

/// ρ at the common grid (NaN outside the measured range or where |F|² = 0).
fn rho_at(r: &PenaltyReport, nu: &[f64]) -> Vec<f64> {
    nu.iter()
        .map(|&v| {
            r.spectrum
                .penalty(v)
                .filter(|p| p.is_finite())
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// Writes `summary.csv`, `spectra.{csv,npy}`, `rho.{csv,npy}` and `masks.csv`
/// under `penalty/`; returns their relative paths.
pub(super) fn write_data(out: &Path, reports: &[PenaltyReport]) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let header = [
        "activation",
        "sigma",
        "exponent",
        "exponent_closed_form",
        "closed_form_max_rel",
        "k_lo",
        "k_hi",
        "slope_measured",
        "slope_predicted",
        "correlation",
        "max_log_ratio",
    ];
    let opt = |v: Option<f64>| v.map_or("nan".to_string(), |x| format!("{x:e}"));
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let a = &r.agreement;
            vec![
                r.activation.clone(),
                format!("{}", r.sigma),
                format!("{:e}", r.exponent.slope),
                opt(r.exponent_analytic.map(|f| f.slope)),
                opt(r.analytic_max_rel),
                a.band.0.to_string(),
                a.band.1.to_string(),
                format!("{:e}", a.fit_measured.slope),
                format!("{:e}", a.fit_predicted.slope),
                format!("{:e}", a.correlation),
                format!("{:e}", a.max_log_ratio),
            ]
        })
        .collect();
    files.push(write_csv(out, "penalty/summary.csv", &header, &rows)?);

    if let Some(first) = reports.first() {
        let a = &first.agreement;
        let mut t = Table::new()
            .with("k", a.k.iter().map(|&k| k as f64).collect())
            .with("nu", a.nu.clone());
        for r in reports {
            t.push(
                format!("{}_measured", r.activation),
                r.agreement.measured.clone(),
            );
            t.push(
                format!("{}_predicted", r.activation),
                r.agreement.predicted.clone(),
            );
        }
        files.extend(write_table_csv_npy(out, "penalty/spectra", &t)?);
    }

    let nu = rho_grid();
    let mut t = Table::new().with("nu", nu.clone());
    for r in reports {
        t.push(r.activation.clone(), rho_at(r, &nu));
    }
    files.extend(write_table_csv_npy(out, "penalty/rho", &t)?);

    let rows: Vec<Vec<String>> = reports
        .iter()
        .flat_map(|r| {
            r.agreement.masks.iter().map(move |m| {
                vec![
                    r.activation.clone(),
                    m.q.to_string(),
                    m.kept_measured.to_string(),
                    m.kept_predicted.to_string(),
                ]
            })
        })
        .collect();
    files.push(write_csv(
        out,
        "penalty/masks.csv",
        &["activation", "q", "kept_measured", "kept_predicted"],
        &rows,
    )?);
    Ok(files)
}

/// The overview (every ρ; measured against predicted s_k/s_0) first, then one
/// two-panel figure per activation (`gdshrink penalty --plot`'s figure).
pub(super) fn plots(cfg: &Config, out: &Path, reports: &[PenaltyReport]) -> Result<Vec<String>> {
    let mut paths = vec![save_figure(
        out,
        "penalty/penalty",
        &overview(cfg, reports),
    )?];
    for r in reports {
        paths.push(save_figure(
            out,
            &format!("penalty/{}", r.activation),
            &penalty_figure(r),
        )?);
    }
    Ok(paths)
}

fn overview(cfg: &Config, reports: &[PenaltyReport]) -> Figure {
    let nu = rho_grid();
    let rho = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = rho_at(r, &nu)
                .into_iter()
                .map(|v| if v <= RHO_SHOWN { v } else { f64::NAN })
                .collect();
            styled(Series::new(r.activation.clone(), nu.clone(), y, i), i)
        })
        .collect();
    let mut pairs: Vec<Series> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = &r.agreement;
            let band = a.band.0..=a.band.1;
            Series::new(
                format!("{} (corr {:.3})", r.activation, a.correlation),
                a.predicted[band.clone()].to_vec(),
                a.measured[band].to_vec(),
                i,
            )
            .width(0)
            .markers()
        })
        .collect();
    let lo = reports
        .iter()
        .flat_map(|r| {
            let b = r.agreement.band.0..=r.agreement.band.1;
            r.agreement.predicted[b].to_vec()
        })
        .filter(|v| *v > 0.0)
        .fold(1.0, f64::min);
    pairs.push(
        Series::new("measured = predicted", vec![lo, 1.0], vec![lo, 1.0], 9).dash(Dash::Dashed),
    );
    Figure::new(
        format!(
            "Spectral penalty vs the spectrum of A (N = M = {}, sigma = {})",
            cfg.n, cfg.sigma
        ),
        2,
        vec![
            Panel::Lines(LinePanel {
                title: "measured penalty rho(nu) = 1/|F[phi](nu)|^2 (up to 1e26: the FFT's floor)"
                    .into(),
                x_label: "nu (cycles per unit z)".into(),
                y_label: "rho(nu)".into(),
                x_scale: Scale::Log,
                y_scale: Scale::Log,
                series: rho,
                legend: Legend::UpperLeft,
                ..LinePanel::default()
            }),
            Panel::Lines(LinePanel {
                title: "s_k/s_0 of A against sqrt(rho(nu_0)/rho(nu_k)), agreement band".into(),
                x_label: "predicted s_k/s_0".into(),
                y_label: "measured s_k/s_0".into(),
                x_scale: Scale::Log,
                y_scale: Scale::Log,
                series: pairs,
                legend: Legend::UpperLeft,
                ..LinePanel::default()
            }),
        ],
    )
    .panel_size(760, 560)
}
