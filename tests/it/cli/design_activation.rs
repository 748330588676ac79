//! `gdshrink design-activation` and tabulated activations on the command
//! line: the designed table is written, its round trip is reported and
//! agrees with the library, the file works as `--activation table:FILE` in
//! other commands, and bad input names the flag, the file and what is allowed.
//!
//! Round-trip tolerance 1e-3 over [0.05, 2] for power:4 (see
//! `tests/it/spectral/design.rs` for the error budget).

use std::path::PathBuf;

use gdshrink::model::Table;

use crate::common::cli::{fails, has_keys, json, ok, read_csv};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("design-activation");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn designs_writes_and_reuses_a_table() {
    let save = scratch("phi.csv");
    let s = save.to_str().unwrap();
    let base = [
        "design-activation",
        "--penalty",
        "power:4",
        "--save",
        s,
        "--band",
        "0.05:2",
        "--sigma",
        "8",
        "-n",
        "64",
        "-m",
        "64",
        "--k-max",
        "5",
    ];
    let text = ok(&base);
    assert!(
        text.contains("round trip over nu in [0.0500000, 2.00000]"),
        "{text}"
    );
    assert!(text.contains("q(K)") && text.contains("relu"), "{text}");
    let j = json(&base);
    has_keys(
        &j,
        &[
            "round_trip",
            "columns",
            "activation",
            "activation_id",
            "save",
        ],
    );
    let max_rel = j["round_trip"]["max_rel"].as_f64().unwrap();
    assert!(max_rel < 1e-3, "{max_rel}");
    assert_eq!(j["columns"].as_array().unwrap().len(), 4);
    // The file is a table of 16384 points (z, eta) that the library reads.
    let t = Table::read(&save).unwrap();
    assert_eq!(t.len(), 16384);
    assert_eq!(read_csv(&save)[0].0, "z");
    // Every command takes it as an activation.
    let act = format!("table:{s}");
    let out = ok(&[
        "spectrum", "-a", &act, "--sigma", "8", "-n", "32", "-m", "32",
    ]);
    assert!(out.contains("table:"), "{out}");
    let p = json(&[
        "penalty", "-a", &act, "--sigma", "8", "-n", "64", "-m", "64",
    ]);
    assert!(p["exponent"]["slope"].as_f64().unwrap() > 1.0, "{p}");
    // npy as well.
    let npy = scratch("phi.npy");
    ok(&[
        "design-activation",
        "--penalty",
        "exp:0.5",
        "--save",
        npy.to_str().unwrap(),
        "--points",
        "4096",
        "-n",
        "32",
        "-m",
        "32",
    ]);
    assert_eq!(Table::read(&npy).unwrap().len(), 4096);
}

#[test]
fn bad_tables_and_flags_are_named() {
    let missing = scratch("nothing.csv");
    let e = fails(&["spectrum", "-a", &format!("table:{}", missing.display())]);
    assert!(
        e.contains("--activation") && e.contains("nothing.csv") && e.contains("no such file"),
        "{e}"
    );
    let bad = scratch("bad.csv");
    std::fs::write(&bad, "z,eta\n0,1\n2,1\n1,1\n").unwrap();
    let e = fails(&["spectrum", "-a", &format!("table:{}", bad.display())]);
    assert!(
        e.contains("--activation") && e.contains("bad.csv") && e.contains("unsorted"),
        "{e}"
    );
    let save = scratch("x.csv");
    let s = save.to_str().unwrap();
    let e = fails(&["design-activation", "--penalty", "power:0", "--save", s]);
    assert!(e.contains("--penalty") && e.contains("power:P"), "{e}");
    let e = fails(&[
        "design-activation",
        "--penalty",
        "power:4",
        "--save",
        "x.txt",
    ]);
    assert!(e.contains("--save") && e.contains(".csv"), "{e}");
    let e = fails(&[
        "design-activation",
        "--penalty",
        "power:4",
        "--save",
        s,
        "--points",
        "1000",
    ]);
    assert!(e.contains("--points") && e.contains("power of two"), "{e}");
    let e = fails(&[
        "design-activation",
        "--penalty",
        "power:4",
        "--save",
        s,
        "--spacing",
        "5",
    ]);
    assert!(e.contains("--spacing") && e.contains("1/1024"), "{e}");
    let e = fails(&[
        "design-activation",
        "--penalty",
        "band:1",
        "--save",
        s,
        "--band",
        "0.1:2",
    ]);
    assert!(e.contains("band edge"), "{e}");
    assert!(!save.exists(), "nothing written on failure");
}
