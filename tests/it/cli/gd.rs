//! `gdshrink gd`: literal gradient descent on the CPU against `shrink`,
//! batches of signals × learning rates with their files, divergence, and the
//! GPU engine against the CPU.

use gdshrink::gd::rel_error;
use gdshrink::model::grid::linspace;
use gdshrink::output::array::read_npy;
use gdshrink::{Activation, Design};
use serde_json::Value;

use crate::common::cli::{
    CONFIG_KEYS, col, fails, gdshrink, has_keys, json, npy_col, ok, read_csv, vecf,
};

#[test]
fn gd_cpu_agrees_with_shrink_gd_exact() {
    let model = ["-a", "tanh", "-n", "24", "-m", "40", "--q", "1,10,100,1000"];
    let g = json(&[&["gd", "--device", "cpu", "--record-w"][..], &model[..]].concat());
    let s = json(&[&["shrink"][..], &model[..]].concat());
    has_keys(&g, &CONFIG_KEYS);
    has_keys(
        &g,
        &[
            "device",
            "adapter",
            "strategy",
            "s_max",
            "stability_limit",
            "signal",
            "alpha",
            "runs",
            "q",
            "x",
            "y",
            "loss",
            "f",
            "w",
            "b",
            "ok",
            "elapsed_s",
        ],
    );
    assert_eq!(g["engine"], "cpu-f64");
    assert_eq!(g["device"], "cpu");
    assert_eq!(g["ok"], true);
    assert_eq!(g["runs"][0]["status"], "ok");
    assert_eq!(g["q"], s["q"]);
    // gd estimates s_max by Lanczos, shrink takes it from the full SVD: they
    // agree to ~1e-14 (the Lanczos stopping rule), far inside the 1e-10 below.
    let (ga, sa) = (
        g["alpha"][0].as_f64().unwrap(),
        s["alpha"].as_f64().unwrap(),
    );
    assert!((ga - sa).abs() <= 1e-12 * sa, "alpha {ga} vs {sa}");
    for i in 0..4 {
        let ef = rel_error(&vecf(&g["f"][0][i]), &vecf(&s["gd_exact"]["f"][i]));
        let ew = rel_error(&vecf(&g["w"][0][i]), &vecf(&s["gd_exact"]["w"][i]));
        assert!(ef < 1e-10, "f at q#{i}: {ef:e}");
        assert!(ew < 1e-10, "w at q#{i}: {ew:e}");
        let gl = g["loss"][0][i].as_f64().unwrap();
        let sl = s["gd_exact"]["loss"][i].as_f64().unwrap();
        assert!((gl - sl).abs() < 1e-10 * sl);
    }
}

#[test]
fn gd_batches_signals_times_alphas() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("gd.npy");
    let args = [
        "gd",
        "-a",
        "gelu",
        "--sigma",
        "10",
        "-n",
        "20",
        "-m",
        "30",
        "--signal",
        "blocks,doppler",
        "--alpha",
        "auto,1e-4",
        "--q",
        "0,5,50",
        "--record-w",
        "--eval-points",
        "7",
    ];
    let table = ok(&args);
    assert!(
        table.contains("doppler") && table.contains("loss/loss_0"),
        "{table}"
    );
    let j = json(&[&args[..], &["--out", npy.to_str().unwrap()]].concat());
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    // signal-major: run = signal_index * 2 + alpha_index
    let order: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["signal"].as_str().unwrap(),
                r["alpha_rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("blocks", "1/s_max^2"),
            ("blocks", "given"),
            ("doppler", "1/s_max^2"),
            ("doppler", "given")
        ]
    );
    assert_eq!(runs[1]["alpha"], 1e-4);
    // q = 0: f = 0, loss = ½‖y‖².
    let y0 = vecf(&j["y"][0]);
    assert!(vecf(&j["f"][0][0]).iter().all(|&v| v == 0.0));
    let l0 = j["loss"][0][0].as_f64().unwrap();
    assert!((l0 - 0.5 * y0.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12 * l0);
    // f on the evaluation grid is the network with the recorded weights.
    let d = Design::spec(Activation::Gelu)
        .sigma(10.0)
        .n(20)
        .m(30)
        .build()
        .unwrap();
    let p = vecf(&j["eval_points"]);
    assert_eq!(p, linspace(7));
    for b in 0..4 {
        let w = vecf(&j["w"][b][2]);
        let want = d.eval(&w, &p).unwrap();
        assert!(rel_error(&vecf(&j["f_eval"][b][2]), &want) < 1e-12);
    }
    // File: x, y_r0..3, f_r{b}_q{q} (12), b, w (12), x_eval, feval (12), q, loss_r0..3.
    let cols: Vec<&str> = j["out_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cols.len(), 1 + 4 + 12 + 1 + 12 + 1 + 12 + 1 + 4);
    assert_eq!(&cols[..6], ["x", "y_r0", "y_r1", "y_r2", "y_r3", "f_r0_q0"]);
    assert_eq!(cols[17], "b");
    assert_eq!(cols[30], "x_eval");
    assert_eq!(
        &cols[43..],
        ["q", "loss_r0", "loss_r1", "loss_r2", "loss_r3"]
    );
    let (shape, data) = read_npy(&npy).unwrap();
    assert_eq!(shape, vec![30, cols.len() as u64]);
    let c = cols.iter().position(|&c| c == "f_r3_q50").unwrap();
    assert!(rel_error(&npy_col(&shape, &data, c), &vecf(&j["f"][3][2])) < 1e-15);
    let c = cols.iter().position(|&c| c == "loss_r2").unwrap();
    assert!(rel_error(&npy_col(&shape, &data, c), &vecf(&j["loss"][2])) < 1e-15);
}

#[test]
fn gd_divergence_keeps_what_was_computed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("div.csv");
    // relu, N = M = 20: s_max ≈ 120, so alpha = 1 is far beyond 2/s_max².
    let base = ["gd", "-a", "relu", "-n", "20", "-m", "20", "--q", "1,200"];
    let err = fails(&[&base[..], &["--alpha", "1"]].concat());
    assert!(
        err.contains("unstable") && err.contains("alpha < "),
        "{err}"
    );

    let out = gdshrink()
        .args(base)
        .args(["--alpha", "1e-5,1", "--allow-unstable", "--json"])
        .args(["--out", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "divergence must exit non-zero");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("run 1") && err.contains("diverged at iteration"),
        "{err}"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["ok"], false);
    assert_eq!(j["runs"][0]["status"], "ok");
    assert_eq!(j["runs"][1]["status"], "diverged");
    assert!(j["runs"][1]["iteration"].is_u64());
    // The stable run is complete; the diverged run's q = 1 state was recorded before the failure.
    assert!(vecf(&j["f"][0][1]).iter().all(|v| v.is_finite()));
    assert!(vecf(&j["f"][1][0]).iter().all(|v| v.is_finite()));
    let t = read_csv(&csv);
    assert_eq!(col(&t, "f_r0_q200").len(), 20);
    assert_eq!(col(&t, "f_r1_q1").len(), 20);
}

// ---------------------------------------------------------------- gd (gpu)

/// Tolerance of `--device gpu` against `--device cpu` (function space,
/// relative): the GPU engine (`gdshrink::gpu::GpuEngine`) iterates in f32
/// (u = 6e-8). Each step forms r = y − A w and Aᵀ r with dot products of
/// length ≤ 96, i.e. ≲ √96·u ≈ 6e-7 relative rounding per step (random-walk
/// model); A itself is rounded to f32 (≲ u per entry). With α = 1/s_max²
/// every factor |1 − αs²| ≤ 1, so GD is non-expansive in function space and
/// the per-step errors add at most linearly: ≲ 100 · 6e-7 = 6e-5 after
/// q = 100. 1e-3 keeps a margin > 10x. Weight space is not compared: the
/// directions with tiny s amplify f32 rounding there (SPEC §3).
const F_TOL: f64 = 1e-3;

/// Every strategy of the GPU engine, through the command, against the CPU.
#[test]
fn gd_gpu_matches_cpu() {
    let common = [
        "gd",
        "-a",
        "tanh",
        "-n",
        "48",
        "-m",
        "96",
        "--signal",
        "heavisine,doppler",
        "--q",
        "1,10,100",
        "--eval-points",
        "33",
    ];
    let cpu = json(&[&common[..], &["--device", "cpu"]].concat());
    for strategy in ["auto", "primal", "dual", "matrix-free"] {
        let gpu = json(&[&common[..], &["--device", "gpu", "--strategy", strategy]].concat());
        assert_eq!(gpu["device"], "gpu");
        assert_eq!(gpu["strategy"], strategy);
        assert_eq!(gpu["ok"], true, "{strategy}: {}", gpu["runs"]);
        assert!(
            gpu["adapter"]["name"].is_string(),
            "the output names the adapter"
        );
        assert_ne!(gpu["engine"], cpu["engine"]);
        assert_eq!(gpu["q"], cpu["q"]);
        for b in 0..2 {
            for i in 0..3 {
                let ef = rel_error(&vecf(&gpu["f"][b][i]), &vecf(&cpu["f"][b][i]));
                let ee = rel_error(&vecf(&gpu["f_eval"][b][i]), &vecf(&cpu["f_eval"][b][i]));
                assert!(
                    ef <= F_TOL && ee <= F_TOL,
                    "{strategy}, run {b}, q = {}: rel error f {ef:e}, f_eval {ee:e} (tol {F_TOL:e})",
                    cpu["q"][i]
                );
            }
        }
    }
}

/// `A` (rows × cols, f32 values) written as a 2-D `.npy` in Fortran order.
fn write_fortran_f32(path: &std::path::Path, a: &faer::Mat<f64>) {
    use npyz::WriterBuilder;
    let (n, m) = (a.nrows(), a.ncols());
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .order(npyz::Order::Fortran)
        .shape(&[n as u64, m as u64])
        .writer(file)
        .begin_nd()
        .unwrap();
    for j in 0..m {
        for i in 0..n {
            w.push(&(a[(i, j)] as f32)).unwrap();
        }
    }
    w.finish().unwrap();
}

#[test]
fn gd_design_file_is_a_users_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let d = Design::spec(Activation::Tanh)
        .sigma(30.0)
        .n(24)
        .m(40)
        .build()
        .unwrap();
    // A rounded to f32 (the file holds f32, Fortran order), kept in f64 for the check.
    let a = faer::Mat::from_fn(24, 40, |i, j| f64::from(d.matrix()[(i, j)] as f32));
    let path = dir.path().join("a.npy");
    write_fortran_f32(&path, &a);
    let file = path.to_str().unwrap();
    let q = ["--q", "1,10,100", "--record-w"];
    let cpu = json(&[&["gd", "--design", file][..], &q[..]].concat());
    assert_eq!(cpu["ok"], true);
    assert_eq!(cpu["design_file"], file);
    assert_eq!((cpu["n"].as_u64(), cpu["m"].as_u64()), (Some(24), Some(40)));
    // The result is GD on the file's A: f = A w at every checkpoint, read
    // back in the right order (a transposed read would not even have A's
    // shape); f64 products of 40 terms: 1e-12 relative is generous.
    for i in 0..3 {
        let w = vecf(&cpu["w"][0][i]);
        let f = vecf(&cpu["f"][0][i]);
        let aw: Vec<f64> = (0..24)
            .map(|r| (0..40).map(|c| a[(r, c)] * w[c]).sum())
            .collect();
        assert!(
            rel_error(&f, &aw) < 1e-12,
            "q#{i}: {:e}",
            rel_error(&f, &aw)
        );
    }
    let gpu = json(&[&["gd", "--design", file, "--device", "gpu"][..], &q[..]].concat());
    assert_eq!(gpu["ok"], true, "{}", gpu["runs"]);
    for i in 0..3 {
        let ef = rel_error(&vecf(&gpu["f"][0][i]), &vecf(&cpu["f"][0][i]));
        assert!(ef <= F_TOL, "gpu vs cpu on a user's A at q#{i}: {ef:e}");
    }
    // A user's A has no network: network flags, matrix-free and a 1-D file are refused.
    let e = fails(&["gd", "--design", file, "-a", "relu"]);
    assert!(e.contains("--design") && e.contains("--activation"), "{e}");
    let e = fails(&[
        "gd",
        "--design",
        file,
        "--device",
        "gpu",
        "--strategy",
        "matrix-free",
    ]);
    assert!(e.contains("matrix-free"), "{e}");
    let v = dir.path().join("v.npy");
    gdshrink::output::array::write_npy(&v, &[5], &[1.0; 5]).unwrap();
    let e = fails(&["gd", "--design", v.to_str().unwrap()]);
    assert!(e.contains("expected a 2-D matrix"), "{e}");
}

#[test]
fn gd_gpu_device_plan_switches_or_refuses_by_the_budget() {
    // A (f32, 16 × 1024) is 64 KiB and K = A A^T (16 × 16) 1 KiB: a budget of
    // 512 bytes holds neither, so auto runs matrix-free and says so first.
    let args = [
        "gd",
        "--device",
        "gpu",
        "-n",
        "16",
        "-m",
        "1024",
        "--q",
        "1,10",
        "--memory-budget",
        "512",
    ];
    let out = gdshrink().args(args).arg("--json").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("gd: plan:")
            && err
                .contains("auto: matrix-free (neither A, 64.0 KiB, nor K = A A^T, 1.0 KiB, fits)")
            && err.contains("512 B (--memory-budget 512)"),
        "{err}"
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        j["engine"].as_str().unwrap().contains("matrix-free"),
        "{}",
        j["engine"]
    );
    assert_eq!(j["ok"], true);
    // Explicit strategies that must store what does not fit are refused
    // before any work, with both numbers.
    let e = fails(&[&args[..], &["--strategy", "primal"]].concat());
    assert!(
        e.contains("--strategy primal: A (f32) needs 64.0 KiB")
            && e.contains("512 B (--memory-budget 512)"),
        "{e}"
    );
    let e = fails(&[&args[..], &["--strategy", "dual"]].concat());
    assert!(
        e.contains("--strategy dual: K = A A^T (f32) needs 1.0 KiB") && e.contains("512 B"),
        "{e}"
    );
    let e = fails(&[
        "validate",
        "--device",
        "gpu",
        "-n",
        "16",
        "-m",
        "1024",
        "--q",
        "1",
        "--strategy",
        "primal",
        "--memory-budget",
        "512",
    ]);
    assert!(
        e.contains("--strategy primal: A (f32) needs 64.0 KiB") && e.contains("512 B"),
        "{e}"
    );
    // The budget is a GPU setting.
    let e = fails(&["gd", "-n", "8", "-m", "8", "--memory-budget", "512"]);
    assert!(
        e.contains("--memory-budget") && e.contains("--device gpu"),
        "{e}"
    );
    let e = fails(&["gd", "--device", "gpu", "--memory-budget", "0"]);
    assert!(e.contains("--memory-budget"), "{e}");
}
