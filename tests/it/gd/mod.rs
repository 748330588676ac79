//! `gdshrink::gd`: literally iterated gradient descent (the f64 CPU engine)
//! against the closed form and the golden iterates, and the typed errors of a
//! batch. Bad input that crosses modules (a NaN target reaching the SVD, the
//! closed form and the engine) is checked here, where it ends.

mod closed_form;
mod errors;
mod golden;

use faer::MatRef;
use gdshrink::Result;
use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem, Trajectory};

/// The f64 CPU engine on a bare matrix A, with the stability check α < 2/s_max².
fn cpu_run(a: MatRef<'_, f64>, batch: &GdBatch, s_max: f64) -> Result<Trajectory> {
    CpuEngine.run(
        &Problem::from_matrix(a).with_s_max(s_max),
        batch,
        &NoProgress,
    )
}
