//! Fig. 9's claims: a full-rank V orders its components by smoothness; a
//! rank-one V does not, and its components vary along x only.

use serde_json::json;

use super::compute::{Energies, Variant};
use crate::studies::reproduce::format::{fx, g};
use crate::studies::reproduce::{Claim, ClaimKind};

/// Every claim of Fig. 9.
pub(super) fn claims(e: &Energies) -> Vec<Claim> {
    let (r1, fr) = (&e.variants[0], &e.variants[1]);
    vec![
        full_rank_orders_smoothness(e, fr),
        rank_one_no_order(e.ke, r1, fr),
        rank_one_not_2d_smooth(e, r1, fr),
    ]
}

/// Mean of the finite values over all of them.
fn mean(x: &[f64]) -> f64 {
    x.iter().filter(|e| e.is_finite()).sum::<f64>() / x.len().max(1) as f64
}

/// Median of E(u_k)/E(DST_k) over k ≥ 1.
fn ratio_med(e: &[f64], dst_e: &[(f64, f64)]) -> f64 {
    let mut r: Vec<f64> = e
        .iter()
        .zip(dst_e)
        .skip(1)
        .map(|(a, d)| a / d.0)
        .filter(|x| x.is_finite())
        .collect();
    r.sort_by(f64::total_cmp);
    r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
}

fn full_rank_orders_smoothness(e: &Energies, fr: &Variant) -> Claim {
    let ke = e.ke;
    Claim::new(
        "fig9.full_rank_orders_smoothness",
        ClaimKind::Hard,
        "With a full-rank V the relation between singular-value order and smoothness returns (paper App. E, Fig. 9 row 2).",
    )
    .criterion(format!("Spearman rank correlation between k and the Dirichlet energy of u_k, k < {ke}, ≥ 0.9"))
    .measured(
        format!(
            "Spearman {}; horizontal share of the energy {} (isotropic ≈ 0.5); median E(u_k)/E(DST_k) {}",
            fx(fr.spearman, 4),
            fx(mean(&fr.hfrac), 3),
            g(ratio_med(&fr.energy, &e.dst_e))
        ),
        json!({"spearman": fr.spearman, "mean_horizontal_fraction": mean(&fr.hfrac), "energy": fr.energy}),
    )
    .passed_if(fr.spearman >= 0.9)
}

fn rank_one_no_order(ke: usize, r1: &Variant, fr: &Variant) -> Claim {
    Claim::new(
        "fig9.rank_one_no_order",
        ClaimKind::Observation,
        "With Zhang et al.'s rank-one V there is no longer any relationship between the ordering of the singular values and the smoothness of the principal components (paper App. E, Fig. 9 row 1).",
    )
    .criterion(format!("Spearman rank correlation between k and the Dirichlet energy of u_k, k < {ke}, ≤ 0.5"))
    .measured(
        format!(
            "Spearman {} (full-rank V: {})",
            fx(r1.spearman, 4),
            fx(fr.spearman, 4)
        ),
        json!({"spearman": r1.spearman, "energy": r1.energy}),
    )
    .passed_if(r1.spearman <= 0.5)
}

fn rank_one_not_2d_smooth(e: &Energies, r1: &Variant, fr: &Variant) -> Claim {
    let ke = e.ke;
    let (h1, e1, ef) = (
        mean(&r1.hfrac),
        ratio_med(&r1.energy, &e.dst_e),
        ratio_med(&fr.energy, &e.dst_e),
    );
    Claim::new(
        "fig9.rank_one_not_2d_smooth",
        ClaimKind::Observation,
        "Rank-one V components violate the 2-D smoothness assumption, exhibiting variation only in the horizontal direction (paper App. E, Fig. 9 row 1).",
    )
    .criterion(format!("for k < {ke}: share of the Dirichlet energy in horizontal differences ≥ 0.8, and median E(u_k)/E(DST2D_k) ≥ 2 (the 2-D DST ordered by frequency is the smoothest basis of each size)"))
    .measured(
        format!(
            "horizontal share {} (full-rank {}); median E(u_k)/E(DST2D_k) {} (full-rank {})",
            fx(h1, 3),
            fx(mean(&fr.hfrac), 3),
            g(e1),
            g(ef)
        ),
        json!({"mean_horizontal_fraction": h1, "median_energy_ratio_vs_dst2d": e1, "full_rank_median_energy_ratio": ef}),
    )
    .passed_if(h1 >= 0.8 && e1 >= 2.0)
}
