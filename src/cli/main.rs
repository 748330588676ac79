//! `gdshrink`: the command-line front end. It parses flags and calls the
//! library; [`args`] holds the flag groups every command shares, [`output`]
//! the tables/JSON/files, [`progress`] the bars, [`commands`] one module each.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod args;
mod commands;
mod output;
mod plan;
mod progress;

use commands as cmd;

/// Gradient descent on a shallow network as a shrinkage operator on the singular
/// values of its Jacobian: spectra, closed-form masks, GD on CPU (f64) and GPU (f32).
#[derive(Parser, Debug)]
#[command(name = "gdshrink", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing the flag structs buys nothing
enum Command {
    /// Singular values of A (and principal components vs the DST basis).
    Spectrum(cmd::spectrum::SpectrumArgs),
    /// Closed-form prediction f_q, w_q at a list of q from one SVD (gd_exact, gd_flow, ridge, pca).
    Shrink(cmd::shrink::ShrinkArgs),
    /// The q(K) table: iterations needed to keep K components (Prop. 4.2, Fig. 8).
    Qk(cmd::qk::QkArgs),
    /// Full-batch gradient descent, literally iterated, on the CPU (f64) or the GPU (f32).
    Gd(cmd::gd::GdArgs),
    /// List GPU adapters and their limits.
    Devices(cmd::devices::DevicesArgs),
    /// Check GPU trajectories against the analytic mask (and the f64 CPU reference).
    Validate(cmd::validate::ValidateArgs),
    /// Time-to-result and quality: GD on the GPU vs one SVD + closed-form masks.
    Compare(cmd::compare::CompareArgs),
    /// Regenerate the paper's figures: data, plots and a checked report.
    Reproduce(cmd::reproduce::ReproduceArgs),
    /// Run a sweep file: runs sharing A as GPU batches, resumable, shardable (`sweep status DIR`).
    Sweep(cmd::sweep::SweepArgs),
    /// Merge sweep folders (shards): deduplicate, flag disagreements, report missing runs.
    Merge(cmd::merge::MergeArgs),
    /// Spectral penalty of an activation (FFT and closed form) against the singular values of A.
    Penalty(cmd::penalty::PenaltyArgs),
    /// Design an activation from a penalty (phi = F^-1[1/sqrt(rho)]), save it as a table, compare it.
    DesignActivation(cmd::design_activation::DesignActivationArgs),
}

/// The command line, with negative numbers accepted as values on every
/// subcommand (`--q -1` reaches the flag's own check instead of being taken
/// for an unknown flag).
fn parse() -> Cli {
    // Flags whose values may start with '-' (`--sigma -inf`, `--alpha -1e-3`):
    // the value reaches the flag's own check.
    const SIGNED: [&str; 11] = [
        "sigma",
        "alpha",
        "q",
        "ridge",
        "kappa",
        "tol_scale",
        "cpu_check",
        "floor",
        "spacing",
        "shard",
        "progress_interval",
    ];
    let cmd = Cli::command().mut_subcommands(|s| {
        s.allow_negative_numbers(true).mut_args(|a| {
            if SIGNED.contains(&a.get_id().as_str()) {
                a.allow_hyphen_values(true)
            } else {
                a
            }
        })
    });
    let matches = cmd.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// An error and its causes on one line, each cause said once (a cause that
/// the message already contains, as an OS error often is, is not repeated).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn main() -> ExitCode {
    let cli = parse();
    let result = match &cli.command {
        Command::Spectrum(a) => cmd::spectrum::run(a),
        Command::Shrink(a) => cmd::shrink::run(a),
        Command::Qk(a) => cmd::qk::run(a),
        Command::Gd(a) => cmd::gd::run(a),
        Command::Devices(a) => cmd::devices::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Reproduce(a) => cmd::reproduce::run(a),
        Command::Sweep(a) => cmd::sweep::run(a),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Penalty(a) => cmd::penalty::run(a),
        Command::DesignActivation(a) => cmd::design_activation::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}
