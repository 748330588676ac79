//! `reproduce`'s choice between the dense SVD and the top-K route
//! (`studies::reproduce::route`): the size rule, the residual check on a
//! spectrum that decays too fast, and top-K values that agree with the dense
//! SVD to the accuracy a figure asks for.

use faer::Mat;
use gdshrink::model::activation::Activation;
use gdshrink::model::design::Design;
use gdshrink::spectral::{TopkSpectrum, singular_values};
use gdshrink::studies::reproduce::route::{Need, Route, check, leading, topk_checked};

fn design(a: Activation, n: usize) -> Design {
    Design::spec(a).sigma(1.0).n(n).m(n).build().unwrap()
}

/// A top-K result with given values and residuals (relative to s_0).
fn spectrum(s: Vec<f64>, residual: Vec<f64>) -> TopkSpectrum {
    let k = s.len();
    TopkSpectrum {
        s,
        u: Mat::zeros(1, k),
        v: Mat::zeros(1, k),
        residual_left: residual.clone(),
        residual_right: residual,
        bound: vec![1e-10; k],
        converged: true,
        steps: 1,
        block: k,
        passes: 2,
        full: false,
        tol: 1e-10,
    }
}

const VALUES: Need = Need {
    k: 4,
    rel: 1e-3,
    floor: 0.0,
    angle: 0.0,
};

#[test]
fn below_the_size_rule_the_dense_svd_is_taken() {
    for n in [256, 1024] {
        let l = leading(&design(Activation::Relu, n), &VALUES).unwrap();
        match &l.route {
            Route::Dense { reason } => assert!(reason.contains("size rule"), "{reason}"),
            r @ Route::Topk { .. } => panic!("N = {n}: {r:?}"),
        }
        assert_eq!((l.s.len(), l.resolved), (n, n));
        assert!(l.u.is_none());
    }
}

#[test]
fn the_check_resolves_values_bounds_the_tail_and_refuses_the_rest() {
    // s = 1, 0.1, 1e-2, 1e-7, 1e-8; residual 1e-12 except at the small ones.
    let s = vec![1.0, 0.1, 1e-2, 1e-7, 1e-8];
    let t = spectrum(s.clone(), vec![1e-12, 1e-12, 1e-12, 1e-7, 1e-7]);
    // Every value to 1e-3: s_3 with residual 1e-7 is not known.
    let err = check(&t, 1.0101, &VALUES).unwrap_err();
    assert!(err.contains("s_3"), "{err}");
    // Values below 1e-5·s_0 only bounded: s_3 + ρ_3 = 2e-7 ≤ 1e-5.
    let floor = Need {
        floor: 1e-5,
        ..VALUES
    };
    assert_eq!(check(&t, 1.0101, &floor).unwrap(), (3, 1e-12));
    // A residual that hides the value but a Frobenius norm that bounds it:
    // t_3 = √(‖A‖_F² − 1 − 0.01 − 1e-4) with ‖A‖_F² = 1.0101 + 1e-14.
    let t = spectrum(s, vec![1e-12, 1e-12, 1e-12, 1.0, 1e-12]);
    assert_eq!(check(&t, 1.0101 + 1e-14, &floor).unwrap().0, 3);
    // … and one that does not: ‖A‖_F² with 1e-8 of mass below s_2.
    assert!(check(&t, 1.0101 + 1e-8, &floor).is_err());
    // More components read than computed.
    assert!(check(&t, 1.0, &Need { k: 6, ..VALUES }).is_err());
}

#[test]
fn a_spectrum_that_decays_too_fast_falls_back_to_the_dense_svd() {
    // η = z³[z > 0]: s_k/s_0 = O(k⁻⁴), about 1e-8 by k = 100, far below the
    // values the top-K residuals resolve to three digits.
    let a: Activation = "spline:4".parse().unwrap();
    let need = Need {
        k: 101,
        rel: 1e-3,
        floor: 0.0,
        angle: 0.0,
    };
    let err = topk_checked(&design(a, 2048).matrix(), &need)
        .unwrap()
        .unwrap_err();
    assert!(err.contains("not within 1e-3"), "{err}");
}

#[test]
fn top_k_values_and_vectors_agree_with_the_dense_svd() {
    // The Krylov path at N = M = 2048 (room for 14 blocks of b = 140; the
    // size rule itself starts above it): heaviside's values to the 1e-10
    // Fig. 3 asks of them, tanh (σ = M, near-equal pairs) with vectors.
    let n = 2048;
    let need = Need {
        k: 101,
        rel: 1e-10,
        floor: 0.0,
        angle: 1e-4,
    };
    let a = design(Activation::Heaviside, n).matrix();
    let l = topk_checked(&a, &need).unwrap().unwrap();
    assert!(
        matches!(
            l.route,
            Route::Topk {
                k: 128,
                resolved: 101,
                ..
            }
        ),
        "{:?}",
        l.route
    );
    let dense = singular_values(a.as_ref()).unwrap();
    for k in 0..need.k {
        let e = (l.s[k] / l.s[0]) / (dense[k] / dense[0]) - 1.0;
        assert!(e.abs() <= 1e-10, "k = {k}: relative error {e:e}");
    }
    let tanh = Design::spec(Activation::Tanh)
        .sigma(n as f64)
        .n(n)
        .m(n)
        .build()
        .unwrap()
        .matrix();
    let need = Need {
        k: 10,
        rel: 1e-3,
        floor: 0.0,
        angle: 1e-4,
    };
    let l = topk_checked(&tanh, &need).unwrap().unwrap();
    let u = l.u.unwrap();
    let svd = gdshrink::spectral::thin_svd(tanh.as_ref()).unwrap();
    // Pairs (2j, 2j+1): the projection of each top-K u_k on the dense pair's span.
    for k in 0..need.k {
        let p = k / 2 * 2;
        let proj: f64 = [p, p + 1]
            .iter()
            .map(|&j| {
                (0..n)
                    .map(|i| u[(i, k)] * svd.u[(i, j)])
                    .sum::<f64>()
                    .powi(2)
            })
            .sum();
        assert!(proj >= 1.0 - 1e-8, "u_{k}: projection {proj}");
    }
}
