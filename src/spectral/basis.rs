//! Principal components against the DST-like basis of the paper (§6).
//!
//! $d_k(x) = \sin(\pi (k + \tfrac12) x)$; u_k is compared with d_k by
//! |cos(u_k, d_k)|, and — for tanh's near-degenerate pairs — by its projection
//! on span{cos, sin}(π(2⌊k/2⌋ + 1)x).

use serde::{Deserialize, Serialize};

use super::svd::ThinSvd;
use crate::error::{Error, Result};

/// d_k(x_i) = sin(π(k + ½)x_i), the DST-like basis of the paper.
pub fn dst_basis(x: &[f64], k: usize) -> Vec<f64> {
    let w = std::f64::consts::PI * (k as f64 + 0.5);
    x.iter().map(|&xi| (w * xi).sin()).collect()
}

/// |cos(a, b)| = |aᵀb| / (‖a‖‖b‖); 0 when either vector is zero.
pub fn abs_cos(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        (ab / (aa.sqrt() * bb.sqrt())).abs()
    }
}

/// Norm of the projection of the unit vector u/‖u‖ on span{cos, sin}(π(2j+1)x),
/// j = ⌊k/2⌋: the subspace that the k-th near-degenerate pair of tanh(σz), σ = M, spans (SPEC §5).
pub fn fourier_pair_projection(u: &[f64], x: &[f64], k: usize) -> f64 {
    let w = std::f64::consts::PI * (2 * (k / 2) + 1) as f64;
    let c: Vec<f64> = x.iter().map(|&xi| (w * xi).cos()).collect();
    let s: Vec<f64> = x.iter().map(|&xi| (w * xi).sin()).collect();
    let basis = orthonormalize(&[c, s]);
    let un = norm(u);
    if un == 0.0 {
        return 0.0;
    }
    let p2: f64 = basis
        .iter()
        .map(|e| {
            let d: f64 = e.iter().zip(u).map(|(a, b)| a * b).sum::<f64>() / un;
            d * d
        })
        .sum();
    p2.sqrt()
}

/// How well u_k matches the DST basis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DstMatch {
    /// Component index k.
    pub k: usize,
    /// |cos(u_k, d_k)|.
    pub abs_cos: f64,
    /// The j in 0..r with the largest |cos(u_k, d_j)|.
    pub best_j: usize,
    /// That largest |cos(u_k, d_j)|.
    pub best_abs_cos: f64,
    /// Projection of u_k on the {cos, sin}(π(2⌊k/2⌋+1)x) pair subspace.
    pub fourier_pair_proj: f64,
}

/// |cos(u_k, d_k)| and friends for each k in `ks` (k must be < r).
pub fn dst_similarity(svd: &ThinSvd, x: &[f64], ks: &[usize]) -> Result<Vec<DstMatch>> {
    dst_similarity_of(svd.u.as_ref(), svd.rank_bound(), x, ks)
}

/// [`dst_similarity`] from the leading columns `u` of U alone (for spectra
/// computed without the full SVD); the best match is searched over the r
/// DST functions d_0 … d_{r−1}. Each k must index a column of `u`.
pub fn dst_similarity_of(
    u: faer::MatRef<'_, f64>,
    r: usize,
    x: &[f64],
    ks: &[usize],
) -> Result<Vec<DstMatch>> {
    ks.iter()
        .map(|&k| {
            if k >= r.min(u.ncols()) {
                return Err(Error::invalid(
                    "component k",
                    k,
                    format!("an index below min(N, M) = {}", r.min(u.ncols())),
                ));
            }
            let u: Vec<f64> = u.col(k).iter().copied().collect();
            let (best_j, best_abs_cos) = (0..r)
                .map(|j| (j, abs_cos(&u, &dst_basis(x, j))))
                .fold((0, -1.0), |acc, c| if c.1 > acc.1 { c } else { acc });
            Ok(DstMatch {
                k,
                abs_cos: abs_cos(&u, &dst_basis(x, k)),
                best_j,
                best_abs_cos,
                fourier_pair_proj: fourier_pair_projection(&u, x, k),
            })
        })
        .collect()
}

/// Euclidean norm ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Modified Gram–Schmidt; drops vectors that are numerically dependent.
fn orthonormalize(vs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut v = v.clone();
        for e in &out {
            let d: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(e).for_each(|(a, b)| *a -= d * b);
        }
        let n = norm(&v);
        if n > 1e-12 {
            for a in &mut v {
                *a /= n;
            }
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_helpers() {
        assert_eq!(abs_cos(&[1.0, 0.0], &[-2.0, 0.0]), 1.0);
        assert_eq!(abs_cos(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        let x = crate::model::grid::linspace(64);
        let c: Vec<f64> = x
            .iter()
            .map(|&t| (3.0 * std::f64::consts::PI * t).cos())
            .collect();
        assert!((fourier_pair_projection(&c, &x, 2) - 1.0).abs() < 1e-12);
        assert!((fourier_pair_projection(&c, &x, 3) - 1.0).abs() < 1e-12);
    }
}
