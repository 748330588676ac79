//! `gdshrink reproduce`: regenerate the paper's figures — data, plots and a
//! checked report — in one command.
//!
//! The experiments live in the library (`gdshrink::experiments`); this file
//! parses flags, builds the settings, shows progress bars on stderr and
//! prints the summary (or the claim list as JSON).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use gdshrink::model::signal::{self, Builtin, Channel};
use gdshrink::studies::reproduce::fig6::{RowSignal, TestSet};
use gdshrink::studies::reproduce::{
    self, ClaimKind, Experiment, NoProgress, Progress, Settings, Size, report,
};

use crate::args::parse_lib;
use crate::progress::Bars;

/// Flags of `gdshrink reproduce`.
#[derive(Args, Debug)]
#[allow(clippy::struct_excessive_bools)] // one bool per on/off flag, as clap reads them
pub struct ReproduceArgs {
    /// Figures to run, comma-separated: fig2,fig3,fig4,fig5,fig6,fig7,fig8,fig9 and the extra `penalty` (the companion paper's spectral penalty against the spectrum of A) (default: all).
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = parse_only)]
    pub only: Only,
    /// The paper's sizes (N = M = 5000 for Figs. 3, 4, 5, 8; 64×64 grid for Fig. 9; N = M = 2048 for penalty): about 8 minutes on 2 cores.
    #[arg(long)]
    pub full: bool,
    /// Smoke-test sizes (seconds): N = M = 256, Fig. 6 on L = 128 pixels.
    #[arg(long, conflicts_with = "full")]
    pub quick: bool,
    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR", default_value = "gdshrink-out")]
    pub out: PathBuf,
    /// Print the claim list as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long)]
    pub no_progress: bool,

    /// Fig. 6: built-in signal row (blocks, bumps, heavisine, doppler), sampled at x = p/(L−1) and scaled to [0, 1].
    #[arg(long, default_value = "doppler", value_parser = parse_lib::<Builtin>, help_heading = "Fig. 6 signal", conflicts_with_all = ["image", "row_file"])]
    pub signal: Builtin,
    /// Fig. 6: length L of the built-in row (default 512, as the paper's 'peppers' row; 128 with --quick).
    #[arg(long, value_name = "L", help_heading = "Fig. 6 signal", conflicts_with_all = ["image", "row_file"], value_parser = crate::args::parse_fig6_len)]
    pub length: Option<usize>,
    /// Fig. 6: take the row from an image (PNG, JPEG, TIFF), scaled to [0, 1] by its pixel type's range.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Fig. 6 signal",
        conflicts_with = "row_file"
    )]
    pub image: Option<PathBuf>,
    /// Fig. 6: row index (0 = top) of --image (default 100, as in the paper) or of a 2-D --row-file.
    #[arg(long, value_name = "R", help_heading = "Fig. 6 signal", value_parser = crate::args::parse_row)]
    pub row: Option<usize>,
    /// Fig. 6: image channel: luma (Rec. 601 gray, default), r, g or b.
    #[arg(long, default_value = "luma", value_parser = parse_lib::<Channel>, help_heading = "Fig. 6 signal", requires = "image")]
    pub channel: Channel,
    /// Fig. 6: take the row from a data file: .npy (vector or 2-D with --row), .csv or .txt; values used as stored.
    #[arg(long, value_name = "FILE", help_heading = "Fig. 6 signal")]
    pub row_file: Option<PathBuf>,
    /// Fig. 6: min-max scale the row from --image/--row-file to [0, 1].
    #[arg(long, help_heading = "Fig. 6 signal")]
    pub minmax: bool,
    /// Fig. 6: test pixels of the PSNR: rest (odd, held-out pixels; default) or all.
    #[arg(long, default_value = "rest", value_parser = parse_lib::<TestSet>, help_heading = "Fig. 6 signal")]
    pub test: TestSet,
    /// Fig. 6: clip reconstructions to [0, 1] before the PSNR (default: unclipped).
    #[arg(long, help_heading = "Fig. 6 signal")]
    pub clip: bool,
    /// Fig. 6: network width M (default 1024, as in the paper).
    #[arg(long, value_name = "M", help_heading = "Fig. 6 signal", value_parser = crate::args::parse_fig6_len)]
    pub width: Option<usize>,
}

/// The figures chosen with `--only`.
#[derive(Clone, Debug)]
pub struct Only(pub Vec<Experiment>);

fn parse_only(s: &str) -> std::result::Result<Only, String> {
    Experiment::parse_list(s)
        .map(Only)
        .map_err(|e| e.to_string())
}

fn signal_row(args: &ReproduceArgs, size: Size) -> Result<Option<RowSignal>> {
    let (values, label) = if let Some(path) = &args.image {
        let row = args.row.unwrap_or(100);
        let v = signal::image_row(path, row, args.channel)
            .with_context(|| format!("reading row {row} of --image {}", path.display()))?;
        let label = format!("{} row {row} ({})", path.display(), args.channel);
        (v, label)
    } else if let Some(path) = &args.row_file {
        let v = signal::file_row(path, args.row)
            .with_context(|| format!("reading --row-file {}", path.display()))?;
        let label = match args.row {
            Some(r) => format!("{} row {r}", path.display()),
            None => path.display().to_string(),
        };
        (v, label)
    } else {
        let default_l = if size == Size::Quick { 128 } else { 512 };
        let l = args.length.unwrap_or(default_l);
        if l < 8 {
            bail!("--length {l} is too short: give at least 8 pixels");
        }
        if args.minmax {
            bail!(
                "--minmax applies to --image or --row-file; built-in signals are already scaled to [0, 1]"
            );
        }
        return Ok(Some(RowSignal::builtin(args.signal, l)));
    };
    let values = if args.minmax {
        signal::minmax_scale(values)
    } else {
        values
    };
    Ok(Some(RowSignal {
        label: if args.minmax {
            format!("{label}, min-max scaled")
        } else {
            label
        },
        values,
        builtin: false,
    }))
}

/// Runs the command.
/// The output folder and the Fig. 6 problem, checked before any work.
fn preflight(args: &ReproduceArgs, settings: &Settings) -> Result<()> {
    for name in ["report.md", "report.html", "claims.json"] {
        gdshrink::output::atomic::check_writable("--out", &args.out.join(name))?;
    }
    if args.only.0.contains(&Experiment::Fig6) {
        let l = settings.fig6.signal.values.len();
        let m = settings.fig6.protocol.m;
        let plan = gdshrink::resources::dense_plan(l, m, true, "use a smaller --length or --width");
        crate::plan::check("reproduce", &plan)?;
    }
    Ok(())
}

pub fn run(args: &ReproduceArgs) -> Result<()> {
    let size = if args.full {
        Size::Full
    } else if args.quick {
        Size::Quick
    } else {
        Size::Default
    };
    let mut settings = Settings::new(size);
    if args.row.is_some() && args.image.is_none() && args.row_file.is_none() {
        bail!("--row needs --image FILE or --row-file FILE");
    }
    if let Some(sig) = signal_row(args, size)? {
        settings.fig6 = settings.fig6.with_signal(sig);
    }
    if let Some(m) = args.width {
        if m == 0 {
            bail!("--width 0 is not a width: give M >= 1");
        }
        settings.fig6.protocol.m = m;
    }
    settings.fig6.protocol.clip = args.clip;
    preflight(args, &settings)?;
    settings.fig6.test = args.test;

    let bars = Bars::stages();
    let progress: &dyn Progress = if args.no_progress { &NoProgress } else { &bars };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let rep = reproduce::run_all(&args.only.0, &settings, &args.out, progress, &command)
        .with_context(|| format!("running the experiments into {}", args.out.display()))?;
    let files = report::write(&rep, &args.out)?;

    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::claims_json(&rep))?
        );
    } else {
        let (hp, hf) = report::tally(&rep, ClaimKind::Hard);
        let (op, of) = report::tally(&rep, ClaimKind::Observation);
        println!("{:<44} {:<12} result  measured", "claim", "kind");
        for c in rep.claims() {
            let mut m = c.measured.clone();
            if m.chars().count() > 110 {
                m = m.chars().take(107).collect::<String>() + "...";
            }
            println!(
                "{:<44} {:<12} {:<7} {}",
                c.id,
                match c.kind {
                    ClaimKind::Hard => "hard",
                    ClaimKind::Observation => "observation",
                },
                c.verdict(),
                m
            );
        }
        println!(
            "\nhard claims: {hp} pass, {hf} fail; observations: {op} pass, {of} fail; {:.1} s",
            rep.seconds
        );
        for f in &files {
            println!("wrote {}", f.display());
        }
    }
    let failed = rep.failed_hard();
    if !failed.is_empty() {
        // Fig. 6's claims are the paper's, for its signal and sizes: say which
        // flags this run changed, since they are the likely cause.
        let fig6_changed = fig6_changes(args);
        let cause = if failed.iter().any(|c| c.figure == "fig6") && !fig6_changed.is_empty() {
            format!(
                "; Fig. 6's claims are stated for the paper's signal and sizes, and this run sets {}",
                fig6_changed.join(", ")
            )
        } else {
            String::new()
        };
        bail!(
            "{} hard claim(s) failed: {} (see {}){cause}",
            failed.len(),
            failed
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            args.out.join("report.md").display()
        );
    }
    Ok(())
}

/// The Fig. 6 flags of this run that differ from the paper's setting.
fn fig6_changes(args: &ReproduceArgs) -> Vec<String> {
    let mut out = Vec::new();
    if args.signal != Builtin::Doppler {
        out.push(format!("--signal {}", args.signal.name()));
    }
    for (given, flag) in [
        (args.length.is_some(), "--length"),
        (args.image.is_some(), "--image"),
        (args.row_file.is_some(), "--row-file"),
        (args.row.is_some(), "--row"),
        (args.minmax, "--minmax"),
        (args.test != TestSet::Rest, "--test"),
        (args.clip, "--clip"),
        (args.width.is_some(), "--width"),
        (args.quick, "--quick"),
    ] {
        if given {
            out.push(flag.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

    fn parse(words: &[&str]) -> ReproduceArgs {
        let cmd = ReproduceArgs::augment_args(clap::Command::new("reproduce"));
        let m = cmd
            .try_get_matches_from(std::iter::once("reproduce").chain(words.iter().copied()))
            .unwrap();
        ReproduceArgs::from_arg_matches(&m).unwrap()
    }

    #[test]
    fn a_failed_fig6_claim_names_the_flags_that_left_the_papers_setting() {
        assert!(fig6_changes(&parse(&[])).is_empty());
        assert_eq!(
            fig6_changes(&parse(&["--signal", "blocks", "--quick"])),
            ["--signal blocks", "--quick"]
        );
        assert_eq!(
            fig6_changes(&parse(&["--width", "256", "--test", "all", "--clip"])),
            ["--test", "--clip", "--width"]
        );
    }
}
