//! Property tests: the library's parsers and constructors, fed arbitrary
//! input, return a value or an error — never panic — and what they accept
//! is usable (a design that builds has a finite A; a rate that resolves is a
//! normal f64).

use gdshrink::gd::{GdBatch, LearningRate, QList, log_spaced, parse_iterations};
use gdshrink::model::design::MAX_POINTS;
use gdshrink::model::signal::{Builtin, Channel, check_scale};
use gdshrink::spectral::SvdMethod;
use gdshrink::studies::validate::suite::Suite;
use gdshrink::{Activation, Design, Grid, Sigma, Signal};
use proptest::prelude::*;

/// Any f64, special values included, biased towards the interesting ones.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(5e-324),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(0.0),
        -10.0..10.0f64,
    ]
}

/// Sizes: small, at the bound, beyond it, and the largest usize.
fn any_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        0..64usize,
        Just(MAX_POINTS),
        Just(MAX_POINTS + 1),
        Just(usize::MAX),
        any::<usize>(),
    ]
}

/// Strings that look like the values of the flags, and arbitrary ones.
fn any_word() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+]?[0-9]{0,25}(\\.[0-9]{0,5})?(e[-+]?[0-9]{1,4})?",
        "(log|spline|auto|m|nan|inf|-inf):[-0-9e.:]{0,30}",
        "[a-z0-9:,/._-]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(s in any_word()) {
        let _ = s.parse::<Activation>();
        let _ = s.parse::<Sigma>();
        let _ = s.parse::<QList>();
        let _ = s.parse::<LearningRate>();
        let _ = s.parse::<gdshrink::gd::Strategy>();
        let _ = s.parse::<Builtin>();
        let _ = s.parse::<Channel>();
        let _ = s.parse::<SvdMethod>();
        let _ = s.parse::<Suite>();
        let _ = parse_iterations(&s);
        // Grids and signals also read files: only names that are not paths.
        if !s.contains('/') {
            let _ = s.parse::<Grid>();
            let _ = s.parse::<Signal>();
        }
        if let Ok(q) = s.parse::<QList>() {
            prop_assert!(!q.values().is_empty());
            prop_assert!(q.values().windows(2).all(|w| w[0] < w[1]));
        }
        if let Ok(LearningRate::Value(a)) = s.parse::<LearningRate>() {
            prop_assert!(a.is_finite() && a >= f64::MIN_POSITIVE);
        }
    }

    #[test]
    fn a_design_that_builds_has_a_finite_matrix(
        act in prop::sample::select(Activation::PAPER.to_vec()),
        sigma in any_f64(),
        n in any_size(),
        m in any_size(),
    ) {
        // Sizes beyond a few thousand points are only checked, not built.
        let spec = Design::spec(act).sigma(sigma).n(n).m(m);
        if n.saturating_mul(m) > 4096 && n <= MAX_POINTS && m <= MAX_POINTS && n > 0 && m > 0 {
            return Ok(());
        }
        if let Ok(d) = spec.build() {
            let a = d.matrix();
            for j in 0..a.ncols() {
                for i in 0..a.nrows() {
                    prop_assert!(a[(i, j)].is_finite(), "{act} sigma={sigma} A[{i},{j}]");
                }
            }
        }
    }

    #[test]
    fn designs_from_points_never_panic(
        sigma in any_f64(),
        x in prop::collection::vec(any_f64(), 0..6),
        b in prop::collection::vec(any_f64(), 0..6),
    ) {
        for act in Activation::PAPER {
            if let Ok(d) = Design::new(act, sigma, x.clone(), b.clone()) {
                let a = d.matrix();
                prop_assert!(a.norm_l2().is_finite(), "{act} sigma={sigma} x={x:?} b={b:?}");
            }
        }
    }

    #[test]
    fn rates_batches_and_lists_never_panic(
        a in any_f64(),
        s_max in any_f64(),
        n in any_size(),
        y in prop::collection::vec(any_f64(), 0..5),
        qs in prop::collection::vec(any::<u64>(), 0..5),
        lo in any::<u64>(),
        hi in any::<u64>(),
        count in 0..50usize,
    ) {
        for rate in [LearningRate::Value(a), LearningRate::OverSmax2(a), LearningRate::Nt(a)] {
            if let Ok(alpha) = rate.resolve(s_max, n.max(1)) {
                prop_assert!(alpha.is_finite() && alpha >= f64::MIN_POSITIVE);
            }
        }
        let _ = check_scale("y", &y);
        let batch = GdBatch::new(vec![y.clone()], vec![a], qs.clone());
        let _ = batch.validate(y.len(), 3, Some(s_max).filter(|s| s.is_finite()));
        let _ = QList::new(qs);
        if lo >= 1 && hi >= lo {
            let v = log_spaced(lo, hi, count);
            prop_assert!(v.iter().all(|&q| (lo..=hi).contains(&q)));
        }
    }
}
