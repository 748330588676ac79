//! `gdshrink::gpu`: the wgpu engine on the adapter (lavapipe in CI; a missing
//! adapter fails these tests, they never skip), each piece against its f64 or
//! f32 CPU twin under the error model of `gdshrink::precision`.
//!
//! * [`shaders`] — every kernel composed and validated by naga (no adapter needed);
//! * [`activations`], [`design`] — η and A on the device, against their twins;
//! * [`kernels`] — the skinny product, finish, Gram and column-norm kernels,
//!   each alone against its CPU twin (bit for bit up to Vulkan's fma);
//! * [`reductions`] — long sums stay within a constant times u;
//! * [`gd`], [`strategies`] — batched GD against the f64 CPU reference;
//! * [`matrix`] — the engine on a user's matrix A (no design);
//! * [`table`] — a tabulated activation's lookup buffer against its f64 form.

mod activations;
mod design;
mod gd;
mod kernels;
mod matrix;
mod reductions;
mod shaders;
mod strategies;
mod table;
