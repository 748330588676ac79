//! `gdshrink qk`: the q(K) table against the library, unreachable K, lists of
//! activations and the file layout.

use gdshrink::spectral::{self, qk};
use gdshrink::{Activation, Design};

use crate::common::cli::{has_keys, json, ok, read_csv, vecf};

#[test]
fn qk_single_activation() {
    let args = [
        "qk",
        "-a",
        "heaviside",
        "-n",
        "64",
        "-m",
        "64",
        "--k-max",
        "6",
    ];
    let table = ok(&args);
    assert!(
        table.contains("q(K)") && table.contains("(s_0/s_(K-1))^2"),
        "{table}"
    );
    let j = json(&args);
    has_keys(
        &j,
        &[
            "command",
            "engine",
            "n",
            "m",
            "grid",
            "bias_grid",
            "k",
            "activations",
        ],
    );
    assert_eq!(vecf(&j["k"]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let a = &j["activations"][0];
    has_keys(a, &["activation", "sigma", "s_max", "q", "ratio_sq"]);
    let d = Design::spec(Activation::Heaviside)
        .sigma(64.0)
        .n(64)
        .m(64)
        .build()
        .unwrap();
    let s = spectral::singular_values(d.matrix().as_ref()).unwrap();
    let lib = qk::q_table(&s, 6, 64, 64).unwrap();
    for (i, row) in lib.iter().enumerate() {
        assert_eq!(a["q"][i].as_u64(), row.q);
        // heaviside: q(K) ≈ (2K−1)² (SPEC §5; within 5% at N = 64).
        let expect = ((2 * row.k - 1) * (2 * row.k - 1)) as f64;
        assert!((row.q.unwrap() as f64 - expect).abs() <= 0.05 * expect + 1.0);
    }
}

#[test]
fn qk_unreachable_and_lists() {
    // relu with x_0 = b_0 = 0: row 0 of A is zero, so s_{N-1} = 0 and q(N) is unreachable.
    let args = [
        "qk",
        "-a",
        "relu,tanh",
        "-n",
        "12",
        "-m",
        "12",
        "--k-max",
        "12",
    ];
    let table = ok(&args);
    let last = table.lines().find(|l| l.starts_with("12 ")).unwrap();
    assert!(last.contains("unreachable"), "{table}");
    let j = json(&args);
    let acts = j["activations"].as_array().unwrap();
    assert_eq!(acts[0]["activation"], "relu");
    assert_eq!(acts[1]["activation"], "tanh");
    assert!(acts[0]["q"][11].is_null());
    assert!(acts[0]["ratio_sq"][11].is_null());
    assert!(acts[0]["q"][10].is_u64());

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("qk.csv");
    ok(&[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    let t = read_csv(&csv);
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["K", "q_relu", "ratio_sq_relu", "q_tanh", "ratio_sq_tanh"]
    );
    assert!(t[1].1[11].is_nan(), "unreachable is NaN in files");

    let all = json(&["qk", "-a", "all", "-n", "16", "-m", "16", "--k-max", "3"]);
    let names: Vec<&str> = all["activations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["activation"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "heaviside",
            "tanh",
            "relu",
            "relu2",
            "gelu",
            "silu",
            "sinc",
            "gaussian"
        ]
    );
}

/// Where a full SVD is costly (N = M = 2048, K_max = 6) q(K) comes from the
/// topk route, which needs only s_0 … s_{K_max−1}: the header says so and the
/// q(K) equal those of the full spectrum (the values agree to ≈ ε·L·s_0, far
/// inside the 1e-9 rounding margin of q(K)).
#[test]
fn qk_takes_the_topk_route_when_the_svd_is_costly() {
    let args = [
        "qk", "-a", "relu", "-n", "2048", "-m", "2048", "--k-max", "6",
    ];
    let j = json(&args);
    assert!(
        j["engine"].as_str().unwrap().contains("Krylov"),
        "{}",
        j["engine"]
    );
    let col = &j["activations"][0];
    assert_eq!(col["topk_converged"], true);
    assert!(col["topk_max_residual"].as_f64().unwrap() <= 1e-10);
    let d = Design::spec(Activation::Relu)
        .sigma(2048.0)
        .n(2048)
        .m(2048)
        .build()
        .unwrap();
    let s = spectral::singular_values(d.matrix().as_ref()).unwrap();
    let want = qk::q_table(&s, 6, 2048, 2048).unwrap();
    let got: Vec<Option<u64>> = col["q"]
        .as_array()
        .unwrap()
        .iter()
        .map(serde_json::Value::as_u64)
        .collect();
    assert_eq!(got, want.iter().map(|r| r.q).collect::<Vec<_>>());
    // Small problems keep the full SVD.
    let small = json(&["qk", "-a", "relu", "-n", "64", "-m", "64", "--k-max", "6"]);
    assert!(!small["engine"].as_str().unwrap().contains("Krylov"));
}
