//! GPU gradient-descent throughput: GD steps per second, effective GB/s and
//! GFLOP/s per strategy, for N = M ∈ {1024, 4096}, B ∈ {1, 16, 64} and the
//! Fig 6 size (N = 256, M = 1024).
//!
//! Timing: `iter_custom` around `PreparedGd::advance`, which records the steps
//! into command buffers, submits them and blocks until the device has finished
//! (a poll on the last submission) — the clock never stops before the GPU does.
//! Set-up (building A, forming K or G, compiling) is excluded and reported
//! separately in the summary table printed at the end (and written to
//! `$CARGO_TARGET_TMPDIR/gdshrink-gpu-bench.md`).
//!
//! `GDSHRINK_BENCH_QUICK=1`: N = M = 256 and the Fig 6 size, B ∈ {1, 16}, short
//! measurements — sized for lavapipe. Figures from a software adapter say
//! nothing about a GPU; the table says which adapter produced them.
//!
//! `GDSHRINK_BENCH_OCCUPANCY=W`: product kernels aim at W workgroups
//! ([`GpuOptions::occupancy`](gdshrink::gpu::GpuOptions)) instead of the
//! adapter's default, to tune it on a new GPU.
//!
//! Run: `cargo bench --bench gpu` (select an adapter with GDSHRINK_ADAPTER).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gdshrink::gd::{GdBatch, Problem};
use gdshrink::gpu::{GpuContext, GpuEngine, GpuGdOptions, GpuOptions, PreparedGd, Strategy};
use gdshrink::{Activation, Design};

struct Case {
    n: usize,
    m: usize,
    b: usize,
    strategy: Strategy,
}

fn quick() -> bool {
    std::env::var("GDSHRINK_BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn cases() -> Vec<Case> {
    let (sizes, batches): (Vec<(usize, usize)>, Vec<usize>) = if quick() {
        (vec![(256, 256), (256, 1024)], vec![1, 16])
    } else {
        (
            vec![(1024, 1024), (4096, 4096), (256, 1024)],
            vec![1, 16, 64],
        )
    };
    let mut v = Vec::new();
    for &(n, m) in &sizes {
        for &b in &batches {
            for strategy in [Strategy::Primal, Strategy::Dual, Strategy::MatrixFree] {
                v.push(Case { n, m, b, strategy });
            }
        }
    }
    v
}

fn prepare<'c>(ctx: &'c GpuContext, c: &Case) -> PreparedGd<'c> {
    let d = Design::spec(Activation::Tanh)
        .sigma(30.0)
        .n(c.n)
        .m(c.m)
        .build()
        .expect("design");
    let y: Vec<Vec<f64>> = (0..c.b)
        .map(|k| {
            d.x()
                .iter()
                .map(|x| ((1 + k) as f64 * 3.0 * x).sin())
                .collect()
        })
        .collect();
    // |A_ij| ≤ 1, so s_max² ≤ N·M and α = 1/(N·M) is stable.
    let alpha = 1.0 / (c.n * c.m) as f64;
    let batch = GdBatch::new(y, vec![alpha; c.b], vec![1 << 40]);
    let opts = GpuGdOptions {
        strategy: c.strategy,
        ..Default::default()
    };
    GpuEngine::new(ctx)
        .with_options(opts)
        .prepare(&Problem::from_design(&d), &batch)
        .expect("prepare")
}

fn bench_gd(crit: &mut Criterion) {
    let occupancy = std::env::var("GDSHRINK_BENCH_OCCUPANCY").ok().map(|v| {
        v.parse::<usize>()
            .expect("GDSHRINK_BENCH_OCCUPANCY: a number of workgroups")
    });
    let opts = GpuOptions {
        occupancy,
        ..Default::default()
    };
    let ctx = GpuContext::new(&opts).unwrap_or_else(|e| {
        panic!("the GPU bench needs a wgpu adapter ({e}); lavapipe works (GDSHRINK_BENCH_QUICK=1)")
    });
    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "adapter: {}\nmode: {}\noccupancy: {} workgroups per product\n\n| N | M | B | strategy | set-up (s) | steps/s | eff. GB/s | GFLOP/s | launches/step | encode µs/step |\n|---|---|---|---|---|---|---|---|---|---|",
        ctx.describe(),
        if quick() {
            "quick (GDSHRINK_BENCH_QUICK=1)"
        } else {
            "full"
        },
        gdshrink::gpu::testing::tuning(&ctx).occupancy
    );
    let mut group = crit.benchmark_group("gd_step");
    if quick() {
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    }
    for c in cases() {
        // A first preparation compiles the kernels; the second is timed.
        drop(prepare(&ctx, &c));
        let t0 = Instant::now();
        let mut p = prepare(&ctx, &c);
        let setup = t0.elapsed().as_secs_f64();
        let plan = p.plan().clone();
        let id = format!("{}x{}/B={}/{}", c.n, c.m, c.b, c.strategy);
        group.throughput(Throughput::ElementsAndBytes {
            elements: 1,
            bytes: plan.step_bytes as u64,
        });
        group.bench_function(BenchmarkId::from_parameter(&id), |bch| {
            bch.iter_custom(|iters| {
                let t = Instant::now();
                p.advance(iters).expect("advance");
                t.elapsed()
            });
        });
        // Summary: enough steps for ~0.5 s (quick) or ~2 s.
        let target = if quick() { 0.5 } else { 2.0 };
        let t = Instant::now();
        p.advance(8).expect("advance");
        let per = t.elapsed().as_secs_f64() / 8.0;
        let steps = ((target / per) as u64).clamp(8, 1 << 20);
        let t = Instant::now();
        p.advance(steps).expect("advance");
        let secs = t.elapsed().as_secs_f64();
        let rate = steps as f64 / secs;
        // Host-side cost of recording one chunk of steps (nothing submitted):
        // when this approaches 1/rate, the CPU, not the GPU, sets the pace.
        let k = 1024u64;
        let t = Instant::now();
        let mut enc = p.encoder("bench");
        p.record(&mut enc, k);
        let cmd = enc.finish();
        let encode = t.elapsed().as_secs_f64() / k as f64;
        drop(cmd);
        let _ = writeln!(
            summary,
            "| {} | {} | {} | {} | {:.3} | {:.1} | {:.2} | {:.2} | {} | {:.2} |",
            c.n,
            c.m,
            c.b,
            c.strategy,
            setup,
            rate,
            rate * plan.step_bytes / 1e9,
            rate * plan.step_flops / 1e9,
            p.launches_per_step(),
            encode * 1e6
        );
    }
    group.finish();
    println!("\n{summary}");
    if let Ok(path) = std::env::var("GDSHRINK_BENCH_SUMMARY") {
        let _ = std::fs::write(path, &summary);
    } else if let Some(dir) = option_env!("CARGO_TARGET_TMPDIR") {
        let _ = std::fs::write(format!("{dir}/gdshrink-gpu-bench.md"), &summary);
    }
}

criterion_group! {
    name = benches;
    // No plots: they need system fonts, and the summary table is the report.
    config = Criterion::default().without_plots();
    targets = bench_gd
}
criterion_main!(benches);
