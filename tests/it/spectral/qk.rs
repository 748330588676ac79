//! SPEC §4 and §5: q(K), the iterations GD needs to keep K components
//! (Proposition 4.2), on the 1024×1024 spectra.

use gdshrink::Activation;
use gdshrink::spectral::{self, qk};

use super::{N, q_at, sv_1024};

/// Heaviside: s_k/s_0 ≈ 1/(2k+1), hence q(K) = (2K − 1)² approximately: q(10) = 361
/// (SPEC §5) and, for K ≤ 50, q(K)/(2K−1)² − 1 is the squared discretization
/// term (≤ 2·1.2e−3) plus the ceiling (≤ 1/(2K−1)²).
#[test]
fn heaviside_q_of_k_is_2k_minus_1_squared() {
    let s = sv_1024(Activation::Heaviside);
    assert_eq!(q_at(s, 10), 361);
    for k in 1..=50 {
        let law = ((2 * k - 1) * (2 * k - 1)) as f64;
        let q = q_at(s, k) as f64;
        assert!(
            (q / law - 1.0).abs() <= 2.4e-3 + 1.0 / law,
            "K={k}: q = {q}, (2K-1)^2 = {law}"
        );
    }
}

/// q(K) at N = M = 1024 against SPEC §5's numbers. The SPEC gives two significant
/// digits, so the check is half a unit in the last printed digit
/// (e.g. 6.4e4 means [6.35e4, 6.45e4]); measured 361, 64172, 5828370 (K = 10)
/// and 9783, 4.713e7, 1.167e11 (K = 50).
#[test]
fn q_of_k_matches_spec_numbers() {
    let cases = [
        (Activation::Heaviside, 10, 361.0, 0.5),
        (Activation::Relu, 10, 6.4e4, 0.05e4),
        (Activation::Relu2, 10, 5.8e6, 0.05e6),
        (Activation::Heaviside, 50, 9.8e3, 0.05e3),
        (Activation::Relu, 50, 4.7e7, 0.05e7),
        (Activation::Relu2, 50, 1.2e11, 0.05e11),
    ];
    for (act, k, want, half_unit) in cases {
        let q = q_at(sv_1024(act), k) as f64;
        assert!(
            (q - want).abs() <= half_unit,
            "{act} q(K={k}) = {q}, SPEC {want:e}"
        );
    }
}

/// At q = (s_0/s_{K−1})² and α = 1/s_0²: the flow mask at s_{K−1} is 1 − e⁻¹
/// exactly (κ(α, q, e⁻¹) = s_{K−1}), and the exact mask after the integer
/// q(K) = ⌈ratio²⌉ steps is 1 − (1 − 1/ratio²)^q(K) = (1 − e⁻¹) + O(1/ratio²)
/// (from (1 − 1/Q)^Q = e⁻¹(1 − 1/(2Q) + …), ≤ 1 extra step from the ceiling and
/// ≤ 10⁻⁹·ratio² fewer from its slack `Q_RTOL`), checked to ≤ 1/ratio² + Q_RTOL,
/// for heaviside, relu, relu2 at K ∈ {2, 5, 10, 50}.
#[test]
fn mask_at_q_of_k_is_one_minus_inverse_e() {
    let target = 1.0 - (-1.0f64).exp();
    for act in [Activation::Heaviside, Activation::Relu, Activation::Relu2] {
        let s = sv_1024(act);
        let alpha = 1.0 / (s[0] * s[0]);
        for k in [2, 5, 10, 50] {
            let row = qk::q_of_k(s, k, N, N).unwrap();
            let (q, r2) = (row.q.unwrap(), row.ratio_sq.unwrap());
            let sk = s[k - 1];
            let flow = spectral::gd_flow(sk, alpha, r2);
            assert!((flow - target).abs() <= 1e-12, "{act} K={k}: flow {flow}");
            let kappa = qk::kappa(alpha, r2, (-1.0f64).exp()).unwrap();
            assert!(
                (kappa - sk).abs() <= 1e-12 * sk,
                "{act} K={k}: κ {kappa} vs s {sk}"
            );
            let exact = spectral::gd_exact(sk, alpha, q);
            assert!(
                (exact - target).abs() <= 1.0 / r2 + qk::Q_RTOL,
                "{act} K={k} (q={q}, ratio²={r2}): exact mask {exact}"
            );
            // And the component is "kept" (above 1/2), its successor less so.
            assert!(spectral::gd_exact(s[k], alpha, q) < exact);
        }
        // SPEC's consequence, active window ρ = √q at ε = e⁻¹.
        assert!((qk::window_rho(100.0, (-1.0f64).exp()) - 10.0).abs() < 1e-12);
    }
}
