//! The built-in signals against the golden data (`tests/data/signals.json`,
//! from an independent float64 numpy implementation of SPEC.md).

use gdshrink::Grid;
use gdshrink::model::signal::Builtin;

use crate::common::{cases, load, s, u, vecf};

/// Built-in signals on the golden grids.
///
/// Grids: the library's are SPEC §1's correctly rounded i/(N−1) and (i+½)/N.
/// The golden signals' linspace x is numpy's `linspace` (i·step), which differs
/// from the correctly rounded division by one ulp at some points (the golden
/// spectra, which do depend on ties x_i = b_j, agree with the library). So x is
/// compared to 1 ulp, and the signals are compared twice:
/// * on the golden x (identical inputs): to 1e−13 absolute — the largest
///   trigonometric argument is doppler's 2π·1.05/0.05 ≈ 132, whose rounding moves
///   sin by ≲ ε·132 ≈ 3e−14; min-max scaling divides by a span of order 1;
/// * on the library's own grid: to 1e−12 — a one-ulp shift in x moves y by
///   |g'(x)|·ulp(x) ≤ (doppler: |g'| ≲ 2π·1.05/0.05² · ½ ≈ 1.3e3) · 1.1e−16 ≈ 1.5e−13.
#[test]
fn signals_match_golden() {
    let g = load("signals.json");
    let cs = cases(&g);
    assert_eq!(cs.len(), 8);
    let mut off_by_ulp = 0;
    for c in cs {
        let name = s(c, "name");
        let gname = s(c, "grid");
        let b: Builtin = name.parse().unwrap();
        let n = u(c, "n");
        let grid: Grid = gname.parse().unwrap();
        let x = grid.points(n, "n").unwrap();
        let gx = vecf(&c["x"]);
        assert_eq!(x.len(), gx.len());
        for (i, (a, w)) in x.iter().zip(&gx).enumerate() {
            let ulp = f64::EPSILON * w.abs().max(f64::MIN_POSITIVE);
            assert!(
                (a - w).abs() <= ulp,
                "{name} {gname}: x[{i}] = {a:e} vs golden {w:e}"
            );
            off_by_ulp += usize::from(a != w);
        }
        let gy = vecf(&c["y"]);
        for (xs, tol, which) in [(&gx, 1e-13, "golden x"), (&x, 1e-12, "library x")] {
            let y = b.sample(xs);
            for (i, (a, w)) in y.iter().zip(&gy).enumerate() {
                assert!(
                    (a - w).abs() <= tol,
                    "{name} {gname} on {which}, x[{i}] = {}: {a} vs golden {w}",
                    xs[i]
                );
            }
        }
    }
    eprintln!(
        "signals: {off_by_ulp} golden grid points are 1 ulp off the correctly rounded i/(N-1)"
    );
}
