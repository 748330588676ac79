//! `gdshrink spectrum`: the singular values s_k of A (0-indexed, descending),
//! normalized s_k/s_0, and optionally the principal components u_k compared
//! with the DST-like basis d_k(x) = sin(π(k+½)x).
//!
//! With `--k K` only the K largest are computed (`--method topk`, which
//! `auto` takes when a full SVD would be costly: see
//! [`gdshrink::spectral::prefers_topk`]), each with its residuals.
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * r = min(N, M) rows (K with `--k`): `k`, `s`, `s_over_s0`; on the topk
//!   route also `residual_left` = ‖Aᵀu_k − s_k v_k‖/s_0 and `residual_right`
//!   = ‖A v_k − s_k u_k‖/s_0;
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
    /// top of the spectrum only), `topk` (the K leading components of --k by
    /// randomized block Krylov, residuals reported), or `auto`: with --k,
    /// `topk` when min(N, M) ≥ 2048 and 16·(K + max(10, K/10)) ≤ min(N, M);
    /// otherwise `tsqr` when A would take more than 512 MiB or one side is
    /// ≥ 16× the other (and ≥ 4096), else `direct`.
    #[arg(long, default_value = "auto", value_parser = parse_lib::<SpectrumRoute>)]
    pub method: SpectrumRoute,
    /// Compute only the K largest singular values (and vectors): the `topk`
    /// route where it is cheaper than a full SVD, the full spectrum cut to K
    /// otherwise. --top still sets the rows shown.
    #[arg(long, value_name = "K", value_parser = parse_positive)]
    pub k: Option<usize>,
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
    /// The topk route's result (residuals, steps), when it was taken.
    topk: Option<spectrum::TopkSpectrum>,
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
        let (n, m) = crate::plan::sizes(&args.model.shape);
        let plan = match args.method.resolve_k(n, m, args.k) {
            SpectrumRoute::Topk => {
                let k = args.k.unwrap_or(1).min(n.min(m));
                crate::plan::topk(n, m, k, stores_for_topk(n, m))
            }
            _ => crate::plan::dense(&args.model.shape, true),
        };
        crate::plan::check("spectrum", &plan)?;
        Features::Network(args.model.design()?)
    };
    let c = compute(args, features)?;
    args.output.emit(&c.human(), &c.json(), &c.table())
}

fn compute(args: &SpectrumArgs, features: Features) -> Result<Computed<'_>> {
    let (n, m) = (features.n(), features.m());
    let r = n.min(m);
    let route = match &features {
        Features::Network(_) => args.method.resolve_k(n, m, args.k),
        Features::Matrix { .. } if args.method == SpectrumRoute::Auto => {
            match SpectrumRoute::Auto.resolve_k(n, m, args.k) {
                SpectrumRoute::Topk => SpectrumRoute::Topk,
                _ => SpectrumRoute::Direct,
            }
        }
        Features::Matrix { .. } => args.method,
    };
    if let Some(k) = args.k
        && k > r
    {
        bail!("--k {k} asks for more components than min(N, M) = {r} (A is {n} x {m})");
    }
    if route == SpectrumRoute::Topk {
        return compute_topk(args, features);
    }
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
        Some(u) => dst_matches(u, (k, r), &x)?,
        None => (Vec::new(), Vec::new()),
    };
    let mut s = got.s;
    if let Some(k) = args.k {
        s.truncate(k);
    }
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
        topk: None,
    })
}

/// A network's A is built and kept for the topk route when it takes at most
/// [`gdshrink::spectral::stream::AUTO_DENSE_LIMIT`] (one generation instead
/// of one per pass); larger ones are streamed and never stored.
fn stores_for_topk(n: usize, m: usize) -> bool {
    8.0 * n as f64 * m as f64 <= gdshrink::spectral::stream::AUTO_DENSE_LIMIT
}

/// The topk route: the K leading triplets with their residuals.
fn compute_topk(args: &SpectrumArgs, features: Features) -> Result<Computed<'_>> {
    let (n, m) = (features.n(), features.m());
    let Some(k) = args.k else {
        bail!("--method topk computes the K leading components: give --k K");
    };
    if let Some(v) = args.vectors
        && v > k
    {
        bail!("--vectors {v} asks for more components than --k {k} computes");
    }
    let opts = spectrum::TopkOptions::new(k);
    let (got, how) = match &features {
        Features::Network(d) if stores_for_topk(n, m) => {
            let sp = spinner(&format!(
                "building A ({n} x {m}) and its {k} leading components (topk)"
            ));
            let got = spectrum::topk_of_matrix(d.matrix().as_ref(), &opts)?;
            sp.finish_and_clear();
            (got, "A built once")
        }
        Features::Network(d) => {
            let sp = spinner(&format!(
                "streaming A ({n} x {m}) for its {k} leading components (topk)"
            ));
            let got = spectrum::topk_of_design(d, &opts)?;
            sp.finish_and_clear();
            (got, "A streamed in blocks, never stored")
        }
        Features::Matrix { a, .. } => {
            let sp = spinner(&format!("{k} leading components of A ({n} x {m}) (topk)"));
            let got = spectrum::topk_of_matrix(faer::Mat::as_ref(a), &opts)?;
            sp.finish_and_clear();
            (got, "A as read")
        }
    };
    let x = features.x();
    let nv = args.vectors.unwrap_or(0);
    let (matches, us) = dst_matches(&got.u, (nv, n.min(m)), &x)?;
    let engine = format!(
        "{} [K = {k}, block {}, {} Krylov steps, {} passes over A; {how}]",
        SpectrumRoute::Topk.describe(n, m),
        got.block,
        got.steps,
        got.passes
    );
    let s = got.s.clone();
    let zero_threshold = n.max(m) as f64 * f64::EPSILON * s[0];
    Ok(Computed {
        args,
        route: SpectrumRoute::Topk,
        numerical_rank: s.iter().filter(|&&v| v > zero_threshold).count(),
        norm: spectrum::normalized(&s),
        features,
        x,
        s,
        engine,
        matches,
        us,
        zero_threshold,
        topk: Some(got),
    })
}

/// u_k against the DST basis (searched over the first r = min(N, M)) for the
/// leading `k` columns of `u`, and u_k with
/// the sign that makes ⟨u_k, d_k⟩ ≥ 0.
fn dst_matches(
    u: &faer::Mat<f64>,
    (k, r): (usize, usize),
    x: &[f64],
) -> Result<(Vec<DstMatch>, Vec<Vec<f64>>)> {
    if k == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let ks: Vec<usize> = (0..k).collect();
    let matches = spectrum::dst_similarity_of(u.as_ref(), r, x, &ks)?;
    let us = ks
        .iter()
        .map(|&k| {
            let mut u: Vec<f64> = u.col(k).iter().copied().collect();
            let d = spectrum::dst_basis(x, k);
            let dot: f64 = u.iter().zip(&d).map(|(a, b)| a * b).sum();
            if dot < 0.0 {
                for v in &mut u {
                    *v = -*v;
                }
            }
            u
        })
        .collect();
    Ok((matches, us))
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
        let mut t = match &self.topk {
            Some(_) => TextTable::new(["k", "s_k", "s_k/s_0", "residual"]),
            None => TextTable::new(["k", "s_k", "s_k/s_0"]),
        };
        for k in 0..s.len().min(args.top) {
            match &self.topk {
                Some(tk) => t.row([k.to_string(), num(s[k]), num(norm[k]), num(tk.residual(k))]),
                None => t.row([k.to_string(), num(s[k]), num(norm[k])]),
            }
        }
        human.push_str(&t.render());
        let r = self.features.n().min(self.features.m());
        let _ = writeln!(
            human,
            "showing {} of {} singular values{} (0-indexed, s_0 = s_max = {}); numerical rank {}{} (s_k > {}{})",
            s.len().min(args.top),
            s.len(),
            if s.len() < r {
                format!(" (the largest of {r})")
            } else {
                String::new()
            },
            num(self.s_max()),
            self.numerical_rank,
            if s.len() < r && self.numerical_rank == s.len() {
                " or more"
            } else {
                ""
            },
            if self.route.squares() {
                "sqrt(max(N,M)*eps)*s_0 = "
            } else {
                "max(N,M)*eps*s_0 = "
            },
            num(self.zero_threshold)
        );
        if let Some(tk) = &self.topk {
            human.push_str(&topk_line(tk));
        }
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
        if let Some(k) = self.args.k {
            j.insert("k".into(), json!(k));
        }
        if let Some(tk) = &self.topk {
            j.insert("topk".into(), json!(spectrum::TopkInfo::from(tk)));
            j.insert("residual_left".into(), json!(tk.residual_left));
            j.insert("residual_right".into(), json!(tk.residual_right));
            j.insert("residual_bound".into(), json!(tk.bound));
        }
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
        if let Some(tk) = &self.topk {
            table.push("residual_left", tk.residual_left.clone());
            table.push("residual_right", tk.residual_right.clone());
        }
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

/// The topk route's summary: residuals against their bounds.
fn topk_line(tk: &spectrum::TopkSpectrum) -> String {
    let worst_bound = tk.bound.iter().copied().fold(0.0, f64::max);
    let mut line = format!(
        "residual = max(|A^T u_k - s_k v_k|, |A v_k - s_k u_k|)/s_0; largest {} (each checked against max(tol = {}, 8 sqrt(max(N,M)) eps s_0/s_k), at most {}): {}\n",
        num(tk.max_residual()),
        num(tk.tol),
        num(worst_bound),
        if tk.converged {
            "converged"
        } else {
            "NOT converged"
        }
    );
    if !tk.converged {
        line.push_str(
            "warning: some residuals exceed their bounds (a flat or clustered spectrum near s_K, or the step limit): values are lower bounds accurate to about the residual\n",
        );
    }
    line
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
