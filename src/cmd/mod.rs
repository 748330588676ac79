//! Command-line glue: flag groups shared by every command, and output.
//!
//! The same flag means the same thing on every command (see README):
//! `--activation --sigma --n --m --grid --bias-grid` describe the network,
//! `--alpha --nt --q --signal` the training, `--json --out` the output.
//! Commands that take several activations (`qk`) or several runs (`gd`) use
//! [`ModelListArgs`] and [`BatchArgs`]: the same flags, accepting lists.
//!
//! Output: every command prints a header naming what produced it ([`header`]),
//! then aligned tables ([`table::TextTable`]); `--json` prints one JSON object
//! instead (starting from [`base_json`]); `--out` writes a `.npy`/`.csv` table.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use gdshrink::activation::Activation;
use gdshrink::design::Design;
use gdshrink::gpu::{GpuContext, GpuOptions, Strategy};
use gdshrink::grid::Grid;
use gdshrink::io::Table;
use gdshrink::signal::Signal;
use gdshrink::validate::LearningRate;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

pub mod compare;
pub mod devices;
pub mod gd;
pub mod qk;
pub mod reproduce;
pub mod shrink;
pub mod spectrum;
pub mod validate;

pub use gdshrink::table;

/// The network: η, σ, samples and biases.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// Activation η: heaviside, tanh, relu, relu2, spline:R, gelu, silu, sinc, gaussian.
    #[arg(long, short = 'a', default_value = "tanh", value_parser = parse_lib::<Activation>)]
    pub activation: Activation,
    #[command(flatten)]
    pub shape: ShapeArgs,
}

/// Every network flag except the activation: σ, N, M and the two grids
/// (shared by [`ModelArgs`] and [`ModelListArgs`]).
#[derive(Args, Clone, Debug)]
pub struct ShapeArgs {
    /// Scale σ in η(σ(x − b)): a number, or `m` for σ = M (the paper's choice for tanh).
    #[arg(long, default_value = "m", value_parser = parse_sigma)]
    pub sigma: SigmaSpec,
    /// Number of samples N.
    #[arg(long, short = 'n', default_value = "256", value_parser = parse_n)]
    pub n: usize,
    /// Width M (number of biases).
    #[arg(long, short = 'm', default_value = "1024", value_parser = parse_m)]
    pub m: usize,
    /// Sample grid: linspace (x_i = i/(N−1)), midpoint (x_i = (i+½)/N), or a file of points.
    #[arg(long, default_value = "linspace", value_parser = parse_lib::<Grid>)]
    pub grid: Grid,
    /// Bias grid: linspace (b_j = j/(M−1)), midpoint, or a file of points.
    #[arg(long, default_value = "linspace", value_parser = parse_lib::<Grid>)]
    pub bias_grid: Grid,
}

impl ShapeArgs {
    /// The design for `activation` (validates N, M, σ and the grids; a grid
    /// read from a file fixes its own length).
    pub fn design(&self, activation: Activation) -> Result<Design> {
        let n = self.grid.fixed_len().unwrap_or(self.n);
        let m = self.bias_grid.fixed_len().unwrap_or(self.m);
        Ok(Design::from_grids(
            activation,
            self.sigma.resolve(m),
            n,
            m,
            &self.grid,
            &self.bias_grid,
        )?)
    }
}

/// Where gradient descent runs (`--device`, `--engines`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// The f64 reference on the CPU (faer).
    Cpu,
    /// The f32 engine on a GPU adapter (wgpu; a software adapter when there is no GPU).
    Gpu,
}

/// How the GPU engine runs: strategy and adapter (`validate`, `compare`).
#[derive(Args, Clone, Debug)]
pub struct GpuArgs {
    /// GPU strategy: auto, primal, dual or matrix-free.
    #[arg(long, default_value = "auto", value_parser = parse_lib::<Strategy>)]
    pub strategy: Strategy,
    /// GPU adapter: index or name substring (default: $GDSHRINK_ADAPTER, then the best one).
    #[arg(long)]
    pub adapter: Option<String>,
}

/// Opens the GPU adapter given by `--adapter` (index or name substring;
/// default: $GDSHRINK_ADAPTER, then the best adapter).
pub fn open_gpu(adapter: Option<&str>) -> gdshrink::Result<GpuContext> {
    let opts = GpuOptions {
        adapter: adapter.map(str::to_string),
        ..GpuOptions::default()
    };
    Ok(GpuContext::new(&opts)?)
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
        self.shape.design(self.activation)
    }

    /// `activation`, `activation_class`, `sigma`, `n`, `m`, `grid`, `bias_grid`:
    /// the network part of every JSON output.
    pub fn json(&self, design: &Design) -> Map<String, Value> {
        let mut j = Map::new();
        j.insert("activation".into(), json!(design.activation.name()));
        j.insert(
            "activation_class".into(),
            json!(design.activation.class().to_string()),
        );
        j.insert("sigma".into(), json!(design.sigma));
        j.insert("n".into(), json!(design.n()));
        j.insert("m".into(), json!(design.m()));
        j.insert("grid".into(), json!(self.shape.grid.label()));
        j.insert("bias_grid".into(), json!(self.shape.bias_grid.label()));
        j
    }

    /// One line describing the network for [`header`].
    pub fn line(&self, design: &Design) -> String {
        format!(
            "network: {} ({}), sigma = {}, N = {}, M = {}, grid = {}, bias grid = {}",
            design.activation,
            design.activation.class(),
            design.sigma,
            design.n(),
            design.m(),
            self.shape.grid.label(),
            self.shape.bias_grid.label()
        )
    }
}

/// The same network flags as [`ModelArgs`], with `--activation` taking a comma
/// list or `all` (used by commands that compare activations, e.g. `qk`).
#[derive(Args, Clone, Debug)]
pub struct ModelListArgs {
    /// Activations η, comma-separated, or `all` (heaviside, tanh, relu, relu2, gelu, silu, sinc, gaussian). Valid names: heaviside, tanh, relu, relu2, spline:R, gelu, silu, sinc, gaussian.
    #[arg(long, short = 'a', default_value = "all", value_parser = parse_activation_list)]
    pub activation: ActivationList,
    #[command(flatten)]
    pub shape: ShapeArgs,
}

/// A non-empty list of distinct activations, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationList(pub Vec<Activation>);

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
    #[arg(long, default_value = "heavisine", value_parser = parse_lib::<Signal>)]
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

impl AlphaSpec {
    /// The learning rate for a matrix with largest singular value `s_max` and
    /// `n` samples; a given value is read as NT's η (α = η/N) when `nt` is set.
    pub fn resolve(self, nt: bool, s_max: f64, n: usize) -> Result<f64> {
        let a = self.learning_rate(nt, n).resolve(s_max);
        if !(a.is_finite() && a > 0.0) {
            anyhow::bail!(
                "learning rate alpha = {a} is not usable: it must be finite and > 0 (s_max = {s_max}; \
                 a zero matrix has no auto learning rate)"
            );
        }
        Ok(a)
    }

    /// The rate as the library takes it (resolved once s_max is known), for
    /// `n` samples; a given value is read as NT's η (α = η/N) when `nt` is set.
    pub fn learning_rate(self, nt: bool, n: usize) -> LearningRate {
        match self {
            AlphaSpec::Auto => LearningRate::OverSmax2(1.0),
            AlphaSpec::Value(v) if nt => LearningRate::Value(gdshrink::mask::alpha_from_nt(v, n)),
            AlphaSpec::Value(v) => LearningRate::Value(v),
        }
    }

    /// How the value was obtained, for outputs: `1/s_max^2`, `given` or `nt: eta/N`.
    pub fn rule(self, nt: bool) -> &'static str {
        match self {
            AlphaSpec::Auto => "1/s_max^2",
            AlphaSpec::Value(_) if nt => "nt: alpha = eta/N",
            AlphaSpec::Value(_) => "given",
        }
    }
}

impl TrainArgs {
    /// The learning rate α for a matrix with largest singular value `s_max` and `n` samples.
    pub fn alpha(&self, s_max: f64, n: usize) -> Result<f64> {
        self.alpha.resolve(self.nt, s_max, n)
    }

    /// `--alpha` (with `--nt`) as a learning rate the library resolves once it has s_max.
    pub fn learning_rate(&self, n: usize) -> LearningRate {
        self.alpha.learning_rate(self.nt, n)
    }
}

/// The same training flags as [`TrainArgs`] for a batch of runs (`gd`):
/// `--alpha` and `--signal` take lists, and the runs are every
/// (signal, α) pair, signal-major: run = signal_index · (number of α) + alpha_index.
#[derive(Args, Clone, Debug)]
pub struct BatchArgs {
    /// Learning rates α, comma-separated: numbers, or `auto` for 1/s_max² (the paper's choice).
    #[arg(long, default_value = "auto", value_delimiter = ',', value_parser = parse_alpha)]
    pub alpha: Vec<AlphaSpec>,
    /// Read --alpha in the neural-tangents convention (loss averaged over N): α = η/N.
    #[arg(long)]
    pub nt: bool,
    /// Iteration counts q, comma-separated (e.g. 1,10,100,1000), or log:LO:HI:COUNT.
    #[arg(long, default_value = "1,10,100,1000", value_parser = parse_q_list)]
    pub q: QList,
    /// Targets y, comma-separated or repeated: blocks, bumps, heavisine, doppler, or .npy/.csv/.txt files with one value per sample.
    #[arg(long, default_value = "heavisine", value_delimiter = ',', value_parser = parse_lib::<Signal>)]
    pub signal: Vec<Signal>,
}

/// One (signal, α) run of a batch.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Index of the signal in `--signal`.
    pub signal_index: usize,
    /// The signal.
    pub signal: Signal,
    /// The rate as given.
    pub alpha_spec: AlphaSpec,
}

impl BatchArgs {
    /// The runs: every (signal, α) pair, signal-major.
    pub fn runs(&self) -> Vec<RunSpec> {
        self.signal
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                self.alpha.iter().map(move |&a| RunSpec {
                    signal_index: si,
                    signal: s.clone(),
                    alpha_spec: a,
                })
            })
            .collect()
    }
}

/// A sorted, de-duplicated list of iteration counts.
#[derive(Clone, Debug, PartialEq)]
pub struct QList(pub Vec<u64>);

/// Output: table (default), JSON, files.
#[derive(Args, Clone, Debug)]
pub struct OutputArgs {
    /// Print one JSON object (on one line) instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Write the arrays to FILE: .npy (rows x columns f64) or .csv (with a header), by extension.
    #[arg(long, value_name = "FILE", value_parser = parse_out_path)]
    pub out: Option<PathBuf>,
}

impl OutputArgs {
    /// Writes `--out`, then prints the human text or the JSON object. In JSON
    /// mode an object gains `out_file` and `out_columns` when a file was written.
    pub fn emit(&self, human: &str, json: &serde_json::Value, table: &Table) -> Result<()> {
        let mut json = json.clone();
        if let Some(path) = &self.out {
            table
                .write(path)
                .with_context(|| format!("writing --out {}", path.display()))?;
            if let Some(obj) = json.as_object_mut() {
                obj.insert("out_file".into(), json!(path.display().to_string()));
                obj.insert("out_columns".into(), json!(table.names));
            }
        }
        if self.json {
            println!("{}", serde_json::to_string(&json)?);
        } else {
            print!("{human}");
            if let Some(path) = &self.out {
                println!(
                    "wrote {} ({} rows x {} columns: {})",
                    path.display(),
                    table.rows(),
                    table.columns.len(),
                    column_summary(&table.names)
                );
            }
        }
        Ok(())
    }
}

/// Column names for the "wrote …" line, shortened when there are many.
fn column_summary(names: &[String]) -> String {
    if names.len() <= 12 {
        names.join(", ")
    } else {
        format!(
            "{}, … , {} (all names in the CSV header or --json out_columns)",
            names[..8].join(", "),
            names[names.len() - 2..].join(", ")
        )
    }
}

/// The first keys of every JSON output: `command`, `gdshrink_version`, `engine`.
pub fn base_json(command: &str, engine: &str) -> Map<String, Value> {
    let mut j = Map::new();
    j.insert("command".into(), json!(command));
    j.insert("gdshrink_version".into(), json!(env!("CARGO_PKG_VERSION")));
    j.insert("engine".into(), json!(engine));
    j
}

/// The first lines of every human-readable output: what produced it and on what.
pub fn header(command: &str, engine: &str, what: &str) -> String {
    format!(
        "gdshrink {} {command} | engine: {engine}\n{what}\n\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// A progress bar on stderr with `len` steps, drawn only when stderr is a terminal.
pub fn progress_bar(len: u64, message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len).with_message(message.to_string());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})")
    {
        pb.set_style(style);
    }
    pb
}

/// A spinner on stderr for work of unknown length, drawn only when stderr is a terminal.
pub fn spinner(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner().with_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn parse_out_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy") | Some("csv") => Ok(p),
        _ => Err(format!(
            "'{s}' does not end in .npy or .csv: --out writes a .npy array (rows x columns, f64) or a .csv table with a header"
        )),
    }
}

fn parse_count(s: &str, what: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a valid {what}: give a whole number >= 1"
        )),
    }
}

fn parse_n(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "number of samples N")
}

fn parse_m(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "width M")
}

/// A whole number >= 1 (for `--top`, `--k-max`, `--vectors`, `--eval-points` …).
pub fn parse_positive(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "count")
}

fn parse_activation_list(s: &str) -> std::result::Result<ActivationList, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(ActivationList(Activation::PAPER.to_vec()));
    }
    let mut out: Vec<Activation> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let a = parse_lib::<Activation>(part)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "no activation given: use a comma list of {} or 'all'",
            Activation::VALID_NAMES
        ));
    }
    Ok(ActivationList(out))
}

/// A flag value through the library's `FromStr`, whose error names the bad
/// value and what is allowed (activations, grids, signals, strategies, …).
pub fn parse_lib<T>(s: &str) -> std::result::Result<T, String>
where
    T: std::str::FromStr<Err = gdshrink::Error>,
{
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

/// An iteration count: a whole number >= 0 (at most 1e18), in any notation
/// Rust reads as f64 (`100`, `1e6`).
pub fn parse_iterations(s: &str) -> Option<u64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= 1e18)
        .map(|v| v as u64)
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
                parse_iterations(p)
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

    /// The list variants of the flag groups must describe the shared flags
    /// exactly as the single variants do (same help, same defaults).
    #[test]
    fn list_groups_match_single_groups() {
        use clap::{Args as _, Command};
        let single = ModelArgs::augment_args(Command::new("a"));
        let list = ModelListArgs::augment_args(Command::new("b"));
        let train = TrainArgs::augment_args(Command::new("c"));
        let batch = BatchArgs::augment_args(Command::new("d"));
        let same = |x: &Command, y: &Command, id: &str| {
            let fx = x.get_arguments().find(|a| a.get_id() == id).unwrap();
            let fy = y.get_arguments().find(|a| a.get_id() == id).unwrap();
            assert_eq!(
                fx.get_help().map(|h| h.to_string()),
                fy.get_help().map(|h| h.to_string()),
                "{id}"
            );
            assert_eq!(fx.get_default_values(), fy.get_default_values(), "{id}");
            assert_eq!(fx.get_long(), fy.get_long(), "{id}");
        };
        for id in ["sigma", "n", "m", "grid", "bias_grid"] {
            same(&single, &list, id);
        }
        for id in ["nt", "q"] {
            same(&train, &batch, id);
        }
    }

    #[test]
    fn activation_lists() {
        assert_eq!(parse_activation_list("all").unwrap().0.len(), 8);
        assert_eq!(
            parse_activation_list("tanh, relu,tanh").unwrap().0,
            vec![Activation::Tanh, Activation::Relu]
        );
        let e = parse_activation_list("tanh,foo").unwrap_err();
        assert!(e.contains("foo") && e.contains("heaviside"), "{e}");
        assert!(parse_activation_list(",").is_err());
    }

    #[test]
    fn out_paths_and_counts() {
        assert!(parse_out_path("a/b.NPY").is_ok());
        assert!(parse_out_path("a.csv").is_ok());
        let e = parse_out_path("a.xlsx").unwrap_err();
        assert!(e.contains("a.xlsx") && e.contains(".npy"), "{e}");
        assert!(parse_n("0").unwrap_err().contains("number of samples"));
        assert_eq!(parse_m("7").unwrap(), 7);
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
