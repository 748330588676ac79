//! The spectrum of A and what gradient descent does to it.
//!
//! $$A = U \operatorname{diag}(s) V^\top,\quad s_0 \ge s_1 \ge \dots \ge 0$$
//!
//! * [`svd`] — singular values and the thin SVD (faer, f64);
//! * [`smax`] — the one estimator of s_max (Lanczos);
//! * [`stream`] — the spectrum of wide or tall designs without storing A
//!   (streamed TSQR or Gram over blocks generated on the fly);
//! * [`topk`] — the K largest singular triplets by a randomized block Krylov
//!   method, on a stored A or a design's A generated in blocks, with residuals;
//! * [`basis`] — principal components against the DST-like basis;
//! * [`mask`] — the masks m(s): gd_exact 1 − (1 − αs²)^q, gd_flow
//!   1 − exp(−αqs²), ridge, PCA, and the regimes of discrete GD;
//! * [`mod@shrink`] — the closed form $f_q = U \operatorname{diag}(m(s)) U^\top y$
//!   for many masks from one SVD;
//! * [`qk`] — Proposition 4.2: q(K), κ, the active window and the grey zone;
//! * [`penalty`] — the spectral penalty ρ(ν) ∝ 1/|F\[φ\](ν)|² of an activation
//!   (companion paper) and its prediction of s_k/s_0.

pub mod basis;
pub mod mask;
pub mod penalty;
pub mod qk;
pub mod shrink;
pub mod smax;
pub mod stream;
pub mod svd;
pub mod topk;

pub use basis::{
    DstMatch, abs_cos, dst_basis, dst_similarity, dst_similarity_of, fourier_pair_projection, norm,
};
pub use mask::{Mask, Regime, gd_exact, gd_exact_masks, gd_flow, gd_flow_masks, regime};
pub use qk::{QkRow, q_of_k, q_table};
pub use shrink::{KEPT_LEVEL, Shrunk, f_at, shrink, shrink_samples};
pub use smax::{
    largest_singular_value, largest_singular_value_of_design, largest_singular_value_to,
};
pub use stream::{
    DesignSpectrum, SpectrumRoute, StreamOptions, StreamRoute, StreamedSpectrum, design_spectrum,
    matrix_spectrum, prefers_topk, streamed_spectrum,
};
pub use svd::{
    SvdMethod, ThinSvd, normalized, singular_values, singular_values_gram, singular_values_with,
    thin_svd,
};
pub use topk::{
    TopkInfo, TopkOptions, TopkSpectrum, perturbation_bound, tail_bounds, topk_of_design,
    topk_of_matrix,
};
