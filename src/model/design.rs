//! The N×M design matrix $A_{ij} = \eta(\sigma (x_i - b_j))$ in f64 (SPEC §1).
//!
//! Aᵀ is the Jacobian of f at the samples with respect to w. The difference
//! $x_i - b_j$ is formed first and then scaled by σ, in the same order as in the
//! WGSL kernels, so that ties x_i = b_j give z = 0 exactly on every path.

use std::fmt;
use std::str::FromStr;

use faer::Mat;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::activation::Activation;
use super::grid::Grid;
use crate::error::{Error, Result, ensure_finite};

/// A shallow network's fixed part: activation, scale σ, samples x and biases b.
///
/// Built only through [`Design::new`] (explicit points) or a [`DesignSpec`]
/// (sizes and grids), both of which validate: σ finite and > 0, at least one
/// sample and one bias, every point finite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DesignParts")]
pub struct Design {
    activation: Activation,
    sigma: f64,
    x: Vec<f64>,
    b: Vec<f64>,
}

/// The serialized form of a [`Design`], validated on the way in.
#[derive(Deserialize)]
struct DesignParts {
    activation: Activation,
    sigma: f64,
    x: Vec<f64>,
    b: Vec<f64>,
}

impl TryFrom<DesignParts> for Design {
    type Error = Error;
    fn try_from(p: DesignParts) -> Result<Self> {
        Design::new(p.activation, p.sigma, p.x, p.b)
    }
}

/// The scale σ of a design: a number, or a rule resolved from the width.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sigma {
    /// σ itself.
    Value(f64),
    /// σ = M, the width (the paper's choice for tanh).
    Width,
}

impl Sigma {
    /// σ for a network of width `m`.
    #[must_use]
    pub fn resolve(self, m: usize) -> f64 {
        match self {
            Sigma::Value(v) => v,
            Sigma::Width => m as f64,
        }
    }
}

impl From<f64> for Sigma {
    fn from(v: f64) -> Self {
        Sigma::Value(v)
    }
}

impl fmt::Display for Sigma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sigma::Value(v) => write!(f, "{v}"),
            Sigma::Width => f.write_str("m"),
        }
    }
}

impl FromStr for Sigma {
    type Err = Error;
    /// A finite number > 0, or `m` for σ = M.
    fn from_str(s: &str) -> Result<Self> {
        if s.trim().eq_ignore_ascii_case("m") {
            return Ok(Sigma::Width);
        }
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(Sigma::Value(v)),
            _ => Err(Error::invalid(
                "sigma",
                format!("'{s}'"),
                "a finite number > 0, or 'm' for sigma = M",
            )),
        }
    }
}

/// A design described by sizes and grids, with named fields; [`DesignSpec::build`]
/// validates it and lays out the points.
///
/// ```
/// use gdshrink::{Activation, Design, Grid};
/// // tanh(σ(x − b)) with σ = M (the default), N = 64 samples, M = 128 biases on [0, 1].
/// let d = Design::spec(Activation::Tanh).n(64).m(128).build()?;
/// assert_eq!((d.n(), d.m(), d.sigma()), (64, 128, 128.0));
/// let mid = Design::spec(Activation::Relu).sigma(2.0).n(8).m(8).grid(Grid::Midpoint).build()?;
/// assert_eq!(mid.x()[0], 1.0 / 16.0);
/// # Ok::<(), gdshrink::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignSpec {
    /// η.
    pub activation: Activation,
    /// σ, or the rule σ = M.
    pub sigma: Sigma,
    /// Number of samples N.
    pub n: usize,
    /// Width M (number of biases).
    pub m: usize,
    /// Layout of the samples.
    pub grid: Grid,
    /// Layout of the biases.
    pub bias_grid: Grid,
}

impl Default for DesignSpec {
    /// tanh, σ = M, N = 256, M = 1024, both grids linspace (the paper's Fig. 6 size).
    fn default() -> Self {
        DesignSpec {
            activation: Activation::Tanh,
            sigma: Sigma::Width,
            n: 256,
            m: 1024,
            grid: Grid::Linspace,
            bias_grid: Grid::Linspace,
        }
    }
}

impl DesignSpec {
    /// The default spec with this activation.
    #[must_use]
    pub fn new(activation: Activation) -> Self {
        DesignSpec {
            activation,
            ..DesignSpec::default()
        }
    }

    /// σ (a number, or [`Sigma::Width`]).
    #[must_use]
    pub fn sigma(mut self, sigma: impl Into<Sigma>) -> Self {
        self.sigma = sigma.into();
        self
    }

    /// Number of samples N.
    #[must_use]
    pub fn n(mut self, n: usize) -> Self {
        self.n = n;
        self
    }

    /// Width M.
    #[must_use]
    pub fn m(mut self, m: usize) -> Self {
        self.m = m;
        self
    }

    /// Layout of the samples.
    #[must_use]
    pub fn grid(mut self, grid: Grid) -> Self {
        self.grid = grid;
        self
    }

    /// Layout of the biases.
    #[must_use]
    pub fn bias_grid(mut self, grid: Grid) -> Self {
        self.bias_grid = grid;
        self
    }

    /// Validates the sizes, σ and the grids and lays out the points
    /// (a grid of explicit points must hold exactly N, or M, of them).
    pub fn build(&self) -> Result<Design> {
        if self.n == 0 {
            return Err(Error::invalid("n", 0, "at least 1 sample"));
        }
        if self.m == 0 {
            return Err(Error::invalid("m", 0, "a width of at least 1"));
        }
        if self.n > MAX_POINTS {
            return Err(Error::invalid(
                "n",
                self.n,
                format!("at most {MAX_POINTS} samples"),
            ));
        }
        if self.m > MAX_POINTS {
            return Err(Error::invalid(
                "m",
                self.m,
                format!("a width of at most {MAX_POINTS}"),
            ));
        }
        crate::resources::ensure_host_fits(
            &format!("the grids x and b (f64, {} + {} points)", self.n, self.m),
            crate::resources::array_bytes(self.n + self.m, 1, 8),
            "use a smaller --n or --m",
        )?;
        let x = self.grid.points(self.n, "n")?;
        let b = self.bias_grid.points(self.m, "m")?;
        Design::new(self.activation, self.sigma.resolve(self.m), x, b)
    }
}

/// Largest ‖A‖_F² a design may reach (f64 overflows at 1.8e308; the margin
/// covers s_max², losses and products with targets of |y| ≤ 1e140).
pub const MAX_SQUARED_NORM: f64 = 1e280;

/// Largest N and M a design accepts (the f32 engine indexes with 32-bit
/// integers; memory refuses far smaller sizes first on most machines).
pub const MAX_POINTS: usize = 1_000_000_000;

impl Design {
    /// Validates and builds a design from explicit points.
    pub fn new(activation: Activation, sigma: f64, x: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        if !(sigma.is_finite() && sigma >= f64::MIN_POSITIVE) {
            return Err(Error::invalid(
                "sigma",
                format!("{sigma:e}"),
                "a finite number > 0 that is a normal f64 (>= 2.2e-308)",
            ));
        }
        if x.is_empty() {
            return Err(Error::invalid("n", 0, "at least 1 sample"));
        }
        if b.is_empty() {
            return Err(Error::invalid("m", 0, "a width of at least 1"));
        }
        ensure_finite("sample grid x", &x)?;
        ensure_finite("bias grid b", &b)?;
        let d = Design {
            activation,
            sigma,
            x,
            b,
        };
        d.check_range()?;
        Ok(d)
    }

    /// Refuses a design whose entries overflow f64 arithmetic: every z =
    /// σ·(x − b) must be finite and every product the engines form (‖A‖_F²,
    /// s_max²) must stay finite. |η| is largest at the extreme z for every
    /// activation that grows, and at most 1 for the bounded ones, so η at the
    /// four corner pairs bounds max |A_ij|.
    fn check_range(&self) -> Result<()> {
        let lo_hi = |v: &[f64]| {
            v.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                })
        };
        let ((xl, xh), (bl, bh)) = (lo_hi(&self.x), lo_hi(&self.b));
        let zs = [
            self.sigma * (xh - bl),
            self.sigma * (xl - bh),
            self.sigma * (xl - bl),
            self.sigma * (xh - bh),
        ];
        let bad = |why: String| {
            Error::invalid(
                "sigma",
                format!("{:e}", self.sigma),
                format!("{why}; use a smaller --sigma or grids of smaller extent"),
            )
        };
        // Activations scale z by constants (sinc: πz), so |z| keeps a margin.
        if let Some(z) = zs.iter().find(|z| z.is_nan() || z.abs() > 1e300) {
            return Err(bad(format!(
                "sigma·(x − b) = {z:e} exceeds 1e300 in magnitude (f64 overflows at 1.8e308)"
            )));
        }
        let amax = zs
            .iter()
            .map(|&z| self.activation.eval(z).abs())
            .fold(1.0f64, f64::max);
        let nm = self.x.len() as f64 * self.b.len() as f64;
        let sq = amax * amax * nm;
        if sq.is_nan() || sq > MAX_SQUARED_NORM {
            return Err(bad(format!(
                "|eta(sigma·(x − b))| reaches {amax:e}, so ||A||_F^2 (up to {sq:e}) would overflow f64 \
                 (allowed: {MAX_SQUARED_NORM:e})"
            )));
        }
        Ok(())
    }

    /// A [`DesignSpec`] with this activation and the defaults, to set by name.
    #[must_use]
    pub fn spec(activation: Activation) -> DesignSpec {
        DesignSpec::new(activation)
    }

    /// η.
    #[must_use]
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Scale σ > 0 in η(σ(x − b)).
    #[must_use]
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// Sample positions x_i (N of them).
    #[must_use]
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Biases b_j (M of them, the width).
    #[must_use]
    pub fn b(&self) -> &[f64] {
        &self.b
    }

    /// The same network with another activation (same σ and points).
    #[must_use]
    pub fn with_activation(&self, activation: Activation) -> Design {
        Design {
            activation,
            ..self.clone()
        }
    }

    /// The same network with the biases `cols` only: a block of A's columns,
    /// for passes that generate A block by block instead of storing it.
    ///
    /// # Panics
    /// When `cols` is not a range of bias indices.
    #[must_use]
    pub fn columns(&self, cols: std::ops::Range<usize>) -> Design {
        Design {
            activation: self.activation,
            sigma: self.sigma,
            x: self.x.clone(),
            b: self.b[cols].to_vec(),
        }
    }

    /// Number of samples N.
    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// Width M.
    pub fn m(&self) -> usize {
        self.b.len()
    }

    /// One entry η(σ(x − b)).
    #[inline]
    pub fn entry(&self, x: f64, b: f64) -> f64 {
        self.activation.eval(self.sigma * (x - b))
    }

    /// The N×M matrix A.
    pub fn matrix(&self) -> Mat<f64> {
        self.matrix_at(&self.x)
    }

    /// The matrix of the same network evaluated at other points (rows = `points`),
    /// so that f(points) = A_eval · w.
    pub fn matrix_at(&self, points: &[f64]) -> Mat<f64> {
        let n = points.len();
        let m = self.m();
        if n == 0 || m == 0 {
            return Mat::zeros(n, m);
        }
        if rayon::current_num_threads() == 1 {
            // One pass over fresh memory: each column through the block
            // evaluator into a buffer, copied as faer lays the matrix out.
            // (faer fills column by column; any other order stays correct.)
            let mut col = vec![0.0; n];
            let mut current = usize::MAX;
            return Mat::from_fn(n, m, |i, j| {
                if j != current {
                    self.fill_column(self.b[j], points, &mut col);
                    current = j;
                }
                col[i]
            });
        }
        let mut a = Mat::<f64>::zeros(n, m);
        // One column per parallel task, written in place through the block evaluator.
        a.as_mut()
            .par_col_chunks_mut(1)
            .zip(self.b.par_iter())
            .for_each(|(col, &bj)| {
                let col = col
                    .col_mut(0)
                    .try_as_col_major_mut()
                    .expect("faer columns are contiguous")
                    .as_slice_mut();
                self.fill_column(bj, points, col);
            });
        a
    }

    /// `out[i] = η(σ(points[i] − bj))`: one column of A (at other points),
    /// through [`Activation::eval_slice`].
    pub fn fill_column(&self, bj: f64, points: &[f64], out: &mut [f64]) {
        for (v, &xi) in out.iter_mut().zip(points) {
            *v = self.sigma * (xi - bj);
        }
        self.activation.eval_slice(&mut out[..points.len()]);
    }

    /// `out[j] = η(σ(xi − biases[j]))`: one row of A (over a range of biases),
    /// through [`Activation::eval_slice`].
    pub fn fill_row(&self, xi: f64, biases: &[f64], out: &mut [f64]) {
        for (v, &bj) in out.iter_mut().zip(biases) {
            *v = self.sigma * (xi - bj);
        }
        self.activation.eval_slice(&mut out[..biases.len()]);
    }

    /// f(points) = Σ_j w_j η(σ(p − b_j)) for a weight vector w.
    pub fn eval(&self, w: &[f64], points: &[f64]) -> Result<Vec<f64>> {
        if w.len() != self.m() {
            return Err(Error::LengthMismatch {
                what: "weights w".into(),
                expected: self.m(),
                got: w.len(),
            });
        }
        Ok(points
            .par_iter()
            .map_init(
                || vec![0.0; self.m()],
                |row, &p| {
                    self.fill_row(p, &self.b, row);
                    row.iter().zip(w).map(|(&a, &wj)| wj * a).sum()
                },
            )
            .collect())
    }

    /// Short description for tables: `tanh σ=1024 N=256 M=1024`.
    pub fn label(&self) -> String {
        format!(
            "{} sigma={} N={} M={}",
            self.activation,
            self.sigma,
            self.n(),
            self.m()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_ties() {
        for (n, m) in [(5, 9), (9, 9), (9, 5)] {
            let d = lin(Activation::Heaviside, 3.0, n, m).unwrap();
            let a = d.matrix();
            assert_eq!((a.nrows(), a.ncols()), (n, m));
        }
        // N = M: the diagonal is z = 0 exactly, where heaviside is 0.
        let d = lin(Activation::Heaviside, 1.0, 256, 256).unwrap();
        let a = d.matrix();
        for i in 0..256 {
            assert_eq!(a[(i, i)], 0.0);
            if i > 0 {
                assert_eq!(a[(i, i - 1)], 1.0);
            }
        }
    }

    fn lin(act: Activation, sigma: f64, n: usize, m: usize) -> Result<Design> {
        Design::spec(act).sigma(sigma).n(n).m(m).build()
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(lin(Activation::Tanh, 1.0, 0, 4).is_err());
        assert!(lin(Activation::Tanh, 1.0, 4, 0).is_err());
        assert!(lin(Activation::Tanh, 0.0, 4, 4).is_err());
        assert!(lin(Activation::Tanh, f64::NAN, 4, 4).is_err());
        assert!(Design::new(Activation::Tanh, 1.0, vec![f64::INFINITY], vec![0.0]).is_err());
    }

    #[test]
    fn eval_matches_matrix() {
        let d = lin(Activation::Gelu, 7.0, 11, 6).unwrap();
        let w: Vec<f64> = (0..6).map(|j| f64::from(j).sin()).collect();
        let f = d.eval(&w, d.x()).unwrap();
        let a = d.matrix();
        for i in 0..11 {
            let fi: f64 = (0..6).map(|j| a[(i, j)] * w[j]).sum();
            assert!((fi - f[i]).abs() < 1e-14);
        }
    }
}
