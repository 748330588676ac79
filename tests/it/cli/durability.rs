//! Nothing computed is lost: an output that cannot be written fails before
//! any work; a write that fails half-way (a full disk) leaves the old file
//! intact and no temporary file behind, and the result still reaches stdout.
//!
//! A full disk is simulated with the file-size limit (`ulimit -f`, with
//! SIGXFSZ ignored so that the write returns EFBIG as it returns ENOSPC on a
//! full disk): no mount is needed, so the test runs in any container.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::cli::gdshrink;

/// Runs gdshrink with writes limited to 4 KiB per file; returns (exit code,
/// stdout, stderr).
fn run_with_small_disk(args: &[&str]) -> (Option<i32>, String, String) {
    let bin = env!("CARGO_BIN_EXE_gdshrink");
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn a_full_disk_keeps_the_old_file_and_prints_the_result() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["gd.csv", "gd.npy"] {
        let path = dir.path().join(name);
        std::fs::write(&path, b"the old file\n").unwrap();
        let p = path.display().to_string();
        // 512 samples × 3 checkpoints: ~40 KiB of table, over the 4 KiB limit.
        let (code, stdout, stderr) = run_with_small_disk(&[
            "gd", "-n", "512", "-m", "64", "--q", "1,10,100", "--out", &p,
        ]);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(
            stdout.contains("loss/loss_0"),
            "the table still reaches stdout: {stdout}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"the old file\n", "{name}");
        assert!(
            temporaries(dir.path()).is_empty(),
            "{:?}",
            temporaries(dir.path())
        );
    }
}

#[test]
fn validate_out_is_all_or_nothing() {
    // The direction table and its checkpoints companion are committed
    // together: when one cannot be written, neither appears.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v.csv");
    let (code, stdout, stderr) = run_with_small_disk(&[
        "validate",
        "--device",
        "cpu",
        "-n",
        "256",
        "-m",
        "256",
        "--q",
        "1,10,100,1000",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains("validate"),
        "the report still reaches stdout: {stdout}"
    );
    assert!(!out.exists() && !dir.path().join("v-checkpoints.csv").exists());
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn a_read_only_folder_keeps_the_old_file() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        eprintln!("skipped: running as root, which writes into read-only folders");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    std::fs::write(&path, b"old").unwrap();
    let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(dir.path(), perms.clone()).unwrap();
    let out = gdshrink()
        .args(["spectrum", "-n", "8", "-m", "8", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir.path(), perms).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
}

#[test]
fn an_unwritable_out_fails_before_any_work() {
    // Hours of work (4000 × 4000, 10⁸ iterations) behind an --out whose
    // folder is a file: refused at once.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    for (cmd, ext) in [("gd", "npy"), ("validate", "csv"), ("spectrum", "npy")] {
        let target = file.join(format!("x.{ext}"));
        let start = Instant::now();
        let mut args = vec![cmd, "-n", "4000", "-m", "4000"];
        if cmd != "spectrum" {
            args.extend(["--q", "100000000"]);
        }
        if cmd == "validate" {
            args.extend(["--device", "cpu"]);
        }
        let out = gdshrink()
            .args(&args)
            .arg("--out")
            .arg(&target)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains("--out") && err.contains("not a folder"),
            "{cmd}: {err}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{cmd}: refused only after work"
        );
    }
    // --plot the same way.
    let out = gdshrink()
        .args([
            "validate", "--device", "cpu", "-n", "4000", "-m", "4000", "--plot",
        ])
        .arg(file.join("p"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--plot") && err.contains("not a folder"),
        "{err}"
    );
}
