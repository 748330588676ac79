//! Learning rates: a number, the paper's rule α = c/s_max², or the
//! neural-tangents convention.
//!
//! Gradient descent from w₀ = 0 is stable for α < 2/s_max²; the paper takes
//! α = 1/s_max², which needs s_max, known only once A is built. A
//! [`LearningRate`] says how α is obtained and [`LearningRate::resolve`] gives
//! it once s_max and N are known.
//!
//! **Neural-tangents convention.** NT's `gradient_descent_mse` averages the
//! loss over the N samples, so its rate η is our α = η/N ([`alpha_from_nt`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the learning rate α is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningRate {
    /// α itself.
    Value(f64),
    /// α = c/s_max² (c = 1 is the paper's choice, [`LearningRate::AUTO`]; c ≥ 2 diverges).
    OverSmax2(f64),
    /// Neural-tangents' η, with the loss averaged over the N samples: α = η/N.
    Nt(f64),
}

impl Default for LearningRate {
    fn default() -> Self {
        LearningRate::AUTO
    }
}

impl LearningRate {
    /// α = 1/s_max², the paper's choice.
    pub const AUTO: LearningRate = LearningRate::OverSmax2(1.0);

    /// The same rate read in the neural-tangents convention when `nt` is set
    /// (a given value becomes η; rules relative to s_max are unchanged).
    #[must_use]
    pub fn with_nt(self, nt: bool) -> Self {
        match self {
            LearningRate::Value(v) if nt => LearningRate::Nt(v),
            other => other,
        }
    }

    /// α for a matrix with largest singular value `s_max` and `n` samples;
    /// an error when that is not a finite number > 0 (a zero matrix has no
    /// rate relative to s_max).
    pub fn resolve(self, s_max: f64, n: usize) -> Result<f64> {
        let a = self.value(s_max, n);
        if a.is_finite() && a >= f64::MIN_POSITIVE {
            Ok(a)
        } else if s_max == 0.0 && !matches!(self, LearningRate::Value(_)) {
            Err(Error::invalid(
                "learning rate alpha",
                a,
                "a rate relative to s_max, but A is zero (eta vanishes at every sigma(x - b) of \
                 these grids): change --activation, --sigma, --grid or --bias-grid, or give --alpha a number",
            ))
        } else {
            Err(Error::invalid(
                "learning rate alpha",
                a,
                format!(
                    "a finite number >= 2.2e-308 (s_max = {s_max:e}; a zero matrix has no auto learning rate, \
                     and 1/s_max^2 must be a normal f64: rescale --sigma, --grid or --bias-grid)"
                ),
            ))
        }
    }

    /// α without the check of [`LearningRate::resolve`].
    #[must_use]
    pub fn value(self, s_max: f64, n: usize) -> f64 {
        match self {
            LearningRate::Value(a) => a,
            LearningRate::OverSmax2(c) => c / (s_max * s_max),
            LearningRate::Nt(eta) => alpha_from_nt(eta, n),
        }
    }

    /// Rejects a parameter that is not a finite number > 0.
    pub fn check(self) -> Result<()> {
        let (LearningRate::Value(v) | LearningRate::OverSmax2(v) | LearningRate::Nt(v)) = self;
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(Error::invalid("alpha", v, "a finite learning rate > 0"))
        }
    }

    /// How α was obtained, for outputs: `1/s_max^2`, `given` or `nt: alpha = eta/N`
    /// (`c/s_max^2` for other multiples).
    #[must_use]
    pub fn rule(self) -> String {
        match self {
            LearningRate::OverSmax2(1.0) => "1/s_max^2".into(),
            LearningRate::OverSmax2(c) => format!("{c}/s_max^2"),
            LearningRate::Value(_) => "given".into(),
            LearningRate::Nt(_) => "nt: alpha = eta/N".into(),
        }
    }
}

impl fmt::Display for LearningRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearningRate::OverSmax2(c) if *c == 1.0 => f.write_str("auto"),
            LearningRate::OverSmax2(c) => write!(f, "{c}/s_max^2"),
            LearningRate::Value(v) => write!(f, "{v}"),
            LearningRate::Nt(eta) => write!(f, "nt:{eta}"),
        }
    }
}

impl FromStr for LearningRate {
    type Err = Error;
    /// `auto` (1/s_max²) or a finite number > 0.
    fn from_str(s: &str) -> Result<Self> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(LearningRate::AUTO);
        }
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= f64::MIN_POSITIVE => Ok(LearningRate::Value(v)),
            _ => Err(Error::invalid(
                "learning rate",
                format!("'{s}'"),
                "a finite number >= 2.2e-308 (a normal f64), or 'auto' for 1/s_max^2",
            )),
        }
    }
}

/// Neural-tangents learning-rate convention: NT's `gradient_descent_mse` averages
/// the loss over the N samples, so its rate η is our α = η/N.
#[must_use]
pub fn alpha_from_nt(eta: f64, n: usize) -> f64 {
    eta / n as f64
}

/// Inverse of [`alpha_from_nt`]: η = α·N.
#[must_use]
pub fn nt_from_alpha(alpha: f64, n: usize) -> f64 {
    alpha * n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_resolve() {
        assert_eq!(LearningRate::AUTO.resolve(2.0, 10).unwrap(), 0.25);
        assert_eq!(LearningRate::Value(0.1).resolve(2.0, 10).unwrap(), 0.1);
        assert_eq!(LearningRate::Nt(2.0).resolve(1.0, 4).unwrap(), 0.5);
        assert_eq!(
            LearningRate::Value(2.0).with_nt(true),
            LearningRate::Nt(2.0)
        );
        assert_eq!(LearningRate::AUTO.with_nt(true), LearningRate::AUTO);
        assert!(LearningRate::AUTO.resolve(0.0, 4).is_err());
        assert!(LearningRate::Value(f64::NAN).check().is_err());
        assert_eq!(LearningRate::AUTO.rule(), "1/s_max^2");
        assert_eq!(LearningRate::Nt(1.0).rule(), "nt: alpha = eta/N");
        assert_eq!("auto".parse::<LearningRate>().unwrap(), LearningRate::AUTO);
        assert!("nan".parse::<LearningRate>().is_err());
        assert_eq!(alpha_from_nt(2.0, 4), 0.5);
        assert_eq!(nt_from_alpha(0.5, 4), 2.0);
    }
}
