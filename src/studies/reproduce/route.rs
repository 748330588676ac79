//! Which route a figure's leading singular values (and vectors) take: the
//! dense SVD of A, or the K leading triplets by the block Krylov method of
//! [`crate::spectral::topk`] with a check of their residuals against what the
//! figure reads.
//!
//! **The rule** ([`leading`]), one for every figure:
//! 1. When [`prefers_topk`]`(N, M, K)` is false (min(N, M) < 2048, or the
//!    Krylov block above min(N, M)/16) the dense SVD is taken: it is cheap
//!    there, and the `--quick` and default sizes (N ≤ 1024) always take it.
//! 2. Otherwise the top-K route runs with K = max([`TOPK_K`], k_need + 16)
//!    on the stored A (at most [`TOPK_MAX_STEPS`] Krylov steps), and [`check`] decides from its residuals whether every
//!    component the figure reads ([`Need`]) is known to the accuracy the
//!    figure needs; if not, the dense SVD is taken and the reason recorded.
//!
//! **The check.** With ρ_k the larger of the two explicit residuals of
//! component k relative to ŝ_0 (see [`crate::spectral::topk`]) and gap_k the
//! distance of ŝ_k/ŝ_0 to its computed neighbours, the error of ŝ_k/ŝ_0 is
//! estimated as err_k = min(ρ_k, ρ_k²/gap_k) (the residual bound and the
//! quadratic Rayleigh–Ritz bound). Component k < k_need passes when
//! * err_k ≤ `rel`·ŝ_k/ŝ_0 (its value is known to `rel`), and, when the
//!   figure reads vectors, ρ_k/gap_k ≤ `angle` or ρ_k ≤ 64·ε (residual at the
//!   rounding level of the dense SVD itself; the angle bound is Wedin's), or
//! * its value is certified below `floor`·ŝ_0: min(ŝ_k/ŝ_0 + ρ_k, t_k) ≤
//!   `floor`, where t_k = √(‖A‖_F² − Σ_{i<k} ŝ_i² + 16·ε·‖A‖_F²)/ŝ_0 bounds
//!   s_k (the Ritz values never exceed the singular values, so the subtracted
//!   sum is at most Σ_{i<k} s_i²). Such a component is only bounded: figures
//!   draw the `resolved` leading components, those that pass the first test.

use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::design::Design;
use crate::spectral::{
    TopkOptions, TopkSpectrum, prefers_topk, singular_values, thin_svd, topk_of_matrix,
};

/// The smallest K of the top-K route: a bit above the 100 leading components
/// the spectrum figures read.
pub const TOPK_K: usize = 128;

/// Most Krylov steps of the top-K route. The spectra the figures resolve
/// take 3–8 (paper's activations at N = M = 5000); a nearly flat spectrum
/// (sinc or gaussian at σ = M) does not resolve in any number, and the cap
/// keeps that failed attempt cheap before the dense fallback.
pub const TOPK_MAX_STEPS: usize = 12;

/// What a figure reads of one spectrum, and to what accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Need {
    /// The components k < `k` are read.
    pub k: usize,
    /// Relative accuracy of each value s_k/s_0 read.
    pub rel: f64,
    /// Values certified below `floor`·s_0 need no digits (0: all need them).
    pub floor: f64,
    /// The left singular vectors u_k are read too, each to this angle in
    /// radians (0: values only).
    pub angle: f64,
}

/// How a spectrum was computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    /// The dense SVD of A (all min(N, M) values).
    Dense {
        /// Why: the size rule, or the top-K check that failed.
        reason: String,
    },
    /// The K leading triplets by the block Krylov method.
    Topk {
        /// K.
        k: usize,
        /// Passes over A.
        passes: usize,
        /// Leading components whose values are known to `rel`.
        resolved: usize,
        /// Largest residual (relative to ŝ_0) over the resolved components
        /// the figure reads.
        max_residual: f64,
    },
}

impl Route {
    /// One line for the report: `top-K (K=128, …)` or `dense SVD (reason)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Route::Dense { reason } => format!("dense SVD ({reason})"),
            Route::Topk {
                k,
                passes,
                resolved,
                max_residual,
            } => format!(
                "top-K (K={k}, {passes} passes, {resolved} components resolved, max residual {max_residual:.1e}·s_0)"
            ),
        }
    }
}

/// The leading spectrum of one design.
#[derive(Clone, Debug)]
pub struct Leading {
    /// Singular values, descending: all of them (dense) or the K leading ones.
    pub s: Vec<f64>,
    /// Left singular vectors (N × the length of `s`), when the need reads them.
    pub u: Option<Mat<f64>>,
    /// The leading components whose values are known to the need's `rel`
    /// (all of them on the dense route).
    pub resolved: usize,
    /// The route taken.
    pub route: Route,
}

/// The leading spectrum of `design` by the rule of the module docs.
///
/// # Errors
/// A failed SVD or top-K run (a non-finite entry of A).
pub fn leading(design: &Design, need: &Need) -> Result<Leading> {
    leading_of_matrix(&design.matrix(), need)
}

/// [`leading`] of a stored matrix.
///
/// # Errors
/// As [`leading`].
pub fn leading_of_matrix(a: &Mat<f64>, need: &Need) -> Result<Leading> {
    let (n, m) = (a.nrows(), a.ncols());
    let k = topk_k(n, m, need);
    if !prefers_topk(n, m, k) {
        return dense(
            a,
            need,
            format!("min(N, M) = {}: below the top-K size rule", n.min(m)),
        );
    }
    match topk_checked(a, need)? {
        Ok(l) => Ok(l),
        Err(reason) => dense(a, need, reason),
    }
}

/// K of the top-K route for a need on an N × M design.
fn topk_k(n: usize, m: usize, need: &Need) -> usize {
    TOPK_K.max(need.k + 16).min(n.min(m))
}

/// The top-K route on `a` whatever its size, checked against `need`: the
/// spectrum, or why it does not meet the need.
///
/// # Errors
/// A failed top-K run.
pub fn topk_checked(a: &Mat<f64>, need: &Need) -> Result<std::result::Result<Leading, String>> {
    let k = topk_k(a.nrows(), a.ncols(), need);
    let opts = TopkOptions {
        max_steps: TOPK_MAX_STEPS,
        ..TopkOptions::new(k)
    };
    let t = topk_of_matrix(a.as_ref(), &opts)?;
    let frob2 = a.as_ref().squared_norm_l2();
    Ok(
        check(&t, frob2, need).map(|(resolved, max_residual)| Leading {
            s: t.s.clone(),
            u: (need.angle > 0.0).then(|| t.u.clone()),
            resolved,
            route: Route::Topk {
                k,
                passes: t.passes,
                resolved,
                max_residual,
            },
        }),
    )
}

/// Dense singular values already computed in this process, by matrix
/// (its shape and a hash of its entries' bits): Figs. 3 and 8 both fall back
/// to the dense SVD of the same relu2 design at `--full`.
static DENSE_VALUES: Mutex<Vec<(MatrixKey, Vec<f64>)>> = Mutex::new(Vec::new());

/// A matrix's shape and a hash of its entries' bits.
type MatrixKey = (usize, usize, u64);

/// How many dense spectra [`DENSE_VALUES`] keeps (the oldest go first).
const DENSE_VALUES_KEPT: usize = 4;

fn matrix_key(a: &Mat<f64>) -> MatrixKey {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for j in 0..a.ncols() {
        for v in a.col(j).iter() {
            v.to_bits().hash(&mut h);
        }
    }
    (a.nrows(), a.ncols(), h.finish())
}

fn dense_values(a: &Mat<f64>) -> Result<Vec<f64>> {
    let key = matrix_key(a);
    let lock = || {
        DENSE_VALUES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(s) = lock().iter().find(|e| e.0 == key).map(|e| e.1.clone()) {
        return Ok(s);
    }
    let s = singular_values(a.as_ref())?;
    let mut memo = lock();
    if memo.len() >= DENSE_VALUES_KEPT {
        memo.remove(0);
    }
    memo.push((key, s.clone()));
    Ok(s)
}

fn dense(a: &Mat<f64>, need: &Need, reason: String) -> Result<Leading> {
    let (s, u) = if need.angle > 0.0 {
        let svd = thin_svd(a.as_ref())?;
        (svd.s, Some(svd.u))
    } else if prefers_topk(a.nrows(), a.ncols(), topk_k(a.nrows(), a.ncols(), need)) {
        (dense_values(a)?, None)
    } else {
        (singular_values(a.as_ref())?, None)
    };
    Ok(Leading {
        resolved: s.len(),
        s,
        u,
        route: Route::Dense { reason },
    })
}

/// The check of the module docs on a top-K spectrum `t` of a matrix with
/// ‖A‖_F² = `frob2`: (the resolved leading components, their largest
/// residual), or why `t` does not meet `need`.
///
/// # Errors
/// The reason, for the report, when a component read is neither known to
/// `rel` nor certified below `floor`.
pub fn check(
    t: &TopkSpectrum,
    frob2: f64,
    need: &Need,
) -> std::result::Result<(usize, f64), String> {
    let kk = t.s.len();
    if need.k > kk {
        return Err(format!("the figure reads {} components, K = {kk}", need.k));
    }
    let s0 = t.s[0];
    if s0.is_nan() || s0 <= 0.0 {
        return Err("s_0 = 0".into());
    }
    let sn: Vec<f64> = t.s.iter().map(|s| s / s0).collect();
    let frob2n = frob2 / (s0 * s0);
    let mut head = 0.0; // Σ_{i<k} ŝ_i²/ŝ_0²
    let mut resolved = 0;
    let mut prefix = true;
    let mut max_residual = 0.0f64;
    for k in 0..need.k {
        let rho = t.residual(k);
        let below = if k > 0 {
            sn[k - 1] - sn[k]
        } else {
            f64::INFINITY
        };
        let above = if k + 1 < kk {
            sn[k] - sn[k + 1]
        } else {
            f64::INFINITY
        };
        let gap = below.min(above);
        let err = if gap > 0.0 {
            rho.min(rho * rho / gap)
        } else {
            rho
        };
        let value_ok = err <= need.rel * sn[k];
        let vector_ok = need.angle == 0.0 || rho <= 64.0 * f64::EPSILON || rho <= need.angle * gap;
        let tail = ((frob2n - head).max(0.0) + 16.0 * f64::EPSILON * frob2n).sqrt();
        head += sn[k] * sn[k];
        if value_ok && vector_ok {
            if prefix {
                resolved += 1;
                max_residual = max_residual.max(rho);
            }
            continue;
        }
        prefix = false;
        if !vector_ok {
            return Err(format!(
                "top-K u_{k}: residual {rho:.1e}·s_0 over the gap {gap:.1e}·s_0 above the angle {:.0e} the figure needs",
                need.angle
            ));
        }
        let bound = (sn[k] + rho).min(tail);
        if bound > need.floor {
            let floor = if need.floor > 0.0 {
                format!("nor certified below {:.0e}·s_0", need.floor)
            } else {
                "and the figure reads every value".to_string()
            };
            return Err(format!(
                "top-K s_{k}/s_0 = {:.2e} with residual {rho:.1e}·s_0: not within {:.0e} (relative), {floor}",
                sn[k], need.rel
            ));
        }
    }
    Ok((resolved, max_residual))
}

/// The routes of one figure, labelled by what they computed (for the report).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Routes(pub Vec<(String, Route)>);

impl Routes {
    /// Records the route of `label`.
    pub fn push(&mut self, label: impl Into<String>, route: &Route) {
        self.0.push((label.into(), route.clone()));
    }

    /// The report's lines: the top-K runs together (with K, their largest
    /// residual and the fewest resolved components), then the dense ones
    /// grouped by their reason.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let topk: Vec<(&String, usize, usize, f64)> = self
            .0
            .iter()
            .filter_map(|(l, r)| match r {
                Route::Topk {
                    k,
                    resolved,
                    max_residual,
                    ..
                } => Some((l, *k, *resolved, *max_residual)),
                Route::Dense { .. } => None,
            })
            .collect();
        if !topk.is_empty() {
            let ks: Vec<usize> = topk.iter().map(|t| t.1).collect();
            let kmin = ks.iter().copied().min().unwrap_or(0);
            let kmax = ks.iter().copied().max().unwrap_or(0);
            let k = if kmin == kmax {
                format!("K={kmin}")
            } else {
                format!("K={kmin}…{kmax}")
            };
            let res = topk.iter().map(|t| t.3).fold(0.0, f64::max);
            let resolved = topk.iter().map(|t| t.2).min().unwrap_or(0);
            let names: Vec<&str> = topk.iter().map(|t| t.0.as_str()).collect();
            out.push(format!(
                "top-K ({k}, max residual {res:.1e}·s_0, at least {resolved} components resolved) for {}",
                names.join(", ")
            ));
        }
        let mut dense: Vec<(&str, Vec<&str>)> = Vec::new();
        for (l, r) in &self.0 {
            if let Route::Dense { reason } = r {
                match dense.iter_mut().find(|d| d.0 == reason.as_str()) {
                    Some(d) => d.1.push(l),
                    None => dense.push((reason, vec![l])),
                }
            }
        }
        for (reason, names) in dense {
            out.push(format!("dense SVD ({reason}) for {}", names.join(", ")));
        }
        out
    }
}
