//! The resource plan of each command, checked before any allocation: host
//! memory against what this machine has, and an estimate of long work
//! printed on stderr before it starts (see [`gdshrink::resources`]).

use anyhow::{Result, bail};
use gdshrink::Activation;
use gdshrink::gd::{QList, Strategy};
use gdshrink::gpu::GpuContext;
use gdshrink::resources::device::{DeviceNeed, DeviceRequest};
use gdshrink::resources::{Plan, dense_plan, format_bytes};

use crate::args::ShapeArgs;

/// Largest count accepted by a flag that only sizes a list or a display
/// (`--top`, `--show-directions`, `--k-max`, `--vectors`, `--pca-k`).
pub const MAX_LIST: usize = 1_000_000;

/// Largest `--eval-points` (every point is a row of an evaluation matrix).
pub const MAX_EVAL_POINTS: usize = 100_000_000;

/// Largest `--repeats`.
pub const MAX_REPEATS: usize = 1000;

/// Refuses `plan` when it does not fit, and announces it on stderr when the
/// work is long.
pub fn check(command: &str, plan: &Plan) -> Result<()> {
    plan.check_host()?;
    if plan.is_long() {
        eprintln!("{command}: estimate: {}", plan.estimate());
    }
    Ok(())
}

/// (N, M) of the network flags (a grid file fixes its own length).
pub fn sizes(shape: &ShapeArgs) -> (usize, usize) {
    (
        shape.grid.fixed_len().unwrap_or(shape.n),
        shape.bias_grid.fixed_len().unwrap_or(shape.m),
    )
}

/// The dense f64 work on the network of `shape`: A and, with `svd`, its thin SVD.
pub fn dense(shape: &ShapeArgs, svd: bool) -> Plan {
    let (n, m) = sizes(shape);
    dense_plan(n, m, svd, "use a smaller --n or --m")
}

/// The dense f64 work (A and its thin SVD) on `--design FILE.npy` when given
/// (its shape from the file's header), else on the network of `shape`; with
/// (N, M).
pub fn dense_svd(
    shape: &ShapeArgs,
    design: Option<&std::path::Path>,
) -> Result<(Plan, (usize, usize))> {
    Ok(match design {
        Some(path) => {
            let (n, m) = crate::args::design_shape(path)?;
            (dense_plan(n, m, true, "use a smaller matrix A"), (n, m))
        }
        None => (dense(shape, true), sizes(shape)),
    })
}

/// The top-K route on an N × M A ([`gdshrink::resources::topk_plan`]).
pub fn topk(n: usize, m: usize, k: usize, stored: bool) -> Plan {
    gdshrink::resources::topk_plan(n, m, k, stored, "use a smaller --k, --n or --m")
}

/// Adds the f64 solutions kept per checkpoint: `per_q` vectors of N, M and
/// r = min(N, M) values for every q of `qs` and every one of `runs`.
pub fn with_solutions(plan: Plan, (n, m): (usize, usize), qs: &QList, runs: usize) -> Plan {
    let per = (n + m + n.min(m)) as f64 * 8.0 * runs as f64;
    plan.host(
        format!("the solutions at {} checkpoints", qs.values().len()),
        per * qs.values().len() as f64,
    )
}

/// Operations an iteration costs whatever its size: the launch and
/// synchronisation overhead of a step, about 10 µs at the assumed rate
/// (small problems, and every step on the GPU).
pub const STEP_OVERHEAD_OPS: f64 = 2e4;

/// A full-batch GD run: the iterate (W, R, the gradient: (2M + 2N)·B) and
/// `4·N·M·B` operations per iteration (plus [`STEP_OVERHEAD_OPS`]) up to the
/// last q.
pub fn gd_iterations(plan: Plan, (n, m): (usize, usize), runs: usize, q_max: u64) -> Plan {
    let b = runs as f64;
    let per_step = 4.0 * n as f64 * m as f64 * b + STEP_OVERHEAD_OPS;
    plan.host(
        "the iterate W, R and the gradient (f64)",
        8.0 * b * 2.0 * (n + m) as f64,
    )
    .ops(per_step * q_max as f64)
}

/// The flag that sets the device memory budget of a GPU run.
pub const BUDGET_FLAG: &str = "--memory-budget";

/// What to change when a GPU binding exceeds the adapter's limits.
const DEVICE_HINT: &str = "use a smaller --n or --m, fewer runs or checkpoints, or --device cpu";

/// The device plan of a GPU run ([`gdshrink::resources::device`]): an
/// explicit strategy whose stored matrices exceed the budget is refused
/// here, before any work, with both numbers.
pub fn device_need(req: &DeviceRequest) -> Result<DeviceNeed> {
    let need = req.need();
    if let Some((what, bytes)) = &need.refused {
        bail!(
            "--strategy {}: {what} (f32) needs {} of device memory; the budget for stored \
             matrices is {}; raise {BUDGET_FLAG} (up to the device's memory), or use \
             --strategy auto (runs without A when it does not fit) or matrix-free",
            need.strategy,
            format_bytes(*bytes),
            need.budget_text(BUDGET_FLAG)
        );
    }
    Ok(need)
}

/// `plan` with every device binding of `need`, by name.
pub fn with_device(plan: Plan, need: &DeviceNeed) -> Plan {
    need.bindings
        .iter()
        .fold(plan, |p, b| p.device(b.what.clone(), b.bytes))
}

/// Holds the device plan against the adapter's limits (one binding, one
/// buffer), and says on stderr when `auto` will run without A because A
/// does not fit the budget.
pub fn check_adapter(command: &str, need: &DeviceNeed, ctx: &GpuContext) -> Result<()> {
    need.check_limits(ctx.max_binding(), ctx.limits().max_buffer_size, DEVICE_HINT)?;
    if need.strategy == Strategy::Auto && !need.stores_a {
        eprintln!("{command}: plan: {}", need.line(BUDGET_FLAG));
    }
    Ok(())
}

/// Bytes of the GPU lookup table of `act` (tabulated activations only).
pub fn table_bytes(act: Activation) -> f64 {
    match act {
        Activation::Table(t) => 4.0 * (4 + t.table().len()) as f64,
        _ => 0.0,
    }
}
