//! Sweeps through the library: the example files validate, a table of bad
//! files gets the documented errors (line, key, value, what is allowed),
//! ids are SHA-256 based and canonical, shards partition the groups, and the
//! journal loses only the last group when its records are cut at any byte.

use std::path::Path;

use gdshrink::studies::sweep::journal::{JournalWriter, MAGIC, read_bytes};
use gdshrink::studies::sweep::plan::id_of;
use gdshrink::studies::sweep::{Plan, Row, SweepSpec, shard_groups};

fn plan_of(src: &str) -> gdshrink::Result<Plan> {
    let spec = SweepSpec::parse(src, Path::new("."))?;
    Plan::from_spec(&spec)
}

#[test]
fn examples_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let example = Plan::from_spec(&SweepSpec::read(&root.join("sweep.toml")).unwrap()).unwrap();
    // 2 activations x 2 widths x 2 rates x 2 signals; A depends on (activation, M) only.
    assert_eq!(example.runs(), 16);
    assert_eq!(example.groups.len(), 4);
    assert!(example.groups.iter().all(|g| g.runs.len() == 4));
    let gpu = Plan::from_spec(&SweepSpec::read(&root.join("sweep-gpu.toml")).unwrap()).unwrap();
    assert_eq!(gpu.runs(), 16);
    assert_eq!(gpu.groups.len(), 8);
}

/// Every bad file is refused with a message naming where and what.
#[test]
fn bad_files_get_documented_errors() {
    let q = "\n[checkpoints]\nq = [1, 10]\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("[fixed]\nfoo = 1{q}"),
            vec!["line 2", "unknown field `foo`"],
        ),
        (
            format!("[fixd]\nn = 8{q}"),
            vec!["line 1", "unknown field `fixd`"],
        ),
        (
            format!("[axes]\nactivation = [\"tanh\", \"relux\"]{q}"),
            vec!["line 2: axes.activation", "'relux'", "heaviside"],
        ),
        (
            format!("[fixed]\nsigma = 0{q}"),
            vec!["line 2: fixed.sigma", "'0'", "'m'"],
        ),
        (
            format!("[fixed]\nn = 1{q}"),
            vec!["line 2: fixed.n", "'1'", ">= 2"],
        ),
        (
            format!("[axes]\nalpha = [\"auto\", -1]{q}"),
            vec!["line 2: axes.alpha", "'-1'", "s_max^2"],
        ),
        (
            format!("[axes]\nsignal = [\"blocks\", \"nosuch.npy\"]{q}"),
            vec!["line 2: axes.signal", "nosuch.npy", "doppler"],
        ),
        (
            format!("[fixed]\nstrategy = \"dual\"{q}"),
            vec!["fixed.strategy", "'dual'", "cpu"],
        ),
        (
            format!("[fixed]\ndevice = \"tpu\"{q}"),
            vec!["fixed.device", "'tpu'", "cpu"],
        ),
        (
            format!("[fixed]\nactivation = true{q}"),
            vec!["line 2: fixed.activation", "boolean"],
        ),
        (
            format!("[axes]\nm = []{q}"),
            vec!["line 2: axes.m", "non-empty"],
        ),
        (
            format!("[fixed]\nm = 8\n[axes]\nm = [8, 16]{q}"),
            vec!["line 4: axes.m", "already given at line 2: fixed.m"],
        ),
        (
            format!("[[zip]]\nm = [8, 16]\nsigma = [1, 2, 3]{q}"),
            vec!["line 2: zip.m", "2 values", "as many values as 'sigma'"],
        ),
        (
            "[fixed]\nn = 8\n".to_string(),
            vec!["checkpoints", "missing"],
        ),
        (
            "[checkpoints]\nq = [1]\nk = [1]\n".to_string(),
            vec!["both q and k"],
        ),
        (
            "[checkpoints]\nq = \"log:0:10:3\"\n".to_string(),
            vec!["line 2: checkpoints.q", "log:LO:HI:COUNT"],
        ),
        (
            "[checkpoints]\nk = [0, 2]\n".to_string(),
            vec!["line 2: checkpoints.k", "'0'", "K >= 1"],
        ),
        ("[fixed]\nn = \n".to_string(), vec!["line 2"]),
    ];
    // 40^4 = 2.56e6 combinations: refused before anything is expanded.
    let forty = (2..42)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let huge =
        format!("[axes]\nn = [{forty}]\nm = [{forty}]\nsigma = [{forty}]\nalpha = [{forty}]{q}");
    let err = plan_of(&huge).unwrap_err().to_string();
    assert!(
        err.contains("2560000 combinations") && err.contains("at most 1000000"),
        "{err}"
    );
    for (src, want) in &cases {
        let err = plan_of(src).expect_err(src).to_string();
        for w in want {
            assert!(err.contains(w), "file:\n{src}\nerror: {err}\nmissing: {w}");
        }
    }
}

#[test]
fn ids_are_sha256_of_canonical_parameters() {
    // FIPS 180-2 test vector: SHA-256("abc") starts ba7816bf 8f01cfea 414140de 5dae2223.
    assert_eq!(id_of(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    let q = "\n[checkpoints]\nq = [1, 10]\n";
    let rule = plan_of(&format!("[fixed]\nn = 8\nm = 16\nsigma = \"m\"{q}")).unwrap();
    let number = plan_of(&format!("[fixed]\nm = 16\nsigma = 16.0\nn = 8{q}")).unwrap();
    // sigma = M resolved is sigma = 16: the same run, whatever the order of keys.
    assert_eq!(rule.groups[0].runs[0].id, number.groups[0].runs[0].id);
    assert_eq!(rule.groups[0].id, number.groups[0].id);
    let other = plan_of(&format!("[fixed]\nn = 8\nm = 16\nsigma = 15{q}")).unwrap();
    assert_ne!(rule.groups[0].runs[0].id, other.groups[0].runs[0].id);
    // Checkpoints are settings, not identity.
    let more_q = plan_of("[fixed]\nn = 8\nm = 16\n[checkpoints]\nq = [1, 10, 100]\n").unwrap();
    assert_eq!(rule.groups[0].runs[0].id, more_q.groups[0].runs[0].id);
    assert_ne!(rule.settings_id, more_q.settings_id);
}

#[test]
fn overrides_change_and_extend_axes() {
    let src = "[fixed]\nn = 8\nm = 16\n[axes]\nalpha = [\"auto\"]\n[checkpoints]\nq = [1, 10]\n";
    let mut spec = SweepSpec::parse(src, Path::new(".")).unwrap();
    spec.apply_overrides(&[
        "m+=32,64".into(),
        "alpha=auto,0.5/s_max^2".into(),
        "q=1,5".into(),
    ])
    .unwrap();
    let plan = Plan::from_spec(&spec).unwrap();
    assert_eq!((plan.runs(), plan.groups.len()), (6, 3));
    assert_eq!(plan.settings.q.as_deref(), Some(&[1, 5][..]));
    let mut spec = SweepSpec::parse(src, Path::new(".")).unwrap();
    let err = spec
        .apply_overrides(&["width=3".into()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'width=3'") && err.contains("activation"),
        "{err}"
    );
    let err = spec.apply_overrides(&["m".into()]).unwrap_err().to_string();
    assert!(err.contains("KEY=VALUE"), "{err}");
}

#[test]
fn shards_partition_the_groups_by_cost() {
    let src = "[axes]\nm = [8, 16, 24, 32, 40, 48, 56]\nactivation = [\"tanh\", \"relu\"]\n[fixed]\nn = 8\n[checkpoints]\nq = [10]\n";
    let plan = plan_of(src).unwrap();
    let mut seen: Vec<&str> = Vec::new();
    let mut loads = Vec::new();
    for k in 0..4 {
        let mine = shard_groups(&plan, k, 4);
        loads.push(mine.iter().map(|g| g.params.m).sum::<usize>());
        seen.extend(mine.iter().map(|g| g.id.as_str()));
    }
    seen.sort_unstable();
    let mut all: Vec<&str> = plan.groups.iter().map(|g| g.id.as_str()).collect();
    all.sort_unstable();
    assert_eq!(seen, all, "every group in exactly one shard");
    // Greedy by cost: no shard holds more than the largest group above the lightest.
    let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
    assert!(hi - lo <= 56, "{loads:?}");
    assert_eq!(shard_groups(&plan, 2, 4), shard_groups(&plan, 2, 4));
}

fn row(run: &str, q: i64, loss: f64) -> Row {
    Row {
        run_id: run.into(),
        group_id: "g".into(),
        activation: "tanh".into(),
        sigma: 8.0,
        sigma_rule: "m".into(),
        n: 8,
        m: 8,
        grid: "linspace".into(),
        bias_grid: "linspace".into(),
        signal: "blocks".into(),
        alpha_rule: "auto".into(),
        alpha: 0.1,
        s_max: 3.0,
        device: "cpu".into(),
        strategy: "primal".into(),
        engine: "cpu-f64".into(),
        q,
        k: 0,
        status: "ok".into(),
        error: String::new(),
        loss,
        loss_rel: f64::INFINITY,
        psnr_db: f64::NEG_INFINITY,
        rel_err_closed_form: f64::NAN,
        build_s: 0.5,
        gd_s: 0.25,
    }
}

/// Cutting the journal at every byte of its last group's records loses that
/// group only; the first group, NaN and infinities included, always survives.
#[test]
fn truncated_journal_loses_only_the_last_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = JournalWriter::create(dir.path(), "s1of1-test-1-0", "settings").unwrap();
    w.commit_group(
        "g1",
        vec!["r1".into()],
        vec![row("r1", 1, 0.5), row("r1", 10, f64::NAN)],
    )
    .unwrap();
    let after_first = std::fs::metadata(w.path()).unwrap().len() as usize;
    w.commit_group("g2", vec!["r2".into()], vec![row("r2", 1, 0.25)])
        .unwrap();
    let bytes = std::fs::read(w.path()).unwrap();
    assert_eq!(&bytes[..8], MAGIC);
    let full = read_bytes(&bytes);
    assert_eq!(full.committed.len(), 2);
    assert_eq!(full.ignored_bytes, 0);
    let (_, _, rows) = &full.committed[0];
    assert!(
        rows[1].loss.is_nan()
            && rows[0].loss_rel == f64::INFINITY
            && rows[0].psnr_db == f64::NEG_INFINITY
    );
    for cut in after_first..bytes.len() {
        let got = read_bytes(&bytes[..cut]);
        assert_eq!(got.committed.len(), 1, "cut at {cut} of {}", bytes.len());
        assert_eq!(got.committed[0].0, "g1");
        assert_eq!(got.committed[0].2.len(), 2);
        assert!(got.ignored_bytes <= cut - after_first, "cut at {cut}");
    }
    // A flipped byte in the last record is a torn record too.
    let mut bad = bytes.clone();
    let last = bad.len() - 3;
    bad[last] ^= 0x55;
    assert_eq!(read_bytes(&bad).committed.len(), 1);
    // Cut inside the first group: nothing counts.
    for cut in 0..after_first {
        assert!(
            read_bytes(&bytes[..cut]).committed.is_empty(),
            "cut at {cut}"
        );
    }
}

#[test]
fn nan_and_infinities_in_csv() {
    use gdshrink::studies::sweep::results::{csv_float, write_csv};
    assert_eq!(csv_float(f64::NAN), "NaN");
    assert_eq!(csv_float(f64::INFINITY), "inf");
    assert_eq!(csv_float(f64::NEG_INFINITY), "-inf");
    assert_eq!(csv_float(0.1).parse::<f64>().unwrap(), 0.1);
    let mut out = Vec::new();
    write_csv(&[row("r", 1, f64::NAN)], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let values: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let col = |name: &str| values[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (col("loss"), col("loss_rel"), col("psnr_db")),
        ("NaN", "inf", "-inf")
    );
    assert_eq!(col("run_id"), "r");
}
