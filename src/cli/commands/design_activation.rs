//! `gdshrink design-activation`: an activation designed from a penalty,
//! φ_ρ = F⁻¹[1/√ρ] on a uniform grid, written as a table (`--save`, usable
//! as `--activation table:FILE` by every command), its penalty measured
//! back against ρ, and its network next to built-in activations: s_k/s_0,
//! q(K) and the GD reconstruction error at a few q.
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * the round trip, one row per measured frequency in the band: `nu`,
//!   `rho_requested`, `rho_measured`;
//! * r = min(N, M) rows: `k`, then `s_over_s0_{activation}` per activation;
//! * K_max rows: `K`, then `q_{activation}` per activation.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use gdshrink::gd::QList;
use gdshrink::model::{Activation, Signal};
use gdshrink::output::Table;
use gdshrink::output::table::{TextTable, num};
use gdshrink::spectral::penalty::design::{DesignGrid, PenaltySpec};
use gdshrink::studies::design_activation::{
    DesignActivationConfig, DesignActivationReport, MAX_COMPARE, run as study,
};
use serde_json::Value;

use crate::args::{
    ActivationList, ShapeArgs, Sizes, parse_activation_list, parse_lib, parse_positive,
};
use crate::output::{OutputArgs, base_json, header};
use crate::progress::spinner;

/// Flags of `gdshrink design-activation`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: gdshrink design-activation --penalty power:4 --save phi.csv --sigma 8 -n 256 -m 256\n\
                  then:    gdshrink penalty -a table:phi.csv --sigma 8 -n 256 -m 256"
)]
pub struct DesignActivationArgs {
    /// The penalty rho(nu), nu in cycles per unit z: power:P[:C] ((1 + (nu/C)^2)^(P/2),
    /// 0 < P <= 16, C = 0.25 by default), exp:B (exp(|nu|/B)), band:NU (1 up to NU,
    /// infinite beyond), or table:FILE (.csv with columns nu,rho or .npy (n, 2); log-linear between).
    #[arg(long, value_name = "SPEC", value_parser = parse_lib::<PenaltySpec>)]
    pub penalty: PenaltySpec,
    /// Where the designed activation is written: .csv (columns z,eta) or .npy (n x 2).
    #[arg(long, value_name = "FILE")]
    pub save: PathBuf,
    /// Grid spacing h of the table (1/1024 to 1); it follows rho up to 1/(2h) cycles per unit z.
    #[arg(long, value_name = "H", default_value = "0.015625", value_parser = parse_spacing)]
    pub spacing: f64,
    /// Points n of the table (a power of two, 256 to 1048576); it spans n*h.
    #[arg(long, value_name = "N", default_value = "16384", value_parser = parse_points)]
    pub points: usize,
    /// Band of the round trip, LO:HI in cycles per unit z (default 0.05:min(1, 0.8 x band edge)).
    #[arg(long, value_name = "LO:HI", value_parser = parse_band)]
    pub band: Option<(f64, f64)>,
    /// Activations shown next to the designed one (comma list, or `all`; at most 16).
    #[arg(long, default_value = "tanh,relu,gaussian", value_parser = parse_activation_list)]
    pub compare: ActivationList,
    /// Rows K = 1..K_MAX of q(K) (at most min(N, M)).
    #[arg(long, value_name = "K_MAX", default_value = "10", value_parser = parse_positive)]
    pub k_max: usize,
    /// Step counts q of the reconstruction error (comma list, or log:LO:HI:COUNT).
    #[arg(long, default_value = "10,100,1000,10000", value_parser = parse_lib::<QList>)]
    pub q: QList,
    /// Target y of the reconstruction: blocks, bumps, heavisine, doppler, or a file.
    #[arg(long, default_value = "heavisine", value_parser = parse_lib::<Signal>)]
    pub signal: Signal,
    #[command(flatten)]
    pub shape: ShapeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

const ENGINE: &str =
    "cpu-f64 (rustfft: inverse transform of 1/sqrt(rho), FFT of the table; faer SVD of A)";

/// Runs the command.
pub fn run(args: &DesignActivationArgs) -> Result<()> {
    args.output.check()?;
    let ext = args
        .save
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "csv" && ext != "npy" {
        bail!(
            "--save {}: the designed table is written as .csv (columns z,eta) or .npy (n x 2); give one of those extensions",
            args.save.display()
        );
    }
    gdshrink::output::atomic::check_writable("--save", &args.save)?;
    if args.compare.0.len() > MAX_COMPARE {
        bail!(
            "--compare lists {} activations; at most {MAX_COMPARE}",
            args.compare.0.len()
        );
    }
    Sizes::Shape(&args.shape).check_count(
        "--k-max",
        args.k_max,
        crate::plan::sizes(&args.shape),
        "q(K) needs s_(K-1), and A has only min(N, M) singular values",
    )?;
    let mut plan = crate::plan::dense(&args.shape, true);
    plan.ops *= (1 + args.compare.0.len()) as f64;
    crate::plan::check("design-activation", &plan)?;
    let cfg = DesignActivationConfig {
        penalty: args.penalty.clone(),
        grid: DesignGrid {
            h: args.spacing,
            len: args.points,
        },
        band: args.band,
        source: args.save.display().to_string(),
        network: args.shape.spec(Activation::Tanh),
        compare: args.compare.0.clone(),
        k_max: args.k_max,
        qs: args.q.values().to_vec(),
        signal: args.signal.clone(),
    };
    let sp = spinner("inverse FFT of 1/sqrt(rho), FFT of the table, SVD of each network");
    let r = study(&cfg).with_context(|| {
        format!(
            "designing an activation for --penalty {}",
            cfg.penalty.label()
        )
    })?;
    sp.finish_and_clear();
    let (z, eta) = &r.points;
    Table::new()
        .with("z", z.clone())
        .with("eta", eta.clone())
        .write(&args.save)
        .with_context(|| format!("writing --save {}", args.save.display()))?;
    let what = format!(
        "penalty {} ({}); networks: sigma = {}, N = {}, M = {}",
        r.penalty,
        r.formula,
        r.columns.first().map_or(0.0, |c| c.sigma),
        r.n,
        r.m
    );
    let mut human = header("design-activation", ENGINE, &what);
    human.push_str(&render(&r));
    let mut j = base_json("design-activation", ENGINE);
    j.insert(
        "save".into(),
        Value::String(args.save.display().to_string()),
    );
    if let Value::Object(rep) = serde_json::to_value(&r)? {
        j.extend(rep);
    }
    args.output.emit(&human, &Value::Object(j), &table(&r))
}

fn render(r: &DesignActivationReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "wrote {} ({} points, h = {}, z in [{}, {}], linear between the points): use --activation {}",
        r.activation.trim_start_matches("table:"),
        r.grid.len,
        num(r.grid.h),
        num(r.z_range.0),
        num(r.z_range.1),
        r.activation
    );
    let _ = writeln!(
        s,
        "phi(0) = {}; max |phi| at the table's ends / |phi(0)| = {} (the tail beyond is lost)",
        num(r.phi0),
        num(r.end_ratio)
    );
    let rt = &r.round_trip;
    let mut t = TextTable::new([
        "nu (1/z)",
        "rho requested",
        "rho measured",
        "measured/requested",
    ]);
    let step = (rt.rows.len() / 12).max(1);
    for row in rt.rows.iter().step_by(step) {
        t.row([
            num(row.nu),
            num(row.requested),
            num(row.measured),
            num(row.measured / row.requested),
        ]);
    }
    s.push_str(&t.render());
    let _ = writeln!(
        s,
        "round trip over nu in [{}, {}] ({} frequencies, FFT h = {}): max |measured/requested - 1| = {}{}",
        num(rt.band.0),
        num(rt.band.1),
        rt.rows.len(),
        num(rt.grid.h),
        num(rt.max_rel),
        match (rt.fit_measured, rt.fit_requested) {
            (Some(a), Some(b)) => format!(
                "; log-log slope {:.4} measured, {:.4} requested",
                a.slope, b.slope
            ),
            _ => String::new(),
        }
    );
    s.push('\n');
    let names: Vec<String> = r.columns.iter().map(|c| c.activation.clone()).collect();
    let heads = |first: &str| {
        let mut h = vec![first.to_string()];
        h.extend(names.iter().cloned());
        h
    };
    let mut t = TextTable::new(heads("k: s_k/s_0"));
    let rr = r.columns.first().map_or(0, |c| c.s_over_s0.len());
    let mut k = 0usize;
    while k < rr {
        let mut row = vec![k.to_string()];
        row.extend(r.columns.iter().map(|c| num(c.s_over_s0[k])));
        t.row(row);
        k = if k < 4 { k + 1 } else { k * 2 };
    }
    s.push_str(&t.render());
    let mut t = TextTable::new(heads("K: q(K)"));
    let kmax = r.columns.first().map_or(0, |c| c.qk.len());
    for i in 0..kmax {
        let mut row = vec![(i + 1).to_string()];
        row.extend(r.columns.iter().map(|c| {
            c.qk[i]
                .q
                .map_or("unreachable".to_string(), |q| q.to_string())
        }));
        t.row(row);
    }
    s.push_str(&t.render());
    let mut t = TextTable::new(heads("q: |y - f_q|/|y|"));
    for (i, q) in r.qs.iter().enumerate() {
        let mut row = vec![q.to_string()];
        row.extend(r.columns.iter().map(|c| num(c.residual[i])));
        t.row(row);
    }
    s.push_str(&t.render());
    s.push_str(
        "q(K) = ceil((s_0/s_(K-1))^2 (1 - 1e-9)) at alpha = 1/s_max^2; f_q: GD from w = 0 at alpha = 1/s_max^2 (closed form)\n",
    );
    s
}

fn table(r: &DesignActivationReport) -> Table {
    let rt = &r.round_trip;
    let mut t = Table::new()
        .with("nu", rt.rows.iter().map(|x| x.nu).collect())
        .with(
            "rho_requested",
            rt.rows.iter().map(|x| x.requested).collect(),
        )
        .with("rho_measured", rt.rows.iter().map(|x| x.measured).collect());
    let rr = r.columns.first().map_or(0, |c| c.s_over_s0.len());
    t.push("k", (0..rr).map(|k| k as f64).collect());
    for c in &r.columns {
        t.push(format!("s_over_s0_{}", c.activation), c.s_over_s0.clone());
    }
    let kmax = r.columns.first().map_or(0, |c| c.qk.len());
    t.push("K", (1..=kmax).map(|k| k as f64).collect());
    for c in &r.columns {
        t.push(
            format!("q_{}", c.activation),
            c.qk.iter()
                .map(|x| x.q.map_or(f64::NAN, |q| q as f64))
                .collect(),
        );
    }
    t
}

fn parse_spacing(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (1.0 / 1024.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a table spacing from 1/1024 to 1 (as in 0.015625)"
        )),
    }
}

fn parse_points(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v.is_power_of_two() && (1 << 8..=1 << 20).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of table points: a power of two from 256 to 1048576 (as in 16384)"
        )),
    }
}

fn parse_band(s: &str) -> std::result::Result<(f64, f64), String> {
    let bad =
        || format!("'{s}' is not a band LO:HI with 0 < LO < HI (cycles per unit z), as in 0.05:1");
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo) {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_refuse() {
        assert_eq!(parse_spacing("0.015625").unwrap(), 1.0 / 64.0);
        assert!(parse_spacing("0").is_err() && parse_spacing("2").is_err());
        assert_eq!(parse_points("16384").unwrap(), 16384);
        assert!(parse_points("1000").is_err() && parse_points("128").is_err());
        assert_eq!(parse_band("0.1:2").unwrap(), (0.1, 2.0));
        assert!(parse_band("2:1").is_err() && parse_band("x").is_err());
    }
}
