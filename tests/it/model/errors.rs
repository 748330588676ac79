//! The typed errors the model promises for bad input (never a panic): sizes,
//! σ, activation names and grids.

use gdshrink::{Activation, Design, Error, Grid};

#[test]
fn zero_sizes_are_typed_errors() {
    for (n, m, name) in [(0, 4, "n"), (4, 0, "m")] {
        match Design::spec(Activation::Tanh).sigma(1.0).n(n).m(m).build() {
            Err(Error::InvalidParameter {
                name: got, value, ..
            }) => {
                assert_eq!((got.as_str(), value.as_str()), (name, "0"));
            }
            other => panic!("N={n} M={m}: {other:?}"),
        }
    }
}

#[test]
fn bad_sigma_is_a_typed_error() {
    for sigma in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Design::spec(Activation::Relu)
            .sigma(sigma)
            .n(4)
            .m(4)
            .build()
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidParameter { name, .. } if name == "sigma"),
            "σ={sigma}: {e:?}"
        );
        assert!(e.to_string().contains("> 0"), "{e}");
    }
}

#[test]
fn unknown_activation_lists_valid_names() {
    let e = "softmax".parse::<Activation>().unwrap_err();
    assert!(matches!(e, Error::UnknownActivation { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("softmax"), "{msg}");
    for name in Activation::PAPER
        .into_iter()
        .chain(Activation::EXTRA)
        .map(Activation::name)
    {
        assert!(msg.contains(&name), "message misses '{name}': {msg}");
    }
    assert!(msg.contains("spline"), "{msg}");
}

#[test]
fn bad_grids_are_typed_errors() {
    assert!(matches!(
        Grid::Points(vec![0.0, 0.5]).points(3, "n"),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        Grid::Points(vec![0.0, f64::NAN]).points(2, "n"),
        Err(Error::NonFiniteInput { index: 1, .. })
    ));
    assert!(matches!(
        Grid::Linspace.points(0, "n"),
        Err(Error::InvalidParameter { .. })
    ));
    let e = "chebyshev".parse::<Grid>().unwrap_err().to_string();
    assert!(
        e.contains("chebyshev") && e.contains("linspace") && e.contains("midpoint"),
        "{e}"
    );
    // Through the design: a user grid of the wrong length, a NaN bias.
    let e = Design::spec(Activation::Tanh)
        .sigma(1.0)
        .n(3)
        .m(2)
        .grid(Grid::Points(vec![0.0, 1.0]))
        .bias_grid(Grid::Linspace)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = Design::new(Activation::Tanh, 1.0, vec![0.0], vec![f64::NAN]).unwrap_err();
    assert!(e.to_string().contains("bias grid"), "{e}");
    // An empty grid file.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.txt");
    std::fs::write(&p, "  \n").unwrap();
    assert!(matches!(Grid::from_file(&p), Err(Error::Format { .. })));
}
