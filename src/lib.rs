//! # gdshrink
//!
//! Full-batch gradient descent on a shallow network
//! $f(x) = \sum_j w_j\, \eta(\sigma (x - b_j))$ is a shrinkage operator on the
//! singular values of the network's Jacobian (arXiv 2504.18207):
//! after q steps with learning rate α from w₀ = 0,
//! $$f_q = U \operatorname{diag}\big(1 - (1 - \alpha s^2)^q\big) U^\top y .$$
//!
//! This crate makes that statement executable and checkable. Its modules are
//! layered; each imports only the ones above it in this list:
//!
//! * [`error`] — typed errors; [`output`] — NPY/CSV arrays, tables, plots,
//!   durable writes; [`resources`] — memory needed vs available;
//! * [`model`] — η, the grids, the N×M design matrix
//!   $A_{ij} = \eta(\sigma(x_i - b_j))$ and the target signals;
//! * [`spectral`] — singular values and the thin SVD (faer), the masks and the
//!   closed form for many q from one SVD, q(K);
//! * [`gd`] — batches of GD runs, trajectories, learning rates, the [`Engine`]
//!   trait and the f64 CPU reference engine;
//! * [`precision`] — the f32 CPU twins of the GPU kernels and the error model;
//! * `gpu` (feature `gpu`) — the wgpu engine (f32), checked against all of the above;
//! * [`studies`] — `validate`, `compare` and `reproduce` (the paper's figures).
//!
//! ```
//! use gdshrink::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem};
//! use gdshrink::spectral::{gd_exact_masks, shrink, thin_svd};
//! use gdshrink::{Activation, Design, Signal};
//! // tanh(σ(x − b)), σ = M = 128 (the default rule), N = 64 samples.
//! let d = Design::spec(Activation::Tanh).n(64).m(128).build()?;
//! let y = Signal::default().values(d.x())?;
//! let svd = thin_svd(d.matrix().as_ref())?;
//! let alpha = 1.0 / (svd.s_max() * svd.s_max());
//! let closed = shrink(&svd, &y, &gd_exact_masks(alpha, &[100]))?;
//! let batch = GdBatch::new(vec![y], vec![alpha], vec![100]);
//! let gd = CpuEngine.run(&Problem::from_design(&d), &batch, &NoProgress)?;
//! assert!(gdshrink::gd::rel_error(&gd.checkpoints[0].f[0], &closed[0].f) < 1e-9);
//! # Ok::<(), gdshrink::Error>(())
//! ```
//!
//! Conventions are in the README and the `SPEC` sections cited in each module.

pub mod error;
pub mod gd;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod model;
pub mod output;
pub mod precision;
pub mod resources;
pub mod spectral;
pub mod studies;

pub use error::{Error, Result};
pub use gd::{CpuEngine, Engine, EngineInfo, GdBatch, LearningRate, Problem, Trajectory};
pub use model::{Activation, Design, DesignSpec, Grid, Sigma, Signal};
pub use spectral::{Mask, ThinSvd};
