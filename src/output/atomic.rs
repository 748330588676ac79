//! Durable file writes: a reader sees the old file or the new one, never a
//! partial one.
//!
//! Every file the library writes whole goes through [`write_atomic`]: the
//! content is written to a temporary name in the same folder (so the rename
//! cannot cross file systems), flushed and `fsync`ed, renamed over the
//! target, and the folder is synced so the rename itself survives a power
//! loss. On any error the temporary file is removed and an existing target is
//! left as it was. This needs no lock and works on NFS and Lustre, where
//! `rename` within one folder is atomic.
//!
//! [`Staged`] does the same for several files that belong together (a table
//! and its companion files): every file is written and synced under its
//! temporary name first, and only when all of them succeeded are they renamed
//! into place. A failure before the renames leaves every target untouched.
//!
//! [`check_writable`] is the pre-flight check commands run on every output
//! path before any computation, so that a result is never computed only to
//! be lost to a missing folder or a read-only disk.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Distinguishes temporary names made by one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The folder a path lives in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary name beside `path`: hidden, and unique per process and call.
fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    folder_of(path).join(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Creates the folder that will hold `path` (and its parents) if missing.
///
/// # Errors
/// [`Error::Io`] naming the folder when it cannot be created, or when a
/// component of it exists and is not a folder.
pub fn create_parent(path: &Path) -> Result<()> {
    let dir = folder_of(path);
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))
}

/// Syncs a folder so that a rename or a new entry in it is durable. Best
/// effort: file systems that cannot sync a folder (some network mounts)
/// report an error that is ignored, since the data itself is already synced.
pub fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `path` atomically: `fill` writes the content to a buffered
/// temporary file in the same folder, which is then synced and renamed over
/// `path`. Missing parent folders are created.
///
/// # Errors
/// [`Error::Io`] naming `path` when the folder cannot be created or the file
/// cannot be written, synced or renamed; an existing `path` is then intact.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let mut staged = Staged::new();
    staged.add(path, fill)?;
    staged.commit()
}

/// Writes `bytes` to `path` atomically (see [`write_atomic`]).
///
/// # Errors
/// As [`write_atomic`].
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Several files written under temporary names and renamed into place
/// together by [`Staged::commit`]. Dropping a `Staged` without committing
/// removes its temporary files.
#[derive(Debug, Default)]
pub struct Staged {
    /// (temporary, target) pairs, all written and synced.
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes one file of the set under a temporary name and syncs it.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`; the set's other files are kept staged
    /// (drop the set to remove them).
    pub fn add(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        create_parent(path)?;
        let tmp = temp_name(path);
        let result = (|| {
            let file = File::create(&tmp)?;
            let mut w = BufWriter::new(file);
            fill(&mut w)?;
            let file = w
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            file.sync_all()
        })();
        match result {
            Ok(()) => {
                self.files.push((tmp, path.to_path_buf()));
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(Error::io("cannot write", path, e))
            }
        }
    }

    /// Renames every staged file into place, then syncs their folders.
    ///
    /// # Errors
    /// [`Error::Io`] naming the first file that could not be renamed; files
    /// renamed before it stay in place, the rest are removed.
    pub fn commit(mut self) -> Result<()> {
        let files = std::mem::take(&mut self.files);
        let mut folders: Vec<PathBuf> = Vec::new();
        let mut iter = files.into_iter();
        while let Some((tmp, target)) = iter.next() {
            if let Err(e) = fs::rename(&tmp, &target) {
                let _ = fs::remove_file(&tmp);
                for (rest, _) in iter {
                    let _ = fs::remove_file(rest);
                }
                return Err(Error::io("cannot write", &target, e));
            }
            let dir = folder_of(&target).to_path_buf();
            if !folders.contains(&dir) {
                folders.push(dir);
            }
        }
        for dir in &folders {
            sync_folder(dir);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Checks, before any work, that `path` can be written: its folder exists or
/// can be created, is a folder, and accepts a new file; `path` itself is not
/// a folder. `flag` names the option the path came from, for the message.
///
/// Nothing is left behind: missing folders are not created here (the write
/// creates them, for every format alike); the check creates and removes one
/// temporary file in the nearest folder that exists.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag` and the path, with the reason.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    let bad = |why: String| Error::invalid(flag, path.display(), why);
    if path.as_os_str().is_empty() {
        return Err(bad("an output path must not be empty".into()));
    }
    if path.is_dir() {
        return Err(bad("is a folder; give a file name".into()));
    }
    let dir = folder_of(path);
    if dir.exists() && !dir.is_dir() {
        return Err(bad(format!("'{}' is not a folder", dir.display())));
    }
    // The nearest existing ancestor must be a folder that accepts a file.
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(bad(format!("'{}' is not a folder", existing.display())));
    }
    let probe = temp_name(&existing.join("probe"));
    match File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(bad(format!(
            "cannot create a file in '{}': {e}",
            existing.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "gdshrink-atomic-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_whole_and_leaves_no_temporary() {
        let d = tmpdir("replace");
        let p = d.join("a.csv");
        write_bytes_atomic(&p, b"old\n").unwrap();
        write_bytes_atomic(&p, b"new content\n").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new content\n");
        assert_eq!(entries(&d), vec!["a.csv"]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_failing_writer_keeps_the_old_file() {
        let d = tmpdir("fail");
        let p = d.join("a.csv");
        write_bytes_atomic(&p, b"old\n").unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("a.csv"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"old\n");
        assert_eq!(entries(&d), vec!["a.csv"]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_staged_set_is_all_or_nothing_before_commit() {
        let d = tmpdir("staged");
        let (a, b) = (d.join("a.csv"), d.join("sub/b.csv"));
        {
            let mut s = Staged::new();
            s.add(&a, |w| w.write_all(b"a")).unwrap();
            assert!(s.add(&b, |_| Err(std::io::Error::other("no"))).is_err());
            // dropped without commit
        }
        assert!(!a.exists() && !b.exists());
        assert_eq!(entries(&d), vec!["sub"]);
        let mut s = Staged::new();
        s.add(&a, |w| w.write_all(b"a")).unwrap();
        s.add(&b, |w| w.write_all(b"b")).unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"a");
        assert_eq!(fs::read(&b).unwrap(), b"b");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn check_writable_names_the_flag_and_refuses_folders() {
        let d = tmpdir("check");
        let e = check_writable("--out", &d).unwrap_err().to_string();
        assert!(e.contains("--out") && e.contains("folder"), "{e}");
        let file = d.join("f");
        fs::write(&file, "x").unwrap();
        let e = check_writable("--out", &file.join("x.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a folder"), "{e}");
        check_writable("--out", &d.join("new/deeper/x.npy")).unwrap();
        // Nothing is created by the check.
        assert!(!d.join("new").exists());
        let e = check_writable("--out", &file.join("deeper/x.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a folder"), "{e}");
        fs::remove_dir_all(d).unwrap();
    }
}
