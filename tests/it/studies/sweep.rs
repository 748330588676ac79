//! Sweeps through the library: the example files validate, a table of bad
//! files gets the documented errors (line, key, value, what is allowed),
//! ids are SHA-256 based and canonical, shards partition the groups, the
//! journal loses only the last group when its records are cut at any byte,
//! saved arrays hold the engine's f_q and w_q, and GPU groups are planned
//! against their device memory budget (refused, or run matrix-free).

use std::path::Path;

use std::sync::atomic::AtomicBool;

use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem};
use gdshrink::output::array::read_npy;
use gdshrink::spectral::largest_singular_value;
use gdshrink::studies::sweep::device::{device_need, host_needs_a};
use gdshrink::studies::sweep::journal::{JournalWriter, MAGIC, read_bytes};
use gdshrink::studies::sweep::plan::{GroupParams, design, group_bytes, id_of};
use gdshrink::studies::sweep::run::{ProgressState, check_resources};
use gdshrink::studies::sweep::{
    EngineSource, FolderState, Plan, Row, RunOptions, SweepProgress, SweepSpec, prepare_folder,
    run_sweep, shard_groups,
};

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
        memory_budget: 0,
        f_file: String::new(),
        w_file: String::new(),
        array_row: -1,
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

#[test]
fn arrays_and_memory_budget_keys() {
    let q = "\n[checkpoints]\nq = [1, 10]\n";
    let plan = plan_of(&format!("[output]\narrays = [\"w\", \"f\", \"w\"]{q}")).unwrap();
    assert_eq!(plan.settings.arrays, ["f", "w"]);
    // Without arrays the settings (and their id) are those of earlier plans.
    let none = plan_of(&format!("[fixed]\nn = 8{q}")).unwrap();
    assert!(!serde_json::to_string(&none).unwrap().contains("arrays"));
    assert!(
        !serde_json::to_string(&none)
            .unwrap()
            .contains("memory_budget")
    );
    assert_ne!(plan.settings_id, none.settings_id);
    for (src, want) in [
        (
            format!("[output]\narrays = [\"f\", \"y\"]{q}"),
            vec!["line 2: output.arrays", "'y'", "f (f_q"],
        ),
        (
            format!("[output]\nsave = [\"f\"]{q}"),
            vec!["unknown field `save`"],
        ),
        (
            format!("[fixed]\ndevice = \"gpu\"\nmemory_budget = \"4 parsecs\"{q}"),
            vec!["line 3: fixed.memory_budget", "'4 parsecs'", "KiB"],
        ),
        (
            format!("[fixed]\nmemory_budget = 0{q}"),
            vec!["fixed.memory_budget", "'0'", ">= 1"],
        ),
    ] {
        let err = plan_of(&src).expect_err(&src).to_string();
        for w in want {
            assert!(err.contains(w), "file:\n{src}\nerror: {err}\nmissing: {w}");
        }
    }
    let src = format!("[fixed]\nn = 8\nm = 16\n[axes]\ndevice = [\"cpu\", \"gpu\"]{q}");
    let mut spec = SweepSpec::parse(&src, Path::new(".")).unwrap();
    spec.apply_overrides(&[
        "arrays=f".into(),
        "arrays+=w".into(),
        "memory_budget=4KiB,default".into(),
    ])
    .unwrap();
    let plan = Plan::from_spec(&spec).unwrap();
    assert_eq!(plan.settings.arrays, ["f", "w"]);
    // The budget is the GPU's: two GPU groups (4 KiB, default), one CPU group.
    let budgets: Vec<(String, Option<u64>)> = plan
        .groups
        .iter()
        .map(|g| (g.params.device.clone(), g.params.memory_budget))
        .collect();
    assert_eq!(plan.groups.len(), 3, "{budgets:?}");
    assert!(budgets.contains(&("gpu".into(), Some(4096))));
    assert!(budgets.contains(&("gpu".into(), None)));
    assert!(budgets.contains(&("cpu".into(), None)));
    spec.apply_overrides(&["arrays=none".into()]).unwrap();
    assert!(Plan::from_spec(&spec).unwrap().settings.arrays.is_empty());
}

/// A GPU group whose A exceeds a small budget: `auto` runs it without A (and
/// the host builds no dense A); an explicit `primal` is refused before launch
/// with needed vs available, naming the group and the key.
#[test]
fn device_plan_refuses_or_runs_matrix_free() {
    // N = 48, M = 64: A is 4·48·64 = 12 KiB, K = 4·48² = 9 KiB, budget 4 KiB.
    let src = "[fixed]\nn = 48\nm = 64\ndevice = \"gpu\"\nmemory_budget = \"4KiB\"\n[checkpoints]\nq = [1, 10]\n";
    let auto = plan_of(src).unwrap();
    let g = &auto.groups[0];
    let need = device_need(&auto.settings, g).unwrap();
    assert_eq!((need.a, need.dual, need.budget), (12288.0, 9216.0, 4096));
    assert!(
        need.verdict.contains("matrix-free") && !need.stores_a,
        "{need:?}"
    );
    assert!(!host_needs_a(&auto.settings, g));
    assert_eq!(
        group_bytes(&auto.settings, g, 1).0,
        0.0,
        "no dense A on the host"
    );
    check_resources(&auto).unwrap();
    // The closed form needs the SVD of A on the host, whatever the device does.
    let closed = plan_of(&format!("{src}[metrics]\nclosed_form = true\n")).unwrap();
    assert!(host_needs_a(&closed.settings, &closed.groups[0]));
    let primal =
        plan_of(&src.replace("[checkpoints]", "strategy = \"primal\"\n[checkpoints]")).unwrap();
    let err = check_resources(&primal).unwrap_err().to_string();
    for w in [
        "strategy of group",
        "N = 48, M = 64",
        "'primal'",
        "A (f32) needs 12.0 KiB of device memory",
        "memory budget is 4.0 KiB",
        "memory_budget",
        "\"auto\"",
    ] {
        assert!(err.contains(w), "{err}\nmissing: {w}");
    }
    let dual =
        plan_of(&src.replace("[checkpoints]", "strategy = \"dual\"\n[checkpoints]")).unwrap();
    let err = check_resources(&dual).unwrap_err().to_string();
    assert!(err.contains("K = A A^T (f32) needs 9.0 KiB"), "{err}");
    // With the default budget (2 GiB) the same primal group fits.
    let fits = plan_of(&src.replace("memory_budget = \"4KiB\"", "strategy = \"primal\"")).unwrap();
    check_resources(&fits).unwrap();
    assert!(host_needs_a(&fits.settings, &fits.groups[0]));
}

struct Quiet;

impl SweepProgress for Quiet {
    fn update(&self, _: &ProgressState) {}
    fn note(&self, _: &str) {}
}

/// The CPU engine for every group (no GPU group in the plan).
struct Cpu;

impl EngineSource for Cpu {
    fn engine(&self, _: &GroupParams) -> gdshrink::Result<Box<dyn Engine + '_>> {
        Ok(Box::new(CpuEngine))
    }
}

const ARRAYS: &str = r#"
[fixed]
n = 24
[axes]
m = [16, 32]
signal = ["blocks", "doppler"]
alpha = ["auto", "0.5/s_max^2"]
[checkpoints]
q = [1, 7, 50]
[metrics]
heldout = 11
[output]
arrays = ["f", "w"]
"#;

fn sweep_into(dir: &Path, src: &str) -> (Plan, FolderState) {
    let spec = SweepSpec::parse(src, Path::new(".")).unwrap();
    let plan = Plan::from_spec(&spec).unwrap();
    prepare_folder(dir, &plan, src, false).unwrap();
    let stop = AtomicBool::new(false);
    let opts = RunOptions {
        shard: (0, 1),
        stop: &stop,
    };
    run_sweep(&plan, dir, opts, &Cpu, &Quiet).unwrap();
    let state = FolderState::read(dir).unwrap();
    (plan, state)
}

/// Every (run, q) of a sweep with arrays has its f_q and w_q in the group's
/// NPY files, bit for bit what the engine returns for the same batch; one
/// file per group and array, not per run.
#[test]
fn saved_arrays_are_the_engines_f_and_w() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (plan, state) = sweep_into(&dir, ARRAYS);
    let rows = state.rows_of(&plan);
    assert_eq!(rows.len(), 8 * 3);
    let files = std::fs::read_dir(dir.join("arrays")).unwrap().count();
    assert_eq!(
        files,
        2 * plan.groups.len(),
        "one f and one w file per group"
    );
    for g in &plan.groups {
        let d = design(&g.params).unwrap();
        let a = d.matrix();
        let s_max = largest_singular_value(a.as_ref()).unwrap();
        // The group's batch, as the sweep sent it: its runs in id order.
        let batch = GdBatch {
            y: g.runs
                .iter()
                .map(|r| r.signal.values(d.x()).unwrap())
                .collect(),
            alpha: g
                .runs
                .iter()
                .map(|r| r.alpha.resolve(s_max, d.n()).unwrap())
                .collect(),
            checkpoints: vec![1, 7, 50],
            record_w: true,
            eval_points: Some(gdshrink::model::grid::midpoint(11)),
            w0: None,
            allow_unstable: false,
        };
        let problem = Problem::from_design(&d)
            .with_s_max(s_max)
            .with_matrix(a.as_ref());
        let traj = CpuEngine.run(&problem, &batch, &NoProgress).unwrap();
        for (b, run) in g.runs.iter().enumerate() {
            for row in rows.iter().filter(|r| r.run_id == run.id) {
                let cp = traj.at(row.q as u64).unwrap();
                for (file, want, len) in [
                    (&row.f_file, &cp.f[b], d.n()),
                    (&row.w_file, &cp.w.as_ref().unwrap()[b], d.m()),
                ] {
                    let (shape, data) = read_npy(&dir.join(file)).unwrap();
                    assert_eq!(shape[1] as usize, len);
                    assert_eq!(shape[0] as usize, g.runs.len() * 3, "R·C rows");
                    let r = row.array_row as usize;
                    let got = &data[r * len..(r + 1) * len];
                    let same = got
                        .iter()
                        .zip(want)
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{file} row {r}: run {} q {}", run.id, row.q);
                }
            }
        }
    }
    // Without [output] arrays, nothing is written and the rows say so.
    let plain = tmp.path().join("plain");
    let (plan, state) = sweep_into(&plain, &ARRAYS.replace("arrays = [\"f\", \"w\"]", ""));
    assert!(!plain.join("arrays").exists());
    assert!(
        state
            .rows_of(&plan)
            .iter()
            .all(|r| r.f_file.is_empty() && r.w_file.is_empty() && r.array_row == -1)
    );
}

/// The GPU engine under a 4 KiB budget runs a 48 x 64 group (A = 12 KiB)
/// matrix-free, with s_max computed without a host A, and agrees with the
/// CPU sweep of the same runs.
#[cfg(feature = "gpu")]
#[test]
fn small_budget_runs_matrix_free_on_the_gpu() {
    use gdshrink::gpu::{GpuEngine, GpuGdOptions};

    struct Gpu;
    impl EngineSource for Gpu {
        fn engine(&self, p: &GroupParams) -> gdshrink::Result<Box<dyn Engine + '_>> {
            if p.device != "gpu" {
                return Ok(Box::new(CpuEngine));
            }
            Ok(Box::new(
                GpuEngine::new(crate::common::gpu::ctx()).with_options(GpuGdOptions {
                    strategy: p.strategy.parse()?,
                    memory_budget: p.memory_budget,
                    chunk: None,
                }),
            ))
        }
    }
    let src = "[fixed]\nn = 48\nm = 64\nmemory_budget = \"4KiB\"\n[axes]\ndevice = [\"cpu\", \"gpu\"]\nsignal = [\"blocks\", \"doppler\"]\n[checkpoints]\nq = [1, 10, 100]\n[output]\narrays = [\"f\"]\n";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    let spec = SweepSpec::parse(src, Path::new(".")).unwrap();
    let plan = Plan::from_spec(&spec).unwrap();
    check_resources(&plan).unwrap();
    prepare_folder(&dir, &plan, src, false).unwrap();
    let stop = AtomicBool::new(false);
    let opts = RunOptions {
        shard: (0, 1),
        stop: &stop,
    };
    let summary = run_sweep(&plan, &dir, opts, &Gpu, &Quiet).unwrap();
    assert_eq!((summary.runs_failed, summary.groups_failed), (0, 0));
    let rows = FolderState::read(&dir).unwrap().rows_of(&plan);
    let gpu: Vec<&Row> = rows.iter().filter(|r| r.device == "gpu").collect();
    assert_eq!(gpu.len(), 6);
    for r in &gpu {
        assert!(r.engine.contains("matrix-free"), "{}", r.engine);
        assert_eq!((r.status.as_str(), r.memory_budget), ("ok", 4096));
        let cpu = rows
            .iter()
            .find(|c| c.device == "cpu" && c.signal == r.signal && c.q == r.q)
            .unwrap();
        // s_max without A agrees with the dense estimate to rounding.
        assert!((r.s_max - cpu.s_max).abs() <= 1e-12 * cpu.s_max);
        // f32 against f64: the relative loss agrees to a few f32 roundings
        // per iteration at q <= 100 (the GPU tests bound it; here a sanity check).
        assert!(
            (r.loss_rel - cpu.loss_rel).abs() <= 1e-3 * cpu.loss_rel.max(1e-6),
            "{r:?}\n{cpu:?}"
        );
        let (shape, data) = read_npy(&dir.join(&r.f_file)).unwrap();
        assert_eq!(shape, [6, 48]);
        assert!(data.iter().all(|v| v.is_finite()));
    }
}

/// A tabulated activation in a sweep file: its path is relative to the sweep
/// file's folder, its group id follows the table's content, and a changed
/// table is refused where the stored name is read back.
#[test]
fn table_activation_ids_follow_the_content() {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sweep-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("eta.csv");
    std::fs::write(&table, "z,eta\n-1,0\n0,0.5\n1,1\n").unwrap();
    let src = "[fixed]\nn = 8\nm = 16\nsigma = 1\nactivation = \"table:eta.csv\"\n[checkpoints]\nq = [1, 10]\n";
    let plan = || Plan::from_spec(&SweepSpec::parse(src, &dir).unwrap()).unwrap();
    let first = plan();
    let name = first.groups[0].params.activation.clone();
    assert!(
        name.starts_with("table:") && name.contains("eta.csv@sha256:"),
        "{name}"
    );
    assert_eq!(plan().groups[0].id, first.groups[0].id, "ids are stable");
    std::fs::write(&table, "z,eta\n-1,0\n0,0.25\n1,1\n").unwrap();
    let second = plan();
    assert_ne!(
        second.groups[0].id, first.groups[0].id,
        "the id follows the content"
    );
    let e = gdshrink::studies::sweep::plan::design(&first.groups[0].params)
        .unwrap_err()
        .to_string();
    assert!(e.contains("changed"), "{e}");
    let bad = src.replace("eta.csv", "missing.csv");
    let e = Plan::from_spec(&SweepSpec::parse(&bad, &dir).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fixed.activation") && e.contains("no such file"),
        "{e}"
    );
}
