//! `validate` and `compare` on a user's matrix A (no network behind it): the
//! same checks under the same error model, with the f32 engine's matrix
//! rounding measured from A itself and no evaluation grid.

use faer::Mat;
use gdshrink::gd::{
    CpuEngine, Engine, EngineInfo, GdBatch, LearningRate, NoProgress, Problem, Progress, Trajectory,
};
use gdshrink::studies::compare::{CompareConfig, compare};
use gdshrink::studies::validate::{Check, ReferenceRoute, ValidateConfig, validate};
use gdshrink::studies::{Features, StudyConfig};
use gdshrink::{Activation, Design, Result};
use rand::Rng;
use rand_distr_free::normal;

use crate::common::rng;

/// Standard normal draws without another dependency (Box–Muller).
mod rand_distr_free {
    use rand::Rng;

    pub fn normal(r: &mut impl Rng) -> f64 {
        let u1: f64 = r.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = r.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A seeded N×M Gaussian matrix with decaying column scales (a spread of
/// singular values, like a network's features), and a random target.
fn random_problem(seed: u64, n: usize, m: usize) -> (Mat<f64>, Vec<f64>) {
    let mut r = rng(seed);
    let a = Mat::from_fn(n, m, |_, j| normal(&mut r) / (1.0 + j as f64).sqrt());
    let y = (0..n).map(|_| r.random::<f64>() - 0.5).collect();
    (a, y)
}

/// A seeded random target of length n.
fn target(seed: u64, n: usize) -> Vec<f64> {
    let mut r = rng(seed);
    (0..n).map(|_| r.random::<f64>() - 0.5).collect()
}

fn config(a: Mat<f64>, y: Vec<f64>, qs: &[u64]) -> ValidateConfig {
    let f = Features::matrix(a, "test").unwrap();
    ValidateConfig::new(StudyConfig::new(
        f,
        y,
        LearningRate::OverSmax2(1.0),
        qs.to_vec(),
    ))
}

#[test]
fn the_f64_engine_passes_on_random_and_structured_matrices() {
    // Fresh random matrices, wide and tall, and a structured one: the
    // columns of a design repeated (rank-deficient: half the weight space is
    // the null space of A, which GD never touches).
    let d = Design::spec(Activation::Relu)
        .sigma(16.0)
        .n(32)
        .m(24)
        .build()
        .unwrap();
    let da = d.matrix();
    let repeated = Mat::from_fn(32, 48, |i, j| da[(i, j % 24)]);
    let seed = rand::random::<u64>();
    let cases = [
        ("random wide", random_problem(seed, 40, 96)),
        ("random tall", random_problem(seed ^ 1, 90, 30)),
        ("repeated columns", (repeated, target(7, 32))),
    ];
    for (what, (a, y)) in cases {
        let (n, m) = (a.nrows(), a.ncols());
        let cfg = config(a, y, &[1, 10, 100, 1000]);
        assert!(
            cfg.eval_points.is_empty(),
            "a matrix has no evaluation grid"
        );
        let r = validate(&cfg, &CpuEngine, &NoProgress).unwrap();
        let label = format!("{what} (seed {seed})");
        assert!(r.passed, "{label}: {:#?}", r.failures);
        assert_eq!((r.n, r.m, r.eval_points), (n, m, 0), "{label}");
        assert!(
            r.design.contains("matrix A") && r.design.contains("from test"),
            "{}",
            r.design
        );
        for c in &r.checkpoints {
            // Absent, never reported as passed.
            assert!(
                c.engine.f_eval.is_none() && c.flow_gap.f_eval.is_none(),
                "{label}"
            );
            // The f64 engine against the f64 prediction: tolerances of a few
            // hundred ulps at these sizes, and the errors well inside them.
            assert!(
                c.engine.f.tol.rel < 1e-11,
                "{label} q={}: {}",
                c.q,
                c.engine.f.tol.rel
            );
            assert!(c.engine.f.err <= c.engine.f.tol.rel, "{label}");
            assert!(c.resolved > 0, "{label}");
        }
    }
}

/// The f64 engine with its f nudged by `rel` along the target: a wrong
/// engine the checks must catch on a matrix as they do on a network.
struct Nudged(f64);

impl Engine for Nudged {
    fn info(&self) -> EngineInfo {
        CpuEngine.info()
    }

    fn run(&self, p: &Problem<'_>, b: &GdBatch, progress: &dyn Progress) -> Result<Trajectory> {
        let mut t = CpuEngine.run(p, b, progress)?;
        for c in &mut t.checkpoints {
            for f in &mut c.f {
                for (v, y) in f.iter_mut().zip(&b.y[0]) {
                    *v += self.0 * y;
                }
            }
        }
        Ok(t)
    }
}

#[test]
fn a_wrong_engine_fails_on_a_matrix() {
    let (a, y) = random_problem(11, 30, 60);
    let cfg = config(a, y, &[10, 100]);
    let r = validate(&cfg, &Nudged(1e-6), &NoProgress).unwrap();
    assert!(!r.passed);
    assert!(
        r.failures.iter().any(|f| f.check == Check::FunctionSamples),
        "{:#?}",
        r.failures
    );
    // The same nudge far below the f64 tolerance passes: the check is a
    // threshold, not a bit-for-bit comparison.
    let r = validate(&cfg, &Nudged(1e-17), &NoProgress).unwrap();
    assert!(r.passed, "{:#?}", r.failures);
}

#[test]
fn a_designs_matrix_validates_like_the_design() {
    // The same A as a network and as a user's matrix: the f64 engine's
    // errors at the samples and in w are the same computation on the same
    // numbers, so they agree to rounding (1e-9 relative of values ~1e-15).
    let d = Design::spec(Activation::Tanh)
        .sigma(32.0)
        .n(24)
        .m(64)
        .build()
        .unwrap();
    let y = target(3, 24);
    let qs = [1, 10, 100];
    let as_network = ValidateConfig::new(StudyConfig::new(
        d.clone(),
        y.clone(),
        LearningRate::OverSmax2(1.0),
        qs.to_vec(),
    ));
    let as_matrix = config(d.matrix(), y, &qs);
    let rn = validate(&as_network, &CpuEngine, &NoProgress).unwrap();
    let rm = validate(&as_matrix, &CpuEngine, &NoProgress).unwrap();
    assert!(rn.passed && rm.passed);
    assert_eq!(rn.s_max, rm.s_max);
    assert_eq!(rn.alpha, rm.alpha);
    for (cn, cm) in rn.checkpoints.iter().zip(&rm.checkpoints) {
        assert_eq!(cn.engine.f.err, cm.engine.f.err, "q={}", cn.q);
        assert_eq!(cn.engine.w.err, cm.engine.w.err, "q={}", cn.q);
        assert!(cn.engine.f_eval.is_some() && cm.engine.f_eval.is_none());
    }
}

#[test]
fn bad_matrices_and_grids_are_refused() {
    let e = Features::matrix(Mat::zeros(0, 3), "empty")
        .unwrap_err()
        .to_string();
    assert!(e.contains("N >= 1 rows"), "{e}");
    let mut a = Mat::<f64>::zeros(3, 3);
    a[(1, 2)] = f64::NAN;
    let e = Features::matrix(a, "nan").unwrap_err().to_string();
    assert!(e.contains("A[1, 2]") && e.contains("finite"), "{e}");
    // An all-zero A has no s_max to scale α with.
    let cfg = config(Mat::zeros(4, 5), vec![1.0; 4], &[1]);
    let e = validate(&cfg, &CpuEngine, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("matrix A") && e.contains("A is zero"), "{e}");
    // No evaluation grid exists for a matrix.
    let (a, y) = random_problem(5, 6, 8);
    let mut cfg = config(a, y, &[1]);
    cfg.eval_points = vec![0.5];
    let e = validate(&cfg, &CpuEngine, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("evaluation grid"), "{e}");
}

#[test]
fn compare_times_a_users_matrix() {
    let (a, y) = random_problem(21, 32, 48);
    let cfg = CompareConfig {
        study: StudyConfig::new(
            Features::matrix(a, "test").unwrap(),
            y,
            LearningRate::OverSmax2(1.0),
            vec![10, 100],
        ),
        repeats: 1,
        reference: ReferenceRoute::Auto,
        k: gdshrink::studies::validate::TOPK_K,
    };
    let r = compare(&cfg, &[&CpuEngine], &NoProgress).unwrap();
    assert_eq!((r.n, r.m), (32, 48));
    assert!(r.design.contains("matrix A"));
    // The f64 engine reaches the closed form to rounding.
    for row in &r.engines[0].rows {
        assert!(row.rel_err < 1e-10, "q={}: {:e}", row.q, row.rel_err);
    }
}

#[cfg(feature = "gpu")]
#[test]
fn the_gpu_engine_passes_on_a_users_matrix() {
    use gdshrink::gd::Strategy;
    use gdshrink::gpu::GpuEngine;
    // The f32 engine holds A rounded to f32; the error model measures that
    // rounding from A itself (‖fl32(A) − A‖), so the tolerances are the
    // model's, as for a network. Primal and both duals (N < M: K = AAᵀ;
    // N > M: G = AᵀA).
    let ctx = crate::common::gpu::ctx();
    let seed = rand::random::<u64>();
    for (n, m) in [(40, 96), (90, 30)] {
        let (a, y) = random_problem(seed, n, m);
        let cfg = config(a, y, &[1, 10, 100, 1000]);
        for strategy in [Strategy::Primal, Strategy::Dual] {
            let engine = GpuEngine::new(ctx).with_strategy(strategy);
            let r = validate(&cfg, &engine, &NoProgress).unwrap();
            let label = format!("{strategy} N={n} M={m} seed {seed}");
            assert!(r.passed, "{label}: {:#?}", r.failures);
            let worst = r
                .checkpoints
                .iter()
                .flat_map(|c| [c.engine.f, c.engine.w])
                .map(|m| m.err / m.tol.rel)
                .fold(0.0f64, f64::max);
            eprintln!("{label}: worst err/tol {worst:.3}");
        }
        // Matrix-free recomputes A from a network: refused, with the reason.
        let engine = GpuEngine::new(ctx).with_strategy(Strategy::MatrixFree);
        let e = validate(&cfg, &engine, &NoProgress)
            .unwrap_err()
            .to_string();
        assert!(e.contains("matrix-free"), "{e}");
    }
}
