//! The plan: every run of a sweep, resolved, with its stable id, gathered
//! into groups of runs that share A.
//!
//! Ids are the first 128 bits of SHA-256 over the canonical JSON of the
//! resolved parameters (serde_json, fields in declaration order, numbers in
//! their shortest round-trip form), written as 32 lowercase hex digits. A
//! file the parameters name (signal, grid) enters through the SHA-256 of its
//! content, so an edited file is a new run. σ enters resolved (σ = M with
//! M = 64 is the run σ = 64). The settings shared by every run (checkpoints,
//! metrics, stability flag) have their own id: they are not part of a run's
//! identity, and a folder refuses a plan whose settings differ from its own.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::file::{CheckpointsSpec, Key, SweepSpec, Token};
use crate::error::{Error, Result};
use crate::gd::{LearningRate, QList};
use crate::model::{Activation, Design, DesignSpec, Grid, Sigma};

/// Most runs one sweep file may expand to.
pub const MAX_RUNS: usize = 1_000_000;

/// Format version of `plan.json`.
pub const PLAN_VERSION: u32 = 1;

/// The first 128 bits of SHA-256 of `bytes`, as 32 hex digits.
#[must_use]
pub fn id_of(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d[..16].iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The id of a serializable value (its canonical JSON).
#[must_use]
pub fn id_of_value<T: Serialize>(v: &T) -> String {
    id_of(&serde_json::to_vec(v).unwrap_or_default())
}

fn file_id(path: &Path, what: &str) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(&format!("cannot read {what}"), path, e))?;
    Ok(id_of(&bytes))
}

/// A target: a built-in, a file, or one row of an image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSpec {
    /// A built-in signal by name.
    Builtin(String),
    /// A file of N values; `content` is the id of its bytes.
    File {
        /// The path.
        path: PathBuf,
        /// Id of its content.
        content: String,
    },
    /// Row `row` of an image (Rec. 601 luma in [0, 1]).
    ImageRow {
        /// The image.
        path: PathBuf,
        /// Row, 0 = top.
        row: usize,
        /// Id of its content.
        content: String,
    },
}

impl SignalSpec {
    /// The label in tables.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            SignalSpec::Builtin(b) => b.clone(),
            SignalSpec::File { path, .. } => path.display().to_string(),
            SignalSpec::ImageRow { path, row, .. } => format!("image:{}:{row}", path.display()),
        }
    }

    /// y at the samples `x`; also at held-out points when the signal is a
    /// function (built-ins), `None` otherwise.
    pub fn values(&self, x: &[f64]) -> Result<Vec<f64>> {
        let y = match self {
            SignalSpec::Builtin(b) => {
                return Ok(b.parse::<crate::model::signal::Builtin>()?.sample(x));
            }
            SignalSpec::File { path, .. } => crate::model::Signal::File(path.clone()).values(x)?,
            SignalSpec::ImageRow { path, row, .. } => crate::model::signal::image_row(
                path,
                *row,
                crate::model::signal::Channel::default(),
            )?,
        };
        if y.len() != x.len() {
            return Err(Error::LengthMismatch {
                what: format!("signal {} (one value per sample, N)", self.label()),
                expected: x.len(),
                got: y.len(),
            });
        }
        Ok(y)
    }

    /// y at held-out points, for signals that are functions.
    pub fn heldout(&self, points: &[f64]) -> Option<Vec<f64>> {
        match self {
            SignalSpec::Builtin(b) => b
                .parse::<crate::model::signal::Builtin>()
                .ok()
                .map(|b| b.sample(points)),
            _ => None,
        }
    }
}

/// What runs on A: everything a group shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupParams {
    /// η by name ([`Activation::id_name`]: a table with its content digest).
    pub activation: String,
    /// σ, resolved.
    pub sigma: f64,
    /// Samples N.
    pub n: usize,
    /// Width M.
    pub m: usize,
    /// Sample grid (label; a file's content id in `grid_content`).
    pub grid: String,
    /// Id of the sample grid file's content, if a file.
    pub grid_content: Option<String>,
    /// Bias grid.
    pub bias_grid: String,
    /// Id of the bias grid file's content, if a file.
    pub bias_grid_content: Option<String>,
    /// cpu or gpu.
    pub device: String,
    /// GPU strategy (`primal` on the CPU, whose engine has only that one).
    pub strategy: String,
    /// Device memory for stored matrices (A, K or G), bytes, when given for a
    /// GPU group (`None`: the engine's default, [`crate::gd::DEFAULT_MEMORY_BUDGET`];
    /// always `None` on the CPU). Left out of the id when `None`, so plans
    /// without it keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_budget: Option<u64>,
}

/// One run: a target and a rate on a group's A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Stable id.
    pub id: String,
    /// The target.
    pub signal: SignalSpec,
    /// The rate rule.
    pub alpha: LearningRate,
}

#[derive(Serialize)]
struct RunIdentity<'a> {
    group: &'a GroupParams,
    signal: &'a SignalSpec,
    alpha: LearningRate,
}

/// Runs that share A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Stable id (of [`GroupParams`]).
    pub id: String,
    /// What the runs share.
    pub params: GroupParams,
    /// σ as written (`m`, `n`, or the number).
    pub sigma_rule: String,
    /// The runs, sorted by id.
    pub runs: Vec<Run>,
}

/// Settings every run shares (not part of a run's id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Iteration counts, or none when `k` gives them per group.
    pub q: Option<Vec<u64>>,
    /// Numbers of kept components (q = q(K) per group).
    pub k: Option<Vec<usize>>,
    /// Held-out points for PSNR (0: none).
    pub heldout: usize,
    /// Relative error against the closed form.
    pub closed_form: bool,
    /// Run α ≥ 2/s_max².
    pub allow_unstable: bool,
    /// Arrays saved per (run, checkpoint): `f` (f_q at the N samples) and/or
    /// `w` (w_q, M weights), in that order; empty: none. Left out of the
    /// settings id when empty, so plans without arrays keep their ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrays: Vec<String>,
}

impl Settings {
    /// f_q is saved.
    #[must_use]
    pub fn save_f(&self) -> bool {
        self.arrays.iter().any(|a| a == "f")
    }

    /// w_q is saved.
    #[must_use]
    pub fn save_w(&self) -> bool {
        self.arrays.iter().any(|a| a == "w")
    }

    /// Checkpoints per run: the q list, or at most one per K.
    #[must_use]
    pub fn checkpoints_per_run(&self) -> usize {
        self.q
            .as_ref()
            .map_or_else(|| self.k.as_ref().map_or(1, Vec::len), Vec::len)
    }
}

/// The resolved sweep (`plan.json` in the output folder).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// Shared settings.
    pub settings: Settings,
    /// Id of `settings`.
    pub settings_id: String,
    /// Groups, sorted by id.
    pub groups: Vec<Group>,
}

impl Plan {
    /// Number of runs.
    #[must_use]
    pub fn runs(&self) -> usize {
        self.groups.iter().map(|g| g.runs.len()).sum()
    }

    /// The group and run of a run id.
    #[must_use]
    pub fn find(&self, run_id: &str) -> Option<(&Group, &Run)> {
        self.groups
            .iter()
            .find_map(|g| g.runs.iter().find(|r| r.id == run_id).map(|r| (g, r)))
    }

    /// Resolves, validates and expands a sweep. Every value is checked here,
    /// before anything runs; designs are laid out (not built) to check them.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the line, the key, the value and
    /// what is allowed.
    pub fn from_spec(spec: &SweepSpec) -> Result<Plan> {
        let settings = settings(spec)?;
        // Counted before anything is expanded, so a huge product fails at once.
        let total = spec
            .axes
            .iter()
            .fold(1_usize, |n, a| n.saturating_mul(a.values.len()));
        if total > MAX_RUNS {
            return Err(Error::invalid(
                "sweep",
                format!("{total} combinations of the axes"),
                format!(
                    "at most {MAX_RUNS} runs in one sweep file; split it, or zip axes that vary together"
                ),
            ));
        }
        let mut combos: Vec<BTreeMap<Key, Token>> = vec![spec.fixed.iter().cloned().collect()];
        for axis in &spec.axes {
            let mut next = Vec::with_capacity(combos.len() * axis.values.len());
            for c in &combos {
                for v in &axis.values {
                    let mut c = c.clone();
                    for (k, t) in axis.keys.iter().zip(v) {
                        c.insert(*k, t.clone());
                    }
                    next.push(c);
                }
            }
            combos = next;
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let mut cache = Resolver::new(spec);
        for c in &combos {
            let (params, sigma_rule) = cache.group(c)?;
            let gid = id_of_value(&params);
            let signal = cache.signal(c.get(&Key::Signal))?;
            let alpha = parse_alpha(c.get(&Key::Alpha), spec.nt)?;
            let id = id_of_value(&RunIdentity {
                group: &params,
                signal: &signal,
                alpha,
            });
            let g = groups.entry(gid.clone()).or_insert_with(|| Group {
                id: gid,
                params,
                sigma_rule,
                runs: Vec::new(),
            });
            if !g.runs.iter().any(|r| r.id == id) {
                g.runs.push(Run { id, signal, alpha });
            }
        }
        let mut groups: Vec<Group> = groups.into_values().collect();
        for g in &mut groups {
            g.runs.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(Plan {
            version: PLAN_VERSION,
            settings_id: id_of_value(&settings),
            settings,
            groups,
        })
    }
}

fn settings(spec: &SweepSpec) -> Result<Settings> {
    let (q, k) = match &spec.checkpoints {
        CheckpointsSpec::Q(t) => {
            let q: QList = t
                .text
                .parse()
                .map_err(|e: Error| t.error("q", format!("iteration counts ({e})")))?;
            (Some(q.into_vec()), None)
        }
        CheckpointsSpec::K(ts) => {
            let mut ks = Vec::new();
            for t in ts {
                match t.text.parse::<usize>() {
                    Ok(v) if v >= 1 => ks.push(v),
                    _ => return Err(t.error("k", "a number of kept components K >= 1")),
                }
            }
            ks.sort_unstable();
            ks.dedup();
            (None, Some(ks))
        }
    };
    let mut arrays: Vec<String> = Vec::new();
    for t in &spec.arrays {
        match t.text.trim().to_ascii_lowercase().as_str() {
            a @ ("f" | "w") => arrays.push(a.to_string()),
            _ => {
                return Err(t.error(
                    "arrays",
                    "f (f_q at the N samples) or w (w_q, the M weights)",
                ));
            }
        }
    }
    arrays.sort_unstable();
    arrays.dedup();
    Ok(Settings {
        q,
        k,
        heldout: spec.metrics.heldout,
        closed_form: spec.metrics.closed_form,
        allow_unstable: spec.allow_unstable,
        arrays,
    })
}

/// A byte count: a whole number of bytes, or a number with a unit (`KiB`,
/// `MiB`, `GiB`, `TiB` = powers of 1024; `KB`, `MB`, `GB`, `TB` = powers of
/// 1000; `B`), spaces allowed: `4096`, `64MiB`, `1.5 GiB`. At least 1 byte.
#[must_use]
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0_f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    let v = num.trim().parse::<f64>().ok()? * scale;
    // Below 2^63: a budget larger than any device is still a number.
    (1.0..9.2e18).contains(&v).then(|| v.round() as u64)
}

/// Parses tokens once each (files are hashed once).
struct Resolver<'a> {
    spec: &'a SweepSpec,
    signals: BTreeMap<String, SignalSpec>,
    grids: BTreeMap<String, (Grid, String, Option<String>)>,
}

const DEFAULT_N: usize = 256;
const DEFAULT_M: usize = 1024;

impl<'a> Resolver<'a> {
    fn new(spec: &'a SweepSpec) -> Self {
        Resolver {
            spec,
            signals: BTreeMap::new(),
            grids: BTreeMap::new(),
        }
    }

    fn path(&self, text: &str) -> PathBuf {
        let p = Path::new(text.trim());
        if p.is_relative() {
            self.spec.base.join(p)
        } else {
            p.to_path_buf()
        }
    }

    fn grid(&mut self, t: Option<&Token>, key: Key) -> Result<(Grid, String, Option<String>)> {
        let Some(t) = t else {
            return Ok((Grid::Linspace, "linspace".into(), None));
        };
        if let Some(g) = self.grids.get(&t.text) {
            return Ok(g.clone());
        }
        let g = match t.text.trim().to_ascii_lowercase().as_str() {
            "linspace" => (Grid::Linspace, "linspace".to_string(), None),
            "midpoint" => (Grid::Midpoint, "midpoint".to_string(), None),
            _ => {
                let path = self.path(&t.text);
                if !path.is_file() {
                    return Err(t.error(
                        key.name(),
                        format!(
                            "linspace, midpoint, or an existing file of points ({} does not exist)",
                            path.display()
                        ),
                    ));
                }
                let grid = Grid::from_file(&path).map_err(|e| t.error(key.name(), e))?;
                let content = file_id(&path, "grid file")?;
                (grid, path.display().to_string(), Some(content))
            }
        };
        self.grids.insert(t.text.clone(), g.clone());
        Ok(g)
    }

    /// A `table:FILE` activation with FILE resolved as the grid files are
    /// (relative to the sweep file's folder); any other name as written.
    fn path_of_table(&self, text: &str) -> String {
        let t = text.trim();
        match t.get(..6) {
            Some(head) if head.eq_ignore_ascii_case("table:") => {
                format!("table:{}", self.path(&t[6..]).display())
            }
            _ => t.to_string(),
        }
    }

    fn count(t: Option<&Token>, key: Key, default: usize) -> Result<usize> {
        match t {
            None => Ok(default),
            Some(t) => match t.text.trim().parse::<usize>() {
                Ok(v) if v >= 2 => Ok(v),
                _ => Err(t.error(key.name(), "a whole number >= 2")),
            },
        }
    }

    fn group(&mut self, c: &BTreeMap<Key, Token>) -> Result<(GroupParams, String)> {
        let activation = match c.get(&Key::Activation) {
            None => Activation::Tanh,
            Some(t) => self
                .path_of_table(&t.text)
                .parse::<Activation>()
                .map_err(|e| match e {
                    Error::UnknownActivation { .. } => {
                        t.error("activation", format!("one of {}", Activation::VALID_NAMES))
                    }
                    // A table's own error (missing file, bad rows) says what is wrong.
                    other => t.error("activation", other),
                })?,
        };
        let (grid, grid_label, grid_content) = self.grid(c.get(&Key::Grid), Key::Grid)?;
        let (bias_grid, bias_label, bias_content) =
            self.grid(c.get(&Key::BiasGrid), Key::BiasGrid)?;
        let n = grid
            .fixed_len()
            .map_or_else(|| Self::count(c.get(&Key::N), Key::N, DEFAULT_N), Ok)?;
        let m = bias_grid
            .fixed_len()
            .map_or_else(|| Self::count(c.get(&Key::M), Key::M, DEFAULT_M), Ok)?;
        let (sigma, sigma_rule) = match c.get(&Key::Sigma) {
            None => (m as f64, "m".to_string()),
            Some(t) => match t.text.trim().to_ascii_lowercase().as_str() {
                "m" => (m as f64, "m".into()),
                "n" => (n as f64, "n".into()),
                s => match s.parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => (v, t.text.trim().to_string()),
                    _ => {
                        return Err(t.error(
                            "sigma",
                            "a finite number > 0, 'm' (sigma = M) or 'n' (sigma = N)",
                        ));
                    }
                },
            },
        };
        let device = match c.get(&Key::Device) {
            None => "cpu".to_string(),
            Some(t) => match t.text.trim().to_ascii_lowercase().as_str() {
                d @ ("cpu" | "gpu") => d.to_string(),
                _ => return Err(t.error("device", "cpu (f64 reference) or gpu (f32, wgpu)")),
            },
        };
        let strategy = match c.get(&Key::Strategy) {
            None => crate::gd::Strategy::Auto,
            Some(t) => t
                .text
                .parse::<crate::gd::Strategy>()
                .map_err(|_| t.error("strategy", "auto, primal, dual or matrix-free"))?,
        };
        if device == "cpu"
            && !matches!(
                strategy,
                crate::gd::Strategy::Auto | crate::gd::Strategy::Primal
            )
        {
            let t = c.get(&Key::Strategy).or_else(|| c.get(&Key::Device));
            return Err(t.map_or_else(
                || Error::invalid("strategy", strategy, "auto or primal on the cpu device"),
                |t| t.error("strategy", format!("auto or primal with device = cpu (got {strategy}); the other strategies are the GPU's")),
            ));
        }
        let strategy = if device == "cpu" {
            "primal".to_string()
        } else {
            strategy.to_string()
        };
        let memory_budget = memory_budget(c.get(&Key::MemoryBudget), &device)?;
        // Lays out the points (cheap) so that a bad N, M or grid fails now.
        DesignSpec {
            activation,
            sigma: Sigma::Value(sigma),
            n,
            m,
            grid,
            bias_grid,
        }
        .build()
        .map_err(|e| {
            let place = c
                .get(&Key::N)
                .or_else(|| c.get(&Key::M))
                .map_or_else(|| "design".to_string(), |t| t.place("n/m"));
            Error::invalid(place, e, "a valid network (see gdshrink gd --help)")
        })?;
        Ok((
            GroupParams {
                // With a table's content digest: the id follows the file's content.
                activation: activation.id_name(),
                sigma,
                n,
                m,
                grid: grid_label,
                grid_content,
                bias_grid: bias_label,
                bias_grid_content: bias_content,
                device,
                strategy,
                memory_budget,
            },
            sigma_rule,
        ))
    }

    fn signal(&mut self, t: Option<&Token>) -> Result<SignalSpec> {
        let Some(t) = t else {
            return Ok(SignalSpec::Builtin("heavisine".into()));
        };
        if let Some(s) = self.signals.get(&t.text) {
            return Ok(s.clone());
        }
        let text = t.text.trim();
        let allowed = "blocks, bumps, heavisine, doppler, a file of N values (.npy/.csv/.txt), or image:PATH:ROW";
        let s = if let Ok(b) = text.parse::<crate::model::signal::Builtin>() {
            SignalSpec::Builtin(b.name().to_string())
        } else if let Some(rest) = text.strip_prefix("image:") {
            let (path, row) = rest
                .rsplit_once(':')
                .and_then(|(p, r)| r.parse::<usize>().ok().map(|r| (p, r)))
                .ok_or_else(|| t.error("signal", allowed))?;
            let path = self.path(path);
            if !path.is_file() {
                return Err(t.error(
                    "signal",
                    format!("an existing image ({} does not exist)", path.display()),
                ));
            }
            let content = file_id(&path, "image")?;
            SignalSpec::ImageRow { path, row, content }
        } else {
            let path = self.path(text);
            if !path.is_file() {
                return Err(t.error(
                    "signal",
                    format!(
                        "{allowed} ({} is not a built-in and no such file)",
                        path.display()
                    ),
                ));
            }
            let content = file_id(&path, "signal file")?;
            SignalSpec::File { path, content }
        };
        self.signals.insert(t.text.clone(), s.clone());
        Ok(s)
    }
}

/// The memory budget of a group: checked wherever given, kept for GPU groups
/// only (a CPU group has no device memory); `default` is the engine's.
fn memory_budget(t: Option<&Token>, device: &str) -> Result<Option<u64>> {
    let Some(t) = t else {
        return Ok(None);
    };
    let text = t.text.trim().to_ascii_lowercase();
    let v = if text == "default" {
        None
    } else {
        Some(parse_bytes(&text).ok_or_else(|| {
            t.error(
                "memory_budget",
                "a number of bytes >= 1 with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB), or 'default' (2 GiB)",
            )
        })?)
    };
    Ok(if device == "gpu" { v } else { None })
}

/// `auto`, `C/s_max^2`, `nt:ETA`, or a number (read as η/N when `nt`).
fn parse_alpha(t: Option<&Token>, nt: bool) -> Result<LearningRate> {
    let Some(t) = t else {
        return Ok(LearningRate::AUTO);
    };
    let allowed =
        "a number > 0, 'auto' (1/s_max^2), 'C/s_max^2' with C > 0, or 'nt:ETA' (alpha = ETA/N)";
    let s = t.text.trim().to_ascii_lowercase();
    let num = |v: &str| match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(t.error("alpha", allowed)),
    };
    if s == "auto" {
        Ok(LearningRate::AUTO)
    } else if let Some(c) = s.strip_suffix("/s_max^2") {
        Ok(LearningRate::OverSmax2(num(c)?))
    } else if let Some(eta) = s.strip_prefix("nt:") {
        Ok(LearningRate::Nt(num(eta)?))
    } else {
        Ok(LearningRate::Value(num(&s)?).with_nt(nt))
    }
}

/// The groups shard `k` of `count` runs (0-based `k`): groups sorted by
/// estimated cost (largest first, ties by id), each given to the shard with
/// the least cost so far (ties: the lower shard). Deterministic for a plan.
#[must_use]
pub fn shard_groups(plan: &Plan, k: usize, count: usize) -> Vec<&Group> {
    let mut order: Vec<&Group> = plan.groups.iter().collect();
    order.sort_by(|a, b| {
        group_cost(&plan.settings, b)
            .total_cmp(&group_cost(&plan.settings, a))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut load = vec![0.0_f64; count.max(1)];
    let mut mine = Vec::new();
    for g in order {
        let (best, _) = load
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(&b.0)))
            .unwrap_or((0, &0.0));
        load[best] += group_cost(&plan.settings, g);
        if best == k {
            mine.push(g);
        }
    }
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    mine
}

/// Largest iteration count of a group when known before A (`q` lists);
/// q(K) rules are estimated at 10⁴.
#[must_use]
pub fn q_max_estimate(s: &Settings) -> u64 {
    s.q.as_ref()
        .and_then(|q| q.last().copied())
        .unwrap_or(10_000)
}

/// Estimated flops of a group: A (η per entry, 16 flops), s_max (Lanczos,
/// ~50 products), GD (4·N·M per run and step), SVD (closed form, q(K): ~10·N·M·min).
#[must_use]
pub fn group_cost(s: &Settings, g: &Group) -> f64 {
    let (n, m) = (g.params.n as f64, g.params.m as f64);
    let nm = n * m;
    let svd = if s.closed_form || s.k.is_some() {
        10.0 * nm * n.min(m)
    } else {
        0.0
    };
    16.0 * nm + 100.0 * nm + svd + 4.0 * nm * g.runs.len() as f64 * q_max_estimate(s) as f64
}

/// Host bytes of a group: A (f64) when the host builds it
/// ([`super::device::host_needs_a`]) and, with the closed form or q(K), the
/// thin SVD; plus per run the recorded checkpoints (f at N samples and
/// held-out points, w when saved) and the saved arrays' copies.
#[must_use]
pub fn group_bytes(s: &Settings, g: &Group, runs: usize) -> (f64, f64) {
    let (n, m) = (g.params.n as f64, g.params.m as f64);
    let mut shared = 0.0;
    if super::device::host_needs_a(s, g) {
        shared += n * m * 8.0;
    }
    if s.closed_form || s.k.is_some() {
        shared += (n * n.min(m) + m * n.min(m) + n.min(m)) * 8.0 + n * m * 8.0;
    }
    let cps = s.checkpoints_per_run() as f64;
    let mut per_cp = n + s.heldout as f64;
    if s.save_f() {
        per_cp += n;
    }
    if s.save_w() {
        per_cp += 2.0 * m;
    }
    let per_run = (cps * per_cp + 4.0 * (n + m)) * 8.0;
    (shared, per_run * runs as f64)
}

/// The design of a group.
pub fn design(g: &GroupParams) -> Result<Design> {
    let grid = |label: &str| -> Result<Grid> {
        match label {
            "linspace" => Ok(Grid::Linspace),
            "midpoint" => Ok(Grid::Midpoint),
            p => Grid::from_file(Path::new(p)),
        }
    };
    DesignSpec {
        activation: g.activation.parse()?,
        sigma: Sigma::Value(g.sigma),
        n: g.n,
        m: g.m,
        grid: grid(&g.grid)?,
        bias_grid: grid(&g.bias_grid)?,
    }
    .build()
}
