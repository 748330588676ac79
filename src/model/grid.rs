//! Sample and bias grids on the domain [0, 1] (SPEC §1).
//!
//! * `linspace`: $x_i = i/(N-1)$, computed as a correctly rounded division
//!   (never `i * (1/(N-1))` and never an accumulated step), so that a sample and a
//!   bias with the same index fraction are bit-identical and z = σ(x − b) is
//!   exactly 0 there — in f64 and, after rounding both to f32, on the GPU.
//!   With one point the grid is {0}.
//! * `midpoint`: $x_i = (i + ½)/N$.
//! * user-supplied points (any finite values, any order).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure_finite};

/// How the samples x_i or the biases b_j are laid out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grid {
    /// i/(N−1), i = 0..N−1 (the default).
    #[default]
    Linspace,
    /// (i + ½)/N, i = 0..N−1.
    Midpoint,
    /// Explicit points, used as given.
    Points(Vec<f64>),
}

impl Grid {
    /// The n points of this grid. For [`Grid::Points`] `n` must equal the number of points.
    pub fn points(&self, n: usize, what: &str) -> Result<Vec<f64>> {
        if n == 0 {
            return Err(Error::invalid(
                what,
                0,
                "at least 1 point (N and M must be positive)",
            ));
        }
        Ok(match self {
            Grid::Linspace => linspace(n),
            Grid::Midpoint => midpoint(n),
            Grid::Points(p) => {
                if p.len() != n {
                    return Err(Error::LengthMismatch {
                        what: format!("{what}: user-supplied points"),
                        expected: n,
                        got: p.len(),
                    });
                }
                ensure_finite(what, p)?;
                p.clone()
            }
        })
    }

    /// Number of points when the grid fixes it (user-supplied points), else `None`.
    pub fn fixed_len(&self) -> Option<usize> {
        match self {
            Grid::Points(p) => Some(p.len()),
            _ => None,
        }
    }

    /// Reads user-supplied points from a `.npy`, `.csv` or `.txt` file (one column of numbers).
    pub fn from_file(path: &Path) -> Result<Grid> {
        let p = crate::output::array::read_vector(path)?;
        if p.is_empty() {
            return Err(Error::format(path, "the grid file holds no points"));
        }
        ensure_finite(&format!("grid file '{}'", path.display()), &p)?;
        if let Some(v) = p.iter().find(|v| v.abs() > MAX_ABS_POINT) {
            return Err(Error::format(
                path,
                format!(
                    "holds the point {v:e}; points must satisfy |x| <= {MAX_ABS_POINT:e} so that sigma·(x − b) stays finite"
                ),
            ));
        }
        Ok(Grid::Points(p))
    }

    /// Short label for tables and file metadata.
    pub fn label(&self) -> String {
        match self {
            Grid::Linspace => "linspace".into(),
            Grid::Midpoint => "midpoint".into(),
            Grid::Points(p) => format!("points[{}]", p.len()),
        }
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for Grid {
    type Err = Error;
    /// `linspace`, `midpoint`, or the path of a file with the points.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linspace" | "linear" => Ok(Grid::Linspace),
            "midpoint" | "mid" => Ok(Grid::Midpoint),
            _ => {
                let path = Path::new(s.trim());
                match crate::output::array::path_problem(path) {
                    None => Grid::from_file(path),
                    Some(problem) => Err(Error::invalid(
                        "grid",
                        format!("'{s}'"),
                        format!(
                            "{problem}: give 'linspace', 'midpoint', or the path of an existing .npy/.csv/.txt file of points"
                        ),
                    )),
                }
            }
        }
    }
}

/// Largest |point| a grid file may hold.
pub const MAX_ABS_POINT: f64 = 1e100;

/// x_i = i/(N−1) by correctly rounded division; {0} when N = 1.
pub fn linspace(n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![0.0];
    }
    let d = (n - 1) as f64;
    (0..n).map(|i| i as f64 / d).collect()
}

/// x_i = (i + ½)/N.
pub fn midpoint(n: usize) -> Vec<f64> {
    let d = n as f64;
    (0..n).map(|i| (i as f64 + 0.5) / d).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_is_exact_division() {
        let x = linspace(256);
        assert_eq!(x[0], 0.0);
        assert_eq!(x[255], 1.0);
        for (i, xi) in x.iter().enumerate() {
            assert_eq!(*xi, i as f64 / 255.0);
        }
        // A grid and its f32 rounding agree on ties between N = M grids.
        let b = linspace(256);
        for i in 0..256 {
            assert_eq!(x[i] as f32, b[i] as f32);
        }
        assert_eq!(linspace(1), vec![0.0]);
    }

    #[test]
    fn midpoint_and_points() {
        assert_eq!(midpoint(4), vec![0.125, 0.375, 0.625, 0.875]);
        let g = Grid::Points(vec![0.1, 0.2]);
        assert_eq!(g.points(2, "x").unwrap(), vec![0.1, 0.2]);
        assert!(matches!(
            g.points(3, "x"),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(Grid::Points(vec![f64::NAN]).points(1, "x").is_err());
        assert!(Grid::Linspace.points(0, "n").is_err());
    }

    #[test]
    fn parse_names() {
        assert_eq!("linspace".parse::<Grid>().unwrap(), Grid::Linspace);
        assert_eq!("Midpoint".parse::<Grid>().unwrap(), Grid::Midpoint);
        let e = "chebyshev".parse::<Grid>().unwrap_err().to_string();
        assert!(e.contains("chebyshev") && e.contains("linspace"), "{e}");
    }
}
