//! Helpers shared by every test module: golden-data loading, the tolerance
//! formulas the f64 comparisons use (each one explained where defined), seeded
//! randomness and the list of activations the engine offers. The GPU context
//! and the GPU agreement check are in [`gpu`], running the binary in [`cli`].

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "gpu")]
pub mod gpu;

use std::path::PathBuf;

use gdshrink::{Activation, Design, Grid};
use serde_json::Value;

/// Machine epsilon of f64.
pub const EPS: f64 = f64::EPSILON;

/// Loads `tests/data/<name>` (a copy of the golden file of the same name).
pub fn load(name: &str) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read golden file {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("golden file {} is not JSON: {e}", path.display()))
}

/// The `cases` array of a golden file.
pub fn cases(v: &Value) -> &Vec<Value> {
    v["cases"].as_array().expect("golden file without `cases`")
}

/// A JSON number as f64 (panics with the key on anything else).
pub fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {}", short(v)))
}

/// A JSON non-negative integer as usize.
pub fn u(v: &Value, key: &str) -> usize {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not an integer in {}", short(v))) as usize
}

/// A JSON string.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {}", short(v)))
}

/// A JSON array of numbers as Vec<f64> (panics on anything else; the CLI
/// tests' [`cli::vecf`] reads `null` as NaN instead).
pub fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {}", short(v)))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

fn short(v: &Value) -> String {
    let t = v.to_string();
    t.chars().take(160).collect()
}

/// `activation n=… m=… sigma=… grid` label of a golden case, for messages.
pub fn label(c: &Value) -> String {
    format!(
        "{} N={} M={} sigma={} grid={}/{}",
        s(c, "activation"),
        u(c, "n"),
        u(c, "m"),
        f(c, "sigma"),
        c["grid"].as_str().unwrap_or("linspace"),
        c["bias_grid"].as_str().unwrap_or("linspace"),
    )
}

/// The library's design for a golden case (grids default to linspace).
pub fn design(c: &Value) -> Design {
    let act: Activation = s(c, "activation").parse().expect("activation name");
    let grid: Grid = c["grid"]
        .as_str()
        .unwrap_or("linspace")
        .parse()
        .expect("grid");
    let bias_grid: Grid = c["bias_grid"]
        .as_str()
        .unwrap_or("linspace")
        .parse()
        .expect("bias grid");
    Design::spec(act)
        .sigma(f(c, "sigma"))
        .n(u(c, "n"))
        .m(u(c, "m"))
        .grid(grid)
        .bias_grid(bias_grid)
        .build()
        .expect("golden case must be a valid design")
}

/// Bound on the difference of the same singular value computed by two
/// backward-stable f64 SVDs (faer here, LAPACK for the golden data):
/// each returns the exact singular values of A + E with ‖E‖₂ ≤ p(N, M)·ε·‖A‖₂,
/// and Weyl's inequality turns that into |Δs_k| ≤ ‖E‖₂ for every k. The two
/// matrices also differ by the rounding of η (libm vs numpy, ≤ a few ulp per
/// entry: ‖ΔA‖₂ ≤ ‖ΔA‖_F ≲ few·ε·√min(N,M)·s_0). We take p = SVD_C·max(N, M),
/// the textbook size factor, with SVD_C = 1: the measured worst case over all
/// 72 golden spectra is 0.27·ε·max(N,M)·s_0 (printed by `spectra_match_lapack`),
/// a 3.7× margin.
pub const SVD_C: f64 = 1.0;

/// |Δs_k| allowed between two f64 SVDs of an N×M matrix with largest singular value s0.
pub fn sv_abs_tol(n: usize, m: usize, s0: f64) -> f64 {
    SVD_C * EPS * n.max(m) as f64 * s0
}

/// Checks a spectrum against a golden one to [`sv_abs_tol`], naming the index.
#[track_caller]
pub fn check_singular_values(got: &[f64], want: &[f64], n: usize, m: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: number of singular values");
    let tol = sv_abs_tol(n, m, want[0]);
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}: s_{k} = {g:e}, golden {w:e}, |diff| {:e} > tol {tol:e} (= {SVD_C}·ε·max(N,M)·s_0)",
            (g - w).abs()
        );
    }
}

/// Relative ℓ2 error ‖got − want‖/‖want‖ (the crate's definition; NaN never passes).
pub fn rel(got: &[f64], want: &[f64]) -> f64 {
    gdshrink::gd::rel_error(got, want)
}

/// Asserts `err <= tol`, NaN failing, with a message naming what was compared.
#[track_caller]
pub fn assert_le(err: f64, tol: f64, what: &str) {
    assert!(
        err <= tol,
        "{what}: error {err:e} exceeds tolerance {tol:e}"
    );
}

/// Seeded random source for the tests.
#[cfg(feature = "gpu")]
pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// The dense z-grid of the activation tests (the WGSL twins and the slice
/// evaluator): z = 0, tiny, an 8001-point grid on [−20, 20], integers and
/// half-integers ± small offsets to 60 (the zeros of sinc and the
/// wavepacket's carrier), landmarks to 1e30 and 20000 log-uniform |z| in
/// [1e−30, 1e30], each with both signs.
pub fn dense_z_grid() -> Vec<f64> {
    use rand::Rng;
    let mut z: Vec<f64> = vec![0.0, 1e-30, 1e-8, 1e-4, 0.125, 0.5];
    for i in 0..=8000 {
        z.push(-20.0 + 40.0 * f64::from(i) / 8000.0);
    }
    for k in 1..=60 {
        for d in [0.0, 1e-6, 1e-3, 0.25, 0.5] {
            z.push(f64::from(k) + d);
            z.push(f64::from(k) - d);
        }
    }
    for &m in &[
        1.0, 2.0, 9.0, 10.0, 14.0, 15.0, 44.0, 45.0, 88.0, 89.0, 100.0, 1e3, 1e4, 1e6, 1e10, 1e20,
        1e30,
    ] {
        z.push(m);
    }
    let mut rng = rng(7);
    for _ in 0..20000 {
        z.push(10f64.powf(rng.random_range(-30.0..30.0)));
    }
    let neg: Vec<f64> = z.iter().map(|&v| -v).collect();
    z.extend(neg);
    z
}

/// Every activation the engine offers (the paper's, a few spline orders and
/// a tabulated one, [`wiggle_table`]).
#[cfg(feature = "gpu")]
pub fn all_activations() -> Vec<Activation> {
    let mut v = Activation::PAPER.to_vec();
    v.extend(Activation::EXTRA);
    v.extend([
        Activation::Spline(1),
        Activation::Spline(4),
        Activation::Spline(8),
        wiggle_table(),
    ]);
    v
}

/// Writes `eta(z_k)` on z_k = z0 + k·h, k < n, as a table file `name` (.csv
/// or .npy, through the library's writer) in the tests' scratch folder and
/// returns the parsed `table:PATH` activation.
pub fn write_table(name: &str, z0: f64, h: f64, n: usize, eta: impl Fn(f64) -> f64) -> Activation {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tables");
    std::fs::create_dir_all(&dir).unwrap();
    let z: Vec<f64> = (0..n).map(|k| z0 + k as f64 * h).collect();
    let v: Vec<f64> = z.iter().map(|&z| eta(z)).collect();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    gdshrink::output::Table::new()
        .with("z", z)
        .with("eta", v)
        .write(&path)
        .unwrap();
    format!("table:{}", path.display()).parse().unwrap()
}

/// A non-monotonic table with non-zero, unequal ends: tanh(z) plus a
/// wiggle 0.3·e^(−z²)·sin(3z) on [−8, 8] with h = 1/16 (257 points),
/// constant beyond (so a design with σ ≤ 8 on [0, 1] stays on the grid).
pub fn wiggle_table() -> Activation {
    static T: std::sync::OnceLock<Activation> = std::sync::OnceLock::new();
    *T.get_or_init(|| {
        write_table("wiggle.csv", -8.0, 1.0 / 16.0, 257, |z| {
            z.tanh() + 0.3 * (-z * z).exp() * (3.0 * z).sin()
        })
    })
}
