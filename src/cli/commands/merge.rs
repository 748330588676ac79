//! `gdshrink merge DIR… [--out DIR]`: the union of sweep folders (shards):
//! rows deduplicated on (run_id, q), rows that disagree flagged, runs of the
//! plans that no folder produced reported; the array files the rows name
//! copied into the output folder; exit status 3 when anything is missing or
//! disagrees.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::output::atomic::write_bytes_atomic;
use gdshrink::studies::sweep::arrays::copy_into;
use gdshrink::studies::sweep::merge_folders;
use gdshrink::studies::sweep::results::write_tables;

use super::sweep::EXIT_FAILED_RUNS;

/// Flags of `gdshrink merge`.
#[derive(Args, Debug)]
#[command(after_help = "Example: gdshrink merge shard1 shard2 shard3 shard4 --out all")]
pub struct MergeArgs {
    /// Sweep folders (each with plan.json and journal/).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged plan.json, results.parquet and results.csv (default: the first DIR).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &MergeArgs) -> Result<()> {
    for d in &args.dirs {
        if !d.is_dir() {
            bail!(
                "invalid folder '{}': give sweep folders (each with plan.json)",
                d.display()
            );
        }
    }
    let (plan, state) = merge_folders(&args.dirs)?;
    let out = args.out.clone().unwrap_or_else(|| args.dirs[0].clone());
    let mut rows = state.rows_of(&plan);
    let tally = state.tally(&plan);
    let json = serde_json::to_vec_pretty(&plan)?;
    write_bytes_atomic(&out.join("plan.json"), &json)?;
    // The arrays the rows name, copied before the tables that point at them.
    let copied = copy_into(&out, &state, &plan)?;
    write_tables(&out, &mut rows)?;
    println!(
        "merged {} folders ({} journals): {} runs in the plans, {} done, {} failed, {} missing; {} rows -> {}",
        args.dirs.len(),
        state.journals,
        plan.runs(),
        tally.done.len(),
        tally.failed.len(),
        tally.pending.len(),
        rows.len(),
        out.join("results.parquet").display()
    );
    if copied > 0 {
        println!(
            "copied {copied} array file(s) into {}",
            out.join("arrays").display()
        );
    }
    for d in &state.disagreements {
        println!("{d}");
    }
    for id in tally.pending.iter().take(20) {
        let (g, r) = plan
            .find(id)
            .map_or((String::new(), String::new()), |(g, r)| {
                (g.id[..8].to_string(), r.signal.label())
            });
        println!("missing: run {id} (group {g}, signal {r})");
    }
    if tally.pending.len() > 20 {
        println!("… {} more missing", tally.pending.len() - 20);
    }
    if !tally.pending.is_empty() || !state.disagreements.is_empty() {
        eprintln!(
            "{} run(s) missing, {} disagreement(s): rerun the shards that produced nothing (same command), then merge again",
            tally.pending.len(),
            state.disagreements.len()
        );
        std::process::exit(EXIT_FAILED_RUNS);
    }
    Ok(())
}
