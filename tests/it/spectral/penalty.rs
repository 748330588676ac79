//! `gdshrink::spectral::penalty`: the measured penalty of every activation
//! against its closed form, the penalty exponents of the power laws, and the
//! prediction s_k/s_0 ≈ √(ρ(ν_0)/ρ(ν_k)) on designs where it must hold.
//!
//! Band of every spectrum check: ν ∈ [0.05, 1] cycles per unit z on the
//! default grid (h = 1/64, L = 2¹⁸), where νh ≤ 1/64.

use gdshrink::spectral::penalty::{
    AgreementSpec, FftGrid, agreement, analytic_power, penalty_exponent, power_spectrum,
};
use gdshrink::spectral::singular_values;
use gdshrink::{Activation, Design};

const BAND: (f64, f64) = (0.05, 1.0);

#[test]
fn penalty_exponents_of_the_power_laws() {
    // ρ ∝ ν^(2r): heaviside 2, relu 4, relu2 6 (issue: ±0.1 over a stated band).
    for (act, want) in [
        (Activation::Heaviside, 2.0),
        (Activation::Relu, 4.0),
        (Activation::Relu2, 6.0),
        (Activation::Spline(4), 8.0),
    ] {
        let sp = power_spectrum(act, FftGrid::default()).unwrap();
        let fit = penalty_exponent(&sp, BAND.0, BAND.1).unwrap();
        eprintln!(
            "{act}: exponent {:.5} over [{}, {}] ({} points, corr {:.8})",
            fit.slope, BAND.0, BAND.1, fit.points, fit.correlation
        );
        assert!((fit.slope - want).abs() < 0.1, "{act}: {}", fit.slope);
        assert!(fit.points > 3000, "{}", fit.points);
    }
}

#[test]
fn measured_spectra_match_the_closed_forms() {
    // Tolerances (relative, on |F|², where the closed form is above 1e−25):
    // * power laws: aliasing Σ_{p≠0} F(ν + p/h) adds ≈ 2(νh)^r relative to
    //   the amplitude, ≤ 2·(1/64)² ≈ 5e−4 for r ≥ 2 and 3e−2 for heaviside's
    //   r = 1 only at ν = 1 where its two alias terms cancel to second order;
    //   measured ≤ 1.6e−3 (relu), 8e−4 (heaviside): bound 1e−2;
    // * smooth activations: aliasing is e^(−c/h), truncation at |z| = 2048 is
    //   below f64 rounding, so what remains is the FFT's rounding relative to
    //   a spectrum that has fallen by up to 1e−20: bound 1e−4;
    // * cauchy (Hann window): the window smooths |F| with weights ¼, ½, ¼ at
    //   ν ± 1/4096, a relative (4π/4096)²/4 ≈ 2e−6, plus the 1/z² tail beyond
    //   the grid: bound 1e−4;
    // * sinc (Hann window): the closed form is 1 inside |ν| < ½; the window's
    //   blur reaches 2/4096 from the edge: checked on [0.05, 0.45] and
    //   [0.55, 1] (power 0 there; bound 1e−8 absolute).
    let sp_of = |a| power_spectrum(a, FftGrid::default()).unwrap();
    let mut acts: Vec<Activation> = Activation::PAPER.to_vec();
    acts.extend(Activation::EXTRA);
    for act in acts {
        let sp = sp_of(act);
        let tol = match act {
            Activation::Heaviside | Activation::Relu | Activation::Relu2 => 1e-2,
            _ => 1e-4,
        };
        let mut worst = 0.0f64;
        let mut checked = 0;
        for (&nu, &p) in sp.nu.iter().zip(&sp.power) {
            if !(BAND.0..=BAND.1).contains(&nu) {
                continue;
            }
            let a = analytic_power(act, nu).unwrap();
            if act == Activation::Sinc {
                if (nu - 0.5).abs() < 0.05 {
                    continue;
                }
                if nu > 0.5 {
                    assert!(p < 1e-8, "sinc at {nu}: {p}");
                    continue;
                }
            }
            if a < 1e-25 {
                continue;
            }
            let rel = ((p - a) / a).abs();
            assert!(
                rel <= tol,
                "{act} at nu = {nu}: measured {p:e}, closed {a:e}, rel {rel:e}"
            );
            worst = worst.max(rel);
            checked += 1;
        }
        eprintln!(
            "{act}: {checked} frequencies, worst relative difference {worst:.2e} (tol {tol:e})"
        );
        assert!(checked > 100, "{act}: only {checked} frequencies checked");
    }
}

#[test]
fn the_prediction_holds_for_heaviside_and_relu() {
    // Heaviside's A is triangular with s_k ≈ N/(π(k+½)): the prediction
    // ν_k^(−1) holds to 2.7% up to k = N/4 (measured at N = M = 256; the
    // boundary bends the last components). Relu: s_k/s_0 is off by a constant
    // factor ≈ 1.43 (the normalization at k = 0, where the boundary matters)
    // but the slope is −2 to 0.02.
    for (act, slope, max_ratio) in [
        (Activation::Heaviside, -1.0, 1.05),
        (Activation::Relu, -2.0, 1.6),
    ] {
        let d = Design::spec(act).sigma(64.0).n(256).m(256).build().unwrap();
        let s = singular_values(d.matrix().as_ref()).unwrap();
        let grid = FftGrid::for_design(64.0, 128.0).unwrap();
        let sp = power_spectrum(act, grid).unwrap();
        let spec = AgreementSpec {
            k_lo: 1,
            k_hi: 64,
            floor: 1e-8,
            qs: vec![10, 100, 1000],
        };
        let a = agreement(&s, 64.0, &sp, &spec).unwrap();
        eprintln!(
            "{act}: band {:?}, slope {:.4} (prediction {:.4}), corr {:.6}, worst factor {:.3}",
            a.band,
            a.fit_measured.slope,
            a.fit_predicted.slope,
            a.correlation,
            a.max_log_ratio.exp()
        );
        assert_eq!(a.band, (1, 64));
        assert!(
            (a.fit_measured.slope - slope).abs() < 0.02,
            "{}",
            a.fit_measured.slope
        );
        assert!((a.fit_predicted.slope - slope).abs() < 1e-3);
        assert!(a.correlation > 0.9999, "{}", a.correlation);
        assert!(a.max_log_ratio.exp() < max_ratio);
        // The masks: K(q) of the prediction within one component at q ≤ 1000.
        for m in &a.masks {
            assert!(m.kept_measured.abs_diff(m.kept_predicted) <= 1, "{m:?}");
        }
    }
}

#[test]
fn bad_input_is_refused() {
    let sp = power_spectrum(Activation::Relu, FftGrid::default()).unwrap();
    let e = penalty_exponent(&sp, 1.0, 0.5).unwrap_err().to_string();
    assert!(e.contains("[1, 0.5]"), "{e}");
    assert!(FftGrid::for_design(-1.0, 10.0).is_err());
    assert!(
        FftGrid::for_design(1e9, 10.0)
            .unwrap_err()
            .to_string()
            .contains("sigma")
    );
    let spec = AgreementSpec {
        k_lo: 0,
        k_hi: 10,
        floor: 1e-8,
        qs: vec![],
    };
    let e = agreement(&[4.0, 3.0, 2.0, 1.0, 0.5], 1.0, &sp, &spec)
        .unwrap_err()
        .to_string();
    assert!(e.contains("component band"), "{e}");
    assert!(analytic_power(Activation::Relu, 0.0).is_none());
}
