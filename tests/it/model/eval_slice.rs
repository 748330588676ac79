//! The block evaluator `Activation::eval_slice` against the scalar reference
//! `Activation::eval`, entry by entry, in ulp of the scalar value.
//!
//! Bounds (measured maxima are printed with --nocapture and stated in
//! BENCHMARKS.md, "Design build"):
//!
//! * 0 ulp — heaviside, relu, relu2, splines (the same multiplications as
//!   `powi`), cauchy and tables use the scalar formulas.
//! * gelu — fdlibm's erfc with the same polynomials and Horner order as
//!   `libm::erfc`: identical for |x| < 1.25; beyond, two e^x of ≈ 1 ulp each
//!   (against libm's own ≤ 1 ulp) and one division. Bound 4 ulp.
//! * exp-based (gaussian, sigmoid, silu, softplus) — the slice e^x is within
//!   ≈ 1 ulp of the correctly rounded value (degree-13 Taylor, truncation
//!   < 5e−18, one rounding in 1 + p and Cody–Waite's r exact to ½ ulp), std's
//!   exp within ½–1 ulp, and each activation adds one or two roundings
//!   (1 + e, a division, a product; for gaussian −πz² is formed identically
//!   but e^x amplifies its rounding by |x|, which both paths share). Bound 4 ulp.
//! * tanh — t = 2^k·(e^r − 1) + (2^k − 1) may cancel by a factor ≈ 1.4
//!   (k = 1, r < 0), then t/(t + 2) rounds twice: ≈ 3 ulp against std's
//!   own ≤ 1–2 ulp. Bound 4 ulp.
//! * sinc — the four-part π/2 reduction keeps r to ≈ 1 ulp wherever
//!   |πz| ≤ 8e5 (the zeros of sin(πz) included: r is then the tiny
//!   difference fl(πz) − nπ/2, formed from exact products), the sin/cos
//!   polynomials add ≈ 1 ulp, the division ½; blocks with larger |πz| use the
//!   scalar form. Bound 4 ulp.
//! * wavepacket — the window as for gaussian, the carrier from the same
//!   exactly reduced t; sin(πt) near t = ±½ is computed as cos(π(½ − |t|)),
//!   whose argument rounds differently from fl(πt) but where the cosine is
//!   flat. Bound 4 ulp (its zeros are exact on both paths).
//!
//! Ulp distance: |a − b| / ulp(b), ulp(b) the spacing of f64 at |b| (2^(e(b) − 52)
//! for normal b, 2^−1074 for subnormals), so that results that underflow count in units
//! of 2^−1074.

use gdshrink::Activation;
use proptest::prelude::*;

use crate::common::{all_activations, dense_z_grid};

/// The spacing of f64 at |b| (the next f64 up minus |b|; 2^−1074 for subnormals).
fn ulp(b: f64) -> f64 {
    let a = b.abs();
    f64::from_bits(a.to_bits() + 1) - a
}

/// Ulp distance of `got` from `want` (0 when identical, ∞ when one is not finite).
fn ulps(got: f64, want: f64) -> f64 {
    if got == want {
        return 0.0;
    }
    if !(got.is_finite() && want.is_finite()) {
        return f64::INFINITY;
    }
    (got - want).abs() / ulp(want)
}

/// The bound of the module docs.
fn bound(act: Activation) -> f64 {
    match act {
        Activation::Tanh
        | Activation::Gelu
        | Activation::Gaussian
        | Activation::Sigmoid
        | Activation::Silu
        | Activation::Softplus
        | Activation::Sinc
        | Activation::Wavepacket => 4.0,
        _ => 0.0,
    }
}

/// The error both paths share where e^(−|z|) is subnormal (|z| > 708): each
/// rounds it to a multiple of 2^−1074 (the slice path's two-step scaling
/// possibly twice), and silu multiplies it by z, so the result, a normal
/// number, carries up to |z|·2^−1073 of absolute error on either path.
/// GELU likewise where erfc(−z/√2) is subnormal (z ≲ −37.5, the left tail):
/// both erfc's round onto multiples of 2^−1074 and GELU multiplies by z/2,
/// so each unit rounded costs |z|/2·2^−1074; the same floor allows two units
/// per path. Elsewhere one subnormal unit, for results that underflow.
fn floor(act: Activation, z: f64) -> f64 {
    if act == Activation::Silu || act == Activation::Gelu {
        z.abs() * 2f64.powi(-1073)
    } else {
        5e-324
    }
}

/// Max ulp distance of the slice evaluator over `z` beyond [`floor`], and where.
fn worst(act: Activation, z: &[f64]) -> (f64, f64) {
    let mut out = z.to_vec();
    act.eval_slice(&mut out);
    z.iter()
        .zip(&out)
        .map(|(&zi, &g)| {
            let want = act.eval(zi);
            let u = ulps(g, want);
            let u = if u.is_finite() && u > 0.0 {
                ((g - want).abs() - floor(act, zi)).max(0.0) / ulp(want)
            } else {
                u
            };
            (u, zi)
        })
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

#[test]
fn eval_slice_matches_eval_over_the_dense_grid() {
    let z = dense_z_grid();
    for act in all_activations() {
        let (w, at) = worst(act, &z);
        eprintln!(
            "{:>10}: max {w:.2} ulp (at z = {at:e}) over {} points",
            act.base_name(),
            z.len()
        );
        assert!(
            w <= bound(act),
            "{act}: {w} ulp at z = {at:e} (bound {})",
            bound(act)
        );
    }
}

/// The vector loop (eight or four lanes, by run-time dispatch) and its
/// scalar remainder compute the same operations in the same order, so the
/// width cannot change a result: a whole slice and the same entries one at a
/// time (each a slice of one, which never enters the vector loop) agree to the
/// bit, for every activation, over the dense grid. (Sinc's slice takes the
/// scalar form for a whole block of 256 that holds some |z| > 2e5, a choice
/// by block, not by width: its grid stops below that.)
#[test]
fn eval_slice_does_not_depend_on_the_vector_width() {
    let dense = dense_z_grid();
    for act in all_activations() {
        let z: Vec<f64> = if act.base_name() == "sinc" {
            dense.iter().copied().filter(|v| v.abs() < 1e5).collect()
        } else {
            dense.clone()
        };
        let mut whole = z.clone();
        act.eval_slice(&mut whole);
        for (&zi, &w) in z.iter().zip(&whole) {
            let mut one = [zi];
            act.eval_slice(&mut one);
            assert_eq!(
                one[0].to_bits(),
                w.to_bits(),
                "{act} at z = {zi:e}: {:e} alone, {w:e} in a slice",
                one[0]
            );
        }
    }
}

/// The same, across the instruction sets: the whole dense grid of every
/// activation at the CPU's widest level, capped at AVX2 + FMA and at the
/// baseline SSE2, agree to the bit. (On a CPU without AVX-512 the first two
/// run the same level; the baseline always runs.) The cap is global, so the
/// tests running beside this one may run narrower meanwhile, with the same
/// results.
#[test]
fn eval_slice_is_the_same_at_every_instruction_set() {
    let z = dense_z_grid();
    let at = |level: u8| -> Vec<Vec<f64>> {
        let previous = Activation::cap_simd_level(level);
        let out = all_activations()
            .into_iter()
            .map(|act| {
                let mut v = z.clone();
                act.eval_slice(&mut v);
                v
            })
            .collect();
        Activation::cap_simd_level(previous);
        out
    };
    let widest = at(2);
    for level in [1, 0] {
        for (act, (a, b)) in all_activations()
            .into_iter()
            .zip(widest.iter().zip(at(level)))
        {
            for ((&zi, &x), y) in z.iter().zip(a).zip(b) {
                assert_eq!(
                    x.to_bits(),
                    y.to_bits(),
                    "{act} at z = {zi:e}: {x:e} at the widest level, {y:e} at level {level}"
                );
            }
        }
    }
}

#[test]
fn eval_slice_edge_values() {
    let edges = [
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        1e-300,
        -1e-300,
        1e-16,
        0.25,
        0.5,
        1.0,
        19.999,
        20.0,
        20.001,
        36.0,
        37.0,
        354.0,
        745.0,
        1e5,
        2.5e5,
        2.6e5,
        1e15,
        4.5e15,
        1e300,
        -1e300,
    ];
    let mut z: Vec<f64> = edges.to_vec();
    z.extend(edges.iter().map(|v| -v));
    for act in all_activations() {
        let (w, at) = worst(act, &z);
        assert!(w <= bound(act), "{act}: {w} ulp at z = {at:e}");
        let mut out = z.clone();
        act.eval_slice(&mut out);
        for (&zi, &v) in z.iter().zip(&out) {
            // Finite wherever the scalar is (relu2 and splines overflow at 1e300).
            assert_eq!(v.is_finite(), act.eval(zi).is_finite(), "{act} at {zi:e}");
        }
    }
    // Exact landmarks survive the slice path.
    let mut v = [0.0, 0.25, 1.0];
    Activation::Sinc.eval_slice(&mut v);
    assert_eq!(v[0], 1.0);
    let mut v = [0.0, 0.25, -2.75];
    Activation::Wavepacket.eval_slice(&mut v);
    assert_eq!(v, [1.0, 0.0, 0.0]);
    let mut v = [0.0, -1e3, 1e3];
    Activation::Sigmoid.eval_slice(&mut v);
    assert_eq!(v, [0.5, 0.0, 1.0]);
}

fn any_z() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e-6..1e-6f64,
        -40.0..40.0f64,
        -1e3..1e3f64,
        -3e5..3e5f64,
        (-300.0..300.0f64).prop_map(|e| 10f64.powf(e)),
        (-300.0..300.0f64).prop_map(|e| -(10f64.powf(e))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random z in slices of random length (the vector loops' remainders).
    #[test]
    fn eval_slice_matches_eval_on_random_z(z in prop::collection::vec(any_z(), 0..300)) {
        for act in all_activations() {
            let (w, at) = worst(act, &z);
            prop_assert!(w <= bound(act), "{} ulp at z = {:e} for {}", w, at, act);
        }
    }
}

/// The design build goes through the slice evaluator: every entry of A is
/// within the activation's bound of the scalar `Design::entry`.
#[test]
fn design_matrix_entries_match_the_scalar_entry() {
    for act in all_activations() {
        let d = gdshrink::Design::spec(act)
            .sigma(37.0)
            .n(33)
            .m(71)
            .build()
            .unwrap();
        let a = d.matrix();
        for (i, &xi) in d.x().iter().enumerate() {
            for (j, &bj) in d.b().iter().enumerate() {
                let w = ulps(a[(i, j)], d.entry(xi, bj));
                assert!(w <= bound(act), "{act} ({i}, {j}): {w} ulp");
            }
        }
    }
}
