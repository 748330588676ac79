//! What gdshrink does with its engines: the checks and experiments users run.
//!
//! * [`validate`] — literally iterated GD on an engine checked against the
//!   closed-form prediction at every checkpoint, under the error model;
//! * [`compare`] — time-to-result and quality of GD against one SVD and a mask;
//! * `reproduce` (feature `plot`) — the paper's figures as data, plots and checked claims;
//! * [`penalty`] — the spectral penalty of an activation against the spectrum of A;
//! * [`design_activation`] — an activation designed from a penalty (a table),
//!   its penalty measured back, its network next to the built-ins.
//!
//! `validate` and `compare` take the same [`StudyConfig`] and drive any
//! [`crate::gd::Engine`].

pub mod compare;
mod config;
pub mod design_activation;
pub mod penalty;
#[cfg(feature = "plot")]
pub mod reproduce;
pub mod sweep;
pub mod validate;

pub use config::{Features, StudyConfig};
