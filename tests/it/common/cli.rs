//! Running the `gdshrink` binary as a user does: success with stdout, one
//! JSON object, failure with a named error (never a panic), and reading back
//! what `--out` wrote.

use std::path::Path;

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

/// A JSON array of numbers; `null` (how the CLI writes NaN) reads as NaN.
pub fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// Asserts that the JSON object has every key.
pub fn has_keys(j: &Value, keys: &[&str]) {
    for k in keys {
        assert!(j.get(k).is_some(), "JSON lacks key '{k}': {j:.200}");
    }
}

/// The keys every command's `--json` output describes its configuration with.
pub const CONFIG_KEYS: [&str; 10] = [
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

/// Reads a CSV written by `--out` (header + numbers) into named columns.
pub fn read_csv(path: &Path) -> Vec<(String, Vec<f64>)> {
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
pub fn col(table: &[(String, Vec<f64>)], name: &str) -> Vec<f64> {
    let (_, v) = table
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column '{name}'"));
    let len = v.iter().rposition(|x| !x.is_nan()).map_or(0, |i| i + 1);
    v[..len].to_vec()
}

/// Column `c` of a rows × cols NPY table (without the NaN padding).
pub fn npy_col(shape: &[u64], data: &[f64], c: usize) -> Vec<f64> {
    let (rows, cols) = (shape[0] as usize, shape[1] as usize);
    let v: Vec<f64> = (0..rows).map(|r| data[r * cols + c]).collect();
    let len = v.iter().rposition(|x| !x.is_nan()).map_or(0, |i| i + 1);
    v[..len].to_vec()
}
