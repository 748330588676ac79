//! Designing an activation from a penalty: the even, real φ_ρ with
//! |F\[φ_ρ\](ν)|² = 1/ρ(ν), i.e. φ_ρ = F⁻¹\[1/√ρ\], computed on a uniform grid
//! and kept as a tabulated activation ([`crate::model::Table`]).
//!
//! **Penalties** ([`PenaltySpec`], ν in cycles per unit z, ρ > 0 even in ν):
//!
//! | spec | ρ(ν) | φ_ρ |
//! |---|---|---|
//! | `power:P[:C]` | (1 + (ν/C)²)^(P/2), C = 1/4 by default | ∝ Matérn kernel; ρ ∝ ν^P for ν ≫ C |
//! | `exp:B` | e^(\|ν\|/B) | 4B/(1 + (4πBz)²) (Cauchy) |
//! | `band:NU` | 1 for \|ν\| ≤ NU, ∞ beyond | 2·NU·sinc(2·NU·z) |
//! | `table:FILE` | ln ρ linear between the points (ν, ρ) of FILE; ρ(ν_0) below ν_0, ∞ beyond the last ν | – |
//!
//! A pure power |ν|^P has no inverse transform (1/√ρ is not integrable at 0
//! or at ∞); the corner C regularises it at low frequency, and every design
//! is band-limited by its grid (below).
//!
//! **The numerical route.** On the grid z_k = (k − n/2)·h, k < n
//! ([`DesignGrid`]; z = 0 is a sample), the samples are
//!
//! $$\varphi_k = \Delta\nu \sum_m \frac{G(\nu_m)}{\mathrm{sinc}^2(\nu_m h)} e^{2\pi i \nu_m z_k},\qquad G = \rho^{-1/2},\ \nu_m = m\,\Delta\nu,\ \Delta\nu = \frac{1}{n h},$$
//!
//! over |m| ≤ n/2 (one inverse FFT). The factor 1/sinc²(νh) pre-compensates
//! the linear interpolation between the samples, whose transform is
//! h·(DTFT of the samples)·sinc²(νh): the tabulated φ (the interpolant) has
//! |F|² = 1/ρ at the frequencies m/(nh) below the grid's Nyquist frequency
//! 1/(2h), up to the tail of φ beyond the grid (|z| > nh/2, where the DFT
//! folds it back and the table holds the end values constant). Above 1/(2h)
//! the interpolant's spectrum holds images of the band, not 1/ρ. So the
//! design is exact where φ_ρ has decayed at the grid's ends: power and exp
//! decay exponentially (power: like e^(−2πC|z|)) or as 1/z² (exp); the
//! band-limit's 1/z tail leaves ripples (Gibbs) near the band edge.
//!
//! [`round_trip`] measures the penalty of the tabulated φ by the FFT route
//! of [`super::power_spectrum`] on a grid eight times finer than the table,
//! over twice its span (so the transform is the interpolant's, up to the
//! measurement's own aliasing of ≈ 0.1·(νh)² relative: the interpolant's
//! images at multiples of 8/h fold back with weight sinc²(νh + 8j)), and
//! holds it against ρ.

use std::str::FromStr;

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use serde::Serialize;

use super::{FftGrid, LogLogFit, power_spectrum};
use crate::error::{Error, Result};
use crate::model::Activation;

/// Largest exponent P of `power:P`.
pub const MAX_POWER: f64 = 16.0;
/// Default corner C of `power:P`.
pub const DEFAULT_CORNER: f64 = 0.25;

const PENALTY_FORMS: &str = "power:P[:C] (0 < P <= 16, 1/1024 <= C <= 64), exp:B (1/1024 <= B <= 1024), \
     band:NU (0 < NU, below the table's Nyquist frequency 1/(2h)), or table:FILE (.csv with columns nu,rho or .npy of shape (n, 2))";

/// A penalty ρ(ν) to design an activation for (module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum PenaltySpec {
    /// (1 + (ν/C)²)^(P/2).
    Power {
        /// The exponent P.
        p: f64,
        /// The corner C (cycles per unit z).
        corner: f64,
    },
    /// e^(|ν|/B).
    Exp {
        /// The scale B (cycles per unit z).
        b: f64,
    },
    /// 1 for |ν| ≤ NU, ∞ beyond.
    Band {
        /// The band edge NU (cycles per unit z).
        nu: f64,
    },
    /// ln ρ linear between points; ρ(ν_0) below, ∞ beyond the last.
    Table {
        /// The file, as given.
        source: String,
        /// ν_0 < ν_1 < …, ν_0 ≥ 0.
        nu: Vec<f64>,
        /// ρ at those ν, > 0.
        rho: Vec<f64>,
    },
}

impl PenaltySpec {
    /// ρ(ν) (+∞ where the penalty forbids the frequency).
    pub fn rho(&self, nu: f64) -> f64 {
        let a = nu.abs();
        match self {
            PenaltySpec::Power { p, corner } => (1.0 + (a / corner).powi(2)).powf(0.5 * p),
            PenaltySpec::Exp { b } => (a / b).exp(),
            PenaltySpec::Band { nu } => {
                if a <= *nu {
                    1.0
                } else {
                    f64::INFINITY
                }
            }
            PenaltySpec::Table { nu, rho, .. } => {
                let n = nu.len();
                if a <= nu[0] {
                    return rho[0];
                }
                if a > nu[n - 1] {
                    return f64::INFINITY;
                }
                let k = nu.partition_point(|&v| v < a).clamp(1, n - 1);
                let t = (a - nu[k - 1]) / (nu[k] - nu[k - 1]);
                (rho[k - 1].ln() + t * (rho[k].ln() - rho[k - 1].ln())).exp()
            }
        }
    }

    /// |F\[φ_ρ\](ν)| = ρ(ν)^(−1/2) (0 where ρ = ∞).
    pub fn amplitude(&self, nu: f64) -> f64 {
        match self {
            // exp(−|ν|/(2B)) directly: no overflow of ρ on the way.
            PenaltySpec::Exp { b } => (-0.5 * nu.abs() / b).exp(),
            PenaltySpec::Power { p, corner } => (1.0 + (nu.abs() / corner).powi(2)).powf(-0.25 * p),
            _ => 1.0 / self.rho(nu).sqrt(),
        }
    }

    /// The highest frequency the penalty allows (∞ for power and exp).
    pub fn cutoff(&self) -> f64 {
        match self {
            PenaltySpec::Band { nu } => *nu,
            PenaltySpec::Table { nu, .. } => nu[nu.len() - 1],
            _ => f64::INFINITY,
        }
    }

    /// The spec as written (`power:4:0.25`, `exp:0.5`, `band:2`, `table:FILE`).
    pub fn label(&self) -> String {
        match self {
            PenaltySpec::Power { p, corner } => format!("power:{p}:{corner}"),
            PenaltySpec::Exp { b } => format!("exp:{b}"),
            PenaltySpec::Band { nu } => format!("band:{nu}"),
            PenaltySpec::Table { source, .. } => format!("table:{source}"),
        }
    }

    /// The formula, in words.
    pub fn formula(&self) -> String {
        match self {
            PenaltySpec::Power { p, corner } => format!("rho(nu) = (1 + (nu/{corner})^2)^({p}/2)"),
            PenaltySpec::Exp { b } => format!("rho(nu) = exp(|nu|/{b})"),
            PenaltySpec::Band { nu } => format!("rho(nu) = 1 for |nu| <= {nu}, infinite beyond"),
            PenaltySpec::Table { nu, .. } => format!(
                "rho(nu) log-linear between {} points, infinite beyond nu = {}",
                nu.len(),
                nu[nu.len() - 1]
            ),
        }
    }

    fn read_table(path: &str) -> Result<PenaltySpec> {
        let p = std::path::Path::new(path);
        if let Some(problem) = crate::output::array::path_problem(p) {
            return Err(Error::invalid(
                "penalty table",
                format!("'{path}'"),
                format!(
                    "{problem}: give table:FILE with an existing .csv (columns nu,rho) or .npy (n x 2) file"
                ),
            ));
        }
        let (nu, rho) = crate::output::array::read_pairs(p, "nu", "rho")?;
        let allowed = "a penalty table has 2 to 1048576 points (nu, rho): nu >= 0 strictly increasing, \
                       rho > 0, every value finite";
        let bad = |d: String| Error::format(p, format!("{d}; {allowed}"));
        if !(2..=crate::model::table::MAX_TABLE_POINTS).contains(&nu.len()) {
            return Err(bad(format!("{} points", nu.len())));
        }
        for (k, (&a, &r)) in nu.iter().zip(&rho).enumerate() {
            if !(a.is_finite() && a >= 0.0) {
                return Err(bad(format!("nu = {a} at row {}", k + 1)));
            }
            if !(r.is_finite() && r > 0.0) {
                return Err(bad(format!("rho = {r} at row {}", k + 1)));
            }
            if k > 0 && a <= nu[k - 1] {
                return Err(bad(format!(
                    "nu not strictly increasing at row {}: {a} after {}",
                    k + 1,
                    nu[k - 1]
                )));
            }
        }
        Ok(PenaltySpec::Table {
            source: path.to_string(),
            nu,
            rho,
        })
    }
}

impl FromStr for PenaltySpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let bad = || Error::invalid("penalty", format!("'{s}'"), PENALTY_FORMS);
        let (family, rest) = t.split_once(':').ok_or_else(bad)?;
        let num = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
        match family.trim().to_ascii_lowercase().as_str() {
            "power" => {
                let (p, c) = match rest.split_once(':') {
                    Some((p, c)) => (num(p), num(c)),
                    None => (num(rest), Some(DEFAULT_CORNER)),
                };
                match (p, c) {
                    (Some(p), Some(c))
                        if p > 0.0 && p <= MAX_POWER && (1.0 / 1024.0..=64.0).contains(&c) =>
                    {
                        Ok(PenaltySpec::Power { p, corner: c })
                    }
                    _ => Err(bad()),
                }
            }
            "exp" => match num(rest) {
                Some(b) if (1.0 / 1024.0..=1024.0).contains(&b) => Ok(PenaltySpec::Exp { b }),
                _ => Err(bad()),
            },
            "band" => match num(rest) {
                Some(nu) if nu > 0.0 => Ok(PenaltySpec::Band { nu }),
                _ => Err(bad()),
            },
            "table" if !rest.trim().is_empty() => PenaltySpec::read_table(rest.trim()),
            _ => Err(bad()),
        }
    }
}

/// The grid of a designed table: n points z_k = (k − n/2)·h.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DesignGrid {
    /// Spacing h (Nyquist frequency 1/(2h)).
    pub h: f64,
    /// Points n (a power of two); the table spans n·h.
    pub len: usize,
}

impl Default for DesignGrid {
    /// h = 1/64, n = 2¹⁴: z ∈ \[−128, 128), Nyquist 32 cycles per unit z.
    fn default() -> Self {
        DesignGrid {
            h: 1.0 / 64.0,
            len: 1 << 14,
        }
    }
}

impl DesignGrid {
    /// Checks 1/1024 ≤ h ≤ 1 and n a power of two from 2⁸ to 2²⁰.
    pub fn check(&self) -> Result<()> {
        if !(self.h.is_finite() && (1.0 / 1024.0..=1.0).contains(&self.h)) {
            return Err(Error::invalid(
                "table spacing h",
                self.h,
                "a number from 1/1024 to 1 (cycles per unit z up to 1/(2h))",
            ));
        }
        if !self.len.is_power_of_two() || !(1 << 8..=1 << 20).contains(&self.len) {
            return Err(Error::invalid(
                "table points",
                self.len,
                "a power of two from 256 to 1048576",
            ));
        }
        Ok(())
    }

    /// The Nyquist frequency 1/(2h).
    pub fn nyquist(&self) -> f64 {
        0.5 / self.h
    }
}

/// sinc²(x) = (sin(πx)/(πx))², 1 at 0.
fn sinc2(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        (px.sin() / px).powi(2)
    }
}

/// The samples (z_k, φ_ρ(z_k)) of the designed activation (module docs).
pub fn design_points(spec: &PenaltySpec, grid: DesignGrid) -> Result<(Vec<f64>, Vec<f64>)> {
    grid.check()?;
    if spec.cutoff() < f64::INFINITY && spec.cutoff() >= grid.nyquist() {
        return Err(Error::invalid(
            "penalty band edge",
            spec.cutoff(),
            format!(
                "below the table's Nyquist frequency 1/(2h) = {} (refine the table spacing)",
                grid.nyquist()
            ),
        ));
    }
    let n = grid.len;
    let h = grid.h;
    let dnu = 1.0 / (n as f64 * h);
    let mut buf: Vec<Complex<f64>> = (0..n)
        .map(|m| {
            let mm = if m <= n / 2 {
                m as f64
            } else {
                m as f64 - n as f64
            };
            let nu = mm * dnu;
            let g = spec.amplitude(nu) / sinc2(nu * h);
            // e^{2πiν_m z_k} = e^{2πimk/n}·(−1)^m with z_k = (k − n/2)h.
            let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
            Complex::new(sign * g * dnu, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_inverse(n).process(&mut buf);
    let z: Vec<f64> = (0..n).map(|k| (k as f64 - (n / 2) as f64) * h).collect();
    let eta: Vec<f64> = buf.iter().map(|c| c.re).collect();
    crate::error::ensure_finite("designed activation", &eta)?;
    Ok((z, eta))
}

/// The designed activation's penalty against the requested one at one frequency.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RoundTripRow {
    /// Frequency, cycles per unit z.
    pub nu: f64,
    /// ρ(ν) requested.
    pub requested: f64,
    /// 1/|F\[φ\](ν)|² of the tabulated φ, measured by FFT.
    pub measured: f64,
}

/// How well the tabulated φ has the requested penalty over a band.
#[derive(Clone, Debug, Serialize)]
pub struct RoundTrip {
    /// The band asked for (cycles per unit z).
    pub band: (f64, f64),
    /// The FFT grid of the measurement.
    pub grid: FftGrid,
    /// Every measured frequency in the band where 1/ρ is at least
    /// [`ROUND_TRIP_FLOOR`] times its largest value there.
    pub rows: Vec<RoundTripRow>,
    /// max |measured/requested − 1| over `rows`.
    pub max_rel: f64,
    /// Log-log fit of the measured penalty over the rows.
    pub fit_measured: Option<LogLogFit>,
    /// Log-log fit of the requested penalty over the rows.
    pub fit_requested: Option<LogLogFit>,
}

/// Smallest 1/ρ (relative to its largest value in the band) at which the
/// round trip is judged: below it the measurement is the tail's and the FFT's rounding.
pub const ROUND_TRIP_FLOOR: f64 = 1e-12;

/// Measures the penalty of `act` (the table designed on `grid`) on an FFT
/// grid of spacing h/8 over twice the table's span, and holds it against
/// `spec` over `band` (0 < lo < hi < the band edge and 1/(2h)).
pub fn round_trip(
    act: Activation,
    spec: &PenaltySpec,
    grid: DesignGrid,
    band: (f64, f64),
) -> Result<RoundTrip> {
    let (lo, hi) = band;
    let top = grid.nyquist().min(spec.cutoff());
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo && hi < top) {
        return Err(Error::invalid(
            "round-trip band",
            format!("{lo}:{hi}"),
            format!(
                "LO:HI with 0 < LO < HI < {top} (the penalty's band edge or the table's Nyquist frequency 1/(2h))"
            ),
        ));
    }
    let fft = FftGrid {
        h: grid.h / 8.0,
        len: (grid.len * 16).clamp(1 << 8, 1 << 24),
    };
    let spec_m = power_spectrum(act, fft)?;
    let mut rows: Vec<RoundTripRow> = spec_m
        .nu
        .iter()
        .zip(&spec_m.power)
        .filter(|(n, _)| (lo..=hi).contains(*n))
        .map(|(&nu, &p)| RoundTripRow {
            nu,
            requested: spec.rho(nu),
            measured: 1.0 / p,
        })
        .collect();
    let best = rows
        .iter()
        .map(|r| 1.0 / r.requested)
        .fold(0.0f64, f64::max);
    rows.retain(|r| 1.0 / r.requested >= ROUND_TRIP_FLOOR * best);
    if rows.len() < 3 {
        return Err(Error::invalid(
            "round-trip band",
            format!("{lo}:{hi}"),
            format!(
                "a band with 3 or more measured frequencies (spacing {}) where 1/rho is within 1e12 of its largest value",
                fft.dnu()
            ),
        ));
    }
    let max_rel = rows
        .iter()
        .map(|r| (r.measured / r.requested - 1.0).abs())
        .fold(0.0f64, f64::max);
    let nu: Vec<f64> = rows.iter().map(|r| r.nu).collect();
    let meas: Vec<f64> = rows.iter().map(|r| r.measured).collect();
    let req: Vec<f64> = rows.iter().map(|r| r.requested).collect();
    Ok(RoundTrip {
        band,
        grid: fft,
        max_rel,
        fit_measured: super::loglog_fit(&nu, &meas).ok(),
        fit_requested: super::loglog_fit(&nu, &req).ok(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_refuse() {
        assert_eq!(
            "power:4".parse::<PenaltySpec>().unwrap(),
            PenaltySpec::Power {
                p: 4.0,
                corner: DEFAULT_CORNER
            }
        );
        assert_eq!(
            "power:2:0.5".parse::<PenaltySpec>().unwrap(),
            PenaltySpec::Power {
                p: 2.0,
                corner: 0.5
            }
        );
        assert_eq!(
            " EXP:0.5 ".parse::<PenaltySpec>().unwrap(),
            PenaltySpec::Exp { b: 0.5 }
        );
        assert_eq!(
            "band:2".parse::<PenaltySpec>().unwrap(),
            PenaltySpec::Band { nu: 2.0 }
        );
        for bad in [
            "power",
            "power:0",
            "power:17",
            "power:2:0",
            "exp:0",
            "exp:nan",
            "band:-1",
            "sinc:1",
            "table:",
            "",
        ] {
            let e = bad.parse::<PenaltySpec>().unwrap_err().to_string();
            assert!(e.contains("power:P") || e.contains("table"), "{bad}: {e}");
        }
    }

    #[test]
    fn penalties_and_amplitudes() {
        let p = PenaltySpec::Power {
            p: 4.0,
            corner: 0.5,
        };
        assert_eq!(p.rho(0.0), 1.0);
        assert!((p.rho(0.5) - 4.0).abs() < 1e-15);
        assert!((p.amplitude(0.5) - 0.5).abs() < 1e-15);
        let e = PenaltySpec::Exp { b: 0.25 };
        assert!((e.rho(1.0) - 4f64.exp()).abs() < 1e-12);
        assert!((e.amplitude(-1.0) - (-2f64).exp()).abs() < 1e-15);
        let b = PenaltySpec::Band { nu: 1.0 };
        assert_eq!((b.rho(1.0), b.amplitude(1.5)), (1.0, 0.0));
        let t = PenaltySpec::Table {
            source: "t.csv".into(),
            nu: vec![0.0, 1.0, 2.0],
            rho: vec![1.0, 10.0, 1000.0],
        };
        assert!((t.rho(0.5) - 10f64.sqrt()).abs() < 1e-12);
        assert!((t.rho(1.5) - 100.0).abs() < 1e-9);
        assert_eq!(t.rho(3.0), f64::INFINITY);
        assert_eq!(t.cutoff(), 2.0);
    }

    #[test]
    fn exp_designs_the_cauchy_kernel() {
        // exp:B gives φ(z) = 4B/(1 + (4πBz)²); its tail beyond |z| = 128
        // (mass ≈ 2/(π²·128·4B) relative) folds back into the samples.
        let b = 1.0 / (4.0 * std::f64::consts::PI);
        let (z, eta) = design_points(&PenaltySpec::Exp { b }, DesignGrid::default()).unwrap();
        for (&zk, &v) in z.iter().zip(&eta).step_by(97) {
            let want = 4.0 * b / (1.0 + zk * zk);
            assert!((v - want).abs() < 2e-3 * 4.0 * b, "z = {zk}: {v} vs {want}");
        }
    }
}
