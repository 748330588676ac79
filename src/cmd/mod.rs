//! Command-line glue: flag groups shared by every command, and output.
//!
//! The same flag means the same thing on every command (see README):
//! `--activation --sigma --n --m --grid --bias-grid` describe the network,
//! `--alpha --nt --q --signal` the training, `--json --out` the output.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use gdshrink::activation::Activation;
use gdshrink::design::Design;
use gdshrink::grid::Grid;
use gdshrink::io::Table;
use gdshrink::signal::Signal;

pub mod compare;
pub mod devices;
pub mod gd;
pub mod qk;
pub mod reproduce;
pub mod shrink;
pub mod spectrum;
pub mod validate;

/// The network: η, σ, samples and biases.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// Activation η: heaviside, tanh, relu, relu2, spline:R, gelu, silu, sinc, gaussian.
    #[arg(long, short = 'a', default_value = "tanh", value_parser = parse_activation)]
    pub activation: Activation,
    /// Scale σ in η(σ(x − b)): a number, or `m` for σ = M (the paper's choice for tanh).
    #[arg(long, default_value = "m", value_parser = parse_sigma)]
    pub sigma: SigmaSpec,
    /// Number of samples N.
    #[arg(long, short = 'n', default_value_t = 256)]
    pub n: usize,
    /// Width M (number of biases).
    #[arg(long, short = 'm', default_value_t = 1024)]
    pub m: usize,
    /// Sample grid: linspace (x_i = i/(N−1)), midpoint (x_i = (i+½)/N), or a file of points.
    #[arg(long, default_value = "linspace", value_parser = parse_grid)]
    pub grid: Grid,
    /// Bias grid: linspace (b_j = j/(M−1)), midpoint, or a file of points.
    #[arg(long, default_value = "linspace", value_parser = parse_grid)]
    pub bias_grid: Grid,
}

/// σ as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SigmaSpec {
    /// A fixed value.
    Value(f64),
    /// σ = M.
    Width,
}

impl SigmaSpec {
    /// The value for a network of width m.
    pub fn resolve(self, m: usize) -> f64 {
        match self {
            SigmaSpec::Value(v) => v,
            SigmaSpec::Width => m as f64,
        }
    }
}

impl ModelArgs {
    /// Builds the design (validates N, M, σ and the grids).
    pub fn design(&self) -> Result<Design> {
        // A grid read from a file fixes its own length.
        let n = self.grid.fixed_len().unwrap_or(self.n);
        let m = self.bias_grid.fixed_len().unwrap_or(self.m);
        Ok(Design::from_grids(
            self.activation,
            self.sigma.resolve(m),
            n,
            m,
            &self.grid,
            &self.bias_grid,
        )?)
    }
}

/// Training: learning rate, iteration counts and target.
#[derive(Args, Clone, Debug)]
pub struct TrainArgs {
    /// Learning rate α: a number, or `auto` for 1/s_max² (the paper's choice).
    #[arg(long, default_value = "auto", value_parser = parse_alpha)]
    pub alpha: AlphaSpec,
    /// Read --alpha in the neural-tangents convention (loss averaged over N): α = η/N.
    #[arg(long)]
    pub nt: bool,
    /// Iteration counts q, comma-separated (e.g. 1,10,100,1000), or log:LO:HI:COUNT.
    #[arg(long, default_value = "1,10,100,1000", value_parser = parse_q_list)]
    pub q: QList,
    /// Target y: blocks, bumps, heavisine, doppler, or a .npy/.csv/.txt file with one value per sample.
    #[arg(long, default_value = "heavisine", value_parser = parse_signal)]
    pub signal: Signal,
}

/// α as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AlphaSpec {
    /// A fixed value.
    Value(f64),
    /// 1/s_max².
    Auto,
}

impl TrainArgs {
    /// The learning rate α for a matrix with largest singular value `s_max` and `n` samples.
    pub fn alpha(&self, s_max: f64, n: usize) -> Result<f64> {
        let a = match self.alpha {
            AlphaSpec::Auto => 1.0 / (s_max * s_max),
            AlphaSpec::Value(v) if self.nt => gdshrink::mask::alpha_from_nt(v, n),
            AlphaSpec::Value(v) => v,
        };
        if !(a.is_finite() && a > 0.0) {
            anyhow::bail!(
                "learning rate alpha = {a} is not usable: it must be finite and > 0 (s_max = {s_max})"
            );
        }
        Ok(a)
    }
}

/// A sorted, de-duplicated list of iteration counts.
#[derive(Clone, Debug, PartialEq)]
pub struct QList(pub Vec<u64>);

/// Output: table (default), JSON, files.
#[derive(Args, Clone, Debug)]
pub struct OutputArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write the arrays to FILE (.npy or .csv, by extension).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl OutputArgs {
    /// Prints the table or the JSON object and writes `--out`.
    pub fn emit(&self, human: &str, json: &serde_json::Value, table: &Table) -> Result<()> {
        if let Some(path) = &self.out {
            table
                .write(path)
                .with_context(|| format!("writing --out {}", path.display()))?;
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(json)?);
        } else {
            print!("{human}");
            if let Some(path) = &self.out {
                println!(
                    "wrote {} ({} rows x {} columns: {})",
                    path.display(),
                    table.rows(),
                    table.columns.len(),
                    table.names.join(", ")
                );
            }
        }
        Ok(())
    }
}

fn parse_activation(s: &str) -> std::result::Result<Activation, String> {
    s.parse().map_err(|e: gdshrink::Error| e.to_string())
}

fn parse_grid(s: &str) -> std::result::Result<Grid, String> {
    s.parse().map_err(|e: gdshrink::Error| e.to_string())
}

fn parse_signal(s: &str) -> std::result::Result<Signal, String> {
    s.parse().map_err(|e: gdshrink::Error| e.to_string())
}

fn parse_sigma(s: &str) -> std::result::Result<SigmaSpec, String> {
    if s.trim().eq_ignore_ascii_case("m") {
        return Ok(SigmaSpec::Width);
    }
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(SigmaSpec::Value(v)),
        _ => Err(format!(
            "'{s}' is not a valid sigma: give a finite number > 0, or 'm' for sigma = M"
        )),
    }
}

fn parse_alpha(s: &str) -> std::result::Result<AlphaSpec, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(AlphaSpec::Auto);
    }
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(AlphaSpec::Value(v)),
        _ => Err(format!(
            "'{s}' is not a valid learning rate: give a finite number > 0, or 'auto' for 1/s_max^2"
        )),
    }
}

/// `1,10,100` or `log:LO:HI:COUNT` (COUNT log-spaced integers from LO to HI, de-duplicated).
pub fn parse_q_list(s: &str) -> std::result::Result<QList, String> {
    let s = s.trim();
    let mut q: Vec<u64> = if let Some(spec) = s.strip_prefix("log:") {
        let parts: Vec<&str> = spec.split(':').collect();
        let bad = || {
            format!(
                "'{s}' is not a valid q range: use log:LO:HI:COUNT with integers 1 <= LO <= HI and COUNT >= 1, e.g. log:1:1000000:25"
            )
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        let lo: u64 = parts[0].parse().map_err(|_| bad())?;
        let hi: u64 = parts[1].parse().map_err(|_| bad())?;
        let count: usize = parts[2].parse().map_err(|_| bad())?;
        if lo == 0 || hi < lo || count == 0 {
            return Err(bad());
        }
        if count == 1 {
            vec![hi]
        } else {
            let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
            (0..count)
                .map(|i| (l + (h - l) * i as f64 / (count - 1) as f64).exp().round() as u64)
                .map(|v| v.clamp(lo, hi))
                .collect()
        }
    } else {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let p = p.trim();
                p.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= 1e18)
                    .map(|v| v as u64)
                    .ok_or_else(|| format!("'{p}' is not a valid iteration count: use whole numbers >= 0 such as 1,10,100 or 1e6"))
            })
            .collect::<std::result::Result<_, _>>()?
    };
    if q.is_empty() {
        return Err(
            "the q list is empty: give at least one iteration count, e.g. --q 1,10,100".into(),
        );
    }
    q.sort_unstable();
    q.dedup();
    Ok(QList(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_lists() {
        assert_eq!(parse_q_list("100,1,10,10").unwrap().0, vec![1, 10, 100]);
        assert_eq!(parse_q_list("1e6").unwrap().0, vec![1_000_000]);
        assert_eq!(
            parse_q_list("log:1:1000:4").unwrap().0,
            vec![1, 10, 100, 1000]
        );
        assert!(parse_q_list("1.5").is_err());
        assert!(parse_q_list("-1").is_err());
        assert!(parse_q_list("").is_err());
        assert!(parse_q_list("log:0:10:3").is_err());
    }

    #[test]
    fn sigma_and_alpha() {
        assert_eq!(parse_sigma("m").unwrap().resolve(64), 64.0);
        assert_eq!(parse_sigma("15").unwrap().resolve(64), 15.0);
        assert!(parse_sigma("0").is_err());
        assert!(parse_alpha("nan").is_err());
        assert_eq!(parse_alpha("auto").unwrap(), AlphaSpec::Auto);
    }
}
