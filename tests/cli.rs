//! The command-line interface, run as a user runs it: tables, `--json` keys,
//! `--out` files read back with `gdshrink::io`, agreement with the library,
//! and error messages for bad input. CPU only (the GPU command is in `cli_gpu.rs`).
//!
//! Tolerances: the CLI calls the same f64 library code as the comparisons
//! below, so results agree to the last few ulps; JSON adds one round trip
//! through decimal text (serde_json parses to within ~1 ulp). 1e-12 relative
//! therefore has ≥ 100x margin. `gd` vs `shrink` compares two different
//! algorithms (iterated GD vs SVD + mask): measured 2e-15 relative at
//! N = 24, M = 40, q ≤ 1000; the brief's 1e-10 leaves a wide margin.

use std::path::Path;

use gdshrink::trajectory::rel_error;
use gdshrink::{Activation, Design, mask, qk, spectrum};
use serde_json::Value;

mod cli_common;
use cli_common::{fails, gdshrink, has_keys, json, ok, vecf};

#[path = "../examples/library.rs"]
mod library_example;

/// Reads a CSV written by `--out` (header + numbers) into named columns.
fn read_csv(path: &Path) -> Vec<(String, Vec<f64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for line in lines {
        for (c, cell) in line.split(',').enumerate() {
            cols[c].push(cell.parse().unwrap());
        }
    }
    names.into_iter().zip(cols).collect()
}

/// A column of a CSV table, without the NaN padding.
fn col(table: &[(String, Vec<f64>)], name: &str) -> Vec<f64> {
    let (_, v) = table
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column '{name}'"));
    let len = v.iter().rposition(|x| !x.is_nan()).map_or(0, |i| i + 1);
    v[..len].to_vec()
}

/// Column `c` of a rows × cols NPY table (without the NaN padding).
fn npy_col(shape: &[u64], data: &[f64], c: usize) -> Vec<f64> {
    let (rows, cols) = (shape[0] as usize, shape[1] as usize);
    let v: Vec<f64> = (0..rows).map(|r| data[r * cols + c]).collect();
    let len = v.iter().rposition(|x| !x.is_nan()).map_or(0, |i| i + 1);
    v[..len].to_vec()
}

const CONFIG_KEYS: [&str; 10] = [
    "command",
    "gdshrink_version",
    "engine",
    "activation",
    "sigma",
    "n",
    "m",
    "grid",
    "bias_grid",
    "activation_class",
];

// ---------------------------------------------------------------- spectrum

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
    let want = spectrum::singular_values(d.matrix().as_ref()).unwrap();
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
    assert_eq!(gdshrink::io::read_vector(&csv).unwrap().len(), 32); // first column: k
    let (shape, data) = gdshrink::io::read_npy(&npy).unwrap();
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
    let svd = spectrum::thin_svd(d.matrix().as_ref()).unwrap();
    let lib = spectrum::dst_similarity(&svd, &d.x, &[0, 1, 2, 3]).unwrap();
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
        let dk = spectrum::dst_basis(&d.x, k);
        assert!(u.iter().zip(&dk).map(|(a, b)| a * b).sum::<f64>() >= 0.0);
    }

    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("v.npy");
    let text = ok(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    assert!(text.contains("wrote"), "{text}");
    let (shape, data) = gdshrink::io::read_npy(&npy).unwrap();
    // k, s, s_over_s0, x, u_0..u_3, component, abs_cos_dst, best_j, best_abs_cos, pair_projection
    assert_eq!(shape, vec![64, 3 + 1 + 4 + 5]);
    assert_eq!(npy_col(&shape, &data, 3), d.x);
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

// ---------------------------------------------------------------- shrink

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
    let svd = spectrum::thin_svd(d.matrix().as_ref()).unwrap();
    let alpha = 1.0 / (svd.s_max() * svd.s_max());
    assert!((j["alpha"].as_f64().unwrap() - alpha).abs() < 1e-14 * alpha);
    let y = gdshrink::Signal::default().values(&d.x).unwrap();
    let qs = [1u64, 10, 100];
    let mut masks = mask::gd_exact_masks(alpha, &qs);
    masks.extend(mask::gd_flow_masks(alpha, &qs));
    masks.push(mask::Mask::Ridge { lambda: 0.01 });
    masks.push(mask::Mask::Pca { kappa: svd.s[4] });
    let lib = mask::shrink(&svd, &y, &masks).unwrap();
    for (i, _) in qs.iter().enumerate() {
        for (kind, off) in [("gd_exact", 0), ("gd_flow", 3)] {
            let f = vecf(&j[kind]["f"][i]);
            let w = vecf(&j[kind]["w"][i]);
            assert!(rel_error(&f, &lib.f[off + i]) < 1e-12, "{kind} f q#{i}");
            assert!(rel_error(&w, &lib.w[off + i]) < 1e-12, "{kind} w q#{i}");
            let l = j[kind]["loss"][i].as_f64().unwrap();
            assert!((l - lib.loss[off + i]).abs() < 1e-12 * lib.loss[off + i]);
        }
        let gap = rel_error(&lib.f[3 + i], &lib.f[i]);
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
    assert!(rel_error(&vecf(&extra[0]["f"]), &lib.f[6]) < 1e-12);
    assert!(rel_error(&vecf(&extra[1]["f"]), &lib.f[7]) < 1e-12);
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
    let (shape, data) = gdshrink::io::read_npy(&npy).unwrap();
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

// ---------------------------------------------------------------- qk

#[test]
fn qk_single_activation() {
    let args = [
        "qk",
        "-a",
        "heaviside",
        "-n",
        "64",
        "-m",
        "64",
        "--k-max",
        "6",
    ];
    let table = ok(&args);
    assert!(
        table.contains("q(K)") && table.contains("(s_0/s_(K-1))^2"),
        "{table}"
    );
    let j = json(&args);
    has_keys(
        &j,
        &[
            "command",
            "engine",
            "n",
            "m",
            "grid",
            "bias_grid",
            "k",
            "activations",
        ],
    );
    assert_eq!(vecf(&j["k"]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let a = &j["activations"][0];
    has_keys(a, &["activation", "sigma", "s_max", "q", "ratio_sq"]);
    let d = Design::spec(Activation::Heaviside)
        .sigma(64.0)
        .n(64)
        .m(64)
        .build()
        .unwrap();
    let s = spectrum::singular_values(d.matrix().as_ref()).unwrap();
    let lib = qk::q_table(&s, 6, 64, 64).unwrap();
    for (i, row) in lib.iter().enumerate() {
        assert_eq!(a["q"][i].as_u64(), row.q);
        // heaviside: q(K) ≈ (2K−1)² (SPEC §5; within 5% at N = 64).
        let expect = ((2 * row.k - 1) * (2 * row.k - 1)) as f64;
        assert!((row.q.unwrap() as f64 - expect).abs() <= 0.05 * expect + 1.0);
    }
}

#[test]
fn qk_unreachable_and_lists() {
    // relu with x_0 = b_0 = 0: row 0 of A is zero, so s_{N-1} = 0 and q(N) is unreachable.
    let args = [
        "qk",
        "-a",
        "relu,tanh",
        "-n",
        "12",
        "-m",
        "12",
        "--k-max",
        "12",
    ];
    let table = ok(&args);
    let last = table.lines().find(|l| l.starts_with("12 ")).unwrap();
    assert!(last.contains("unreachable"), "{table}");
    let j = json(&args);
    let acts = j["activations"].as_array().unwrap();
    assert_eq!(acts[0]["activation"], "relu");
    assert_eq!(acts[1]["activation"], "tanh");
    assert!(acts[0]["q"][11].is_null());
    assert!(acts[0]["ratio_sq"][11].is_null());
    assert!(acts[0]["q"][10].is_u64());

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("qk.csv");
    ok(&[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    let t = read_csv(&csv);
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["K", "q_relu", "ratio_sq_relu", "q_tanh", "ratio_sq_tanh"]
    );
    assert!(t[1].1[11].is_nan(), "unreachable is NaN in files");

    let all = json(&["qk", "-a", "all", "-n", "16", "-m", "16", "--k-max", "3"]);
    let names: Vec<&str> = all["activations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["activation"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "heaviside",
            "tanh",
            "relu",
            "relu2",
            "gelu",
            "silu",
            "sinc",
            "gaussian"
        ]
    );
}

// ---------------------------------------------------------------- gd (cpu)

#[test]
fn gd_cpu_agrees_with_shrink_gd_exact() {
    let model = ["-a", "tanh", "-n", "24", "-m", "40", "--q", "1,10,100,1000"];
    let g = json(&[&["gd", "--device", "cpu", "--record-w"][..], &model[..]].concat());
    let s = json(&[&["shrink"][..], &model[..]].concat());
    has_keys(&g, &CONFIG_KEYS);
    has_keys(
        &g,
        &[
            "device",
            "adapter",
            "strategy",
            "s_max",
            "stability_limit",
            "signal",
            "alpha",
            "runs",
            "q",
            "x",
            "y",
            "loss",
            "f",
            "w",
            "b",
            "ok",
            "elapsed_s",
        ],
    );
    assert_eq!(g["engine"], "cpu-f64");
    assert_eq!(g["device"], "cpu");
    assert_eq!(g["ok"], true);
    assert_eq!(g["runs"][0]["status"], "ok");
    assert_eq!(g["q"], s["q"]);
    // gd estimates s_max by Lanczos, shrink takes it from the full SVD: they
    // agree to ~1e-14 (the Lanczos stopping rule), far inside the 1e-10 below.
    let (ga, sa) = (
        g["alpha"][0].as_f64().unwrap(),
        s["alpha"].as_f64().unwrap(),
    );
    assert!((ga - sa).abs() <= 1e-12 * sa, "alpha {ga} vs {sa}");
    for i in 0..4 {
        let ef = rel_error(&vecf(&g["f"][0][i]), &vecf(&s["gd_exact"]["f"][i]));
        let ew = rel_error(&vecf(&g["w"][0][i]), &vecf(&s["gd_exact"]["w"][i]));
        assert!(ef < 1e-10, "f at q#{i}: {ef:e}");
        assert!(ew < 1e-10, "w at q#{i}: {ew:e}");
        let gl = g["loss"][0][i].as_f64().unwrap();
        let sl = s["gd_exact"]["loss"][i].as_f64().unwrap();
        assert!((gl - sl).abs() < 1e-10 * sl);
    }
}

#[test]
fn gd_batches_signals_times_alphas() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("gd.npy");
    let args = [
        "gd",
        "-a",
        "gelu",
        "--sigma",
        "10",
        "-n",
        "20",
        "-m",
        "30",
        "--signal",
        "blocks,doppler",
        "--alpha",
        "auto,1e-4",
        "--q",
        "0,5,50",
        "--record-w",
        "--eval-points",
        "7",
    ];
    let table = ok(&args);
    assert!(
        table.contains("doppler") && table.contains("loss/loss_0"),
        "{table}"
    );
    let j = json(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    // signal-major: run = signal_index * 2 + alpha_index
    let order: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["signal"].as_str().unwrap(),
                r["alpha_rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("blocks", "1/s_max^2"),
            ("blocks", "given"),
            ("doppler", "1/s_max^2"),
            ("doppler", "given")
        ]
    );
    assert_eq!(runs[1]["alpha"], 1e-4);
    // q = 0: f = 0, loss = ½‖y‖².
    let y0 = vecf(&j["y"][0]);
    assert!(vecf(&j["f"][0][0]).iter().all(|&v| v == 0.0));
    let l0 = j["loss"][0][0].as_f64().unwrap();
    assert!((l0 - 0.5 * y0.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12 * l0);
    // f on the evaluation grid is the network with the recorded weights.
    let d = Design::spec(Activation::Gelu)
        .sigma(10.0)
        .n(20)
        .m(30)
        .build()
        .unwrap();
    let p = vecf(&j["eval_points"]);
    assert_eq!(p, gdshrink::grid::linspace(7));
    for b in 0..4 {
        let w = vecf(&j["w"][b][2]);
        let want = d.eval(&w, &p).unwrap();
        assert!(rel_error(&vecf(&j["f_eval"][b][2]), &want) < 1e-12);
    }
    // File: x, y_r0..3, f_r{b}_q{q} (12), b, w (12), x_eval, feval (12), q, loss_r0..3.
    let cols: Vec<&str> = j["out_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cols.len(), 1 + 4 + 12 + 1 + 12 + 1 + 12 + 1 + 4);
    assert_eq!(&cols[..6], ["x", "y_r0", "y_r1", "y_r2", "y_r3", "f_r0_q0"]);
    assert_eq!(cols[17], "b");
    assert_eq!(cols[30], "x_eval");
    assert_eq!(
        &cols[43..],
        ["q", "loss_r0", "loss_r1", "loss_r2", "loss_r3"]
    );
    let (shape, data) = gdshrink::io::read_npy(&npy).unwrap();
    assert_eq!(shape, vec![30, cols.len() as u64]);
    let c = cols.iter().position(|&c| c == "f_r3_q50").unwrap();
    assert!(rel_error(&npy_col(&shape, &data, c), &vecf(&j["f"][3][2])) < 1e-15);
    let c = cols.iter().position(|&c| c == "loss_r2").unwrap();
    assert!(rel_error(&npy_col(&shape, &data, c), &vecf(&j["loss"][2])) < 1e-15);
}

#[test]
fn gd_divergence_keeps_what_was_computed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("div.csv");
    // relu, N = M = 20: s_max ≈ 120, so alpha = 1 is far beyond 2/s_max².
    let base = ["gd", "-a", "relu", "-n", "20", "-m", "20", "--q", "1,200"];
    let err = fails(&[&base[..], &["--alpha", "1"]].concat());
    assert!(
        err.contains("unstable") && err.contains("alpha < "),
        "{err}"
    );

    let out = gdshrink()
        .args(base)
        .args(["--alpha", "1e-5,1", "--allow-unstable", "--json"])
        .args(["--out", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "divergence must exit non-zero");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("run 1") && err.contains("diverged at iteration"),
        "{err}"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["ok"], false);
    assert_eq!(j["runs"][0]["status"], "ok");
    assert_eq!(j["runs"][1]["status"], "diverged");
    assert!(j["runs"][1]["iteration"].is_u64());
    // The stable run is complete; the diverged run's q = 1 state was recorded before the failure.
    assert!(vecf(&j["f"][0][1]).iter().all(|v| v.is_finite()));
    assert!(vecf(&j["f"][1][0]).iter().all(|v| v.is_finite()));
    let t = read_csv(&csv);
    assert_eq!(col(&t, "f_r0_q200").len(), 20);
    assert_eq!(col(&t, "f_r1_q1").len(), 20);
}

// ---------------------------------------------------------------- errors

#[test]
fn bad_input_is_named() {
    let e = fails(&["spectrum", "-n", "0"]);
    assert!(e.contains("'0'") && e.contains(">= 1"), "{e}");
    let e = fails(&["shrink", "-a", "softplus"]);
    assert!(e.contains("softplus"), "{e}");
    for name in [
        "heaviside",
        "tanh",
        "relu",
        "relu2",
        "gelu",
        "silu",
        "sinc",
        "gaussian",
    ] {
        assert!(e.contains(name), "valid names listed: {e}");
    }
    let e = fails(&["qk", "-a", "tanh,softplus"]);
    assert!(e.contains("softplus") && e.contains("gaussian"), "{e}");
    let e = fails(&["shrink", "--q", "1,ten"]);
    assert!(e.contains("'ten'") && e.contains("iteration count"), "{e}");
    let e = fails(&["shrink", "--q", "log:0:10:3"]);
    assert!(e.contains("log:LO:HI:COUNT"), "{e}");
    let e = fails(&["spectrum", "--out", "s.xlsx"]);
    assert!(
        e.contains("s.xlsx") && e.contains(".npy") && e.contains(".csv"),
        "{e}"
    );
    let e = fails(&["shrink", "--sigma=0"]);
    assert!(e.contains("sigma"), "{e}");
    let e = fails(&["gd", "--alpha", "nan"]);
    assert!(e.contains("learning rate"), "{e}");
    let e = fails(&["gd", "--device", "tpu"]);
    assert!(e.contains("cpu") && e.contains("gpu"), "{e}");
    let e = fails(&["gd", "--strategy", "dual", "-n", "8", "-m", "8"]);
    assert!(e.contains("--device gpu"), "{e}");
    let e = fails(&["gd", "--device", "gpu", "--strategy", "fastest"]);
    assert!(e.contains("matrix-free"), "{e}");
    let e = fails(&["spectrum", "-n", "8", "-m", "8", "--vectors", "9"]);
    assert!(
        e.contains("--vectors 9") && e.contains("min(N, M) = 8"),
        "{e}"
    );
    let e = fails(&["qk", "-n", "8", "-m", "8", "--k-max", "9"]);
    assert!(e.contains("--k-max 9"), "{e}");
    let e = fails(&["shrink", "-n", "8", "-m", "8", "--pca-k", "20"]);
    assert!(e.contains("--pca-k 20"), "{e}");
    let e = fails(&["shrink", "--signal", "sawtooth"]);
    assert!(e.contains("sawtooth") && e.contains("heavisine"), "{e}");
}

#[test]
fn bad_signal_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let nan = dir.path().join("nan.csv");
    std::fs::write(&nan, "y\n0.1\n0.2\nnan\n0.4\n").unwrap();
    let p = nan.to_str().unwrap();
    for cmd in ["shrink", "gd"] {
        let e = fails(&[cmd, "-n", "4", "-m", "6", "--signal", p]);
        assert!(e.contains("nan.csv") && e.contains("index 2"), "{e}");
    }
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "1 2 3").unwrap();
    let e = fails(&[
        "shrink",
        "-n",
        "4",
        "-m",
        "6",
        "--signal",
        short.to_str().unwrap(),
    ]);
    assert!(e.contains("3 values") && e.contains("N = 4"), "{e}");
    // A good file works and is named in the output.
    let good = dir.path().join("good.npy");
    gdshrink::io::write_npy(&good, &[4], &[0.0, 1.0, 0.5, 0.25]).unwrap();
    let j = json(&[
        "shrink",
        "-n",
        "4",
        "-m",
        "6",
        "--signal",
        good.to_str().unwrap(),
    ]);
    assert!(j["signal"].as_str().unwrap().ends_with("good.npy"));
    assert_eq!(vecf(&j["y"]), vec![0.0, 1.0, 0.5, 0.25]);
}

// ---------------------------------------------------------------- docs

#[test]
fn every_command_has_help() {
    for cmd in [
        "spectrum",
        "shrink",
        "qk",
        "gd",
        "devices",
        "validate",
        "compare",
        "reproduce",
    ] {
        let out = ok(&[cmd, "--help"]);
        assert!(out.contains("Usage"), "{cmd}: {out}");
    }
    let top = ok(&["--help"]);
    assert!(
        top.contains("spectrum") && top.contains("reproduce"),
        "{top}"
    );
}

/// The README's library example is `examples/library.rs` verbatim, and it runs.
#[test]
fn readme_library_example_is_current_and_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(Path::new(root).join("README.md")).unwrap();
    let example = std::fs::read_to_string(Path::new(root).join("examples/library.rs")).unwrap();
    assert!(
        readme.contains(example.trim()),
        "README.md must contain examples/library.rs verbatim (update the README)"
    );
    library_example::main().unwrap();
}

/// The test command that CI runs is the one the README documents.
#[test]
fn ci_runs_the_readme_test_command() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(Path::new(root).join("README.md")).unwrap();
    let ci = std::fs::read_to_string(Path::new(root).join(".ci/run")).unwrap();
    assert!(
        readme.contains("\ncargo test\n"),
        "README quick start names `cargo test`"
    );
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test"),
        ".ci/run runs `cargo test`"
    );
}
