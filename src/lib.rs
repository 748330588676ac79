//! # gdshrink
//!
//! Full-batch gradient descent on a shallow network
//! $f(x) = \sum_j w_j\, \eta(\sigma (x - b_j))$ is a shrinkage operator on the
//! singular values of the network's Jacobian (arXiv 2504.18207):
//! after q steps with learning rate α from w₀ = 0,
//! $$f_q = U \operatorname{diag}\big(1 - (1 - \alpha s^2)^q\big) U^\top y .$$
//!
//! This crate makes that statement executable and checkable:
//!
//! * [`activation`], [`grid`], [`design`] — η, the sample/bias grids and the N×M
//!   design matrix $A_{ij} = \eta(\sigma(x_i - b_j))$ in f64;
//! * [`spectrum`] — singular values, thin SVD and principal components (faer);
//! * [`mask`], [`qk`] — the analytic masks, closed-form solutions for many q
//!   from one SVD, and Proposition 4.2 (q(K), κ, ρ, grey zone);
//! * [`cpu_gd`] — the f64 reference gradient descent, batched;
//! * [`gpu`] — the wgpu engine (f32) checked against all of the above;
//! * [`signal`], [`io`] — targets and array files (NPY/CSV).
//!
//! Conventions are in the README and `SPEC` sections cited in each module.

pub mod activation;
pub mod compare;
pub mod cpu_gd;
pub mod design;
pub mod error;
pub mod experiments;
pub mod gpu;
pub mod grid;
pub mod io;
pub mod mask;
pub mod plot;
pub mod qk;
pub mod signal;
pub mod spectrum;
pub mod table;
pub mod trajectory;
pub mod validate;

pub use activation::Activation;
pub use design::Design;
pub use error::{Error, Result};
pub use grid::Grid;
pub use mask::Mask;
pub use signal::Signal;
pub use spectrum::ThinSvd;
pub use trajectory::{GdBatch, Trajectory};
