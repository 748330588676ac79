//! Batched full-batch gradient descent on the GPU (f32). API contract; the
//! kernels are being written.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{GpuContext, GpuError};
use crate::design::Design;
use crate::error::{Error, Result};
use crate::trajectory::{GdBatch, Trajectory};

/// How the GPU iterates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Pick one from the sizes (see [`choose`]).
    #[default]
    Auto,
    /// Iterate w with A stored (N×M).
    Primal,
    /// Form K = AAᵀ (N ≤ M) or G = AᵀA once and iterate in the smaller space.
    Dual,
    /// Recompute η(σ(x − b)) inside the kernels; A is never stored.
    MatrixFree,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Auto => "auto",
            Strategy::Primal => "primal",
            Strategy::Dual => "dual",
            Strategy::MatrixFree => "matrix-free",
        })
    }
}

impl FromStr for Strategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Strategy::Auto),
            "primal" => Ok(Strategy::Primal),
            "dual" => Ok(Strategy::Dual),
            "matrix-free" | "matrixfree" | "matfree" => Ok(Strategy::MatrixFree),
            _ => Err(Error::invalid(
                "strategy",
                format!("'{s}'"),
                "auto, primal, dual or matrix-free",
            )),
        }
    }
}

/// Options of a GPU batch.
#[derive(Clone, Debug, Default)]
pub struct GpuGdOptions {
    /// Strategy (Auto picks from the sizes).
    pub strategy: Strategy,
    /// Largest singular value of A, for the up-front stability check α < 2/s_max².
    pub s_max: Option<f64>,
}

/// Runs the batch on the GPU; the returned trajectory's `engine` names the
/// adapter and the strategy used.
pub fn run_gd(
    ctx: &GpuContext,
    design: &Design,
    batch: &GdBatch,
    opts: &GpuGdOptions,
) -> Result<Trajectory> {
    batch.validate(design.n(), design.m(), opts.s_max)?;
    let _ = ctx;
    Err(Error::Gpu(GpuError::Validation {
        kernel: "gd".into(),
        message: "GPU gradient descent is not implemented yet".into(),
    }))
}
