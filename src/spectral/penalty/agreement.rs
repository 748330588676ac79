//! The prediction of the penalty against the singular values of A: component
//! k ↔ ν_k = (k+½)/2 cycles per unit x, s_k/s_0 ≈ |F\[φ\](ν_k/σ)|/|F\[φ\](ν_0/σ)|
//! (see the module docs of [`super`]), and the GD mask that follows. Since the
//! SVD sorts its values, the prediction is sorted too: s_k/s_0 is held
//! against the k-th largest |F\[φ\](ν_j/σ)|, j = 0..r−1, over the largest
//! (the same thing for every activation whose |F| decreases; not for the
//! band-pass wavepacket, whose components are matched by rank).

use serde::Serialize;

use super::{LogLogFit, PowerSpectrum, loglog_fit};
use crate::error::{Error, Result};
use crate::spectral::KEPT_LEVEL;

/// The frequency of component k (cycles per unit x on \[0, 1\]): (k+½)/2, the
/// frequency of the DST-like basis sin(π(k+½)x); k/2 asymptotically.
pub fn component_frequency(k: usize) -> f64 {
    0.5 * k as f64 + 0.25
}

/// Which components the agreement is measured over.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgreementSpec {
    /// First component of the band (k = 0 is the normalization point).
    pub k_lo: usize,
    /// Last component of the band, at most min(N, M) − 1; the band also ends
    /// before the first k where the measured or predicted s_k/s_0 falls below `floor`.
    pub k_hi: usize,
    /// Smallest normalized value trusted (above the SVD's rounding floor max(N,M)·ε).
    pub floor: f64,
    /// Step counts q at which the GD masks are compared.
    pub qs: Vec<u64>,
}

/// K(q), the components kept (mask ≥ 1 − 1/e) after q steps at α = 1/s_0², measured and predicted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MaskRow {
    /// Steps.
    pub q: u64,
    /// Kept components with the measured s_k.
    pub kept_measured: usize,
    /// Kept components with the predicted s_k.
    pub kept_predicted: usize,
}

/// Measured s_k/s_0 against the predicted |F\[φ\](ν_k/σ)|/|F\[φ\](ν_0/σ)|.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    /// σ of the design.
    pub sigma: f64,
    /// Components k = 0 .. r−1.
    pub k: Vec<usize>,
    /// ν_k = (k+½)/2, cycles per unit x.
    pub nu: Vec<f64>,
    /// s_k/s_0.
    pub measured: Vec<f64>,
    /// The k-th largest of |F\[φ\](ν_j/σ)| over j, divided by the largest:
    /// √(ρ(ν_0)/ρ(ν_k)) when |F| decreases.
    pub predicted: Vec<f64>,
    /// The band \[k_lo, k_hi\] actually used (after the floor).
    pub band: (usize, usize),
    /// Log-log fit of the measured s_k/s_0 against ν_k over the band.
    pub fit_measured: LogLogFit,
    /// Log-log fit of the prediction against ν_k over the band.
    pub fit_predicted: LogLogFit,
    /// Correlation of ln(measured) with ln(predicted) over the band.
    pub correlation: f64,
    /// Largest |ln(measured/predicted)| over the band (a factor e^this apart at worst).
    pub max_log_ratio: f64,
    /// K(q) measured and predicted.
    pub masks: Vec<MaskRow>,
}

/// Holds the singular values `s` (descending) of a design of scale `sigma`
/// against the spectrum `spec` of its activation.
pub fn agreement(
    s: &[f64],
    sigma: f64,
    spec: &PowerSpectrum,
    band: &AgreementSpec,
) -> Result<Agreement> {
    let r = s.len();
    if r < 4 || s[0] <= 0.0 {
        return Err(Error::invalid(
            "singular values",
            format!("{r} values, s_0 = {}", s.first().copied().unwrap_or(0.0)),
            "at least 4 values with s_0 > 0",
        ));
    }
    if band.k_lo == 0 || band.k_hi <= band.k_lo + 2 || band.k_hi >= r {
        return Err(Error::invalid(
            "component band",
            format!("[{}, {}]", band.k_lo, band.k_hi),
            format!("1 <= k_lo, k_lo + 3 <= k_hi <= {} (min(N, M) - 1)", r - 1),
        ));
    }
    let k: Vec<usize> = (0..r).collect();
    let nu: Vec<f64> = k.iter().map(|&k| component_frequency(k)).collect();
    let measured: Vec<f64> = s.iter().map(|v| v / s[0]).collect();
    let amp = |nu: f64| spec.at(nu / sigma).map_or(f64::NAN, f64::sqrt);
    // The SVD sorts: the k-th largest s pairs with the k-th largest |F| over
    // the component frequencies (the identity for a decreasing |F|; a
    // band-pass φ such as the wavepacket is matched by rank, not by ν).
    let mut amps: Vec<f64> = nu.iter().map(|&v| amp(v)).collect();
    if let Some(bad) = amps.iter().position(|a| !a.is_finite()) {
        return Err(Error::invalid(
            "spectrum at the component frequencies",
            format!("no value at nu = {} (cycles per unit z)", nu[bad] / sigma),
            "frequencies inside the FFT grid: refine it (FftGrid::for_design)",
        ));
    }
    amps.sort_by(|a, b| b.total_cmp(a));
    let a0 = amps[0];
    if a0 <= 0.0 {
        return Err(Error::invalid(
            "spectrum at the component frequencies",
            "|F| = 0 at every one",
            "an activation with a non-zero transform below the highest component frequency",
        ));
    }
    let predicted: Vec<f64> = amps.iter().map(|v| v / a0).collect();
    let mut hi = band.k_lo;
    while hi < band.k_hi {
        let next = hi + 1;
        let ok = |v: f64| v.is_finite() && v >= band.floor;
        if !(ok(measured[next]) && ok(predicted[next])) {
            break;
        }
        hi = next;
    }
    if hi < band.k_lo + 2 {
        return Err(Error::invalid(
            "component band",
            format!("[{}, {}]", band.k_lo, band.k_hi),
            format!(
                "a band with 3 or more components above the floor {:e}: s_k/s_0 or the prediction falls below it at k = {}",
                band.floor,
                hi + 1
            ),
        ));
    }
    let b = band.k_lo..=hi;
    let fit_measured = loglog_fit(&nu[b.clone()], &measured[b.clone()])?;
    let fit_predicted = loglog_fit(&nu[b.clone()], &predicted[b.clone()])?;
    let correlation = loglog_fit(&predicted[b.clone()], &measured[b.clone()])?.correlation;
    let max_log_ratio = b
        .clone()
        .map(|k| (measured[k] / predicted[k]).ln().abs())
        .fold(0.0, f64::max);
    let masks = band
        .qs
        .iter()
        .map(|&q| MaskRow {
            q,
            kept_measured: kept(&measured, q),
            kept_predicted: kept(&predicted, q),
        })
        .collect();
    Ok(Agreement {
        sigma,
        k,
        nu,
        measured,
        predicted,
        band: (band.k_lo, hi),
        fit_measured,
        fit_predicted,
        correlation,
        max_log_ratio,
        masks,
    })
}

/// Components with 1 − (1 − v²)^q ≥ 1 − 1/e (α = 1/s_0², so αs_k² = v_k²).
fn kept(v: &[f64], q: u64) -> usize {
    v.iter()
        .filter(|&&x| x.is_finite() && crate::spectral::gd_exact(x, 1.0, q) >= KEPT_LEVEL)
        .count()
}
