//! `gdshrink::precision`: the f32 error model, held against the f32 CPU twin
//! of a primal engine on any machine (the GPU kernels against their twins are
//! in `gpu/`).

mod error_model;
