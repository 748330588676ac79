//! The figure of a [`PenaltyReport`]: (a) the measured penalty ρ(ν) =
//! 1/|F\[φ\](ν)|² against its closed form, (b) s_k/s_0 against the prediction
//! √(ρ(ν_0)/ρ(ν_k)), with the agreement band shaded.

use super::PenaltyReport;
use crate::output::plot::{Band, Dash, Figure, Legend, LinePanel, Panel, Scale, Series};
use crate::spectral::penalty::analytic_power;

/// Points of the penalty curve (log-spaced over the measured range).
const CURVE_POINTS: usize = 400;

/// The two-panel figure of `r`.
pub fn penalty_figure(r: &PenaltyReport) -> Figure {
    let sp = &r.spectrum;
    let (lo, hi) = (sp.grid.dnu() * 4.0, sp.grid.nu_max());
    let mut nu = Vec::with_capacity(CURVE_POINTS);
    let mut measured = Vec::with_capacity(CURVE_POINTS);
    let mut closed = Vec::with_capacity(CURVE_POINTS);
    for i in 0..CURVE_POINTS {
        let t = i as f64 / (CURVE_POINTS - 1) as f64;
        if let Some((n, p)) = sp.nearest(lo * (hi / lo).powf(t)) {
            nu.push(n);
            measured.push(1.0 / p);
            closed.push(analytic_power(sp.activation, n).map_or(f64::NAN, |a| 1.0 / a));
        }
    }
    // Penalties beyond 1e300 (sinc past ½, the Gaussian's tail) are cut.
    let cap = |v: Vec<f64>| -> Vec<f64> {
        v.into_iter()
            .map(|x| if x < 1e300 { x } else { f64::NAN })
            .collect()
    };
    let mut series = vec![Series::new("measured (FFT)", nu.clone(), cap(measured), 0)];
    if closed.iter().any(|v| v.is_finite()) {
        series.push(Series::new("closed form", nu, cap(closed), 1).dash(Dash::Dashed));
    }
    let pen = LinePanel {
        title: format!(
            "{}: rho = 1/|F[phi]|^2, slope {:.3} over [{}, {}]",
            r.activation, r.exponent.slope, r.exponent_band.0, r.exponent_band.1
        ),
        x_label: "nu (cycles per unit z)".into(),
        y_label: "rho(nu)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        series,
        legend: Legend::UpperLeft,
        ..LinePanel::default()
    };
    let a = &r.agreement;
    let keep = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .map(|&x| if x > 1e-16 { x } else { f64::NAN })
            .collect()
    };
    let sv = LinePanel {
        title: format!(
            "sigma = {}, N = {}, M = {}: slopes {:.2} (A) vs {:.2} (penalty), corr {:.3}",
            r.sigma, r.n, r.m, a.fit_measured.slope, a.fit_predicted.slope, a.correlation
        ),
        x_label: "nu_k = (k + 1/2)/2 (cycles per unit x)".into(),
        y_label: "s_k / s_0".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        series: vec![
            Series::new("s_k/s_0 of A", a.nu.clone(), keep(&a.measured), 0)
                .width(0)
                .markers(),
            Series::new(
                "sqrt(rho(nu_0)/rho(nu_k))",
                a.nu.clone(),
                keep(&a.predicted),
                1,
            ),
        ],
        bands: vec![Band {
            x0: a.nu[a.band.0],
            x1: a.nu[a.band.1],
            color: 7,
        }],
        legend: Legend::LowerLeft,
        ..LinePanel::default()
    };
    Figure::new(
        format!("spectral penalty of {}", r.activation),
        2,
        vec![Panel::Lines(pen), Panel::Lines(sv)],
    )
}
