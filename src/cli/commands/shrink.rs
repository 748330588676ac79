//! `gdshrink shrink`: the closed-form prediction of gradient descent at a list
//! of q, from one thin SVD A = U diag(s) Vᵀ:
//! f_q = U diag(m(s)) Uᵀ y and w_q = V diag(m(s)/s) Uᵀ y with
//! m = gd_exact(α, q) = 1 − (1 − αs²)^q and m = gd_flow(α, q) = 1 − exp(−αqs²),
//! the gap between the two, and optional ridge / PCA masks.
//!
//! `kept` counts the components whose mask value is ≥ 1 − 1/e (Prop. 4.2's
//! threshold, so kept ≈ K at q = q(K); [`gdshrink::spectral::KEPT_LEVEL`]).
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * N rows: `x`, `y`, `f_exact_q{q}`…, `f_flow_q{q}`…, then one `f_{mask}` per extra mask;
//! * M rows: `b`, `w_exact_q{q}`…, `w_flow_q{q}`…, `w_{mask}`…;
//! * r = min(N, M) rows: `s`, `m_exact_q{q}`…, `m_flow_q{q}`…, `m_{mask}`… (mask values m(s_k));
//! * one row per q: `q`, `loss_exact`, `loss_flow`, `gap_f`, `gap_w`;
//!
//! where `{mask}` is `ridge_{λ}`, `pca_k{K}` or `pca_kappa{κ}`.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::gd::{half_sq_residual, nt_from_alpha, rel_error};
use gdshrink::output::Table;
use gdshrink::output::table::{TextTable, num};
use gdshrink::spectral::{
    self as spectral, Mask, Regime, Shrunk, ThinSvd, gd_exact_masks, gd_flow_masks, shrink,
};
use gdshrink::studies::Features;
use serde_json::{Map, Value, json};

use crate::args::{ModelArgs, Sizes, TrainArgs, parse_positive};
use crate::output::{OutputArgs, base_json, header};
use crate::progress::spinner;

/// Flags of `gdshrink shrink`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: gdshrink shrink -a tanh -n 256 -m 1024 --q 1,10,100,1000 --ridge 1e-2 --pca-k 20"
)]
pub struct ShrinkArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub train: TrainArgs,
    /// Also apply ridge masks s²/(s² + λ), comma-separated λ ≥ 0.
    #[arg(long, value_name = "LAMBDA", value_delimiter = ',', value_parser = parse_nonneg)]
    pub ridge: Vec<f64>,
    /// Also apply PCA masks keeping the top K components (κ = s_{K−1}), comma-separated.
    #[arg(long, value_name = "K", value_delimiter = ',', value_parser = parse_positive)]
    pub pca_k: Vec<usize>,
    /// Also apply PCA masks [s ≥ κ] with these thresholds, comma-separated κ ≥ 0.
    #[arg(long, value_name = "KAPPA", value_delimiter = ',', value_parser = parse_nonneg)]
    pub kappa: Vec<f64>,
    /// A matrix A of your own (N x M, a 2-D .npy of f64 or f32, C or Fortran
    /// order) instead of the network flags: built-in signals are taken on
    /// x = linspace(N), and b = linspace(M) labels the weights.
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["activation", "sigma", "n", "m", "grid", "bias_grid"])]
    pub design: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_nonneg(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not valid here: give a finite number >= 0"
        )),
    }
}

/// An extra (non-GD) mask with its names.
struct Extra {
    mask: Mask,
    /// Column suffix, e.g. `ridge_0.01`.
    key: String,
    /// For tables, e.g. `pca(K=10, kappa=…)`.
    label: String,
    /// K of `--pca-k`, if that is how it was given.
    k: Option<usize>,
}

/// Everything one `shrink` invocation computed.
struct Solved<'a> {
    args: &'a ShrinkArgs,
    features: Features,
    x: Vec<f64>,
    y: Vec<f64>,
    svd: ThinSvd,
    alpha: f64,
    extras: Vec<Extra>,
    /// gd_exact at each q, gd_flow at each q, then the extra masks.
    exact: Vec<Shrunk>,
    flow: Vec<Shrunk>,
    other: Vec<Shrunk>,
    gap_f: Vec<f64>,
    gap_w: Vec<f64>,
}

const ENGINE: &str = "cpu-f64 (faer thin SVD of A; closed-form masks)";

/// Runs the command.
pub fn run(args: &ShrinkArgs) -> Result<()> {
    args.output.check()?;
    let shape = &args.model.shape;
    let masks = 2 + args.ridge.len() + args.pca_k.len() + args.kappa.len();
    let (dense, sizes) = crate::plan::dense_svd(shape, args.design.as_deref())?;
    let source = args
        .design
        .as_deref()
        .map_or(Sizes::Shape(shape), Sizes::Design);
    for &k in &args.pca_k {
        source.check_count(
            "--pca-k",
            k,
            sizes,
            "a PCA mask keeps the top K components, and A has min(N, M) of them",
        )?;
    }
    let plan = crate::plan::with_solutions(dense, sizes, &args.train.q, masks);
    crate::plan::check("shrink", &plan)?;
    let features = match &args.design {
        Some(path) => crate::args::design_features(path)?,
        None => Features::Network(args.model.design()?),
    };
    let s = solve(args, features)?;
    let s_max = s.svd.s_max();
    if spectral::regime(s_max, s.alpha) == Regime::Divergent {
        eprintln!(
            "warning: alpha = {:e} >= 2/s_max^2 = {:e}: gd_exact grows like |1 - alpha s^2|^q; \
             `gdshrink gd` refuses this rate unless --allow-unstable",
            s.alpha,
            2.0 / (s_max * s_max)
        );
    }
    args.output.emit(&s.human(), &s.json(), &s.table())
}

/// The extra masks of `--ridge`, `--pca-k` and `--kappa`.
fn extras(args: &ShrinkArgs, svd: &ThinSvd) -> Result<Vec<Extra>> {
    let r = svd.s.len();
    let mut extras: Vec<Extra> = Vec::new();
    for &lambda in &args.ridge {
        extras.push(Extra {
            mask: Mask::Ridge { lambda },
            key: format!("ridge_{lambda}"),
            label: format!("ridge(lambda={})", num(lambda)),
            k: None,
        });
    }
    for &k in &args.pca_k {
        let Some(&kappa) = svd.s.get(k - 1) else {
            bail!("--pca-k {k} exceeds the {r} singular values of A");
        };
        extras.push(Extra {
            mask: Mask::Pca { kappa },
            key: format!("pca_k{k}"),
            label: format!("pca(K={k}, kappa=s_{}={})", k - 1, num(kappa)),
            k: Some(k),
        });
    }
    for &kappa in &args.kappa {
        extras.push(Extra {
            mask: Mask::Pca { kappa },
            key: format!("pca_kappa{kappa}"),
            label: format!("pca(kappa={})", num(kappa)),
            k: None,
        });
    }
    Ok(extras)
}

fn solve(args: &ShrinkArgs, features: Features) -> Result<Solved<'_>> {
    let (n, m) = (features.n(), features.m());
    let x = features.x();
    let y = args.train.signal.values(&x)?;
    let sp = spinner(&format!("thin SVD of A ({n} x {m})"));
    let a = features.a();
    let svd = spectral::thin_svd(faer::Mat::as_ref(&a))?;
    drop(a);
    sp.finish_and_clear();
    let alpha = args.train.alpha(svd.s_max(), n)?;
    let qs = args.train.q.values();
    let extras = extras(args, &svd)?;
    let exact = shrink(&svd, &y, &gd_exact_masks(alpha, qs))?;
    let flow = shrink(&svd, &y, &gd_flow_masks(alpha, qs))?;
    let masks: Vec<Mask> = extras.iter().map(|e| e.mask).collect();
    let other = shrink(&svd, &y, &masks)?;
    let gap_f = flow
        .iter()
        .zip(&exact)
        .map(|(fl, ex)| rel_error(&fl.f, &ex.f))
        .collect();
    let gap_w = flow
        .iter()
        .zip(&exact)
        .map(|(fl, ex)| rel_error(&fl.w, &ex.w))
        .collect();
    Ok(Solved {
        args,
        features,
        x,
        y,
        svd,
        alpha,
        extras,
        exact,
        flow,
        other,
        gap_f,
        gap_w,
    })
}

impl Solved<'_> {
    fn human(&self) -> String {
        let (args, n) = (self.args, self.features.n());
        let s_max = self.svd.s_max();
        let regime_text = match spectral::regime(s_max, self.alpha) {
            Regime::Monotone => "monotone (alpha s_max^2 <= 1)",
            Regime::Alternating => {
                "ALTERNATING: 1 <= alpha s_max^2 < 2, the top components overshoot with alternating sign"
            }
            Regime::Divergent => {
                "DIVERGENT: alpha s_max^2 >= 2, gradient descent does not converge"
            }
        };
        let mut human = header(
            "shrink",
            ENGINE,
            &format!(
                "{}\nsignal: {}, alpha = {} ({}; NT eta = alpha*N = {}), s_max = {}, alpha*s_max^2 = {}: {}",
                args.model.features_line(&self.features),
                args.train.signal.label(),
                num(self.alpha),
                args.train.learning_rate().rule(),
                num(nt_from_alpha(self.alpha, n)),
                num(s_max),
                num(self.alpha * s_max * s_max),
                regime_text
            ),
        );
        let mut t = TextTable::new([
            "q",
            "loss gd_exact",
            "loss gd_flow",
            "gap f",
            "gap w",
            "kept exact",
            "kept flow",
        ]);
        for (i, q) in args.train.q.values().iter().enumerate() {
            let (ex, fl) = (&self.exact[i], &self.flow[i]);
            t.row([
                q.to_string(),
                num(ex.loss),
                num(fl.loss),
                num(self.gap_f[i]),
                num(self.gap_w[i]),
                ex.kept.to_string(),
                fl.kept.to_string(),
            ]);
        }
        human.push_str(&t.render());
        let _ = write!(
            human,
            "loss = 1/2 ||y - f_q||^2 (at q = 0: {}); gap f = ||f_flow - f_exact|| / ||f_exact|| at the samples,\n\
             gap w the same in weight space; kept = #components with mask >= 1 - 1/e (of {})\n",
            num(half_sq_residual(&self.y, &vec![0.0; n])),
            self.svd.s.len()
        );
        if !self.extras.is_empty() {
            human.push('\n');
            let mut t = TextTable::new(["mask", "loss", "kept"]);
            for (e, sh) in self.extras.iter().zip(&self.other) {
                t.row([e.label.clone(), num(sh.loss), sh.kept.to_string()]);
            }
            human.push_str(&t.render());
        }
        human
    }

    fn json(&self) -> Value {
        let (args, n) = (self.args, self.features.n());
        let s_max = self.svd.s_max();
        let mut j = base_json("shrink", ENGINE);
        j.extend(args.model.features_json(&self.features));
        j.insert("signal".into(), json!(args.train.signal.label()));
        j.insert("alpha".into(), json!(self.alpha));
        j.insert(
            "alpha_rule".into(),
            json!(args.train.learning_rate().rule()),
        );
        j.insert("eta_nt".into(), json!(nt_from_alpha(self.alpha, n)));
        j.insert("s_max".into(), json!(s_max));
        j.insert("alpha_s_max_sq".into(), json!(self.alpha * s_max * s_max));
        j.insert("regime".into(), json!(spectral::regime(s_max, self.alpha)));
        j.insert("x".into(), json!(self.x));
        j.insert("b".into(), json!(self.features.b()));
        j.insert("y".into(), json!(self.y));
        j.insert("singular_values".into(), json!(self.svd.s));
        j.insert("q".into(), json!(args.train.q.values()));
        for (name, sols) in [("gd_exact", &self.exact), ("gd_flow", &self.flow)] {
            j.insert(
                name.into(),
                json!({
                    "f": sols.iter().map(|s| &s.f).collect::<Vec<_>>(),
                    "w": sols.iter().map(|s| &s.w).collect::<Vec<_>>(),
                    "loss": sols.iter().map(|s| s.loss).collect::<Vec<_>>(),
                    "kept": sols.iter().map(|s| s.kept).collect::<Vec<_>>(),
                    "mask_values": sols.iter().map(|s| &s.m).collect::<Vec<_>>(),
                }),
            );
        }
        j.insert("gap_f_rel".into(), json!(self.gap_f));
        j.insert("gap_w_rel".into(), json!(self.gap_w));
        let extra: Vec<Value> = self
            .extras
            .iter()
            .zip(&self.other)
            .map(|(e, sh)| {
                let mut o: Map<String, Value> = serde_json::to_value(e.mask)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                o.insert("label".into(), json!(e.label));
                if let Some(k) = e.k {
                    o.insert("k".into(), json!(k));
                }
                o.insert("f".into(), json!(sh.f));
                o.insert("w".into(), json!(sh.w));
                o.insert("loss".into(), json!(sh.loss));
                o.insert("kept".into(), json!(sh.kept));
                o.insert("mask_values".into(), json!(sh.m));
                Value::Object(o)
            })
            .collect();
        j.insert("extra_masks".into(), Value::Array(extra));
        Value::Object(j)
    }

    /// Every solution with its column suffix: `exact_q{q}`, `flow_q{q}`, then the extras.
    fn keyed(&self) -> Vec<(String, &Shrunk)> {
        let qs = self.args.train.q.values();
        let exact = qs
            .iter()
            .zip(&self.exact)
            .map(|(q, s)| (format!("exact_q{q}"), s));
        let flow = qs
            .iter()
            .zip(&self.flow)
            .map(|(q, s)| (format!("flow_q{q}"), s));
        let other = self
            .extras
            .iter()
            .zip(&self.other)
            .map(|(e, s)| (e.key.clone(), s));
        exact.chain(flow).chain(other).collect()
    }

    fn table(&self) -> Table {
        let keyed = self.keyed();
        let mut table = Table::new()
            .with("x", self.x.clone())
            .with("y", self.y.clone());
        for (key, s) in &keyed {
            table.push(format!("f_{key}"), s.f.clone());
        }
        table.push("b", self.features.b());
        for (key, s) in &keyed {
            table.push(format!("w_{key}"), s.w.clone());
        }
        table.push("s", self.svd.s.clone());
        for (key, s) in &keyed {
            table.push(format!("m_{key}"), s.m.clone());
        }
        let qs = self.args.train.q.values();
        table.push("q", qs.iter().map(|&q| q as f64).collect());
        table.push("loss_exact", self.exact.iter().map(|s| s.loss).collect());
        table.push("loss_flow", self.flow.iter().map(|s| s.loss).collect());
        table.push("gap_f", self.gap_f.clone());
        table.push("gap_w", self.gap_w.clone());
        table
    }
}
