//! The GPU side of the shared helpers: the device, opened once for the whole
//! test crate (a missing adapter FAILS the test with a clear message — never a
//! silent skip), contexts with test options, and the comparison of a GPU
//! trajectory with the f64 CPU reference under the error model of
//! `gdshrink::precision` ([`f_tolerance`], [`w_tolerance`]).

use std::sync::OnceLock;

use gdshrink::Design;
use gdshrink::gd::{
    CpuEngine, Engine, GdBatch, NoProgress, Problem, RunStatus, Trajectory, rel_error,
};
use gdshrink::gpu::{GpuContext, GpuOptions};
use gdshrink::precision::{f_tolerance, nu, twin, w_tolerance};
use gdshrink::spectral;

/// The default adapter, opened once for the whole test crate.
pub fn ctx() -> &'static GpuContext {
    static CTX: OnceLock<GpuContext> = OnceLock::new();
    CTX.get_or_init(|| open(&GpuOptions::default()))
}

/// An adapter with the given options; panics (test failure) when there is none.
pub fn open(opts: &GpuOptions) -> GpuContext {
    match GpuContext::new(opts) {
        Ok(c) => c,
        Err(e) => panic!(
            "the GPU tests need a wgpu adapter and found none ({e}). On a machine without a GPU \
             install Mesa's software Vulkan driver (apt-get install mesa-vulkan-drivers \
             libvulkan1); lavapipe runs these tests in CI. They never skip."
        ),
    }
}

/// A context whose largest storage binding is `bytes`, so that tiled (row-block)
/// paths run on small problems.
pub fn ctx_with_binding(bytes: u64) -> GpuContext {
    open(&GpuOptions {
        max_binding_override: Some(bytes),
        ..GpuOptions::default()
    })
}

/// Largest observed relative errors of one comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct Agreement {
    /// max over checkpoints and runs of rel. error of f at the samples.
    pub f: f64,
    /// … of w (when recorded).
    pub w: f64,
    /// … of f on the evaluation grid (when recorded).
    pub f_eval: f64,
    /// max of (error / tolerance): ≤ 1 passes.
    pub worst_ratio: f64,
}

/// Compares every checkpoint of `gpu` with `cpu` under the error model
/// (f within [`f_tolerance`], w within [`w_tolerance`], `w_linear` for the
/// weight-space dual) and panics (naming q, run and the numbers) when a
/// tolerance is exceeded.
pub fn assert_agree(
    what: &str,
    gpu: &Trajectory,
    cpu: &Trajectory,
    nu: f64,
    w_linear: bool,
) -> Agreement {
    assert_eq!(gpu.checkpoints.len(), cpu.checkpoints.len(), "{what}");
    let ok = |t: &Trajectory| t.status.iter().map(RunStatus::is_ok).collect::<Vec<_>>();
    assert_eq!(
        ok(gpu),
        ok(cpu),
        "{what}: statuses differ: {:?} vs {:?}",
        gpu.status,
        cpu.status
    );
    let mut ag = Agreement::default();
    for (g, c) in gpu.checkpoints.iter().zip(&cpu.checkpoints) {
        assert_eq!(g.q, c.q, "{what}");
        let q = g.q;
        for b in 0..c.f.len() {
            if !cpu.status[b].is_ok() {
                continue;
            }
            let mut check = |name: &str, got: &[f64], want: &[f64], tol: f64, slot: &mut f64| {
                let e = rel_error(got, want);
                assert!(
                    e <= tol,
                    "{what}: {name} at q = {q}, run {b}: relative error {e:.3e} > tolerance {tol:.3e}"
                );
                *slot = slot.max(e);
                ag.worst_ratio = ag.worst_ratio.max(e / tol);
            };
            check("f", &g.f[b], &c.f[b], f_tolerance(nu, q), &mut ag.f);
            if let (Some(gw), Some(cw)) = (&g.w, &c.w) {
                check("w", &gw[b], &cw[b], w_tolerance(nu, q, w_linear), &mut ag.w);
            }
            if let (Some(ge), Some(ce)) = (&g.f_eval, &c.f_eval) {
                check("f_eval", &ge[b], &ce[b], f_tolerance(nu, q), &mut ag.f_eval);
            }
            // loss = ½‖r‖²: |Δloss| ≤ ‖Δf‖(‖r‖ + ½‖Δf‖) with ‖Δf‖ ≤ f_tolerance·‖f‖.
            let fnorm = c.f[b].iter().map(|v| v * v).sum::<f64>().sqrt();
            let dfn = f_tolerance(nu, q) * fnorm;
            let rnorm = (2.0 * c.loss[b]).sqrt();
            let dl = (g.loss[b] - c.loss[b]).abs();
            assert!(
                dl <= dfn * (rnorm + 0.5 * dfn) + 1e-300,
                "{what}: loss at q = {q}, run {b}: {} vs {}",
                g.loss[b],
                c.loss[b]
            );
        }
    }
    ag
}

/// The f64 CPU run of a problem rounded to f32 as the GPU engine sees it
/// (`gdshrink::precision::twin::problem`), with what the comparison needs.
pub struct Reference {
    /// The f64 trajectory.
    pub cpu: Trajectory,
    /// ν = ‖|A|‖₂/‖A‖₂ of the rounded design.
    pub nu: f64,
    /// The rounded design and batch (what the GPU is handed).
    pub design: Design,
    /// The rounded batch.
    pub batch: GdBatch,
    /// s_max of the rounded design.
    pub s: f64,
}

/// Runs the f64 reference on the f32-rounded `d` and `b`.
pub fn reference(d: &Design, b: &GdBatch) -> Reference {
    let (d, b) = twin::problem(d, b).unwrap();
    let a = d.matrix();
    let s = spectral::singular_values(a.as_ref()).unwrap()[0];
    let problem = Problem::from_design(&d)
        .with_matrix(a.as_ref())
        .with_s_max(s);
    let cpu = CpuEngine.run(&problem, &b, &NoProgress).unwrap();
    Reference {
        cpu,
        nu: nu(a.as_ref()).unwrap(),
        design: d,
        batch: b,
        s,
    }
}
