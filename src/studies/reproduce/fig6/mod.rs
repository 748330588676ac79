//! Fig. 6 — reconstruction of a signal row, PSNR vs the number K of kept
//! components (paper §6, SPEC §6 protocol).
//!
//! A row of L pixels (pixel p at x = p/(L−1)) is fitted on its even pixels
//! (N = ⌈L/2⌉) by a network of width M with linspace biases, in closed form:
//! one thin SVD of the N×M design matrix per (activation, σ), then
//! $w_q = V \operatorname{diag}(m(s)/s) U^\top y$ for every mask at once
//! ([`crate::spectral::shrink()`]), evaluated at every pixel as f = A_eval w.
//!
//! * (a) σ = M, α = 1/s_max², q = q(K) = ⌈(s_0/s_{K−1})²⌉ ([`crate::spectral::qk`]);
//!   an unreachable q(K) (s_{K−1} numerically zero) is reported, never faked.
//! * (b) σ = K, q = 100, α = 1/s_max² of that σ's matrix.
//! * Baselines: least squares on the training pixels with the DST-like basis
//!   sin(π(k+½)x), k < K (paper), and with cos(πkx), k < K ("dct", an extra
//!   baseline without the DST's zero at x = 0).
//!
//! PSNR = 10·log10(1/MSE) over four pixel sets: `all`, `rest` (odd pixels,
//! the held-out ones; SPEC default), and their interiors [L/16, 15L/16).
//! Reconstructions are unclipped unless `clip` is set.
//! A literal f64 gradient-descent run ([`crate::gd`]) checks the closed
//! form at the (a) iteration counts (Prop. 4.1).
//!
//! [`evaluate`] (in `compute`) runs the protocol on a row, `claims` checks
//! the curves, `output` writes the tables, `fig6.json` and the plots.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::format::{g, names};
use super::{FigureOutput, Progress, Size};
use crate::error::{Error, Result};
use crate::model::activation::Activation;
use crate::model::grid::linspace;
use crate::model::signal::Builtin;

mod claims;
mod compute;
mod output;

pub use compute::{Curve, Fig6Data, GdCheck, Psnr, evaluate};

/// Which pixels the PSNR of the claims and plots is computed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestSet {
    /// The odd (held-out) pixels (default).
    #[default]
    Rest,
    /// Every pixel.
    All,
}

impl std::str::FromStr for TestSet {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rest" | "odd" | "test" => Ok(TestSet::Rest),
            "all" => Ok(TestSet::All),
            _ => Err(Error::invalid(
                "test set",
                format!("'{s}'"),
                "'rest' (the odd, held-out pixels) or 'all' (every pixel)",
            )),
        }
    }
}

impl std::fmt::Display for TestSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestSet::Rest => "rest",
            TestSet::All => "all",
        })
    }
}

/// The signal row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RowSignal {
    /// Where it came from (built-in name, or file and row).
    pub label: String,
    /// Intensities, one per pixel.
    #[serde(skip)]
    pub values: Vec<f64>,
    /// True for a built-in signal (its claims are checked as hard claims).
    pub builtin: bool,
}

impl RowSignal {
    /// A built-in signal sampled at x = p/(L−1), min-max scaled to [0, 1].
    pub fn builtin(b: Builtin, l: usize) -> Self {
        RowSignal {
            label: format!("{b} (built-in, L = {l})"),
            values: b.sample(&linspace(l)),
            builtin: true,
        }
    }
}

/// Everything that defines the computation (the signal aside).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Protocol {
    /// Width M.
    pub m: usize,
    /// K values (those above N, or above min(N, M) for (a), are skipped).
    pub ks: Vec<usize>,
    /// Fixed q of experiment (b).
    pub q_b: u64,
    /// Clip reconstructions to [0, 1] before the PSNR.
    pub clip: bool,
    /// Activations.
    pub activations: Vec<Activation>,
    /// Run literal GD for the Prop. 4.1 check on (a)'s tanh (or first activation)
    /// at every q(K) up to this many iterations (0: no check).
    pub gd_check_max_q: u64,
}

/// Parameters of Fig. 6.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// The row.
    pub signal: RowSignal,
    /// The computation.
    pub protocol: Protocol,
    /// Pixel set of the claims and plots.
    pub test: TestSet,
}

/// K values 1, 2, 3, 4, 6, 8, 12, … (×1.5 / ×4/3 steps) up to and including N.
pub fn default_ks(n: usize) -> Vec<usize> {
    let mut ks = vec![1, 2, 3];
    let mut p = 4usize;
    while p <= n {
        ks.push(p);
        if p + p / 2 <= n {
            ks.push(p + p / 2);
        }
        p *= 2;
    }
    ks.retain(|&k| k <= n);
    if ks.last() != Some(&n) {
        ks.push(n);
    }
    ks.sort_unstable();
    ks.dedup();
    ks
}

impl Config {
    /// Preset: a built-in signal (doppler) of L = 512 pixels and M = 1024 as in
    /// the paper (quick: L = 128, M = 256).
    pub fn new(size: Size) -> Self {
        let (l, m) = match size {
            Size::Quick => (128, 256),
            Size::Default | Size::Full => (512, 1024),
        };
        Config {
            signal: RowSignal::builtin(Builtin::Doppler, l),
            protocol: Protocol {
                m,
                ks: default_ks(l.div_ceil(2)),
                q_b: 100,
                clip: false,
                activations: vec![
                    Activation::Tanh,
                    Activation::Relu,
                    Activation::Sinc,
                    Activation::Gaussian,
                ],
                gd_check_max_q: 5000,
            },
            test: TestSet::Rest,
        }
    }

    /// Replaces the signal (and the K list, to fit the new N).
    #[must_use]
    pub fn with_signal(mut self, signal: RowSignal) -> Self {
        self.protocol.ks = default_ks(signal.values.len().div_ceil(2));
        self.signal = signal;
        self
    }
}

/// Runs Fig. 6.
pub fn run(cfg: &Config, out: &Path, progress: &dyn Progress) -> Result<FigureOutput> {
    let data = evaluate(&cfg.signal.values, &cfg.protocol, progress)?;
    let data_files = output::write_data(cfg, out, &data)?;
    let plots = output::plots(cfg, out, &data)?;
    Ok(FigureOutput {
        id: "fig6".into(),
        title: "Fig. 6 — reconstruction PSNR vs K".into(),
        description: format!(
            "(a) σ = M, α = 1/s_max², q = q(K); (b) σ = K, q = {}; activations {}; DST baseline = least squares with sin(π(k+½)x), k < K, on the training pixels. Signal: {}.",
            cfg.protocol.q_b,
            names(&cfg.protocol.activations),
            cfg.signal.label
        ),
        data_files,
        plots,
        claims: claims::claims(cfg, &data),
        config: json!({"signal": cfg.signal, "protocol": cfg.protocol, "test": cfg.test, "L": data.l, "N": data.n}),
        notes: notes(cfg, &data),
        routes: Vec::new(),
        seconds: 0.0,
    })
}

/// The protocol in words, unreachable q(K) and a row outside [0, 1].
fn notes(cfg: &Config, data: &Fig6Data) -> Vec<String> {
    let mut notes = vec![
        format!(
            "Signal: {}; L = {}, N = {} training pixels (even), test set '{}'; width M = {}; biases linspace; α = 1/s_max²; closed-form gd_exact in f64; reconstructions {}.",
            cfg.signal.label,
            data.l,
            data.n,
            cfg.test,
            cfg.protocol.m,
            if cfg.protocol.clip { "clipped to [0, 1]" } else { "unclipped" }
        ),
        "q(K) = ⌈(s_0/s_{K−1})²(1 − 1e−9)⌉ (Eq. 17, with the square; the paper's Fig. 6 caption omits it).".into(),
        "The DST basis is 0 at x = 0, as is the relu network there (x_0 = b_0): both are capped by pixel 0 on 'all' pixels; see the interior PSNR.".into(),
    ];
    for c in &data.a {
        let un: Vec<usize> = data
            .ks
            .iter()
            .zip(&c.q)
            .filter(|(_, q)| q.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !un.is_empty() {
            notes.push(format!(
                "(a) {}: q(K) unreachable for K = {:?} (s_(K−1) numerically zero) — no point plotted.",
                c.activation, un
            ));
        }
    }
    let (lo, hi) = compute::min_max(&cfg.signal.values);
    if lo < 0.0 || hi > 1.0 {
        notes.push(format!(
            "The row's values span [{}, {}], not [0, 1]: PSNR assumes a peak of 1 (use --minmax to rescale).",
            g(lo),
            g(hi)
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_lists_and_test_sets() {
        assert_eq!(
            default_ks(64),
            vec![1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
        );
        assert_eq!(default_ks(5), vec![1, 2, 3, 4, 5]);
        assert_eq!("all".parse::<TestSet>().unwrap(), TestSet::All);
        assert!("train".parse::<TestSet>().is_err());
    }
}
