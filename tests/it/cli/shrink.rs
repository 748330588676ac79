//! `gdshrink shrink`: the closed forms against the library, the documented
//! file layout, the neural-tangents convention and given learning rates.

use gdshrink::gd::rel_error;
use gdshrink::output::array::read_npy;
use gdshrink::spectral::{self, Mask};
use gdshrink::{Activation, Design, Signal};

use crate::common::cli::{CONFIG_KEYS, col, gdshrink, has_keys, json, npy_col, ok, read_csv, vecf};

#[test]
fn shrink_matches_the_library() {
    let args = [
        "shrink", "-a", "tanh", "-n", "24", "-m", "40", "--q", "1,10,100", "--ridge", "0.01",
        "--pca-k", "5",
    ];
    let table = ok(&args);
    for needle in [
        "loss gd_exact",
        "gap f",
        "ridge(lambda=",
        "pca(K=5",
        "engine:",
    ] {
        assert!(table.contains(needle), "'{needle}' missing:\n{table}");
    }
    let j = json(&args);
    has_keys(&j, &CONFIG_KEYS);
    has_keys(
        &j,
        &[
            "signal",
            "alpha",
            "alpha_rule",
            "eta_nt",
            "s_max",
            "regime",
            "q",
            "x",
            "y",
            "singular_values",
            "gd_exact",
            "gd_flow",
            "gap_f_rel",
            "gap_w_rel",
            "extra_masks",
        ],
    );
    assert_eq!(j["signal"], "heavisine");
    assert_eq!(j["alpha_rule"], "1/s_max^2");
    assert_eq!(j["regime"], "monotone");

    let d = Design::spec(Activation::Tanh)
        .sigma(40.0)
        .n(24)
        .m(40)
        .build()
        .unwrap();
    let svd = spectral::thin_svd(d.matrix().as_ref()).unwrap();
    let alpha = 1.0 / (svd.s_max() * svd.s_max());
    assert!((j["alpha"].as_f64().unwrap() - alpha).abs() < 1e-14 * alpha);
    let y = Signal::default().values(d.x()).unwrap();
    let qs = [1u64, 10, 100];
    let mut masks = spectral::gd_exact_masks(alpha, &qs);
    masks.extend(spectral::gd_flow_masks(alpha, &qs));
    masks.push(Mask::Ridge { lambda: 0.01 });
    masks.push(Mask::Pca { kappa: svd.s[4] });
    let lib = spectral::shrink(&svd, &y, &masks).unwrap();
    for (i, _) in qs.iter().enumerate() {
        for (kind, off) in [("gd_exact", 0), ("gd_flow", 3)] {
            let f = vecf(&j[kind]["f"][i]);
            let w = vecf(&j[kind]["w"][i]);
            assert!(rel_error(&f, &lib[off + i].f) < 1e-12, "{kind} f q#{i}");
            assert!(rel_error(&w, &lib[off + i].w) < 1e-12, "{kind} w q#{i}");
            let l = j[kind]["loss"][i].as_f64().unwrap();
            assert!((l - lib[off + i].loss).abs() < 1e-12 * lib[off + i].loss);
        }
        let gap = rel_error(&lib[3 + i].f, &lib[i].f);
        assert!((j["gap_f_rel"][i].as_f64().unwrap() - gap).abs() < 1e-12);
    }
    // SPEC §4: the flow approximation is poor at q = 1 (gap ≈ 0.36), good by q = 100.
    let gaps = vecf(&j["gap_f_rel"]);
    assert!(gaps[0] > 0.1 && gaps[2] < 1e-2, "{gaps:?}");
    let extra = j["extra_masks"].as_array().unwrap();
    assert_eq!(extra[0]["mask"], "ridge");
    assert_eq!(extra[1]["mask"], "pca");
    assert_eq!(extra[1]["k"], 5);
    assert_eq!(extra[1]["kept"], 5);
    assert!(rel_error(&vecf(&extra[0]["f"]), &lib[6].f) < 1e-12);
    assert!(rel_error(&vecf(&extra[1]["f"]), &lib[7].f) < 1e-12);
}

#[test]
fn shrink_files_have_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sh.csv");
    let npy = dir.path().join("sh.npy");
    let args = [
        "shrink", "-a", "relu", "--sigma", "5", "-n", "16", "-m", "24", "--q", "10,1000",
        "--kappa", "0.5",
    ];
    let j = json(&args);
    ok(&[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    let j2 = json(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    let t = read_csv(&csv);
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "x",
            "y",
            "f_exact_q10",
            "f_exact_q1000",
            "f_flow_q10",
            "f_flow_q1000",
            "f_pca_kappa0.5",
            "b",
            "w_exact_q10",
            "w_exact_q1000",
            "w_flow_q10",
            "w_flow_q1000",
            "w_pca_kappa0.5",
            "s",
            "m_exact_q10",
            "m_exact_q1000",
            "m_flow_q10",
            "m_flow_q1000",
            "m_pca_kappa0.5",
            "q",
            "loss_exact",
            "loss_flow",
            "gap_f",
            "gap_w",
        ]
    );
    assert_eq!(j2["out_columns"].as_array().unwrap().len(), names.len());
    assert_eq!(col(&t, "x").len(), 16);
    assert_eq!(col(&t, "b").len(), 24);
    assert_eq!(col(&t, "s").len(), 16);
    assert_eq!(col(&t, "q"), vec![10.0, 1000.0]);
    assert!(rel_error(&col(&t, "f_exact_q1000"), &vecf(&j["gd_exact"]["f"][1])) < 1e-12);
    assert!(rel_error(&col(&t, "w_flow_q10"), &vecf(&j["gd_flow"]["w"][0])) < 1e-12);
    assert!(rel_error(&col(&t, "loss_flow"), &vecf(&j["gd_flow"]["loss"])) < 1e-12);
    let (shape, data) = read_npy(&npy).unwrap();
    assert_eq!(shape, vec![24, names.len() as u64]);
    for (c, (_, v)) in t.iter().enumerate() {
        let a = npy_col(&shape, &data, c);
        let b: Vec<f64> = v[..a.len()].to_vec();
        assert!(rel_error(&a, &b) < 1e-15, "column {c}");
    }
}

#[test]
fn shrink_nt_convention_and_given_alpha() {
    let base = ["shrink", "-a", "tanh", "-n", "20", "-m", "30", "--q", "5"];
    let j = json(&[&base[..], &["--alpha", "0.5", "--nt"]].concat());
    assert_eq!(j["alpha_rule"], "nt: alpha = eta/N");
    assert!((j["alpha"].as_f64().unwrap() - 0.5 / 20.0).abs() < 1e-16);
    assert!((j["eta_nt"].as_f64().unwrap() - 0.5).abs() < 1e-15);
    let j = json(&[&base[..], &["--alpha", "1e-4"]].concat());
    assert_eq!(j["alpha_rule"], "given");
    assert_eq!(j["alpha"], 1e-4);
    // Regimes of gd_exact from alpha * s_max^2: 1.5 alternates, 3 diverges (a warning, exit 0).
    let s_max = j["s_max"].as_f64().unwrap();
    let a = format!("{:e}", 1.5 / (s_max * s_max));
    assert_eq!(
        json(&[&base[..], &["--alpha", &a]].concat())["regime"],
        "alternating"
    );
    let a = format!("{:e}", 3.0 / (s_max * s_max));
    let out = gdshrink()
        .args(base)
        .args(["--alpha", &a])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("DIVERGENT"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
}
