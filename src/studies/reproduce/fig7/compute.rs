//! ∇^{−r}, its columns against the shifted splines, and the three solutions of
//! Eq. 20/21: spline smoothing, ridge on the weights and the network.

use faer::Mat;
use faer::linalg::solvers::SolveLstsq;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gd::rel_error;
use crate::model::activation::Activation;
use crate::model::design::Design;
use crate::model::signal::Builtin;
use crate::spectral::{Mask, ThinSvd, shrink};
use crate::spectral::{abs_cos, singular_values, thin_svd};

/// The activation whose shifts span ∇^{−r}: z^{r−1}\[z > 0\].
pub fn spline_activation(r: u32) -> Activation {
    match r {
        1 => Activation::Heaviside,
        2 => Activation::Relu,
        3 => Activation::Relu2,
        r => Activation::Spline(r),
    }
}

/// The grid x_i = i/M, i < M.
pub(super) fn grid(m: usize) -> Vec<f64> {
    (0..m).map(|i| i as f64 / m as f64).collect()
}

/// ∇^{−1} v: f_i = f_{i−1} + v_i/M (forward substitution of the bidiagonal ∇).
fn inv_nabla(v: &[f64], m: usize) -> Vec<f64> {
    let h = 1.0 / m as f64;
    let mut acc = 0.0;
    v.iter()
        .map(|&x| {
            acc += x * h;
            acc
        })
        .collect()
}

/// Column `col` of ∇^{−r} (size M).
pub fn nabla_inv_column(m: usize, r: u32, col: usize) -> Vec<f64> {
    let mut v = vec![0.0; m];
    v[col] = 1.0;
    for _ in 0..r {
        v = inv_nabla(&v, m);
    }
    v
}

/// Column similarity |cos(∇^{−r} e_m, η_r(x − b))| for b = m/M and b = (m−1)/M.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColumnMatch {
    /// Order r.
    pub r: u32,
    /// Column m.
    pub m: usize,
    /// |cos| with the paper's bias b = m/M.
    pub cos_paper: f64,
    /// |cos| with b = (m−1)/M.
    pub cos_shifted: f64,
}

/// Gaps of one (r, λ_rel) equivalence case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Equivalence {
    /// Order r.
    pub r: u32,
    /// λ / ‖D∇^{−r}‖₂².
    pub lam_rel: f64,
    /// ridge (Eq. 21) vs spline smoothing (Eq. 20), relative.
    pub ridge_vs_spline: f64,
    /// network with b = m/M vs spline, relative.
    pub net_paper_vs_spline: f64,
    /// ‖D∇^{−r} − c·DH‖_F/‖D∇^{−r}‖_F for b = m/M.
    pub net_paper_mismatch: f64,
    /// network with b = (m−1)/M vs spline.
    pub net_shifted_vs_spline: f64,
    /// Matrix mismatch for b = (m−1)/M.
    pub net_shifted_mismatch: f64,
}

/// One compared column: its similarity, the column of ∇^{−r}, and η_r(x − m/M).
pub type Column = (ColumnMatch, Vec<f64>, Vec<f64>);

/// The column comparison at width `m` for orders `rs`.
pub fn columns(m: usize, rs: &[u32]) -> Result<Vec<Column>> {
    let x = grid(m);
    let mut out = Vec::new();
    for &r in rs {
        for col in [m / 4, m / 2, 3 * m / 4] {
            let c = nabla_inv_column(m, r, col);
            let eta = |b: f64| -> Result<Vec<f64>> {
                let d = Design::new(spline_activation(r), 1.0, x.clone(), vec![b])?;
                Ok(d.matrix().col(0).iter().copied().collect())
            };
            let paper = eta(col as f64 / m as f64)?;
            let shifted = eta((col as f64 - 1.0) / m as f64)?;
            out.push((
                ColumnMatch {
                    r,
                    m: col,
                    cos_paper: abs_cos(&c, &paper),
                    cos_shifted: abs_cos(&c, &shifted),
                },
                c,
                paper,
            ));
        }
    }
    Ok(out)
}

/// The samples of the equivalence check: every `every`-th grid point and the
/// target there.
struct Samples {
    m: usize,
    /// The full grid.
    x: Vec<f64>,
    /// Grid indices of the samples (the rows D selects).
    idx: Vec<usize>,
    /// x at the samples.
    xd: Vec<f64>,
    /// The target at the samples.
    y: Vec<f64>,
}

/// The matrices of one order r.
struct Order {
    r: u32,
    /// ∇^{−r} (M×M).
    ninv: Mat<f64>,
    /// ∇^r (M×M).
    nr: Mat<f64>,
    /// D∇^{−r}.
    b: Mat<f64>,
    /// ‖D∇^{−r}‖₂.
    bnorm: f64,
    svd_b: ThinSvd,
}

impl Order {
    fn new(s: &Samples, r: u32) -> Result<Self> {
        let m = s.m;
        // ∇^{−r} column by column; ∇^r dense.
        let cols: Vec<Vec<f64>> = (0..m).map(|j| nabla_inv_column(m, r, j)).collect();
        let ninv = Mat::<f64>::from_fn(m, m, |i, j| cols[j][i]);
        let nabla = Mat::<f64>::from_fn(m, m, |i, j| {
            if i == j {
                m as f64
            } else if i == j + 1 {
                -(m as f64)
            } else {
                0.0
            }
        });
        let mut nr = Mat::<f64>::identity(m, m);
        for _ in 0..r {
            nr = &nabla * &nr;
        }
        let b = Mat::<f64>::from_fn(s.idx.len(), m, |i, j| ninv[(s.idx[i], j)]);
        let bnorm = singular_values(b.as_ref())?[0];
        let svd_b = thin_svd(b.as_ref())?;
        Ok(Order {
            r,
            ninv,
            nr,
            b,
            bnorm,
            svd_b,
        })
    }

    /// Eq. 20 as the least-squares problem min ‖[D; √λ∇^r] f − [y; 0]‖ (QR):
    /// the normal equations DᵀD + λ(∇^r)ᵀ∇^r would square the condition number.
    fn spline_smoothing(&self, s: &Samples, lam: f64) -> Vec<f64> {
        let (m, nd) = (s.m, s.idx.len());
        let sl = lam.sqrt();
        let stacked = Mat::<f64>::from_fn(nd + m, m, |i, j| {
            if i < nd {
                if s.idx[i] == j { 1.0 } else { 0.0 }
            } else {
                sl * self.nr[(i - nd, j)]
            }
        });
        let rhs = Mat::<f64>::from_fn(nd + m, 1, |i, _| if i < nd { s.y[i] } else { 0.0 });
        stacked
            .qr()
            .solve_lstsq(&rhs)
            .col(0)
            .iter()
            .copied()
            .collect()
    }

    /// Eq. 21: ridge on w with A = D∇^{−r}, f = ∇^{−r}w.
    fn ridge(&self, s: &Samples, lam: f64) -> Result<Vec<f64>> {
        let w = &shrink(&self.svd_b, &s.y, &[Mask::Ridge { lambda: lam }])?[0].w;
        let wm = Mat::<f64>::from_fn(s.m, 1, |j, _| w[j]);
        Ok((&self.ninv * &wm).col(0).iter().copied().collect())
    }

    /// The network with biases b_j = (j + shift)/M, rescaled by its
    /// least-squares factor c against D∇^{−r}: (gap to `f_spline`, matrix mismatch).
    fn network(&self, s: &Samples, lam: f64, shift: f64, f_spline: &[f64]) -> Result<(f64, f64)> {
        let (m, nd, b) = (s.m, s.idx.len(), &self.b);
        let bias: Vec<f64> = (0..m).map(|j| (j as f64 + shift) / m as f64).collect();
        let d = Design::new(spline_activation(self.r), 1.0, s.xd.clone(), bias)?;
        let h = d.matrix();
        let (mut hb, mut hh) = (0.0, 0.0);
        for j in 0..m {
            for i in 0..nd {
                hb += h[(i, j)] * b[(i, j)];
                hh += h[(i, j)] * h[(i, j)];
            }
        }
        let c = if hh > 0.0 { hb / hh } else { 1.0 };
        let hs = Mat::<f64>::from_fn(nd, m, |i, j| c * h[(i, j)]);
        let mismatch = (b - &hs).norm_l2() / b.norm_l2();
        let svd = thin_svd(hs.as_ref())?;
        let w = &shrink(&svd, &s.y, &[Mask::Ridge { lambda: lam }])?[0].w;
        let f: Vec<f64> = d.eval(w, &s.x)?.into_iter().map(|v| c * v).collect();
        Ok((rel_error(&f, f_spline), mismatch))
    }

    /// The three solutions at λ = λ_rel‖D∇^{−r}‖₂², compared.
    fn case(&self, s: &Samples, lam_rel: f64) -> Result<Equivalence> {
        let lam = lam_rel * self.bnorm * self.bnorm;
        let f_spline = self.spline_smoothing(s, lam);
        let f_ridge = self.ridge(s, lam)?;
        let (np, npm) = self.network(s, lam, 0.0, &f_spline)?;
        let (ns, nsm) = self.network(s, lam, -1.0, &f_spline)?;
        Ok(Equivalence {
            r: self.r,
            lam_rel,
            ridge_vs_spline: rel_error(&f_ridge, &f_spline),
            net_paper_vs_spline: np,
            net_paper_mismatch: npm,
            net_shifted_vs_spline: ns,
            net_shifted_mismatch: nsm,
        })
    }
}

/// The equivalence check of Eq. 20/21 (see module docs).
pub fn equivalence(
    m: usize,
    every: usize,
    rs: &[u32],
    lam_rels: &[f64],
    signal: Builtin,
) -> Result<Vec<Equivalence>> {
    if m < 4 || every == 0 || every >= m {
        return Err(Error::invalid(
            "equivalence size",
            format!("M = {m}, every = {every}"),
            "M ≥ 4 and 1 ≤ every < M",
        ));
    }
    let x = grid(m);
    let idx: Vec<usize> = (0..m).step_by(every).collect();
    let xd: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
    let y = signal.sample(&xd);
    let s = Samples { m, x, idx, xd, y };
    let mut out = Vec::new();
    for &r in rs {
        let order = Order::new(&s, r)?;
        for &lam_rel in lam_rels {
            out.push(order.case(&s, lam_rel)?);
        }
    }
    Ok(out)
}
