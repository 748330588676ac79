//! The journal: one append-only file per process, the only file a running
//! sweep writes to while it runs.
//!
//! File `journal/<writer>.log`, where `<writer>` is
//! `s<k>of<K>-<host>-<pid>-<start ns>`: one writer per file, so no locks are
//! needed on any file system (NFS and Lustre included). Layout:
//!
//! * 8 bytes of magic, `GDSJRN01`;
//! * records, each `len` (u32, little endian), `crc` (CRC-32/ISO-HDLC of the
//!   payload, u32 LE, the checksum of zlib and PNG), then `len` bytes of JSON
//!   payload (a [`Record`]).
//!
//! A finished group is written as a [`Record::Group`] (its rows), then a
//! [`Record::Commit`] naming the group and the CRC of the group record; the
//! file is synced after each. On reading, the first record that is short
//! (torn by a kill or power loss) or whose CRC does not match ends the file:
//! it and everything after it are ignored, and a group counts only when its
//! commit was read. A kill at any moment therefore loses at most the groups
//! in flight. Floats are stored as their IEEE-754 bits, so NaN and ±∞ come
//! back exactly.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::results::Row;
use crate::error::{Error, Result};
use crate::output::atomic::sync_folder;

/// The first 8 bytes of every journal.
pub const MAGIC: &[u8; 8] = b"GDSJRN01";

/// One record of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Who writes this file, for which plan.
    Header {
        /// The writer id (the file name).
        writer: String,
        /// Settings id of the plan.
        settings_id: String,
    },
    /// The rows of the finished runs of one group (not yet counted).
    Group {
        /// Group id.
        group: String,
        /// Run ids computed.
        runs: Vec<String>,
        /// One row per (run, checkpoint).
        rows: Vec<Row>,
    },
    /// Makes the preceding group record count.
    Commit {
        /// Group id.
        group: String,
        /// CRC of the group record's payload.
        crc: u32,
    },
    /// A group that could not run (engine error); retried on resume.
    Failed {
        /// Group id.
        group: String,
        /// Run ids attempted.
        runs: Vec<String>,
        /// The error.
        error: String,
    },
}

/// Frames a payload: len, crc, bytes.
#[must_use]
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The writer of one journal file.
#[derive(Debug)]
pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

/// A writer id: `s<k>of<K>-<host>-<pid>-<start ns>` (only `[A-Za-z0-9._-]`).
#[must_use]
pub fn writer_id(shard: (usize, usize)) -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let host: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "s{}of{}-{host}-{}-{ns}",
        shard.0 + 1,
        shard.1,
        std::process::id()
    )
}

impl JournalWriter {
    /// Creates `dir/journal/<writer>.log` (never an existing file).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn create(dir: &Path, writer: &str, settings_id: &str) -> Result<Self> {
        let folder = dir.join("journal");
        fs::create_dir_all(&folder).map_err(|e| Error::io("cannot create folder", &folder, e))?;
        let path = folder.join(format!("{writer}.log"));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("cannot create", &path, e))?;
        let mut w = JournalWriter { file, path };
        w.write_synced(MAGIC)?;
        sync_folder(&folder);
        w.append(&Record::Header {
            writer: writer.to_string(),
            settings_id: settings_id.to_string(),
        })?;
        Ok(w)
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_synced(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io("cannot write", &self.path, e))
    }

    /// Appends one record and syncs; returns the CRC of its payload.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn append(&mut self, record: &Record) -> Result<u32> {
        let payload = serde_json::to_vec(record)
            .map_err(|e| Error::format(&self.path, format!("cannot encode a record: {e}")))?;
        self.write_synced(&frame(&payload))?;
        Ok(crc32fast::hash(&payload))
    }

    /// Writes a group's rows and its commit record (synced after each).
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn commit_group(&mut self, group: &str, runs: Vec<String>, rows: Vec<Row>) -> Result<()> {
        let crc = self.append(&Record::Group {
            group: group.to_string(),
            runs,
            rows,
        })?;
        self.append(&Record::Commit {
            group: group.to_string(),
            crc,
        })?;
        Ok(())
    }
}

/// What one journal holds once read.
#[derive(Clone, Debug, Default)]
pub struct JournalContent {
    /// Committed groups: (group id, run ids, rows), in commit order.
    pub committed: Vec<(String, Vec<String>, Vec<Row>)>,
    /// Failed attempts: (group id, run ids, error).
    pub failed: Vec<(String, Vec<String>, String)>,
    /// Settings id from the header.
    pub settings_id: Option<String>,
    /// Bytes ignored at the end (a torn or corrupt record and what follows).
    pub ignored_bytes: usize,
}

/// Reads a journal's bytes: records up to the first torn or corrupt one;
/// groups without their commit are dropped.
#[must_use]
pub fn read_bytes(bytes: &[u8]) -> JournalContent {
    let mut out = JournalContent::default();
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        out.ignored_bytes = bytes.len();
        return out;
    }
    let mut pos = MAGIC.len();
    let mut pending: Option<(String, Vec<String>, Vec<Row>, u32)> = None;
    while pos < bytes.len() {
        let Some(head) = bytes.get(pos..pos + 8) else {
            break;
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(payload) = bytes.get(pos + 8..pos + 8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Ok(record) = serde_json::from_slice::<Record>(payload) else {
            break;
        };
        pos += 8 + len;
        match record {
            Record::Header { settings_id, .. } => out.settings_id = Some(settings_id),
            Record::Group { group, runs, rows } => pending = Some((group, runs, rows, crc)),
            Record::Commit { group, crc } => {
                if let Some((g, runs, rows, c)) = pending.take()
                    && g == group
                    && c == crc
                {
                    out.committed.push((g, runs, rows));
                }
            }
            Record::Failed { group, runs, error } => out.failed.push((group, runs, error)),
        }
    }
    out.ignored_bytes = bytes.len() - pos;
    out
}

/// Reads every `journal/*.log` of a sweep folder, in file-name order.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be listed or a file read.
pub fn read_folder(dir: &Path) -> Result<Vec<(PathBuf, JournalContent)>> {
    let folder = dir.join("journal");
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = fs::read_dir(&folder)
        .map_err(|e| Error::io("cannot list", &folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).map_err(|e| Error::io("cannot read", &p, e))?;
            Ok((p, read_bytes(&bytes)))
        })
        .collect()
}
