//! `gdshrink penalty`: the table, `--json` against the library (the exponent
//! of relu and the agreement), the `--out` file and bad flags.

use gdshrink::Activation;
use gdshrink::spectral::penalty::{FftGrid, penalty_exponent, power_spectrum};

use crate::common::cli::{CONFIG_KEYS, col, fails, has_keys, json, ok, read_csv};

const ARGS: [&str; 9] = [
    "penalty", "-a", "relu", "--sigma", "64", "-n", "64", "-m", "64",
];

#[test]
fn penalty_table_json_and_file() {
    let table = ok(&ARGS);
    assert!(
        table.contains("penalty exponent over nu in [0.05, 1]"),
        "{table}"
    );
    assert!(table.contains("K kept"), "{table}");

    let j = json(&ARGS);
    has_keys(&j, &CONFIG_KEYS);
    has_keys(
        &j,
        &[
            "exponent",
            "exponent_analytic",
            "agreement",
            "table",
            "grid",
        ],
    );
    // The CLI runs the library on the same grid (σ = 64, ν_max = 32.25 gives
    // h = 1/64, L = 2^18 = FftGrid::default()): identical numbers up to the
    // JSON round trip (1e-12, see the module docs of `cli`).
    let sp = power_spectrum(Activation::Relu, FftGrid::default()).unwrap();
    let fit = penalty_exponent(&sp, 0.05, 1.0).unwrap();
    let got = j["exponent"]["slope"].as_f64().unwrap();
    assert!(
        (got - fit.slope).abs() <= 1e-12 * fit.slope.abs(),
        "{got} vs {}",
        fit.slope
    );
    assert!((got - 4.0).abs() < 0.1, "{got}");
    let a = &j["agreement"];
    assert!(a["correlation"].as_f64().unwrap() > 0.999, "{a}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.csv");
    ok(&[&ARGS[..], &["--out", out.to_str().unwrap()]].concat());
    let t = read_csv(&out);
    let nu = col(&t, "nu");
    assert_eq!(nu.len(), sp.nu.len());
    let k: Vec<f64> = col(&t, "k").into_iter().filter(|v| v.is_finite()).collect();
    assert_eq!(k.len(), 64);
}

#[test]
fn bad_flags_name_the_value() {
    let e = fails(&[&ARGS[..], &["--fit-band", "1:0.5"]].concat());
    assert!(e.contains("1:0.5") && e.contains("LO:HI"), "{e}");
    let e = fails(&[&ARGS[..], &["--k-band", "0:10"]].concat());
    assert!(e.contains("0:10"), "{e}");
    let e = fails(&[&ARGS[..], &["--floor", "2"]].concat());
    assert!(e.contains("'2'"), "{e}");
    let e = fails(&[&ARGS[..], &["--k-band", "1:500"]].concat());
    assert!(
        e.contains("--k-band 1:500") && e.contains("min(--n, --m) = min(64, 64) = 64"),
        "{e}"
    );
}

#[test]
fn penalty_plans_its_memory_before_any_work() {
    // A (f64, 10⁶ × 10⁶) and its singular values: refused with both numbers
    // before A is built (this aborted on a failed allocation before).
    let e = fails(&[
        "penalty", "-a", "relu", "--sigma", "1e-3", "-n", "1000000", "-m", "1000000",
    ]);
    assert!(
        e.contains("A (f64, 1000000 × 1000000)")
            && e.contains("host memory")
            && e.contains("--n or --m"),
        "{e}"
    );
    // An output path that cannot be written fails before the work.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("x.csv");
    let e = fails(&[&ARGS[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(e.contains("x.csv"), "{e}");
}

#[test]
fn penalty_study_errors_name_their_flags() {
    let e = fails(&[&ARGS[..], &["--floor", "-inf"]].concat());
    assert!(e.contains("--floor") && e.contains("-inf"), "{e}");
    let e = fails(&[&ARGS[..], &["--fit-band", "1e-300:1e-299"]].concat());
    assert!(
        e.contains("--fit-band 1e-300:1e-299") && e.contains("--sigma"),
        "{e}"
    );
    // Fewer than 4 components (a grid file of 3 points fixes N = 3).
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.txt");
    std::fs::write(&g, "1\n2\n3\n").unwrap();
    let e = fails(&[&ARGS[..], &["--grid", g.to_str().unwrap()]].concat());
    assert!(
        e.contains("min(points of --grid, --m) = min(3, 64) = 3"),
        "{e}"
    );
    // A zero bias grid leaves no band above the floor: the band's flags are named.
    let z = dir.path().join("z.txt");
    std::fs::write(&z, "0\n".repeat(16)).unwrap();
    let e = fails(&[&ARGS[..], &["--bias-grid", z.to_str().unwrap()]].concat());
    assert!(e.contains("--k-band") && e.contains("--floor"), "{e}");
    // spline:8 vanishes at every z = σ(x − b) <= 0: A is zero.
    let e = fails(&[
        "penalty",
        "-a",
        "spline:8",
        "--grid",
        z.to_str().unwrap(),
        "-n",
        "16",
        "-m",
        "16",
    ]);
    assert!(
        e.contains("must not be zero") && e.contains("--grid"),
        "{e}"
    );
}
