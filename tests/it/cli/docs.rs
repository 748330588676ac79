//! What the commands document: every one has `--help`, and the test command
//! CI runs is the one the README names.

use std::path::Path;

use crate::common::cli::ok;

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
        "penalty",
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
