//! The q(K) table of every activation.

use super::Config;
use crate::error::Result;
use crate::gd::Progress;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::spectral::qk::{QkRow, q_table};
use crate::spectral::singular_values;
use crate::studies::reproduce::begin;

/// q(K), K = 1..k_max, per activation.
pub(super) struct QTables {
    /// The largest K (the configuration's, capped by min(N, M)).
    pub(super) k_max: usize,
    /// One table per activation, in the configuration's order.
    pub(super) tables: Vec<(Activation, Vec<QkRow>)>,
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

/// One set of singular values per activation (σ = M unless scale-equivariant).
pub(super) fn q_tables(cfg: &Config, progress: &dyn Progress) -> Result<QTables> {
    begin(
        progress,
        "fig8",
        &format!("q(K), {}x{}", cfg.n, cfg.m),
        cfg.activations.len() as u64,
    );
    let k_max = cfg.k_max.min(cfg.n.min(cfg.m));
    let mut tables: Vec<(Activation, Vec<QkRow>)> = Vec::new();
    for &a in &cfg.activations {
        let sigma = if a.is_scale_equivariant() {
            1.0
        } else {
            cfg.m as f64
        };
        let d = Design::spec(a).sigma(sigma).n(cfg.n).m(cfg.m).build()?;
        let s = singular_values(d.matrix().as_ref())?;
        tables.push((a, q_table(&s, k_max, cfg.n, cfg.m)?));
        progress.advance(1);
    }
    progress.finish();
    Ok(QTables { k_max, tables })
}
