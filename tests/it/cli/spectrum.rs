//! `gdshrink spectrum`: the table, `--json` against the library, `--out`
//! files (CSV and NPY), principal components against the DST basis and the
//! Gram route.

use gdshrink::gd::rel_error;
use gdshrink::output::array::{read_npy, read_vector};
use gdshrink::spectral;
use gdshrink::{Activation, Design};

use crate::common::cli::{CONFIG_KEYS, col, has_keys, json, npy_col, ok, read_csv, vecf};

#[test]
fn spectrum_table_json_and_files() {
    let args = ["spectrum", "-a", "heaviside", "-n", "32", "-m", "32"];
    let table = ok(&[&args[..], &["--top", "5"]].concat());
    assert!(table.contains("engine: cpu-f64"), "{table}");
    assert!(table.contains("s_k/s_0"), "{table}");
    assert!(table.contains("showing 5 of 32"), "{table}");

    let j = json(&args);
    has_keys(&j, &CONFIG_KEYS);
    has_keys(
        &j,
        &[
            "singular_values",
            "singular_values_normalized",
            "s_max",
            "method",
            "numerical_rank",
        ],
    );
    assert_eq!(j["activation"], "heaviside");
    assert_eq!(j["sigma"], 32.0); // default sigma = M
    let d = Design::spec(Activation::Heaviside)
        .sigma(32.0)
        .n(32)
        .m(32)
        .build()
        .unwrap();
    let want = spectral::singular_values(d.matrix().as_ref()).unwrap();
    let got = vecf(&j["singular_values"]);
    assert!(rel_error(&got, &want) < 1e-12);
    // heaviside, N = M: s_k/s_0 ≈ 1/(2k+1) (SPEC §5; at N = 32 to ~1%).
    let norm = vecf(&j["singular_values_normalized"]);
    for (k, v) in norm.iter().take(4).enumerate() {
        let expect = 1.0 / (2 * k + 1) as f64;
        assert!((v - expect).abs() < 0.01 * expect, "k={k}: {v}");
    }

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("s.csv");
    let npy = dir.path().join("s.npy");
    ok(&[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    ok(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    let t = read_csv(&csv);
    assert_eq!(
        t.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["k", "s", "s_over_s0"]
    );
    assert!(rel_error(&col(&t, "s"), &want) < 1e-12);
    assert_eq!(read_vector(&csv).unwrap().len(), 32); // first column: k
    let (shape, data) = read_npy(&npy).unwrap();
    assert_eq!(shape, vec![32, 3]);
    assert!(rel_error(&npy_col(&shape, &data, 1), &want) < 1e-12);
}

#[test]
fn spectrum_vectors_match_the_dst_basis() {
    let args = [
        "spectrum",
        "-a",
        "heaviside",
        "-n",
        "64",
        "-m",
        "64",
        "--vectors",
        "4",
    ];
    let table = ok(&args);
    assert!(table.contains("|cos(u_k,d_k)|"), "{table}");
    let j = json(&args);
    has_keys(&j, &["x", "components"]);
    let comps = j["components"].as_array().unwrap();
    assert_eq!(comps.len(), 4);
    let d = Design::spec(Activation::Heaviside)
        .sigma(64.0)
        .n(64)
        .m(64)
        .build()
        .unwrap();
    let svd = spectral::thin_svd(d.matrix().as_ref()).unwrap();
    let lib = spectral::dst_similarity(&svd, d.x(), &[0, 1, 2, 3]).unwrap();
    for (c, l) in comps.iter().zip(&lib) {
        has_keys(
            c,
            &[
                "k",
                "s",
                "abs_cos_dst",
                "best_j",
                "best_abs_cos",
                "fourier_pair_projection",
                "u",
            ],
        );
        assert!((c["abs_cos_dst"].as_f64().unwrap() - l.abs_cos).abs() < 1e-12);
        assert!(l.abs_cos > 0.99, "heaviside u_k is DST-like: {}", l.abs_cos);
        assert_eq!(c["best_j"].as_u64().unwrap() as usize, l.best_j);
        // u_k is a unit vector with <u_k, d_k> >= 0.
        let u = vecf(&c["u"]);
        let k = c["k"].as_u64().unwrap() as usize;
        let norm: f64 = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12);
        let dk = spectral::dst_basis(d.x(), k);
        assert!(u.iter().zip(&dk).map(|(a, b)| a * b).sum::<f64>() >= 0.0);
    }

    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("v.npy");
    let text = ok(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    assert!(text.contains("wrote"), "{text}");
    let (shape, data) = read_npy(&npy).unwrap();
    // k, s, s_over_s0, x, u_0..u_3, component, abs_cos_dst, best_j, best_abs_cos, pair_projection
    assert_eq!(shape, vec![64, 3 + 1 + 4 + 5]);
    assert_eq!(npy_col(&shape, &data, 3), d.x());
    let u0 = vecf(&comps[0]["u"]);
    assert!(rel_error(&npy_col(&shape, &data, 4), &u0) < 1e-12);
    assert_eq!(npy_col(&shape, &data, 8).len(), 4); // component column: K rows
}

#[test]
fn spectrum_gram_agrees_at_the_top() {
    let base = ["spectrum", "-a", "relu", "-n", "30", "-m", "90"];
    let direct = vecf(&json(&base)["singular_values"]);
    let j = json(&[&base[..], &["--method", "gram"]].concat());
    assert_eq!(j["method"], "gram");
    let gram = vecf(&j["singular_values"]);
    // Gram route: absolute error ~ eps s_max^2 / s_k; the top 5 values are
    // within a factor 1e3 of s_max, so 1e-10 relative holds with margin.
    for k in 0..5 {
        assert!((gram[k] - direct[k]).abs() <= 1e-10 * direct[k], "k={k}");
    }
}

/// `spectrum --k K`: the topk route with its residuals in --json and --out,
/// `auto` taking it only where a full SVD is costly, and bad K refused.
#[test]
fn spectrum_k_topk_route() {
    let base = [
        "spectrum", "-a", "tanh", "-n", "300", "-m", "300", "--k", "10",
    ];
    let j = json(&[&base[..], &["--method", "topk"]].concat());
    assert_eq!(j["method"], "topk");
    assert_eq!(j["k"], 10);
    has_keys(
        &j,
        &["topk", "residual_left", "residual_right", "residual_bound"],
    );
    assert_eq!(j["topk"]["converged"], true);
    let d = Design::spec(Activation::Tanh)
        .sigma(300.0)
        .n(300)
        .m(300)
        .build()
        .unwrap();
    let want = spectral::singular_values(d.matrix().as_ref()).unwrap();
    let got = vecf(&j["singular_values"]);
    assert_eq!(got.len(), 10);
    // Converged to ρ ≤ 1e-10·s_0: values within ≈ ε·L·s_0 (see the library
    // tests), well inside 1e-12 relative.
    assert!(rel_error(&got, &want[..10]) < 1e-12);
    for key in ["residual_left", "residual_right"] {
        let r = vecf(&j[key]);
        assert_eq!(r.len(), 10);
        assert!(r.iter().all(|&x| x <= 1e-10), "{key}: {r:?}");
    }
    let text = ok(&[&base[..], &["--method", "topk", "--top", "3"]].concat());
    assert!(
        text.contains("randomized block Krylov") && text.contains("converged"),
        "{text}"
    );
    assert!(
        text.contains("showing 3 of 10 singular values (the largest of 300)"),
        "{text}"
    );

    // auto: a full SVD at N = M = 300 (cut to K), topk at N = M = 2048.
    let j = json(&base);
    assert_eq!(j["method"], "direct");
    assert_eq!(vecf(&j["singular_values"]).len(), 10);
    let big = json(&[
        "spectrum", "-a", "relu", "-n", "2048", "-m", "2048", "--k", "5",
    ]);
    assert_eq!(big["method"], "topk");
    assert!(big["engine"].as_str().unwrap().contains("Krylov"));

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("k.csv");
    ok(&[
        &base[..],
        &["--method", "topk", "--out", csv.to_str().unwrap()],
    ]
    .concat());
    let t = read_csv(&csv);
    assert_eq!(
        t.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["k", "s", "s_over_s0", "residual_left", "residual_right"]
    );
    assert!(rel_error(&col(&t, "s"), &want[..10]) < 1e-12);

    let e = crate::common::cli::fails(&["spectrum", "-n", "30", "-m", "40", "--k", "31"]);
    assert!(e.contains("min(N, M) = 30"), "{e}");
    let e = crate::common::cli::fails(&["spectrum", "-n", "30", "-m", "40", "--method", "topk"]);
    assert!(e.contains("--k"), "{e}");
    let e = crate::common::cli::fails(&[
        "spectrum",
        "-n",
        "30",
        "-m",
        "40",
        "--k",
        "2",
        "--method",
        "topk",
        "--vectors",
        "3",
    ]);
    assert!(e.contains("--vectors 3"), "{e}");
}
