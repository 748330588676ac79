//! The streamed spectrum (`spectral::stream`) against the dense SVD and the
//! golden data: values to the dense route's accuracy (TSQR), the Gram route's
//! documented loss below √ε·s_max, vectors by subspace angle, and results
//! independent of the block size and of scheduling.

use faer::Mat;
use gdshrink::spectral::{self, StreamOptions, StreamRoute, streamed_spectrum};
use gdshrink::{Activation, Design};

use crate::common::{EPS, cases, design, label, load, vecf};

fn opts(route: StreamRoute, block: usize, long_vectors: usize) -> StreamOptions {
    StreamOptions {
        route,
        block,
        long_vectors,
    }
}

/// The TSQR route meets the dense route's golden tolerance on all 72 golden
/// spectra (wide, square and tall; linspace and midpoint), with a block size
/// that cuts every long side into several blocks.
#[test]
fn tsqr_matches_the_golden_spectra() {
    let g = load("spectra.json");
    for c in cases(&g) {
        let d = design(c);
        let want = vecf(&c["singular_values"]);
        let got = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 7, 0)).unwrap();
        assert!(got.blocks > 1, "{}: one block only", label(c));
        // The stacked QR folds up to ⌈L/7⌉ blocks one after another; each fold
        // adds a backward error of a few ε·‖T‖, so the bound is a small
        // multiple (16) of the dense route's golden tolerance ε·max(N, M)·s_0.
        let tol = 16.0 * EPS * d.n().max(d.m()) as f64 * want[0];
        for (k, (g, w)) in got.s.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= tol,
                "{} (tsqr): s_{k} {g:e} vs {w:e}",
                label(c)
            );
        }
    }
}

/// Smallest cosine of the principal angles between span(a[:, ..k]) and
/// span(b[:, ..k]) (both with orthonormal columns): σ_min(a_kᵀ b_k).
fn subspace_cos(a: &Mat<f64>, b: &Mat<f64>, k: usize) -> f64 {
    let p = a.as_ref().subcols(0, k).transpose() * b.as_ref().subcols(0, k);
    let s = spectral::singular_values(p.as_ref()).unwrap();
    *s.last().unwrap()
}

/// Leading k at which the spectrum has a relative gap above `gap`.
fn gapped_prefixes(s: &[f64], gap: f64, upto: usize) -> Vec<usize> {
    (1..upto.min(s.len()))
        .filter(|&k| (s[k - 1] - s[k]) / s[0] > gap)
        .collect()
}

/// Wide and tall designs of every paper activation: values within a few
/// ε·max(N, M)·s_0 of the dense SVD; the short side's vectors and the
/// recovered long side's vectors span the dense SVD's leading subspaces.
///
/// Tolerances: both routes are backward stable, so values agree to
/// c·ε·max(N, M)·s_0 (c = 4 here); the angle between k-dimensional invariant
/// subspaces is bounded by ε·s_0/gap_k (Davis–Kahan/Wedin), so with a gap of at
/// least 1e-3·s_0 the cosine is within 1e-9 of 1 (the bound is ≈ 1e-13 times a
/// modest constant); recovered long vectors lose a further factor s_0/s_k ≤ 1e2
/// over the leading components checked.
#[test]
fn routes_agree_with_the_dense_svd_wide_and_tall() {
    for act in Activation::PAPER {
        for (n, m) in [(24, 1500), (1500, 24)] {
            let d = Design::spec(act).sigma(30.0).n(n).m(m).build().unwrap();
            let dense = spectral::thin_svd(d.matrix().as_ref()).unwrap();
            let got = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 100, 8)).unwrap();
            let tol = 4.0 * EPS * n.max(m) as f64 * dense.s[0];
            for (k, (g, w)) in got.s.iter().zip(&dense.s).enumerate() {
                assert!((g - w).abs() <= tol, "{act} {n}x{m}: s_{k} {g:e} vs {w:e}");
            }
            let (short, short_dense, long, long_dense) = if n <= m {
                (got.u.as_ref(), &dense.u, got.v.as_ref(), &dense.v)
            } else {
                (got.v.as_ref(), &dense.v, got.u.as_ref(), &dense.u)
            };
            let (short, long) = (short.unwrap(), long.unwrap());
            assert_eq!(long.ncols(), 8);
            for k in gapped_prefixes(&dense.s, 1e-3, 8) {
                if dense.s[k - 1] < 1e-2 * dense.s[0] {
                    continue;
                }
                let c = subspace_cos(short, short_dense, k);
                assert!(c > 1.0 - 1e-9, "{act} {n}x{m}: short side k={k}: cos {c}");
                let c = subspace_cos(long, long_dense, k);
                assert!(c > 1.0 - 1e-9, "{act} {n}x{m}: long side k={k}: cos {c}");
            }
        }
    }
}

/// The Gram route: values to ≈ ε·s_0²/s_k, as documented. On the Gaussian's
/// fast-decaying spectrum it is accurate at the top and visibly wrong below
/// √ε·s_0, where TSQR still agrees with the dense SVD, so the two routes are
/// really different computations.
#[test]
fn gram_route_is_accurate_at_the_top_only() {
    let d = Design::spec(Activation::Gaussian)
        .sigma(2.0)
        .n(40)
        .m(4000)
        .build()
        .unwrap();
    let dense = spectral::singular_values(d.matrix().as_ref()).unwrap();
    let gram = streamed_spectrum(&d, &opts(StreamRoute::Gram, 0, 0)).unwrap();
    let tsqr = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 0, 0)).unwrap();
    let s0 = dense[0];
    let mut deep = 0;
    #[allow(clippy::needless_range_loop)] // three arrays indexed by k
    for k in 0..dense.len() {
        // 8·max(N,M)·ε·s_0²/s_k: the squared route's forward error.
        let bound = 8.0 * 4000.0 * EPS * s0 * s0 / dense[k].max(1e-300);
        assert!(
            (gram.s[k] - dense[k]).abs() <= bound.max(1e-7 * s0),
            "gram s_{k}"
        );
        assert!(
            (tsqr.s[k] - dense[k]).abs() <= 4.0 * 4000.0 * EPS * s0,
            "tsqr s_{k}"
        );
        if dense[k] < 1e-10 * s0 {
            deep += 1;
        }
    }
    assert!(
        deep > 5,
        "the test needs values below √ε·s_0 (found {deep})"
    );
    let worst_gram = (0..dense.len())
        .filter(|&k| dense[k] < 1e-10 * s0)
        .map(|k| (gram.s[k] - dense[k]).abs() / s0)
        .fold(0.0, f64::max);
    assert!(
        worst_gram > 1e-12,
        "Gram should lose digits below √ε·s_0: {worst_gram:e}"
    );
}

/// The factors are combined in a fixed order: the same call twice gives the
/// same bits, and another block size agrees to rounding.
#[test]
fn deterministic_and_block_size_independent() {
    let d = Design::spec(Activation::Tanh)
        .n(32)
        .m(5000)
        .build()
        .unwrap();
    let a = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 300, 0)).unwrap();
    let b = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 300, 0)).unwrap();
    assert_eq!(a.s, b.s);
    let c = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 0, 0)).unwrap();
    for (x, y) in a.s.iter().zip(&c.s) {
        assert!((x - y).abs() <= 4.0 * 5000.0 * EPS * a.s[0]);
    }
    assert!(
        a.working_bytes < 8.0 * 32.0 * 5000.0,
        "streaming must not hold A"
    );
}

#[test]
fn bad_options_are_errors() {
    let d = Design::spec(Activation::Relu).n(8).m(100).build().unwrap();
    let e = streamed_spectrum(&d, &opts(StreamRoute::Tsqr, 0, 9))
        .unwrap_err()
        .to_string();
    assert!(e.contains("long vectors") && e.contains('8'), "{e}");
}
