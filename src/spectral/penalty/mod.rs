//! The spectral penalty of an activation (companion paper arXiv 2503.10587,
//! SPEC §7): in the kernel regime the implicit bias penalises frequency ν by
//!
//! $$\rho(\nu) \propto \frac{\nu^{D-1}}{|\mathcal F[\varphi](\nu)|^2},\qquad D = 1,$$
//!
//! with $\mathcal F[\varphi](\nu) = \int \varphi(z) e^{-2\pi i \nu z}\,dz$
//! (ν in cycles per unit z). This module measures |F\[φ\]|² numerically, gives the
//! closed form beside it where one exists, and holds both against the singular
//! values of A.
//!
//! **The numerical route.** φ is sampled on a long fine grid
//! z_k = (k − L/2)·h ([`FftGrid`]; z = 0 is a sample). Activations that do not
//! decay (heaviside, tanh, relu, relu2, splines, gelu, silu, softplus, sigmoid)
//! have no ordinary transform, but a derivative of theirs decays: the n-th
//! backward difference Δⁿφ ([`derivative_order`]) is transformed instead and
//! divided by the symbol of the difference, the discrete form of
//! F\[φ⁽ⁿ⁾\](ν) = (2πiν)ⁿ F\[φ\](ν):
//!
//! $$|\mathcal F[\varphi](\nu_m)|^2 \approx \frac{|h\,\mathrm{DFT}(\Delta^n\varphi)_m|^2}{(2\sin(\pi \nu_m h))^{2n}},\qquad \nu_m = \frac{m}{L h},$$
//!
//! exact for the sampled sequence, so the only errors are aliasing
//! (relative O((νh)²) for the power laws) and truncation at |z| = Lh/2.
//! Windowing: none (rectangular) when the transformed sequence has decayed
//! to below f64 rounding at the ends (every activation but sinc and cauchy);
//! a Hann window over the whole grid for sinc (decay 1/z) and cauchy (1/z²),
//! which trades the truncation's ripples for a blur of width ≈ 2/(Lh) in ν.
//! A table (`table:FILE`) is constant beyond its grid, so its first
//! difference (or the table itself, when both end values are 0) is compactly
//! supported: order 1 (or 0), rectangular window, exact for the sampled
//! sequence as long as the grid holds the table.
//!
//! **Against A.** For a shift-invariant design the kernel AAᵀ is a convolution
//! with φ_σ ⋆ φ_σ, φ_σ(x) = φ(σx), whose transform is
//! |F\[φ\](ν/σ)|²/σ² (ν now in cycles per unit x). Component k of A
//! (the DST-like basis sin(π(k+½)x)) sits at ν_k = (k+½)/2, so the
//! prediction is s_k/s_0 ≈ |F\[φ\](ν_k/σ)| / |F\[φ\](ν_0/σ)| = √(ρ(ν_0)/ρ(ν_k)).
//! [`agreement`] measures how well that holds over a band of k.
//!
//! **Backwards.** [`design`] goes from a penalty to an activation:
//! φ_ρ = F⁻¹\[1/√ρ\] on a uniform grid, kept as a tabulated activation, and
//! the round trip that measures the penalty of the result.

mod agreement;
pub mod design;

pub use agreement::{Agreement, AgreementSpec, MaskRow, agreement, component_frequency};

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Activation;

/// The sampling grid of the numerical transform: `len` points z_k = (k − len/2)·h.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FftGrid {
    /// Spacing h (the transform is trusted for ν ≪ 1/(2h)).
    pub h: f64,
    /// Number of points L (a power of two); the grid spans L·h, the resolution in ν is 1/(L·h).
    pub len: usize,
}

impl Default for FftGrid {
    /// h = 1/64, L = 2¹⁸: z ∈ \[−2048, 2048), ν resolution 1/4096, Nyquist 32.
    fn default() -> Self {
        FftGrid {
            h: 1.0 / 64.0,
            len: 1 << 18,
        }
    }
}

impl FftGrid {
    /// Checks h > 0, finite, and 2⁸ ≤ L ≤ 2²⁴ a power of two.
    pub fn check(&self) -> Result<()> {
        if !(self.h.is_finite() && self.h > 0.0) {
            return Err(Error::invalid(
                "FFT grid spacing h",
                self.h,
                "a finite number > 0",
            ));
        }
        if !self.len.is_power_of_two() || !(1 << 8..=1 << 24).contains(&self.len) {
            return Err(Error::invalid(
                "FFT grid length",
                self.len,
                "a power of two from 256 to 16777216",
            ));
        }
        Ok(())
    }

    /// A grid that resolves φ(σx) up to `nu_max` cycles per unit x: the
    /// spacing makes ν_max/σ a quarter of Nyquist at most (h ≤ 1/64), the
    /// length makes the resolution in x at most 1/8 cycle (L ≥ 8σ/h, at least 2¹⁸,
    /// at most 2²²).
    pub fn for_design(sigma: f64, nu_max: f64) -> Result<FftGrid> {
        if !(sigma.is_finite() && sigma > 0.0 && nu_max.is_finite() && nu_max > 0.0) {
            return Err(Error::invalid(
                "sigma / highest frequency",
                format!("{sigma} / {nu_max}"),
                "finite numbers > 0",
            ));
        }
        let h = (1.0 / 64.0f64).min(0.125 * sigma / nu_max);
        let need = (8.0 * sigma / h).ceil().max(f64::from(1u32 << 18));
        if need > f64::from(1u32 << 22) {
            return Err(Error::invalid(
                "sigma",
                sigma,
                format!(
                    "at most {} for the spectrum up to {nu_max} cycles (the FFT grid would exceed 2^22 points)",
                    f64::from(1u32 << 22) * h / 8.0
                ),
            ));
        }
        let grid = FftGrid {
            h,
            len: (need as usize).next_power_of_two(),
        };
        grid.check()?;
        Ok(grid)
    }

    /// The frequency spacing 1/(L·h).
    pub fn dnu(&self) -> f64 {
        1.0 / (self.len as f64 * self.h)
    }

    /// The highest frequency reported: a quarter of the Nyquist frequency 1/(2h),
    /// where aliasing is still small for every built-in.
    pub fn nu_max(&self) -> f64 {
        0.125 / self.h
    }
}

/// Window applied to the transformed sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// None: the sequence has decayed to rounding level at the grid's ends.
    Rectangular,
    /// Hann, w_k = sin²(πk/L), over the whole grid.
    Hann,
}

/// The order n of the derivative that is transformed: the smallest n for
/// which φ⁽ⁿ⁾ decays (0 for the activations that decay themselves).
pub fn derivative_order(act: Activation) -> u32 {
    match act {
        Activation::Heaviside | Activation::Tanh | Activation::Sigmoid => 1,
        Activation::Relu | Activation::Gelu | Activation::Silu | Activation::Softplus => 2,
        Activation::Relu2 => 3,
        Activation::Spline(r) => r,
        Activation::Sinc | Activation::Gaussian | Activation::Cauchy | Activation::Wavepacket => 0,
        // Constant beyond the grid: η' is compactly supported, η itself only
        // when both end values are 0.
        Activation::Table(t) => u32::from(!t.table().vanishes_at_ends()),
    }
}

/// The window used for `act` (Hann for the slowly decaying sinc and cauchy).
pub fn window(act: Activation) -> Window {
    match act {
        Activation::Sinc | Activation::Cauchy => Window::Hann,
        _ => Window::Rectangular,
    }
}

/// |F\[φ\](ν)|² measured on a grid of frequencies ν_m = m/(L·h), m = 1, 2, …
#[derive(Clone, Debug, Serialize)]
pub struct PowerSpectrum {
    /// The activation.
    pub activation: Activation,
    /// The sampling grid.
    pub grid: FftGrid,
    /// The derivative order n of the route.
    pub order: u32,
    /// The window.
    pub window: Window,
    /// Frequencies ν_m (cycles per unit z), m = 1 .. up to [`FftGrid::nu_max`].
    pub nu: Vec<f64>,
    /// |F\[φ\](ν_m)|².
    pub power: Vec<f64>,
}

impl PowerSpectrum {
    /// |F\[φ\](ν)|² at the nearest measured frequency; `None` outside
    /// (0, ν_max\] or for a non-finite ν.
    pub fn at(&self, nu: f64) -> Option<f64> {
        self.nearest(nu).map(|(_, p)| p)
    }

    /// The measured frequency nearest to |ν| and |F\[φ\]|² there.
    pub fn nearest(&self, nu: f64) -> Option<(f64, f64)> {
        let nu = nu.abs();
        if !nu.is_finite() || nu == 0.0 {
            return None;
        }
        let m = (nu / self.grid.dnu()).round() as usize;
        (1..=self.power.len())
            .contains(&m)
            .then(|| (self.nu[m - 1], self.power[m - 1]))
    }

    /// The penalty ρ(ν) = 1/|F\[φ\](ν)|² (D = 1) at the nearest measured frequency.
    pub fn penalty(&self, nu: f64) -> Option<f64> {
        self.at(nu).map(|p| 1.0 / p)
    }
}

/// Measures |F\[φ\]|² of `act` on `grid` by the derivative route (module docs).
pub fn power_spectrum(act: Activation, grid: FftGrid) -> Result<PowerSpectrum> {
    grid.check()?;
    let n = derivative_order(act) as usize;
    let len = grid.len;
    let half = (len / 2) as f64;
    // n extra samples on the left so that Δⁿ has exactly `len` terms.
    let phi: Vec<f64> = (0..len + n)
        .map(|k| act.eval((k as f64 - n as f64 - half) * grid.h))
        .collect();
    let mut d = phi;
    for _ in 0..n {
        for k in (1..d.len()).rev() {
            d[k] -= d[k - 1];
        }
        d.remove(0);
    }
    let win = window(act);
    let mut buf: Vec<Complex<f64>> = d
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let w = match win {
                Window::Rectangular => 1.0,
                Window::Hann => (std::f64::consts::PI * k as f64 / len as f64).sin().powi(2),
            };
            Complex::new(v * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(len).process(&mut buf);
    let m_max = (grid.nu_max() / grid.dnu()).floor() as usize;
    let mut nu = Vec::with_capacity(m_max);
    let mut power = Vec::with_capacity(m_max);
    for (m, c) in buf.iter().enumerate().take(m_max + 1).skip(1) {
        let f = m as f64 * grid.dnu();
        let symbol = (2.0 * (std::f64::consts::PI * f * grid.h).sin()).powi(2 * n as i32);
        nu.push(f);
        power.push((grid.h * c.norm()).powi(2) / symbol);
    }
    Ok(PowerSpectrum {
        activation: act,
        grid,
        order: n as u32,
        window: win,
        nu,
        power,
    })
}

/// The closed form of |F\[φ\](ν)|² for ν ≠ 0 (ν in cycles per unit z).
///
/// | φ | \|F\[φ\](ν)\|² |
/// |---|---|
/// | heaviside | 1/(2πν)² |
/// | spline:r (relu r = 2, relu2 r = 3) | ((r−1)!)²/(2πν)^(2r) |
/// | tanh | π²/sinh²(π²ν) |
/// | sigmoid | π²/sinh²(2π²ν) |
/// | softplus | 1/(4ν² sinh²(2π²ν)) |
/// | gelu | (1 + 4π²ν²)² e^(−4π²ν²)/(2πν)⁴ |
/// | silu | π⁴ cosh²(2π²ν)/sinh⁴(2π²ν) |
/// | sinc | 1 for \|ν\| < ½, ¼ at ½, 0 beyond |
/// | gaussian | e^(−2πν²) |
/// | cauchy | π² e^(−4π\|ν\|) |
/// | wavepacket | (e^(−4π(ν−1)²) + e^(−4π(ν+1)²))² |
///
/// `None` at ν = 0, a non-finite ν, or for a table (no closed form).
pub fn analytic_power(act: Activation, nu: f64) -> Option<f64> {
    use std::f64::consts::PI;
    if !nu.is_finite() || nu == 0.0 {
        return None;
    }
    let a = nu.abs();
    let w = 2.0 * PI * a;
    let spline = |r: u32| {
        let fact: f64 = (1..r).map(f64::from).product();
        fact * fact / w.powi(2 * r as i32)
    };
    Some(match act {
        Activation::Heaviside => spline(1),
        Activation::Relu => spline(2),
        Activation::Relu2 => spline(3),
        Activation::Spline(r) => spline(r),
        Activation::Tanh => (PI / (PI * PI * a).sinh()).powi(2),
        Activation::Sigmoid => (PI / (2.0 * PI * PI * a).sinh()).powi(2),
        Activation::Softplus => 1.0 / (4.0 * a * a * (2.0 * PI * PI * a).sinh().powi(2)),
        Activation::Gelu => (1.0 + w * w).powi(2) * (-w * w).exp() / w.powi(4),
        Activation::Silu => {
            let t = 2.0 * PI * PI * a;
            PI.powi(4) * t.cosh().powi(2) / t.sinh().powi(4)
        }
        Activation::Sinc => match a.partial_cmp(&0.5) {
            Some(std::cmp::Ordering::Less) => 1.0,
            Some(std::cmp::Ordering::Equal) => 0.25,
            _ => 0.0,
        },
        Activation::Gaussian => (-2.0 * PI * a * a).exp(),
        Activation::Cauchy => PI * PI * (-4.0 * PI * a).exp(),
        Activation::Wavepacket => {
            ((-4.0 * PI * (a - 1.0).powi(2)).exp() + (-4.0 * PI * (a + 1.0).powi(2)).exp()).powi(2)
        }
        Activation::Table(_) => return None,
    })
}

/// A least-squares line through (ln x, ln y): slope, intercept and the
/// correlation coefficient of the logs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LogLogFit {
    /// d ln y / d ln x.
    pub slope: f64,
    /// ln y at ln x = 0.
    pub intercept: f64,
    /// Pearson correlation of (ln x, ln y).
    pub correlation: f64,
    /// Points used (positive, finite pairs).
    pub points: usize,
}

/// Fits ln y = slope·ln x + intercept over the pairs with x, y > 0 and finite;
/// an error when fewer than 3 such pairs remain.
pub fn loglog_fit(x: &[f64], y: &[f64]) -> Result<LogLogFit> {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    if pairs.len() < 3 {
        return Err(Error::invalid(
            "log-log fit",
            format!("{} usable points", pairs.len()),
            "at least 3 pairs with both values positive and finite",
        ));
    }
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (u, v)| (a + u / n, b + v / n));
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (u, v) in &pairs {
        sxx += (u - mx).powi(2);
        syy += (v - my).powi(2);
        sxy += (u - mx) * (v - my);
    }
    let slope = sxy / sxx;
    Ok(LogLogFit {
        slope,
        intercept: my - slope * mx,
        correlation: sxy / (sxx * syy).sqrt(),
        points: pairs.len(),
    })
}

/// The log-log slope of the measured penalty ρ = 1/|F\[φ\]|² over the band
/// \[lo, hi\] (cycles per unit z).
pub fn penalty_exponent(spec: &PowerSpectrum, lo: f64, hi: f64) -> Result<LogLogFit> {
    if !(lo > 0.0 && hi > lo && hi <= spec.grid.nu_max()) {
        return Err(Error::invalid(
            "penalty band",
            format!("[{lo}, {hi}]"),
            format!("0 < lo < hi <= {}", spec.grid.nu_max()),
        ));
    }
    let (x, y): (Vec<f64>, Vec<f64>) = spec
        .nu
        .iter()
        .zip(&spec.power)
        .filter(|(n, _)| (lo..=hi).contains(*n))
        .map(|(n, p)| (*n, 1.0 / p))
        .unzip();
    loglog_fit(&x, &y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_recover_a_power_law() {
        let x: Vec<f64> = (1..50).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v.powf(-2.5)).collect();
        let f = loglog_fit(&x, &y).unwrap();
        assert!((f.slope + 2.5).abs() < 1e-12 && (f.correlation + 1.0).abs() < 1e-12);
        assert!((f.intercept - 3f64.ln()).abs() < 1e-12);
        assert!(loglog_fit(&[1.0, 2.0], &[1.0, 2.0]).is_err());
    }

    #[test]
    fn bad_grids_are_refused() {
        let g = FftGrid { h: 0.0, len: 1024 };
        assert!(g.check().unwrap_err().to_string().contains("spacing"));
        let g = FftGrid { h: 0.1, len: 1000 };
        assert!(g.check().unwrap_err().to_string().contains("1000"));
    }
}
