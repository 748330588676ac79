//! `gdshrink::studies::validate`: GD checked against the closed form under the
//! error model (the model itself, on the f32 CPU twin, is in `precision/`).

mod golden;
#[cfg(feature = "gpu")]
mod gpu;
#[cfg(feature = "gpu")]
mod matrix;
mod tiny_rate;
