//! Flag groups shared by every command, and their parsers.
//!
//! The same flag means the same thing on every command (see README):
//! `--activation --sigma --n --m --grid --bias-grid` describe the network,
//! `--alpha --nt --q --signal` the training. Commands that take several
//! activations (`qk`) or several runs (`gd`) use [`ModelListArgs`] and
//! [`BatchArgs`]: the same flags, accepting lists. Values are parsed by the
//! library's `FromStr` ([`parse_lib`]), whose errors name the value and what
//! is allowed.

use anyhow::Result;
use clap::{Args, ValueEnum};
use gdshrink::gd::{LearningRate, QList};
use gdshrink::gpu::{GpuContext, GpuOptions, Strategy};
use gdshrink::model::{Activation, Design, DesignSpec, Grid, Sigma, Signal};
use gdshrink::studies::Features;
use serde_json::{Map, Value, json};

/// `--design FILE.npy`: a user's matrix A in place of the network flags.
/// Its shape is read from the header first, so the dense plan (A, and its
/// SVD with `svd`) is checked against this machine before the data is read.
pub fn read_design(command: &str, path: &std::path::Path, svd: bool) -> Result<faer::Mat<f64>> {
    let (n, m) = design_shape(path)?;
    let plan = gdshrink::resources::dense_plan(n, m, svd, "use a smaller matrix A");
    crate::plan::check(command, &plan)?;
    gdshrink::output::array::read_matrix(path).map_err(|e| anyhow::anyhow!("--design: {e}"))
}

/// `--design FILE.npy` as the features of a study (labelled by the file),
/// for a command that planned its memory from [`design_shape`] already.
pub fn design_features(path: &std::path::Path) -> Result<Features> {
    let a =
        gdshrink::output::array::read_matrix(path).map_err(|e| anyhow::anyhow!("--design: {e}"))?;
    Ok(Features::matrix(a, path.display().to_string())?)
}

/// (N, M) of `--design FILE.npy` from its header, for a command's own plan.
pub fn design_shape(path: &std::path::Path) -> Result<(usize, usize)> {
    gdshrink::output::array::matrix_shape(path).map_err(|e| anyhow::anyhow!("--design: {e}"))
}

/// Where N and M of a run come from, for messages that bound a count by
/// min(N, M): the network flags, or a user's matrix.
#[derive(Clone, Copy, Debug)]
pub enum Sizes<'a> {
    /// `-n`/`--n` and `-m`/`--m`, or the points of `--grid`/`--bias-grid` files.
    Shape(&'a ShapeArgs),
    /// The rows and columns of `--design FILE.npy`.
    Design(&'a std::path::Path),
}

impl Sizes<'_> {
    /// `min(--n, --m) = min(3, 5) = 3`: min(N, M) with the flag (or file)
    /// each size came from, so that a refusal names what to change.
    pub fn min_text(&self, (n, m): (usize, usize)) -> String {
        let names = match self {
            Sizes::Design(p) => format!("rows, columns of --design {}", p.display()),
            Sizes::Shape(s) => format!(
                "{}, {}",
                if s.grid.fixed_len().is_some() {
                    "points of --grid"
                } else {
                    "--n"
                },
                if s.bias_grid.fixed_len().is_some() {
                    "points of --bias-grid"
                } else {
                    "--m"
                }
            ),
        };
        format!("min({names}) = min({n}, {m}) = {}", n.min(m))
    }

    /// Refuses `flag value` when value exceeds min(N, M), before any work:
    /// `--k-max 4 exceeds min(--n, --m) = min(3, 5) = 3: WHY`.
    pub fn check_count(
        &self,
        flag: &str,
        value: usize,
        nm: (usize, usize),
        why: &str,
    ) -> Result<()> {
        if value > nm.0.min(nm.1) {
            anyhow::bail!("{flag} {value} exceeds {}: {why}", self.min_text(nm));
        }
        Ok(())
    }
}

/// The network: η, σ, samples and biases.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// Activation η: heaviside, tanh, relu, relu2, spline:R, gelu, silu, sinc, gaussian,
    /// softplus, sigmoid, cauchy, wavepacket, or table:FILE (a .csv with columns z,eta or a
    /// .npy of shape (n, 2): uniform grid, linear between the points, constant beyond).
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
    #[arg(long, default_value = "m", value_parser = parse_lib::<Sigma>)]
    pub sigma: Sigma,
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
        Ok(self.spec(activation).build()?)
    }

    /// The design as the library describes it; a grid read from a file fixes
    /// its own length (N or M).
    pub fn spec(&self, activation: Activation) -> DesignSpec {
        DesignSpec {
            activation,
            sigma: self.sigma,
            n: self.grid.fixed_len().unwrap_or(self.n),
            m: self.bias_grid.fixed_len().unwrap_or(self.m),
            grid: self.grid.clone(),
            bias_grid: self.bias_grid.clone(),
        }
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
    /// Device memory, bytes, that stored matrices (A, K or G) may use
    /// (default 2 GiB: wgpu cannot query it); with --strategy auto, a run
    /// whose A does not fit goes without A (matrix-free).
    #[arg(long, value_name = "BYTES", value_parser = parse_memory_budget)]
    pub memory_budget: Option<u64>,
}

/// Opens the GPU adapter given by `--adapter` (index or name substring;
/// default: $GDSHRINK_ADAPTER, then the best adapter).
pub fn open_gpu(adapter: Option<&str>) -> gdshrink::Result<GpuContext> {
    if adapter.is_some_and(|a| a.trim().is_empty()) {
        return Err(gdshrink::Error::invalid(
            "--adapter",
            "''",
            "an adapter index or a name substring from `gdshrink devices`",
        ));
    }
    let opts = GpuOptions {
        adapter: adapter.map(str::to_string),
        ..GpuOptions::default()
    };
    Ok(GpuContext::new(&opts)?)
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
        j.insert("activation".into(), json!(design.activation().name()));
        j.insert(
            "activation_class".into(),
            json!(design.activation().class().to_string()),
        );
        j.insert("sigma".into(), json!(design.sigma()));
        j.insert("n".into(), json!(design.n()));
        j.insert("m".into(), json!(design.m()));
        j.insert("grid".into(), json!(self.shape.grid.label()));
        j.insert("bias_grid".into(), json!(self.shape.bias_grid.label()));
        j
    }

    /// [`Self::json`] for a network; for a user's matrix (`--design FILE.npy`)
    /// its file and shape.
    pub fn features_json(&self, f: &Features) -> Map<String, Value> {
        match f {
            Features::Network(d) => self.json(d),
            Features::Matrix { a, source } => {
                let mut j = Map::new();
                j.insert("design_file".into(), json!(source));
                j.insert("n".into(), json!(a.nrows()));
                j.insert("m".into(), json!(a.ncols()));
                j
            }
        }
    }

    /// [`Self::line`] for a network; the matrix and its file otherwise.
    pub fn features_line(&self, f: &Features) -> String {
        match f {
            Features::Network(d) => self.line(d),
            Features::Matrix { .. } => f.label(),
        }
    }

    /// One line describing the network for [`header`].
    pub fn line(&self, design: &Design) -> String {
        format!(
            "network: {} ({}), sigma = {}, N = {}, M = {}, grid = {}, bias grid = {}",
            design.activation(),
            design.activation().class(),
            design.sigma(),
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
    /// Activations η, comma-separated, or `all` (heaviside, tanh, relu, relu2, gelu, silu, sinc, gaussian). Valid names: heaviside, tanh, relu, relu2, spline:R, gelu, silu, sinc, gaussian, softplus, sigmoid, cauchy, wavepacket, table:FILE.
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
    #[arg(long, default_value = "auto", value_parser = parse_lib::<LearningRate>)]
    pub alpha: LearningRate,
    /// Read --alpha in the neural-tangents convention (loss averaged over N): α = η/N.
    #[arg(long)]
    pub nt: bool,
    /// Iteration counts q, comma-separated (e.g. 1,10,100,1000), or log:LO:HI:COUNT.
    #[arg(long, default_value = "1,10,100,1000", value_parser = parse_lib::<QList>)]
    pub q: QList,
    /// Target y: blocks, bumps, heavisine, doppler, or a .npy/.csv/.txt file with one value per sample.
    #[arg(long, default_value = "heavisine", value_parser = parse_lib::<Signal>)]
    pub signal: Signal,
}

impl TrainArgs {
    /// `--alpha` with `--nt` applied, as the library resolves it once s_max is known.
    pub fn learning_rate(&self) -> LearningRate {
        self.alpha.with_nt(self.nt)
    }

    /// The learning rate α for a matrix with largest singular value `s_max` and `n` samples.
    pub fn alpha(&self, s_max: f64, n: usize) -> Result<f64> {
        Ok(self.learning_rate().resolve(s_max, n)?)
    }
}

/// The same training flags as [`TrainArgs`] for a batch of runs (`gd`):
/// `--alpha` and `--signal` take lists, and the runs are every
/// (signal, α) pair, signal-major: run = signal_index · (number of α) + alpha_index.
#[derive(Args, Clone, Debug)]
pub struct BatchArgs {
    /// Learning rates α, comma-separated: numbers, or `auto` for 1/s_max² (the paper's choice).
    #[arg(long, default_value = "auto", value_delimiter = ',', value_parser = parse_lib::<LearningRate>)]
    pub alpha: Vec<LearningRate>,
    /// Read --alpha in the neural-tangents convention (loss averaged over N): α = η/N.
    #[arg(long)]
    pub nt: bool,
    /// Iteration counts q, comma-separated (e.g. 1,10,100,1000), or log:LO:HI:COUNT.
    #[arg(long, default_value = "1,10,100,1000", value_parser = parse_lib::<QList>)]
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
    /// The rate as given (with `--nt` applied).
    pub alpha: LearningRate,
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
                    alpha: a.with_nt(self.nt),
                })
            })
            .collect()
    }
}

fn parse_count(s: &str, what: &str, max: usize) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if (1..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a valid {what}: give a whole number >= 1 and <= {max}"
        )),
    }
}

fn parse_n(s: &str) -> std::result::Result<usize, String> {
    parse_count(
        s,
        "number of samples N",
        gdshrink::model::design::MAX_POINTS,
    )
}

fn parse_m(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "width M", gdshrink::model::design::MAX_POINTS)
}

/// `--k` against the shape when `--reference topk` is asked: 1 to min(N, M).
pub fn check_topk_k(
    route: gdshrink::studies::validate::ReferenceRoute,
    k: usize,
    (n, m): (usize, usize),
) -> anyhow::Result<()> {
    if route == gdshrink::studies::validate::ReferenceRoute::TopK && k > n.min(m) {
        anyhow::bail!(
            "invalid --k = {k}: the top-K route takes 1 to min(N, M) = {} components \
             (N = {n}, M = {m})",
            n.min(m)
        );
    }
    Ok(())
}

/// A whole number from 1 to [`crate::plan::MAX_LIST`] (for `--top`,
/// `--k-max`, `--vectors`, `--show-directions` …: counts that size a list).
pub fn parse_positive(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "count", crate::plan::MAX_LIST)
}

/// A whole number from 0 to [`crate::plan::MAX_LIST`].
pub fn parse_list_len(s: &str) -> std::result::Result<usize, String> {
    if s.trim() == "0" {
        return Ok(0);
    }
    parse_count(s, "count", crate::plan::MAX_LIST)
}

/// `--memory-budget BYTES`: device memory for stored matrices, 1 byte to 2^50
/// (1 PiB).
pub fn parse_memory_budget(s: &str) -> std::result::Result<u64, String> {
    parse_count(s, "--memory-budget (bytes of device memory)", 1 << 50).map(|v| v as u64)
}

/// A number of evaluation points, 1 to [`crate::plan::MAX_EVAL_POINTS`].
pub fn parse_eval_points(s: &str) -> std::result::Result<usize, String> {
    parse_count(
        s,
        "number of evaluation points",
        crate::plan::MAX_EVAL_POINTS,
    )
}

/// A size N = M, 1 to [`gdshrink::model::design::MAX_POINTS`].
pub fn parse_size(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "size N = M", gdshrink::model::design::MAX_POINTS)
}

/// A repeat count, 1 to [`crate::plan::MAX_REPEATS`].
pub fn parse_repeats(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "number of repeats", crate::plan::MAX_REPEATS)
}

/// Largest `reproduce --length` and `--width` (the Fig. 6 problem is dense:
/// L × M in f64 with its SVD).
pub const MAX_FIG6: usize = 100_000;

/// `reproduce --length` / `--width`: 1 to [`MAX_FIG6`].
pub fn parse_fig6_len(s: &str) -> std::result::Result<usize, String> {
    parse_count(s, "length", MAX_FIG6)
}

/// A row index: 0 to [`gdshrink::model::design::MAX_POINTS`].
pub fn parse_row(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v <= gdshrink::model::design::MAX_POINTS => Ok(v),
        _ => Err(format!(
            "'{s}' is not a valid row index: give a whole number from 0 to {}",
            gdshrink::model::design::MAX_POINTS
        )),
    }
}

/// A comma list of activations, or `all` (the paper's eight); duplicates dropped.
pub fn parse_activation_list(s: &str) -> std::result::Result<ActivationList, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
                fx.get_help().map(std::string::ToString::to_string),
                fy.get_help().map(std::string::ToString::to_string),
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
    fn counts() {
        assert!(parse_n("0").unwrap_err().contains("number of samples"));
        assert_eq!(parse_m("7").unwrap(), 7);
    }

    #[test]
    fn sigma_and_alpha() {
        assert_eq!(parse_lib::<Sigma>("m").unwrap().resolve(64), 64.0);
        assert_eq!(parse_lib::<Sigma>("15").unwrap().resolve(64), 15.0);
        assert!(parse_lib::<Sigma>("0").is_err());
        assert!(parse_lib::<LearningRate>("nan").is_err());
        assert_eq!(
            parse_lib::<LearningRate>("auto").unwrap(),
            LearningRate::AUTO
        );
    }
}
