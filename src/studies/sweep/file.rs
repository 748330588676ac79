//! The sweep file (TOML) and command-line overrides, parsed into a
//! [`SweepSpec`]: every value kept as text with the line it came from, so
//! that the plan can name the line, the key and the bad value.
//!
//! ```toml
//! [fixed]                       # one value each, named like the `gd` flags
//! n = 64
//! m = 128
//! [axes]                        # every combination of these lists
//! activation = ["tanh", "relu"]
//! alpha = ["auto", "0.5/s_max^2"]
//! [[zip]]                       # lists that vary together (equal lengths)
//! sigma = ["m", 8]
//! signal = ["blocks", "doppler"]
//! [checkpoints]                 # rows of a run, not runs: q, log:LO:HI:COUNT, or k (q(K))
//! q = [1, 10, 100]
//! [metrics]
//! heldout = 97                  # PSNR on 97 midpoints the network never saw
//! closed_form = true            # relative error against the closed form
//! [output]
//! arrays = ["f", "w"]           # f_q (N) and w_q (M) of every (run, q) as NPY, one file per group
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};

/// A parameter of a run: the keys of `[fixed]`, `[axes]` and `[[zip]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// η.
    Activation,
    /// σ: a number, `m` (σ = M) or `n` (σ = N).
    Sigma,
    /// Samples N.
    N,
    /// Width M.
    M,
    /// Sample grid.
    Grid,
    /// Bias grid.
    BiasGrid,
    /// Learning rate α.
    Alpha,
    /// Target y.
    Signal,
    /// GPU strategy.
    Strategy,
    /// cpu or gpu.
    Device,
    /// Device memory for stored matrices (GPU groups).
    MemoryBudget,
}

impl Key {
    /// Every key, in the order runs are listed (outermost first).
    pub const ALL: [Key; 11] = [
        Key::Device,
        Key::Strategy,
        Key::MemoryBudget,
        Key::Activation,
        Key::N,
        Key::M,
        Key::Sigma,
        Key::Grid,
        Key::BiasGrid,
        Key::Signal,
        Key::Alpha,
    ];

    /// The key as written in the file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Key::Activation => "activation",
            Key::Sigma => "sigma",
            Key::N => "n",
            Key::M => "m",
            Key::Grid => "grid",
            Key::BiasGrid => "bias_grid",
            Key::Alpha => "alpha",
            Key::Signal => "signal",
            Key::Strategy => "strategy",
            Key::Device => "device",
            Key::MemoryBudget => "memory_budget",
        }
    }

    /// The key of a name (`bias-grid` is accepted for `bias_grid`).
    #[must_use]
    pub fn from_name(s: &str) -> Option<Key> {
        let s = s.trim().replace('-', "_");
        Key::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value as written, with where it was written (`line` 0: the command line).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The value as text (numbers as TOML wrote them).
    pub text: String,
    /// 1-based line in the sweep file; 0 for a command-line override.
    pub line: usize,
    /// The table the value is in (`fixed`, `axes`, `zip`, `override`).
    pub table: &'static str,
}

impl Token {
    /// An error naming the line, the key and the value.
    #[must_use]
    pub fn error(&self, key: &str, allowed: impl fmt::Display) -> Error {
        Error::invalid(
            self.place(key),
            format!("'{}'", self.text),
            allowed.to_string(),
        )
    }

    /// `line 12: axes.sigma` (or `override sigma`).
    #[must_use]
    pub fn place(&self, key: &str) -> String {
        if self.line == 0 {
            format!("command-line override {key}")
        } else {
            format!("line {}: {}.{key}", self.line, self.table)
        }
    }
}

/// Axes that vary together: every key has the same number of values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The keys (one for an ordinary axis, several for a zip group).
    pub keys: Vec<Key>,
    /// `values[i]` holds one token per key.
    pub values: Vec<Vec<Token>>,
}

/// Checkpoints: the rows of every run.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckpointsSpec {
    /// Iteration counts (a list or `log:LO:HI:COUNT`), as text.
    Q(Token),
    /// Numbers of kept components K; q = q(K) of Prop. 4.2 per group.
    K(Vec<Token>),
}

/// What is measured besides the loss.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// PSNR on this many held-out points (midpoints of [0, 1]); 0: none.
    pub heldout: usize,
    /// Relative error against the closed-form prediction (one SVD per group).
    pub closed_form: bool,
}

/// A sweep file as written (values unparsed), with overrides applied.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// One value per key.
    pub fixed: Vec<(Key, Token)>,
    /// Axes and zip groups, in the order given.
    pub axes: Vec<Axis>,
    /// The checkpoints.
    pub checkpoints: CheckpointsSpec,
    /// Measurements.
    pub metrics: Metrics,
    /// Arrays saved per (run, checkpoint) (`[output] arrays`: `f`, `w`), as
    /// written; empty: none.
    pub arrays: Vec<Token>,
    /// Read α numbers in the neural-tangents convention (α = η/N).
    pub nt: bool,
    /// Run α ≥ 2/s_max² (the divergence is then recorded).
    pub allow_unstable: bool,
    /// Folder relative paths (signal and grid files) are read from.
    pub base: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

type One = Spanned<Scalar>;
type List = Spanned<Vec<Spanned<Scalar>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixed {
    activation: Option<One>,
    sigma: Option<One>,
    n: Option<One>,
    m: Option<One>,
    grid: Option<One>,
    bias_grid: Option<One>,
    alpha: Option<One>,
    signal: Option<One>,
    strategy: Option<One>,
    device: Option<One>,
    memory_budget: Option<One>,
    nt: Option<bool>,
    allow_unstable: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAxes {
    activation: Option<List>,
    sigma: Option<List>,
    n: Option<List>,
    m: Option<List>,
    grid: Option<List>,
    bias_grid: Option<List>,
    alpha: Option<List>,
    signal: Option<List>,
    strategy: Option<List>,
    device: Option<List>,
    memory_budget: Option<List>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheckpoints {
    q: Option<Spanned<toml::Value>>,
    k: Option<List>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    heldout: Option<usize>,
    closed_form: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    arrays: Option<List>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    fixed: RawFixed,
    #[serde(default)]
    axes: RawAxes,
    #[serde(default)]
    zip: Vec<RawAxes>,
    checkpoints: Option<RawCheckpoints>,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    output: RawOutput,
}

/// Line (1-based) of a byte offset.
fn line_of(src: &str, offset: usize) -> usize {
    // Spans from the TOML parser are at character boundaries.
    src.get(..offset).unwrap_or(src).split('\n').count()
}

/// The value as text; a boolean (no parameter is one) comes back as the error.
fn scalar_text(s: &Scalar) -> std::result::Result<String, bool> {
    match s {
        Scalar::Bool(b) => Err(*b),
        Scalar::Int(i) => Ok(i.to_string()),
        Scalar::Float(f) => Ok(format!("{f:?}")),
        Scalar::Str(s) => Ok(s.clone()),
    }
}

fn token(src: &str, v: &One, table: &'static str, key: &str) -> Result<Token> {
    let line = line_of(src, v.span().start);
    let text = scalar_text(v.get_ref()).map_err(|b| {
        Error::invalid(
            format!("line {line}: {table}.{key}"),
            format!("{b} (a boolean)"),
            "a number or a string",
        )
    })?;
    Ok(Token { text, line, table })
}

fn tokens(src: &str, list: &List, table: &'static str, key: &str) -> Result<Vec<Token>> {
    let line = line_of(src, list.span().start);
    if list.get_ref().is_empty() {
        return Err(Error::invalid(
            format!("line {line}: {table}.{key}"),
            "[]",
            "a non-empty list of values",
        ));
    }
    list.get_ref()
        .iter()
        .map(|v| token(src, v, table, key))
        .collect()
}

impl RawFixed {
    fn entries(&self) -> [(Key, Option<&One>); 11] {
        [
            (Key::Activation, self.activation.as_ref()),
            (Key::Sigma, self.sigma.as_ref()),
            (Key::N, self.n.as_ref()),
            (Key::M, self.m.as_ref()),
            (Key::Grid, self.grid.as_ref()),
            (Key::BiasGrid, self.bias_grid.as_ref()),
            (Key::Alpha, self.alpha.as_ref()),
            (Key::Signal, self.signal.as_ref()),
            (Key::Strategy, self.strategy.as_ref()),
            (Key::Device, self.device.as_ref()),
            (Key::MemoryBudget, self.memory_budget.as_ref()),
        ]
    }
}

impl RawAxes {
    fn entries(&self) -> [(Key, Option<&List>); 11] {
        [
            (Key::Activation, self.activation.as_ref()),
            (Key::Sigma, self.sigma.as_ref()),
            (Key::N, self.n.as_ref()),
            (Key::M, self.m.as_ref()),
            (Key::Grid, self.grid.as_ref()),
            (Key::BiasGrid, self.bias_grid.as_ref()),
            (Key::Alpha, self.alpha.as_ref()),
            (Key::Signal, self.signal.as_ref()),
            (Key::Strategy, self.strategy.as_ref()),
            (Key::Device, self.device.as_ref()),
            (Key::MemoryBudget, self.memory_budget.as_ref()),
        ]
    }
}

impl SweepSpec {
    /// Reads a sweep file; relative paths in it are relative to its folder.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Format`] naming the file,
    /// line, key and what is allowed when it is not a valid sweep file.
    pub fn read(path: &Path) -> Result<SweepSpec> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        SweepSpec::parse(&src, &base).map_err(|e| match e {
            Error::Format { detail, .. } => Error::format(path, detail),
            other => Error::format(path, other.to_string()),
        })
    }

    /// Parses the text of a sweep file.
    ///
    /// # Errors
    /// [`Error::Format`]/[`Error::InvalidParameter`] with the line and key.
    pub fn parse(src: &str, base: &Path) -> Result<SweepSpec> {
        let raw: RawFile = toml::from_str(src).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(src, s.start));
            Error::format("sweep file", format!("line {line}: {}", e.message().trim()))
        })?;
        let mut fixed = Vec::new();
        for (key, v) in raw.fixed.entries() {
            if let Some(v) = v {
                fixed.push((key, token(src, v, "fixed", key.name())?));
            }
        }
        let mut axes = Vec::new();
        for (key, list) in raw.axes.entries() {
            if let Some(list) = list {
                let values = tokens(src, list, "axes", key.name())?
                    .into_iter()
                    .map(|t| vec![t])
                    .collect();
                axes.push(Axis {
                    keys: vec![key],
                    values,
                });
            }
        }
        for z in &raw.zip {
            axes.push(zip_axis(src, z)?);
        }
        let checkpoints = checkpoints(src, raw.checkpoints)?;
        let arrays = match &raw.output.arrays {
            Some(list) => tokens(src, list, "output", "arrays")?,
            None => Vec::new(),
        };
        let spec = SweepSpec {
            fixed,
            axes,
            checkpoints,
            metrics: Metrics {
                heldout: raw.metrics.heldout.unwrap_or(0),
                closed_form: raw.metrics.closed_form.unwrap_or(false),
            },
            arrays,
            nt: raw.fixed.nt.unwrap_or(false),
            allow_unstable: raw.fixed.allow_unstable.unwrap_or(false),
            base: base.to_path_buf(),
        };
        spec.check_keys()?;
        Ok(spec)
    }

    /// A key given in more than one place is an error.
    fn check_keys(&self) -> Result<()> {
        let mut seen: Vec<(Key, String)> = Vec::new();
        let places = self
            .fixed
            .iter()
            .map(|(k, t)| (*k, t.place(k.name())))
            .chain(self.axes.iter().flat_map(|a| {
                a.keys
                    .iter()
                    .enumerate()
                    .map(move |(i, k)| (*k, a.values[0][i].place(k.name())))
            }));
        for (k, place) in places {
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == k) {
                return Err(Error::invalid(
                    place,
                    k.name(),
                    format!("each key once: '{k}' is already given at {first}"),
                ));
            }
            seen.push((k, place));
        }
        Ok(())
    }

    /// Applies command-line overrides: `key=v1,v2` sets (or replaces) the
    /// axis `key`, `key+=v` adds values to it (a fixed value becomes the
    /// first value of the axis); `q=…` and `k=…` replace the checkpoints;
    /// `arrays=f,w` sets the saved arrays (`arrays=none`: none), `arrays+=w`
    /// adds to them.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the override.
    pub fn apply_overrides(&mut self, overrides: &[String]) -> Result<()> {
        for o in overrides {
            self.apply_override(o)?;
        }
        self.check_keys()
    }

    fn apply_override(&mut self, o: &str) -> Result<()> {
        let bad = |why: String| Error::invalid("override", format!("'{o}'"), why);
        let Some((lhs, rhs)) = o.split_once('=') else {
            return Err(bad("KEY=VALUE[,VALUE...] or KEY+=VALUE[,VALUE...]".into()));
        };
        let (name, extend) = match lhs.strip_suffix('+') {
            Some(n) => (n.trim(), true),
            None => (lhs.trim(), false),
        };
        let toks: Vec<Token> = rhs
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| Token {
                text: v.to_string(),
                line: 0,
                table: "override",
            })
            .collect();
        if toks.is_empty() {
            return Err(bad("at least one value after '='".into()));
        }
        match name {
            "q" if !extend => {
                self.checkpoints = CheckpointsSpec::Q(Token {
                    text: rhs.trim().to_string(),
                    line: 0,
                    table: "override",
                });
                return Ok(());
            }
            "k" if !extend => {
                self.checkpoints = CheckpointsSpec::K(toks);
                return Ok(());
            }
            "arrays" => {
                if !extend {
                    self.arrays.clear();
                }
                self.arrays.extend(
                    toks.into_iter()
                        .filter(|t| !t.text.eq_ignore_ascii_case("none")),
                );
                return Ok(());
            }
            _ => {}
        }
        let key = Key::from_name(name).ok_or_else(|| {
            bad(format!(
                "a key among {}, q=/k= for the checkpoints, or arrays= for the saved arrays",
                Key::ALL.map(Key::name).join(", ")
            ))
        })?;
        if let Some(a) = self
            .axes
            .iter()
            .find(|a| a.keys.len() > 1 && a.keys.contains(&key))
        {
            let line = a.values[0][0].line;
            return Err(bad(format!(
                "'{key}' varies in the zip group at line {line}; change that group in the file"
            )));
        }
        let mut values: Vec<Token> = Vec::new();
        if extend {
            if let Some(pos) = self.fixed.iter().position(|(k, _)| *k == key) {
                values.push(self.fixed.remove(pos).1);
            } else if let Some(a) = self.axes.iter().find(|a| a.keys == [key]) {
                values.extend(a.values.iter().map(|v| v[0].clone()));
            }
        }
        self.fixed.retain(|(k, _)| *k != key);
        self.axes.retain(|a| a.keys != [key]);
        values.extend(toks);
        self.axes.push(Axis {
            keys: vec![key],
            values: values.into_iter().map(|t| vec![t]).collect(),
        });
        Ok(())
    }
}

fn zip_axis(src: &str, z: &RawAxes) -> Result<Axis> {
    let mut keys = Vec::new();
    let mut cols: Vec<Vec<Token>> = Vec::new();
    for (key, list) in z.entries() {
        if let Some(list) = list {
            let t = tokens(src, list, "zip", key.name())?;
            if let Some(first) = cols.first()
                && first.len() != t.len()
            {
                return Err(Error::invalid(
                    t[0].place(key.name()),
                    format!("{} values", t.len()),
                    format!(
                        "as many values as '{}' in the same zip group ({}): zipped keys vary together",
                        keys.first().map_or("", |k: &Key| k.name()),
                        first.len()
                    ),
                ));
            }
            keys.push(key);
            cols.push(t);
        }
    }
    if keys.is_empty() {
        return Err(Error::invalid(
            "zip",
            "an empty [[zip]] table",
            "at least one key with a list of values",
        ));
    }
    let len = cols[0].len();
    let values = (0..len)
        .map(|i| cols.iter().map(|c| c[i].clone()).collect())
        .collect();
    Ok(Axis { keys, values })
}

fn checkpoints(src: &str, raw: Option<RawCheckpoints>) -> Result<CheckpointsSpec> {
    let allowed = "a [checkpoints] table with q = [1, 10, 100], q = \"log:LO:HI:COUNT\", or k = [1, 2, 4] (q(K) of Prop. 4.2)";
    let Some(raw) = raw else {
        return Err(Error::invalid("checkpoints", "missing", allowed));
    };
    match (raw.q, raw.k) {
        (Some(q), None) => {
            let line = line_of(src, q.span().start);
            let text = match q.into_inner() {
                toml::Value::String(t) => t,
                toml::Value::Array(l) => l
                    .iter()
                    .map(|v| match v {
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Float(f) => format!("{f:?}"),
                        other => format!("<a {}>", other.type_str()),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => format!("<a {}>", other.type_str()),
            };
            Ok(CheckpointsSpec::Q(Token {
                text,
                line,
                table: "checkpoints",
            }))
        }
        (None, Some(k)) => Ok(CheckpointsSpec::K(tokens(src, &k, "checkpoints", "k")?)),
        (Some(_), Some(_)) => Err(Error::invalid("checkpoints", "both q and k", allowed)),
        (None, None) => Err(Error::invalid("checkpoints", "neither q nor k", allowed)),
    }
}
