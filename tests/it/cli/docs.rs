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
        "sweep",
        "merge",
        "penalty",
        "design-activation",
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

/// The lines of the first fenced block after `start` (up to the next `end`).
fn block_after(text: &str, start: &str, open: &str, close: &str) -> Vec<String> {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("'{start}' not found"));
    let body = &text[from..];
    let open_at = body.find(open).expect("opening marker") + open.len();
    let len = body[open_at..].find(close).expect("closing marker");
    body[open_at..open_at + len]
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The README's quick start is exactly what `.ci/run` runs (its marked
/// block), so CI proves the README's two commands on a fresh machine.
#[test]
fn ci_runs_the_readme_quick_start() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(Path::new(root).join("README.md")).unwrap();
    let ci = std::fs::read_to_string(Path::new(root).join(".ci/run")).unwrap();
    let quick = block_after(&readme, "\n## Quick start\n", "\n```\n", "\n```\n");
    let ran = block_after(
        &ci,
        "\n# >>> quick start\n",
        "start\n",
        "# <<< quick start\n",
    );
    assert_eq!(
        quick,
        ["cargo run --release -- reproduce", "scripts/test"],
        "README quick start"
    );
    assert_eq!(
        quick, ran,
        "README.md's quick start and .ci/run's marked block differ"
    );
    // The marked block is executed, not only written down.
    let after = &ci[ci.find("# <<< quick start").unwrap()..];
    assert!(
        !after.contains("exit 0") && ci.contains("set -euo pipefail"),
        ".ci/run must run its quick-start block under set -e"
    );
}
