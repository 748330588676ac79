//! The reconstruction protocol: the row split into training and test pixels,
//! experiments (a) and (b), the least-squares baselines and the literal-GD
//! check of Prop. 4.1.

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::{Protocol, TestSet};
use crate::error::{Error, Result};
use crate::gd::{CpuEngine, Engine, GdBatch, NoProgress, Problem, Progress, rel_error};
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::model::grid::linspace;
use crate::spectral::qk::q_of_k;
use crate::spectral::{Mask, f_at, gd_exact_masks, gd_flow_masks, shrink};
use crate::spectral::{ThinSvd, thin_svd};
use crate::studies::reproduce::begin;
use crate::studies::reproduce::metrics::psnr;

/// PSNR of one reconstruction over the four pixel sets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Psnr {
    /// Every pixel.
    pub all: f64,
    /// Odd pixels (held out).
    pub rest: f64,
    /// Every pixel in [L/16, 15L/16).
    pub interior_all: f64,
    /// Odd pixels in [L/16, 15L/16).
    pub interior_rest: f64,
}

impl Psnr {
    const NAN: Psnr = Psnr {
        all: f64::NAN,
        rest: f64::NAN,
        interior_all: f64::NAN,
        interior_rest: f64::NAN,
    };

    /// PSNR on the test set.
    pub fn test(&self, t: TestSet) -> f64 {
        match t {
            TestSet::Rest => self.rest,
            TestSet::All => self.all,
        }
    }

    /// PSNR on the interior of the test set.
    pub fn interior(&self, t: TestSet) -> f64 {
        match t {
            TestSet::Rest => self.interior_rest,
            TestSet::All => self.interior_all,
        }
    }
}

/// Pixel index sets.
struct Sets {
    all: Vec<usize>,
    rest: Vec<usize>,
    interior_all: Vec<usize>,
    interior_rest: Vec<usize>,
}

impl Sets {
    fn new(l: usize) -> Self {
        let inside = |p: &usize| *p >= l / 16 && *p < 15 * l / 16;
        let all: Vec<usize> = (0..l).collect();
        let rest: Vec<usize> = (1..l).step_by(2).collect();
        Sets {
            interior_all: all.iter().copied().filter(inside).collect(),
            interior_rest: rest.iter().copied().filter(inside).collect(),
            all,
            rest,
        }
    }

    fn psnr(&self, f: &[f64], y: &[f64]) -> Psnr {
        Psnr {
            all: psnr(f, y, &self.all),
            rest: psnr(f, y, &self.rest),
            interior_all: psnr(f, y, &self.interior_all),
            interior_rest: psnr(f, y, &self.interior_rest),
        }
    }
}

/// One activation's curve over K.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Curve {
    /// The activation.
    pub activation: Activation,
    /// σ per K.
    pub sigma: Vec<f64>,
    /// Learning rate α = 1/s_max² per K.
    pub alpha: Vec<f64>,
    /// q per K (`None`: q(K) unreachable).
    pub q: Vec<Option<u64>>,
    /// PSNR with the gd_exact mask (NaN where unreachable).
    pub exact: Vec<Psnr>,
    /// PSNR with the gd_flow mask at the same α and q.
    pub flow: Vec<Psnr>,
}

/// Literal GD vs closed form (Prop. 4.1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GdCheck {
    /// Activation and σ of the check.
    pub activation: Activation,
    /// σ.
    pub sigma: f64,
    /// Iteration counts compared.
    pub q: Vec<u64>,
    /// ‖f_GD − f_exact‖/‖f_exact‖ at the training pixels, per q.
    pub rel_error_exact: Vec<f64>,
    /// ‖f_GD − f_flow‖/‖f_flow‖, per q.
    pub rel_error_flow: Vec<f64>,
}

/// The result of [`evaluate`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fig6Data {
    /// Pixels L.
    pub l: usize,
    /// Training samples N.
    pub n: usize,
    /// K values used.
    pub ks: Vec<usize>,
    /// (a) σ = M, q = q(K).
    pub a: Vec<Curve>,
    /// (b) σ = K, q = q_b.
    pub b: Vec<Curve>,
    /// DST baseline.
    pub dst: Vec<Psnr>,
    /// cos(πkx) baseline.
    pub dct: Vec<Psnr>,
    /// Reconstructions at one K, for the signal plot: (label, f at every pixel).
    pub recon_k: usize,
    /// (label, values).
    pub recon: Vec<(String, Vec<f64>)>,
    /// Prop. 4.1 check (when asked for).
    pub gd_check: Option<GdCheck>,
}

/// (min, max) of the values (±∞ for none).
pub(super) fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

/// The row, its split into training (even) and test pixels, and what every
/// fit shares.
struct Split<'a> {
    /// The row, one value per pixel.
    y: &'a [f64],
    /// x of every pixel.
    x_all: Vec<f64>,
    x_train: Vec<f64>,
    y_train: Vec<f64>,
    /// Biases (linspace over M).
    b: Vec<f64>,
    /// The K values used (1 ≤ K ≤ N).
    ks: Vec<usize>,
    sets: Sets,
    /// The K of the reconstructions kept for the signal plot.
    recon_k: usize,
    clip: bool,
}

/// A design at the training pixels, its thin SVD and α = 1/s_max².
struct Model {
    d: Design,
    svd: ThinSvd,
    alpha: f64,
}

impl Model {
    fn new(act: Activation, sigma: f64, s: &Split) -> Result<Self> {
        let d = Design::new(act, sigma, s.x_train.clone(), s.b.clone())?;
        let svd = thin_svd(d.matrix().as_ref())?;
        let s0 = svd.s_max();
        let alpha = 1.0 / (s0 * s0);
        Ok(Model { d, svd, alpha })
    }
}

impl<'a> Split<'a> {
    /// Checks the row and the protocol and splits the row.
    fn new(y: &'a [f64], p: &Protocol) -> Result<Self> {
        let l = y.len();
        if l < 8 {
            return Err(Error::invalid(
                "signal length L",
                l,
                "at least 8 pixels (train on the even ones, test on the odd ones)",
            ));
        }
        crate::error::ensure_finite("signal row", y)?;
        if p.m == 0 {
            return Err(Error::invalid("width M", 0, "at least 1"));
        }
        if p.q_b == 0 {
            return Err(Error::invalid("q of experiment (b)", 0, "at least 1"));
        }
        let x_all = linspace(l);
        let train: Vec<usize> = (0..l).step_by(2).collect();
        let n = train.len();
        let x_train: Vec<f64> = train.iter().map(|&i| x_all[i]).collect();
        let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
        let ks: Vec<usize> = p.ks.iter().copied().filter(|&k| k >= 1 && k <= n).collect();
        if ks.is_empty() {
            return Err(Error::invalid(
                "K list",
                format!("{:?}", p.ks),
                format!("values from 1 to N = {n}"),
            ));
        }
        let recon_k = *ks
            .iter()
            .min_by_key(|&&k| k.abs_diff((n / 8).max(1)))
            .unwrap_or(&ks[0]);
        Ok(Split {
            y,
            x_all,
            x_train,
            y_train,
            b: linspace(p.m),
            ks,
            sets: Sets::new(l),
            recon_k,
            clip: p.clip,
        })
    }

    /// Training samples N.
    fn n(&self) -> usize {
        self.x_train.len()
    }

    /// f at every pixel for each mask, from the model's SVD.
    fn fit(&self, model: &Model, masks: &[Mask]) -> Result<Vec<Vec<f64>>> {
        if masks.is_empty() {
            return Ok(Vec::new());
        }
        let sh = shrink(&model.svd, &self.y_train, masks)?;
        let mut f = f_at(&sh, model.d.matrix_at(&self.x_all).as_ref())?;
        if self.clip {
            f.iter_mut().flatten().for_each(|v| *v = v.clamp(0.0, 1.0));
        }
        Ok(f)
    }

    /// Least squares on the training pixels with basis functions φ_k, k < K, evaluated everywhere.
    fn baseline(&self, phi: impl Fn(usize, f64) -> f64, k: usize) -> Result<Vec<f64>> {
        let x_train = &self.x_train;
        let b = Mat::<f64>::from_fn(x_train.len(), k, |i, j| phi(j, x_train[i]));
        let svd = thin_svd(b.as_ref())?;
        let kappa = svd.zero_threshold();
        let sh = shrink(&svd, &self.y_train, &[Mask::Pca { kappa }])?;
        let coef = &sh[0].w;
        Ok(self
            .x_all
            .iter()
            .map(|&x| {
                let v: f64 = (0..k).map(|j| coef[j] * phi(j, x)).sum();
                if self.clip { v.clamp(0.0, 1.0) } else { v }
            })
            .collect())
    }
}

fn dst_phi(k: usize, x: f64) -> f64 {
    (std::f64::consts::PI * (k as f64 + 0.5) * x).sin()
}

fn dct_phi(k: usize, x: f64) -> f64 {
    (std::f64::consts::PI * k as f64 * x).cos()
}

/// Runs the protocol on a row `y` (one value per pixel).
pub fn evaluate(y: &[f64], p: &Protocol, progress: &dyn Progress) -> Result<Fig6Data> {
    let s = Split::new(y, p)?;
    let steps = p.activations.len() * (1 + s.ks.len()) + 1;
    begin(
        progress,
        "fig6",
        &format!("reconstruction N={} M={}", s.n(), p.m),
        steps as u64,
    );
    let mut recon = Vec::new();
    let (a, gd_check) = experiment_a(&s, p, progress, &mut recon)?;
    let b = experiment_b(&s, p, progress, &mut recon)?;
    let (dst, dct) = baselines(&s, &mut recon)?;
    progress.advance(1);
    progress.finish();
    Ok(Fig6Data {
        l: y.len(),
        n: s.n(),
        ks: s.ks,
        a,
        b,
        dst,
        dct,
        recon_k: s.recon_k,
        recon,
        gd_check,
    })
}

/// (a) σ = M: one SVD per activation serves every K.
fn experiment_a(
    s: &Split,
    p: &Protocol,
    progress: &dyn Progress,
    recon: &mut Vec<(String, Vec<f64>)>,
) -> Result<(Vec<Curve>, Option<GdCheck>)> {
    let mut curves = Vec::new();
    let mut gd_check = None;
    for (ai, &act) in p.activations.iter().enumerate() {
        let model = Model::new(act, p.m as f64, s)?;
        let (curve, reach) = curve_a(s, p, &model, recon)?;
        if p.gd_check_max_q > 0
            && gd_check.is_none()
            && (act == Activation::Tanh || ai + 1 == p.activations.len())
        {
            gd_check = Some(check_gd(&model, &s.y_train, &reach, p.gd_check_max_q)?);
        }
        curves.push(curve);
        progress.advance(1);
    }
    Ok((curves, gd_check))
}

/// One activation of (a): q = q(K) per K where reachable, PSNR of both masks;
/// also returns the reachable (index into K, q).
fn curve_a(
    s: &Split,
    p: &Protocol,
    model: &Model,
    recon: &mut Vec<(String, Vec<f64>)>,
) -> Result<(Curve, Vec<(usize, u64)>)> {
    let (svd, alpha, act) = (&model.svd, model.alpha, model.d.activation());
    let ks = &s.ks;
    let r = svd.rank_bound();
    let q: Vec<Option<u64>> = ks
        .iter()
        .map(|&k| {
            if k <= r {
                q_of_k(&svd.s, k, s.n(), p.m).map(|row| row.q)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_>>()?;
    let reach: Vec<(usize, u64)> = q
        .iter()
        .enumerate()
        .filter_map(|(i, q)| q.map(|q| (i, q)))
        .collect();
    let reach_q: Vec<u64> = reach.iter().map(|&(_, q)| q).collect();
    let fe = s.fit(model, &gd_exact_masks(alpha, &reach_q))?;
    let ff = s.fit(model, &gd_flow_masks(alpha, &reach_q))?;
    let mut exact = vec![Psnr::NAN; ks.len()];
    let mut flow = vec![Psnr::NAN; ks.len()];
    for (j, &(i, _)) in reach.iter().enumerate() {
        exact[i] = s.sets.psnr(&fe[j], s.y);
        flow[i] = s.sets.psnr(&ff[j], s.y);
        if ks[i] == s.recon_k && (act == Activation::Tanh || act == Activation::Relu) {
            recon.push((format!("(a) {act} σ=M, q={}", reach[j].1), fe[j].clone()));
        }
    }
    let sigma_a = p.m as f64;
    let curve = Curve {
        activation: act,
        sigma: vec![sigma_a; ks.len()],
        alpha: vec![alpha; ks.len()],
        q,
        exact,
        flow,
    };
    Ok((curve, reach))
}

/// (b) σ = K, q = q_b: one SVD per (activation, K).
fn experiment_b(
    s: &Split,
    p: &Protocol,
    progress: &dyn Progress,
    recon: &mut Vec<(String, Vec<f64>)>,
) -> Result<Vec<Curve>> {
    let mut curves = Vec::new();
    for &act in &p.activations {
        let mut curve = Curve {
            activation: act,
            sigma: Vec::new(),
            alpha: Vec::new(),
            q: Vec::new(),
            exact: Vec::new(),
            flow: Vec::new(),
        };
        for &k in &s.ks {
            let sigma = k as f64;
            let model = Model::new(act, sigma, s)?;
            let alpha = model.alpha;
            let masks = [
                Mask::GdExact { alpha, q: p.q_b },
                Mask::GdFlow {
                    alpha,
                    q: p.q_b as f64,
                },
            ];
            let f = s.fit(&model, &masks)?;
            curve.sigma.push(sigma);
            curve.alpha.push(alpha);
            curve.q.push(Some(p.q_b));
            curve.exact.push(s.sets.psnr(&f[0], s.y));
            curve.flow.push(s.sets.psnr(&f[1], s.y));
            if k == s.recon_k && (act == Activation::Sinc || act == Activation::Gaussian) {
                recon.push((format!("(b) {act} σ=K, q={}", p.q_b), f[0].clone()));
            }
            progress.advance(1);
        }
        curves.push(curve);
    }
    Ok(curves)
}

/// The DST and cos(πkx) least-squares baselines per K.
fn baselines(s: &Split, recon: &mut Vec<(String, Vec<f64>)>) -> Result<(Vec<Psnr>, Vec<Psnr>)> {
    let mut dst = Vec::new();
    let mut dct = Vec::new();
    for &k in &s.ks {
        let fd = s.baseline(dst_phi, k)?;
        let fc = s.baseline(dct_phi, k)?;
        dst.push(s.sets.psnr(&fd, s.y));
        dct.push(s.sets.psnr(&fc, s.y));
        if k == s.recon_k {
            recon.push(("DST baseline".into(), fd));
        }
    }
    Ok((dst, dct))
}

/// Literal GD from w₀ = 0 against both closed-form masks at the reachable
/// q ≤ `max_q` (q = 1 if there is none).
fn check_gd(model: &Model, y_train: &[f64], reach: &[(usize, u64)], max_q: u64) -> Result<GdCheck> {
    let (d, svd, alpha) = (&model.d, &model.svd, model.alpha);
    let mut qs: Vec<u64> = reach.iter().map(|r| r.1).filter(|&q| q <= max_q).collect();
    qs.sort_unstable();
    qs.dedup();
    if qs.is_empty() {
        qs.push(1);
    }
    let batch = GdBatch::new(vec![y_train.to_vec()], vec![alpha], qs.clone());
    let problem = Problem::from_design(d).with_s_max(svd.s_max());
    let traj = CpuEngine
        .run(&problem, &batch, &NoProgress)?
        .into_result()?;
    let exact = shrink(svd, y_train, &gd_exact_masks(alpha, &qs))?;
    let flow = shrink(svd, y_train, &gd_flow_masks(alpha, &qs))?;
    let mut re = Vec::new();
    let mut rf = Vec::new();
    for (i, &q) in qs.iter().enumerate() {
        let f_gd = &traj
            .at(q)
            .ok_or_else(|| Error::invalid("checkpoint", q, "a recorded iteration"))?
            .f[0];
        re.push(rel_error(f_gd, &exact[i].f));
        rf.push(rel_error(f_gd, &flow[i].f));
    }
    Ok(GdCheck {
        activation: d.activation(),
        sigma: d.sigma(),
        q: qs,
        rel_error_exact: re,
        rel_error_flow: rf,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;
    use crate::studies::reproduce::Size;

    #[test]
    fn pixel_sets() {
        let s = Sets::new(32);
        assert_eq!(s.rest.len(), 16);
        assert_eq!(s.interior_all, (2..30).collect::<Vec<_>>());
        assert!(
            s.interior_rest
                .iter()
                .all(|p| p % 2 == 1 && *p >= 2 && *p < 30)
        );
    }

    #[test]
    fn too_short_or_bad_protocol_is_an_error() {
        let p = Config::new(Size::Quick).protocol;
        assert!(evaluate(&[0.5; 4], &p, &crate::gd::NoProgress).is_err());
        let mut bad = p.clone();
        bad.ks = vec![1000];
        let e = evaluate(&[0.5; 16], &bad, &crate::gd::NoProgress).unwrap_err();
        assert!(e.to_string().contains("K list"), "{e}");
    }
}
