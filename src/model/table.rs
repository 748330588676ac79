//! Tabulated activations (`--activation table:FILE`): η given by its values
//! on a grid, usable wherever a built-in activation is (CPU, GPU, spectra,
//! penalties, sweeps).
//!
//! **File.** Two columns z, η: a `.csv` with one point per line (a first line
//! that is not two numbers is a header, e.g. `z,eta`), or a `.npy` of shape
//! (n, 2), any numeric dtype, C or Fortran order
//! ([`crate::output::array::read_pairs`]).
//!
//! **Grid.** At least [`MIN_TABLE_POINTS`] and at most [`MAX_TABLE_POINTS`]
//! points; z strictly increasing and *uniformly spaced*: with
//! h = (z_{n−1} − z_0)/(n − 1), every z_k within [`UNIFORM_TOL`]·h of
//! z_0 + k·h (so a decimal CSV rounding of a uniform grid is accepted). Every
//! value finite and |z|, |η| ≤ [`MAX_TABLE_ABS`] (the GPU holds them in f32);
//! h ≥ 10⁻³⁰.
//!
//! **Interpolation.** Linear between the grid points, the same rule on the CPU
//! (f64) and on the GPU (f32, from a lookup buffer):
//! t = (z − z_0)/h; t ≤ 0 (or NaN on the GPU) gives η_0, t ≥ n − 1 gives
//! η_{n−1}, otherwise k = ⌊t⌋ (at most n − 2) and
//! η(z) = η_k + (t − k)·(η_{k+1} − η_k).
//! Outside the grid the end values are extended as constants: bounded for any
//! z (no f32 overflow on the GPU), the natural continuation of a saturating
//! (tanh-like) or decaying (designed, sinc-like) activation, and η′ is then
//! compactly supported, which keeps the penalty's FFT route exact. A
//! ReLU-like table must therefore cover every z = σ(x − b) the design reaches
//! (|z| ≤ σ on the unit interval). The uniform grid makes the lookup O(1)
//! and loop-free on the GPU (no search per η value).
//!
//! **Identity.** A table is interned once per content ([`TableId`]): the
//! SHA-256 of its points (the f64 bit patterns of z and η, not of the file's
//! bytes) is its identity, so `Activation` stays `Copy + Eq + Hash`; tables
//! are kept for the life of the process (one copy per distinct content).
//! The display name is `table:<path>` (the path as given, the first one
//! under which that content was read); [`crate::model::Activation::id_name`]
//! adds `@sha256:<16 hex digits>`, which sweeps hash into their run ids (so
//! an id changes with the file's content) and which parsing checks against
//! the file (a changed file is refused).

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Fewest points a table may have (one segment).
pub const MIN_TABLE_POINTS: usize = 2;
/// Most points a table may have (4 MiB as f32 on the GPU).
pub const MAX_TABLE_POINTS: usize = 1 << 20;
/// Largest |z| and |η| of a table (the GPU holds them in f32).
pub const MAX_TABLE_ABS: f64 = 1e30;
/// How far a grid point may be from the uniform grid, in units of h.
pub const UNIFORM_TOL: f64 = 1e-6;
/// Smallest grid spacing h (1/h must be an f32).
pub const MIN_TABLE_SPACING: f64 = 1e-30;
/// Hex digits of the digest in [`crate::model::Activation::id_name`].
pub const DIGEST_HEX: usize = 16;

/// Words of the GPU lookup buffer before the values: z_0, 1/h, n − 1, 0.
pub const GPU_HEADER: usize = 4;

const ALLOWED: &str = "a table is a .csv with two columns z,eta (header optional) or a .npy of shape (n, 2), \
     with 2 to 1048576 points, z strictly increasing and uniformly spaced, every value finite with magnitude <= 1e30";

/// η on a uniform grid, linearly interpolated (module docs).
#[derive(Clone, PartialEq)]
pub struct Table {
    source: String,
    digest: [u8; 32],
    z0: f64,
    h: f64,
    values: Vec<f64>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Table({}, {} points on [{}, {}], sha256 {})",
            self.source,
            self.values.len(),
            self.z0,
            self.z_last(),
            self.digest_hex()
        )
    }
}

impl Table {
    /// Validates the points (z, η) of a table read from `source` (module docs
    /// for what is allowed); errors name `source`, the row and the rule.
    pub fn from_columns(source: &str, z: &[f64], eta: &[f64]) -> Result<Table> {
        let bad = |detail: String| Error::format(source, format!("{detail}; {ALLOWED}"));
        if z.len() != eta.len() {
            return Err(bad(format!(
                "{} z values but {} eta values",
                z.len(),
                eta.len()
            )));
        }
        let n = z.len();
        if !(MIN_TABLE_POINTS..=MAX_TABLE_POINTS).contains(&n) {
            return Err(bad(format!("{n} points")));
        }
        for (k, (&zk, &vk)) in z.iter().zip(eta).enumerate() {
            for (name, v) in [("z", zk), ("eta", vk)] {
                if !v.is_finite() {
                    return Err(bad(format!("{name} = {v} at row {}", k + 1)));
                }
                if v.abs() > MAX_TABLE_ABS {
                    return Err(bad(format!(
                        "{name} = {v:e} at row {} is beyond the f32 range kept",
                        k + 1
                    )));
                }
            }
        }
        if let Some(k) = (1..n).find(|&k| z[k] <= z[k - 1]) {
            let what = if z[k] == z[k - 1] {
                "a duplicate z"
            } else {
                "z decreasing (unsorted)"
            };
            return Err(bad(format!(
                "{what} at row {}: z = {} after z = {}",
                k + 1,
                z[k],
                z[k - 1]
            )));
        }
        let h = (z[n - 1] - z[0]) / (n - 1) as f64;
        if h < MIN_TABLE_SPACING {
            return Err(bad(format!("grid spacing h = {h:e} below 1e-30")));
        }
        if let Some(k) =
            (1..n - 1).find(|&k| (z[k] - (z[0] + k as f64 * h)).abs() > UNIFORM_TOL * h)
        {
            return Err(bad(format!(
                "z not uniformly spaced: row {} has z = {}, the uniform grid of h = {h} puts it at {} \
                 (allowed: within 1e-6 h; resample the table)",
                k + 1,
                z[k],
                z[0] + k as f64 * h
            )));
        }
        Ok(Table {
            source: source.to_string(),
            digest: digest(z, eta),
            z0: z[0],
            h,
            values: eta.to_vec(),
        })
    }

    /// Reads and validates a table file (module docs).
    pub fn read(path: &Path) -> Result<Table> {
        let (z, eta) = crate::output::array::read_pairs(path, "z", "eta")?;
        Table::from_columns(&path.display().to_string(), &z, &eta)
    }

    /// η(z), linear between the grid points, constant beyond the ends.
    #[inline]
    pub fn eval(&self, z: f64) -> f64 {
        if z.is_nan() {
            return z;
        }
        let n = self.values.len();
        let t = (z - self.z0) / self.h;
        if t <= 0.0 {
            return self.values[0];
        }
        if t >= (n - 1) as f64 {
            return self.values[n - 1];
        }
        let k = (t.floor() as usize).min(n - 2);
        let (a, b) = (self.values[k], self.values[k + 1]);
        a + (t - k as f64) * (b - a)
    }

    /// The segment k (η between z_k and z_{k+1}) that holds z, clamped to the grid.
    fn segment(&self, z: f64) -> usize {
        let n = self.values.len();
        let t = ((z - self.z0) / self.h).clamp(0.0, (n - 1) as f64);
        if t.is_nan() {
            return 0;
        }
        (t.floor() as usize).min(n - 2)
    }

    /// η′(z): the slope of the segment holding z, 0 outside the grid.
    pub fn slope(&self, z: f64) -> f64 {
        let n = self.values.len();
        if !(z > self.z0 && z < self.z_last()) {
            return 0.0;
        }
        let k = self.segment(z).min(n - 2);
        (self.values[k + 1] - self.values[k]) / self.h
    }

    /// The scale of one f32 evaluation's error at z, in units of u
    /// (see [`crate::precision::eta_tolerance`]): max |η| over the segments
    /// next to z (the value and the interpolation round relative to the end
    /// values, which may be larger than η(z) where η changes sign), plus
    /// (|z| + |z_0| + h)·max |slope| over those segments (t = (z − z_0)/h
    /// rounds by ≈ u·(|z| + |z_0|)/h in index units, which moves η by the
    /// slope times h per index unit; a rounding across a grid point meets the
    /// next segment's slope).
    pub fn error_scale(&self, z: f64) -> f64 {
        let n = self.values.len();
        let k = self.segment(z);
        let lo = k.saturating_sub(1);
        let hi = (k + 2).min(n - 1);
        let v = &self.values[lo..=hi];
        let vmax = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let smax = v
            .windows(2)
            .fold(0.0f64, |m, w| m.max((w[1] - w[0]).abs() / self.h));
        vmax + (z.abs() + self.z0.abs() + self.h) * smax
    }

    /// The path the table was first read from, as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first grid point z_0.
    pub fn z0(&self) -> f64 {
        self.z0
    }

    /// The grid spacing h.
    pub fn h(&self) -> f64 {
        self.h
    }

    /// The last grid point z_0 + (n − 1)·h.
    pub fn z_last(&self) -> f64 {
        self.z0 + (self.values.len() - 1) as f64 * self.h
    }

    /// The values η_k.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The number of points n.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false (a table has at least two points).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Both end values are exactly 0: η itself decays (it is compactly supported).
    pub fn vanishes_at_ends(&self) -> bool {
        self.values[0] == 0.0 && self.values[self.values.len() - 1] == 0.0
    }

    /// The values never decrease.
    pub fn is_monotonic(&self) -> bool {
        self.values.windows(2).all(|w| w[1] >= w[0])
    }

    /// The SHA-256 of the points, as 64 hex digits.
    pub fn digest_hex(&self) -> String {
        self.digest
            .iter()
            .fold(String::with_capacity(64), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }

    /// The GPU lookup buffer: z_0, 1/h, n − 1 (as f32; exact for n ≤ 2²⁴), 0,
    /// then the values, all rounded to f32 (`act_table` in
    /// `shaders/fragments/activations.wgsl`).
    pub fn gpu_words(&self) -> Vec<f32> {
        let mut w = Vec::with_capacity(GPU_HEADER + self.values.len());
        w.extend([
            self.z0 as f32,
            (1.0 / self.h) as f32,
            (self.values.len() - 1) as f32,
            0.0,
        ]);
        w.extend(self.values.iter().map(|&v| v as f32));
        w
    }
}

fn digest(z: &[f64], eta: &[f64]) -> [u8; 32] {
    let mut d = Sha256::new();
    d.update(b"gdshrink activation table v1\n");
    d.update((z.len() as u64).to_le_bytes());
    for (a, b) in z.iter().zip(eta) {
        d.update(a.to_bits().to_le_bytes());
        d.update(b.to_bits().to_le_bytes());
    }
    d.finalize().into()
}

/// A handle to an interned [`Table`]: `Copy`, compared and hashed by the
/// table's content digest.
#[derive(Clone, Copy)]
pub struct TableId(&'static Table);

impl TableId {
    /// Interns `table`: the handle of the table with the same content if one
    /// was interned before (its first path stays its name), else of this one.
    pub fn intern(table: Table) -> TableId {
        static TABLES: OnceLock<Mutex<HashMap<[u8; 32], &'static Table>>> = OnceLock::new();
        let map = TABLES.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = match map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let t = *map
            .entry(table.digest)
            .or_insert_with(|| &*Box::leak(Box::new(table)));
        TableId(t)
    }

    /// Reads, validates and interns the table at `path`.
    pub fn read(path: &Path) -> Result<TableId> {
        Ok(TableId::intern(Table::read(path)?))
    }

    /// The table.
    pub fn table(self) -> &'static Table {
        self.0
    }
}

impl PartialEq for TableId {
    fn eq(&self, other: &Self) -> bool {
        self.0.digest == other.0.digest
    }
}

impl Eq for TableId {}

impl Hash for TableId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.digest.hash(state);
    }
}

impl fmt::Debug for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Parses the part after `table:`: `PATH` or `PATH@sha256:HEX` (the digest
/// prefix of [`crate::model::Activation::id_name`], checked against the file).
pub fn parse_spec(spec: &str) -> Result<TableId> {
    let spec = spec.trim();
    let (path, want) = match spec.rfind("@sha256:") {
        Some(i) => (&spec[..i], Some(&spec[i + "@sha256:".len()..])),
        None => (spec, None),
    };
    let usage = "table:FILE with FILE an existing .csv (two columns z,eta) or .npy (n x 2) file";
    if path.is_empty() {
        return Err(Error::invalid(
            "activation",
            format!("'table:{spec}'"),
            usage,
        ));
    }
    if let Some(problem) = crate::output::array::path_problem(Path::new(path)) {
        return Err(Error::invalid(
            "activation table",
            format!("'{path}'"),
            format!("{problem}: give {usage}"),
        ));
    }
    let id = TableId::read(Path::new(path))?;
    if let Some(want) = want {
        let want = want.trim().to_ascii_lowercase();
        let have = id.table().digest_hex();
        if want.len() < 8 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(
                "activation table digest",
                format!("'{want}'"),
                "8 to 64 hex digits after @sha256:",
            ));
        }
        if !have.starts_with(&want) {
            return Err(Error::format(
                path,
                format!(
                    "the table's content changed: its sha256 is {}, the recorded one {want}; \
                     restore the file or start again with the new table",
                    &have[..DIGEST_HEX]
                ),
            ));
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(z: &[f64], v: &[f64]) -> Result<Table> {
        Table::from_columns("t.csv", z, v)
    }

    #[test]
    fn interpolates_linearly_and_extends_the_ends() {
        let t = table(&[-1.0, 0.0, 1.0, 2.0], &[0.0, 1.0, 3.0, -1.0]).unwrap();
        assert_eq!(t.h(), 1.0);
        assert_eq!(t.eval(-5.0), 0.0);
        assert_eq!(t.eval(-1.0), 0.0);
        assert_eq!(t.eval(-0.5), 0.5);
        assert_eq!(t.eval(0.0), 1.0);
        assert_eq!(t.eval(0.25), 1.5);
        assert_eq!(t.eval(1.5), 1.0);
        assert_eq!(t.eval(2.0), -1.0);
        assert_eq!(t.eval(1e300), -1.0);
        assert_eq!(t.eval(f64::NEG_INFINITY), 0.0);
        assert!(t.eval(f64::NAN).is_nan());
        assert_eq!(t.slope(0.5), 2.0);
        assert_eq!(t.slope(5.0), 0.0);
        assert!(!t.is_monotonic() && !t.vanishes_at_ends());
        let w = t.gpu_words();
        assert_eq!(w[..GPU_HEADER], [-1.0, 1.0, 3.0, 0.0]);
        assert_eq!(w.len(), GPU_HEADER + 4);
    }

    #[test]
    fn bad_tables_are_refused_with_the_rule() {
        let e = |z: &[f64], v: &[f64]| table(z, v).unwrap_err().to_string();
        let msg = e(&[0.0], &[1.0]);
        assert!(
            msg.contains("1 points") && msg.contains("2 to 1048576"),
            "{msg}"
        );
        let msg = e(&[0.0, 2.0, 1.0], &[1.0, 1.0, 1.0]);
        assert!(msg.contains("unsorted") && msg.contains("row 3"), "{msg}");
        let msg = e(&[0.0, 1.0, 1.0], &[1.0, 1.0, 1.0]);
        assert!(msg.contains("duplicate"), "{msg}");
        let msg = e(&[0.0, 1.0, 2.0], &[1.0, f64::NAN, 1.0]);
        assert!(msg.contains("eta = NaN at row 2"), "{msg}");
        let msg = e(&[0.0, 1.0, 2.0], &[1.0, 1e31, 1.0]);
        assert!(msg.contains("f32"), "{msg}");
        let msg = e(&[0.0, 1.0, 3.0], &[1.0, 1.0, 1.0]);
        assert!(
            msg.contains("uniformly spaced") && msg.contains("t.csv"),
            "{msg}"
        );
        let msg = e(&[0.0, 1.0], &[1.0]);
        assert!(msg.contains("2 z values but 1 eta"), "{msg}");
        // A decimal rounding of a uniform grid is uniform.
        assert!(table(&[0.1, 0.2, 0.30000000000000004, 0.4], &[0.0; 4]).is_ok());
    }

    #[test]
    fn identity_is_the_content() {
        let a = TableId::intern(table(&[0.0, 1.0], &[0.0, 1.0]).unwrap());
        let b =
            TableId::intern(Table::from_columns("other.npy", &[0.0, 1.0], &[0.0, 1.0]).unwrap());
        let c = TableId::intern(table(&[0.0, 1.0], &[0.0, 2.0]).unwrap());
        assert_eq!(a, b);
        assert_eq!(b.table().source(), "t.csv");
        assert_ne!(a, c);
        assert_ne!(a.table().digest_hex(), c.table().digest_hex());
    }
}
