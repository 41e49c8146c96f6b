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
