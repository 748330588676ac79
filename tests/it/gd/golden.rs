//! Iterated GD and its closed forms against the golden checkpoints
//! (`tests/data/gd_checkpoints.json`, from an independent float64 numpy/LAPACK
//! implementation of SPEC.md).

use gdshrink::gd::GdBatch;
use gdshrink::model::signal::Builtin;
use gdshrink::spectral;

use super::cpu_run;
use crate::common::{
    EPS, assert_le, cases, check_singular_values, design, f, label, load, rel, s, vecf,
};

/// Relative tolerance between two f64 computations of f_q, w_q (iterated GD or
/// closed form). Each GD step commits rounding of relative size ~ε·√M in the
/// update; directions with α s² ≪ 1 do not damp it, so it can grow ~linearly in q.
/// The bound allows 8ε per step over q steps plus a base of 1e−13 for the
/// SVD-based closed form (vectors with gaps ≥ 1e−3·s_0 here; see measured values
/// printed by the test: they are ~1e−14).
fn gd_tol(q: u64) -> f64 {
    1e-13 + 8.0 * EPS * q as f64
}

#[test]
fn gd_checkpoints_match_golden() {
    let g = load("gd_checkpoints.json");
    let cs = cases(&g);
    assert_eq!(cs.len(), 3);
    let mut saw_alternating = false;
    let mut worst: f64 = 0.0;
    for c in cs {
        let what = label(c);
        let d = design(c);
        let a = d.matrix();
        let svd = spectral::thin_svd(a.as_ref()).unwrap();
        check_singular_values(&svd.s, &vecf(&c["singular_values"]), d.n(), d.m(), &what);
        // The target is the library's built-in signal on the same grid.
        let y = vecf(&c["y"]);
        let b: Builtin = s(c, "signal").parse().unwrap();
        let ylib = b.sample(d.x());
        assert!(rel(&ylib, &y) <= 1e-13, "{what}: signal");

        let alpha = f(c, "alpha");
        let asm = f(c, "alpha_s_max2");
        assert!(
            (alpha * svd.s_max() * svd.s_max() - asm).abs() <= 1e-12,
            "{what}: α s_max²"
        );
        saw_alternating |= asm > 1.0;

        let cps = c["checkpoints"].as_array().unwrap();
        let qs: Vec<u64> = cps.iter().map(|cp| cp["q"].as_u64().unwrap()).collect();
        let mut batch = GdBatch::new(vec![y.clone()], vec![alpha], qs.clone());
        batch.record_w = true;
        let traj = cpu_run(a.as_ref(), &batch, svd.s_max())
            .unwrap()
            .into_result()
            .unwrap();
        let mut masks = spectral::gd_exact_masks(alpha, &qs);
        masks.extend(spectral::gd_flow_masks(alpha, &qs));
        let closed = spectral::shrink(&svd, &y, &masks).unwrap();
        let nq = qs.len();

        for (i, cp) in cps.iter().enumerate() {
            let q = qs[i];
            let tol = gd_tol(q);
            let at = traj.at(q).unwrap();
            let (gf, gw) = (vecf(&cp["f"]), vecf(&cp["w"]));
            let gl = f(cp, "loss");
            // Iterated GD vs iterated GD.
            let ef = rel(&at.f[0], &gf);
            let ew = rel(&at.w.as_ref().unwrap()[0], &gw);
            let el = (at.loss[0] - gl).abs() / gl;
            assert_le(ef, tol, &format!("{what} q={q}: iterated f"));
            assert_le(ew, tol, &format!("{what} q={q}: iterated w"));
            assert_le(el, tol, &format!("{what} q={q}: loss"));
            worst = worst.max(ef / tol).max(ew / tol).max(el / tol);
            // Closed forms vs the golden closed forms.
            for (j, name) in [(i, "gd_exact"), (nq + i, "gd_flow")] {
                let ef = rel(&closed[j].f, &vecf(&cp[name]["f"]));
                let ew = rel(&closed[j].w, &vecf(&cp[name]["w"]));
                assert_le(ef, tol, &format!("{what} q={q}: {name} f"));
                assert_le(ew, tol, &format!("{what} q={q}: {name} w"));
                worst = worst.max(ef / tol).max(ew / tol);
                // The golden distance of each closed form to its iterate, reproduced.
                let gap_f = rel(&closed[j].f, &at.f[0]);
                let gold_gap_f = f(&cp[name], "rel_err_f");
                if name == "gd_exact" {
                    // Both are rounding-level; the exact mask IS the iterate.
                    assert_le(gap_f, tol, &format!("{what} q={q}: gd_exact vs iterate"));
                    assert_le(
                        gold_gap_f,
                        tol,
                        &format!("{what} q={q}: golden gd_exact gap"),
                    );
                } else {
                    // The flow gap is a real, O(1e−5 … 0.5) difference: same to 1e−6 relative.
                    assert!(
                        (gap_f - gold_gap_f).abs() <= 1e-6 * gold_gap_f,
                        "{what} q={q}: flow gap {gap_f:e} vs golden {gold_gap_f:e}"
                    );
                }
            }
        }
    }
    assert!(saw_alternating, "the α·s_max² = 1.5 case must be present");
    eprintln!("gd checkpoints: worst error / tolerance = {worst:.3}");
}
