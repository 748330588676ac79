//! Designing an activation from a penalty (`gdshrink design-activation`):
//! φ_ρ = F⁻¹\[1/√ρ\] on a uniform grid
//! ([`crate::spectral::penalty::design`]), kept as a tabulated activation,
//! its penalty measured back against the requested ρ (the round trip), and
//! its network next to built-in activations: s_k/s_0 of A, q(K)
//! (Prop. 4.2) and the Fig. 6-style reconstruction error
//! ‖y − f_q‖/‖y‖ of GD at α = 1/s_0² (the closed form of one SVD).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Activation, DesignSpec, Signal, Table, TableId};
use crate::spectral::penalty::design::{
    DesignGrid, PenaltySpec, RoundTrip, design_points, round_trip,
};
use crate::spectral::qk::{QkRow, q_table};
use crate::spectral::{gd_exact_masks, normalized, shrink, thin_svd};

/// Most activations compared with the designed one.
pub const MAX_COMPARE: usize = 16;

/// What `design-activation` computes.
#[derive(Clone, Debug)]
pub struct DesignActivationConfig {
    /// The penalty to design for.
    pub penalty: PenaltySpec,
    /// The grid of the table.
    pub grid: DesignGrid,
    /// Band of the round trip, cycles per unit z (`None`: \[0.05, min(1, 0.8·edge)\]).
    pub band: Option<(f64, f64)>,
    /// The table's name (the path it is written to).
    pub source: String,
    /// The network the activations are compared on (its activation is replaced).
    pub network: DesignSpec,
    /// Built-in (or tabulated) activations shown next to the designed one.
    pub compare: Vec<Activation>,
    /// Rows K = 1..k_max of q(K).
    pub k_max: usize,
    /// Step counts of the reconstruction error.
    pub qs: Vec<u64>,
    /// The target of the reconstruction.
    pub signal: Signal,
}

/// One activation's network: spectrum, q(K), reconstruction.
#[derive(Clone, Debug, Serialize)]
pub struct ActivationColumn {
    /// The activation's name.
    pub activation: String,
    /// σ of its network.
    pub sigma: f64,
    /// s_k/s_0, k = 0 .. min(N, M) − 1.
    pub s_over_s0: Vec<f64>,
    /// q(K), K = 1..k_max.
    pub qk: Vec<QkRow>,
    /// ‖y − f_q‖/‖y‖ at each q of the config (GD at α = 1/s_0², closed form).
    pub residual: Vec<f64>,
}

/// The result of [`run`].
#[derive(Clone, Debug, Serialize)]
pub struct DesignActivationReport {
    /// The penalty as written.
    pub penalty: String,
    /// Its formula.
    pub formula: String,
    /// The designed activation's name (`table:PATH`).
    pub activation: String,
    /// Its identity (`table:PATH@sha256:…`).
    pub activation_id: String,
    /// The table's grid.
    pub grid: DesignGrid,
    /// Its first and last z.
    pub z_range: (f64, f64),
    /// The designed φ at z = 0 and its largest |φ| at the grid's ends.
    pub phi0: f64,
    /// max(|φ(z_0)|, |φ(z_last)|) / |φ(0)|: how far φ has decayed at the ends.
    pub end_ratio: f64,
    /// The measured penalty against the requested one.
    pub round_trip: RoundTrip,
    /// N, M of the networks.
    pub n: usize,
    /// Width M.
    pub m: usize,
    /// Step counts of the reconstruction error.
    pub qs: Vec<u64>,
    /// The designed activation first, then the compared ones.
    pub columns: Vec<ActivationColumn>,
    /// The table's points (z, φ), for the caller to write.
    #[serde(skip)]
    pub points: (Vec<f64>, Vec<f64>),
}

/// Designs the activation, measures its penalty back and compares its network.
pub fn run(cfg: &DesignActivationConfig) -> Result<DesignActivationReport> {
    if cfg.compare.len() > MAX_COMPARE {
        return Err(Error::invalid(
            "activations to compare",
            cfg.compare.len(),
            format!("at most {MAX_COMPARE}"),
        ));
    }
    let (z, eta) = design_points(&cfg.penalty, cfg.grid)?;
    let table = Table::from_columns(&cfg.source, &z, &eta)?;
    let act = Activation::Table(TableId::intern(table));
    let band = cfg.band.unwrap_or_else(|| {
        let top = (0.8 * cfg.penalty.cutoff()).min(0.5 * cfg.grid.nyquist());
        (0.05f64.min(0.25 * top), top.min(1.0))
    });
    let round_trip = round_trip(act, &cfg.penalty, cfg.grid, band)?;
    let mut columns = Vec::with_capacity(1 + cfg.compare.len());
    let mut dims = (0, 0);
    for a in std::iter::once(act).chain(cfg.compare.iter().copied()) {
        let (col, nm) = column(cfg, a)?;
        dims = nm;
        columns.push(col);
    }
    let phi0 = act.eval(0.0);
    let ends = eta[0].abs().max(eta[eta.len() - 1].abs());
    Ok(DesignActivationReport {
        penalty: cfg.penalty.label(),
        formula: cfg.penalty.formula(),
        activation: act.name(),
        activation_id: act.id_name(),
        grid: cfg.grid,
        z_range: (z[0], z[z.len() - 1]),
        phi0,
        end_ratio: if phi0 == 0.0 {
            f64::INFINITY
        } else {
            ends / phi0.abs()
        },
        round_trip,
        n: dims.0,
        m: dims.1,
        qs: cfg.qs.clone(),
        columns,
        points: (z, eta),
    })
}

fn column(
    cfg: &DesignActivationConfig,
    act: Activation,
) -> Result<(ActivationColumn, (usize, usize))> {
    let d = DesignSpec {
        activation: act,
        ..cfg.network.clone()
    }
    .build()?;
    let (n, m) = (d.n(), d.m());
    if cfg.k_max == 0 || cfg.k_max > n.min(m) {
        return Err(Error::invalid(
            "K_MAX",
            cfg.k_max,
            format!("a number of components from 1 to min(N, M) = {}", n.min(m)),
        ));
    }
    let svd = thin_svd(d.matrix().as_ref())?;
    let s0 = svd.s_max();
    if s0 <= 0.0 {
        return Err(Error::invalid(
            "design",
            d.label(),
            "a network whose A is not zero (the activation vanishes on every z = sigma(x - b))",
        ));
    }
    let y = cfg.signal.values(d.x())?;
    let ynorm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
    let solved = shrink(&svd, &y, &gd_exact_masks(1.0 / (s0 * s0), &cfg.qs))?;
    let residual = solved
        .iter()
        .map(|s| {
            if ynorm > 0.0 {
                (2.0 * s.loss).sqrt() / ynorm
            } else {
                0.0
            }
        })
        .collect();
    Ok((
        ActivationColumn {
            activation: act.name(),
            sigma: d.sigma(),
            s_over_s0: normalized(&svd.s),
            qk: q_table(&svd.s, cfg.k_max, n, m)?,
            residual,
        },
        (n, m),
    ))
}
