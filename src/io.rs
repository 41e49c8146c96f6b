//! Writing files: each file through a temporary file and a rename, and a set
//! of files all or none.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let files = vec![(dir.path().join("a.txt"), "a".to_string()), (dir.path().join("b.txt"), "b".to_string())];
//! polar_coeffs::io::write_all(&files).unwrap();
//! assert_eq!(std::fs::read_to_string(dir.path().join("b.txt")).unwrap(), "b");
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write: {source}", path.display())]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and a rename, so that a failed or interrupted write leaves no partial file.
///
/// # Errors
///
/// The I/O error, with the temporary file removed.
pub fn write_atomically(path: &Path, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_ref())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes every file atomically; when one fails, removes those already
/// written, so that a set of outputs lands whole or not at all.
///
/// # Errors
///
/// [`WriteError`] naming the file that failed.
pub fn write_all<C: AsRef<[u8]>>(files: &[(PathBuf, C)]) -> Result<(), WriteError> {
    let mut written: Vec<&Path> = Vec::new();
    for (file, contents) in files {
        if let Err(source) = write_atomically(file, contents) {
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(WriteError { path: file.clone(), source });
        }
        written.push(file);
    }
    Ok(())
}

/// Name of the lock file a writer holds in its output folder.
pub const LOCK_FILE: &str = ".polar-coeffs.lock";

/// Name of the journal of a set being swapped in.
pub const JOURNAL_FILE: &str = ".polar-coeffs.journal";

/// Why an output folder could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error(
        "{}: another polar-coeffs process (pid {pid}) is writing here; wait for it, or remove {} if it is not running",
        dir.display(),
        LOCK_FILE
    )]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// The holder.
        pid: u32,
    },
    /// The lock or the recovery of an interrupted set failed.
    #[error("{}: cannot take the output folder: {source}", dir.display())]
    Io {
        /// The folder.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Whether process `pid` is alive (Linux: `/proc/<pid>`; elsewhere a lock is
/// taken as live).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}

/// An output folder held by this process: one writer at a time, and sets of
/// files swapped in whole. Dropping it releases the folder.
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
}

impl OutputLock {
    /// Takes `dir` (created if missing): refuses when a live process holds
    /// it, takes over a lock left by a dead one, and first undoes a set whose
    /// swap was interrupted (the previous files come back).
    ///
    /// # Errors
    ///
    /// [`LockError`].
    pub fn take(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io { dir: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    f.write_all(std::process::id().to_string().as_bytes()).map_err(io)?;
                    let lock = Self { dir: dir.to_path_buf() };
                    lock.recover().map_err(io)?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if alive(pid) && pid != std::process::id() => {
                            return Err(LockError::Busy { dir: dir.to_path_buf(), pid });
                        }
                        // A lock left by a dead process, or being written
                        // this instant: take it over once.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(LockError::Busy { dir: dir.to_path_buf(), pid: 0 })
    }

    /// Undoes an interrupted swap recorded in the journal, and removes the
    /// side files of a writer killed before its journal (new versions not
    /// yet swapped in) or after it (old versions not yet deleted), in the
    /// folder and its subfolders.
    fn recover(&self) -> std::io::Result<()> {
        let journal = self.dir.join(JOURNAL_FILE);
        let Ok(text) = std::fs::read_to_string(&journal) else {
            return remove_side_files(&self.dir, 1);
        };
        for line in text.lines() {
            let Some((had_old, file)) = line.split_once('\t') else { continue };
            let (target, old, new) = (PathBuf::from(file), side(Path::new(file), "old"), side(Path::new(file), "new"));
            if had_old == "1" {
                if old.exists() {
                    std::fs::rename(&old, &target)?;
                }
            } else if target.exists() && !old.exists() {
                std::fs::remove_file(&target)?;
            }
            let _ = std::fs::remove_file(&new);
        }
        std::fs::remove_file(&journal)?;
        remove_side_files(&self.dir, 1)
    }

    /// Writes `files` as one set: each is written to a temporary file beside
    /// it, then all are swapped in; the previous versions are kept aside
    /// until every swap succeeded and restored when one fails. A journal in
    /// the folder lets the next [`OutputLock::take`] undo a swap that a
    /// killed process left half done.
    ///
    /// # Errors
    ///
    /// [`WriteError`] naming the file; the previous set is then in place.
    pub fn write_set<C: AsRef<[u8]>>(&self, files: &[(PathBuf, C)]) -> Result<(), WriteError> {
        let fail = |path: &Path, source| WriteError { path: path.to_path_buf(), source };
        // 1. Every new file beside its target.
        for (i, (file, contents)) in files.iter().enumerate() {
            if let Err(source) = write_synced(&side(file, "new"), contents.as_ref()) {
                for (f, _) in &files[..=i] {
                    let _ = std::fs::remove_file(side(f, "new"));
                }
                return Err(fail(file, source));
            }
        }
        // 2. The journal, then the swaps.
        let journal = self.dir.join(JOURNAL_FILE);
        // Absolute paths: the process that recovers may run elsewhere.
        let entries: String = files
            .iter()
            .map(|(f, _)| {
                let abs = std::path::absolute(f).unwrap_or_else(|_| f.clone());
                format!("{}\t{}\n", u8::from(f.exists()), abs.display())
            })
            .collect();
        if let Err(source) = write_synced(&journal, entries.as_bytes()) {
            for (f, _) in files {
                let _ = std::fs::remove_file(side(f, "new"));
            }
            return Err(fail(&journal, source));
        }
        for (file, _) in files {
            let swapped = (|| {
                if file.exists() {
                    std::fs::rename(file, side(file, "old"))?;
                }
                std::fs::rename(side(file, "new"), file)
            })();
            if let Err(source) = swapped {
                // Undo everything through the journal, as after a crash.
                let _ = self.recover();
                return Err(fail(file, source));
            }
        }
        // 3. Committed: drop the journal, then the old versions.
        std::fs::remove_file(&journal).map_err(|e| fail(&journal, e))?;
        for (file, _) in files {
            let _ = std::fs::remove_file(side(file, "old"));
        }
        Ok(())
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
    }
}

/// Removes `.<name>.polar-coeffs-new` and `-old` files left in `dir` (and
/// `depth` levels of subfolders) by a writer that was killed.
fn remove_side_files(dir: &Path, depth: u32) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if depth > 0 {
                remove_side_files(&path, depth - 1)?;
            }
        } else if name.starts_with('.') && (name.ends_with(".polar-coeffs-new") || name.ends_with(".polar-coeffs-old"))
        {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The hidden file beside `file` that holds its `kind` ("new" or "old")
/// version during a swap.
fn side(file: &Path, kind: &str) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}.polar-coeffs-{kind}"))
}

fn write_synced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(contents)?;
    f.sync_all()
}
