//! What a sweep folder holds: its plan, the committed rows of every journal,
//! and the comparison of both (done, failed, pending, disagreements); the
//! union of several folders (merge).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::journal::read_folder;
use super::plan::Plan;
use super::results::Row;
use crate::error::{Error, Result};
use crate::output::atomic::{sync_folder, write_bytes_atomic};

/// Reads `plan.json` of a folder, if there is one.
///
/// # Errors
/// [`Error::Io`]/[`Error::Format`] naming the file when it cannot be read.
pub fn read_plan(dir: &Path) -> Result<Option<Plan>> {
    let path = dir.join("plan.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| Error::format(&path, format!("not a sweep plan: {e}")))
}

/// Makes `dir` the folder of `plan`: refuses a folder whose plan has other
/// settings (that would change committed runs) unless `restart`, which moves
/// the old plan, journals, tables and arrays into `discarded-<ns>/`; then writes `plan.json`
/// and `sweep.toml` (`spec_text`) whole.
///
/// # Errors
/// [`Error::InvalidParameter`] explaining the refusal; [`Error::Io`].
pub fn prepare_folder(dir: &Path, plan: &Plan, spec_text: &str, restart: bool) -> Result<()> {
    if let Some(old) = read_plan(dir)?
        && old.settings_id != plan.settings_id
    {
        if !restart {
            return Err(Error::invalid(
                "--out",
                dir.display(),
                format!(
                    "this folder holds a sweep with other settings (checkpoints/metrics {} here, {} now: {}); \
                     committed runs would change. Give a new --out folder, restore the settings, \
                     or pass --restart to set the old results aside and start afresh",
                    settings_line(&old),
                    settings_line(plan),
                    "they are not part of a run's id"
                ),
            ));
        }
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let aside = dir.join(format!("discarded-{ns}"));
        std::fs::create_dir_all(&aside)
            .map_err(|e| Error::io("cannot create folder", &aside, e))?;
        for name in [
            "journal",
            "plan.json",
            "sweep.toml",
            "results.parquet",
            "results.csv",
            "arrays",
        ] {
            let from = dir.join(name);
            if from.exists() {
                std::fs::rename(&from, aside.join(name))
                    .map_err(|e| Error::io("cannot move", &from, e))?;
            }
        }
        sync_folder(dir);
    }
    let json = serde_json::to_vec_pretty(plan)
        .map_err(|e| Error::format(dir.join("plan.json"), e.to_string()))?;
    write_bytes_atomic(&dir.join("plan.json"), &json)?;
    write_bytes_atomic(&dir.join("sweep.toml"), spec_text.as_bytes())?;
    Ok(())
}

fn settings_line(p: &Plan) -> String {
    let s = &p.settings;
    let cps = match (&s.q, &s.k) {
        (Some(q), _) => format!("q = {q:?}"),
        (None, Some(k)) => format!("k = {k:?}"),
        (None, None) => "-".into(),
    };
    format!(
        "[{cps}, heldout = {}, closed_form = {}, allow_unstable = {}, arrays = {:?}]",
        s.heldout, s.closed_form, s.allow_unstable, s.arrays
    )
}

/// Two committed rows for the same (run_id, q) whose results differ.
#[derive(Clone, Debug)]
pub struct Disagreement {
    /// Run id.
    pub run_id: String,
    /// Checkpoint.
    pub q: i64,
    /// The journal of the first row.
    pub first: PathBuf,
    /// The journal of the other.
    pub other: PathBuf,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "disagreement: run {} q {} differs between {} and {}",
            self.run_id,
            self.q,
            self.first.display(),
            self.other.display()
        )
    }
}

/// The committed state of one or more folders.
#[derive(Clone, Debug, Default)]
pub struct FolderState {
    /// Rows by (run_id, q), first committed wins.
    pub rows: BTreeMap<(String, i64), (Row, PathBuf)>,
    /// Committed run ids.
    pub committed: BTreeSet<String>,
    /// Runs whose last attempt failed as a group (engine error) and never committed.
    pub failed: BTreeMap<String, String>,
    /// Rows that disagree.
    pub disagreements: Vec<Disagreement>,
    /// Journals read.
    pub journals: usize,
    /// Bytes ignored at the ends of journals (torn records).
    pub ignored_bytes: usize,
}

impl FolderState {
    /// Reads the journals of `dir` and adds them.
    ///
    /// # Errors
    /// [`Error::Io`] when a journal cannot be read.
    pub fn add_folder(&mut self, dir: &Path) -> Result<()> {
        for (path, content) in read_folder(dir)? {
            self.journals += 1;
            self.ignored_bytes += content.ignored_bytes;
            for (_, runs, rows) in content.committed {
                for r in runs {
                    self.failed.remove(&r);
                    self.committed.insert(r);
                }
                for row in rows {
                    let key = (row.run_id.clone(), row.q);
                    match self.rows.get(&key) {
                        None => {
                            self.rows.insert(key, (row, path.clone()));
                        }
                        Some((first, p)) if !first.same_result(&row) => {
                            self.disagreements.push(Disagreement {
                                run_id: key.0,
                                q: key.1,
                                first: p.clone(),
                                other: path.clone(),
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
            for (_, runs, error) in content.failed {
                for r in runs {
                    if !self.committed.contains(&r) {
                        self.failed.insert(r, error.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// The state of one folder.
    ///
    /// # Errors
    /// As [`FolderState::add_folder`].
    pub fn read(dir: &Path) -> Result<FolderState> {
        let mut s = FolderState::default();
        s.add_folder(dir)?;
        Ok(s)
    }

    /// Done, failed and pending run ids of `plan`: done = committed with every
    /// row ok; failed = committed with a failed status, or a failed attempt.
    #[must_use]
    pub fn tally(&self, plan: &Plan) -> Tally {
        let mut t = Tally::default();
        for g in &plan.groups {
            for r in &g.runs {
                if self.committed.contains(&r.id) {
                    let bad = self
                        .rows
                        .range((r.id.clone(), i64::MIN)..=(r.id.clone(), i64::MAX))
                        .find(|(_, (row, _))| row.status != "ok");
                    match bad {
                        Some((_, (row, _))) => t
                            .failed
                            .push((r.id.clone(), format!("{}: {}", row.status, row.error))),
                        None => t.done.push(r.id.clone()),
                    }
                } else if let Some(e) = self.failed.get(&r.id) {
                    t.failed.push((r.id.clone(), e.clone()));
                } else {
                    t.pending.push(r.id.clone());
                }
            }
        }
        t
    }

    /// Committed rows of the runs of `plan`, sorted by (run_id, q).
    #[must_use]
    pub fn rows_of(&self, plan: &Plan) -> Vec<Row> {
        let ids: BTreeSet<&str> = plan
            .groups
            .iter()
            .flat_map(|g| g.runs.iter().map(|r| r.id.as_str()))
            .collect();
        self.rows
            .values()
            .filter(|(r, _)| ids.contains(r.run_id.as_str()))
            .map(|(r, _)| r.clone())
            .collect()
    }
}

/// Runs by state.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Committed, every row ok.
    pub done: Vec<String>,
    /// (run id, why).
    pub failed: Vec<(String, String)>,
    /// Not committed.
    pub pending: Vec<String>,
}

/// The union of the plans of several folders: groups and runs by id.
///
/// # Errors
/// [`Error::InvalidParameter`] when a folder has no plan or the plans have
/// different settings.
pub fn union_plan(dirs: &[PathBuf]) -> Result<Plan> {
    let mut plan: Option<Plan> = None;
    for d in dirs {
        let p = read_plan(d)?.ok_or_else(|| {
            Error::invalid("folder", d.display(), "a sweep folder (with plan.json)")
        })?;
        match &mut plan {
            None => plan = Some(p),
            Some(u) => {
                if u.settings_id != p.settings_id {
                    return Err(Error::invalid(
                        "folder",
                        d.display(),
                        format!(
                            "a sweep with the same settings as {} (settings ids differ)",
                            dirs[0].display()
                        ),
                    ));
                }
                for g in p.groups {
                    match u.groups.iter_mut().find(|x| x.id == g.id) {
                        None => u.groups.push(g),
                        Some(x) => {
                            for r in g.runs {
                                if !x.runs.iter().any(|y| y.id == r.id) {
                                    x.runs.push(r);
                                }
                            }
                            x.runs.sort_by(|a, b| a.id.cmp(&b.id));
                        }
                    }
                }
            }
        }
    }
    let mut plan =
        plan.ok_or_else(|| Error::invalid("folders", "none", "at least one sweep folder"))?;
    plan.groups.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(plan)
}

/// Merges folders: the union of their plans and their committed rows.
///
/// # Errors
/// As [`union_plan`] and [`FolderState::add_folder`].
pub fn merge_folders(dirs: &[PathBuf]) -> Result<(Plan, FolderState)> {
    let plan = union_plan(dirs)?;
    let mut state = FolderState::default();
    for d in dirs {
        state.add_folder(d)?;
    }
    Ok((plan, state))
}
