//! `gdshrink compare` from the command line: time-to-result, quality and the
//! crossover on the f64 CPU engine, and the GPU engine timed and labelled.

use serde_json::Value;

use crate::common::cli::gdshrink;
use crate::common::gpu::ctx;

#[test]
fn compare_cpu_reports_times_quality_and_crossover() {
    let assert = gdshrink()
        .args([
            "compare",
            "--engines",
            "cpu",
            "-a",
            "tanh",
            "--sizes",
            "64,128",
        ])
        .args(["--q", "1,10,100", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let reports = v.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1]["n"], 128);
    assert_eq!(reports[1]["m"], 128);
    for r in reports {
        assert!(r["closed"]["svd_seconds"].as_f64().unwrap() > 0.0);
        let e = &r["engines"][0];
        assert_eq!(e["engine"], "cpu-f64");
        for row in e["rows"].as_array().unwrap() {
            assert!(row["rel_err"].as_f64().unwrap() < 1e-12);
        }
        assert!(e["crossover"]["seconds_per_iteration"].as_f64().is_some());
        for q in r["quality"].as_array().unwrap() {
            assert!(q["pca_k"].as_u64().unwrap() >= 1);
            assert!(q["ridge_vs_gd"].as_f64().unwrap() < 1.0);
        }
    }
    gdshrink()
        .args(["compare", "--engines", "cpu", "--q", "0,10"])
        .assert()
        .failure();
}

#[test]
fn compare_times_the_gpu_and_labels_software() {
    let assert = gdshrink()
        .args([
            "compare", "-a", "relu", "--n", "32", "--m", "64", "--q", "1,10,100", "--json",
        ])
        .assert();
    let out = assert.get_output();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let engines = v[0]["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 2);
    let gpu = &engines[0];
    assert!(gpu["engine"].as_str().unwrap().starts_with("gpu-f32"));
    let ctx = ctx();
    assert_eq!(gpu["software"], ctx.adapter().software);
    for row in gpu["rows"].as_array().unwrap() {
        assert!(row["seconds"].as_f64().unwrap() > 0.0);
        assert!(row["rel_err"].as_f64().unwrap() < 1e-4);
    }
}
