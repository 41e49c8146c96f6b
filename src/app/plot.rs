//! `plot`: figures redrawn from JSON files written earlier (tables,
//! verifications, comparisons), without solving again.

use std::path::{Path, PathBuf};

use super::{AppError, create_dir, refuse_duplicates};
use crate::compare::CompareReport;
use crate::figures::{comparison, singular_values, table_figures, verification_convergence};
use crate::io::OutputLock;
use crate::plot::{ImageFormat, PlotKind, render_files};
use crate::rows::CoefficientRows;
use crate::table::TableDoc;
use crate::verify::VerifyReport;

/// A JSON document `plot` can draw.
#[derive(Debug, Clone)]
pub enum PlotInput {
    /// A table (`NAME.json`).
    Table(Box<TableDoc>),
    /// A verification (`NAME.verify.json`).
    Verification(Box<VerifyReport>),
    /// A comparison (`compare.json`).
    Comparison(Box<CompareReport>),
}

/// Reads a JSON file and tells which document it is by its keys, then parses
/// it fully (serde names any missing or malformed field).
///
/// # Errors
///
/// [`AppError`] naming the file.
pub fn read_plot_input(path: &Path) -> Result<PlotInput, AppError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AppError::new(format!("{file}: cannot read: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| AppError::new(format!("{file}: not JSON: {e}")))?;
    let has = |k: &str| value.get(k).is_some();
    let typed = |e: serde_json::Error| AppError::new(format!("{file}: {e}"));
    let checked = |e: &dyn std::fmt::Display| AppError::new(format!("{file}: {e}"));
    if has("runs") {
        let v: VerifyReport = serde_json::from_value(value).map_err(typed)?;
        v.check().map_err(|e| checked(&e))?;
        Ok(PlotInput::Verification(Box::new(v)))
    } else if has("tables") {
        let c: CompareReport = serde_json::from_value(value).map_err(typed)?;
        c.check().map_err(|e| checked(&e))?;
        Ok(PlotInput::Comparison(Box::new(c)))
    } else if has("precision_bits") || has("steps") {
        let doc = TableDoc::from_json(&text).map_err(|e| checked(&e))?;
        // Refused like verify and compare: the figures draw msign's response.
        super::source::msign_rows(&doc, &file)?;
        Ok(PlotInput::Table(Box::new(doc)))
    } else {
        Err(AppError::new(format!(
            "{file}: not a polar-coeffs table, verification or comparison JSON (no `steps`, `runs` or `tables` field)"
        )))
    }
}

/// Draws every file's figures into `out` (a table's into `out/<name>/`,
/// comparing its response with `others`), rendering all before writing any.
///
/// # Errors
///
/// [`AppError`] naming the file that could not be read, drawn or written.
pub fn run(
    files: &[PathBuf],
    others: &[CoefficientRows],
    out: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>, AppError> {
    // Read everything first: a malformed file stops the command before any figure is drawn.
    let inputs: Vec<PlotInput> = files.iter().map(|p| read_plot_input(p)).collect::<Result<_, _>>()?;
    let verifications: Vec<&VerifyReport> = inputs
        .iter()
        .filter_map(|i| if let PlotInput::Verification(v) = i { Some(v.as_ref()) } else { None })
        .collect();
    let fail = |e: &dyn std::fmt::Display| AppError::new(e.to_string());
    let mut rendered = Vec::new();
    let mut dirs = Vec::new();
    for input in &inputs {
        match input {
            PlotInput::Table(doc) => {
                let verification = verifications.iter().copied().find(|v| v.table == doc.name);
                let kinds = PlotKind::defaults(verification.is_some());
                let dir = out.join(&doc.name);
                rendered.extend(table_figures(doc, others, verification, &kinds, &dir, formats).map_err(|e| fail(&e))?);
                dirs.push(dir);
            }
            PlotInput::Verification(v) => {
                if inputs.iter().any(|i| matches!(i, PlotInput::Table(d) if d.name == v.table)) {
                    continue; // drawn with its table
                }
                let dir = out.join(&v.table);
                rendered.extend(
                    render_files(&singular_values(v), &dir.join("singular_values"), formats).map_err(|e| fail(&e))?,
                );
                rendered.extend(
                    render_files(&verification_convergence(v), &dir.join("verify_convergence"), formats)
                        .map_err(|e| fail(&e))?,
                );
                dirs.push(dir);
            }
            PlotInput::Comparison(c) => {
                let figure = comparison(c).map_err(|e| fail(&e))?;
                rendered.extend(render_files(&figure, &out.join("compare"), formats).map_err(|e| fail(&e))?);
                dirs.push(out.to_path_buf());
            }
        }
    }
    refuse_duplicates(&rendered, "two inputs have the same name; draw them into different folders")?;
    let lock = OutputLock::take(out).map_err(|e| fail(&e))?;
    for dir in &dirs {
        create_dir(dir, "plot folder")?;
    }
    lock.write_set(&rendered).map_err(|e| fail(&e))?;
    Ok(rendered.into_iter().map(|(p, _)| p).collect())
}
