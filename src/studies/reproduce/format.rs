//! Number formats of the claims' measured texts, plot labels and notes.

use crate::model::activation::Activation;

/// Compact number for reports: at most 4 decimals, exponent form below 1e-3 and from 1e5.
pub fn g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" || s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

/// Compact number with `d` decimals (dB values, cosines).
pub fn fx(v: f64, d: usize) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        format!("{v:.d$}")
    }
}

/// Values formatted by [`g`], joined by ", ".
pub fn join_g(v: &[f64]) -> String {
    v.iter().map(|x| g(*x)).collect::<Vec<_>>().join(", ")
}

/// Values formatted by [`fx`] with `d` decimals, joined by ", ".
pub fn join_fx(v: &[f64], d: usize) -> String {
    v.iter().map(|x| fx(*x, d)).collect::<Vec<_>>().join(", ")
}

/// Activation names joined by ", ".
pub fn names(activations: &[Activation]) -> String {
    activations
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(g(15.120_399), "15.1204");
        assert_eq!(g(0.5), "0.5");
        assert_eq!(g(1.2e11), "1.200e11");
        assert_eq!(join_fx(&[1.0, f64::NAN], 2), "1.00, NaN");
        assert_eq!(join_g(&[0.5, 2.0]), "0.5, 2");
    }
}
