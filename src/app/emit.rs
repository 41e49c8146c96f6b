//! `emit`: tables written by `run`, re-emitted in other formats without
//! solving again.

use std::path::{Path, PathBuf};

use super::source::read_table_json;
use super::{AppError, refuse_duplicates};
use crate::emit::render_all;
use crate::io::OutputLock;
use crate::table::OutputFormat;

/// What `emit` wrote.
#[derive(Debug, Clone, Default)]
pub struct EmitOutcome {
    /// The files, in order.
    pub written: Vec<PathBuf>,
    /// Whether every table's minimax steps converged.
    pub all_converged: bool,
}

/// Renders every table in every format, then writes them all (or none). The
/// certified errors are computed again from the coefficients read, never
/// copied from the file.
///
/// # Errors
///
/// [`AppError`] naming the file that could not be read, rendered or written.
pub fn run(jsons: &[PathBuf], formats: &[OutputFormat], out: &Path) -> Result<EmitOutcome, AppError> {
    let mut files = Vec::new();
    let mut all_converged = true;
    for path in jsons {
        let mut doc = read_table_json(path)?;
        crate::solve::certify_document(&mut doc).map_err(|e| AppError::new(format!("{}: {e}", path.display())))?;
        all_converged &= doc.all_converged;
        files.extend(render_all(&doc, formats, out).map_err(|e| AppError::new(format!("{}: {e}", path.display())))?);
    }
    refuse_duplicates(&files, "two tables have the same name; re-emit them into different folders")?;
    let lock = OutputLock::take(out).map_err(|e| AppError::new(e.to_string()))?;
    lock.write_set(&files).map_err(|e| AppError::new(e.to_string()))?;
    Ok(EmitOutcome { written: files.into_iter().map(|(p, _)| p).collect(), all_converged })
}
