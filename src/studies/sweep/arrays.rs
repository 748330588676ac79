//! The arrays a sweep saves when asked (`[output] arrays = ["f", "w"]`):
//! f_q at the N samples and w_q (M weights) of every (run, checkpoint), as
//! NPY files, one per group commit and array — never one per run.
//!
//! A group's commit writes `arrays/<group id>-<runs>.f.npy` (and `.w.npy`),
//! where `<runs>` is the first 8 hex digits of the SHA-256 of the committed
//! run ids: a float64 array of shape (R·C) × N (× M for w), R runs that went
//! to the engine, C checkpoints each, run-major (row r·C + i holds run r at
//! its i-th checkpoint; `reshape(R, C, -1)` gives runs × checkpoints). The
//! rows of the results table say where each (run, q) is: `f_file`/`w_file`
//! (the path relative to the sweep folder; empty when not saved) and
//! `array_row` (−1 when not saved, e.g. a run that failed before it ran).
//! A row whose checkpoint was not reached (a diverged run) is NaN.
//!
//! The files are written whole ([`crate::output::atomic`]) before the group's
//! commit record, so every committed row points at a complete file. A group
//! killed before its commit may leave files that no row names: they are
//! ignored, and overwritten when the same runs are computed again (same
//! name). `merge` copies the files its rows name into the output folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::plan::{Group, Plan, Settings, id_of};
use super::state::FolderState;
use crate::error::{Error, Result};
use crate::output::array::stage_npy;
use crate::output::atomic::{Staged, write_atomic};

/// Folder of the arrays in a sweep folder.
pub const FOLDER: &str = "arrays";

/// The arrays of one group commit, filled run by run.
#[derive(Clone, Debug, Default)]
pub struct GroupArrays {
    /// `arrays/<group id>-<runs>` (relative to the sweep folder).
    pub stem: String,
    /// f rows (N each), when saved.
    pub f: Option<Vec<f64>>,
    /// w rows (M each), when saved.
    pub w: Option<Vec<f64>>,
    /// Rows so far (R·C).
    pub rows: usize,
    /// N.
    pub n: usize,
    /// M.
    pub m: usize,
}

impl GroupArrays {
    /// Empty arrays for the commit of `run_ids` of group `g`, or `None` when
    /// no array is asked.
    #[must_use]
    pub fn new(s: &Settings, g: &Group, run_ids: &[&str]) -> Option<GroupArrays> {
        if !s.save_f() && !s.save_w() {
            return None;
        }
        Some(GroupArrays {
            stem: format!(
                "{FOLDER}/{}-{}",
                g.id,
                &id_of(run_ids.join(",").as_bytes())[..8]
            ),
            f: s.save_f().then(Vec::new),
            w: s.save_w().then(Vec::new),
            rows: 0,
            n: g.params.n,
            m: g.params.m,
        })
    }

    /// The file of `which` (`f` or `w`), relative to the sweep folder.
    #[must_use]
    pub fn file(&self, which: &str) -> String {
        format!("{}.{which}.npy", self.stem)
    }

    /// Appends one (run, checkpoint): f and w (NaN when absent); returns its row.
    pub fn push(&mut self, f: Option<&[f64]>, w: Option<&[f64]>) -> usize {
        let fill = |dst: &mut Vec<f64>, src: Option<&[f64]>, len: usize| match src {
            Some(v) if v.len() == len => dst.extend_from_slice(v),
            _ => dst.extend(std::iter::repeat_n(f64::NAN, len)),
        };
        if let Some(dst) = &mut self.f {
            fill(dst, f, self.n);
        }
        if let Some(dst) = &mut self.w {
            fill(dst, w, self.m);
        }
        self.rows += 1;
        self.rows - 1
    }

    /// Writes the files under `dir`, whole, together (nothing when no run
    /// went to the engine).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn write(&self, dir: &Path) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut staged = Staged::new();
        if let Some(f) = &self.f {
            let shape = [self.rows as u64, self.n as u64];
            stage_npy(&mut staged, &dir.join(self.file("f")), &shape, f)?;
        }
        if let Some(w) = &self.w {
            let shape = [self.rows as u64, self.m as u64];
            stage_npy(&mut staged, &dir.join(self.file("w")), &shape, w)?;
        }
        staged.commit()
    }
}

/// Disk bytes of a group's arrays: R·C rows of N (f) and M (w) f64 values.
#[must_use]
pub fn disk_bytes(s: &Settings, g: &Group) -> f64 {
    let rows = (g.runs.len() * s.checkpoints_per_run()) as f64;
    let mut per_row = 0.0;
    if s.save_f() {
        per_row += g.params.n as f64;
    }
    if s.save_w() {
        per_row += g.params.m as f64;
    }
    rows * per_row * 8.0
}

/// The array files the committed rows of `plan` name, each with the folder
/// it was written in (the folder of the journal that committed the row).
#[must_use]
pub fn referenced(state: &FolderState, plan: &Plan) -> BTreeMap<String, PathBuf> {
    let ids: std::collections::BTreeSet<&str> = plan
        .groups
        .iter()
        .flat_map(|g| g.runs.iter().map(|r| r.id.as_str()))
        .collect();
    let mut out = BTreeMap::new();
    for (row, journal) in state.rows.values() {
        if !ids.contains(row.run_id.as_str()) {
            continue;
        }
        let folder = journal
            .parent()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        for file in [&row.f_file, &row.w_file] {
            if !file.is_empty() {
                out.entry(file.clone()).or_insert_with(|| folder.clone());
            }
        }
    }
    out
}

/// Copies into `out` the array files that the committed rows name and that
/// live in another folder (each written whole); returns how many were copied.
///
/// # Errors
/// [`Error::Io`] naming a file that cannot be read (a committed row names a
/// file that was removed) or written.
pub fn copy_into(out: &Path, state: &FolderState, plan: &Plan) -> Result<usize> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let mut copied = 0;
    for (file, folder) in referenced(state, plan) {
        if same(&folder, out) {
            continue;
        }
        let from = folder.join(&file);
        let mut src = std::fs::File::open(&from)
            .map_err(|e| Error::io("cannot read the array file a committed row names", &from, e))?;
        write_atomic(&out.join(&file), |w| std::io::copy(&mut src, w).map(|_| ()))?;
        copied += 1;
    }
    Ok(copied)
}
