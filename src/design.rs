//! The N×M design matrix $A_{ij} = \eta(\sigma (x_i - b_j))$ in f64 (SPEC §1).
//!
//! Aᵀ is the Jacobian of f at the samples with respect to w. The difference
//! $x_i - b_j$ is formed first and then scaled by σ, in the same order as in the
//! WGSL kernels, so that ties x_i = b_j give z = 0 exactly on every path.

use faer::Mat;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::{Error, Result, ensure_finite};
use crate::grid::Grid;

/// A shallow network's fixed part: activation, scale σ, samples x and biases b.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// η.
    pub activation: Activation,
    /// Scale σ > 0 in η(σ(x − b)).
    pub sigma: f64,
    /// Sample positions x_i (N of them).
    pub x: Vec<f64>,
    /// Biases b_j (M of them, the width).
    pub b: Vec<f64>,
}

impl Design {
    /// Validates and builds a design from explicit points.
    pub fn new(activation: Activation, sigma: f64, x: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::invalid("sigma", sigma, "a finite number > 0"));
        }
        if x.is_empty() {
            return Err(Error::invalid("n", 0, "at least 1 sample"));
        }
        if b.is_empty() {
            return Err(Error::invalid("m", 0, "a width of at least 1"));
        }
        ensure_finite("sample grid x", &x)?;
        ensure_finite("bias grid b", &b)?;
        Ok(Design {
            activation,
            sigma,
            x,
            b,
        })
    }

    /// N samples and M biases laid out by the given grids.
    pub fn from_grids(
        activation: Activation,
        sigma: f64,
        n: usize,
        m: usize,
        grid: &Grid,
        bias_grid: &Grid,
    ) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid("n", 0, "at least 1 sample"));
        }
        if m == 0 {
            return Err(Error::invalid("m", 0, "a width of at least 1"));
        }
        let x = grid.points(n, "n")?;
        let b = bias_grid.points(m, "m")?;
        Design::new(activation, sigma, x, b)
    }

    /// N samples and M biases, both `linspace` (the default layout).
    pub fn linspace(activation: Activation, sigma: f64, n: usize, m: usize) -> Result<Self> {
        Design::from_grids(activation, sigma, n, m, &Grid::Linspace, &Grid::Linspace)
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
        if n == 0 {
            return Mat::zeros(0, m);
        }
        // Column-major buffer, one column per parallel task, then one copy into faer's layout.
        let mut buf = vec![0.0f64; n * m];
        buf.par_chunks_mut(n)
            .zip(self.b.par_iter())
            .for_each(|(col, &bj)| {
                for (v, &xi) in col.iter_mut().zip(points) {
                    *v = self.entry(xi, bj);
                }
            });
        faer::MatRef::from_column_major_slice(&buf, n, m).to_owned()
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
            .map(|&p| {
                self.b
                    .iter()
                    .zip(w)
                    .map(|(&bj, &wj)| wj * self.entry(p, bj))
                    .sum()
            })
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
            let d = Design::linspace(Activation::Heaviside, 3.0, n, m).unwrap();
            let a = d.matrix();
            assert_eq!((a.nrows(), a.ncols()), (n, m));
        }
        // N = M: the diagonal is z = 0 exactly, where heaviside is 0.
        let d = Design::linspace(Activation::Heaviside, 1.0, 256, 256).unwrap();
        let a = d.matrix();
        for i in 0..256 {
            assert_eq!(a[(i, i)], 0.0);
            if i > 0 {
                assert_eq!(a[(i, i - 1)], 1.0);
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(Design::linspace(Activation::Tanh, 1.0, 0, 4).is_err());
        assert!(Design::linspace(Activation::Tanh, 1.0, 4, 0).is_err());
        assert!(Design::linspace(Activation::Tanh, 0.0, 4, 4).is_err());
        assert!(Design::linspace(Activation::Tanh, f64::NAN, 4, 4).is_err());
        assert!(Design::new(Activation::Tanh, 1.0, vec![f64::INFINITY], vec![0.0]).is_err());
    }

    #[test]
    fn eval_matches_matrix() {
        let d = Design::linspace(Activation::Gelu, 7.0, 11, 6).unwrap();
        let w: Vec<f64> = (0..6).map(|j| (j as f64).sin()).collect();
        let f = d.eval(&w, &d.x).unwrap();
        let a = d.matrix();
        for i in 0..11 {
            let fi: f64 = (0..6).map(|j| a[(i, j)] * w[j]).sum();
            assert!((fi - f[i]).abs() < 1e-14);
        }
    }
}
