//! Gradient descent: what a batch of runs is, the engines that iterate it,
//! and what they return.
//!
//! Run b of a [`GdBatch`] iterates
//! $$w_{q+1} = w_q + \alpha_b A^\top (y_b - A w_q)$$
//! and an [`Engine`] returns its [`Trajectory`]: checkpoints, a status per run
//! and the typed [`EngineInfo`] of the engine. [`CpuEngine`] is the f64
//! reference; the GPU engine (`gpu::GpuEngine`) implements the same trait.
//!
//! * [`batch`] — the runs and their validation; [`checkpoints`] — lists of q;
//! * [`trajectory`] — checkpoints, run status, relative errors;
//! * [`rate`] — learning rates: a number, c/s_max², or neural-tangents' η;
//! * [`watch`] — divergence and NaN detection shared by every engine;
//! * [`engine`] — the [`Engine`] trait, [`Problem`], [`Progress`] and the metadata types;
//! * [`cpu`] — the f64 CPU engine.

pub mod batch;
pub mod checkpoints;
pub mod cpu;
pub mod engine;
pub mod rate;
pub mod trajectory;
pub mod watch;

pub use batch::GdBatch;
pub use checkpoints::{QList, log_spaced, parse_iterations};
pub use cpu::CpuEngine;
pub use engine::{
    DEFAULT_MEMORY_BUDGET, Engine, EngineInfo, NoProgress, Operator, Precision, Problem, Progress,
    Strategy, Summation,
};
pub use rate::{LearningRate, alpha_from_nt, nt_from_alpha};
pub use trajectory::{Checkpoint, RunStatus, Trajectory, half_sq_residual, rel_error};
pub use watch::{CHECK_EVERY, GROWTH_LIMIT, ResidualWatch};
