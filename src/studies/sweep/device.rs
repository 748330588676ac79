//! The device side of a sweep's plan: what each GPU group stores on the
//! device (A in f32, the dual's K or G, the states of a batch), against the
//! group's memory budget, decided before launch.
//!
//! The rules are the GPU engine's storage rules (`gpu::plan`): with the
//! strategy `auto`, A (4·N·M bytes) is stored only when it fits the budget;
//! when it does not, the group runs without A on the device — matrix-free
//! (η recomputed inside the products), or the dual without A when K/G
//! (4·d² bytes, d = min(N, M)) fits and the engine's cost model finds it
//! cheaper. A strategy named explicitly is refused here when what it must
//! store (A for `primal`, K/G for `dual`) exceeds the budget, with both
//! numbers. The budget is a number the user gives (`memory_budget`), since
//! wgpu cannot query the size of device memory; default
//! [`DEFAULT_MEMORY_BUDGET`]. At launch the engine's own plan
//! (`GpuEngine::plan`) names the strategy it resolved and why.
//!
//! A group whose device stores no A, asked for no closed form and no q(K),
//! never builds the dense f64 A on the host either: its s_max comes from
//! [`crate::spectral::largest_singular_value_of_design`].

use super::plan::{Group, Settings};
use crate::error::{Error, Result};
use crate::gd::{DEFAULT_MEMORY_BUDGET, Strategy};
pub use crate::resources::device::DeviceNeed;
use crate::resources::device::DeviceRequest;
use crate::resources::format_bytes;

/// Runs of one batch on the device: every run of the group, at most 4096
/// (the host bound on a batch).
fn batch_runs(g: &Group) -> usize {
    g.runs.len().clamp(1, 4096)
}

/// The device plan of a GPU group (`None` for a CPU group): the shared
/// computation of [`crate::resources::device`] on the group's sizes.
#[must_use]
pub fn device_need(s: &Settings, g: &Group) -> Option<DeviceNeed> {
    if g.params.device != "gpu" {
        return None;
    }
    let req = DeviceRequest {
        n: g.params.n,
        m: g.params.m,
        runs: batch_runs(g),
        checkpoints: s.checkpoints_per_run(),
        eval_points: s.heldout,
        record_w: s.save_w(),
        strategy: g.params.strategy.parse().unwrap_or(Strategy::Auto),
        budget: g.params.memory_budget,
        recompute: true,
        table_bytes: 0.0,
    };
    Some(req.need())
}

/// Whether the host builds the dense f64 A of a group: always on the CPU,
/// for the closed form and q(K) (they need its SVD), and on the GPU when
/// the device may store A; otherwise s_max is computed without A.
#[must_use]
pub fn host_needs_a(s: &Settings, g: &Group) -> bool {
    s.closed_form || s.k.is_some() || device_need(s, g).is_none_or(|d| d.stores_a)
}

/// `group 1a2b3c4d (tanh, N = 48, M = 64)`.
#[must_use]
pub fn group_label(g: &Group) -> String {
    format!(
        "group {} ({}, N = {}, M = {})",
        &g.id[..g.id.len().min(8)],
        g.params.activation,
        g.params.n,
        g.params.m
    )
}

/// Refuses, before launch, a GPU group whose explicit strategy must store
/// more than its memory budget, naming the group, the key and both numbers.
///
/// # Errors
/// [`Error::InvalidParameter`].
pub fn check_device(s: &Settings, groups: &[Group]) -> Result<()> {
    for g in groups {
        let Some(need) = device_need(s, g) else {
            continue;
        };
        if let Some((what, bytes)) = &need.refused {
            return Err(Error::invalid(
                format!("strategy of {}", group_label(g)),
                format!("'{}'", need.strategy),
                format!(
                    "{what} (f32) needs {} of device memory; the memory budget is {} ({}); \
                     raise memory_budget (up to the device's memory), or use strategy = \"auto\" \
                     (runs without A when it does not fit) or \"matrix-free\"",
                    format_bytes(*bytes),
                    format_bytes(need.budget as f64),
                    budget_source(&need)
                ),
            ));
        }
    }
    Ok(())
}

fn budget_source(need: &DeviceNeed) -> String {
    if need.budget_given {
        format!("memory_budget = {} bytes", need.budget)
    } else {
        format!(
            "the default; set memory_budget, since wgpu cannot query device memory: default {}",
            format_bytes(DEFAULT_MEMORY_BUDGET as f64)
        )
    }
}

/// One line of the device plan of a GPU group.
#[must_use]
pub fn device_line(need: &DeviceNeed) -> String {
    format!(
        "device: A {} (f32), K/G {}, states {}; budget {}{}; {}",
        format_bytes(need.a),
        format_bytes(need.dual),
        format_bytes(need.state),
        format_bytes(need.budget as f64),
        if need.budget_given { "" } else { " (default)" },
        need.verdict
    )
}
