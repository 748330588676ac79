//! Fig. 6's claims: in (a) the monotonic activations track the DST baseline
//! and the non-monotonic ones stay flat; in (b) sinc (and gaussian) track it
//! and the monotonic ones gain little; the flow mask matches the exact one;
//! literal GD equals the closed form (Prop. 4.1).
//!
//! The data claims are hard for a built-in signal and observations for a
//! user's row.

use serde_json::json;

use super::compute::{Curve, Fig6Data, min_max};
use super::{Config, TestSet};
use crate::model::activation::Activation;
use crate::studies::reproduce::format::{fx, g, join_g};
use crate::studies::reproduce::{Claim, ClaimKind};

/// Every claim of Fig. 6 that its activations allow.
pub(super) fn claims(cfg: &Config, d: &Fig6Data) -> Vec<Claim> {
    let c = Ctx::new(cfg, d);
    [
        monotonic_track_dst(&c),
        nonmonotonic_flat(&c),
        sinc_tracks_dst(&c),
        gaussian_tracks_dst(&c),
        monotonic_no_benefit(&c),
        Some(flow_matches_exact(&c)),
        closed_form_equals_gd(d),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What the claims share: the test set, the K ranges and the DST baseline.
struct Ctx<'a> {
    t: TestSet,
    d: &'a Fig6Data,
    /// Hard for a built-in signal, an observation otherwise.
    data_kind: ClaimKind,
    /// Indices of K ≤ N/2 ((a)).
    idx_a: Vec<usize>,
    /// Indices of 4 ≤ K ≤ N/2 ((b)).
    idx_b: Vec<usize>,
    /// DST PSNR on the test set.
    dst_t: Vec<f64>,
    /// DST PSNR on the interior of the test set.
    dst_i: Vec<f64>,
}

impl<'a> Ctx<'a> {
    fn new(cfg: &Config, d: &'a Fig6Data) -> Self {
        let t = cfg.test;
        let half = d.n / 2;
        Ctx {
            t,
            d,
            data_kind: if cfg.signal.builtin {
                ClaimKind::Hard
            } else {
                ClaimKind::Observation
            },
            idx_a: (0..d.ks.len()).filter(|&i| d.ks[i] <= half).collect(),
            idx_b: (0..d.ks.len())
                .filter(|&i| d.ks[i] >= 4 && d.ks[i] <= half)
                .collect(),
            dst_t: d.dst.iter().map(|p| p.test(t)).collect(),
            dst_i: d.dst.iter().map(|p| p.interior(t)).collect(),
        }
    }

    fn ks_of(&self, idx: &[usize]) -> Vec<usize> {
        idx.iter().map(|&i| self.d.ks[i]).collect()
    }

    /// "K ∈ [first, last]" of the indices.
    fn range_txt(&self, idx: &[usize]) -> String {
        let k = self.ks_of(idx);
        format!(
            "K ∈ [{}, {}]",
            k.first().unwrap_or(&0),
            k.last().unwrap_or(&0)
        )
    }

    /// PSNR of a curve's exact mask on the test set.
    fn test(&self, c: &Curve) -> Vec<f64> {
        c.exact.iter().map(|p| p.test(self.t)).collect()
    }

    /// PSNR of a curve's exact mask on the interior of the test set.
    fn interior(&self, c: &Curve) -> Vec<f64> {
        c.exact.iter().map(|p| p.interior(self.t)).collect()
    }
}

fn curve(cs: &[Curve], a: Activation) -> Option<&Curve> {
    cs.iter().find(|c| c.activation == a)
}

/// max − min of the finite values at the indices.
fn range(v: &[f64], idx: &[usize]) -> f64 {
    let vals: Vec<f64> = idx
        .iter()
        .map(|&i| v[i])
        .filter(|x| x.is_finite())
        .collect();
    let (lo, hi) = min_max(&vals);
    hi - lo
}

/// v − base at the indices where both are finite.
fn gaps(v: &[f64], base: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter()
        .filter(|&&i| v[i].is_finite() && base[i].is_finite())
        .map(|&i| v[i] - base[i])
        .collect()
}

fn maxabs(v: &[f64]) -> f64 {
    v.iter().map(|x| x.abs()).fold(f64::NAN, f64::max)
}

/// (a) monotonic activations track the DST baseline.
fn monotonic_track_dst(c: &Ctx) -> Option<Claim> {
    let t = c.t;
    let mut rows = Vec::new();
    let mut ok = true;
    for a in [Activation::Tanh, Activation::Relu] {
        if let Some(cv) = curve(&c.d.a, a) {
            let gp = gaps(&c.test(cv), &c.dst_t, &c.idx_a);
            let m = maxabs(&gp);
            ok &= m <= 2.5;
            rows.push(json!({"activation": a.name(), "max_abs_gap_db": m, "gaps_db": &gp, "K": c.ks_of(&c.idx_a)}));
        }
    }
    if rows.is_empty() {
        return None;
    }
    Some(
        Claim::new(
            "fig6a.monotonic_track_dst",
            c.data_kind,
            "(a) With σ = M and q = q(K), the monotonic activations tanh and ReLU closely match the DST baseline (paper §6, Fig. 6a).",
        )
        .criterion(format!(
            "max over {} (q reachable) of |PSNR − PSNR_DST| on the '{t}' pixels ≤ 2.5 dB (SPEC's check on another natural row: tanh 1.4 dB, relu 2.2 dB)",
            c.range_txt(&c.idx_a)
        ))
        .measured(
            rows.iter()
                .map(|r| format!("{}: max gap {} dB", r["activation"].as_str().unwrap_or(""), fx(r["max_abs_gap_db"].as_f64().unwrap_or(f64::NAN), 2)))
                .collect::<Vec<_>>()
                .join("; "),
            json!(rows),
        )
        .passed_if(ok),
    )
}

/// (a) non-monotonic activations do not improve with K.
fn nonmonotonic_flat(c: &Ctx) -> Option<Claim> {
    let t = c.t;
    let mut rows = Vec::new();
    let mut ok = true;
    let dst_gain = range(&c.dst_t, &c.idx_a);
    for a in [Activation::Sinc, Activation::Gaussian] {
        if let Some(cv) = curve(&c.d.a, a) {
            let r = range(&c.test(cv), &c.idx_a);
            ok &= r <= 1.0;
            rows.push((a, r));
        }
    }
    if rows.is_empty() {
        return None;
    }
    Some(
        Claim::new(
            "fig6a.nonmonotonic_flat",
            c.data_kind,
            "(a) For sinc and gaussian, varying q offers no regularization benefit: PSNR does not improve with K (paper §6, Fig. 6a).",
        )
        .criterion(format!(
            "PSNR range (max − min) over {} on the '{t}' pixels ≤ 1 dB while the DST baseline gains ≥ 3 dB over the same K",
            c.range_txt(&c.idx_a)
        ))
        .measured(
            format!(
                "{}; DST gains {} dB",
                rows.iter().map(|(a, r)| format!("{a} range {} dB", fx(*r, 2))).collect::<Vec<_>>().join(", "),
                fx(dst_gain, 2)
            ),
            json!({"ranges_db": rows.iter().map(|(a, r)| json!({"activation": a.name(), "range_db": r})).collect::<Vec<_>>(), "dst_gain_db": dst_gain}),
        )
        .passed_if(ok && dst_gain >= 3.0),
    )
}

/// (b) sinc tracks DST almost exactly in the interior.
fn sinc_tracks_dst(c: &Ctx) -> Option<Claim> {
    let t = c.t;
    let cv = curve(&c.d.b, Activation::Sinc)?;
    let gp = gaps(&c.interior(cv), &c.dst_i, &c.idx_b);
    let m = maxabs(&gp);
    let mean = gp.iter().map(|x| x.abs()).sum::<f64>() / gp.len().max(1) as f64;
    Some(
        Claim::new(
            "fig6b.sinc_tracks_dst",
            c.data_kind,
            "(b) With σ = K and q = 100, sinc offers almost identical performance to the DST baseline (paper §6, Fig. 6b); SPEC: in the interior.",
        )
        .criterion(format!(
            "max over {} of |PSNR_sinc − PSNR_DST| on the interior of the '{t}' pixels ≤ 1.5 dB",
            c.range_txt(&c.idx_b)
        ))
        .measured(
            format!("max gap {} dB, mean |gap| {} dB", fx(m, 2), fx(mean, 2)),
            json!({"gaps_db": &gp, "K": c.ks_of(&c.idx_b), "max_abs_gap_db": m, "mean_abs_gap_db": mean}),
        )
        .passed_if(m <= 1.5),
    )
}

/// (b) gaussian close (observation: SPEC found it stays above).
fn gaussian_tracks_dst(c: &Ctx) -> Option<Claim> {
    let t = c.t;
    let cv = curve(&c.d.b, Activation::Gaussian)?;
    let gp = gaps(&c.interior(cv), &c.dst_i, &c.idx_b);
    let m = maxabs(&gp);
    let (lo, hi) = min_max(&gp);
    Some(
        Claim::new(
            "fig6b.gaussian_tracks_dst",
            ClaimKind::Observation,
            "(b) Gaussian tracks the DST baseline well (paper §6, Fig. 6b). SPEC's check on another row: 2.6–4.6 dB above DST in the interior.",
        )
        .criterion(format!(
            "max over {} of |PSNR_gaussian − PSNR_DST| on the interior of the '{t}' pixels ≤ 3 dB",
            c.range_txt(&c.idx_b)
        ))
        .measured(
            format!("gaussian − DST from {} to {} dB (max |gap| {} dB)", fx(lo, 2), fx(hi, 2), fx(m, 2)),
            json!({"gaps_db": &gp, "K": c.ks_of(&c.idx_b), "max_abs_gap_db": m}),
        )
        .passed_if(m <= 3.0),
    )
}

/// (b) monotonic activations gain little from σ = K.
fn monotonic_no_benefit(c: &Ctx) -> Option<Claim> {
    let t = c.t;
    let mut rows = Vec::new();
    let mut ok = true;
    let dst_gain_b = range(&c.dst_t, &c.idx_b);
    for a in [Activation::Tanh, Activation::Relu] {
        if let Some(cv) = curve(&c.d.b, a) {
            let r = range(&c.test(cv), &c.idx_b);
            ok &= r <= 0.5 * dst_gain_b;
            rows.push((a, r));
        }
    }
    if rows.is_empty() {
        return None;
    }
    Some(
        Claim::new(
            "fig6b.monotonic_no_benefit",
            c.data_kind,
            "(b) For tanh and ReLU there is little to no benefit in adjusting the scale σ = K (paper §6, Fig. 6b; ReLU is scale-equivariant).",
        )
        .criterion(format!(
            "PSNR range over {} on the '{t}' pixels ≤ half the DST baseline's",
            c.range_txt(&c.idx_b)
        ))
        .measured(
            format!(
                "{}; DST {} dB",
                rows.iter().map(|(a, r)| format!("{a} {} dB", fx(*r, 2))).collect::<Vec<_>>().join(", "),
                fx(dst_gain_b, 2)
            ),
            json!({"ranges_db": rows.iter().map(|(a, r)| json!({"activation": a.name(), "range_db": r})).collect::<Vec<_>>(), "dst_gain_db": dst_gain_b}),
        )
        .passed_if(ok),
    )
}

/// Closed form vs flow mask (PSNR).
fn flow_matches_exact(c: &Ctx) -> Claim {
    let t = c.t;
    let mut worst = 0.0f64;
    let mut cnt = 0;
    for (cs, is_a) in [(&c.d.a, true), (&c.d.b, false)] {
        for cv in cs {
            for (i, q) in cv.q.iter().enumerate() {
                let Some(q) = q else { continue };
                if *q < 100 && is_a {
                    continue;
                }
                let gap = (cv.exact[i].test(t) - cv.flow[i].test(t)).abs();
                if gap.is_finite() {
                    worst = worst.max(gap);
                    cnt += 1;
                }
            }
        }
    }
    Claim::new(
        "fig6.flow_matches_exact",
        ClaimKind::Observation,
        "Gradient flow (NTK, Eq. 15/34) is a near-perfect approximation of discrete GD (paper App. B).",
    )
    .criterion("|PSNR(gd_flow) − PSNR(gd_exact)| ≤ 0.1 dB wherever q ≥ 100")
    .measured(
        format!("max difference {} dB over {cnt} (activation, K) points", g(worst)),
        json!({"max_abs_diff_db": worst, "points": cnt}),
    )
    .passed_if(cnt > 0 && worst <= 0.1)
}

fn closed_form_equals_gd(d: &Fig6Data) -> Option<Claim> {
    let gc = d.gd_check.as_ref()?;
    let worst = gc.rel_error_exact.iter().copied().fold(0.0, f64::max);
    Some(
        Claim::new(
            "fig6.closed_form_equals_gd",
            ClaimKind::Hard,
            "Proposition 4.1: q steps of GD from w₀ = 0 give f_q = U diag(1 − (1 − αs²)^q) Uᵀ y exactly.",
        )
        .criterion("‖f_GD − f_closed‖/‖f_closed‖ ≤ 1e-8 at every checked q (both in f64; the iteration accumulates ~q·ε rounding)")
        .measured(
            format!(
                "{} σ={}: max relative error {} at q ∈ {:?}; vs gd_flow: {}",
                gc.activation,
                gc.sigma,
                g(worst),
                gc.q,
                join_g(&gc.rel_error_flow)
            ),
            json!(gc),
        )
        .passed_if(worst <= 1e-8),
    )
}
