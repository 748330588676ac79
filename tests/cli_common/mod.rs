//! Helpers shared by the CLI test files: run the binary, parse its JSON,
//! check failures. (Each test file uses a subset.)
#![allow(dead_code)]

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

/// The `gdshrink` binary built for these tests.
pub fn gdshrink() -> assert_cmd::Command {
    cargo_bin_cmd!("gdshrink")
}

/// Runs a command that must succeed; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = gdshrink().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "gdshrink {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs with `--json`; parses the one JSON object printed.
pub fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let text = ok(&a);
    assert_eq!(text.trim().lines().count(), 1, "one JSON line expected");
    serde_json::from_str(&text).unwrap()
}

/// Runs a command that must fail (non-zero, no panic); returns stderr.
pub fn fails(args: &[&str]) -> String {
    let out = gdshrink().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "gdshrink {} should fail",
        args.join(" ")
    );
    assert!(
        !err.contains("panicked"),
        "panic instead of an error: {err}"
    );
    assert!(err.contains("error"), "{err}");
    err
}

pub fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

pub fn has_keys(j: &Value, keys: &[&str]) {
    for k in keys {
        assert!(j.get(k).is_some(), "JSON lacks key '{k}': {j:.200}");
    }
}
