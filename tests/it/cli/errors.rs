//! Bad input across commands: every error names what is wrong (never a
//! panic) and exits non-zero.

use gdshrink::output::array::write_npy;

use crate::common::cli::{fails, gdshrink, json, vecf};

#[test]
fn bad_input_is_named() {
    let e = fails(&["spectrum", "-n", "0"]);
    assert!(e.contains("'0'") && e.contains(">= 1"), "{e}");
    let e = fails(&["shrink", "-a", "softmax"]);
    assert!(e.contains("softmax"), "{e}");
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
    let e = fails(&["qk", "-a", "tanh,softmax"]);
    assert!(e.contains("softmax") && e.contains("gaussian"), "{e}");
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
        e.contains("--vectors 9") && e.contains("min(--n, --m) = min(8, 8) = 8"),
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
    write_npy(&good, &[4], &[0.0, 1.0, 0.5, 0.25]).unwrap();
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

#[test]
fn an_all_zero_design_is_rejected_by_both_commands() {
    // relu(σ(0 − b)) = 0 for every bias b ≥ 0: A is zero, s_max = 0.
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("x.txt");
    std::fs::write(&grid, "0\n0\n0\n0\n").unwrap();
    // A target that is not zero at x = 0 (heavisine is), so that the design
    // is what gets refused.
    let y = dir.path().join("y.txt");
    std::fs::write(&y, "1\n2\n3\n4\n").unwrap();
    for args in [
        ["validate", "--device", "cpu"],
        ["compare", "--engines", "cpu"],
    ] {
        let assert = gdshrink()
            .args(args)
            .args(["-a", "relu", "--n", "4", "--m", "8", "--q", "1"])
            .arg("--grid")
            .arg(&grid)
            .arg("--signal")
            .arg(&y)
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            err.contains("invalid design") && err.contains("A is zero"),
            "{}: {err}",
            args[0]
        );
    }
}

#[test]
fn counts_bounded_by_min_n_m_name_the_size_flags() {
    // A count above min(N, M) names itself and the flags N and M came from,
    // so that a run that set -n or -m (or a grid file) sees what to change.
    let bound = "min(--n, --m) = min(3, 5) = 3";
    for (args, flag) in [
        (
            vec!["qk", "-n", "3", "-m", "5", "--k-max", "4"],
            "--k-max 4",
        ),
        (
            vec!["shrink", "-n", "3", "-m", "5", "--pca-k", "4"],
            "--pca-k 4",
        ),
        (
            vec!["spectrum", "-n", "3", "-m", "5", "--vectors", "4"],
            "--vectors 4",
        ),
        (
            vec![
                "design-activation",
                "--penalty",
                "power:4",
                "--save",
                "/tmp/never-written.csv",
                "-n",
                "3",
                "-m",
                "5",
                "--k-max",
                "4",
            ],
            "--k-max 4",
        ),
    ] {
        let e = fails(&args);
        assert!(
            e.contains(&format!("{flag} exceeds {bound}")),
            "{args:?}: {e}"
        );
    }
    let e = fails(&["penalty", "-n", "8", "-m", "5", "--k-band", "1:5"]);
    assert!(
        e.contains("--k-band 1:5") && e.contains("min(--n, --m) = min(8, 5) = 5"),
        "{e}"
    );
    // A grid file fixes N: the message names it.
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.csv");
    std::fs::write(&g, "0\n0.5\n1\n").unwrap();
    let e = fails(&[
        "qk",
        "--grid",
        g.to_str().unwrap(),
        "-m",
        "5",
        "--k-max",
        "4",
    ]);
    assert!(
        e.contains("--k-max 4 exceeds min(points of --grid, --m) = min(3, 5) = 3"),
        "{e}"
    );
    // A user's matrix: its rows and columns, by file name.
    let a = dir.path().join("a.npy");
    write_npy(&a, &[3, 5], &[1.0; 15]).unwrap();
    let e = fails(&["qk", "--design", a.to_str().unwrap(), "--k-max", "4"]);
    assert!(
        e.contains("--k-max 4 exceeds min(rows, columns of --design")
            && e.contains("= min(3, 5) = 3"),
        "{e}"
    );
}

#[test]
fn refusals_name_the_flag_that_sized_them() {
    // A zero A (spline:8 vanishes at every z = σ(x − b) ≤ 0 of these grids)
    // has no auto learning rate: the message names the flags that make A.
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.txt");
    std::fs::write(&b, "1\n2\n3\n").unwrap();
    let e = fails(&[
        "shrink",
        "--activation",
        "spline:8",
        "--bias-grid",
        b.to_str().unwrap(),
        "-n",
        "16",
        "--q",
        "1,10",
    ]);
    assert!(e.contains("A is zero") && e.contains("--bias-grid"), "{e}");
    // The evaluation grid sizes validate's plan: its refusal names it.
    let e = fails(&[
        "validate",
        "--device",
        "cpu",
        "-n",
        "16",
        "-m",
        "100000",
        "--eval-points",
        "100000000",
        "--q",
        "1",
    ]);
    assert!(
        e.contains("host memory") && e.contains("--eval-points"),
        "{e}"
    );
}
