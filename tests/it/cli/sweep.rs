//! `gdshrink sweep` and `gdshrink merge` as a user runs them: a sweep killed
//! with SIGKILL at seeded random moments and resumed gives exactly the rows
//! of an uninterrupted run; 4 shards and a merge give the same rows; an
//! extended sweep computes only the new runs; a changed plan is refused.
//! The saved arrays (f_q, w_q) of every (run, q) are compared bit for bit in
//! the same way; a GPU group too large for its memory budget runs
//! matrix-free under `auto` and is refused under an explicit `primal`.
//! Rows are compared as CSV text, sorted by (run_id, q), without the timing
//! columns (`*_s`); floats are written in their shortest exact form, so
//! equal text is equal bits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::common::cli::{fails, gdshrink, ok};

/// 3 widths x 2 activations = 6 groups of 4 runs, small enough for a CPU test.
const SWEEP: &str = r#"
[fixed]
n = 48
sigma = "m"
[axes]
activation = ["tanh", "relu"]
m = [40, 56, 72]
alpha = ["auto", "0.5/s_max^2"]
signal = ["blocks", "doppler"]
[checkpoints]
q = "log:1:400:5"
[metrics]
heldout = 31
closed_form = true
[output]
arrays = ["f", "w"]
"#;

fn sweep_file(dir: &Path) -> PathBuf {
    let p = dir.join("s.toml");
    std::fs::write(&p, SWEEP).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// results.csv without timing columns, lines sorted.
fn rows(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !header[i].ends_with("_s"))
        .collect();
    let mut out: Vec<String> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&i| f[i]).collect::<Vec<_>>().join(",")
        })
        .collect();
    out.sort();
    out
}

/// The saved f_q and w_q of every (run_id, q) of a folder, as bits, found
/// through the `f_file`, `w_file` and `array_row` columns of results.csv.
fn arrays(dir: &Path) -> BTreeMap<(String, String), Vec<u64>> {
    let text = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (run, q, ff, wf, row) = (
        at("run_id"),
        at("q"),
        at("f_file"),
        at("w_file"),
        at("array_row"),
    );
    let mut out = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let r: usize = f[row].parse().expect("a saved row");
        let mut bits = Vec::new();
        for file in [f[ff], f[wf]] {
            let (shape, data) = gdshrink::output::array::read_npy(&dir.join(file)).unwrap();
            let len = shape[1] as usize;
            bits.extend(data[r * len..(r + 1) * len].iter().map(|v| v.to_bits()));
        }
        out.insert((f[run].to_string(), f[q].to_string()), bits);
    }
    out
}

fn summary(stdout: &str, key: &str) -> usize {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("summary:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{key} in {line}"))
}

fn baseline(tmp: &Path, file: &Path) -> (Vec<String>, Duration) {
    let out = tmp.join("base");
    let t = Instant::now();
    let stdout = ok(&["sweep", s(file), "--out", s(&out)]);
    let took = t.elapsed();
    assert_eq!(summary(&stdout, "computed"), 24, "{stdout}");
    let r = rows(&out);
    assert_eq!(r.len(), 24 * 5);
    assert!(out.join("results.parquet").is_file());
    (r, took)
}

#[test]
fn killed_and_resumed_equals_uninterrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let (want, took) = baseline(tmp.path(), &file);
    let out = tmp.path().join("killed");
    let bin = env!("CARGO_BIN_EXE_gdshrink");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut kills = 0;
    for _ in 0..4 {
        let mut child = Command::new(bin)
            .args(["sweep", s(&file), "--out", s(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let at = took.mul_f64(rng.random_range(0.05..0.9));
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 1, "no kill landed mid-run");
    let stdout = ok(&["sweep", s(&file), "--out", s(&out)]);
    assert_eq!(
        rows(&out),
        want,
        "resumed rows differ from the uninterrupted run"
    );
    let base = arrays(&tmp.path().join("base"));
    assert_eq!(base.len(), 24 * 5);
    assert!(
        arrays(&out) == base,
        "resumed arrays differ from the uninterrupted run"
    );
    let st = ok(&["sweep", "status", s(&out)]);
    assert!(
        st.contains("24 done, 0 failed, 0 pending"),
        "{st}\n{stdout}"
    );
}

#[test]
fn four_shards_and_a_merge_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let (want, _) = baseline(tmp.path(), &file);
    let shards: Vec<PathBuf> = (1..=4)
        .map(|k| tmp.path().join(format!("shard{k}")))
        .collect();
    let mut computed = 0;
    for (k, dir) in shards.iter().enumerate() {
        let stdout = ok(&[
            "sweep",
            s(&file),
            "--shard",
            &format!("{}/4", k + 1),
            "--out",
            s(dir),
        ]);
        computed += summary(&stdout, "computed");
    }
    assert_eq!(computed, 24);
    // Merging only three shards reports the missing runs and fails.
    let partial = tmp.path().join("partial");
    let out = gdshrink()
        .args([
            "merge",
            s(&shards[0]),
            s(&shards[1]),
            s(&shards[2]),
            "--out",
            s(&partial),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing: run"));
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| s(p)));
    args.extend(["--out", s(&merged)]);
    let stdout = ok(&args);
    assert!(stdout.contains("24 done, 0 failed, 0 missing"), "{stdout}");
    assert!(stdout.contains("copied 12 array file(s)"), "{stdout}");
    assert_eq!(rows(&merged), want);
    assert!(
        arrays(&merged) == arrays(&tmp.path().join("base")),
        "merged arrays differ"
    );
    // A shard rerun (requeue) computes nothing.
    let again = ok(&["sweep", s(&file), "--shard", "2/4", "--out", s(&shards[1])]);
    assert_eq!(summary(&again, "computed"), 0);
}

#[test]
fn extension_computes_only_new_runs_and_changed_plans_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let (want, _) = baseline(tmp.path(), &file);
    let out = tmp.path().join("base");
    let before = std::fs::read_dir(out.join("journal")).unwrap().count();
    let stdout = ok(&["sweep", s(&file), "alpha+=0.25/s_max^2", "--out", s(&out)]);
    assert_eq!(
        (summary(&stdout, "computed"), summary(&stdout, "skipped")),
        (12, 24),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(out.join("journal")).unwrap().count(),
        before + 1
    );
    let extended = rows(&out);
    assert_eq!(extended.len(), 36 * 5);
    assert!(
        want.iter().all(|r| extended.contains(r)),
        "committed rows changed"
    );
    // Other checkpoints would change committed runs: refused, then --restart.
    let err = fails(&["sweep", s(&file), "q=1,10", "--out", s(&out)]);
    assert!(
        err.contains("other settings") && err.contains("--restart"),
        "{err}"
    );
    let stdout = ok(&[
        "sweep",
        s(&file),
        "q=1,10",
        "m=40",
        "--out",
        s(&out),
        "--restart",
    ]);
    assert_eq!(summary(&stdout, "computed"), 8);
    assert!(std::fs::read_dir(&out).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("discarded-")
    }));
}

#[test]
fn dry_run_status_and_failed_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let out = tmp.path().join("o");
    let dry = ok(&["sweep", s(&file), "--dry-run", "--out", s(&out)]);
    assert!(
        dry.contains("24 runs in 6 groups") && dry.contains("resource plan"),
        "{dry}"
    );
    assert!(!out.exists(), "a dry run writes nothing");
    // alpha = 3/s_max^2 is unstable: those runs fail, the others run, exit 3.
    let res = gdshrink()
        .args([
            "sweep",
            s(&file),
            "alpha=auto,3/s_max^2",
            "m=40",
            "arrays=none",
            "--out",
            s(&out),
        ])
        .output()
        .unwrap();
    assert_eq!(
        res.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!out.join("arrays").exists(), "no arrays unless asked");
    let st = ok(&["sweep", "status", s(&out)]);
    assert!(st.contains("4 done, 4 failed, 0 pending"), "{st}");
    assert!(st.contains("unstable"), "{st}");
    let err = fails(&["sweep", s(&file), "--shard", "5/4", "--out", s(&out)]);
    assert!(err.contains("--shard '5/4'"), "{err}");
    let err = fails(&["sweep", "status", s(tmp.path())]);
    assert!(err.contains("not a sweep folder"), "{err}");
}

#[test]
fn sigterm_commits_and_exits_75() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let out = tmp.path().join("t");
    let bin = env!("CARGO_BIN_EXE_gdshrink");
    let mut child = Command::new(bin)
        .args(["sweep", s(&file), "--out", s(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the first commit, then ask it to stop.
    let t = Instant::now();
    while !out.join("journal").is_dir() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let code = child.wait().unwrap().code();
    // 75 when stopped between groups; 0 if it had already finished.
    assert!(matches!(code, Some(75 | 0)), "{code:?}");
    let st = ok(&["sweep", "status", s(&out)]);
    assert!(st.contains("0 failed"), "{st}");
    ok(&["sweep", s(&file), "--out", s(&out)]);
    let st = ok(&["sweep", "status", s(&out)]);
    assert!(st.contains("24 done"), "{st}");
}

#[test]
fn shard_auto_reads_slurm_and_kubernetes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let run = |env: &[(&str, &str)]| {
        let mut c = gdshrink();
        c.args(["sweep", s(&file), "--shard", "auto", "--dry-run"]);
        for k in [
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_COUNT",
            "JOB_COMPLETION_INDEX",
            "JOB_COMPLETIONS",
        ] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[
        ("SLURM_ARRAY_TASK_ID", "12"),
        ("SLURM_ARRAY_TASK_MIN", "10"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("shard 3/4"),
        "{o:?}"
    );
    let o = run(&[("JOB_COMPLETION_INDEX", "0"), ("JOB_COMPLETIONS", "2")]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("shard 1/2"),
        "{o:?}"
    );
    let o = run(&[]);
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("SLURM_ARRAY_TASK_ID")
    );
}

/// A GPU group whose A (4·48·64 = 12 KiB) exceeds a 4 KiB budget: the plan
/// shows it, `auto` runs it matrix-free (the engine's plan says so), and an
/// explicit `primal` is refused before launch with needed vs available.
#[test]
fn gpu_group_over_its_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("g.toml");
    std::fs::write(
        &file,
        "[fixed]\nn = 48\nm = 64\ndevice = \"gpu\"\nmemory_budget = \"4KiB\"\n[axes]\nsignal = [\"blocks\", \"doppler\"]\n[checkpoints]\nq = [1, 10, 100, 1000]\n[output]\narrays = [\"f\"]\n",
    )
    .unwrap();
    let dry = ok(&["sweep", s(&file), "--dry-run"]);
    for w in [
        "memory 13.0 KiB (no A on the host + runs 13.0 KiB)",
        "arrays 3.0 KiB on disk",
        "device: A 12.0 KiB (f32), K/G 9.0 KiB",
        "budget 4.0 KiB",
        "auto: matrix-free",
        "matrix-free (auto: matrix-free: A (12288 bytes) exceeds the memory budget (4096 bytes)",
    ] {
        assert!(dry.contains(w), "{dry}\nmissing: {w}");
    }
    let out = tmp.path().join("o");
    let stdout = ok(&["sweep", s(&file), "--out", s(&out)]);
    assert_eq!(summary(&stdout, "computed"), 2, "{stdout}");
    let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(text.lines().count(), 1 + 8);
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.contains("matrix-free") && l.contains(",ok,")),
        "{text}"
    );
    let err = fails(&["sweep", s(&file), "strategy=primal", "--dry-run"]);
    for w in [
        "strategy of group",
        "'primal'",
        "A (f32) needs 12.0 KiB of device memory",
        "memory budget is 4.0 KiB",
        "memory_budget",
    ] {
        assert!(err.contains(w), "{err}\nmissing: {w}");
    }
    // A budget that holds A lets the explicit primal run.
    ok(&[
        "sweep",
        s(&file),
        "strategy=primal",
        "memory_budget=1MiB",
        "--dry-run",
    ]);
}
