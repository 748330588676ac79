//! The paper's experiments (SPEC §6): each figure as data, plots and checked claims.
//!
//! Every experiment uses the library's engines — [`crate::model::design::Design`] for
//! $A_{ij} = \eta(\sigma(x_i - b_j))$, [`crate::spectral`] for singular values and
//! the thin SVD (or, for large designs, the leading components by the top-K
//! route where its residuals meet the figure's accuracy: [`route`]), [`crate::spectral::shrink()`] for the closed-form
//! $f_q = U \operatorname{diag}(m(s)) U^\top y$, [`crate::spectral::qk`] for q(K) and
//! [`crate::gd`] for literally iterated gradient descent — and writes
//! into its own folder of the output directory:
//!
//! | id | figure | what |
//! |---|---|---|
//! | `fig2` | Fig. 2 | mask curves m(s; α = 1, q) and the grey zone |
//! | `fig3` | Fig. 3 | normalized spectra s_k/s_0 of every activation |
//! | `fig4` | Fig. 4 | principal components u_k at N = M vs the DST basis |
//! | `fig5` | Fig. 5 | principal components at M = 50 |
//! | `fig6` | Fig. 6 | reconstruction PSNR vs K: (a) σ = M, q = q(K); (b) σ = K, q = 100 |
//! | `fig7` | Fig. 7, Prop. 3.1 | columns of ∇^{−r} vs shifted splines; network = spline smoothing |
//! | `fig8` | Fig. 8 | q(K) per activation |
//! | `fig9` | Fig. 9, App. E | 2-D principal components, rank-one vs full-rank V |
//! | `penalty` | extra (companion paper, SPEC §7) | spectral penalty of each activation vs s_k/s_0 of A, and what GD keeps |
//!
//! `penalty` is not a figure of the paper: it checks the companion paper's
//! prediction (arXiv 2503.10587) on this paper's designs, with its own claims,
//! and the report lists it after the paper's figures.
//!
//! Each experiment returns a [`FigureOutput`] with its [`Claim`]s. A claim
//! states what the paper (or SPEC) says, how it is checked (the criterion, with
//! its margin), and what was measured. [`ClaimKind::Hard`] claims are facts
//! the engine must reproduce (a failure is a defect); [`ClaimKind::Observation`]s
//! are the paper's empirical statements, reported with their numbers whether
//! they hold or not. [`report`] turns the outputs into `report.md`,
//! `report.html` and `claims.json`.
//!
//! Nothing here prints: progress goes through the [`Progress`] trait (each
//! stage is announced as `"<figure>: <stage>"`).
//!
//! Layout: one folder per figure (`fig2/` … `fig9/`, Figs. 4 and 5 share
//! `fig45/`; `penalty/` for the extra figure), each with the same files: `mod.rs` (the figure's `Config` and
//! `run`), `compute.rs` (the mathematics), `claims.rs` (one function per
//! checked claim) and `output.rs` (data files and plots). Shared by the
//! figures: `claim.rs` ([`Claim`], [`FigureOutput`]), [`route`] (dense SVD
//! or top-K, one rule for every figure, recorded in
//! [`FigureOutput::routes`]), `metrics.rs` (PSNR,
//! Spearman, log-log slope), `format.rs` (the number formats of the
//! measured texts) and `output.rs` (the file writers); [`report`] writes the
//! report files.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::gd::{NoProgress, Progress};

mod claim;
pub mod fig2;
pub mod fig3;
pub mod fig45;
pub mod fig6;
pub mod fig7;
pub mod fig8;
pub mod fig9;
mod format;
mod metrics;
mod output;
pub mod penalty;
pub mod report;
pub mod route;

pub use claim::{Claim, ClaimKind, FigureOutput};
pub use metrics::{psnr, spearman};

/// A stage of one figure begins: `progress` hears `"<figure>: <stage>"`.
pub(crate) fn begin(progress: &dyn Progress, figure: &str, stage: &str, total: u64) {
    progress.begin(&format!("{figure}: {stage}"), total);
}

/// Problem sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Smoke-test sizes (seconds; used by the test suite).
    Quick,
    /// The default: N = M = 1024 where the paper uses 5000 (a few minutes at most on 2 cores).
    Default,
    /// The paper's sizes (N = M = 5000): minutes (the large spectra take the
    /// route of [`route`]).
    Full,
}

impl Size {
    /// N = M of the square spectrum experiments (Figs. 3, 4 and 8): 256, 1024,
    /// or the paper's 5000.
    pub fn square(self) -> usize {
        match self {
            Size::Quick => 256,
            Size::Default => 1024,
            Size::Full => 5000,
        }
    }
}

/// An experiment of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Experiment {
    /// Fig. 2: masks and grey zone.
    Fig2,
    /// Fig. 3: spectra.
    Fig3,
    /// Fig. 4: principal components, N = M.
    Fig4,
    /// Fig. 5: principal components, M = 50.
    Fig5,
    /// Fig. 6: reconstruction.
    Fig6,
    /// Fig. 7 / Prop. 3.1: splines.
    Fig7,
    /// Fig. 8: q(K).
    Fig8,
    /// Fig. 9 / App. E: two dimensions.
    Fig9,
    /// Extra: the spectral penalty of each activation against the spectrum
    /// of A (companion paper, SPEC §7); not a figure of the paper.
    Penalty,
}

impl Experiment {
    /// All experiments: the paper's figures in order, then the extra one.
    pub const ALL: [Experiment; 9] = [
        Experiment::Fig2,
        Experiment::Fig3,
        Experiment::Fig4,
        Experiment::Fig5,
        Experiment::Fig6,
        Experiment::Fig7,
        Experiment::Fig8,
        Experiment::Fig9,
        Experiment::Penalty,
    ];

    /// Whether this is a figure of the paper (not the extra `penalty`).
    pub fn is_paper(self) -> bool {
        self != Experiment::Penalty
    }

    /// Id as used by `--only` and in file names.
    pub fn id(self) -> &'static str {
        match self {
            Experiment::Fig2 => "fig2",
            Experiment::Fig3 => "fig3",
            Experiment::Fig4 => "fig4",
            Experiment::Fig5 => "fig5",
            Experiment::Fig6 => "fig6",
            Experiment::Fig7 => "fig7",
            Experiment::Fig8 => "fig8",
            Experiment::Fig9 => "fig9",
            Experiment::Penalty => "penalty",
        }
    }

    /// Parses a comma-separated list (`fig2,fig6,penalty`, `all`); sorted, without duplicates.
    pub fn parse_list(s: &str) -> Result<Vec<Experiment>> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Experiment::ALL.to_vec());
        }
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let l = part.to_ascii_lowercase();
            let l = l.strip_prefix("fig").unwrap_or(&l).to_string();
            let e = match l.as_str() {
                "2" => Experiment::Fig2,
                "3" => Experiment::Fig3,
                "4" => Experiment::Fig4,
                "5" => Experiment::Fig5,
                "6" => Experiment::Fig6,
                "7" => Experiment::Fig7,
                "8" => Experiment::Fig8,
                "9" => Experiment::Fig9,
                "penalty" => Experiment::Penalty,
                _ => {
                    return Err(Error::invalid(
                        "figure",
                        format!("'{part}'"),
                        "a comma-separated list of fig2, fig3, fig4, fig5, fig6, fig7, fig8, fig9, penalty (or 'all')",
                    ));
                }
            };
            out.push(e);
        }
        if out.is_empty() {
            return Err(Error::invalid(
                "figure list",
                format!("'{s}'"),
                "at least one of fig2 … fig9, penalty",
            ));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

impl std::fmt::Display for Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Parameters of every experiment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Which size preset these settings came from.
    pub size: Size,
    /// Fig. 2.
    pub fig2: fig2::Config,
    /// Fig. 3.
    pub fig3: fig3::Config,
    /// Fig. 4.
    pub fig4: fig45::Config,
    /// Fig. 5.
    pub fig5: fig45::Config,
    /// Fig. 6.
    pub fig6: fig6::Config,
    /// Fig. 7.
    pub fig7: fig7::Config,
    /// Fig. 8.
    pub fig8: fig8::Config,
    /// Fig. 9.
    pub fig9: fig9::Config,
    /// The extra penalty figure.
    pub penalty: penalty::Config,
}

impl Settings {
    /// The preset for a size.
    pub fn new(size: Size) -> Self {
        Settings {
            size,
            fig2: fig2::Config::default(),
            fig3: fig3::Config::new(size),
            fig4: fig45::Config::fig4(size),
            fig5: fig45::Config::fig5(size),
            fig6: fig6::Config::new(size),
            fig7: fig7::Config::new(size),
            fig8: fig8::Config::new(size),
            fig9: fig9::Config::new(size),
            penalty: penalty::Config::new(size),
        }
    }
}

/// Runs one experiment, writing into `out/<id>/`.
pub fn run_experiment(
    e: Experiment,
    settings: &Settings,
    out: &Path,
    progress: &dyn Progress,
) -> Result<FigureOutput> {
    let start = Instant::now();
    let mut fig = match e {
        Experiment::Fig2 => fig2::run(&settings.fig2, out, progress),
        Experiment::Fig3 => fig3::run(&settings.fig3, out, progress),
        Experiment::Fig4 => fig45::run(&settings.fig4, out, progress),
        Experiment::Fig5 => fig45::run(&settings.fig5, out, progress),
        Experiment::Fig6 => fig6::run(&settings.fig6, out, progress),
        Experiment::Fig7 => fig7::run(&settings.fig7, out, progress),
        Experiment::Fig8 => fig8::run(&settings.fig8, out, progress),
        Experiment::Fig9 => fig9::run(&settings.fig9, out, progress),
        Experiment::Penalty => penalty::run(&settings.penalty, out, progress),
    }?;
    fig.seconds = start.elapsed().as_secs_f64();
    Ok(fig)
}

/// Everything a `reproduce` run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// One entry per experiment run, in figure order.
    pub figures: Vec<FigureOutput>,
    /// Size preset.
    pub size: Size,
    /// How the experiments computed ([`METHOD`]).
    pub engine: String,
    /// Worker threads used by the linear algebra.
    pub threads: usize,
    /// Total wall time in seconds.
    pub seconds: f64,
    /// The command line, for the record.
    pub command: String,
}

impl Report {
    /// Every claim, in figure order.
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.figures.iter().flat_map(|f| f.claims.iter())
    }

    /// The hard claims that failed.
    pub fn failed_hard(&self) -> Vec<&Claim> {
        self.claims()
            .filter(|c| c.kind == ClaimKind::Hard && !c.passed)
            .collect()
    }
}

/// How every experiment computes (recorded in the report as its `engine`).
pub const METHOD: &str = "cpu-f64: faer thin SVD / singular values, or the top-K block Krylov route (gdshrink::spectral::topk) where its residuals meet a figure's accuracy (studies::reproduce::route), + closed-form masks (gdshrink::spectral::shrink); literal f64 gradient descent (gdshrink::gd::CpuEngine) for the Prop. 4.1 check; FFT of the activation (gdshrink::spectral::penalty) for the extra penalty figure";

/// Runs the experiments in order and collects a [`Report`] (files are written
/// as each experiment finishes; call [`report::write`] for the report files).
pub fn run_all(
    list: &[Experiment],
    settings: &Settings,
    out: &Path,
    progress: &dyn Progress,
    command: &str,
) -> Result<Report> {
    std::fs::create_dir_all(out).map_err(|e| Error::io("cannot create directory", out, e))?;
    let start = Instant::now();
    let mut figures = Vec::with_capacity(list.len());
    for &e in list {
        figures.push(run_experiment(e, settings, out, progress)?);
    }
    Ok(Report {
        figures,
        size: settings.size,
        engine: METHOD.to_string(),
        threads: rayon::current_num_threads(),
        seconds: start.elapsed().as_secs_f64(),
        command: command.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_list_knows_the_extra_figure() {
        assert_eq!(
            Experiment::parse_list("penalty, fig2").unwrap(),
            vec![Experiment::Fig2, Experiment::Penalty]
        );
        let all = Experiment::parse_list("all").unwrap();
        assert_eq!(all.len(), 9);
        assert_eq!(all.iter().filter(|e| !e.is_paper()).count(), 1);
        let err = Experiment::parse_list("fig10").unwrap_err().to_string();
        assert!(err.contains("penalty") && err.contains("fig10"), "{err}");
    }
}
