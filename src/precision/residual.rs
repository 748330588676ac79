//! Sums of the reference residuals that the tolerances scale with.
//!
//! With c = Uᵀy and y_⊥ = y − Uc, the residual of exact GD from w₀ = 0 is
//! $r_t = U \operatorname{diag}((1 - \alpha s^2)^t) c + y_\perp$, so its norms and
//! sums have closed forms over the spectrum: no iteration needed.

use crate::spectral::gd_exact;

/// P_q = Σ_{t<q} ‖r_t‖ for every q in `qs` (ascending), with
/// ‖r_t‖² = Σ_k (1 − αs_k²)^{2t} c_k² + ‖y_⊥‖², c = Uᵀy, y_⊥ = y − Uc.
pub fn residual_norm_sums(s: &[f64], c: &[f64], y_perp: f64, alpha: f64, qs: &[u64]) -> Vec<f64> {
    let p2: Vec<f64> = s
        .iter()
        .map(|&sk| {
            let p = 1.0 - alpha * sk * sk;
            p * p
        })
        .collect();
    let mut e: Vec<f64> = c.iter().map(|ck| ck * ck).collect();
    let perp2 = y_perp * y_perp;
    let mut out = Vec::with_capacity(qs.len());
    let mut acc = 0.0;
    let mut t = 0u64;
    for &q in qs {
        while t < q {
            acc += (e.iter().sum::<f64>() + perp2).sqrt();
            e.iter_mut().zip(&p2).for_each(|(ek, pk)| *ek *= pk);
            t += 1;
        }
        out.push(acc);
    }
    out
}

/// ‖S_q‖ with S_q = Σ_{t<q} r_t = U diag((1 − (1 − αs²)^q)/(αs²)) c + q·y_⊥.
pub fn residual_sum_norm(s: &[f64], c: &[f64], y_perp: f64, alpha: f64, q: u64) -> f64 {
    let qf = q as f64;
    let mut acc = (qf * y_perp).powi(2);
    for (&sk, &ck) in s.iter().zip(c) {
        let x = alpha * sk * sk;
        let g = if x > 1e-300 {
            gd_exact(sk, alpha, q) / x
        } else {
            qf
        };
        acc += (g * ck).powi(2);
    }
    acc.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::norm;

    #[test]
    fn residual_sums_match_literal_iteration() {
        // Diagonal A = diag(s): r_t = (1 − αs²)^t y componentwise.
        let s = [2.0, 1.0, 0.25, 0.0];
        let c = [1.0, -0.5, 0.25, 0.125];
        let alpha = 0.2;
        let qs = [0, 1, 5, 40];
        let p = residual_norm_sums(&s, &c, 0.1, alpha, &qs);
        for (qi, &q) in qs.iter().enumerate() {
            let mut want = 0.0;
            let mut sum = [0.0; 4];
            for t in 0..q {
                let r: Vec<f64> = s
                    .iter()
                    .zip(&c)
                    .map(|(sk, ck)| (1.0 - alpha * sk * sk).powi(t as i32) * ck)
                    .collect();
                want += (norm(&r).powi(2) + 0.01).sqrt();
                sum.iter_mut().zip(&r).for_each(|(a, b)| *a += b);
            }
            assert!((p[qi] - want).abs() <= 1e-13 * want.max(1.0), "{q}");
            let s_norm = (norm(&sum).powi(2) + (q as f64 * 0.1).powi(2)).sqrt();
            let got = residual_sum_norm(&s, &c, 0.1, alpha, q);
            assert!((got - s_norm).abs() <= 1e-12 * s_norm.max(1.0), "{q}");
        }
    }
}
