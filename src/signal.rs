//! Target signals y: built-in Donoho–Johnstone test functions and data files.
//!
//! Built-ins follow the WaveLab definitions on t ∈ [0, 1], are sampled at the
//! model's sample points and then **min-max scaled to [0, 1] over those samples**
//! (so no file or download is needed):
//!
//! * `blocks`: Σ_j h_j·(1 + sgn(t − t_j))/2
//! * `bumps`: Σ_j h_j·(1 + |t − t_j|/w_j)⁻⁴
//! * `heavisine`: 4·sin(4πt) − sgn(t − 0.3) − sgn(0.72 − t)
//! * `doppler`: √(t(1 − t))·sin(2π·1.05/(t + 0.05))
//!
//! with t_j = (.1, .13, .15, .23, .25, .40, .44, .65, .76, .78, .81),
//! blocks h_j = (4, −5, 3, −4, 5, −4.2, 2.1, 4.3, −3.1, 2.1, −4.2),
//! bumps h_j = (4, 5, 3, 4, 5, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2),
//! w_j = (.005, .005, .006, .01, .01, .03, .01, .01, .005, .008, .005), sgn(0) = 0.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure_finite};

/// A built-in test signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// Piecewise constant.
    Blocks,
    /// Sharp bumps.
    Bumps,
    /// Sine with two jumps.
    Heavisine,
    /// Chirp with decreasing frequency.
    Doppler,
}

impl Builtin {
    /// All built-ins.
    pub const ALL: [Builtin; 4] = [
        Builtin::Blocks,
        Builtin::Bumps,
        Builtin::Heavisine,
        Builtin::Doppler,
    ];

    /// Name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Blocks => "blocks",
            Builtin::Bumps => "bumps",
            Builtin::Heavisine => "heavisine",
            Builtin::Doppler => "doppler",
        }
    }

    /// The raw (unscaled) function value at t.
    pub fn raw(self, t: f64) -> f64 {
        const T: [f64; 11] = [
            0.1, 0.13, 0.15, 0.23, 0.25, 0.40, 0.44, 0.65, 0.76, 0.78, 0.81,
        ];
        match self {
            Builtin::Blocks => {
                const H: [f64; 11] = [4.0, -5.0, 3.0, -4.0, 5.0, -4.2, 2.1, 4.3, -3.1, 2.1, -4.2];
                T.iter()
                    .zip(H)
                    .map(|(&tj, h)| h * (1.0 + sgn(t - tj)) / 2.0)
                    .sum()
            }
            Builtin::Bumps => {
                const H: [f64; 11] = [4.0, 5.0, 3.0, 4.0, 5.0, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2];
                const W: [f64; 11] = [
                    0.005, 0.005, 0.006, 0.01, 0.01, 0.03, 0.01, 0.01, 0.005, 0.008, 0.005,
                ];
                T.iter()
                    .zip(H)
                    .zip(W)
                    .map(|((&tj, h), w)| h * (1.0 + ((t - tj) / w).abs()).powi(-4))
                    .sum()
            }
            Builtin::Heavisine => {
                4.0 * (4.0 * std::f64::consts::PI * t).sin() - sgn(t - 0.3) - sgn(0.72 - t)
            }
            Builtin::Doppler => {
                (t * (1.0 - t)).sqrt() * (2.0 * std::f64::consts::PI * 1.05 / (t + 0.05)).sin()
            }
        }
    }

    /// Sampled at `x` and min-max scaled to [0, 1] over those samples.
    pub fn sample(self, x: &[f64]) -> Vec<f64> {
        minmax_scale(x.iter().map(|&t| self.raw(t)).collect())
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Builtin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let l = s.trim().to_ascii_lowercase();
        Builtin::ALL
            .into_iter()
            .find(|b| b.name() == l)
            .ok_or_else(|| {
                Error::invalid(
                    "signal",
                    format!("'{s}'"),
                    "a built-in signal (blocks, bumps, heavisine, doppler) or the path of a .npy/.csv/.txt file",
                )
            })
    }
}

/// Where the target values come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// A built-in function sampled at the model's samples.
    Builtin(Builtin),
    /// Values read from a file, one per sample (its length must equal N).
    File(PathBuf),
}

impl Default for Signal {
    fn default() -> Self {
        Signal::Builtin(Builtin::Heavisine)
    }
}

impl Signal {
    /// The target y at the samples `x`.
    pub fn values(&self, x: &[f64]) -> Result<Vec<f64>> {
        match self {
            Signal::Builtin(b) => Ok(b.sample(x)),
            Signal::File(path) => {
                let y = crate::io::read_vector(path)?;
                if y.len() != x.len() {
                    return Err(Error::format(
                        path,
                        format!(
                            "holds {} values but the model has N = {} samples; give one value per sample (e.g. --n {})",
                            y.len(),
                            x.len(),
                            y.len()
                        ),
                    ));
                }
                ensure_finite(&format!("signal file '{}'", path.display()), &y)?;
                Ok(y)
            }
        }
    }

    /// Name for tables and metadata.
    pub fn label(&self) -> String {
        match self {
            Signal::Builtin(b) => b.name().to_string(),
            Signal::File(p) => p.display().to_string(),
        }
    }
}

impl FromStr for Signal {
    type Err = Error;
    /// A built-in name, or the path of an existing file.
    fn from_str(s: &str) -> Result<Self> {
        match s.parse::<Builtin>() {
            Ok(b) => Ok(Signal::Builtin(b)),
            Err(e) => {
                let p = Path::new(s.trim());
                if p.is_file() {
                    Ok(Signal::File(p.to_path_buf()))
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// (v − min)/(max − min); all zeros for a constant vector.
pub fn minmax_scale(v: Vec<f64>) -> Vec<f64> {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 {
        return vec![0.0; v.len()];
    }
    v.into_iter().map(|x| (x - lo) / span).collect()
}

fn sgn(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_scaled() {
        let x = crate::grid::linspace(64);
        for b in Builtin::ALL {
            let y = b.sample(&x);
            let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!((lo, hi), (0.0, 1.0), "{b}");
        }
        assert!("sawtooth".parse::<Signal>().is_err());
        assert_eq!(
            "doppler".parse::<Signal>().unwrap(),
            Signal::Builtin(Builtin::Doppler)
        );
    }
}
