//! `--design FILE.npy` on every command that takes a network: a user's
//! matrix A in place of the network flags. The matrix of a design, written
//! to a file, must give exactly what the network flags give (same f64
//! numbers through the same code), and what only a network has (an
//! evaluation grid, streamed or matrix-free routes) is refused by name.

use gdshrink::{Activation, Design};
use serde_json::Value;

use crate::common::cli::{fails, json};

/// The design of the network flags `NET`, its A written as a C-order f64 `.npy`.
fn network() -> Design {
    Design::spec(Activation::Relu)
        .sigma(12.0)
        .n(24)
        .m(40)
        .build()
        .unwrap()
}

const NET: [&str; 8] = ["-a", "relu", "--sigma", "12", "--n", "24", "--m", "40"];

fn write_design(dir: &std::path::Path) -> String {
    let d = network();
    let a = d.matrix();
    let data: Vec<f64> = (0..24)
        .flat_map(|i| (0..40).map(move |j| (i, j)))
        .map(|(i, j)| a[(i, j)])
        .collect();
    let path = dir.join("a.npy");
    gdshrink::output::array::write_npy(&path, &[24, 40], &data).unwrap();
    path.to_str().unwrap().to_string()
}

fn run(cmd: &[&str], tail: &[&str]) -> Value {
    json(&[cmd, tail].concat())
}

#[test]
fn spectrum_shrink_and_qk_of_a_file_equal_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_design(dir.path());
    let with_file = ["--design", file.as_str()];

    let net = run(&["spectrum"], &NET);
    let mat = run(&["spectrum"], &with_file);
    assert_eq!(mat["design_file"], file.as_str());
    assert_eq!(mat["method"], "direct");
    assert_eq!(net["singular_values"], mat["singular_values"]);

    let q = ["--q", "1,10,100"];
    let net = run(&["shrink"], &[&NET[..], &q[..]].concat());
    let mat = run(&["shrink"], &[&with_file[..], &q[..]].concat());
    for key in ["singular_values", "alpha", "y", "gd_exact", "gd_flow"] {
        assert_eq!(net[key], mat[key], "shrink {key}");
    }
    // linspace grids: the file's x and b are the network's.
    assert_eq!(net["x"], mat["x"]);
    assert_eq!(net["b"], mat["b"]);

    let k = ["--k-max", "6"];
    let net = run(&["qk"], &[&NET[..], &k[..]].concat());
    let mat = run(&["qk"], &[&with_file[..], &k[..]].concat());
    assert_eq!(mat["activations"][0]["activation"], "matrix");
    assert_eq!(net["activations"][0]["q"], mat["activations"][0]["q"]);
    assert_eq!(
        net["activations"][0]["s_max"],
        mat["activations"][0]["s_max"]
    );
}

#[test]
fn validate_and_compare_take_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_design(dir.path());
    let q = ["--q", "1,10,100"];
    let tail = [&["--design", file.as_str(), "--device", "cpu"][..], &q[..]].concat();
    let v = run(&["validate"], &tail);
    assert_eq!(v["passed"], true, "{}", v["failures"]);
    assert_eq!(v["eval_points"], 0);
    let cps = v["checkpoints"].as_array().unwrap();
    assert_eq!(cps.len(), 3);
    for c in cps {
        assert!(c["engine"]["f_eval"].is_null(), "{c}");
        assert!(c["engine"]["f"]["ok"].as_bool().unwrap());
    }
    // The f32 engine on lavapipe, under its error model.
    let tail = [&["--design", file.as_str(), "--device", "gpu"][..], &q[..]].concat();
    let v = run(&["validate"], &tail);
    assert_eq!(v["passed"], true, "{}", v["failures"]);

    let tail = [&["--design", file.as_str(), "--engines", "cpu"][..], &q[..]].concat();
    let c = run(&["compare"], &tail);
    let rows = c[0]["engines"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows {
        assert!(r["rel_err"].as_f64().unwrap() < 1e-12, "{r}");
    }
    assert!(
        c[0]["design"]
            .as_str()
            .unwrap()
            .contains("matrix A (24 x 40)")
    );
}

#[test]
fn what_only_a_network_has_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_design(dir.path());
    let f = file.as_str();
    for (args, want) in [
        (
            vec!["validate", "--design", f, "-a", "tanh"],
            "--activation",
        ),
        (
            vec!["validate", "--design", f, "--eval-points", "9"],
            "--eval-points",
        ),
        (vec!["validate", "--design", f, "--suite", "ci"], "--suite"),
        (vec!["compare", "--design", f, "--sizes", "8"], "--sizes"),
        (vec!["spectrum", "--design", f, "--method", "tsqr"], "tsqr"),
        (vec!["spectrum", "--design", f, "--n", "8"], "--n"),
        (vec!["shrink", "--design", f, "--sigma", "3"], "--sigma"),
        (vec!["qk", "--design", f, "--k-max", "41"], "--k-max 41"),
    ] {
        let e = fails(&args);
        assert!(e.contains(want), "{args:?}: {e}");
    }
    // A file that is not a 2-D matrix, or no file at all, names --design.
    let v = dir.path().join("v.npy");
    gdshrink::output::array::write_npy(&v, &[5], &[1.0; 5]).unwrap();
    for cmd in ["validate", "compare", "spectrum", "shrink", "qk"] {
        let e = fails(&[cmd, "--design", v.to_str().unwrap()]);
        assert!(
            e.contains("--design") && e.contains("expected a 2-D matrix"),
            "{cmd}: {e}"
        );
        let e = fails(&[cmd, "--design", "/nonexistent/a.npy"]);
        assert!(
            e.contains("--design") && e.contains("no such file"),
            "{cmd}: {e}"
        );
    }
}
