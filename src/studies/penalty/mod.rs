//! The spectral penalty of an activation, measured and held against A
//! (`gdshrink penalty`): |F\[φ\]|² by FFT beside its closed form, the penalty
//! exponent over a band, and s_k/s_0 of the design against
//! √(ρ(ν_0)/ρ(ν_k)) with the GD masks that follow (see
//! [`crate::spectral::penalty`] for the conventions).

#[cfg(feature = "plot")]
mod figure;

#[cfg(feature = "plot")]
pub use figure::penalty_figure;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Design;
use crate::spectral::penalty::{
    Agreement, AgreementSpec, FftGrid, LogLogFit, PowerSpectrum, Window, agreement, analytic_power,
    component_frequency, penalty_exponent, power_spectrum,
};
use crate::spectral::singular_values;

/// What `penalty` computes.
#[derive(Clone, Debug)]
pub struct PenaltyConfig {
    /// The design whose activation, σ, N, M are studied.
    pub design: Design,
    /// Band \[lo, hi\] of the exponent fit, cycles per unit z.
    pub exponent_band: (f64, f64),
    /// Components \[k_lo, k_hi\] of the agreement (`None`: \[1, min(N, M)/4\]).
    pub k_band: Option<(usize, usize)>,
    /// Smallest s_k/s_0 (measured and predicted) the agreement trusts.
    pub floor: f64,
    /// Step counts of the mask comparison.
    pub qs: Vec<u64>,
    /// Rows of the penalty table (log-spaced frequencies).
    pub rows: usize,
}

impl PenaltyConfig {
    /// The defaults: exponent band \[0.05, 1\], k ∈ \[1, r/4\], floor 1e−8,
    /// q ∈ {10, 100, 10³, 10⁴, 10⁵}, 16 table rows.
    pub fn new(design: Design) -> Self {
        PenaltyConfig {
            design,
            exponent_band: (0.05, 1.0),
            k_band: None,
            floor: 1e-8,
            qs: vec![10, 100, 1_000, 10_000, 100_000],
            rows: 16,
        }
    }
}

/// One row of the penalty table.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PenaltyRow {
    /// Frequency, cycles per unit z.
    pub nu: f64,
    /// |F\[φ\](ν)|² measured.
    pub power: f64,
    /// |F\[φ\](ν)|² in closed form (NaN where there is none).
    pub analytic: f64,
    /// ρ(ν) = 1/|F\[φ\](ν)|² measured.
    pub penalty: f64,
}

/// The result of [`run`].
#[derive(Clone, Debug, Serialize)]
pub struct PenaltyReport {
    /// Activation name.
    pub activation: String,
    /// σ, N, M of the design.
    pub sigma: f64,
    /// Samples.
    pub n: usize,
    /// Width.
    pub m: usize,
    /// The FFT grid.
    pub grid: FftGrid,
    /// Derivative order of the route.
    pub derivative_order: u32,
    /// Window.
    pub window: Window,
    /// Band of the exponent fit (cycles per unit z).
    pub exponent_band: (f64, f64),
    /// Log-log fit of ρ over the band: the slope is the penalty exponent.
    pub exponent: LogLogFit,
    /// The same fit of the closed form (None without one, or where it is not a power).
    pub exponent_analytic: Option<LogLogFit>,
    /// Largest relative difference of measured and closed-form |F|² over the
    /// band, at frequencies where the closed form is above 1e−30 (None without one).
    pub analytic_max_rel: Option<f64>,
    /// Log-spaced rows.
    pub table: Vec<PenaltyRow>,
    /// The whole measured spectrum.
    #[serde(skip)]
    pub spectrum: PowerSpectrum,
    /// s_k/s_0 against the prediction.
    pub agreement: Agreement,
}

/// Measures the penalty of the design's activation and holds it against A.
pub fn run(cfg: &PenaltyConfig) -> Result<PenaltyReport> {
    let d = &cfg.design;
    let (lo, hi) = cfg.exponent_band;
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo && hi <= 8.0) {
        return Err(Error::invalid(
            "exponent band",
            format!("{lo}:{hi}"),
            "LO:HI with 0 < LO < HI <= 8 (cycles per unit z)",
        ));
    }
    if !(cfg.floor.is_finite() && cfg.floor > 0.0 && cfg.floor < 1.0) {
        return Err(Error::invalid("floor", cfg.floor, "a number in (0, 1)"));
    }
    let r = d.n().min(d.m());
    let (k_lo, k_hi) = cfg
        .k_band
        .unwrap_or((1, (r / 4).max(4).min(r.saturating_sub(1))));
    let grid = FftGrid::for_design(d.sigma(), component_frequency(r))?;
    let act = d.activation();
    let spectrum = power_spectrum(act, grid)?;
    let exponent = penalty_exponent(&spectrum, lo, hi)?;
    let band_nu: Vec<f64> = spectrum
        .nu
        .iter()
        .copied()
        .filter(|n| (lo..=hi).contains(n))
        .collect();
    let analytic: Vec<Option<f64>> = band_nu.iter().map(|&n| analytic_power(act, n)).collect();
    let exponent_analytic = if analytic.iter().all(Option::is_some) {
        let pen: Vec<f64> = analytic
            .iter()
            .map(|p| 1.0 / p.unwrap_or(f64::NAN))
            .collect();
        crate::spectral::penalty::loglog_fit(&band_nu, &pen).ok()
    } else {
        None
    };
    let analytic_max_rel = analytic.iter().all(Option::is_some).then(|| {
        band_nu
            .iter()
            .zip(&analytic)
            .filter_map(|(&n, a)| {
                let a = (*a)?;
                let p = spectrum.at(n)?;
                (a > 1e-30).then(|| ((p - a) / a).abs())
            })
            .fold(0.0, f64::max)
    });
    let table = log_rows(&spectrum, cfg.rows);
    let s = singular_values(d.matrix().as_ref())?;
    let agreement = agreement(
        &s,
        d.sigma(),
        &spectrum,
        &AgreementSpec {
            k_lo,
            k_hi,
            floor: cfg.floor,
            qs: cfg.qs.clone(),
        },
    )?;
    Ok(PenaltyReport {
        activation: act.name(),
        sigma: d.sigma(),
        n: d.n(),
        m: d.m(),
        grid,
        derivative_order: spectrum.order,
        window: spectrum.window,
        exponent_band: (lo, hi),
        exponent,
        exponent_analytic,
        analytic_max_rel,
        table,
        spectrum,
        agreement,
    })
}

/// `points` log-spaced frequencies from 1/64 to 8 cycles per unit z (the
/// range of the penalty table, and of `reproduce`'s `rho` table).
pub fn log_frequencies(points: usize) -> Vec<f64> {
    let (a, b) = (1.0f64 / 64.0, 8.0f64);
    (0..points)
        .map(|i| {
            let t = if points > 1 {
                i as f64 / (points - 1) as f64
            } else {
                0.0
            };
            a * (b / a).powf(t)
        })
        .collect()
}

/// `rows` log-spaced rows from 1/64 to 8 cycles per unit z.
fn log_rows(spec: &PowerSpectrum, rows: usize) -> Vec<PenaltyRow> {
    log_frequencies(rows)
        .into_iter()
        .filter_map(|v| {
            let (nu, power) = spec.nearest(v)?;
            Some(PenaltyRow {
                nu,
                power,
                analytic: analytic_power(spec.activation, nu).unwrap_or(f64::NAN),
                penalty: 1.0 / power,
            })
        })
        .collect()
}
