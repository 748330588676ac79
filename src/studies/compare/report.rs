//! What `compare` reports: the closed form's costs, GD's time per engine and
//! q with the crossover, and PCA/ridge against GD.

use serde::Serialize;

use crate::gd::Strategy;

/// One GD measurement.
#[derive(Clone, Debug, Serialize)]
pub struct GdTiming {
    /// Iterations.
    pub q: u64,
    /// The engine as the run named itself (an automatic GPU strategy may differ per q).
    pub engine: String,
    /// The strategy the run used.
    pub strategy: Strategy,
    /// Time to result, seconds (fastest of the repeats).
    pub seconds: f64,
    /// ‖f_q − gd_exact‖/‖gd_exact‖ at the samples.
    pub rel_err: f64,
}

/// The closed form wins from here on.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Crossover {
    /// Set-up time a of the segment t = a + b·q that crosses, seconds.
    pub setup_seconds: f64,
    /// Time per iteration b on that segment, seconds.
    pub seconds_per_iteration: f64,
    /// q* = (T − a)/b; 0 when the closed form is faster than GD's set-up alone;
    /// None when GD time does not grow with q.
    pub q_star: Option<f64>,
    /// The first measured q at which GD took longer than the closed form.
    pub first_measured_win: Option<u64>,
    /// q* lies beyond the largest measured q.
    pub extrapolated: bool,
}

/// GD on one engine at every q.
#[derive(Clone, Debug, Serialize)]
pub struct EngineTimings {
    /// Engine label (as in its trajectories).
    pub engine: String,
    /// Where it ran.
    pub device: String,
    /// Software adapter: the timings say nothing about a GPU.
    pub software: bool,
    /// One row per q.
    pub rows: Vec<GdTiming>,
    /// Where the closed form overtakes it.
    pub crossover: Crossover,
}

/// The closed form's costs, seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ClosedForm {
    /// `dense` (A built, thin SVD), `streamed` (streamed TSQR, A never
    /// stored) or `topk` (the K leading components, A never stored).
    pub route: &'static str,
    /// Components the closed form sums (min(N, M), or K on the top-K route).
    pub components: usize,
    /// Bound on ‖f_q − f_q^K‖/‖y‖ over the q list: what the components left
    /// out on the top-K route can add to the closed form (0 on the others;
    /// [`crate::spectral::tail_bounds`]).
    pub truncation: f64,
    /// Building A (N×M, f64; 0 on the streamed route, whose spectrum time includes every η).
    pub matrix_seconds: f64,
    /// Thin SVD (streamed: the whole streamed spectrum; topk: the K leading triplets).
    pub svd_seconds: f64,
    /// One gd_exact mask applied (f and w for one q).
    pub mask_seconds: f64,
    /// Every q of the list at once.
    pub all_masks_seconds: f64,
    /// Time to the first result: matrix + SVD + one mask.
    pub total_seconds: f64,
}

/// PCA and ridge at the matched hyper-parameters, against gd_exact, at one q.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Quality {
    /// Iterations.
    pub q: u64,
    /// κ = (αq)^{−1/2}.
    pub kappa: f64,
    /// K = #{s_k ≥ κ}.
    pub pca_k: usize,
    /// ‖f_pca − f_gd‖/‖f_gd‖.
    pub pca_vs_gd: f64,
    /// λ = 1/(αq).
    pub lambda: f64,
    /// ‖f_ridge − f_gd‖/‖f_gd‖ at λ = 1/(αq).
    pub ridge_vs_gd: f64,
    /// The same at λ = ln 2/(αq) (half-points matched).
    pub ridge_half_vs_gd: f64,
    /// ‖y − f‖/‖y‖ of gd_exact.
    pub fit_gd: f64,
    /// ‖y − f‖/‖y‖ of PCA.
    pub fit_pca: f64,
    /// ‖y − f‖/‖y‖ of ridge (λ = 1/(αq)).
    pub fit_ridge: f64,
}

/// The result of [`super::compare`].
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// `activation sigma=… N=… M=…`.
    pub design: String,
    /// N.
    pub n: usize,
    /// M.
    pub m: usize,
    /// Target name.
    pub signal: String,
    /// α.
    pub alpha: f64,
    /// s_max.
    pub s_max: f64,
    /// The closed form.
    pub closed: ClosedForm,
    /// GD per engine.
    pub engines: Vec<EngineTimings>,
    /// PCA and ridge per q.
    pub quality: Vec<Quality>,
}
