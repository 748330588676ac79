//! Proposition 4.2: iterations q needed to keep K components, the threshold κ,
//! the active window ρ and the grey zone (SPEC §4).
//!
//! $$\kappa = \sqrt{\frac{-\ln\epsilon}{\alpha q}}$$
//! With α = 1/s_max², ε = e⁻¹ and κ = s_{K−1} (keep components 0..K−1):
//! $$q(K) = \left\lceil (s_0 / s_{K-1})^2 (1 - 10^{-9}) \right\rceil \ge 1.$$
//! The factor (1 − 10⁻⁹) keeps ratios that equal an integer up to rounding
//! from jumping to the next integer. When s_{K−1} ≤ max(N, M)·ε·s_0 the
//! component is numerically zero and q(K) is *unreachable* (`None`), never a
//! huge number. A q(K) that does not fit in a u64 (ratio² ≥ 2⁶⁴ ≈ 1.8·10¹⁹,
//! e.g. sinc past its cut-off) is also `None`, with `ratio_sq` still reported.
//!
//! Note: the paper's Fig. 6 caption writes q = s_max/s_K without the square; we
//! follow Eq. 17 (with the square).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Relative slack applied before the ceiling in q(K).
pub const Q_RTOL: f64 = 1e-9;

/// One row of the q(K) table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QkRow {
    /// Number of kept components K (1-based).
    pub k: usize,
    /// q(K), or `None` when s_{K−1} is numerically zero (then `ratio_sq` is
    /// `None` too) or when q(K) ≥ 2⁶⁴ does not fit in a u64 (`ratio_sq` holds it).
    pub q: Option<u64>,
    /// (s_0/s_{K−1})², or `None` when s_{K−1} is numerically zero.
    pub ratio_sq: Option<f64>,
}

/// True when s_k carries no information: s_k ≤ max(N, M)·ε·s_0.
pub fn is_numerically_zero(s: &[f64], k: usize, n: usize, m: usize) -> bool {
    let s0 = s.first().copied().unwrap_or(0.0);
    s[k] <= n.max(m) as f64 * f64::EPSILON * s0
}

/// q(K) for K = 1..=len(s); `n`, `m` are the matrix dimensions (for the zero threshold).
pub fn q_of_k(s: &[f64], k: usize, n: usize, m: usize) -> Result<QkRow> {
    if k == 0 || k > s.len() {
        return Err(Error::invalid(
            "K",
            k,
            format!("a number of components from 1 to min(N, M) = {}", s.len()),
        ));
    }
    if is_numerically_zero(s, k - 1, n, m) {
        return Ok(QkRow {
            k,
            q: None,
            ratio_sq: None,
        });
    }
    let ratio = s[0] / s[k - 1];
    let ratio_sq = ratio * ratio;
    // `as u64` would saturate silently at u64::MAX; 2⁶⁴ is exact in f64.
    let qf = (ratio_sq * (1.0 - Q_RTOL)).ceil().max(1.0);
    let q = (qf < 18_446_744_073_709_551_616.0).then_some(qf as u64);
    Ok(QkRow {
        k,
        q,
        ratio_sq: Some(ratio_sq),
    })
}

/// The q(K) table for K = 1..=k_max.
pub fn q_table(s: &[f64], k_max: usize, n: usize, m: usize) -> Result<Vec<QkRow>> {
    (1..=k_max).map(|k| q_of_k(s, k, n, m)).collect()
}

/// κ = √(−ln ε / (α q)): the singular value where m_flow(κ) = 1 − ε.
pub fn kappa(alpha: f64, q: f64, eps: f64) -> Result<f64> {
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Error::invalid("epsilon", eps, "a mask threshold in (0, 1)"));
    }
    if !(alpha > 0.0 && q > 0.0) {
        return Err(Error::invalid("alpha*q", alpha * q, "alpha > 0 and q > 0"));
    }
    Ok((-eps.ln() / (alpha * q)).sqrt())
}

/// Active window ρ(ε) = s_max/κ = √(q / −ln ε) at α = 1/s_max² (App. C); √q at ε = e⁻¹.
pub fn window_rho(q: f64, eps: f64) -> f64 {
    (q / -eps.ln()).sqrt()
}

/// Width in dB of the flow mask's transition from 1 − δ down to δ:
/// 10·log10(s_hi/s_lo) = 5·log10(ln δ / ln(1 − δ)), independent of α and q
/// (≈ 15.12 dB at δ = 0.005). Note: 10·log10 of an *amplitude* ratio.
pub fn grey_zone_flow_db(delta: f64) -> f64 {
    5.0 * (delta.ln() / (-delta).ln_1p()).log10()
}

/// The same width for the exact GD mask after q iterations (it depends on q):
/// s_hi² = 1 − δ^{1/q}, s_lo² = 1 − (1 − δ)^{1/q} at α = 1.
pub fn grey_zone_exact_db(q: u64, delta: f64) -> f64 {
    let qf = q as f64;
    let hi = -(delta.ln() / qf).exp_m1();
    let lo = -((-delta).ln_1p() / qf).exp_m1();
    5.0 * (hi / lo).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_of_k_rules() {
        let s = [3.0, 1.0, 1e-20];
        assert_eq!(q_of_k(&s, 1, 3, 3).unwrap().q, Some(1));
        assert_eq!(q_of_k(&s, 2, 3, 3).unwrap().q, Some(9));
        assert_eq!(q_of_k(&s, 3, 3, 3).unwrap().q, None);
        assert!(q_of_k(&s, 0, 3, 3).is_err());
        assert!(q_of_k(&s, 4, 3, 3).is_err());
        // q ≥ 2⁶⁴ is not representable: None, with the ratio² kept.
        let s = [1.0, 1e-10, 0.0];
        let row = q_of_k(&s, 2, 3, 3).unwrap();
        assert_eq!(row.q, None);
        assert!((row.ratio_sq.unwrap() - 1e20).abs() < 1e6);
        // A ratio² a hair above an integer does not round up.
        let s = [1.0, 1.0 / (2.0f64 + 1e-15).sqrt()];
        assert_eq!(q_of_k(&s, 2, 2, 2).unwrap().q, Some(2));
    }

    #[test]
    fn grey_zone_widths() {
        assert!((grey_zone_flow_db(0.005) - 15.120399797304021).abs() < 1e-12);
        assert!((grey_zone_exact_db(10, 0.005) - 14.571026491405556).abs() < 1e-10);
        assert!((grey_zone_exact_db(10_000, 0.005) - 15.119825109434032).abs() < 1e-10);
    }

    #[test]
    fn kappa_and_window() {
        let k = kappa(1.0, 100.0, (-1.0f64).exp()).unwrap();
        assert!((k - 0.1).abs() < 1e-15);
        assert!((window_rho(100.0, (-1.0f64).exp()) - 10.0).abs() < 1e-12);
        assert!(kappa(1.0, 1.0, 1.5).is_err());
    }
}
