//! The K largest singular values and vectors of A without a full SVD.
//!
//! Let T be A when N ≥ M and Aᵀ otherwise, so that T is L×r with
//! L = max(N, M) ≥ r = min(N, M), and G = TᵀT (r×r). The method is a
//! randomized block Krylov method (block Lanczos on G with full
//! re-orthogonalization, as in Musco & Musco, *Randomized block Krylov methods
//! for stronger and faster approximate SVD*, 2015):
//!
//! 1. Q₁: an orthonormal basis of an r×b block with entries uniform in
//!    [−½, ½) from a ChaCha8 generator seeded with `seed` (b = K + p, the
//!    oversampling p = max(10, K/10) by default).
//! 2. Each step applies G to the newest block, Z = Tᵀ(T·Q_j), in **one pass**
//!    over row blocks of T (A·X and Aᵀ·Y of the issue fused), orthogonalizes Z
//!    twice against every block so far (block classical Gram–Schmidt) and
//!    takes the next block and the coupling B_j from the thin SVD of Z. The
//!    projection Qᵀ G Q is the block tridiagonal matrix of the Q_jᵀ Z and B_j.
//! 3. Stopping rule: its Ritz pairs (θ_i, y_i) give, for free, the residual of
//!    the singular triplet they stand for, ‖G z_i − θ_i z_i‖/√θ_i =
//!    ‖B_j·(last block of y_i)‖/√θ_i. Iteration stops when this estimate is at
//!    most `tol`·s_0 for all K leading components, when the Krylov space would
//!    exceed r, or after `max_steps` steps (default 40).
//! 4. Rayleigh–Ritz on T itself (not squared): with Z the b leading Ritz
//!    vectors, one last pass forms T·Z and C = Tᵀ(T·Z) together; the thin SVD
//!    T·Z = Û Ŝ Wᵀ gives v̂ = Z W, û the columns of Û, ŝ the diagonal of Ŝ
//!    (mapped back to A's sides when T = Aᵀ).
//! 5. Check: from the products of that pass, A·v̂_k and Aᵀ·û_k are formed
//!    explicitly (T·v̂_k = (T·Z)·w_k and Tᵀ·û_k = C·w_k/ŝ_k) and, relative to
//!    ŝ_0, ‖Aᵀû_k − ŝ_k v̂_k‖ (`residual_left`) and ‖A v̂_k − ŝ_k û_k‖
//!    (`residual_right`, rounding only, by construction) are reported for
//!    every k < K.
//!
//! When the oversampled block would cover a quarter of the space (4b ≥ r) the
//! Krylov steps are skipped and step 4 is taken with Z = I, which is the thin
//! SVD of A (exact to rounding); steps 4 and 5 are the same.
//!
//! **Accuracy.** Write ρ_k = max(residual_left, residual_right)·ŝ_0 for the
//! computed triplet. Then (û_k and v̂_k are unit vectors to rounding):
//! * every ŝ_k lies within ρ_k of a singular value of A, and within
//!   ≈ ρ_k²/gap_k + c·ε·s_max of s_k when the computed values are separated
//!   from the rest of the spectrum by gap_k (the quadratic residual bound of
//!   Rayleigh–Ritz; 0 ≤ s_k − ŝ_k up to rounding, as the projection only loses
//!   mass);
//! * the subspace of v̂ (and of û) for a group of components is within an
//!   angle of about ρ/gap of the true one (Wedin), so individual vectors
//!   inside a near-degenerate pair (tanh's) are not determined, their span is.
//!
//! The Krylov space is built with the squared operator G, whose products
//! carry a rounding error of about √L·ε·s_0², and Tᵀû_k is formed as
//! C·w_k/ŝ_k with the same error: the residual of component k cannot go below
//! about √L·ε·s_0²/s_k, i.e. `floor_k` = 8·√L·ε·s_0/ŝ_k relative to s_0.
//! **What the code checks**: `converged` is true when, for every k < K, both
//! explicit residuals are at most `bound[k]` = max(`tol`, `floor_k`).
//! Components with ŝ_k below about √(8·√L·ε)·s_0 are therefore only known to
//! be small (their bound exceeds ŝ_k/s_0 itself); the values above stay
//! accurate to ≈ ε·s_max + ρ²/gap.
//!
//! Memory: the basis Q (r × b·(steps + 1), reserved at the step limit and
//! filled as the steps go) and the projection ((b·steps)²), and, on a
//! design, the blocks in flight
//! (≤ 32 MiB of T each) and one r×b accumulator per group of blocks (8
//! groups); A itself is never stored. Cost per step (and of the last pass):
//! one evaluation of every entry of A (a design) and 4·N·M·b flops; in all
//! `steps` + 1 passes. Deterministic: the groups of
//! blocks are fixed (independent of the thread count) and summed in order.

use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::svd::{check_finite, linalg_error};
use crate::error::{Error, Result};
use crate::model::Design;

/// Default relative residual at which the Krylov steps stop (see the module docs).
pub const TOPK_TOL: f64 = 1e-10;

/// Default limit on the number of Krylov steps.
pub const TOPK_MAX_STEPS: usize = 40;

/// Default seed of the random start block.
pub const TOPK_SEED: u64 = 0x7072_696e_6369_7061;

/// Blocks of rows of T on a design are summed in this many fixed groups.
const GROUPS: usize = 8;

/// Settings of [`topk_of_matrix`] and [`topk_of_design`].
#[derive(Clone, Copy, Debug)]
pub struct TopkOptions {
    /// K, the number of leading components (1 ≤ K ≤ min(N, M)).
    pub k: usize,
    /// Block size b ≥ K (0: K + max(10, K/10)).
    pub block: usize,
    /// Most Krylov steps (0: [`TOPK_MAX_STEPS`]).
    pub max_steps: usize,
    /// Residual relative to s_0 at which to stop (0: [`TOPK_TOL`]).
    pub tol: f64,
    /// Seed of the random start block.
    pub seed: u64,
}

impl TopkOptions {
    /// The defaults for K components.
    #[must_use]
    pub fn new(k: usize) -> Self {
        TopkOptions {
            k,
            block: 0,
            max_steps: 0,
            tol: 0.0,
            seed: TOPK_SEED,
        }
    }
}

/// The K leading singular triplets with their residuals.
#[derive(Clone, Debug)]
pub struct TopkSpectrum {
    /// ŝ_0 ≥ … ≥ ŝ_{K−1}.
    pub s: Vec<f64>,
    /// Left singular vectors û_k (N × K).
    pub u: Mat<f64>,
    /// Right singular vectors v̂_k (M × K).
    pub v: Mat<f64>,
    /// ‖Aᵀû_k − ŝ_k v̂_k‖ / ŝ_0, computed explicitly.
    pub residual_left: Vec<f64>,
    /// ‖A v̂_k − ŝ_k û_k‖ / ŝ_0, computed explicitly.
    pub residual_right: Vec<f64>,
    /// The bound each residual is checked against, max(tol, floor_k).
    pub bound: Vec<f64>,
    /// Every residual within its bound.
    pub converged: bool,
    /// Krylov steps taken (0 on the full-space path).
    pub steps: usize,
    /// Block size b.
    pub block: usize,
    /// Passes over A (products with T or Tᵀ·T).
    pub passes: usize,
    /// The Krylov steps were skipped: the thin SVD of A (4b ≥ min(N, M)).
    pub full: bool,
    /// The stopping tolerance used.
    pub tol: f64,
}

impl TopkSpectrum {
    /// The larger of the two residuals of component k.
    #[must_use]
    pub fn residual(&self, k: usize) -> f64 {
        self.residual_left[k].max(self.residual_right[k])
    }

    /// The largest residual over the K components.
    #[must_use]
    pub fn max_residual(&self) -> f64 {
        (0..self.s.len())
            .map(|k| self.residual(k))
            .fold(0.0, f64::max)
    }
}

/// Summary of the route for reports (JSON).
#[derive(Clone, Debug, Serialize)]
pub struct TopkInfo {
    /// K.
    pub k: usize,
    /// Block size b.
    pub block: usize,
    /// Krylov steps.
    pub steps: usize,
    /// Passes over A.
    pub passes: usize,
    /// Full-space path taken.
    pub full: bool,
    /// Stopping tolerance.
    pub tol: f64,
    /// All residuals within their bounds.
    pub converged: bool,
    /// Largest residual relative to s_0.
    pub max_residual: f64,
}

impl From<&TopkSpectrum> for TopkInfo {
    fn from(t: &TopkSpectrum) -> Self {
        TopkInfo {
            k: t.s.len(),
            block: t.block,
            steps: t.steps,
            passes: t.passes,
            full: t.full,
            tol: t.tol,
            converged: t.converged,
            max_residual: t.max_residual(),
        }
    }
}

/// A bound on ‖E‖₂ for a perturbation E of which the computed triplets of
/// `t` are exact singular triplets: with R = AV̂ − ÛŜ and Q = AᵀÛ − V̂Ŝ,
/// E = −RV̂ᵀ − ÛQᵀ(I − V̂V̂ᵀ) gives (A + E)V̂ = ÛŜ and (A + E)ᵀÛ = V̂Ŝ
/// (ÛᵀR = V̂ᵀQ), so ‖E‖₂ ≤ ‖R‖_F + ‖Q‖_F, summed from the per-component
/// residuals (absolute). E leaves (I − ÛÛᵀ)A(I − V̂V̂ᵀ) unchanged.
#[must_use]
pub fn perturbation_bound(t: &TopkSpectrum) -> f64 {
    let s0 = t.s.first().copied().unwrap_or(0.0);
    let fro = |r: &[f64]| r.iter().map(|v| v * v).sum::<f64>().sqrt();
    s0 * (fro(&t.residual_left) + fro(&t.residual_right))
}

impl TopkSpectrum {
    /// What a prediction from these K components leaves out of `y`:
    /// `(s_tail, y_perp)`, a bound on every singular value not computed
    /// (ŝ_K + [`perturbation_bound`], by Weyl, taking the computed triplets as
    /// the K largest) and ‖(I − ÛÛᵀ)y‖, formed explicitly (‖y‖² − ‖Ûᵀy‖²
    /// would cancel). With [`tail_bounds`] they bound the truncation.
    #[must_use]
    pub fn tail(&self, y: &[f64]) -> (f64, f64) {
        let ym = Mat::<f64>::from_fn(y.len(), 1, |i, _| y[i]);
        let perp = &ym - &self.u * (self.u.transpose() * &ym);
        let s_k = self.s.last().copied().unwrap_or(0.0);
        (s_k + perturbation_bound(self), perp.norm_l2())
    }
}

/// How much the gd_exact mask m(s) = 1 − (1 − αs²)^q can weigh a component
/// whose singular value is at most `s_tail`, in function space (|m|) and in
/// weight space (|m|/s): `(μ_f, μ_w)`.
///
/// With x = αs² ≤ x_t = α·s_tail² ≤ 1, m is increasing in x, and m ≤ 1 and
/// m ≤ q·x (Bernoulli), so μ_f = m(s_tail) and m/s ≤ min(qαs, 1/s) gives
/// μ_w = min(qα·s_tail, √(qα)). For x_t ∈ (1, 2) (a K so small that the
/// mask is not monotone over the tail) |m| ≤ 2, and μ_w = max(√(qα), 2√α).
/// A prediction from the K leading components therefore misses f_q by at most
/// μ_f·‖(I − U_K U_Kᵀ)y‖ and w_q by at most μ_w·‖(I − U_K U_Kᵀ)y‖ when every
/// singular value beyond K is at most `s_tail`. The gradient-flow mask
/// 1 − exp(−αqs²) satisfies the same bounds.
#[must_use]
pub fn tail_bounds(alpha: f64, q: u64, s_tail: f64) -> (f64, f64) {
    let qf = q as f64;
    let x = alpha * s_tail * s_tail;
    if q == 0 {
        return (0.0, 0.0);
    }
    if x <= 1.0 {
        // 1 − (1 − x)^q without cancellation (x = 1 gives exactly 1).
        let mu_f = -((-x).ln_1p() * qf).exp_m1();
        (mu_f, (qf * alpha * s_tail).min((qf * alpha).sqrt()))
    } else {
        (2.0, (qf * alpha).sqrt().max(2.0 * alpha.sqrt()))
    }
}

/// What one pass over T computes.
#[derive(Clone, Copy)]
struct Job<'a> {
    /// X (r × c): T·X is formed.
    x: Option<MatRef<'a, f64>>,
    /// Keep T·X (L × c) in the result.
    keep_tx: bool,
    /// Form Tᵀ(T·X).
    gram: bool,
}

#[derive(Default)]
struct PassOut {
    tx: Option<Mat<f64>>,
    gram: Option<Mat<f64>>,
}

/// T = A (N ≥ M) or Aᵀ as an operator, L × r.
trait Tall: Sync {
    fn l(&self) -> usize;
    fn r(&self) -> usize;
    fn pass(&self, job: Job<'_>) -> PassOut;
}

/// A stored matrix.
struct Stored<'a> {
    t: MatRef<'a, f64>,
}

fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, a, b, 1.0, par);
    out
}

impl Tall for Stored<'_> {
    fn l(&self) -> usize {
        self.t.nrows()
    }
    fn r(&self) -> usize {
        self.t.ncols()
    }
    fn pass(&self, job: Job<'_>) -> PassOut {
        let par = faer::get_global_parallelism();
        let tx = job.x.map(|x| product(self.t, x, par));
        let gram = match (&tx, job.gram) {
            (Some(tx), true) => Some(product(self.t.transpose(), tx.as_ref(), par)),
            _ => None,
        };
        PassOut {
            tx: if job.keep_tx { tx } else { None },
            gram,
        }
    }
}

/// One group's blocks of T·X (when kept) and its share of Tᵀ(T·X).
type GroupOut = (Vec<Mat<f64>>, Option<Mat<f64>>);

/// A design's A generated in blocks of rows of T, never stored.
struct Streamed<'a> {
    design: &'a Design,
    /// T = Aᵀ (N < M).
    transposed: bool,
    /// Rows of T per block.
    rows: usize,
}

impl<'a> Streamed<'a> {
    fn new(design: &'a Design) -> Self {
        let transposed = design.n() < design.m();
        let r = design.n().min(design.m());
        Streamed {
            design,
            transposed,
            rows: ((4usize << 20) / r.max(1)).clamp(16, 1024),
        }
    }

    /// Rows `start..start + len` of T into the first `len` rows of `buf`.
    fn fill(&self, start: usize, len: usize, buf: &mut Mat<f64>) {
        let (x, b) = (self.design.x(), self.design.b());
        for c in 0..self.r() {
            let col = &mut buf.col_as_slice_mut(c)[..len];
            if self.transposed {
                self.design.fill_row(x[c], &b[start..start + len], col);
            } else {
                self.design.fill_column(b[c], &x[start..start + len], col);
            }
        }
    }
}

fn add_product(acc: &mut Mat<f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    faer::linalg::matmul::matmul(acc.as_mut(), Accum::Add, a, b, 1.0, Par::Seq);
}

/// Sums `parts` in order.
fn sum_in_order(parts: impl Iterator<Item = Option<Mat<f64>>>) -> Option<Mat<f64>> {
    parts.flatten().reduce(|mut a, b| {
        a += &b;
        a
    })
}

impl Tall for Streamed<'_> {
    fn l(&self) -> usize {
        self.design.n().max(self.design.m())
    }
    fn r(&self) -> usize {
        self.design.n().min(self.design.m())
    }
    fn pass(&self, job: Job<'_>) -> PassOut {
        let (l, r, rows) = (self.l(), self.r(), self.rows);
        let blocks = l.div_ceil(rows);
        let groups = GROUPS.min(blocks);
        let parts: Vec<GroupOut> = (0..groups)
            .into_par_iter()
            .map(|g| {
                let mut buf = Mat::<f64>::zeros(rows, r);
                let c = job.x.map_or(0, |x| x.ncols());
                let mut gram = job.gram.then(|| Mat::<f64>::zeros(r, c));
                let mut txs = Vec::new();
                for kb in (g * blocks / groups)..((g + 1) * blocks / groups) {
                    let start = kb * rows;
                    let len = rows.min(l - start);
                    self.fill(start, len, &mut buf);
                    let tb = buf.as_ref().subrows(0, len);
                    if let Some(x) = job.x {
                        let txb = product(tb, x, Par::Seq);
                        if let Some(acc) = gram.as_mut() {
                            add_product(acc, tb.transpose(), txb.as_ref());
                        }
                        if job.keep_tx {
                            txs.push(txb);
                        }
                    }
                }
                (txs, gram)
            })
            .collect();
        let tx = (job.keep_tx && job.x.is_some()).then(|| {
            let c = job.x.map_or(0, |x| x.ncols());
            let mut out = Mat::<f64>::zeros(l, c);
            let mut at = 0;
            for b in parts.iter().flat_map(|p| &p.0) {
                out.as_mut().subrows_mut(at, b.nrows()).copy_from(b);
                at += b.nrows();
            }
            out
        });
        PassOut {
            tx,
            gram: sum_in_order(parts.into_iter().map(|p| p.1)),
        }
    }
}

/// The K leading singular triplets of a stored matrix `a` (see the module docs).
///
/// # Errors
/// [`Error::InvalidParameter`] for K = 0, K > min(N, M) or a bad option;
/// [`Error::Linalg`] for a non-finite entry or a failed small decomposition.
pub fn topk_of_matrix(a: MatRef<'_, f64>, opts: &TopkOptions) -> Result<TopkSpectrum> {
    check_options(a.nrows(), a.ncols(), opts)?;
    check_finite(a, "top-K spectrum")?;
    let transposed = a.nrows() < a.ncols();
    let t = Stored {
        t: if transposed { a.transpose() } else { a },
    };
    run(&t, transposed, (a.nrows(), a.ncols()), opts)
}

/// The K leading singular triplets of a design's A, generated in blocks and
/// never stored (see the module docs).
///
/// # Errors
/// As [`topk_of_matrix`]; [`Error::Linalg`] when A has a non-finite entry.
pub fn topk_of_design(design: &Design, opts: &TopkOptions) -> Result<TopkSpectrum> {
    check_options(design.n(), design.m(), opts)?;
    let t = Streamed::new(design);
    run(&t, t.transposed, (design.n(), design.m()), opts)
}

/// K, the block size, the step limit and the tolerance.
fn check_options(n: usize, m: usize, opts: &TopkOptions) -> Result<()> {
    let r = n.min(m);
    if opts.k == 0 {
        return Err(Error::invalid(
            "k",
            0,
            "at least 1 (the number of leading components)",
        ));
    }
    if opts.k > r {
        return Err(Error::invalid(
            "k",
            opts.k,
            format!("at most min(N, M) = {r} (A is {n} x {m})"),
        ));
    }
    if opts.block != 0 && opts.block < opts.k {
        return Err(Error::invalid(
            "block",
            opts.block,
            format!("0 (default) or at least K = {}", opts.k),
        ));
    }
    if opts.max_steps > 10_000 {
        return Err(Error::invalid(
            "max steps",
            opts.max_steps,
            "0 (default) to 10000",
        ));
    }
    if !(opts.tol.is_finite() && (0.0..1.0).contains(&opts.tol)) {
        return Err(Error::invalid(
            "tol",
            opts.tol,
            "0 (default) or a number in (0, 1), relative to s_0",
        ));
    }
    Ok(())
}

/// The resolved settings of one run.
struct Plan {
    k: usize,
    b: usize,
    steps: usize,
    tol: f64,
    seed: u64,
}

fn plan(r: usize, opts: &TopkOptions) -> Plan {
    let k = opts.k;
    let b = if opts.block == 0 {
        k + (k / 10).max(10)
    } else {
        opts.block
    }
    .min(r);
    // The basis holds steps + 1 blocks and cannot exceed r columns.
    let room = (r / b).saturating_sub(1);
    let want = if opts.max_steps == 0 {
        TOPK_MAX_STEPS
    } else {
        opts.max_steps
    };
    Plan {
        k,
        b,
        steps: if 4 * b >= r { 0 } else { want.min(room) },
        tol: if opts.tol == 0.0 { TOPK_TOL } else { opts.tol },
        seed: opts.seed,
    }
}

fn run(
    t: &dyn Tall,
    transposed: bool,
    (n, m): (usize, usize),
    opts: &TopkOptions,
) -> Result<TopkSpectrum> {
    let p = plan(t.r(), opts);
    let finite = |x: &Mat<f64>, op: &str| -> Result<()> {
        if x.as_ref().is_all_finite() {
            Ok(())
        } else {
            Err(Error::Linalg {
                op: op.into(),
                rows: n,
                cols: m,
                detail: "A has a non-finite entry (check sigma and the grids); the matrix must be finite".into(),
            })
        }
    };
    let (z, steps) = if p.steps == 0 {
        (Mat::<f64>::identity(t.r(), t.r()), 0)
    } else {
        krylov(t, &p, &finite)?
    };
    // Rayleigh–Ritz on T, T·Z = Û Ŝ Wᵀ, and C = Tᵀ(T·Z) in the same pass.
    let out = t.pass(Job {
        x: Some(z.as_ref()),
        keep_tx: true,
        gram: true,
    });
    let (tz, c) = (
        out.tx.unwrap_or_else(Mat::new),
        out.gram.unwrap_or_else(Mat::new),
    );
    finite(&tz, "top-K Rayleigh-Ritz")?;
    let svd = tz
        .thin_svd()
        .map_err(|e| linalg_error("top-K Rayleigh-Ritz SVD", tz.as_ref(), e))?;
    let k = p.k;
    let s: Vec<f64> = svd.S().column_vector().iter().take(k).copied().collect();
    let w = svd.V().subcols(0, k);
    let ut = svd.U().subcols(0, k).to_owned();
    let vt = product(z.as_ref(), w, faer::get_global_parallelism());
    // The check: T·v̂_k = (T·Z)·w_k and Tᵀ·û_k = C·w_k/ŝ_k, both from the
    // products with A of this pass.
    let tv = product(tz.as_ref(), w, faer::get_global_parallelism());
    let mut tu = product(c.as_ref(), w, faer::get_global_parallelism());
    for (col, &sk) in s.iter().enumerate() {
        let inv = if sk > 0.0 { 1.0 / sk } else { 0.0 };
        tu.as_mut().col_mut(col).iter_mut().for_each(|x| *x *= inv);
    }
    let s0 = s[0];
    let scale = if s0 > 0.0 { 1.0 / s0 } else { 0.0 };
    let res = |prod: &Mat<f64>, other: &Mat<f64>, c: usize| -> f64 {
        let d: f64 = (0..prod.nrows())
            .map(|i| (prod[(i, c)] - s[c] * other[(i, c)]).powi(2))
            .sum();
        d.sqrt() * scale
    };
    // T-side residuals: T v̂ − ŝ û and Tᵀ û − ŝ v̂.
    let res_tv: Vec<f64> = (0..k).map(|c| res(&tv, &ut, c)).collect();
    let res_tu: Vec<f64> = (0..k).map(|c| res(&tu, &vt, c)).collect();
    let floor = 8.0 * (t.l() as f64).sqrt() * f64::EPSILON;
    let bound: Vec<f64> = s
        .iter()
        .map(|&sk| p.tol.max(floor * s0 / sk.max(f64::MIN_POSITIVE)))
        .collect();
    // A = T: u = û, v = v̂; A = Tᵀ: u = v̂, v = û.
    let (u, v, residual_left, residual_right) = if transposed {
        (vt, ut, res_tv, res_tu)
    } else {
        (ut, vt, res_tu, res_tv)
    };
    let converged = (0..k).all(|c| residual_left[c].max(residual_right[c]) <= bound[c]);
    Ok(TopkSpectrum {
        s,
        u,
        v,
        residual_left,
        residual_right,
        bound,
        converged,
        steps,
        block: p.b,
        passes: steps + 1,
        full: p.steps == 0,
        tol: p.tol,
    })
}

/// Block Lanczos on G = TᵀT; returns the b leading Ritz vectors (r × b) and
/// the number of steps.
fn krylov(
    t: &dyn Tall,
    p: &Plan,
    finite: &dyn Fn(&Mat<f64>, &str) -> Result<()>,
) -> Result<(Mat<f64>, usize)> {
    let (r, b) = (t.r(), p.b);
    let par = faer::get_global_parallelism();
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    // The basis grows by one block per step inside its reserved capacity (no
    // pages are touched beyond the steps taken); so does the projection.
    let mut q = Mat::<f64>::with_capacity(r, b * (p.steps + 1));
    let start = Mat::<f64>::from_fn(r, b, |_, _| rng.random::<f64>() - 0.5);
    let (q1, _) = orthonormalize(&start, q.as_ref(), &mut rng)?;
    q.resize_with(r, b, |i, c| q1[(i, c)]);
    let mut tri = Mat::<f64>::zeros(b, b);
    for j in 0..p.steps {
        let dim = (j + 1) * b;
        let qj = q.as_ref().subcols(j * b, b);
        let mut w = t
            .pass(Job {
                x: Some(qj),
                keep_tx: false,
                gram: true,
            })
            .gram
            .unwrap_or_else(Mat::new);
        finite(&w, "top-K Krylov step")?;
        let aj = product(qj.transpose(), w.as_ref(), par);
        for (i, c) in (0..b).flat_map(|i| (0..b).map(move |c| (i, c))) {
            tri[(j * b + i, j * b + c)] = 0.5 * (aj[(i, c)] + aj[(c, i)]);
        }
        let basis = q.as_ref();
        for _ in 0..2 {
            project_out(&mut w, basis);
        }
        let eig = tri
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| linalg_error("top-K block tridiagonal eigen", tri.as_ref(), e))?;
        let theta: Vec<f64> = eig.S().column_vector().iter().rev().copied().collect();
        let y = Mat::<f64>::from_fn(dim, dim, |i, c| eig.U()[(i, dim - 1 - c)]);
        let (qn, bj) = orthonormalize(&w, basis, &mut rng)?;
        let done = converged(&theta, y.as_ref().subrows(j * b, b), bj.as_ref(), p);
        if done || j + 1 == p.steps {
            let z = product(basis, y.as_ref().subcols(0, b), par);
            return Ok((z, j + 1));
        }
        q.resize_with(r, dim + b, |i, c| qn[(i, c - dim)]);
        let mut grown = Mat::<f64>::zeros(dim + b, dim + b);
        grown
            .as_mut()
            .subrows_mut(0, dim)
            .subcols_mut(0, dim)
            .copy_from(&tri);
        grown
            .as_mut()
            .subrows_mut(dim, b)
            .subcols_mut(j * b, b)
            .copy_from(&bj);
        grown
            .as_mut()
            .subrows_mut(j * b, b)
            .subcols_mut(dim, b)
            .copy_from(bj.transpose());
        tri = grown;
    }
    unreachable!("the loop returns at its last step")
}

/// The stopping rule: ‖B_j·y_i,last‖/√θ_i ≤ tol·√θ_0 for the K leading Ritz pairs.
fn converged(theta: &[f64], last: MatRef<'_, f64>, bj: MatRef<'_, f64>, p: &Plan) -> bool {
    let s0 = theta[0].max(0.0).sqrt();
    if s0 == 0.0 {
        return true;
    }
    let r = product(bj, last.subcols(0, p.k), Par::Seq);
    (0..p.k).all(|i| {
        let e: f64 = r.col(i).iter().map(|x| x * x).sum::<f64>().sqrt();
        let si = theta[i].max(0.0).sqrt();
        e <= p.tol * s0 * si
    })
}

/// The next block: an orthonormal basis Q of W's columns, orthogonal to
/// `basis`, and the coupling QᵀW. W's left singular vectors (leading first)
/// are projected out of `basis` twice and orthonormalized by a Householder
/// QR; a direction that was mostly inside `basis` (W's rounding noise, or an
/// exhausted Krylov space) is replaced by a random vector orthogonalized
/// against everything.
fn orthonormalize(
    w: &Mat<f64>,
    basis: MatRef<'_, f64>,
    rng: &mut ChaCha8Rng,
) -> Result<(Mat<f64>, Mat<f64>)> {
    let (r, b) = (w.nrows(), w.ncols());
    let svd = w
        .thin_svd()
        .map_err(|e| linalg_error("top-K block orthonormalization", w.as_ref(), e))?;
    let mut p = svd.U().to_owned();
    for _ in 0..2 {
        project_out(&mut p, basis);
    }
    let qr = p.qr();
    let mut qn = qr.compute_thin_Q();
    let diag: Vec<f64> = (0..b).map(|i| qr.thin_R()[(i, i)].abs()).collect();
    for (i, &d) in diag.iter().enumerate() {
        if d >= 0.5 {
            continue;
        }
        let mut v = Mat::<f64>::from_fn(r, 1, |_, _| rng.random::<f64>() - 0.5);
        for _ in 0..2 {
            project_out(&mut v, basis);
            project_out(&mut v, qn.as_ref().subcols(0, i));
            project_out(&mut v, qn.as_ref().subcols(i + 1, b - i - 1));
        }
        let nv = v.col(0).norm_l2();
        qn.as_mut().col_mut(i).copy_from(v.col(0) / nv);
    }
    let coupling = product(
        qn.as_ref().transpose(),
        w.as_ref(),
        faer::get_global_parallelism(),
    );
    Ok((qn, coupling))
}

fn project_out(v: &mut Mat<f64>, basis: MatRef<'_, f64>) {
    if basis.ncols() == 0 {
        return;
    }
    let par = faer::get_global_parallelism();
    let c = product(basis.transpose(), v.as_ref(), par);
    let mut vm: MatMut<'_, f64> = v.as_mut();
    faer::linalg::matmul::matmul(vm.as_mut(), Accum::Add, basis, c.as_ref(), -1.0, par);
}
