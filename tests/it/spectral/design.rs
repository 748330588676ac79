//! `gdshrink::spectral::penalty::design`: the round trip of a designed
//! activation. φ_ρ = F⁻¹[1/√ρ] is computed on the default table grid
//! (h = 1/64, n = 2¹⁴, z ∈ [−128, 128)), kept as a tabulated activation, and
//! its penalty 1/|F[φ]|² measured by FFT (h/8, twice the span) must equal the
//! requested ρ over the stated band within the stated tolerance.
//!
//! Error budget (relative, of |F|²): the measurement's aliasing of the
//! piecewise-linear φ, ≈ 0.1·(νh)² (≤ 1e−4 at ν = 2); the part of φ_ρ beyond
//! the table (power: decays like e^(−2πC|z|), nothing left at |z| = 128;
//! exp:B: a 1/z² tail folded back into the samples, which is exact at the
//! DFT frequencies m/(nh) and leaves ≲ 1/(B·π²(nh)²ν²)·e^(ν/(2B)) in between).
//! Tolerances: 1e−3 for power and exp over ν ∈ [0.05, 2] (10× the budget);
//! the band-limit's 1/z tail leaves Gibbs ripples that only decay away from
//! the edge: 5% over [0.1, 0.5·NU]. Measured values are printed.

use gdshrink::model::{Activation, Table, TableId};
use gdshrink::spectral::penalty::design::{DesignGrid, PenaltySpec, design_points, round_trip};
use gdshrink::spectral::penalty::{FftGrid, penalty_exponent, power_spectrum};

fn designed(spec: &PenaltySpec, grid: DesignGrid) -> Activation {
    let (z, eta) = design_points(spec, grid).unwrap();
    Activation::Table(TableId::intern(
        Table::from_columns(&format!("designed {}", spec.label()), &z, &eta).unwrap(),
    ))
}

#[test]
fn designed_activation_has_the_requested_penalty() {
    let grid = DesignGrid::default();
    for (text, band, tol) in [
        ("power:4", (0.05, 2.0), 1e-3),
        ("power:2:0.5", (0.05, 2.0), 1e-3),
        ("power:6", (0.05, 2.0), 1e-3),
        ("exp:1", (0.05, 2.0), 1e-3),
        ("exp:0.25", (0.05, 2.0), 1e-3),
        ("band:2", (0.1, 1.0), 0.05),
    ] {
        let spec: PenaltySpec = text.parse().unwrap();
        let act = designed(&spec, grid);
        let rt = round_trip(act, &spec, grid, band).unwrap();
        eprintln!(
            "{text:>12}: max |measured/requested - 1| = {:.2e} over [{}, {}] ({} frequencies), tolerance {tol:e}",
            rt.max_rel,
            band.0,
            band.1,
            rt.rows.len()
        );
        assert!(rt.rows.len() > 100, "{text}: {} rows", rt.rows.len());
        assert!(
            rt.max_rel <= tol,
            "{text}: round trip {:e} > {tol:e}",
            rt.max_rel
        );
    }
}

#[test]
fn a_designed_power_law_has_its_exponent() {
    // ρ = (1 + (ν/C)²)^(P/2) → slope P well above the corner: with C = 1/64
    // the local slope over [1, 4] is P·(1 − (C/ν)²) ≥ P·(1 − 2.5e−4).
    let spec: PenaltySpec = "power:4:0.015625".parse().unwrap();
    let grid = DesignGrid {
        h: 1.0 / 64.0,
        len: 1 << 16,
    };
    let act = designed(&spec, grid);
    let sp = power_spectrum(
        act,
        FftGrid {
            h: 1.0 / 512.0,
            len: 1 << 21,
        },
    )
    .unwrap();
    let fit = penalty_exponent(&sp, 1.0, 4.0).unwrap();
    eprintln!("power:4 designed: exponent {:.5} over [1, 4]", fit.slope);
    assert!((fit.slope - 4.0).abs() < 0.01, "{}", fit.slope);
}

#[test]
fn design_refuses_what_it_cannot_do() {
    let grid = DesignGrid::default();
    // A band edge at or past the table's Nyquist frequency (32 here).
    let e = design_points(&PenaltySpec::Band { nu: 40.0 }, grid)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Nyquist"), "{e}");
    let e = design_points(
        &PenaltySpec::Exp { b: 1.0 },
        DesignGrid {
            h: 1.0 / 64.0,
            len: 1000,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("power of two"), "{e}");
    // A round-trip band past the penalty's edge.
    let spec = PenaltySpec::Band { nu: 1.0 };
    let act = designed(&spec, grid);
    let e = round_trip(act, &spec, grid, (0.1, 1.5))
        .unwrap_err()
        .to_string();
    assert!(e.contains("band edge"), "{e}");
}
