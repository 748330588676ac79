//! CPU (f64, faer) benchmarks of the reference path: design-matrix build,
//! singular values, thin SVD, the Gram route, and the closed-form shrink of one
//! signal for 100 values of q from an existing SVD; and the design build of
//! every built-in activation (`design_build/<activation>/2048`, N = M = 2048,
//! σ = 30; 256 with `GDSHRINK_BENCH_QUICK`), the gdshrink side of
//! `benches/peers/design_build.py`.
//!
//! Matrix: tanh(σ(x_i − b_j)), σ = 30, N = M ∈ {1024, 2048}, linspace grids —
//! the same matrix as the numpy/LAPACK peer `benches/peers/numpy_cpu.py`.
//!
//! ```text
//! cargo bench --bench cpu                          # full sizes (several minutes)
//! GDSHRINK_BENCH_QUICK=1 cargo bench --bench cpu   # CI-sized: N = M = 256, few samples
//! RAYON_NUM_THREADS=1 cargo bench --bench cpu      # single-threaded faer
//! python3 benches/peers/criterion_table.py         # median / spread table of the last run
//! ```
//!
//! Throughput: the design build reports matrix entries per second; the shrink
//! reports flops per second of its two products U·[m ⊙ c] and V·[m/s ⊙ c]
//! (2·r·Q·(N + M) flops, criterion prints them as "elem/s"). The SVD routes
//! report time only: their flop counts depend on the algorithm.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use gdshrink::model::signal::Builtin;
use gdshrink::spectral;
use gdshrink::{Activation, Design};

const SIGMA: f64 = 30.0;
const NQ: usize = 100;

/// True when `GDSHRINK_BENCH_QUICK=1` (or any value other than empty / `0`).
fn quick() -> bool {
    std::env::var("GDSHRINK_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn sizes() -> Vec<usize> {
    if quick() { vec![256] } else { vec![1024, 2048] }
}

/// Samples and measurement time per group: heavy (SVD) groups take 10 samples.
fn tune(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, heavy: bool) {
    if quick() {
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
    } else if heavy {
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(20));
    } else {
        g.sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
    }
}

fn design(n: usize) -> Design {
    Design::spec(Activation::Tanh)
        .sigma(SIGMA)
        .n(n)
        .m(n)
        .build()
        .expect("valid design")
}

/// 100 values of q, log-spaced from 1 to 10⁴ (distinct integers not required).
fn q_values() -> Vec<u64> {
    (0..NQ)
        .map(|i| (10f64.powf(4.0 * i as f64 / (NQ - 1) as f64)).round() as u64)
        .collect()
}

fn bench_design(c: &mut Criterion) {
    let mut g = c.benchmark_group("design");
    tune(&mut g, false);
    for n in sizes() {
        let d = design(n);
        g.throughput(Throughput::Elements((n * n) as u64));
        g.bench_with_input(BenchmarkId::new("tanh", n), &d, |b, d| {
            b.iter(|| black_box(d.matrix()));
        });
    }
    g.finish();
}

/// `Design::matrix()` for every built-in activation at N = M = 2048.
fn bench_design_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("design_build");
    // 12 activations: 10 flat samples over 3 s each (quick: as everywhere).
    tune(&mut g, false);
    if !quick() {
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(3));
    }
    let n = if quick() { 256 } else { 2048 };
    for act in Activation::PAPER.into_iter().chain(Activation::EXTRA) {
        let d = design(n).with_activation(act);
        g.throughput(Throughput::Elements((n * n) as u64));
        g.bench_with_input(BenchmarkId::new(act.name(), n), &d, |b, d| {
            b.iter(|| black_box(d.matrix()));
        });
    }
    g.finish();
}

fn bench_svd(c: &mut Criterion) {
    let mut g = c.benchmark_group("svd");
    tune(&mut g, true);
    for n in sizes() {
        let a = design(n).matrix();
        g.bench_with_input(BenchmarkId::new("values", n), &a, |b, a| {
            b.iter(|| black_box(spectral::singular_values(a.as_ref()).expect("svd")));
        });
        g.bench_with_input(BenchmarkId::new("thin", n), &a, |b, a| {
            b.iter(|| black_box(spectral::thin_svd(a.as_ref()).expect("svd")));
        });
        g.bench_with_input(BenchmarkId::new("gram", n), &a, |b, a| {
            b.iter(|| black_box(spectral::singular_values_gram(a.as_ref()).expect("gram")));
        });
    }
    g.finish();
}

fn bench_shrink(c: &mut Criterion) {
    let mut g = c.benchmark_group("shrink_100q");
    tune(&mut g, false);
    for n in sizes() {
        let d = design(n);
        let svd = spectral::thin_svd(d.matrix().as_ref()).expect("svd");
        let y = Builtin::Heavisine.sample(d.x());
        let alpha = 1.0 / (svd.s_max() * svd.s_max());
        let masks = spectral::gd_exact_masks(alpha, &q_values());
        let r = svd.s.len() as u64;
        g.throughput(Throughput::Elements(2 * r * NQ as u64 * (2 * n) as u64));
        g.bench_with_input(BenchmarkId::new("gd_exact", n), &masks, |b, masks| {
            b.iter(|| black_box(spectral::shrink(&svd, &y, masks).expect("shrink")));
        });
    }
    g.finish();
}

// Plots off: criterion's plotters backend needs a system font for its captions,
// which the crate's plotters features (ab_glyph, no font discovery) do not provide.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench_design, bench_design_build, bench_svd, bench_shrink
}
criterion_main!(benches);
