//! Reading and writing arrays: NPY (numpy) and CSV, chosen by file extension.
//!
//! * `.npy`: little-endian f64, C order; 1-D vectors or 2-D tables (rows × columns).
//! * `.csv`: a header line with column names, then one row per line.
//! * `.txt`/other (reading only): whitespace- or comma-separated numbers.
//!
//! Every error names the file.

use std::fs;
use std::path::Path;

use npyz::WriterBuilder;

use crate::error::{Error, Result};

/// A named table of f64 columns of equal length (what `--out` writes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub names: Vec<String>,
    /// Columns, each of the same length.
    pub columns: Vec<Vec<f64>>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// Appends a column (builder style). Shorter columns are padded with NaN on write.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, col: Vec<f64>) -> Self {
        self.push(name, col);
        self
    }

    /// Appends a column.
    pub fn push(&mut self, name: impl Into<String>, col: Vec<f64>) {
        self.names.push(name.into());
        self.columns.push(col);
    }

    /// Number of rows (the longest column).
    pub fn rows(&self) -> usize {
        self.columns.iter().map(Vec::len).max().unwrap_or(0)
    }

    fn cell(&self, c: usize, r: usize) -> f64 {
        self.columns[c].get(r).copied().unwrap_or(f64::NAN)
    }

    /// Writes the table; the format follows the extension (`.npy` or `.csv`).
    /// NPY holds a rows × columns f64 array (column names are not stored: see
    /// the CSV or the JSON output for them).
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut staged = super::atomic::Staged::new();
        self.stage(&mut staged, path)?;
        staged.commit()
    }

    /// Writes the table under a temporary name into `staged`, to be committed
    /// with the set's other files ([`super::atomic::Staged::commit`]).
    pub fn stage(&self, staged: &mut super::atomic::Staged, path: &Path) -> Result<()> {
        match extension(path).as_str() {
            "npy" => {
                let (rows, cols) = (self.rows(), self.columns.len());
                let data: Vec<f64> = (0..rows)
                    .flat_map(|r| (0..cols).map(move |c| (r, c)))
                    .map(|(r, c)| self.cell(c, r))
                    .collect();
                staged.add(path, |file| {
                    npy_into(file, &[rows as u64, cols as u64], &data)
                })
            }
            "csv" => {
                let mut out = String::new();
                out.push_str(&self.names.join(","));
                out.push('\n');
                for r in 0..self.rows() {
                    let line: Vec<String> = (0..self.columns.len())
                        .map(|c| fmt_num(self.cell(c, r)))
                        .collect();
                    out.push_str(&line.join(","));
                    out.push('\n');
                }
                staged.add(path, |w| std::io::Write::write_all(w, out.as_bytes()))
            }
            other => Err(Error::invalid(
                "output file extension",
                format!("'{other}' ({})", path.display()),
                "'.npy' or '.csv'",
            )),
        }
    }
}

/// Shortest round-trip representation of a float; NaN as `nan`.
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v}")
    }
}

/// Writes an f64 array with the given shape (C order) to a `.npy` file,
/// atomically (see [`super::atomic`]); missing folders are created.
pub fn write_npy(path: &Path, shape: &[u64], data: &[f64]) -> Result<()> {
    super::atomic::write_atomic(path, |file| npy_into(file, shape, data))
}

/// Stages an f64 array with the given shape (C order) as a `.npy` file of
/// `staged`, renamed into place with the set's other files.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub fn stage_npy(
    staged: &mut super::atomic::Staged,
    path: &Path,
    shape: &[u64],
    data: &[f64],
) -> Result<()> {
    staged.add(path, |file| npy_into(file, shape, data))
}

/// An f64 NPY array into `file`.
fn npy_into(file: &mut impl std::io::Write, shape: &[u64], data: &[f64]) -> std::io::Result<()> {
    let mut w = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(shape)
        .writer(file)
        .begin_nd()?;
    w.extend(data.iter().copied())?;
    w.finish()
}

/// Writes bytes to a file atomically, creating parent folders.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    super::atomic::write_bytes_atomic(path, bytes)
}

/// Reads an array from a `.npy` file as f64 (any numeric dtype), with its shape.
pub fn read_npy(path: &Path) -> Result<(Vec<u64>, Vec<f64>)> {
    let bytes = fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let npy = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| Error::format(path, format!("not a valid .npy file: {e}")))?;
    let shape = npy.shape().to_vec();
    let dtype = npy.dtype();
    let type_str = match &dtype {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => {
            return Err(Error::format(
                path,
                format!("unsupported dtype {other:?}; expected a plain numeric array"),
            ));
        }
    };
    let bad =
        |e: std::io::Error| Error::format(path, format!("cannot decode {type_str} data: {e}"));
    let data: Vec<f64> = match type_str.trim_start_matches(['<', '>', '|', '=']) {
        "f8" => npy.into_vec::<f64>().map_err(bad)?,
        "f4" => npy
            .into_vec::<f32>()
            .map_err(bad)?
            .into_iter()
            .map(f64::from)
            .collect(),
        "i8" => npy
            .into_vec::<i64>()
            .map_err(bad)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        "i4" => npy
            .into_vec::<i32>()
            .map_err(bad)?
            .into_iter()
            .map(f64::from)
            .collect(),
        "u1" => npy
            .into_vec::<u8>()
            .map_err(bad)?
            .into_iter()
            .map(f64::from)
            .collect(),
        "u2" => npy
            .into_vec::<u16>()
            .map_err(bad)?
            .into_iter()
            .map(f64::from)
            .collect(),
        other => {
            return Err(Error::format(
                path,
                format!("unsupported dtype '{other}'; expected f8, f4, i8, i4, u1 or u2"),
            ));
        }
    };
    Ok((shape, data))
}

/// (N, M) of the matrix A in a 2-D `.npy` file, from its header alone (so a
/// command can plan its memory before reading the data); the same errors as
/// [`read_matrix`] for a file that is not a non-empty 2-D array.
pub fn matrix_shape(path: &Path) -> Result<(usize, usize)> {
    matrix_header(path).map(|(n, m, _)| (n, m))
}

/// (N, M, Fortran order) from the header of a 2-D `.npy` file.
fn matrix_header(path: &Path) -> Result<(usize, usize, bool)> {
    if let Some(problem) = path_problem(path) {
        return Err(Error::format(path, problem));
    }
    let (shape, fortran) = npy_header(path)?;
    let &[n, m] = shape.as_slice() else {
        return Err(Error::format(
            path,
            format!("holds an array of shape {shape:?}; expected a 2-D matrix A (N x M)"),
        ));
    };
    let (n, m) = (n as usize, m as usize);
    if n == 0 || m == 0 {
        return Err(Error::format(
            path,
            format!("holds an empty {n}x{m} matrix; expected N >= 1 rows and M >= 1 columns"),
        ));
    }
    Ok((n, m, fortran))
}

/// Reads a matrix A (a user's design) from a 2-D `.npy` file of any numeric
/// dtype read by [`read_npy`], in C or Fortran order; every entry must be finite.
pub fn read_matrix(path: &Path) -> Result<faer::Mat<f64>> {
    let (n, m, fortran) = matrix_header(path)?;
    let (_, data) = read_npy(path)?;
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        let (i, j) = if fortran {
            (k % n, k / n)
        } else {
            (k / m, k % m)
        };
        return Err(Error::format(
            path,
            format!("A[{i}, {j}] = {}; every entry must be finite", data[k]),
        ));
    }
    Ok(if fortran {
        faer::Mat::from_fn(n, m, |i, j| data[j * n + i])
    } else {
        faer::Mat::from_fn(n, m, |i, j| data[i * m + j])
    })
}

/// The shape of a `.npy` file's array and whether it is stored in Fortran
/// order, from the header alone ([`read_npy`] reads the data in file order).
fn npy_header(path: &Path) -> Result<(Vec<u64>, bool)> {
    let file = fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let header = npyz::NpyFile::new(std::io::BufReader::new(file))
        .map_err(|e| Error::format(path, format!("not a valid .npy file: {e}")))?;
    Ok((
        header.shape().to_vec(),
        header.order() == npyz::Order::Fortran,
    ))
}

/// Reads two columns named `a` and `b` (as in "z", "eta"): a `.npy` of shape
/// (n, 2) (any dtype of [`read_npy`], C or Fortran order), or a `.csv` with
/// two numbers per line (a first line that is not two numbers is a header;
/// blank lines are skipped). Values are returned as read (NaN and ±∞
/// included): the caller judges them.
pub fn read_pairs(path: &Path, a: &str, b: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    match extension(path).as_str() {
        "npy" => {
            let fortran = npy_header(path)?.1;
            let (shape, data) = read_npy(path)?;
            let &[n, 2] = shape.as_slice() else {
                return Err(Error::format(
                    path,
                    format!("holds an array of shape {shape:?}; expected (n, 2): columns {a}, {b}"),
                ));
            };
            let n = n as usize;
            Ok(if fortran {
                (data[..n].to_vec(), data[n..].to_vec())
            } else {
                data.chunks_exact(2).map(|p| (p[0], p[1])).unzip()
            })
        }
        "csv" => read_csv_pairs(path, a, b),
        other => Err(Error::format(
            path,
            format!(
                "unsupported extension '{other}'; expected a .csv with columns {a},{b} or a .npy of shape (n, 2)"
            ),
        )),
    }
}

/// A headerless, flexible, trimming CSV reader: the lines are judged by the caller.
fn csv_reader(path: &Path) -> Result<csv::Reader<fs::File>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::format(path, format!("cannot read CSV: {e}")))
}

fn read_csv_pairs(path: &Path, a: &str, b: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut rdr = csv_reader(path)?;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::format(path, format!("line {}: {e}", line + 1)))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let nums: Vec<Option<f64>> = rec.iter().map(|t| t.parse::<f64>().ok()).collect();
        match nums.as_slice() {
            &[Some(x), Some(y)] => {
                xs.push(x);
                ys.push(y);
            }
            _ if line == 0 => {} // a header line
            _ => {
                return Err(Error::format(
                    path,
                    format!(
                        "line {}: '{}' is not two numbers; expected two columns {a},{b}",
                        line + 1,
                        rec.iter().collect::<Vec<_>>().join(",")
                    ),
                ));
            }
        }
    }
    Ok((xs, ys))
}

/// Why `path` cannot be read as a data file, in words: "no such file",
/// "is a folder, not a file", "is a link to a missing file"; `None` when it
/// is a file (or something else that reading will judge).
#[must_use]
pub fn path_problem(path: &Path) -> Option<&'static str> {
    match (fs::symlink_metadata(path), fs::metadata(path)) {
        (Err(_), _) => Some("no such file"),
        (Ok(_), Err(_)) => Some("is a link to a missing file (dangling link)"),
        (Ok(_), Ok(m)) if m.is_dir() => Some("is a folder, not a file"),
        _ => None,
    }
}

/// Reads one vector of numbers: a 1-D `.npy` (or N×1 / 1×N), a `.csv` (first
/// numeric column; a non-numeric first line is taken as a header), or a text
/// file of whitespace/comma-separated numbers.
pub fn read_vector(path: &Path) -> Result<Vec<f64>> {
    match extension(path).as_str() {
        "npy" => {
            let (shape, data) = read_npy(path)?;
            let elems: u64 = shape.iter().product();
            let is_vector = shape.len() == 1 || shape.iter().filter(|&&d| d > 1).count() <= 1;
            if !is_vector {
                return Err(Error::format(
                    path,
                    format!("holds an array of shape {shape:?}; expected a vector (1-D, or N×1)"),
                ));
            }
            debug_assert_eq!(elems as usize, data.len());
            Ok(data)
        }
        "csv" => read_csv_column(path),
        _ => {
            let text = fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
            text.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
                .enumerate()
                .map(|(i, t)| {
                    t.parse::<f64>().map_err(|_| {
                        Error::format(path, format!("value #{i} '{t}' is not a number"))
                    })
                })
                .collect()
        }
    }
}

fn read_csv_column(path: &Path) -> Result<Vec<f64>> {
    let mut rdr = csv_reader(path)?;
    let mut out = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::format(path, format!("line {}: {e}", line + 1)))?;
        let Some(first) = rec.get(0) else { continue };
        if first.is_empty() {
            continue;
        }
        match first.parse::<f64>() {
            Ok(v) => out.push(v),
            Err(_) if line == 0 => {} // a header line
            Err(_) => {
                return Err(Error::format(
                    path,
                    format!("line {}: '{first}' is not a number", line + 1),
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::format(path, "no numbers found in the first column"));
    }
    Ok(out)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_and_csv_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let t = Table::new().with("a", vec![1.0, 2.0]).with("b", vec![3.5]);
        let csv = dir.path().join("t.csv");
        t.write(&csv).unwrap();
        assert_eq!(fs::read_to_string(&csv).unwrap(), "a,b\n1,3.5\n2,nan\n");
        assert_eq!(read_vector(&csv).unwrap(), vec![1.0, 2.0]);
        let npy = dir.path().join("t.npy");
        t.write(&npy).unwrap();
        let (shape, data) = read_npy(&npy).unwrap();
        assert_eq!(shape, vec![2, 2]);
        assert_eq!(data[..3], [1.0, 3.5, 2.0]);
        assert!(data[3].is_nan());
        let v = dir.path().join("v.npy");
        write_npy(&v, &[3], &[0.0, 0.5, 1.0]).unwrap();
        assert_eq!(read_vector(&v).unwrap(), vec![0.0, 0.5, 1.0]);
        assert!(read_vector(&npy).is_err());
        assert!(t.write(&dir.path().join("t.xlsx")).is_err());
    }
}
