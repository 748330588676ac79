//! `gdshrink spectrum`: the singular values s_k of A (0-indexed, descending),
//! normalized s_k/s_0, and optionally the principal components u_k compared
//! with the DST-like basis d_k(x) = sin(π(k+½)x).
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * r = min(N, M) rows: `k`, `s`, `s_over_s0`;
//! * with `--vectors K`, N rows: `x`, `u_0` … `u_{K-1}` (sign chosen so that
//!   ⟨u_k, d_k⟩ ≥ 0), and K rows: `component`, `abs_cos_dst`, `best_j`,
//!   `best_abs_cos`, `pair_projection`.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::output::Table;
use gdshrink::spectral::{self as spectrum, DstMatch, SpectrumRoute};
use gdshrink::studies::Features;
use serde_json::{Value, json};

use crate::args::{Sizes, parse_lib, parse_positive};
use crate::output::{OutputArgs, base_json, header};
use crate::progress::spinner;
use gdshrink::output::table::{TextTable, num};

/// Flags of `gdshrink spectrum`.
#[derive(Args, Debug)]
#[command(after_help = "Example: gdshrink spectrum -a heaviside -n 256 -m 256 --top 5 --vectors 4")]
pub struct SpectrumArgs {
    #[command(flatten)]
    pub model: crate::args::ModelArgs,
    /// Algorithm: `direct` (bidiagonal SVD of A: every s_k to ≈ ε·s_max), `gram`
    /// (eigenvalues of the smaller of AAᵀ, AᵀA: values below ≈ 1.5e-8·s_max are
    /// rounding noise), `tsqr` (streamed tall-skinny QR, A never stored: every
    /// s_k to ≈ ε·s_max), `stream-gram` (streamed Gram matrix, A never stored:
    /// top of the spectrum only), or `auto`: `tsqr` when A would take more than
    /// 512 MiB or one side is ≥ 16× the other (and ≥ 4096), else `direct`.
    #[arg(long, default_value = "auto", value_parser = parse_lib::<SpectrumRoute>)]
    pub method: SpectrumRoute,
    /// Also compute the thin SVD and compare the first K principal components u_k
    /// with the DST basis d_k(x) = sin(π(k+½)x) (|cos|, best match, tanh pair projection).
    #[arg(long, value_name = "K", value_parser = parse_positive)]
    pub vectors: Option<usize>,
    /// Rows of the singular-value table shown on the terminal (--json and --out hold all).
    #[arg(long, value_name = "K", default_value = "20", value_parser = parse_positive)]
    pub top: usize,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags; --method auto, direct or gram
    /// (the streamed methods generate A from a network); the DST comparison
    /// of --vectors uses x = linspace(N).
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid"])]
    pub design: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What one `spectrum` invocation computed.
struct Computed<'a> {
    args: &'a SpectrumArgs,
    /// The route taken (`auto` resolved).
    route: SpectrumRoute,
    features: Features,
    /// The sample points (the design's x, linspace(N) for a matrix).
    x: Vec<f64>,
    s: Vec<f64>,
    engine: String,
    /// u_k against the DST basis, and u_k itself (sign fixed), with `--vectors`.
    matches: Vec<DstMatch>,
    us: Vec<Vec<f64>>,
    norm: Vec<f64>,
    zero_threshold: f64,
    numerical_rank: usize,
}

/// Runs the command.
pub fn run(args: &SpectrumArgs) -> Result<()> {
    args.output.check()?;
    if let Some(k) = args.vectors {
        let shape = &args.model.shape;
        let (source, nm) = match &args.design {
            Some(path) => (Sizes::Design(path), crate::args::design_shape(path)?),
            None => (Sizes::Shape(shape), crate::plan::sizes(shape)),
        };
        source.check_count("--vectors", k, nm, "A has min(N, M) principal components")?;
    }
    let features = if let Some(path) = &args.design {
        if matches!(args.method, SpectrumRoute::Tsqr | SpectrumRoute::StreamGram) {
            bail!(
                "--method {} streams A from a network; with --design FILE.npy use auto, direct or gram",
                args.method.name()
            );
        }
        Features::matrix(
            crate::args::read_design("spectrum", path, true)?,
            path.display().to_string(),
        )?
    } else {
        crate::plan::check("spectrum", &crate::plan::dense(&args.model.shape, true))?;
        Features::Network(args.model.design()?)
    };
    let c = compute(args, features)?;
    args.output.emit(&c.human(), &c.json(), &c.table())
}

fn compute(args: &SpectrumArgs, features: Features) -> Result<Computed<'_>> {
    let (n, m) = (features.n(), features.m());
    let r = n.min(m);
    let route = match &features {
        Features::Network(_) => args.method.resolve(n, m),
        Features::Matrix { .. } if args.method == SpectrumRoute::Auto => SpectrumRoute::Direct,
        Features::Matrix { .. } => args.method,
    };
    if let Some(k) = args.vectors {
        if route == SpectrumRoute::Gram {
            bail!(
                "--vectors needs singular vectors, which --method gram does not compute: use --method direct, tsqr or auto"
            );
        }
        if k > r {
            bail!("--vectors {k} exceeds the {r} principal components of A");
        }
    }
    let what = if route.stores_a() {
        "building A"
    } else {
        "streaming A"
    };
    let sp = spinner(&format!(
        "{what} ({n} x {m}) and its spectrum ({})",
        route.name()
    ));
    let k = args.vectors.unwrap_or(0);
    let got = match &features {
        Features::Network(d) => spectrum::design_spectrum(d, route, k)?,
        Features::Matrix { a, .. } => spectrum::matrix_spectrum(faer::Mat::as_ref(a), route, k)?,
    };
    let x = features.x();
    let engine = route.describe(n, m);
    let (matches, us) = match &got.u {
        Some(u) => {
            let ks: Vec<usize> = (0..k).collect();
            let matches = spectrum::dst_similarity_of(u.as_ref(), r, &x, &ks)?;
            let us = ks
                .iter()
                .map(|&k| {
                    let mut u: Vec<f64> = u.col(k).iter().copied().collect();
                    let d = spectrum::dst_basis(&x, k);
                    let dot: f64 = u.iter().zip(&d).map(|(a, b)| a * b).sum();
                    if dot < 0.0 {
                        for v in &mut u {
                            *v = -*v;
                        }
                    }
                    u
                })
                .collect();
            (matches, us)
        }
        None => (Vec::new(), Vec::new()),
    };
    let s = got.s;
    sp.finish_and_clear();
    let s_max = s.first().copied().unwrap_or(0.0);
    // Below this a value carries no information: max(N,M)·ε·s_0 for the SVD
    // (SPEC §4); the Gram route squares, so its floor is the square root of that.
    let zero_threshold = if route.squares() {
        (n.max(m) as f64 * f64::EPSILON).sqrt() * s_max
    } else {
        n.max(m) as f64 * f64::EPSILON * s_max
    };
    Ok(Computed {
        args,
        route,
        numerical_rank: s.iter().filter(|&&v| v > zero_threshold).count(),
        norm: spectrum::normalized(&s),
        features,
        x,
        s,
        engine,
        matches,
        us,
        zero_threshold,
    })
}

impl Computed<'_> {
    fn s_max(&self) -> f64 {
        self.s.first().copied().unwrap_or(0.0)
    }

    fn human(&self) -> String {
        let (args, s, norm) = (self.args, &self.s, &self.norm);
        let mut human = header(
            "spectrum",
            &self.engine,
            &args.model.features_line(&self.features),
        );
        let mut t = TextTable::new(["k", "s_k", "s_k/s_0"]);
        for k in 0..s.len().min(args.top) {
            t.row([k.to_string(), num(s[k]), num(norm[k])]);
        }
        human.push_str(&t.render());
        let _ = writeln!(
            human,
            "showing {} of {} singular values (0-indexed, s_0 = s_max = {}); numerical rank {} (s_k > {}{})",
            s.len().min(args.top),
            s.len(),
            num(self.s_max()),
            self.numerical_rank,
            if self.route.squares() {
                "sqrt(max(N,M)*eps)*s_0 = "
            } else {
                "max(N,M)*eps*s_0 = "
            },
            num(self.zero_threshold)
        );
        if !self.matches.is_empty() {
            human.push('\n');
            let mut t = TextTable::new([
                "k",
                "s_k/s_0",
                "|cos(u_k,d_k)|",
                "best j",
                "|cos(u_k,d_j)|",
                "pair proj",
            ]);
            for mt in &self.matches {
                t.row([
                    mt.k.to_string(),
                    num(norm[mt.k]),
                    num(mt.abs_cos),
                    mt.best_j.to_string(),
                    num(mt.best_abs_cos),
                    num(mt.fourier_pair_proj),
                ]);
            }
            human.push_str(&t.render());
            human.push_str(
                "d_k(x) = sin(pi(k+1/2)x) at the samples; best j maximises |cos(u_k, d_j)|;\n\
                 pair proj = norm of the projection of u_k on span{cos, sin}(pi(2*floor(k/2)+1)x) (tanh's pairs)\n",
            );
        }
        human
    }

    fn json(&self) -> Value {
        let mut j = base_json("spectrum", &self.engine);
        j.extend(self.args.model.features_json(&self.features));
        j.insert("method".into(), json!(self.route.name()));
        j.insert("s_max".into(), json!(self.s_max()));
        j.insert("singular_values".into(), json!(self.s));
        j.insert("singular_values_normalized".into(), json!(self.norm));
        j.insert("numerical_rank".into(), json!(self.numerical_rank));
        j.insert("zero_threshold".into(), json!(self.zero_threshold));
        if !self.matches.is_empty() {
            j.insert("x".into(), json!(self.x));
            j.insert(
                "components".into(),
                components_json(&self.matches, &self.s, &self.us),
            );
        }
        Value::Object(j)
    }

    fn table(&self) -> Table {
        let (s, matches) = (&self.s, &self.matches);
        let mut table = Table::new()
            .with("k", (0..s.len()).map(|k| k as f64).collect())
            .with("s", s.clone())
            .with("s_over_s0", self.norm.clone());
        if !matches.is_empty() {
            table.push("x", self.x.clone());
            for (mt, u) in matches.iter().zip(&self.us) {
                table.push(format!("u_{}", mt.k), u.clone());
            }
            table.push("component", matches.iter().map(|m| m.k as f64).collect());
            table.push("abs_cos_dst", matches.iter().map(|m| m.abs_cos).collect());
            table.push("best_j", matches.iter().map(|m| m.best_j as f64).collect());
            table.push(
                "best_abs_cos",
                matches.iter().map(|m| m.best_abs_cos).collect(),
            );
            table.push(
                "pair_projection",
                matches.iter().map(|m| m.fourier_pair_proj).collect(),
            );
        }
        table
    }
}

fn components_json(matches: &[DstMatch], s: &[f64], us: &[Vec<f64>]) -> Value {
    Value::Array(
        matches
            .iter()
            .zip(us)
            .map(|(mt, u)| {
                json!({
                    "k": mt.k,
                    "s": s[mt.k],
                    "abs_cos_dst": mt.abs_cos,
                    "best_j": mt.best_j,
                    "best_abs_cos": mt.best_abs_cos,
                    "fourier_pair_projection": mt.fourier_pair_proj,
                    "u": u,
                })
            })
            .collect(),
    )
}
