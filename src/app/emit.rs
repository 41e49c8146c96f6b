//! `emit`: tables written by `run`, re-emitted in other formats without
//! solving again.

use std::path::{Path, PathBuf};

use super::source::read_table_json;
use super::{AppError, create_dir};
use crate::emit::render_all;
use crate::io::write_all;
use crate::table::OutputFormat;

/// Renders every table in every format, then writes them all (or none).
///
/// # Errors
///
/// [`AppError`] naming the file that could not be read, rendered or written.
pub fn run(jsons: &[PathBuf], formats: &[OutputFormat], out: &Path) -> Result<Vec<PathBuf>, AppError> {
    let mut files = Vec::new();
    for path in jsons {
        let doc = read_table_json(path)?;
        files.extend(render_all(&doc, formats, out).map_err(|e| AppError::new(format!("{}: {e}", path.display())))?);
    }
    create_dir(out, "output folder")?;
    write_all(&files).map_err(|e| AppError::new(e.to_string()))?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
