//! CPU twins of the GPU kernels: what each kernel computes, in the kernel's
//! order, in f32 on the CPU (vello keeps its CPU shaders the same way).
//!
//! | kernel (`shaders/kernels/`) | twin | what it reproduces |
//! |---|---|---|
//! | `eta_eval.wgsl` | [`eta`] | η at an f32 z, rounded to f32 (the WGSL η is within [`super::eta_tolerance`] of it) |
//! | `design.wgsl` | [`design_matrix`] | z = σ·(x − b) in f32 from the f32 grids, then [`eta`] |
//! | `skinny.wgsl` | [`skinny`] | per split: fma over k-tiles of [`TK`], tile sums added with Kahan compensation |
//! | `finish.wgsl` | [`finish`], [`update`] | Kahan sum of the split partials in slot order, v = c_y·y + c_p·Σ, dst += coef·v (fma) |
//! | `gram.wgsl` | [`gram`] | K = AAᵀ or G = AᵀA, fma over k-tiles of [`TK`], Kahan across tiles |
//! | `colnorm.wgsl` | [`colnorm`] | per run: max |r|, Σ (r/max)² with per-thread Kahan and a tree reduction, a NaN/∞ flag |
//! | a GD run | [`problem`], [`PrimalF32`] | the problem rounded to f32 as the engine sees it; primal GD iterated in f32 |
//!
//! The products' twins are exact reproductions wherever Vulkan's arithmetic is
//! correctly rounded (add, subtract, multiply; fma with one rounding): each
//! kernel is tested alone against its twin, so a failure names the kernel.

use faer::Mat;

use crate::error::Result;
use crate::gd::{
    Checkpoint, Engine, EngineInfo, GdBatch, Precision, Problem, Progress, RunStatus, Strategy,
    Summation, Trajectory, half_sq_residual,
};
use crate::model::{Activation, Design};

/// Reduction indices per k-tile of the product kernels (`TK` in the WGSL).
pub const TK: usize = 16;

/// `v` rounded to f32.
#[must_use]
pub fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&t| t as f32).collect()
}

/// `v` rounded to f32 and back (every value exactly an f32).
#[must_use]
pub fn round_f32(v: &[f64]) -> Vec<f64> {
    v.iter().map(|&t| f64::from(t as f32)).collect()
}

/// The design the GPU actually sees: x, b and σ rounded to f32 (and back to
/// f64). Comparing a GPU result with the CPU on this design measures the
/// kernels alone; comparing with `design` adds the rounding of the problem.
/// An error when a value leaves the f32 range (σ, or a point, rounds to ±∞ or 0).
pub fn design(design: &Design) -> Result<Design> {
    Design::new(
        design.activation(),
        f64::from(design.sigma() as f32),
        round_f32(design.x()),
        round_f32(design.b()),
    )
}

/// Twin of `eta_eval.wgsl`: η at the f32 argument z, rounded to f32.
#[must_use]
pub fn eta(act: Activation, z: f32) -> f32 {
    act.eval(f64::from(z)) as f32
}

/// Twin of `design.wgsl`: the design matrix at `points` as the kernels form
/// it — x, b, σ rounded to f32, z = σ·(x − b) in f32 arithmetic (difference
/// first, as on every path), η at that z rounded to f32. Returned in f64.
#[must_use]
pub fn design_matrix(design: &Design, points: &[f64]) -> Mat<f64> {
    let s32 = design.sigma() as f32;
    let b32 = to_f32(design.b());
    let act = design.activation();
    Mat::<f64>::from_fn(points.len(), design.m(), |i, j| {
        f64::from(eta(act, s32 * (points[i] as f32 - b32[j])))
    })
}

/// One Kahan step (s, c) + v, as the kernels write it.
fn kahan(sc: (f32, f32), v: f32) -> (f32, f32) {
    let y = v - sc.1;
    let t = sc.0 + y;
    (t, (t - sc.0) - y)
}

/// How the device evaluates WGSL's `fma(a, b, c)`: Vulkan allows one
/// rounding (fused) or a multiply and an add (two roundings; lavapipe does
/// this). The twins take it as a parameter, so that they reproduce a kernel
/// bit for bit on either kind of device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fma {
    /// a·b + c with one rounding.
    Fused,
    /// fl(fl(a·b) + c).
    Split,
}

impl Fma {
    /// Both kinds, to find the one a device uses.
    pub const BOTH: [Fma; 2] = [Fma::Fused, Fma::Split];

    /// `a·b + c` the way this kind evaluates it.
    #[must_use]
    pub fn apply(self, a: f32, b: f32, c: f32) -> f32 {
        match self {
            Fma::Fused => a.mul_add(b, c),
            Fma::Split => a * b + c,
        }
    }
}

/// The kernels' sum of `terms(r)` over `r` in `range`: fma within each k-tile
/// of [`TK`] consecutive indices (from 0), tile sums added with Kahan
/// compensation; returns s − c.
fn tiled_sum(range: std::ops::Range<usize>, fma: Fma, term: impl Fn(usize) -> (f32, f32)) -> f32 {
    let mut sc = (0.0f32, 0.0f32);
    let mut k0 = range.start;
    while k0 < range.end {
        let k1 = (k0 + TK).min(range.end);
        let mut acc = 0.0f32;
        for r in k0..k1 {
            let (a, x) = term(r);
            acc = fma.apply(a, x, acc);
        }
        sc = kahan(sc, acc);
        k0 = k1;
    }
    sc.0 - sc.1
}

/// An f32 matrix, row-major, as the device stores it.
#[derive(Clone, Copy, Debug)]
pub struct RowMajor<'a> {
    /// `rows × cols` values, row-major.
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

impl RowMajor<'_> {
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.cols + j]
    }
}

/// How a skinny product is taken: over `nb` columns of X, op = M
/// (`transposed` false) or Mᵀ, the reduction cut into splits of `split_len`
/// indices, with the device's kind of fma.
#[derive(Clone, Copy, Debug)]
pub struct SkinnySpec {
    /// Columns B of X.
    pub nb: usize,
    /// op = Mᵀ.
    pub transposed: bool,
    /// Reduction indices per split.
    pub split_len: usize,
    /// The device's fma.
    pub fma: Fma,
}

/// Twin of `skinny.wgsl` without its epilogue: the raw split sums of
/// P = op(M)·X over the columns of X (row-major, reduction length × `nb`).
/// Returns `slots × (outputs·nb)` values, slot-major.
#[must_use]
pub fn skinny(m: RowMajor<'_>, x: &[f32], spec: SkinnySpec) -> Vec<f32> {
    let SkinnySpec {
        nb,
        transposed,
        split_len,
        fma,
    } = spec;
    let (n_out, n_red) = if transposed {
        (m.cols, m.rows)
    } else {
        (m.rows, m.cols)
    };
    let split_len = split_len.max(1);
    let slots = n_red.div_ceil(split_len).max(1);
    let mut out = vec![0.0f32; slots * n_out * nb];
    for z in 0..slots {
        let range = z * split_len..((z + 1) * split_len).min(n_red);
        for o in 0..n_out {
            for b in 0..nb {
                let op = |r: usize| if transposed { m.at(r, o) } else { m.at(o, r) };
                out[(z * n_out + o) * nb + b] =
                    tiled_sum(range.clone(), fma, |r| (op(r), x[r * nb + b]));
            }
        }
    }
    out
}

/// Twin of `finish.wgsl`: v = c_y·y + c_p·Σ_slot partial (the slots summed with
/// Kahan compensation in slot order), for `len` elements per slot.
#[must_use]
pub fn finish(partial: &[f32], len: usize, y: Option<(&[f32], f32)>, c_p: f32) -> Vec<f32> {
    let slots = partial.len().checked_div(len).unwrap_or(0);
    (0..len)
        .map(|idx| {
            let sc = (0..slots).fold((0.0f32, 0.0f32), |sc, k| kahan(sc, partial[k * len + idx]));
            let v = c_p * (sc.0 - sc.1);
            match y {
                Some((y, c_y)) => c_y * y[idx] + v,
                None => v,
            }
        })
        .collect()
}

/// Twin of the finish kernel's update: `dst[idx] = fma(coef_b, v[idx], src[idx])`
/// with coef_b = α_b (column b = idx mod `nb`) or 1.
#[must_use]
pub fn update(src: &[f32], v: &[f32], alpha: Option<&[f32]>, nb: usize, fma: Fma) -> Vec<f32> {
    src.iter()
        .zip(v)
        .enumerate()
        .map(|(idx, (&s, &vi))| {
            let coef = alpha.map_or(1.0, |a| a[idx % nb]);
            fma.apply(coef, vi, s)
        })
        .collect()
}

/// Twin of `gram.wgsl` (one reduction chunk): K = AAᵀ (`transposed` false,
/// rows × rows) or G = AᵀA (cols × cols), row-major.
#[must_use]
pub fn gram(a: RowMajor<'_>, transposed: bool, fma: Fma) -> Vec<f32> {
    let (n_out, n_red) = if transposed {
        (a.cols, a.rows)
    } else {
        (a.rows, a.cols)
    };
    let elem = |o: usize, r: usize| if transposed { a.at(r, o) } else { a.at(o, r) };
    let mut out = vec![0.0f32; n_out * n_out];
    for o1 in 0..n_out {
        for o2 in 0..n_out {
            out[o1 * n_out + o2] = tiled_sum(0..n_red, fma, |r| (elem(o1, r), elem(o2, r)));
        }
    }
    out
}

/// Twin of `colnorm.wgsl`: for each of the `nb` columns of the row-major
/// n × nb matrix `r`, `[max |r|, Σ (r/max)², 1 if any value is NaN/±∞ else 0]`.
/// The sum runs as the kernel's 256 threads do (thread t takes i ≡ t mod 256,
/// Kahan-compensated), then a tree reduction; ‖r_b‖ = max·√sum.
#[must_use]
pub fn colnorm(r: &[f32], n: usize, nb: usize) -> Vec<f32> {
    const THREADS: usize = 256;
    let mut out = Vec::with_capacity(3 * nb);
    for b in 0..nb {
        let col = |i: usize| r[i * nb + b];
        let bad = (0..n).any(|i| !col(i).is_finite());
        let mx = (0..n)
            .map(col)
            .filter(|v| v.is_finite())
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let mut red = vec![0.0f32; THREADS];
        if mx > 0.0 && !bad {
            for (t, slot) in red.iter_mut().enumerate() {
                let sc = (t..n).step_by(THREADS).fold((0.0f32, 0.0f32), |sc, i| {
                    let q = col(i) / mx;
                    kahan(sc, q * q)
                });
                *slot = sc.0 - sc.1;
            }
        }
        let mut h = THREADS / 2;
        while h > 0 {
            for t in 0..h {
                red[t] += red[t + h];
            }
            h /= 2;
        }
        out.extend([mx, red[0], if bad { 1.0 } else { 0.0 }]);
    }
    out
}

/// The GD problem as the GPU engine iterates it: the design with f32 grids
/// and σ ([`design`]), targets, rates, starting weights and evaluation points
/// rounded to f32, so that the f64 reference run on it measures the
/// arithmetic alone.
pub fn problem(d: &Design, batch: &GdBatch) -> Result<(Design, GdBatch)> {
    let mut b = batch.clone();
    b.y = batch.y.iter().map(|v| round_f32(v)).collect();
    b.alpha = round_f32(&batch.alpha);
    b.w0 = batch
        .w0
        .as_ref()
        .map(|w| w.iter().map(|v| round_f32(v)).collect());
    b.eval_points = batch.eval_points.as_deref().map(round_f32);
    Ok((design(d)?, b))
}

/// Primal gradient descent iterated in f32 on the CPU, as a primal kernel
/// would — A from [`design_matrix`], every product accumulated *sequentially*
/// in f32 (the least accurate order a kernel can use; hence
/// [`Summation::Plain`]) — so the f32 error model can be checked on any
/// machine. One run (the batch's first); problems need a design.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrimalF32;

fn matvec(a: &Mat<f32>, v: &[f32], out: &mut [f32]) {
    for (i, o) in out.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (j, vj) in v.iter().enumerate() {
            acc += a[(i, j)] * vj;
        }
        *o = acc;
    }
}

impl Engine for PrimalF32 {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            label: "emulated-f32 primal".into(),
            name: "emulated-f32 primal".into(),
            device: "CPU emulation".into(),
            adapter: None,
            software: false,
            precision: Precision::F32,
            summation: Summation::Plain,
            strategy: Strategy::Primal,
        }
    }

    fn needs_host_matrix(&self) -> bool {
        false
    }

    fn run(&self, p: &Problem<'_>, batch: &GdBatch, _: &dyn Progress) -> Result<Trajectory> {
        let Some(d) = p.design() else {
            return Err(crate::error::Error::invalid(
                "problem",
                "a matrix without a design",
                "a design (the f32 twin builds A from the grids)",
            ));
        };
        batch.validate(d.n(), d.m(), p.s_max())?;
        let to32 = |m: Mat<f64>| Mat::<f32>::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] as f32);
        let a = to32(design_matrix(d, d.x()));
        let at = Mat::<f32>::from_fn(a.ncols(), a.nrows(), |i, j| a[(j, i)]);
        let ae = batch
            .eval_points
            .as_ref()
            .map(|pts| to32(design_matrix(d, pts)));
        let (n, m) = (a.nrows(), a.ncols());
        let y: Vec<f32> = to_f32(&batch.y[0]);
        let alpha = batch.alpha[0] as f32;
        let mut w = vec![0.0f32; m];
        let (mut aw, mut r, mut g) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; m]);
        let mut cps = Vec::new();
        let mut t = 0u64;
        for &q in &batch.checkpoints {
            while t < q {
                matvec(&a, &w, &mut aw);
                r.iter_mut()
                    .zip(&y)
                    .zip(&aw)
                    .for_each(|((ri, yi), ai)| *ri = yi - ai);
                matvec(&at, &r, &mut g);
                w.iter_mut().zip(&g).for_each(|(wj, gj)| *wj += alpha * gj);
                t += 1;
            }
            matvec(&a, &w, &mut aw);
            let f: Vec<f64> = aw.iter().map(|&v| f64::from(v)).collect();
            let f_eval = ae.as_ref().map(|ae| {
                let mut fe = vec![0.0f32; ae.nrows()];
                matvec(ae, &w, &mut fe);
                vec![fe.iter().map(|&v| f64::from(v)).collect()]
            });
            let loss = half_sq_residual(&batch.y[0], &f);
            cps.push(Checkpoint {
                q,
                f: vec![f],
                loss: vec![loss],
                w: batch
                    .record_w
                    .then(|| vec![w.iter().map(|&v| f64::from(v)).collect()]),
                f_eval,
            });
        }
        Ok(Trajectory {
            engine: self.info(),
            checkpoints: cps,
            status: vec![RunStatus::Ok],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiled_sums_are_compensated() {
        // 2¹⁶ copies of 0.1f32: the tiled, compensated sum is within a few u
        // of the exact sum; a plain f32 running sum drifts far more.
        let n = 1 << 16;
        let v = 0.1f32;
        let exact = f64::from(v) * n as f64;
        let got = f64::from(tiled_sum(0..n, Fma::Fused, |_| (v, 1.0)));
        let plain = (0..n).fold(0.0f32, |s, _| s + v);
        let u = f64::from(f32::EPSILON) / 2.0;
        assert!((got - exact).abs() <= 20.0 * u * exact, "{got} vs {exact}");
        assert!((f64::from(plain) - exact).abs() > 100.0 * u * exact);
    }

    #[test]
    fn skinny_and_finish_make_a_product() {
        // 3×40 matrix times 40×2: splits of 16 summed by the finish twin
        // equal the product up to the kernels' rounding.
        let (rows, cols, nb) = (3, 40, 2);
        let data: Vec<f32> = (0..rows * cols)
            .map(|k| ((k * 7 % 13) as f32) / 8.0)
            .collect();
        let x: Vec<f32> = (0..cols * nb)
            .map(|k| ((k * 5 % 11) as f32) / 4.0)
            .collect();
        let m = RowMajor {
            data: &data,
            rows,
            cols,
        };
        let spec = |transposed| SkinnySpec {
            nb,
            transposed,
            split_len: 16,
            fma: Fma::Fused,
        };
        let parts = skinny(m, &x, spec(false));
        assert_eq!(parts.len(), 3 * rows * nb);
        let p = finish(&parts, rows * nb, None, 1.0);
        for o in 0..rows {
            for b in 0..nb {
                let want: f64 = (0..cols)
                    .map(|r| f64::from(data[o * cols + r]) * f64::from(x[r * nb + b]))
                    .sum();
                // Small integers over powers of two: every sum here is exact.
                assert_eq!(f64::from(p[o * nb + b]), want);
            }
        }
        // Transposed: outputs are the 40 columns, the reduction the 3 rows.
        let xt: Vec<f32> = (0..rows * nb).map(|k| k as f32).collect();
        let pt = finish(
            &skinny(m, &xt, spec(true)),
            cols * nb,
            Some((&vec![1.0; cols * nb], 2.0)),
            -1.0,
        );
        let want: f64 = 2.0
            - (0..rows)
                .map(|r| f64::from(data[r * cols + 5]) * f64::from(xt[r * nb + 1]))
                .sum::<f64>();
        assert_eq!(f64::from(pt[5 * nb + 1]), want);
    }

    #[test]
    fn gram_colnorm_and_update() {
        let data: Vec<f32> = (0..12).map(|k| k as f32 - 5.0).collect();
        let a = RowMajor {
            data: &data,
            rows: 3,
            cols: 4,
        };
        let k = gram(a, false, Fma::Fused);
        assert_eq!(k[1], (0..4).map(|j| data[j] * data[4 + j]).sum::<f32>());
        let g = gram(a, true, Fma::Split);
        assert_eq!(g.len(), 16);
        assert_eq!(
            g[2 * 4 + 3],
            (0..3)
                .map(|i| data[i * 4 + 2] * data[i * 4 + 3])
                .sum::<f32>()
        );
        let r = [3.0f32, 0.0, -4.0, f32::NAN];
        let nrm = colnorm(&r, 2, 2);
        assert_eq!(nrm[0], 4.0);
        assert!((f64::from(nrm[0]) * f64::from(nrm[1]).sqrt() - 5.0).abs() < 1e-6);
        assert_eq!(nrm[5], 1.0);
        assert_eq!(
            update(&[1.0, 1.0], &[2.0, 2.0], Some(&[0.5, 0.25]), 2, Fma::Split),
            vec![2.0, 1.5]
        );
    }

    #[test]
    fn the_design_twin_keeps_ties() {
        let d = Design::spec(Activation::Heaviside)
            .sigma(64.0)
            .n(64)
            .m(64)
            .build()
            .unwrap();
        let a = design_matrix(&d, d.x());
        for i in 0..64 {
            assert_eq!(a[(i, i)], 0.0);
        }
        let (d32, b) = problem(&d, &GdBatch::new(vec![vec![0.1; 64]], vec![0.3], vec![1])).unwrap();
        assert_eq!(d32.x()[1], f64::from((1.0f64 / 63.0) as f32));
        assert_eq!(b.alpha[0], f64::from(0.3f32));
    }
}
