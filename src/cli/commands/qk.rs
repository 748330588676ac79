//! `gdshrink qk`: iterations needed to keep K components (Prop. 4.2, Fig. 8),
//! q(K) = ⌈(s_0/s_{K−1})² (1 − 10⁻⁹)⌉ at α = 1/s_max², ε = e⁻¹, for K = 1..K_max
//! and one or more activations. A numerically zero s_{K−1} makes q(K)
//! unreachable: shown as `unreachable`, `null` in JSON, NaN in files.
//!
//! Only s_0 … s_{K_max−1} are needed: where a full SVD would be costly
//! ([`gdshrink::spectral::prefers_topk`]) they come from the topk route
//! (randomized block Krylov, with residuals), otherwise from the full
//! spectrum; the header says which.
//!
//! `--out` layout: K_max rows, columns `K`, then `q_{activation}` and
//! `ratio_sq_{activation}` for each activation in the order given.

use anyhow::Result;
use clap::Args;
use gdshrink::model::Sigma;
use gdshrink::output::Table;
use gdshrink::spectral as spectrum;
use gdshrink::spectral::qk::{self, QkRow};
use serde_json::{Map, Value, json};

use crate::args::{ModelListArgs, Sizes, parse_positive};
use crate::output::{OutputArgs, base_json, header};
use crate::progress::progress_bar;
use gdshrink::output::table::{TextTable, num};

/// Flags of `gdshrink qk`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: gdshrink qk -a heaviside,tanh,relu,relu2 -n 256 -m 256 --k-max 6 --out qk.csv"
)]
pub struct QkArgs {
    #[command(flatten)]
    pub model: ModelListArgs,
    /// Largest number of kept components K in the table (K = 1..K_MAX; at most min(N, M)).
    #[arg(long, value_name = "K_MAX", default_value = "20", value_parser = parse_positive)]
    pub k_max: usize,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags: one column, named `matrix`.
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid"])]
    pub design: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// q(K) for one activation (or a user's matrix).
struct Column {
    name: String,
    /// σ of the network (None for a user's matrix).
    sigma: Option<f64>,
    s_max: f64,
    /// s_k/s_0 for k < K_max.
    norm: Vec<f64>,
    rows: Vec<QkRow>,
    /// On the topk route: (converged, largest residual relative to s_0).
    topk: Option<TopkSummary>,
}

/// (converged, largest residual relative to s_0) of a topk run.
type TopkSummary = (bool, f64);

/// Where the values come from: a stored matrix or a network's design.
#[derive(Clone, Copy)]
enum Source<'a> {
    Matrix(faer::MatRef<'a, f64>),
    Network(&'a gdshrink::Design),
}

impl Source<'_> {
    fn dims(self) -> (usize, usize) {
        match self {
            Source::Matrix(a) => (a.nrows(), a.ncols()),
            Source::Network(d) => (d.n(), d.m()),
        }
    }
}

/// A network's A is built once for the topk route up to the dense limit of
/// `spectrum`'s `auto` (512 MiB), and streamed in blocks above.
fn stores_for_topk(n: usize, m: usize) -> bool {
    8.0 * n as f64 * m as f64 <= gdshrink::spectral::stream::AUTO_DENSE_LIMIT
}

/// s_0 … s_{K_max−1} (or all values), and the topk summary when that route
/// was taken.
fn leading_values(src: Source<'_>, k_max: usize) -> Result<(Vec<f64>, Option<TopkSummary>)> {
    let (n, m) = src.dims();
    if !spectrum::prefers_topk(n, m, k_max) {
        let s = match src {
            Source::Matrix(a) => spectrum::singular_values(a)?,
            Source::Network(d) => spectrum::singular_values(d.matrix().as_ref())?,
        };
        return Ok((s, None));
    }
    let opts = spectrum::TopkOptions::new(k_max);
    let t = match src {
        Source::Matrix(a) => spectrum::topk_of_matrix(a, &opts)?,
        Source::Network(d) if stores_for_topk(n, m) => {
            spectrum::topk_of_matrix(d.matrix().as_ref(), &opts)?
        }
        Source::Network(d) => spectrum::topk_of_design(d, &opts)?,
    };
    Ok((t.s.clone(), Some((t.converged, t.max_residual()))))
}

/// The engine line: the full SVD or the topk route.
fn engine(cols: &[Column]) -> &'static str {
    if cols.iter().any(|c| c.topk.is_some()) {
        ENGINE_TOPK
    } else {
        ENGINE
    }
}

/// Runs the command.
pub fn run(args: &QkArgs) -> Result<()> {
    args.output.check()?;
    if let Some(path) = &args.design {
        let nm = crate::args::design_shape(path)?;
        check_k_max(args.k_max, Sizes::Design(path), nm)?;
        let a = crate::args::read_design("qk", path, true)?;
        let (n, m) = (a.nrows(), a.ncols());
        let col = column(
            "matrix".into(),
            None,
            Source::Matrix(a.as_ref()),
            args.k_max,
        )?;
        drop(a);
        let cols = vec![col];
        let what = format!("matrix A ({n} x {m}) from {}", path.display());
        let human = human(args, &cols, &what);
        let mut j = base_json("qk", engine(&cols));
        j.insert("design_file".into(), json!(path.display().to_string()));
        return emit(args, j, (n, m), &cols, &human);
    }
    let shape = &args.model.shape;
    check_k_max(args.k_max, Sizes::Shape(shape), crate::plan::sizes(shape))?;
    // One activation at a time: the plan of one, the work of all.
    let (pn, pm) = crate::plan::sizes(&args.model.shape);
    let mut plan = if spectrum::prefers_topk(pn, pm, args.k_max) {
        crate::plan::topk(pn, pm, args.k_max, stores_for_topk(pn, pm))
    } else {
        crate::plan::dense(&args.model.shape, true)
    };
    plan.ops *= args.model.activation.0.len() as f64;
    crate::plan::check("qk", &plan)?;
    let (cols, (n, m)) = columns(args)?;
    let sigma_text = match args.model.shape.sigma {
        Sigma::Width => format!("sigma = M = {m}"),
        Sigma::Value(v) => format!("sigma = {v}"),
    };
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    let what = format!(
        "networks: {}; {sigma_text}, N = {n}, M = {m}, grid = {}, bias grid = {}",
        names.join(", "),
        args.model.shape.grid.label(),
        args.model.shape.bias_grid.label()
    );
    let human = human(args, &cols, &what);
    let mut j = base_json("qk", engine(&cols));
    j.insert("sigma_rule".into(), json!(sigma_text));
    j.insert("grid".into(), json!(args.model.shape.grid.label()));
    j.insert(
        "bias_grid".into(),
        json!(args.model.shape.bias_grid.label()),
    );
    emit(args, j, (n, m), &cols, &human)
}

/// Prints or writes the table of `cols` (with N, M, the K list and the
/// columns added to `j`).
fn emit(
    args: &QkArgs,
    mut j: Map<String, Value>,
    (n, m): (usize, usize),
    cols: &[Column],
    human: &str,
) -> Result<()> {
    j.insert("n".into(), json!(n));
    j.insert("m".into(), json!(m));
    j.insert("k".into(), json!((1..=args.k_max).collect::<Vec<_>>()));
    j.insert(
        "activations".into(),
        Value::Array(cols.iter().map(Column::json).collect()),
    );
    args.output
        .emit(human, &Value::Object(j), &table(args.k_max, cols))
}

/// Refuses `--k-max` above min(N, M), naming the flags N and M came from.
fn check_k_max(k_max: usize, sizes: Sizes<'_>, (n, m): (usize, usize)) -> Result<()> {
    let why = format!(
        "q(K) needs s_(K-1), and A has only {} singular values; lower --k-max or raise the smaller size",
        n.min(m)
    );
    sizes.check_count("--k-max", k_max, (n, m), &why)
}

/// The q(K) column of one matrix.
fn column(name: String, sigma: Option<f64>, src: Source<'_>, k_max: usize) -> Result<Column> {
    let (n, m) = src.dims();
    let (s, topk) = leading_values(src, k_max)?;
    if let Some((false, res)) = topk {
        eprintln!(
            "qk: warning: {name}: the topk route did not converge (largest residual {} of s_0): s_(K-1) and q(K) are approximate",
            num(res)
        );
    }
    let rows = qk::q_table(&s, k_max, n, m)?;
    Ok(Column {
        name,
        sigma,
        s_max: s[0],
        norm: spectrum::normalized(&s)[..k_max].to_vec(),
        rows,
        topk,
    })
}

const ENGINE: &str = "cpu-f64 (faer bidiagonal SVD of A, values only)";

const ENGINE_TOPK: &str = "cpu-f64 (randomized block Krylov, the K_max leading values only: block Lanczos on A^T A, Rayleigh-Ritz on A, residuals checked)";

/// The q(K) column of every activation, and (N, M).
fn columns(args: &QkArgs) -> Result<(Vec<Column>, (usize, usize))> {
    let acts = &args.model.activation.0;
    let pb = progress_bar(acts.len() as u64, "singular values");
    let mut cols: Vec<Column> = Vec::new();
    let mut dims = (0, 0);
    for &act in acts {
        pb.set_message(format!("singular values ({act})"));
        let design = args.model.shape.design(act)?;
        let (n, m) = (design.n(), design.m());
        dims = (n, m);
        check_k_max(args.k_max, Sizes::Shape(&args.model.shape), (n, m))?;
        cols.push(column(
            act.name(),
            Some(design.sigma()),
            Source::Network(&design),
            args.k_max,
        )?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok((cols, dims))
}

/// The text output; `what` describes the networks or the matrix.
fn human(args: &QkArgs, cols: &[Column], what: &str) -> String {
    let mut human = header("qk", engine(cols), what);
    let show_q = |r: &QkRow| r.q.map_or("unreachable".to_string(), |q| q.to_string());
    if let [c] = cols {
        let mut t = TextTable::new(["K", "q(K)", "(s_0/s_(K-1))^2", "s_(K-1)/s_0"]);
        for r in &c.rows {
            t.row([
                r.k.to_string(),
                show_q(r),
                r.ratio_sq.map_or("unreachable".into(), num),
                num(c.norm[r.k - 1]),
            ]);
        }
        human.push_str(&t.render());
    } else {
        let mut heads = vec!["K".to_string()];
        heads.extend(cols.iter().map(|c| c.name.clone()));
        let mut t = TextTable::new(heads);
        for i in 0..args.k_max {
            let mut row = vec![(i + 1).to_string()];
            row.extend(cols.iter().map(|c| show_q(&c.rows[i])));
            t.row(row);
        }
        human.push_str(&t.render());
        human.push_str(
            "(columns: q(K) per activation; ratio^2 = (s_0/s_(K-1))^2 in --json and --out)\n",
        );
    }
    human.push_str(
        "q(K) = ceil((s_0/s_(K-1))^2 (1 - 1e-9)) at alpha = 1/s_max^2, eps = 1/e (Eq. 17, with the square);\n\
         unreachable: s_(K-1) <= max(N,M)*eps_mach*s_0, numerically zero\n",
    );
    human
}

impl Column {
    fn json(&self) -> Value {
        let mut o = Map::new();
        o.insert("activation".into(), json!(self.name));
        o.insert("sigma".into(), json!(self.sigma));
        o.insert("s_max".into(), json!(self.s_max));
        if let Some((converged, res)) = self.topk {
            o.insert("topk_converged".into(), json!(converged));
            o.insert("topk_max_residual".into(), json!(res));
        }
        o.insert(
            "q".into(),
            json!(self.rows.iter().map(|r| r.q).collect::<Vec<_>>()),
        );
        o.insert(
            "ratio_sq".into(),
            json!(self.rows.iter().map(|r| r.ratio_sq).collect::<Vec<_>>()),
        );
        Value::Object(o)
    }
}

fn table(k_max: usize, cols: &[Column]) -> Table {
    let mut table = Table::new().with("K", (1..=k_max).map(|k| k as f64).collect());
    for c in cols {
        table.push(
            format!("q_{}", c.name),
            c.rows
                .iter()
                .map(|r| r.q.map_or(f64::NAN, |q| q as f64))
                .collect(),
        );
        table.push(
            format!("ratio_sq_{}", c.name),
            c.rows
                .iter()
                .map(|r| r.ratio_sq.unwrap_or(f64::NAN))
                .collect(),
        );
    }
    table
}
