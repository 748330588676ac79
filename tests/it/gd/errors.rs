//! The typed errors of gradient descent for bad input (never a panic):
//! non-finite targets, unstable learning rates, divergence with the partial
//! trajectory kept, and every length that has to match.

use gdshrink::gd::{GdBatch, RunStatus};
use gdshrink::model::signal::Builtin;
use gdshrink::spectral::{self, Mask, qk};
use gdshrink::{Activation, Design, Error, Signal};

use super::cpu_run;

#[test]
fn non_finite_signal_is_a_typed_error() {
    let d = Design::spec(Activation::Tanh)
        .sigma(10.0)
        .n(6)
        .m(5)
        .build()
        .unwrap();
    let a = d.matrix();
    let svd = spectral::thin_svd(a.as_ref()).unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut y = vec![0.5; 6];
        y[3] = bad;
        match spectral::shrink(&svd, &y, &[Mask::Ridge { lambda: 1.0 }]) {
            Err(Error::NonFiniteInput { index: 3, .. }) => {}
            other => panic!("shrink with {bad}: {other:?}"),
        }
        let batch = GdBatch::new(vec![vec![0.0; 6], y.clone()], vec![0.1, 0.1], vec![1]);
        let e = cpu_run(a.as_ref(), &batch, svd.s_max()).unwrap_err();
        assert!(matches!(e, Error::NonFiniteInput { index: 3, .. }), "{e:?}");
        assert!(e.to_string().contains("run 1"), "{e}");
    }
    // From a file: the value parses (Rust reads "nan"/"inf") and is then refused.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("y.txt");
    std::fs::write(&p, "0.1 0.2 nan 0.4 0.5 0.6").unwrap();
    let e = Signal::File(p).values(d.x()).unwrap_err();
    assert!(matches!(e, Error::NonFiniteInput { index: 2, .. }), "{e:?}");
    // Non-finite matrices are refused by the SVD routes, naming the entry.
    let mut bad = a.clone();
    bad[(2, 1)] = f64::NAN;
    let e = spectral::thin_svd(bad.as_ref()).unwrap_err().to_string();
    assert!(e.contains("(2, 1)"), "{e}");
}

#[test]
fn unstable_learning_rate_names_run_and_limit() {
    let d = Design::spec(Activation::Relu)
        .sigma(1.0)
        .n(12)
        .m(10)
        .build()
        .unwrap();
    let a = d.matrix();
    let s_max = spectral::singular_values(a.as_ref()).unwrap()[0];
    let limit = 2.0 / (s_max * s_max);
    let y = Builtin::Bumps.sample(d.x());
    // Exactly at the limit is already refused (α ≥ 2/s_max²).
    for bad in [limit, 1.5 * limit] {
        let batch = GdBatch::new(vec![y.clone(), y.clone()], vec![0.5 * limit, bad], vec![5]);
        let e = cpu_run(a.as_ref(), &batch, s_max).unwrap_err();
        match &e {
            Error::UnstableLearningRate {
                run,
                alpha,
                limit: l,
                ..
            } => {
                assert_eq!(*run, 1);
                assert_eq!(*alpha, bad);
                assert!((l - limit).abs() <= 1e-15 * limit);
            }
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("run 1") && msg.contains(&format!("{limit:e}")),
            "{msg}"
        );
    }
}

/// A huge α with `allow_unstable`: run 1 overflows to ∞/NaN; the error names the
/// run and the (first checked) iteration, and the partial trajectory keeps every
/// checkpoint — run 0 intact, run 1 finite before the failure and NaN after.
#[test]
fn divergence_is_reported_with_partial_trajectory() {
    let d = Design::spec(Activation::Tanh)
        .sigma(30.0)
        .n(16)
        .m(12)
        .build()
        .unwrap();
    let a = d.matrix();
    let s_max = spectral::singular_values(a.as_ref()).unwrap()[0];
    let s2 = s_max * s_max;
    let y = Builtin::Heavisine.sample(d.x());
    let mut batch = GdBatch::new(
        vec![y.clone(), y],
        vec![1.0 / s2, 1e150 / s2],
        vec![1, 5, 40],
    );
    batch.record_w = true;
    batch.allow_unstable = true;
    let t = cpu_run(a.as_ref(), &batch, s_max).unwrap();
    assert!(t.status[0].is_ok());
    let it = match t.status[1] {
        RunStatus::NonFinite { iteration } => iteration,
        ref other => panic!("expected NonFinite, got {other:?}"),
    };
    assert!((2..=5).contains(&it), "first seen at {it}");
    match t.into_result() {
        Err(Error::Diverged {
            run,
            iteration,
            detail,
            partial,
        }) => {
            assert_eq!((run, iteration), (1, it));
            assert!(detail.contains("non-finite"), "{detail}");
            let p = partial.expect("partial trajectory");
            assert_eq!(p.checkpoints.len(), 3);
            assert!(
                p.checkpoints
                    .iter()
                    .all(|c| c.f[0].iter().all(|v| v.is_finite()))
            );
            assert!(p.checkpoints[0].f[1].iter().all(|v| v.is_finite()));
            assert!(p.checkpoints[2].f[1].iter().all(|v| v.is_nan()));
            assert!(p.checkpoints[2].loss[1].is_nan());
        }
        other => panic!("{other:?}"),
    }
    // A moderately unstable run (|1 − αs²| = 1.5) is caught by the growth watch instead.
    let mut batch = GdBatch::new(vec![vec![1.0; 16]], vec![2.5 / s2], vec![300]);
    batch.allow_unstable = true;
    let e = cpu_run(a.as_ref(), &batch, s_max)
        .unwrap()
        .into_result()
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("run 0 diverged at iteration") && msg.contains("grows"),
        "{msg}"
    );
}

#[test]
fn mismatched_lengths_are_typed_errors() {
    let d = Design::spec(Activation::Gelu)
        .sigma(5.0)
        .n(8)
        .m(6)
        .build()
        .unwrap();
    let a = d.matrix();
    let svd = spectral::thin_svd(a.as_ref()).unwrap();
    let e = spectral::shrink(&svd, &[0.0; 7], &[Mask::Pca { kappa: 0.1 }]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 8,
                got: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        d.eval(&[1.0; 5], d.x()),
        Err(Error::LengthMismatch {
            expected: 6,
            got: 5,
            ..
        })
    ));

    let y = vec![0.0; 8];
    let run = |b: &GdBatch| cpu_run(a.as_ref(), b, svd.s_max()).unwrap_err();
    // α count ≠ runs.
    let e = run(&GdBatch::new(
        vec![y.clone(), y.clone()],
        vec![0.01],
        vec![1],
    ));
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{e:?}"
    );
    // y of run 1 too short.
    let e = run(&GdBatch::new(
        vec![y.clone(), vec![0.0; 3]],
        vec![0.01, 0.01],
        vec![1],
    ));
    assert!(e.to_string().contains("run 1"), "{e}");
    // w0 of the wrong width.
    let mut b = GdBatch::new(vec![y.clone()], vec![0.01], vec![1]);
    b.w0 = Some(vec![vec![0.0; 5]]);
    assert!(matches!(
        run(&b),
        Error::LengthMismatch {
            expected: 6,
            got: 5,
            ..
        }
    ));
    // Checkpoints: empty, or not strictly increasing.
    assert!(matches!(
        run(&GdBatch::new(vec![y.clone()], vec![0.01], vec![])),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        run(&GdBatch::new(vec![y.clone()], vec![0.01], vec![5, 5])),
        Error::InvalidParameter { .. }
    ));
    // An evaluation grid without its matrix.
    let mut b = GdBatch::new(vec![y.clone()], vec![0.01], vec![1]);
    b.eval_points = Some(vec![0.5]);
    assert!(matches!(run(&b), Error::InvalidParameter { .. }));
    // No runs; non-positive α.
    assert!(matches!(
        run(&GdBatch::new(vec![], vec![], vec![1])),
        Error::InvalidParameter { .. }
    ));
    assert!(matches!(
        run(&GdBatch::new(vec![y], vec![-0.1], vec![1])),
        Error::InvalidParameter { .. }
    ));
    // q(K) out of range, component index out of range, bad ε, bad mask parameter.
    assert!(qk::q_of_k(&svd.s, 0, 8, 6).is_err());
    assert!(qk::q_of_k(&svd.s, 7, 8, 6).is_err());
    assert!(spectral::dst_similarity(&svd, d.x(), &[6]).is_err());
    assert!(qk::kappa(1.0, 10.0, 1.0).is_err());
    let e = spectral::shrink(
        &svd,
        &[0.0; 8],
        &[Mask::GdExact {
            alpha: f64::NAN,
            q: 3,
        }],
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
}
