//! Fig. 7 and Proposition 3.1 — activations as spline smoothers (paper §3, App. A).
//!
//! ∇ is the M×M "same"-convolution difference matrix, lower bidiagonal:
//! $(\nabla f)_i = (f_i - f_{i-1})\,M$ with $f_{-1} = 0$, on x_i = i/M. Column m
//! of ∇^{−r} (computed by r forward substitutions of e_m, i.e. cumulative sums
//! divided by M) is compared with the shifted spline η_r(x − b), η_r = z^{r−1}\[z > 0\]
//! (heaviside, relu, relu2), for b = (m−1)/M (exact for r = 1, 2) and the
//! paper's b = m/M.
//!
//! Equivalence (Eq. 20/21): with D selecting the sample rows and
//! λ = λ_rel‖D∇^{−r}‖₂²,
//! * spline smoothing: $(D^\top D + \lambda (\nabla^r)^\top \nabla^r) f = D^\top y$,
//!   solved as the stacked least-squares problem $[D; \sqrt\lambda \nabla^r] f \approx [y; 0]$ by QR;
//! * ridge on the weights: $w = \arg\min ½‖y − D\nabla^{-r}w‖² + ½λ‖w‖²$,
//!   f = ∇^{−r}w — through [`crate::spectral::shrink()`] with the ridge mask;
//! * the network: the same ridge problem on c·η_r(x_D − b_j) (c the
//!   least-squares scale between the two matrices), f = c·η_r(x − b_j)·w.
//!
//! [`columns`] and [`equivalence`] (in `compute`) do the mathematics,
//! `claims` checks them, `output` writes the tables and the plot.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FigureOutput, Progress, Size};
use crate::error::Result;
use crate::model::signal::Builtin;

mod claims;
mod compute;
mod output;

pub use compute::{
    Column, ColumnMatch, Equivalence, columns, equivalence, nabla_inv_column, spline_activation,
};

/// Parameters of Fig. 7.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// M of the column comparison (paper: 5000; columns cost O(M), so always the paper's).
    pub m_cols: usize,
    /// Orders r.
    pub rs: Vec<u32>,
    /// M of the equivalence check (dense M×M systems).
    pub m_eq: usize,
    /// Every `sample_every`-th grid point is a sample (D).
    pub sample_every: usize,
    /// Relative ridge weights λ_rel.
    pub lam_rels: Vec<f64>,
    /// Target of the equivalence check.
    pub signal: Builtin,
}

impl Config {
    /// Preset (the same at every size: the columns are cheap at M = 5000 and the
    /// equivalence check is exact algebra at any size).
    pub fn new(_size: Size) -> Self {
        Config {
            m_cols: 5000,
            rs: vec![1, 2, 3],
            m_eq: 100,
            sample_every: 5,
            lam_rels: vec![1e-6, 1e-3, 1e-1],
            signal: Builtin::Heavisine,
        }
    }
}

/// Runs Fig. 7.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    super::begin(progress, "fig7", "columns of ∇^-r and Eq. 20/21", 2);
    let cols = columns(cfg.m_cols, &cfg.rs)?;
    progress.advance(1);
    let eq = equivalence(
        cfg.m_eq,
        cfg.sample_every,
        &cfg.rs,
        &cfg.lam_rels,
        cfg.signal,
    )?;
    progress.advance(1);
    progress.finish();

    let data_files = output::write_data(cfg, out, &cols, &eq)?;
    let plots = vec![output::plot(cfg, out, &cols)?];
    let m = cfg.m_cols;
    Ok(FigureOutput {
        id: "fig7".into(),
        title: "Fig. 7 / Prop. 3.1 — activations as spline smoothers".into(),
        description: format!(
            "Columns m ∈ {{M/4, M/2, 3M/4}} of ∇^−r (M = {m}, ∇ = (f_i − f_(i−1))·M, f_(−1) = 0) vs η_r(x − b), η_r = z^(r−1)[z > 0]; Eq. 20 vs Eq. 21 vs the network at M = {}, samples every {}-th grid point, target {}, λ = λ_rel·‖D∇^−r‖₂² with λ_rel ∈ {:?}.",
            cfg.m_eq, cfg.sample_every, cfg.signal, cfg.lam_rels
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &cols, &eq),
        config: serde_json::to_value(cfg).unwrap_or_default(),
        notes: vec![
            "Column m of ∇^−1 is [i ≥ m]/M, a heaviside step at b = (m−1)/M; the paper's b_m = m/M is one grid step late.".into(),
            "The network's matrix is rescaled by its least-squares factor c against D∇^−r before the ridge solve (the two differ by a scale that rescales λ).".into(),
        ],
        routes: Vec::new(),
        seconds: 0.0,
    })
}
