//! `gdshrink validate` from the command line: on the f64 CPU engine (exit
//! status, JSON, files, the figure, and misuse: divergent α, NaN input, bad
//! flags) and the CI suite on the GPU engine.

use gdshrink::spectral;
use serde_json::Value;

use crate::common::cli::gdshrink;

fn s_max(act: &str, sigma: f64, n: usize, m: usize) -> f64 {
    let d = gdshrink::Design::spec(act.parse().unwrap())
        .sigma(sigma)
        .n(n)
        .m(m)
        .build()
        .unwrap();
    spectral::singular_values(d.matrix().as_ref()).unwrap()[0]
}

#[test]
fn validate_cpu_passes_and_writes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.csv");
    let plot = dir.path().join("mask.svg");
    let assert = gdshrink()
        .args([
            "validate", "--device", "cpu", "-a", "relu", "--n", "32", "--m", "64",
        ])
        .args(["--q", "0,1,10,100"])
        .arg("--out")
        .arg(&out)
        .arg("--plot")
        .arg(&plot)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(text.contains("PASS"), "{text}");
    assert!(text.contains("empirical mask"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("q,k,s,s_rel,uty,m_exact,m_flow,m_hat"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 4 * 32);
    let cps = std::fs::read_to_string(dir.path().join("run-checkpoints.csv")).unwrap();
    assert!(cps.starts_with("q,f_err,f_tol"), "{cps}");
    assert_eq!(cps.lines().count(), 1 + 4);
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<circle"),
        "not an SVG with points"
    );
}

#[test]
fn validate_json_has_every_line_of_the_report() {
    let assert = gdshrink()
        .args([
            "validate", "--device", "cpu", "-a", "tanh", "--n", "32", "--m", "128",
        ])
        .args(["--q", "1,10,1000", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["passed"], true);
    let cps = v["checkpoints"].as_array().unwrap();
    assert_eq!(cps.len(), 3);
    for c in cps {
        for space in ["f", "f_eval", "w"] {
            let m = &c["engine"][space];
            assert!(m["err"].as_f64().unwrap() <= m["tol"]["rel"].as_f64().unwrap());
            assert!(m["err"].as_f64().unwrap() < 1e-11, "{space}: {m}");
        }
        assert!(c["flow_gap"]["f"].as_f64().unwrap() > 0.0);
    }
    // The paper's approximation is poor at q = 1 (≈ 0.36, SPEC §4) and good at 1000.
    assert!(cps[0]["flow_gap"]["f"].as_f64().unwrap() > 0.3);
    assert!(cps[2]["flow_gap"]["f"].as_f64().unwrap() < 1e-3);
    assert_eq!(v["model"]["precision"], "f64");
    assert!(v["directions"].as_array().unwrap().len() == 3 * 32);
}

#[test]
fn divergent_learning_rate_is_reported_with_its_growth() {
    let (n, m) = (32, 64);
    let s = s_max("relu", 1.0, n, m);
    let alpha = 2.5 / (s * s);
    let assert = gdshrink()
        .args(["validate", "--device", "cpu", "-a", "relu", "--sigma", "1"])
        .args(["--n", &n.to_string(), "--m", &m.to_string(), "--q", "1,10"])
        .args(["--alpha", &format!("{alpha:e}"), "--json"])
        .assert()
        .failure();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let d = &v["divergence"];
    assert!((d["alpha_s_max2"].as_f64().unwrap() - 2.5).abs() < 1e-9);
    assert!((d["predicted_growth"].as_f64().unwrap() - 1.5).abs() < 1e-9);
    // The u_0 mode dominates the residual after a few dozen iterations: growth → 1.5.
    let g = d["measured_growth"].as_f64().unwrap();
    assert!((g - 1.5).abs() < 0.02, "measured growth {g}");
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("beyond the stability limit"), "{err}");
    assert!(err.contains("predicted |1 - alpha*s_max^2| = 1.5"), "{err}");
}

#[test]
fn nan_inputs_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let sig = dir.path().join("y.txt");
    let mut vals: Vec<String> = (0..16)
        .map(|i| format!("{}", f64::from(i) / 16.0))
        .collect();
    vals[5] = "nan".into();
    std::fs::write(&sig, vals.join("\n")).unwrap();
    let assert = gdshrink()
        .args([
            "validate", "--device", "cpu", "--n", "16", "--m", "32", "--q", "1",
        ])
        .arg("--signal")
        .arg(&sig)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("non-finite") && err.contains("index 5"),
        "{err}"
    );
    for (flag, bad) in [
        ("--alpha", "nan"),
        ("--sigma", "nan"),
        ("--tol-scale", "nan"),
    ] {
        let assert = gdshrink()
            .args(["validate", "--device", "cpu", "--n", "16", "--m", "32"])
            .args([flag, bad])
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.to_lowercase().contains("nan"), "{flag}: {err}");
    }
}

#[test]
fn a_tightened_tolerance_fails_naming_checkpoint_and_direction() {
    // --tol-scale 1e-6 makes every f64 tolerance ~1e-19: the checks must fail
    // and say where.
    let assert = gdshrink()
        .args([
            "validate", "--device", "cpu", "-a", "gelu", "--n", "32", "--m", "64",
        ])
        .args(["--q", "10", "--tol-scale", "1e-6"])
        .assert()
        .failure();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("q = 10"), "{out}");
    assert!(out.contains("largest along u_"), "{out}");
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("validation failed"), "{err}");
}

/// The suite CI runs, on the GPU engine (a software adapter says so).
#[test]
fn ci_suite_passes_from_the_command_line() {
    let assert = gdshrink().args(["validate", "--suite", "ci"]).assert();
    let out = assert.get_output();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("PASS: all 10 configurations"), "{text}");
    assert!(
        text.contains("software"),
        "lavapipe must be labelled: {text}"
    );
}

/// The streamed reference (A never stored) against the GPU engine on
/// lavapipe, for every operator the engine can hold (matrix-free and primal:
/// the f32 design; dual: the rounded Gram matrix), over three column blocks:
/// it passes, says so in the report, and its errors are the dense route's
/// (the same engine run, two f64 predictions that agree to ≈ 1e-12), to 1e-6
/// relative of each error.
#[test]
fn validate_streamed_reference_on_the_gpu() {
    for strategy in ["matrix-free", "primal", "dual"] {
        let run = |route: &str| -> Value {
            let out = gdshrink()
                .args([
                    "validate", "--device", "gpu", "-a", "tanh", "--n", "24", "--m", "5000",
                ])
                .args(["--q", "1,10,100,1000", "--json", "--strategy", strategy])
                .args(["--reference", route])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{strategy} {route}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let (s, d) = (run("streamed"), run("dense"));
        assert_eq!(s["reference"], "streamed");
        assert_eq!(d["reference"], "dense");
        assert_eq!(s["passed"], true, "{strategy}: {}", s["failures"]);
        let cps = |v: &Value| v["checkpoints"].as_array().unwrap().clone();
        for (a, b) in cps(&s).iter().zip(cps(&d)) {
            for space in ["f", "w"] {
                let (x, y) = (
                    a["engine"][space]["err"].as_f64().unwrap(),
                    b["engine"][space]["err"].as_f64().unwrap(),
                );
                assert!(
                    (x - y).abs() <= 1e-6 * y,
                    "{strategy} {space}: {x:e} vs {y:e}"
                );
            }
        }
    }
}

#[test]
fn streamed_reference_refusals_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("a.npy");
    let eye: Vec<f64> = (0..32)
        .map(|i| if i % 9 == 0 { 1.0 } else { 0.0 })
        .collect();
    gdshrink::output::array::write_npy(&npy, &[4, 8], &eye).unwrap();
    for args in [
        vec![
            "validate",
            "--device",
            "cpu",
            "--reference",
            "streamed",
            "--design",
            npy.to_str().unwrap(),
        ],
        vec![
            "validate",
            "--device",
            "cpu",
            "--reference",
            "streamed",
            "--n",
            "64",
            "--m",
            "16",
        ],
        vec![
            "compare",
            "--engines",
            "cpu",
            "--reference",
            "streamed",
            "--n",
            "64",
            "--m",
            "16",
        ],
    ] {
        let out = gdshrink().args(&args).output().unwrap();
        assert!(!out.status.success());
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("--reference streamed") && e.contains("N <= M"),
            "{args:?}: {e}"
        );
    }
    let out = gdshrink()
        .args(["validate", "--device", "cpu", "--reference", "fast"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("--reference") && e.contains("auto, dense, streamed or topk"),
        "{e}"
    );
}

/// compare on the streamed route: the closed form from U and s alone equals
/// the f64 engine's GD to rounding, and the report names the route.
#[test]
fn compare_streamed_reference() {
    let out = gdshrink()
        .args([
            "compare",
            "--engines",
            "cpu",
            "-a",
            "relu",
            "--n",
            "32",
            "--m",
            "4500",
        ])
        .args(["--q", "1,100,1000", "--reference", "streamed", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v[0];
    assert_eq!(r["closed"]["route"], "streamed");
    assert_eq!(r["closed"]["matrix_seconds"], 0.0);
    for row in r["engines"][0]["rows"].as_array().unwrap() {
        let e = row["rel_err"].as_f64().unwrap();
        assert!(e < 1e-10, "{row}");
    }
}

/// validate on the top-K route with the GPU engine (lavapipe), tanh at
/// N = M = 400: with K = min(N, M) nothing is left out, so its errors equal
/// the dense route's (two f64 predictions of the same run that agree to
/// ≈ 1e-12; checked to 1e-6 relative of each error); with K = 48 it passes,
/// the report names the route and K, and every tolerance carries a positive
/// truncation term that is part of its total.
#[test]
fn validate_topk_reference_on_the_gpu() {
    let run = |route: &str, k: &str| -> Value {
        let out = gdshrink()
            .args([
                "validate", "--device", "gpu", "-a", "tanh", "--n", "400", "--m", "400",
            ])
            .args([
                "--q",
                "1,10,100,1000",
                "--json",
                "--reference",
                route,
                "--k",
                k,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{route} {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (full, dense, top) = (run("topk", "400"), run("dense", "400"), run("topk", "48"));
    for v in [&full, &dense, &top] {
        assert_eq!(v["passed"], true, "{}", v["failures"]);
    }
    assert_eq!(top["reference"], "topk");
    assert_eq!(top["topk"]["k"], 48);
    let cps = |v: &Value| v["checkpoints"].as_array().unwrap().clone();
    for (a, b) in cps(&full).iter().zip(cps(&dense)) {
        for space in ["f", "w"] {
            let (x, y) = (
                a["engine"][space]["err"].as_f64().unwrap(),
                b["engine"][space]["err"].as_f64().unwrap(),
            );
            assert!((x - y).abs() <= 1e-6 * y, "{space}: {x:e} vs {y:e}");
        }
    }
    for cp in cps(&top) {
        for space in ["f", "f_eval", "w"] {
            let tol = &cp["engine"][space]["tol"];
            let t = tol["truncation"].as_f64().unwrap();
            assert!(t > 0.0 && t <= tol["abs"].as_f64().unwrap(), "{cp}");
        }
    }
}

/// compare on the top-K route: with K = min(N, M) the closed form is the
/// full one (the f64 engine's GD equals it to rounding, 1e-9); with K = 40
/// the report gives the route, K and a positive truncation bound (that the
/// bound holds is the library's test against the dense route); a --k beyond
/// min(N, M) is refused naming the flag.
#[test]
fn compare_topk_reference() {
    let run = |k: &str| -> Value {
        let out = gdshrink()
            .args([
                "compare",
                "--engines",
                "cpu",
                "-a",
                "tanh",
                "--n",
                "300",
                "--m",
                "300",
            ])
            .args(["--q", "1,10,100", "--reference", "topk", "--k", k, "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let full = run("300");
    assert_eq!(full[0]["closed"]["route"], "topk");
    for row in full[0]["engines"][0]["rows"].as_array().unwrap() {
        assert!(row["rel_err"].as_f64().unwrap() < 1e-9, "{row}");
    }
    let top = run("40");
    let c = &top[0]["closed"];
    assert_eq!(c["components"], 40);
    let t = c["truncation"].as_f64().unwrap();
    assert!(t > 0.0 && t < 1.0, "{c}");
    let out = gdshrink()
        .args(["validate", "--device", "cpu", "--n", "64", "--m", "64"])
        .args(["--reference", "topk", "--k", "65"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("--k = 65") && e.contains("min(N, M) = 64"),
        "{e}"
    );
}
