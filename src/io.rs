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

/// The last record of a complete journal.
const JOURNAL_END: &[u8] = b"end";

/// Why an output folder could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{}: another polar-coeffs process ({holder}) is writing here; wait for it to finish", dir.display())]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// What the lock file says of its holder.
        holder: String,
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

/// An output folder held by this process: one writer at a time (an
/// exclusive lock on `DIR/.polar-coeffs.lock`, released by the kernel when
/// the process ends, however it ends), and sets of files swapped in whole.
/// Dropping it releases the folder; the lock file stays.
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
    file: std::fs::File,
}

impl OutputLock {
    /// Takes `dir` (created if missing): refuses while another process holds
    /// it, and first undoes a set whose swap was interrupted (the previous
    /// files come back).
    ///
    /// # Errors
    ///
    /// [`LockError`].
    pub fn take(dir: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io { dir: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder =
                    if holder.trim().is_empty() { "pid unknown".to_string() } else { format!("pid {}", holder.trim()) };
                return Err(LockError::Busy { dir: dir.to_path_buf(), holder });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.write_all(std::process::id().to_string().as_bytes()).map_err(io)?;
        let lock = Self { dir: dir.to_path_buf(), file };
        lock.recover().map_err(io)?;
        Ok(lock)
    }

    /// Undoes an interrupted swap recorded in a complete journal, then
    /// removes the side files a killed writer left in the folder (new
    /// versions not swapped in, old versions not yet deleted).
    fn recover(&self) -> std::io::Result<()> {
        let journal = self.dir.join(JOURNAL_FILE);
        if let Ok(bytes) = std::fs::read(&journal) {
            for entry in parse_journal(&bytes) {
                let (target, old, new) = (&entry.path, side(&entry.path, "old"), side(&entry.path, "new"));
                // Only a target that is still the file this writer swapped
                // in (same inode) is ours to remove or replace.
                let ours = inode(target).is_some_and(|i| i == entry.inode);
                if entry.had_old {
                    if old.exists() && (ours || !target.exists()) {
                        std::fs::rename(&old, target)?;
                    }
                } else if ours {
                    std::fs::remove_file(target)?;
                }
                let _ = std::fs::remove_file(&new);
            }
            std::fs::remove_file(&journal)?;
            sync_dir(&self.dir);
        }
        // A journal still being staged was never renamed into place: its swap
        // had not begun, so there is nothing to undo, only the file to drop
        // (a writer killed at that moment left it).
        let _ = std::fs::remove_file(self.dir.join(format!("{JOURNAL_FILE}.new")));
        remove_side_files(&self.dir, 1);
        Ok(())
    }

    /// Writes `files` as one set: each is written to a new file beside it,
    /// then all are swapped in; the previous versions are kept aside until
    /// every swap succeeded and restored when one fails. A journal in the
    /// folder lets the next [`OutputLock::take`] undo a swap that a killed
    /// process left half done. Targets must be regular files or absent, and
    /// appear once.
    ///
    /// # Errors
    ///
    /// [`WriteError`] naming the file; the previous set is then in place.
    pub fn write_set<C: AsRef<[u8]>>(&self, files: &[(PathBuf, C)]) -> Result<(), WriteError> {
        let fail = |path: &Path, source| WriteError { path: path.to_path_buf(), source };
        let refuse = |path: &Path, why: &str| fail(path, std::io::Error::other(why.to_string()));
        let mut seen = std::collections::BTreeSet::new();
        for (file, _) in files {
            if !seen.insert(file) {
                return Err(refuse(file, "named twice in one set of outputs"));
            }
            if std::fs::symlink_metadata(file).is_ok_and(|m| !m.is_file()) {
                return Err(refuse(file, "exists and is not a regular file (a folder or a link); move it away"));
            }
        }
        // 1. Every new file beside its target.
        let mut inodes = Vec::with_capacity(files.len());
        for (i, (file, contents)) in files.iter().enumerate() {
            match write_new(&side(file, "new"), contents.as_ref()) {
                Ok(ino) => inodes.push(ino),
                Err(source) => {
                    for (f, _) in &files[..=i] {
                        let _ = std::fs::remove_file(side(f, "new"));
                    }
                    return Err(fail(file, source));
                }
            }
        }
        // 2. The journal (complete, or ignored), then the swaps.
        let journal = self.dir.join(JOURNAL_FILE);
        let mut entries = Vec::new();
        for ((f, _), ino) in files.iter().zip(&inodes) {
            let abs = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            entries.extend_from_slice(if f.exists() { b"1\0" } else { b"0\0" });
            entries.extend_from_slice(format!("{ino}\0").as_bytes());
            entries.extend_from_slice(abs.as_os_str().as_encoded_bytes());
            entries.push(0);
        }
        entries.extend_from_slice(JOURNAL_END);
        let staged = journal.with_file_name(format!("{JOURNAL_FILE}.new"));
        let journaled = write_new(&staged, &entries).and_then(|_| std::fs::rename(&staged, &journal));
        if let Err(source) = journaled {
            let _ = std::fs::remove_file(&staged);
            for (f, _) in files {
                let _ = std::fs::remove_file(side(f, "new"));
            }
            return Err(fail(&journal, source));
        }
        sync_dir(&self.dir);
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
        for dir in files.iter().filter_map(|(f, _)| f.parent()).collect::<std::collections::BTreeSet<_>>() {
            sync_dir(dir);
        }
        // 3. Committed: drop the journal, then the old versions.
        std::fs::remove_file(&journal).map_err(|e| fail(&journal, e))?;
        sync_dir(&self.dir);
        for (file, _) in files {
            let _ = std::fs::remove_file(side(file, "old"));
        }
        Ok(())
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// One record of the journal.
struct JournalEntry {
    had_old: bool,
    inode: u64,
    path: PathBuf,
}

/// The records of a journal that ends with its end mark; nothing for a
/// journal cut short (its swap had not begun).
fn parse_journal(bytes: &[u8]) -> Vec<JournalEntry> {
    let Some(body) = bytes.strip_suffix(JOURNAL_END) else { return Vec::new() };
    let fields: Vec<&[u8]> = body.split(|&b| b == 0).collect();
    fields
        .chunks(3)
        .filter_map(|c| match c {
            [had, ino, path] if !path.is_empty() => Some(JournalEntry {
                had_old: *had == b"1",
                inode: std::str::from_utf8(ino).ok()?.parse().ok()?,
                path: path_from_bytes(path),
            }),
            _ => None,
        })
        .collect()
}

/// A path from the bytes the journal holds.
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The inode of a file (0 where the platform has none).
fn inode(path: &Path) -> Option<u64> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some(0)
    }
}

/// Flushes a folder's entries to disk (renames and unlinks); best effort.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes `.<name>.polar-coeffs-new` and `-old` files left in `dir` (and
/// `depth` levels of real subfolders, links not followed) by a writer that
/// was killed; unreadable folders are skipped.
fn remove_side_files(dir: &Path, depth: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            if depth > 0 {
                remove_side_files(&path, depth - 1);
            }
        } else if kind.is_file()
            && name.starts_with('.')
            && (name.ends_with(".polar-coeffs-new") || name.ends_with(".polar-coeffs-old"))
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The hidden file beside `file` that holds its `kind` ("new" or "old")
/// version during a swap.
fn side(file: &Path, kind: &str) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}.polar-coeffs-{kind}"))
}

/// Writes a fresh file (a stale one is removed first, and a link is never
/// followed), synced; returns its inode.
fn write_new(path: &Path, contents: &[u8]) -> std::io::Result<u64> {
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(inode(path).unwrap_or(0))
}
