//! q(K) and the grey-zone widths against the golden data (`tests/data/qk.json`,
//! `tests/data/masks.json`, from an independent float64 numpy/LAPACK
//! implementation of SPEC.md).

use gdshrink::spectral::{self, qk};

use crate::common::{EPS, SVD_C, cases, design, f, label, load, sv_abs_tol};

/// q(K) for all 16 golden cases (64² and 1024², every K).
///
/// * Unreachable (`null`) ↔ `None`: s_{K−1} ≤ max(N,M)·ε·s_0. Checked wherever the
///   library's s_{K−1} is farther from that threshold than the singular-value
///   tolerance; right at the threshold either answer is correct.
/// * ratio² = (s_0/s_{K−1})² first: δ(ratio²)/ratio² ≈ 2·|Δs_{K−1}|/s_{K−1}
///   with |Δs| ≤ SVD_C·ε·max(N,M)·s_0, i.e. a relative tolerance
///   2·SVD_C·ε·max(N,M)·ratio (small singular values have little relative accuracy).
/// * q = ⌈ratio²(1 − 10⁻⁹)⌉: must be identical unless the ratio² tolerance band
///   straddles an integer step of the ceiling (the golden note: ratios within
///   ~1e−12 of an integer), in which case either neighbour is accepted.
/// * q beyond u64::MAX (sinc: ratio² up to 1e26) is not representable: the
///   library reports `q = None` with `ratio_sq = Some(..)` there.
#[test]
fn qk_matches_golden() {
    let g = load("qk.json");
    let cs = cases(&g);
    assert_eq!(cs.len(), 16);
    let (mut exact, mut banded, mut unreachable, mut beyond_u64) = (0, 0, 0, 0);
    let mut banded_equal = 0;
    for c in cs {
        let d = design(c);
        let (n, m) = (d.n(), d.m());
        let sv = spectral::singular_values(d.matrix().as_ref()).unwrap();
        let ks: Vec<usize> = c["K"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_u64().unwrap() as usize)
            .collect();
        let qs = c["q"].as_array().unwrap();
        let rs = c["ratio_sq"].as_array().unwrap();
        let table = qk::q_table(&sv, *ks.last().unwrap(), n, m).unwrap();
        let sv_tol = sv_abs_tol(n, m, sv[0]);
        let thr = n.max(m) as f64 * EPS * sv[0];
        for (i, &k) in ks.iter().enumerate() {
            let row = table[k - 1];
            assert_eq!(row.k, k);
            let what = format!("{} K={k}", label(c));
            let near_threshold = (sv[k - 1] - thr).abs() <= sv_tol;
            let gold_q = qs[i].as_f64(); // None for null; big integers come as f64
            match (gold_q, row.ratio_sq) {
                (None, None) => unreachable += 1,
                (None, Some(_)) | (Some(_), None) if near_threshold => {}
                (None, Some(r)) => panic!("{what}: golden unreachable, library ratio² {r:e}"),
                (Some(q), None) => panic!("{what}: golden q = {q:e}, library unreachable"),
                (Some(gq), Some(r)) => {
                    let gr = rs[i].as_f64().unwrap();
                    let rtol = 2.0 * SVD_C * EPS * n.max(m) as f64 * gr.sqrt() + 4.0 * EPS;
                    assert!(
                        (r - gr).abs() <= rtol * gr,
                        "{what}: ratio² {r:e}, golden {gr:e}, rel diff {:e} > {rtol:e}",
                        (r - gr).abs() / gr
                    );
                    let ceil = |v: f64| (v * (1.0 - qk::Q_RTOL)).ceil().max(1.0);
                    let (lo, hi) = (ceil(gr * (1.0 - rtol)), ceil(gr * (1.0 + rtol)));
                    if hi > u64::MAX as f64 {
                        // Not representable: reported as q = None, ratio² kept
                        // (either answer where the band straddles u64::MAX).
                        if lo > u64::MAX as f64 {
                            assert_eq!(row.q, None, "{what}: q beyond u64 must be None");
                            beyond_u64 += 1;
                        }
                        continue;
                    }
                    let q = row.q.unwrap_or_else(|| panic!("{what}: q missing")) as f64;
                    if lo == hi {
                        assert_eq!(q, gq, "{what}: q (ratio² {r:e}, golden {gr:e})");
                        exact += 1;
                    } else {
                        assert!(
                            (lo..=hi).contains(&q),
                            "{what}: q = {q}, allowed [{lo}, {hi}] (golden {gq})"
                        );
                        banded += 1;
                        banded_equal += usize::from(q == gq);
                    }
                }
            }
        }
    }
    eprintln!(
        "qk: {exact} q identical, {banded} within a straddling band ({banded_equal} of them \
         equal anyway), {unreachable} unreachable on both sides, {beyond_u64} beyond u64"
    );
    assert!(exact > 600, "too few exact q comparisons: {exact}");
    assert!(unreachable > 0 && beyond_u64 > 0);
}

/// Grey-zone widths: closed forms in dB, to 1e−12 (a handful of log/expm1 evaluations).
#[test]
fn grey_zone_matches_golden() {
    let g = load("masks.json");
    let flow = f(&g, "grey_zone_db_delta_0.005");
    assert!((qk::grey_zone_flow_db(0.005) - flow).abs() <= 1e-12, "flow");
    let ex = g["grey_zone_exact_db"].as_object().unwrap();
    assert_eq!(ex.len(), 4);
    for (q, v) in ex {
        let q: u64 = q.parse().unwrap();
        let want = v.as_f64().unwrap();
        let got = qk::grey_zone_exact_db(q, 0.005);
        assert!((got - want).abs() <= 1e-12, "exact q={q}: {got} vs {want}");
    }
}
