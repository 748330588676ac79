//! The one estimator of s_max, the largest singular value.
//!
//! Golub–Kahan–Lanczos bidiagonalization with full reorthogonalization costs
//! O(N·M) per step instead of a full SVD. Its Ritz value converges to s_max
//! from below, even inside near-degenerate clusters such as tanh's pairs.
//! [`largest_singular_value`] runs it to 1e−14 (what α = 1/s_max² needs);
//! [`largest_singular_value_to`] stops at a looser relative tolerance, for
//! norms that only scale a tolerance (the error model's ‖ΔA‖₂, ‖A_e‖₂).

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::basis::norm;
use super::svd::check_finite;
use crate::error::{Error, Result};
use crate::model::Design;

/// Relative agreement of consecutive estimates at which [`largest_singular_value`] stops.
pub const SMAX_RTOL: f64 = 1e-14;

/// Largest singular value s_max of `a` by Golub–Kahan–Lanczos bidiagonalization
/// with full reorthogonalization: O(N·M) per step instead of a full SVD.
///
/// The Ritz value of the small bidiagonal matrix converges to s_max from below
/// (even inside near-degenerate clusters such as tanh's pairs), usually to
/// ~1e−14 relative within a few dozen steps; iteration stops when three
/// consecutive estimates agree to 1e−14 or after min(N, M) steps (then it is exact).
/// α = 1/ŝ² with ŝ ≤ s_max puts α·s_max² within that tolerance of 1 (see
/// [`crate::spectral::mask::REGIME_RTOL`]).
pub fn largest_singular_value(a: MatRef<'_, f64>) -> Result<f64> {
    largest_singular_value_to(a, SMAX_RTOL)
}

/// [`largest_singular_value`] to a relative tolerance `rtol` (three consecutive
/// estimates within `rtol`, or min(N, M) steps, at most 300).
pub fn largest_singular_value_to(a: MatRef<'_, f64>, rtol: f64) -> Result<f64> {
    check_finite(a, "largest singular value")?;
    let (n, m) = (a.nrows(), a.ncols());
    let av = |v: &[f64]| -> Vec<f64> {
        let vm = Mat::<f64>::from_fn(m, 1, |j, _| v[j]);
        (a * &vm).col(0).iter().copied().collect()
    };
    let atu = |u: &[f64]| -> Vec<f64> {
        let um = Mat::<f64>::from_fn(n, 1, |i, _| u[i]);
        (a.transpose() * &um).col(0).iter().copied().collect()
    };
    lanczos((n, m), &av, &atu, rtol)
}

/// [`largest_singular_value`] of a design's A without storing A: every
/// product A·v and Aᵀ·u recomputes the entries η(σ(x_i − b_j)) (rows and
/// columns in parallel, each sum in index order, so the result does not
/// depend on the number of threads). Host memory O(N + M) per Lanczos
/// vector instead of 8·N·M bytes, at 2·N·M evaluations of η per step. Agrees
/// with the dense estimate to the rounding of the products (~1e−15 relative).
///
/// # Errors
/// [`Error::Linalg`] when an entry of A is not finite.
pub fn largest_singular_value_of_design(design: &Design) -> Result<f64> {
    let (x, b) = (design.x(), design.b());
    let (n, m) = (x.len(), b.len());
    let av = |v: &[f64]| -> Vec<f64> {
        x.par_iter()
            .map_init(
                || vec![0.0; m],
                |row, &xi| {
                    design.fill_row(xi, b, row);
                    row.iter().zip(v).map(|(a, vj)| a * vj).sum()
                },
            )
            .collect()
    };
    let atu = |u: &[f64]| -> Vec<f64> {
        b.par_iter()
            .map_init(
                || vec![0.0; n],
                |col, &bj| {
                    design.fill_column(bj, x, col);
                    col.iter().zip(u).map(|(a, ui)| a * ui).sum()
                },
            )
            .collect()
    };
    let s = lanczos((n, m), &av, &atu, SMAX_RTOL)?;
    if s.is_finite() {
        Ok(s)
    } else {
        Err(Error::Linalg {
            op: "largest singular value (matrix-free)".into(),
            rows: n,
            cols: m,
            detail: format!("the estimate is {s}; the entries of A must be finite"),
        })
    }
}

/// Golub–Kahan–Lanczos on an operator of shape (N, M) given by its products.
fn lanczos(
    (n, m): (usize, usize),
    av: &dyn Fn(&[f64]) -> Vec<f64>,
    atu: &dyn Fn(&[f64]) -> Vec<f64>,
    rtol: f64,
) -> Result<f64> {
    let r = n.min(m);
    if r == 0 {
        return Ok(0.0);
    }
    let max_steps = r.min(300);
    // Deterministic, non-special start vector.
    let mut v: Vec<f64> = (0..m)
        .map(|j| 1.0 + 0.5 * ((j as f64 + 1.0) * 0.618_033_988_749_895).fract())
        .collect();
    normalize(&mut v);
    let (mut us, mut vs): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (Vec::new(), Vec::new());
    let (mut alphas, mut betas) = (Vec::new(), Vec::new());
    let mut beta_prev = 0.0;
    let mut est = 0.0f64;
    let mut agree = 0;
    for k in 0..max_steps {
        let mut u = av(&v);
        if let Some(up) = us.last() {
            u.iter_mut().zip(up).for_each(|(x, y)| *x -= beta_prev * y);
        }
        reorthogonalize(&mut u, &us);
        let alpha = norm(&u);
        alphas.push(alpha);
        vs.push(v.clone());
        if alpha == 0.0 {
            break;
        }
        for x in &mut u {
            *x /= alpha;
        }
        let mut w = atu(&u);
        w.iter_mut().zip(&v).for_each(|(x, y)| *x -= alpha * y);
        reorthogonalize(&mut w, &vs);
        let beta = norm(&w);
        us.push(u);
        // Largest singular value of the (k+1)×(k+1) upper-bidiagonal matrix.
        let kk = k + 1;
        let b = Mat::<f64>::from_fn(kk, kk, |i, j| {
            if i == j {
                alphas[i]
            } else if j == i + 1 {
                betas[i]
            } else {
                0.0
            }
        });
        let new = b.singular_values().map_err(|e| Error::Linalg {
            op: "Lanczos bidiagonal SVD".into(),
            rows: n,
            cols: m,
            detail: format!("{e:?}"),
        })?[0];
        agree = if (new - est).abs() <= rtol * new {
            agree + 1
        } else {
            0
        };
        est = est.max(new);
        if agree >= 3 || beta <= SMAX_RTOL * est {
            break;
        }
        betas.push(beta);
        beta_prev = beta;
        v = w.into_iter().map(|x| x / beta).collect();
    }
    Ok(est)
}

fn normalize(v: &mut [f64]) {
    let n = norm(v);
    if n > 0.0 {
        for x in v.iter_mut() {
            *x /= n;
        }
    }
}

/// Two passes of classical Gram–Schmidt against an orthonormal set.
fn reorthogonalize(v: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for e in basis {
            let d: f64 = v.iter().zip(e).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(e).for_each(|(a, b)| *a -= d * b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Design};
    use crate::spectral::singular_values;

    #[test]
    fn lanczos_s_max_matches_the_svd() {
        for (act, sigma, n, m) in [
            (Activation::Tanh, 300.0, 300, 300), // near-equal top pair
            (Activation::Relu, 1.0, 120, 400),
            (Activation::Sinc, 20.0, 400, 90), // flat top of the spectrum
            (Activation::Heaviside, 1.0, 1, 1),
        ] {
            let a = Design::spec(act)
                .sigma(sigma)
                .n(n)
                .m(m)
                .build()
                .unwrap()
                .matrix();
            let s = singular_values(a.as_ref()).unwrap()[0];
            let l = largest_singular_value(a.as_ref()).unwrap();
            assert!((l - s).abs() <= 1e-12 * s, "{act}: {l} vs {s}");
            let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
            let f = largest_singular_value_of_design(&d).unwrap();
            assert!(
                (f - s).abs() <= 1e-12 * s,
                "{act} (matrix-free): {f} vs {s}"
            );
        }
    }
}
