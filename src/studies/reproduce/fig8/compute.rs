//! The q(K) table of every activation.

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::qk::{QkRow, q_table};
use crate::studies::reproduce::begin;
use crate::studies::reproduce::route::{Need, Routes, leading};

/// q(K), K = 1..k_max, per activation.
pub(super) struct QTables {
    /// The largest K (the configuration's, capped by min(N, M)).
    pub(super) k_max: usize,
    /// One table per activation, in the configuration's order.
    pub(super) tables: Vec<(Activation, Vec<QkRow>)>,
    /// The route of each activation's spectrum.
    pub(super) routes: Routes,
}

impl QTables {
    /// q(K) of activation `a` (`None`: not computed or unreachable).
    pub(super) fn q_at(&self, a: Activation, k: usize) -> Option<f64> {
        self.tables
            .iter()
            .find(|t| t.0 == a)
            .and_then(|t| t.1.get(k.checked_sub(1)?))
            .and_then(|r| r.q)
            .map(|q| q as f64)
    }

    /// Whether activation `a` was computed.
    pub(super) fn has(&self, a: Activation) -> bool {
        self.tables.iter().any(|t| t.0 == a)
    }
}

/// What Fig. 8 reads of the spectrum of `a`: s_0 … s_{K_max−1}, to three
/// digits (q(K) to three digits; heaviside's to 5e-10, its closed-form claim
/// checks (s_0/s_(K−1))² to 1e-9), except values certified below the q
/// table's numerical zero max(N, M)·ε·s_0, which are unreachable anyway.
fn need(cfg: &Config, a: Activation, k_max: usize) -> Need {
    Need {
        k: k_max,
        rel: if a == Activation::Heaviside {
            5e-10
        } else {
            1e-3
        },
        floor: cfg.n.max(cfg.m) as f64 * f64::EPSILON,
        angle: 0.0,
    }
}

/// One set of singular values per activation (σ = M unless scale-equivariant),
/// each by the route of [`leading`].
pub(super) fn q_tables(cfg: &Config, progress: &dyn Progress) -> Result<QTables> {
    begin(
        progress,
        "fig8",
        &format!("q(K), {}x{}", cfg.n, cfg.m),
        cfg.activations.len() as u64,
    );
    let k_max = cfg.k_max.min(cfg.n.min(cfg.m));
    let mut tables: Vec<(Activation, Vec<QkRow>)> = Vec::new();
    let mut routes = Routes::default();
    for &a in &cfg.activations {
        let sigma = if a.is_scale_equivariant() {
            1.0
        } else {
            cfg.m as f64
        };
        let d = Design::spec(a).sigma(sigma).n(cfg.n).m(cfg.m).build()?;
        let l = leading(&d, &need(cfg, a, k_max))?;
        routes.push(a.name(), &l.route);
        tables.push((a, q_table(&l.s, k_max, cfg.n, cfg.m)?));
        progress.advance(1);
    }
    progress.finish();
    Ok(QTables {
        k_max,
        tables,
        routes,
    })
}
