//! Target signals y: built-in Donoho–Johnstone test functions and data files,
//! and single rows of images or arrays ([`image_row`], [`file_row`]) for the
//! reconstruction experiment.
//!
//! Built-ins follow the WaveLab definitions on t ∈ [0, 1], are sampled at the
//! model's sample points and then **min-max scaled to [0, 1] over those samples**
//! (so no file or download is needed):
//!
//! * `blocks`: Σ_j h_j·(1 + sgn(t − t_j))/2
//! * `bumps`: Σ_j h_j·(1 + |t − t_j|/w_j)⁻⁴
//! * `heavisine`: 4·sin(4πt) − sgn(t − 0.3) − sgn(0.72 − t)
//! * `doppler`: √(t(1 − t))·sin(2π·1.05/(t + 0.05))
//!
//! with t_j = (.1, .13, .15, .23, .25, .40, .44, .65, .76, .78, .81),
//! blocks h_j = (4, −5, 3, −4, 5, −4.2, 2.1, 4.3, −3.1, 2.1, −4.2),
//! bumps h_j = (4, 5, 3, 4, 5, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2),
//! w_j = (.005, .005, .006, .01, .01, .03, .01, .01, .005, .008, .005), sgn(0) = 0.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ensure_finite};

/// A built-in test signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// Piecewise constant.
    Blocks,
    /// Sharp bumps.
    Bumps,
    /// Sine with two jumps.
    Heavisine,
    /// Chirp with decreasing frequency.
    Doppler,
}

impl Builtin {
    /// All built-ins.
    pub const ALL: [Builtin; 4] = [
        Builtin::Blocks,
        Builtin::Bumps,
        Builtin::Heavisine,
        Builtin::Doppler,
    ];

    /// Name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Blocks => "blocks",
            Builtin::Bumps => "bumps",
            Builtin::Heavisine => "heavisine",
            Builtin::Doppler => "doppler",
        }
    }

    /// The raw (unscaled) function value at t.
    pub fn raw(self, t: f64) -> f64 {
        const T: [f64; 11] = [
            0.1, 0.13, 0.15, 0.23, 0.25, 0.40, 0.44, 0.65, 0.76, 0.78, 0.81,
        ];
        match self {
            Builtin::Blocks => {
                const H: [f64; 11] = [4.0, -5.0, 3.0, -4.0, 5.0, -4.2, 2.1, 4.3, -3.1, 2.1, -4.2];
                T.iter()
                    .zip(H)
                    .map(|(&tj, h)| h * (1.0 + sgn(t - tj)) / 2.0)
                    .sum()
            }
            Builtin::Bumps => {
                const H: [f64; 11] = [4.0, 5.0, 3.0, 4.0, 5.0, 4.2, 2.1, 4.3, 3.1, 5.1, 4.2];
                const W: [f64; 11] = [
                    0.005, 0.005, 0.006, 0.01, 0.01, 0.03, 0.01, 0.01, 0.005, 0.008, 0.005,
                ];
                T.iter()
                    .zip(H)
                    .zip(W)
                    .map(|((&tj, h), w)| h * (1.0 + ((t - tj) / w).abs()).powi(-4))
                    .sum()
            }
            Builtin::Heavisine => {
                4.0 * (4.0 * std::f64::consts::PI * t).sin() - sgn(t - 0.3) - sgn(0.72 - t)
            }
            Builtin::Doppler => {
                (t * (1.0 - t)).sqrt() * (2.0 * std::f64::consts::PI * 1.05 / (t + 0.05)).sin()
            }
        }
    }

    /// Sampled at `x` and min-max scaled to [0, 1] over those samples.
    pub fn sample(self, x: &[f64]) -> Vec<f64> {
        minmax_scale(x.iter().map(|&t| self.raw(t)).collect())
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Builtin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let l = s.trim().to_ascii_lowercase();
        Builtin::ALL
            .into_iter()
            .find(|b| b.name() == l)
            .ok_or_else(|| {
                Error::invalid(
                    "signal",
                    format!("'{s}'"),
                    "a built-in signal (blocks, bumps, heavisine, doppler) or the path of a .npy/.csv/.txt file",
                )
            })
    }
}

/// Where the target values come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// A built-in function sampled at the model's samples.
    Builtin(Builtin),
    /// Values read from a file, one per sample (its length must equal N).
    File(PathBuf),
}

impl Default for Signal {
    fn default() -> Self {
        Signal::Builtin(Builtin::Heavisine)
    }
}

impl Signal {
    /// The target y at the samples `x`.
    pub fn values(&self, x: &[f64]) -> Result<Vec<f64>> {
        match self {
            Signal::Builtin(b) => {
                let y = b.sample(x);
                check_scale(b.name(), &y)?;
                Ok(y)
            }
            Signal::File(path) => {
                let y = crate::output::array::read_vector(path)?;
                if y.len() != x.len() {
                    return Err(Error::format(
                        path,
                        format!(
                            "holds {} values but the model has N = {} samples; give one value per sample (e.g. --n {})",
                            y.len(),
                            x.len(),
                            y.len()
                        ),
                    ));
                }
                ensure_finite(&format!("signal file '{}'", path.display()), &y)?;
                check_scale(&self.label(), &y)?;
                Ok(y)
            }
        }
    }

    /// Name for tables and metadata.
    pub fn label(&self) -> String {
        match self {
            Signal::Builtin(b) => b.name().to_string(),
            Signal::File(p) => p.display().to_string(),
        }
    }
}

impl FromStr for Signal {
    type Err = Error;
    /// A built-in name, or the path of an existing file.
    fn from_str(s: &str) -> Result<Self> {
        match s.parse::<Builtin>() {
            Ok(b) => Ok(Signal::Builtin(b)),
            Err(e) => {
                let p = Path::new(s.trim());
                match crate::output::array::path_problem(p) {
                    None => Ok(Signal::File(p.to_path_buf())),
                    // A bare word is a misspelt built-in name.
                    Some("no such file") if !looks_like_path(s) => Err(e),
                    Some(problem) => Err(Error::invalid(
                        "signal",
                        format!("'{s}'"),
                        format!(
                            "{problem}: give a built-in signal (blocks, bumps, heavisine, doppler) \
                             or an existing .npy/.csv/.txt file"
                        ),
                    )),
                }
            }
        }
    }
}

/// Whether a word names a path rather than a built-in (it has a folder
/// separator or an extension).
fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains('\\') || Path::new(s.trim()).extension().is_some()
}

/// Largest |y| accepted: squares and sums of squares of the target (the
/// loss, ‖y‖) stay finite in f64 with room for N ≤ 10⁹ samples.
pub const MAX_ABS_VALUE: f64 = 1e140;

/// Refuses a target whose squares overflow f64 or that is zero everywhere
/// (gradient descent from w = 0 then stays at 0 and every relative error
/// is undefined).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `signal` and `label`.
pub fn check_scale(label: &str, y: &[f64]) -> Result<()> {
    let amax = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if amax > MAX_ABS_VALUE {
        return Err(Error::invalid(
            "signal",
            format!("'{label}'"),
            format!(
                "values with |y| <= {MAX_ABS_VALUE:e} (this one reaches {amax:e}, whose square overflows f64); rescale it"
            ),
        ));
    }
    if amax == 0.0 {
        return Err(Error::invalid(
            "signal",
            format!("'{label}'"),
            "a target that is not zero at every sample x (check --signal and the sample grid --grid; \
             from w = 0, gradient descent on y = 0 stays at 0)",
        ));
    }
    Ok(())
}

/// Which value of an image pixel becomes the signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Rec. 601 luma 0.299·R + 0.587·G + 0.114·B (the gray value of a gray image).
    #[default]
    Luma,
    /// Red.
    R,
    /// Green.
    G,
    /// Blue.
    B,
}

/// Rec. 601 luma weights (R, G, B), the ones used by PIL's `convert('L')`,
/// OpenCV and MATLAB's `rgb2gray`.
pub const LUMA_601: [f64; 3] = [0.299, 0.587, 0.114];

impl Channel {
    /// Name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Luma => "luma",
            Channel::R => "r",
            Channel::G => "g",
            Channel::B => "b",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "luma" | "gray" | "grey" | "y" => Ok(Channel::Luma),
            "r" | "red" => Ok(Channel::R),
            "g" | "green" => Ok(Channel::G),
            "b" | "blue" => Ok(Channel::B),
            _ => Err(Error::invalid(
                "channel",
                format!("'{s}'"),
                "luma (Rec. 601 gray value), r, g or b",
            )),
        }
    }
}

/// One row of an image (PNG, JPEG or TIFF) as intensities in [0, 1].
///
/// Row 0 is the top row; the result has one value per column (L = width).
/// Integer pixels are divided by the largest value of their type (255 for
/// 8-bit, 65535 for 16-bit images); float images are used as stored. Colour
/// images give the chosen channel, or Rec. 601 luma ([`LUMA_601`]); a gray
/// image gives its gray value for every channel. Alpha is ignored.
pub fn image_row(path: &Path, row: usize, channel: Channel) -> Result<Vec<f64>> {
    let img = image::ImageReader::open(path)
        .map_err(|e| Error::io("cannot read", path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io("cannot read", path, e))?
        .decode()
        .map_err(|e| {
            Error::format(
                path,
                format!("cannot decode the image ({e}); PNG, JPEG and TIFF are supported"),
            )
        })?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    if row >= height {
        return Err(Error::invalid(
            "row",
            row,
            format!(
                "a row index from 0 (top) to {} for the {width}x{height} image '{}'",
                height.saturating_sub(1),
                path.display()
            ),
        ));
    }
    let color = img.color();
    let bits = color.bits_per_pixel() / u16::from(color.channel_count().max(1));
    // (R, G, B) of each pixel of the row, scaled to [0, 1] by the type's range.
    let rgb: Vec<[f64; 3]> = match bits {
        8 => {
            let buf = img.to_rgb8();
            (0..width)
                .map(|c| {
                    buf.get_pixel(c as u32, row as u32)
                        .0
                        .map(|v| f64::from(v) / 255.0)
                })
                .collect()
        }
        16 => {
            let buf = img.to_rgb16();
            (0..width)
                .map(|c| {
                    buf.get_pixel(c as u32, row as u32)
                        .0
                        .map(|v| f64::from(v) / 65535.0)
                })
                .collect()
        }
        _ => {
            let buf = img.to_rgb32f();
            (0..width)
                .map(|c| buf.get_pixel(c as u32, row as u32).0.map(f64::from))
                .collect()
        }
    };
    let gray = !color.has_color();
    let values: Vec<f64> = rgb
        .iter()
        .map(|p| match channel {
            _ if gray => p[0],
            Channel::Luma => LUMA_601[0] * p[0] + LUMA_601[1] * p[1] + LUMA_601[2] * p[2],
            Channel::R => p[0],
            Channel::G => p[1],
            Channel::B => p[2],
        })
        .collect();
    ensure_finite(&format!("row {row} of image '{}'", path.display()), &values)?;
    Ok(values)
}

/// A signal row from a data file, values used as stored.
///
/// * `.npy`: a vector, or one row (`row`) of a 2-D array (C or Fortran order).
/// * `.csv` / `.txt`: numbers separated by commas or white space; a first line
///   that is not numeric is a header. One line or one column is a vector;
///   otherwise `row` picks a line (0 = first line of numbers).
pub fn file_row(path: &Path, row: Option<usize>) -> Result<Vec<f64>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (shape, data, fortran) = if ext == "npy" {
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
        let fortran =
            npyz::NpyFile::new(&bytes[..]).is_ok_and(|f| f.order() == npyz::Order::Fortran);
        let (shape, data) = crate::output::array::read_npy(path)?;
        (shape.iter().map(|&d| d as usize).collect(), data, fortran)
    } else {
        let (rows, cols, data) = read_number_rows(path)?;
        (vec![rows, cols], data, false)
    };
    let dims: Vec<usize> = shape.iter().copied().filter(|&d| d != 1).collect();
    let values = match dims.len() {
        0 | 1 => data,
        2 => {
            let (r, c) = (shape[0], shape[1]);
            let Some(row) = row else {
                return Err(Error::format(
                    path,
                    format!(
                        "holds a {r}x{c} array; choose one row with --row (0 to {})",
                        r - 1
                    ),
                ));
            };
            if shape.len() != 2 || row >= r {
                return Err(Error::invalid(
                    "row",
                    row,
                    format!(
                        "a row index from 0 to {} of the {r}x{c} array in '{}'",
                        r - 1,
                        path.display()
                    ),
                ));
            }
            if fortran {
                (0..c).map(|j| data[j * r + row]).collect()
            } else {
                data[row * c..(row + 1) * c].to_vec()
            }
        }
        _ => {
            return Err(Error::format(
                path,
                format!("holds an array of shape {shape:?}; expected a vector or a 2-D array"),
            ));
        }
    };
    if values.is_empty() {
        return Err(Error::format(path, "holds no values"));
    }
    ensure_finite(&format!("signal file '{}'", path.display()), &values)?;
    Ok(values)
}

/// Lines of numbers (comma or white space separated) → (rows, cols, row-major data).
fn read_number_rows(path: &Path) -> Result<(usize, usize, Vec<f64>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        if cells.is_empty() {
            continue;
        }
        let parsed: std::result::Result<Vec<f64>, _> =
            cells.iter().map(|t| t.parse::<f64>()).collect();
        match parsed {
            Ok(v) => rows.push(v),
            Err(_) if rows.is_empty() && i == 0 => {} // a header line
            Err(_) => {
                return Err(Error::format(
                    path,
                    format!("line {}: not a list of numbers: '{}'", i + 1, line.trim()),
                ));
            }
        }
    }
    let cols = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || cols == 0 {
        return Err(Error::format(path, "no numbers found"));
    }
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
        return Err(Error::format(
            path,
            format!(
                "row {i} has {} values but the first row has {cols}",
                r.len()
            ),
        ));
    }
    let n = rows.len();
    Ok((n, cols, rows.into_iter().flatten().collect()))
}

/// (v − min)/(max − min); all zeros for a constant vector.
pub fn minmax_scale(v: Vec<f64>) -> Vec<f64> {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 {
        return vec![0.0; v.len()];
    }
    v.into_iter().map(|x| (x - lo) / span).collect()
}

fn sgn(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_scaled() {
        let x = crate::model::grid::linspace(64);
        for b in Builtin::ALL {
            let y = b.sample(&x);
            let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!((lo, hi), (0.0, 1.0), "{b}");
        }
        assert!("sawtooth".parse::<Signal>().is_err());
        assert_eq!(
            "doppler".parse::<Signal>().unwrap(),
            Signal::Builtin(Builtin::Doppler)
        );
    }

    #[test]
    fn file_rows_and_channels() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("m.csv");
        std::fs::write(&csv, "a,b,c\n1,2,3\n4,5,6\n").unwrap();
        assert_eq!(file_row(&csv, Some(1)).unwrap(), vec![4.0, 5.0, 6.0]);
        let e = file_row(&csv, None).unwrap_err().to_string();
        assert!(e.contains("2x3") && e.contains("--row"), "{e}");
        assert!(file_row(&csv, Some(2)).is_err());
        let col = dir.path().join("v.txt");
        std::fs::write(&col, "0.5\n0.25\n").unwrap();
        assert_eq!(file_row(&col, None).unwrap(), vec![0.5, 0.25]);
        let npy = dir.path().join("m.npy");
        crate::output::array::write_npy(&npy, &[2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(file_row(&npy, Some(1)).unwrap(), vec![3.0, 4.0]);
        assert_eq!("Green".parse::<Channel>().unwrap(), Channel::G);
        assert!("alpha".parse::<Channel>().is_err());
    }

    #[test]
    fn image_row_scaling() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rgb.png");
        let mut img = image::RgbImage::new(3, 2);
        img.put_pixel(0, 1, image::Rgb([255, 0, 0]));
        img.put_pixel(1, 1, image::Rgb([0, 255, 0]));
        img.put_pixel(2, 1, image::Rgb([0, 0, 51]));
        img.save(&path).unwrap();
        assert_eq!(
            image_row(&path, 1, Channel::R).unwrap(),
            vec![1.0, 0.0, 0.0]
        );
        assert_eq!(
            image_row(&path, 1, Channel::B).unwrap(),
            vec![0.0, 0.0, 0.2]
        );
        let l = image_row(&path, 1, Channel::Luma).unwrap();
        assert!((l[0] - 0.299).abs() < 1e-15 && (l[1] - 0.587).abs() < 1e-15);
        assert!(image_row(&path, 2, Channel::Luma).is_err());
        let gray = dir.path().join("g16.png");
        let mut g = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::new(2, 1);
        g.put_pixel(1, 0, image::Luma([65535]));
        g.save(&gray).unwrap();
        assert_eq!(image_row(&gray, 0, Channel::Luma).unwrap(), vec![0.0, 1.0]);
    }
}
