//! `gdshrink shrink`: the closed-form prediction of gradient descent at a list
//! of q, from one thin SVD A = U diag(s) Vᵀ:
//! f_q = U diag(m(s)) Uᵀ y and w_q = V diag(m(s)/s) Uᵀ y with
//! m = gd_exact(α, q) = 1 − (1 − αs²)^q and m = gd_flow(α, q) = 1 − exp(−αqs²),
//! the gap between the two, and optional ridge / PCA masks.
//!
//! `kept` counts the components whose mask value is ≥ 1 − 1/e (Prop. 4.2's
//! threshold, so kept ≈ K at q = q(K)).
//!
//! `--out` layout (columns, NaN-padded to the longest block):
//! * N rows: `x`, `y`, `f_exact_q{q}`…, `f_flow_q{q}`…, then one `f_{mask}` per extra mask;
//! * M rows: `b`, `w_exact_q{q}`…, `w_flow_q{q}`…, `w_{mask}`…;
//! * r = min(N, M) rows: `s`, `m_exact_q{q}`…, `m_flow_q{q}`…, `m_{mask}`… (mask values m(s_k));
//! * one row per q: `q`, `loss_exact`, `loss_flow`, `gap_f`, `gap_w`;
//!
//! where `{mask}` is `ridge_{λ}`, `pca_k{K}` or `pca_kappa{κ}`.

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::io::Table;
use gdshrink::mask::{self, Mask, Regime};
use gdshrink::spectrum;
use gdshrink::trajectory::rel_error;
use serde_json::{Value, json};

use super::table::{TextTable, num};
use super::{ModelArgs, OutputArgs, TrainArgs, base_json, header, parse_positive, spinner};

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

/// Runs the command.
pub fn run(args: &ShrinkArgs) -> Result<()> {
    let design = args.model.design()?;
    let (n, m) = (design.n(), design.m());
    let y = args.train.signal.values(&design.x)?;
    let sp = spinner(&format!("thin SVD of A ({n} x {m})"));
    let a = design.matrix();
    let svd = spectrum::thin_svd(a.as_ref())?;
    sp.finish_and_clear();
    let r = svd.s.len();
    let s_max = svd.s_max();
    let alpha = args.train.alpha(s_max, n)?;
    let x_max = alpha * s_max * s_max;
    let regime = mask::regime(s_max, alpha);
    let qs = &args.train.q.0;

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
        if k > r {
            bail!("--pca-k {k} asks for more components than min(N, M) = {r}");
        }
        let kappa = svd.s[k - 1];
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

    let mut masks = mask::gd_exact_masks(alpha, qs);
    masks.extend(mask::gd_flow_masks(alpha, qs));
    masks.extend(extras.iter().map(|e| e.mask));
    let sh = mask::shrink(&svd, &y, &masks)?;
    let nq = qs.len();
    let threshold = 1.0 - (-1.0f64).exp();
    let kept: Vec<usize> =
        sh.m.iter()
            .map(|mv| {
                mv.iter()
                    .zip(&svd.s)
                    .filter(|&(&v, &s)| s > 0.0 && v >= threshold)
                    .count()
            })
            .collect();
    let gap_f: Vec<f64> = (0..nq)
        .map(|i| rel_error(&sh.f[nq + i], &sh.f[i]))
        .collect();
    let gap_w: Vec<f64> = (0..nq)
        .map(|i| rel_error(&sh.w[nq + i], &sh.w[i]))
        .collect();
    let loss0 = gdshrink::trajectory::half_sq_residual(&y, &vec![0.0; n]);

    let engine = "cpu-f64 (faer thin SVD of A; closed-form masks)";
    let regime_text = match regime {
        Regime::Monotone => "monotone (alpha s_max^2 <= 1)",
        Regime::Alternating => {
            "ALTERNATING: 1 <= alpha s_max^2 < 2, the top components overshoot with alternating sign"
        }
        Regime::Divergent => "DIVERGENT: alpha s_max^2 >= 2, gradient descent does not converge",
    };
    if regime == Regime::Divergent {
        eprintln!(
            "warning: alpha = {alpha:e} >= 2/s_max^2 = {:e}: gd_exact grows like |1 - alpha s^2|^q; \
             `gdshrink gd` refuses this rate unless --allow-unstable",
            2.0 / (s_max * s_max)
        );
    }

    // --- human
    let mut human = header(
        "shrink",
        engine,
        &format!(
            "{}\nsignal: {}, alpha = {} ({}; NT eta = alpha*N = {}), s_max = {}, alpha*s_max^2 = {}: {}",
            args.model.line(&design),
            args.train.signal.label(),
            num(alpha),
            args.train.alpha.rule(args.train.nt),
            num(mask::nt_from_alpha(alpha, n)),
            num(s_max),
            num(x_max),
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
    for (i, q) in qs.iter().enumerate() {
        t.row([
            q.to_string(),
            num(sh.loss[i]),
            num(sh.loss[nq + i]),
            num(gap_f[i]),
            num(gap_w[i]),
            kept[i].to_string(),
            kept[nq + i].to_string(),
        ]);
    }
    human.push_str(&t.render());
    human.push_str(&format!(
        "loss = 1/2 ||y - f_q||^2 (at q = 0: {}); gap f = ||f_flow - f_exact|| / ||f_exact|| at the samples,\n\
         gap w the same in weight space; kept = #components with mask >= 1 - 1/e (of {r})\n",
        num(loss0)
    ));
    if !extras.is_empty() {
        human.push('\n');
        let mut t = TextTable::new(["mask", "loss", "kept"]);
        for (e, i) in extras.iter().zip(2 * nq..) {
            t.row([e.label.clone(), num(sh.loss[i]), kept[i].to_string()]);
        }
        human.push_str(&t.render());
    }

    // --- JSON
    let mut j = base_json("shrink", engine);
    j.extend(args.model.json(&design));
    j.insert("signal".into(), json!(args.train.signal.label()));
    j.insert("alpha".into(), json!(alpha));
    j.insert(
        "alpha_rule".into(),
        json!(args.train.alpha.rule(args.train.nt)),
    );
    j.insert("eta_nt".into(), json!(mask::nt_from_alpha(alpha, n)));
    j.insert("s_max".into(), json!(s_max));
    j.insert("alpha_s_max_sq".into(), json!(x_max));
    j.insert("regime".into(), json!(regime));
    j.insert("x".into(), json!(design.x));
    j.insert("b".into(), json!(design.b));
    j.insert("y".into(), json!(y));
    j.insert("singular_values".into(), json!(svd.s));
    j.insert("q".into(), json!(qs));
    for (name, off) in [("gd_exact", 0), ("gd_flow", nq)] {
        j.insert(
            name.into(),
            json!({
                "f": &sh.f[off..off + nq],
                "w": &sh.w[off..off + nq],
                "loss": &sh.loss[off..off + nq],
                "kept": &kept[off..off + nq],
                "mask_values": &sh.m[off..off + nq],
            }),
        );
    }
    j.insert("gap_f_rel".into(), json!(gap_f));
    j.insert("gap_w_rel".into(), json!(gap_w));
    j.insert(
        "extra_masks".into(),
        Value::Array(
            extras
                .iter()
                .zip(2 * nq..)
                .map(|(e, i)| {
                    let mut o = serde_json::to_value(e.mask)
                        .ok()
                        .and_then(|v| v.as_object().cloned())
                        .unwrap_or_default();
                    o.insert("label".into(), json!(e.label));
                    if let Some(k) = e.k {
                        o.insert("k".into(), json!(k));
                    }
                    o.insert("f".into(), json!(sh.f[i]));
                    o.insert("w".into(), json!(sh.w[i]));
                    o.insert("loss".into(), json!(sh.loss[i]));
                    o.insert("kept".into(), json!(kept[i]));
                    o.insert("mask_values".into(), json!(sh.m[i]));
                    Value::Object(o)
                })
                .collect(),
        ),
    );

    // --- file
    let key = |i: usize| -> String {
        if i < nq {
            format!("exact_q{}", qs[i])
        } else if i < 2 * nq {
            format!("flow_q{}", qs[i - nq])
        } else {
            extras[i - 2 * nq].key.clone()
        }
    };
    let mut table = Table::new()
        .with("x", design.x.clone())
        .with("y", y.clone());
    for (i, f) in sh.f.iter().enumerate() {
        table.push(format!("f_{}", key(i)), f.clone());
    }
    table.push("b", design.b.clone());
    for (i, w) in sh.w.iter().enumerate() {
        table.push(format!("w_{}", key(i)), w.clone());
    }
    table.push("s", svd.s.clone());
    for (i, mv) in sh.m.iter().enumerate() {
        table.push(format!("m_{}", key(i)), mv.clone());
    }
    table.push("q", qs.iter().map(|&q| q as f64).collect());
    table.push("loss_exact", sh.loss[..nq].to_vec());
    table.push("loss_flow", sh.loss[nq..2 * nq].to_vec());
    table.push("gap_f", gap_f);
    table.push("gap_w", gap_w);
    args.output.emit(&human, &Value::Object(j), &table)
}
