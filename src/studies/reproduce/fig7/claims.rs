//! Fig. 7's claims: the columns of ∇^{−r} against the shifted splines (exact
//! for r ≤ 2, close with the paper's bias, never exact for r = 3), and the
//! equivalence of spline smoothing, ridge regression and the network.

use serde_json::json;

use super::Config;
use super::compute::{Column, ColumnMatch, Equivalence};
use crate::studies::reproduce::format::{fx, g};
use crate::studies::reproduce::{Claim, ClaimKind};

/// Every claim of Fig. 7 that its orders allow.
pub(super) fn claims(cfg: &Config, cols: &[Column], eq: &[Equivalence]) -> Vec<Claim> {
    let cm: Vec<&ColumnMatch> = cols.iter().map(|c| &c.0).collect();
    [
        columns_exact_r12(&cm),
        Some(columns_paper_bias(cfg, &cm)),
        r3_not_exact(&cm),
        Some(ridge_equals_spline(cfg, eq)),
        network_equals_spline_r12(eq),
        Some(network_approximates_spline(eq)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// "r=… m=…: 1 − f" per column.
fn fmt1(v: &[&&ColumnMatch], f: fn(&ColumnMatch) -> f64) -> String {
    v.iter()
        .map(|c| format!("r={} m={}: {}", c.r, c.m, g(1.0 - f(c))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "r=… m=…: f" per column, 7 decimals.
fn fmt(v: &[&&ColumnMatch], f: fn(&ColumnMatch) -> f64) -> String {
    v.iter()
        .map(|c| format!("r={} m={}: {}", c.r, c.m, fx(f(c), 7)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn columns_exact_r12(cm: &[&ColumnMatch]) -> Option<Claim> {
    let r12: Vec<&&ColumnMatch> = cm.iter().filter(|c| c.r <= 2).collect();
    if r12.is_empty() {
        return None;
    }
    let worst = r12.iter().map(|c| 1.0 - c.cos_shifted).fold(0.0, f64::max);
    Some(
        Claim::new(
            "fig7.columns_exact_r12",
            ClaimKind::Hard,
            "Columns of ∇^−1 and ∇^−2 are exactly shifted heaviside and ReLU (Prop. 3.1; SPEC §6: exact with b = (m−1)/M).",
        )
        .criterion("1 − |cos| ≤ 1e-12 for r ∈ {1, 2}, b = (m−1)/M, every m")
        .measured(
            format!("1 − |cos|: {}", fmt1(&r12, |c| c.cos_shifted)),
            json!(r12),
        )
        .passed_if(worst <= 1e-12),
    )
}

fn columns_paper_bias(cfg: &Config, cm: &[&ColumnMatch]) -> Claim {
    let m = cfg.m_cols;
    let minp = cm.iter().map(|c| c.cos_paper).fold(f64::INFINITY, f64::min);
    let r1_formula: Vec<(usize, f64, f64)> = cm
        .iter()
        .filter(|c| c.r == 1)
        .map(|c| {
            let f = ((m - c.m - 1) as f64 / (m - c.m) as f64).sqrt();
            (c.m, c.cos_paper, f)
        })
        .collect();
    let formula_ok = r1_formula.iter().all(|(_, v, f)| (v - f).abs() <= 1e-12);
    let floor = if m >= 5000 {
        0.9995
    } else {
        ((m / 4 - 1) as f64 / (m / 4) as f64).sqrt() - 1e-12
    };
    Claim::new(
        "fig7.columns_paper_bias",
        ClaimKind::Hard,
        "With the paper's bias b_m = m/M the columns closely resemble the shifted splines (paper App. A, Fig. 7; SPEC: |cos| ≥ 0.9996 at M = 5000).",
    )
    .criterion(format!(
        "r = 1: |cos| = √((M−m−1)/(M−m)) exactly (to 1e-12; one step of the column is missed); min |cos| over r, m ≥ {} at M = {m}",
        if m >= 5000 { "0.9995 (0.9996 to 4 digits)".to_string() } else { fx(floor, 6) }
    ))
    .measured(
        format!("min |cos| {}; {}", fx(minp, 8), fmt(&cm.iter().collect::<Vec<_>>(), |c| c.cos_paper)),
        json!({"columns": cm, "r1_formula": r1_formula}),
    )
    .passed_if(formula_ok && minp >= floor)
}

fn r3_not_exact(cm: &[&ColumnMatch]) -> Option<Claim> {
    let r3: Vec<&&ColumnMatch> = cm.iter().filter(|c| c.r == 3).collect();
    if r3.is_empty() {
        return None;
    }
    let max_paper = r3.iter().map(|c| c.cos_paper).fold(0.0, f64::max);
    let max_shift = r3.iter().map(|c| c.cos_shifted).fold(0.0, f64::max);
    let min_any = r3
        .iter()
        .map(|c| c.cos_paper.min(c.cos_shifted))
        .fold(f64::INFINITY, f64::min);
    Some(
        Claim::new(
            "fig7.r3_not_exact",
            ClaimKind::Hard,
            "Columns of ∇^−3 resemble shifted ReLU² (paper), but are never exactly one (SPEC §6): the cumulative sum of i − m + 1 is (i−m+1)(i−m+2)/2, not (i−m+1)².",
        )
        .criterion("for r = 3, 1 − |cos| ≥ 1e-9 for both biases (not exact) and |cos| ≥ 0.999 (resembles)")
        .measured(
            format!(
                "1 − |cos| with b = m/M: {}; with b = (m−1)/M: {}",
                fmt1(&r3, |c| c.cos_paper),
                fmt1(&r3, |c| c.cos_shifted)
            ),
            json!(r3),
        )
        .passed_if(max_paper <= 1.0 - 1e-9 && max_shift <= 1.0 - 1e-9 && min_any >= 0.999),
    )
}

fn ridge_equals_spline(cfg: &Config, eq: &[Equivalence]) -> Claim {
    let worst_ridge = eq.iter().map(|e| e.ridge_vs_spline).fold(0.0, f64::max);
    Claim::new(
        "fig7.ridge_equals_spline",
        ClaimKind::Hard,
        "Spline smoothing (Eq. 20) and ridge regression on w with A = D∇^−r (Eq. 21) give the same f (Prop. 3.1, App. A).",
    )
    .criterion("‖f_ridge − f_spline‖/‖f_spline‖ ≤ 1e-8 for every r and λ (both f64; the independent golden implementation measured ≤ 5e-12)")
    .measured(
        format!(
            "max relative gap {} ({} cases, M = {})",
            g(worst_ridge),
            eq.len(),
            cfg.m_eq
        ),
        json!(eq.iter().map(|e| json!({"r": e.r, "lam_rel": e.lam_rel, "gap": e.ridge_vs_spline})).collect::<Vec<_>>()),
    )
    .passed_if(worst_ridge <= 1e-8)
}

fn network_equals_spline_r12(eq: &[Equivalence]) -> Option<Claim> {
    let net12: Vec<&Equivalence> = eq.iter().filter(|e| e.r <= 2).collect();
    if net12.is_empty() {
        return None;
    }
    let worst = net12
        .iter()
        .map(|e| e.net_shifted_vs_spline)
        .fold(0.0, f64::max);
    Some(
        Claim::new(
            "fig7.network_equals_spline_r12",
            ClaimKind::Hard,
            "A ridge-regularised shallow network with heaviside (r = 1) or ReLU (r = 2) units at b_j = (j−1)/M is spline smoothing of order r (Prop. 3.1).",
        )
        .criterion("‖f_net − f_spline‖/‖f_spline‖ ≤ 1e-8 for r ∈ {1, 2} and every λ")
        .measured(
            format!("max relative gap {}", g(worst)),
            json!(net12.iter().map(|e| json!({"r": e.r, "lam_rel": e.lam_rel, "gap": e.net_shifted_vs_spline, "mismatch": e.net_shifted_mismatch})).collect::<Vec<_>>()),
        )
        .passed_if(worst <= 1e-8),
    )
}

fn network_approximates_spline(eq: &[Equivalence]) -> Claim {
    let rest: Vec<String> = eq
        .iter()
        .map(|e| {
            format!(
                "r={} λ_rel={}: b=m/M {}, b=(m−1)/M {}",
                e.r,
                g(e.lam_rel),
                g(e.net_paper_vs_spline),
                g(e.net_shifted_vs_spline)
            )
        })
        .collect();
    let worst_any = eq
        .iter()
        .map(|e| e.net_paper_vs_spline.max(e.net_shifted_vs_spline))
        .fold(0.0, f64::max);
    Claim::new(
        "fig7.network_approximates_spline",
        ClaimKind::Observation,
        "The shallow network is a discrete approximation of spline smoothing (paper §3): with the paper's b = m/M, and for r = 3 (ReLU²), f differs from the spline solution at finite M.",
    )
    .criterion("relative gap ≤ 0.25 in every case (reported; exact only for r ≤ 2 with b = (m−1)/M)")
    .measured(rest.join("; "), json!(eq))
    .passed_if(worst_any <= 0.25)
}
