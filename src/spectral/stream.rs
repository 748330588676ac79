//! The spectrum of a wide (or tall) design without storing A.
//!
//! Let r = min(N, M) and L = max(N, M). The long side is cut into blocks of
//! rows of the tall matrix T (T = Aᵀ, L×r, when N ≤ M; T = A when N > M); each
//! block is generated on the fly from the design, used, and dropped, so memory
//! is O(threads·(b + r)·r + r²) instead of N·M. Two routes:
//!
//! * **TSQR** ([`StreamRoute::Tsqr`], the default): a streamed, tall-skinny
//!   Householder QR T = Q R. Each thread folds its contiguous range of blocks
//!   into its own r×r factor (QR of R stacked on the next block), and the
//!   threads' factors are combined in a fixed order, so the result does not
//!   depend on scheduling. Householder QR is backward stable: R is the exact
//!   factor of T + δT with ‖δT‖₂ ≲ c·ε·‖T‖₂, so **every singular value is
//!   accurate to about ε·s_max absolute**, as the dense SVD is; nothing is
//!   squared. Cost ≈ 2·L·r² flops plus N·M evaluations of η.
//! * **Gram** ([`StreamRoute::Gram`]): G = TᵀT = Σ_blocks BᵀB accumulated in
//!   f64, then its eigenvalues. Half the flops of TSQR, but squaring loses half
//!   the digits: s_k is accurate to about ε·s_max²/s_k, so values below
//!   ≈ √ε·s_max ≈ 1.5e−8·s_max are noise (as [`super::singular_values_gram`]).
//!
//! Vectors: with R = U_R Σ V_Rᵀ (or G = V_R Σ² V_Rᵀ) the short side's singular
//! vectors are V_R (U of A when N ≤ M, V of A when N > M), accurate to about
//! ε·s_max/gap_k. The long side's vectors are recovered, when asked, for the
//! leading components by a second streamed pass, T·V_R·Σ⁻¹, accurate to about
//! ε·s_max/s_k (use them only for components well above the zero threshold).

use std::ops::Range;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::qr::no_pivoting::factor::{qr_in_place, qr_in_place_scratch};
use faer::reborrow::ReborrowMut;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use rayon::prelude::*;
use serde::Serialize;

use super::svd::{linalg_error, thin_svd};
use crate::error::{Error, Result};
use crate::model::Design;

/// How the streamed spectrum is computed (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamRoute {
    /// Streamed tall-skinny QR: every value to ≈ ε·s_max (the default).
    #[default]
    Tsqr,
    /// Streamed Gram matrix: values to ≈ ε·s_max²/s_k (top of the spectrum only).
    Gram,
}

impl StreamRoute {
    /// The route's name as the CLI writes it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            StreamRoute::Tsqr => "tsqr",
            StreamRoute::Gram => "gram",
        }
    }
}

/// Settings of [`streamed_spectrum`].
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// TSQR or Gram.
    pub route: StreamRoute,
    /// Rows of T per block (0: chosen from r, see [`default_block`]).
    pub block: usize,
    /// Leading components whose long-side vectors are recovered (0: none).
    pub long_vectors: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            route: StreamRoute::Tsqr,
            block: 0,
            long_vectors: 0,
        }
    }
}

/// The spectrum of A computed by streaming, with the short side's vectors.
#[derive(Clone, Debug)]
pub struct StreamedSpectrum {
    /// Singular values, descending, length r = min(N, M).
    pub s: Vec<f64>,
    /// Left singular vectors U (N × r) when N ≤ M; `None` for tall designs
    /// unless recovered (then N × `long_vectors`).
    pub u: Option<Mat<f64>>,
    /// Right singular vectors V (M × r) when N > M; for wide designs `None`
    /// unless recovered (then M × `long_vectors`).
    pub v: Option<Mat<f64>>,
    /// The route taken.
    pub route: StreamRoute,
    /// Rows of T per block.
    pub block: usize,
    /// Number of blocks streamed (per pass).
    pub blocks: usize,
    /// Bytes of the working set (blocks in flight and the small factors).
    pub working_bytes: f64,
}

/// Rows of T per block: 4·r, at least 256 and at most 8192, so that the
/// stacked QR's overhead (the r rows of R redone per block) stays near 25 %.
#[must_use]
pub fn default_block(r: usize) -> usize {
    (4 * r).clamp(256, 8192)
}

/// The tall matrix T streamed in blocks of rows: T = Aᵀ for wide designs.
struct Tall<'a> {
    design: &'a Design,
    /// T = Aᵀ (N ≤ M) or A (N > M).
    transposed: bool,
    /// r = min(N, M).
    r: usize,
    /// L = max(N, M).
    l: usize,
}

impl<'a> Tall<'a> {
    fn new(design: &'a Design) -> Self {
        let (n, m) = (design.n(), design.m());
        Tall {
            design,
            transposed: n <= m,
            r: n.min(m),
            l: n.max(m),
        }
    }

    /// Writes rows `rows` of T into `out` (rows.len() × r, column-major).
    fn fill(&self, rows: Range<usize>, mut out: MatMut<'_, f64>) {
        let (x, b) = (self.design.x(), self.design.b());
        for c in 0..self.r {
            let col = out
                .rb_mut()
                .col_mut(c)
                .try_as_col_major_mut()
                .expect("blocks are column-major")
                .as_slice_mut();
            if self.transposed {
                self.design.fill_row(x[c], &b[rows.clone()], col);
            } else {
                self.design.fill_column(b[c], &x[rows.clone()], col);
            }
        }
    }
}

/// Contiguous ranges of block indices, one per thread, in order.
fn partition(blocks: usize) -> Vec<Range<usize>> {
    let t = rayon::current_num_threads().clamp(1, blocks.max(1));
    (0..t)
        .map(|i| (i * blocks / t)..((i + 1) * blocks / t))
        .filter(|r| !r.is_empty())
        .collect()
}

/// One thread's TSQR state: R stacked on top of the next block.
struct Folder {
    r: usize,
    /// (r + block) × r: rows 0..r hold R, the rest the next block.
    stack: Mat<f64>,
    coeff: Mat<f64>,
    scratch: MemBuffer,
}

impl Folder {
    fn new(r: usize, block: usize) -> Self {
        let rows = r + block;
        let bs = faer::linalg::qr::no_pivoting::factor::recommended_block_size::<f64>(rows, r);
        let req = qr_in_place_scratch::<f64>(rows, r, bs, Par::Seq, faer::Spec::default());
        Folder {
            r,
            stack: Mat::zeros(rows, r),
            coeff: Mat::zeros(bs, r),
            scratch: MemBuffer::new(req),
        }
    }

    /// Folds `len` rows already written below R into R.
    fn fold(&mut self, len: usize) {
        let rows = self.r + len;
        let mut view = self.stack.as_mut().subrows_mut(0, rows);
        qr_in_place(
            view.rb_mut(),
            self.coeff.as_mut(),
            Par::Seq,
            MemStack::new(&mut self.scratch),
            faer::Spec::default(),
        );
        // Keep R's upper triangle; clear the Householder vectors below it.
        for c in 0..self.r {
            for i in (c + 1)..rows {
                view[(i, c)] = 0.0;
            }
        }
    }

    fn factor(&self) -> Mat<f64> {
        self.stack.as_ref().subrows(0, self.r).to_owned()
    }
}

/// R of T = QR, streamed (see the module docs).
fn tsqr(t: &Tall<'_>, block: usize, blocks: usize) -> Mat<f64> {
    let parts: Vec<Mat<f64>> = partition(blocks)
        .into_par_iter()
        .map(|range| {
            let mut f = Folder::new(t.r, block);
            for k in range {
                let rows = (k * block)..((k + 1) * block).min(t.l);
                let len = rows.len();
                t.fill(rows, f.stack.as_mut().subrows_mut(t.r, len));
                f.fold(len);
            }
            f.factor()
        })
        .collect();
    // Combine the threads' factors in order: QR of [R_acc; R_t].
    let mut acc = Folder::new(t.r, t.r);
    for p in &parts {
        acc.stack.as_mut().subrows_mut(t.r, t.r).copy_from(p);
        acc.fold(t.r);
    }
    acc.factor()
}

/// G = TᵀT, streamed.
fn gram(t: &Tall<'_>, block: usize, blocks: usize) -> Mat<f64> {
    let parts: Vec<Mat<f64>> = partition(blocks)
        .into_par_iter()
        .map(|range| {
            let mut g = Mat::<f64>::zeros(t.r, t.r);
            let mut buf = Mat::<f64>::zeros(block, t.r);
            for k in range {
                let rows = (k * block)..((k + 1) * block).min(t.l);
                let len = rows.len();
                t.fill(rows, buf.as_mut().subrows_mut(0, len));
                let bk = buf.as_ref().subrows(0, len);
                faer::linalg::matmul::matmul(
                    g.as_mut(),
                    Accum::Add,
                    bk.transpose(),
                    bk,
                    1.0,
                    Par::Seq,
                );
            }
            g
        })
        .collect();
    let mut g = Mat::<f64>::zeros(t.r, t.r);
    for p in &parts {
        g += p;
    }
    g
}

/// Singular values and the short side's vectors of the design's A by
/// streaming blocks of it (see the module docs); the long side's vectors for
/// the leading `opts.long_vectors` components when asked.
///
/// # Errors
/// [`Error::InvalidParameter`] for an empty design or a bad option;
/// [`Error::Linalg`] when A has a non-finite entry or the small SVD fails.
pub fn streamed_spectrum(design: &Design, opts: &StreamOptions) -> Result<StreamedSpectrum> {
    let t = Tall::new(design);
    if t.r == 0 {
        return Err(Error::invalid(
            "n, m",
            format!("{} × {}", design.n(), design.m()),
            "at least 1 × 1",
        ));
    }
    if opts.long_vectors > t.r {
        return Err(Error::invalid(
            "long vectors",
            opts.long_vectors,
            format!("at most min(N, M) = {}", t.r),
        ));
    }
    let block = if opts.block == 0 {
        default_block(t.r)
    } else {
        opts.block
    };
    let blocks = t.l.div_ceil(block);
    let threads = partition(blocks).len() as f64;
    let (s, short) = match opts.route {
        StreamRoute::Tsqr => {
            let r = tsqr(&t, block, blocks);
            check_small(&r, design)?;
            let svd = thin_svd(r.as_ref())?;
            (svd.s, svd.v)
        }
        StreamRoute::Gram => {
            let g = gram(&t, block, blocks);
            check_small(&g, design)?;
            let eig = g
                .self_adjoint_eigen(Side::Lower)
                .map_err(|e| linalg_error("Gram eigendecomposition", g.as_ref(), e))?;
            let r = t.r;
            let vals = eig.S().column_vector();
            // Ascending eigenvalues → descending singular values and columns.
            let s: Vec<f64> = (0..r).map(|k| vals[r - 1 - k].max(0.0).sqrt()).collect();
            let vecs = Mat::from_fn(r, r, |i, k| eig.U()[(i, r - 1 - k)]);
            (s, vecs)
        }
    };
    let long = if opts.long_vectors > 0 {
        Some(recover_long(&t, &short, &s, opts.long_vectors, block))
    } else {
        None
    };
    let (u, v) = if t.transposed {
        (Some(short), long)
    } else {
        (long, Some(short))
    };
    Ok(StreamedSpectrum {
        s,
        u,
        v,
        route: opts.route,
        block,
        blocks,
        working_bytes: 8.0 * (threads * ((block + t.r) * t.r) as f64 + 2.0 * (t.r * t.r) as f64),
    })
}

/// A non-finite entry of A shows up as a non-finite small factor.
fn check_small(f: &Mat<f64>, design: &Design) -> Result<()> {
    if f.as_ref().is_all_finite() {
        return Ok(());
    }
    Err(Error::Linalg {
        op: "streamed spectrum".into(),
        rows: design.n(),
        cols: design.m(),
        detail: "A has a non-finite entry (check sigma and the grids); the matrix must be finite"
            .into(),
    })
}

/// The long side's vectors T·V_R·Σ⁻¹ for the leading `k` components (zero
/// columns where s = 0).
fn recover_long(t: &Tall<'_>, short: &Mat<f64>, s: &[f64], k: usize, block: usize) -> Mat<f64> {
    let blocks = t.l.div_ceil(block);
    let vk = short.as_ref().subcols(0, k);
    let mut out = Mat::<f64>::zeros(t.l, k);
    let inv: Vec<f64> = s[..k]
        .iter()
        .map(|&x| if x > 0.0 { 1.0 / x } else { 0.0 })
        .collect();
    // Each block writes its own rows of `out`.
    let chunks: Vec<(usize, MatMut<'_, f64>)> = {
        let mut v = Vec::with_capacity(blocks);
        let mut rest = out.as_mut();
        for kb in 0..blocks {
            let len = block.min(t.l - kb * block);
            let (head, tail) = rest.split_at_row_mut(len);
            v.push((kb, head));
            rest = tail;
        }
        v
    };
    chunks.into_par_iter().for_each(|(kb, mut dst)| {
        let rows = (kb * block)..((kb + 1) * block).min(t.l);
        let mut buf = Mat::<f64>::zeros(rows.len(), t.r);
        t.fill(rows, buf.as_mut());
        faer::linalg::matmul::matmul(
            dst.rb_mut(),
            Accum::Replace,
            buf.as_ref(),
            vk,
            1.0,
            Par::Seq,
        );
        for (c, &w) in inv.iter().enumerate() {
            for i in 0..dst.nrows() {
                dst[(i, c)] *= w;
            }
        }
    });
    out
}

/// Which computation gives the spectrum of a design (`spectrum --method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpectrumRoute {
    /// [`SpectrumRoute::Direct`] unless A is large or very unequal in shape,
    /// then [`SpectrumRoute::Tsqr`] (see [`SpectrumRoute::resolve`]).
    #[default]
    Auto,
    /// Dense A, faer's bidiagonal SVD: every value to ≈ ε·s_max.
    Direct,
    /// Dense A, eigenvalues of the smaller Gram matrix: ≈ ε·s_max²/s_k.
    Gram,
    /// Streamed TSQR, A never stored: every value to ≈ ε·s_max.
    Tsqr,
    /// Streamed Gram matrix, A never stored: ≈ ε·s_max²/s_k.
    StreamGram,
    /// The K leading components only, by a randomized block Krylov method
    /// ([`super::topk`]): values to ≈ ε·s_max + ρ²/gap with the residuals ρ
    /// reported; needs K.
    Topk,
}

/// Whether the K leading components are cheaper by [`super::topk`] than by
/// a full SVD: when r = min(N, M) ≥ 2048 and the Krylov block
/// b = K + max(10, K/10) is at most r/16. A full SVD costs ≈ 4·N·M·r flops
/// plus the bidiagonal part; the block Krylov method ≈ 4·N·M·b per pass, and
/// it takes about 5–10 passes at the default tolerance (measured on the
/// paper's activations), so it wins by a factor ≈ r/(10·b) ≥ 1.6 at the
/// threshold and more above it, and its memory is O((N + M)·b·steps) instead of
/// the full SVD's 4·N·M.
#[must_use]
pub fn prefers_topk(n: usize, m: usize, k: usize) -> bool {
    let r = n.min(m);
    let b = k + (k / 10).max(10);
    k >= 1 && r >= 2048 && 16 * b <= r
}

/// Bytes of a dense f64 A above which `auto` streams: 512 MiB.
pub const AUTO_DENSE_LIMIT: f64 = 512.0 * 1024.0 * 1024.0;

impl SpectrumRoute {
    /// The route `auto` takes for an N × M design: streamed TSQR when the
    /// dense f64 A would exceed [`AUTO_DENSE_LIMIT`] or when one side is at
    /// least 16 times the other (then TSQR costs ≈ 2·L·r² flops, no more than
    /// the dense SVD's first QR step, and needs no N·M storage); the dense SVD
    /// otherwise. Explicit routes are returned as they are.
    #[must_use]
    pub fn resolve(self, n: usize, m: usize) -> SpectrumRoute {
        if self != SpectrumRoute::Auto {
            return self;
        }
        let (r, l) = (n.min(m), n.max(m));
        let dense = 8.0 * n as f64 * m as f64;
        if dense > AUTO_DENSE_LIMIT || (l >= 16 * r && l >= 4096) {
            SpectrumRoute::Tsqr
        } else {
            SpectrumRoute::Direct
        }
    }

    /// The route `auto` takes when only the K leading components are asked:
    /// [`SpectrumRoute::Topk`] when [`prefers_topk`] says so, else as
    /// [`SpectrumRoute::resolve`]. Explicit routes are returned as they are.
    #[must_use]
    pub fn resolve_k(self, n: usize, m: usize, k: Option<usize>) -> SpectrumRoute {
        match k {
            Some(k) if self == SpectrumRoute::Auto && prefers_topk(n, m, k) => SpectrumRoute::Topk,
            _ => self.resolve(n, m),
        }
    }

    /// Whether the route stores A.
    #[must_use]
    pub fn stores_a(self) -> bool {
        matches!(self, SpectrumRoute::Direct | SpectrumRoute::Gram)
    }

    /// Whether the route squares A (values below ≈ √ε·s_max are noise).
    #[must_use]
    pub fn squares(self) -> bool {
        matches!(self, SpectrumRoute::Gram | SpectrumRoute::StreamGram)
    }

    /// The route's name as `--method` writes it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SpectrumRoute::Auto => "auto",
            SpectrumRoute::Direct => "direct",
            SpectrumRoute::Gram => "gram",
            SpectrumRoute::Tsqr => "tsqr",
            SpectrumRoute::StreamGram => "stream-gram",
            SpectrumRoute::Topk => "topk",
        }
    }

    /// One line on what the route computed, for the output's header.
    #[must_use]
    pub fn describe(self, n: usize, m: usize) -> String {
        let r = n.min(m);
        match self {
            SpectrumRoute::Auto => "auto".into(),
            SpectrumRoute::Direct => "cpu-f64 (faer bidiagonal SVD of A)".into(),
            SpectrumRoute::Gram => format!(
                "cpu-f64 (faer eigenvalues of the {r}x{r} Gram matrix; accurate only above ~1.5e-8 s_max)"
            ),
            SpectrumRoute::Tsqr => format!(
                "cpu-f64 (streamed TSQR of A{}, A never stored; SVD of the {r}x{r} factor)",
                if n <= m { "^T" } else { "" }
            ),
            SpectrumRoute::StreamGram => format!(
                "cpu-f64 (streamed {r}x{r} Gram matrix, A never stored; accurate only above ~1.5e-8 s_max)"
            ),
            SpectrumRoute::Topk => "cpu-f64 (randomized block Krylov for the leading components: block Lanczos on A^T A, Rayleigh-Ritz on A, residuals checked)".into(),
        }
    }
}

impl std::str::FromStr for SpectrumRoute {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(SpectrumRoute::Auto),
            "direct" | "svd" => Ok(SpectrumRoute::Direct),
            "gram" => Ok(SpectrumRoute::Gram),
            "tsqr" => Ok(SpectrumRoute::Tsqr),
            "stream-gram" => Ok(SpectrumRoute::StreamGram),
            "topk" | "top-k" => Ok(SpectrumRoute::Topk),
            _ => Err(Error::invalid(
                "method",
                format!("'{s}'"),
                "'auto', 'direct', 'gram', 'tsqr' (streamed, accurate), 'stream-gram' (streamed, top of the spectrum only) or 'topk' (the K leading components)",
            )),
        }
    }
}

/// The spectrum of a design by any route, with the left singular vectors of
/// the leading `vectors` components when asked.
#[derive(Clone, Debug)]
pub struct DesignSpectrum {
    /// Singular values, descending, length min(N, M).
    pub s: Vec<f64>,
    /// U's leading `vectors` columns (N × vectors), when asked.
    pub u: Option<Mat<f64>>,
    /// The route that was taken (never `Auto`).
    pub route: SpectrumRoute,
}

/// The `topk` route computes K components and is called with K.
fn topk_needs_k() -> Error {
    Error::invalid(
        "method",
        "topk",
        "a full-spectrum route here; the K leading components are computed by spectral::topk_of_matrix or topk_of_design",
    )
}

/// At most min(N, M) = `r` vectors, and none on the dense `gram` route.
fn check_vectors(route: SpectrumRoute, vectors: usize, r: usize) -> Result<()> {
    if vectors > r {
        return Err(Error::invalid(
            "vectors",
            vectors,
            format!("at most min(N, M) = {r}"),
        ));
    }
    if vectors > 0 && route == SpectrumRoute::Gram {
        return Err(Error::invalid(
            "vectors",
            vectors,
            "none with the dense 'gram' method (use 'direct', 'tsqr' or 'stream-gram')",
        ));
    }
    Ok(())
}

/// Singular values of a stored matrix A (a user's design) by `route`:
/// `direct` (and `auto`) or `gram`; the streamed routes need a network to
/// generate A from and are refused. The leading `vectors` left singular
/// vectors when `vectors > 0` (not on `gram`).
///
/// # Errors
/// [`Error::InvalidParameter`] for a streamed route, vectors on `gram` or
/// more vectors than min(N, M); the errors of the SVD.
pub fn matrix_spectrum(
    a: MatRef<'_, f64>,
    route: SpectrumRoute,
    vectors: usize,
) -> Result<DesignSpectrum> {
    let r = a.nrows().min(a.ncols());
    let route = match route {
        SpectrumRoute::Auto => SpectrumRoute::Direct,
        SpectrumRoute::Tsqr | SpectrumRoute::StreamGram => {
            return Err(Error::invalid(
                "method",
                route.name(),
                "'auto', 'direct' or 'gram' for a stored matrix A (the streamed routes generate A from a network)",
            ));
        }
        SpectrumRoute::Topk => return Err(topk_needs_k()),
        other => other,
    };
    check_vectors(route, vectors, r)?;
    let (s, u) = if vectors > 0 {
        let svd = thin_svd(a)?;
        (svd.s, Some(svd.u.as_ref().subcols(0, vectors).to_owned()))
    } else if route == SpectrumRoute::Gram {
        (super::svd::singular_values_gram(a)?, None)
    } else {
        (super::svd::singular_values(a)?, None)
    };
    Ok(DesignSpectrum { s, u, route })
}

/// Singular values of the design's A by `route` (resolved for `auto`), and
/// the leading `vectors` left singular vectors when `vectors > 0` (not
/// available on the squared dense route `gram`).
///
/// # Errors
/// [`Error::InvalidParameter`] for vectors on the `gram` route or more vectors
/// than min(N, M); the errors of the routes.
pub fn design_spectrum(
    design: &Design,
    route: SpectrumRoute,
    vectors: usize,
) -> Result<DesignSpectrum> {
    let (n, m) = (design.n(), design.m());
    let route = route.resolve(n, m);
    let r = n.min(m);
    check_vectors(route, vectors, r)?;
    let (s, u) = match route {
        SpectrumRoute::Topk => return Err(topk_needs_k()),
        SpectrumRoute::Direct | SpectrumRoute::Gram | SpectrumRoute::Auto => {
            return matrix_spectrum(design.matrix().as_ref(), route, vectors);
        }
        SpectrumRoute::Tsqr | SpectrumRoute::StreamGram => {
            let opts = StreamOptions {
                route: if route == SpectrumRoute::Tsqr {
                    StreamRoute::Tsqr
                } else {
                    StreamRoute::Gram
                },
                block: 0,
                long_vectors: if n > m { vectors } else { 0 },
            };
            let sp = streamed_spectrum(design, &opts)?;
            let u = (vectors > 0)
                .then(|| sp.u.map(|u| u.as_ref().subcols(0, vectors).to_owned()))
                .flatten();
            (sp.s, u)
        }
    };
    Ok(DesignSpectrum { s, u, route })
}
