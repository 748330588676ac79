//! `gdshrink penalty`: the spectral penalty ρ(ν) = 1/|F[φ](ν)|² of an
//! activation (measured by FFT, beside its closed form), its exponent over a
//! band, and s_k/s_0 of the design against √(ρ(ν_0)/ρ(ν_k)) with the GD masks
//! that follow.
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * the measured spectrum, one row per FFT frequency: `nu`, `power`,
//!   `power_analytic`, `penalty`;
//! * r = min(N, M) rows: `k`, `nu_k`, `s_over_s0`, `predicted`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use gdshrink::output::Table;
use gdshrink::output::table::{TextTable, num};
use gdshrink::spectral::penalty::analytic_power;
use gdshrink::studies::penalty::{PenaltyConfig, PenaltyReport, penalty_figure, run as study};
use serde_json::Value;

use crate::args::Sizes;
use crate::output::{OutputArgs, base_json, header};
use crate::progress::spinner;

/// Flags of `gdshrink penalty`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: gdshrink penalty -a relu --sigma 64 -n 256 -m 256 --plot relu_penalty"
)]
pub struct PenaltyArgs {
    #[command(flatten)]
    pub model: crate::args::ModelArgs,
    /// Band of the exponent fit, LO:HI in cycles per unit z (0 < LO < HI <= 8).
    #[arg(long, value_name = "LO:HI", default_value = "0.05:1", value_parser = parse_band)]
    pub fit_band: (f64, f64),
    /// Components of the agreement, K_LO:K_HI (default 1:min(N,M)/4); the band
    /// also stops where s_k/s_0 or the prediction drops below --floor.
    #[arg(long, value_name = "K_LO:K_HI", value_parser = parse_k_band)]
    pub k_band: Option<(usize, usize)>,
    /// Smallest s_k/s_0 (measured and predicted) trusted by the agreement.
    #[arg(long, default_value = "1e-8", value_parser = parse_floor)]
    pub floor: f64,
    /// Draw the penalty and the agreement: writes FILE.png and FILE.svg.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(args: &PenaltyArgs) -> Result<()> {
    args.output.check()?;
    let shape = &args.model.shape;
    let nm = crate::plan::sizes(shape);
    if nm.0.min(nm.1) < 4 {
        anyhow::bail!(
            "the agreement of s_k/s_0 with the penalty needs at least 4 components; A has {}: \
             raise the smaller size",
            Sizes::Shape(shape).min_text(nm)
        );
    }
    if let Some((lo, hi)) = args.k_band
        && hi >= nm.0.min(nm.1)
    {
        anyhow::bail!(
            "--k-band {lo}:{hi}: K_HI {hi} must stay below {} (the components are 0 .. min(N, M) - 1); \
                 lower K_HI or raise the smaller size",
            Sizes::Shape(shape).min_text(nm)
        );
    }
    // A and its singular values, before anything is allocated.
    crate::plan::check("penalty", &crate::plan::dense(&args.model.shape, true))?;
    let design = args.model.design()?;
    let mut cfg = PenaltyConfig::new(design.clone());
    cfg.exponent_band = args.fit_band;
    cfg.k_band = args.k_band;
    cfg.floor = args.floor;
    if let Some(p) = &args.plot {
        gdshrink::output::atomic::check_writable("--plot", &p.with_extension("png"))?;
    }
    let sp = spinner("FFT of the activation and the spectrum of A");
    let r = study(&cfg).map_err(|e| explain(args, e))?;
    sp.finish_and_clear();
    let mut human = header("penalty", ENGINE, &args.model.line(&design));
    human.push_str(&render(&r));
    if let Some(path) = &args.plot {
        let files = penalty_figure(&r)
            .save(path)
            .with_context(|| format!("writing --plot {}", path.display()))?;
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let _ = writeln!(human, "wrote {}", names.join(", "));
    }
    let mut j = base_json("penalty", ENGINE);
    j.extend(args.model.json(&design));
    if let Value::Object(rep) = serde_json::to_value(&r)? {
        j.extend(rep);
    }
    args.output.emit(&human, &Value::Object(j), &table(&r))
}

const ENGINE: &str = "cpu-f64 (rustfft of the activation; faer SVD of A)";

fn render(r: &PenaltyReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "FFT grid: h = {}, {} points (z in [{}, {})), derivative order {}, window {:?}",
        num(r.grid.h),
        r.grid.len,
        num(-(r.grid.len as f64) * r.grid.h / 2.0),
        num(r.grid.len as f64 * r.grid.h / 2.0),
        r.derivative_order,
        r.window
    );
    let mut t = TextTable::new(["nu (1/z)", "|F|^2", "|F|^2 closed", "rho = 1/|F|^2"]);
    for row in &r.table {
        t.row([
            num(row.nu),
            num(row.power),
            num(row.analytic),
            num(row.penalty),
        ]);
    }
    s.push_str(&t.render());
    let _ = writeln!(
        s,
        "penalty exponent over nu in [{}, {}] (log-log fit of rho, {} points): {:.4} (corr {:.6}){}{}",
        r.exponent_band.0,
        r.exponent_band.1,
        r.exponent.points,
        r.exponent.slope,
        r.exponent.correlation,
        r.exponent_analytic
            .map(|f| format!("; closed form {:.4}", f.slope))
            .unwrap_or_default(),
        r.analytic_max_rel
            .map(|v| format!("; max |measured/closed - 1| = {}", num(v)))
            .unwrap_or_default(),
    );
    s.push('\n');
    let a = &r.agreement;
    let mut t = TextTable::new(["k", "nu_k", "s_k/s_0", "sqrt(rho0/rho_k)", "ratio"]);
    let mut k = 0usize;
    while k < a.k.len() {
        let ratio = a.measured[k] / a.predicted[k];
        t.row([
            k.to_string(),
            num(a.nu[k]),
            num(a.measured[k]),
            num(a.predicted[k]),
            num(ratio),
        ]);
        k = if k < 4 { k + 1 } else { k * 2 };
    }
    s.push_str(&t.render());
    let _ = writeln!(
        s,
        "agreement over k in [{}, {}] (nu_k = (k+1/2)/2): log-log slope of s_k/s_0 {:.4}, of the prediction {:.4}; \
         correlation of the logs {:.6}; worst factor apart {}",
        a.band.0,
        a.band.1,
        a.fit_measured.slope,
        a.fit_predicted.slope,
        a.correlation,
        num(a.max_log_ratio.exp())
    );
    let mut t = TextTable::new(["q", "K kept (A)", "K kept (predicted)"]);
    for m in &a.masks {
        t.row([
            m.q.to_string(),
            m.kept_measured.to_string(),
            m.kept_predicted.to_string(),
        ]);
    }
    s.push_str(&t.render());
    s.push_str("K kept: components with 1 - (1 - (s_k/s_0)^2)^q >= 1 - 1/e (alpha = 1/s_0^2)\n");
    s
}

fn table(r: &PenaltyReport) -> Table {
    let sp = &r.spectrum;
    let a = &r.agreement;
    Table::new()
        .with("nu", sp.nu.clone())
        .with("power", sp.power.clone())
        .with(
            "power_analytic",
            sp.nu
                .iter()
                .map(|&n| analytic_power(sp.activation, n).unwrap_or(f64::NAN))
                .collect(),
        )
        .with("penalty", sp.power.iter().map(|p| 1.0 / p).collect())
        .with("k", a.k.iter().map(|&k| k as f64).collect())
        .with("nu_k", a.nu.clone())
        .with("s_over_s0", a.measured.clone())
        .with("predicted", a.predicted.clone())
}

fn parse_band(s: &str) -> std::result::Result<(f64, f64), String> {
    let bad = || {
        format!("'{s}' is not a band LO:HI with 0 < LO < HI <= 8 (cycles per unit z), as in 0.05:1")
    };
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo && hi <= 8.0) {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// A study error with the flags that set what failed: the exponent fit
/// (`--fit-band`, `--sigma`), the agreement's band (`--k-band`, `--floor`).
fn explain(args: &PenaltyArgs, e: gdshrink::Error) -> anyhow::Error {
    // As typed for ordinary bands (0.05:1), in e-notation at the extremes.
    let short = |v: f64| {
        if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
            format!("{v:e}")
        } else {
            format!("{v}")
        }
    };
    let (lo, hi) = (short(args.fit_band.0), short(args.fit_band.1));
    match &e {
        gdshrink::Error::InvalidParameter { name, .. } if name == "log-log fit" => anyhow::anyhow!(
            "{e}; the exponent is fitted over --fit-band {lo}:{hi} (cycles per unit z) of the \
             spectrum at --sigma {}: widen --fit-band or change --sigma",
            args.model.shape.sigma
        ),
        gdshrink::Error::InvalidParameter { name, .. } if name == "component band" => {
            anyhow::anyhow!(
                "{e}; choose the band with --k-band K_LO:K_HI or lower --floor (now {:e}), \
                 or change --activation, --sigma, --grid or --bias-grid",
                args.floor
            )
        }
        gdshrink::Error::InvalidParameter { name, .. } if name == "singular values" => {
            anyhow::anyhow!(
                "{e}; A must not be zero: eta vanishes at every sigma(x - b) of these grids, so \
                 change --activation, --sigma, --grid or --bias-grid"
            )
        }
        _ => e.into(),
    }
}

fn parse_floor(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!("'{s}' is not a floor in (0, 1), as in 1e-8")),
    }
}

fn parse_k_band(s: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || {
        format!(
            "'{s}' is not a component band K_LO:K_HI with 1 <= K_LO and K_LO + 3 <= K_HI, as in 2:64"
        )
    };
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let lo: usize = a.trim().parse().map_err(|_| bad())?;
    let hi: usize = b.trim().parse().map_err(|_| bad())?;
    if lo == 0 || hi < lo + 3 {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_parse_and_refuse() {
        assert_eq!(parse_band("0.05:1").unwrap(), (0.05, 1.0));
        assert!(parse_band("1:0.5").unwrap_err().contains("1:0.5"));
        assert!(parse_band("0:1").is_err() && parse_band("0.1:9").is_err());
        assert_eq!(parse_k_band("2:64").unwrap(), (2, 64));
        assert!(parse_k_band("0:10").is_err() && parse_k_band("5:6").is_err());
    }
}
