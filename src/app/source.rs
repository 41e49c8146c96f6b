//! Where a table comes from: a preset name, a JSON document written by `run`,
//! a run config (solved on the fly) or a YAML file of literal rows. The one
//! resolver every command uses.

use std::path::{Path, PathBuf};

use super::AppError;
use crate::config::{Config, is_rows_yaml, rows_from_yaml_str};
use crate::presets::{PRESET_NAMES, preset};
use crate::rows::CoefficientRows;
use crate::solve::solve;
use crate::table::TableDoc;

/// A table named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// A preset, by name.
    Preset(String),
    /// A JSON table written by `run`.
    Json(PathBuf),
    /// A run config or a literal-rows YAML file.
    Yaml(PathBuf),
    /// A file when one exists at that path (JSON by its extension, YAML
    /// otherwise), else a preset name.
    Auto(String),
}

/// The preset named `name`.
///
/// # Errors
///
/// [`AppError`] listing the presets when there is none by that name.
pub fn preset_rows(name: &str) -> Result<CoefficientRows, AppError> {
    preset(name).map(|p| CoefficientRows::from_preset(&p)).ok_or_else(|| {
        AppError::new(format!("{name:?} is not a known preset; the presets are: {}", PRESET_NAMES.join(", ")))
    })
}

/// Reads a JSON table written by `run`.
///
/// # Errors
///
/// [`AppError`] naming the file when it cannot be read or is not a table.
pub fn read_table_json(path: &Path) -> Result<TableDoc, AppError> {
    let file = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| AppError::new(format!("{file}: cannot read: {e}")))?;
    TableDoc::from_json(&text).map_err(|e| AppError::new(format!("{file}: {e}")))
}

/// The rows of a msign table document; a root-family table (r ≠ 2) is
/// refused, since verification, comparison and figures run msign.
pub(crate) fn msign_rows(doc: &TableDoc, file: &str) -> Result<CoefficientRows, AppError> {
    if doc.root() == crate::poly::MSIGN_ROOT {
        Ok(doc.rows())
    } else {
        Err(AppError::new(format!(
            "{file}: table `{}` is for the root iteration x·q(x^{r}) (root {r}), not msign: verify, compare and plot \
             run msign tables only",
            doc.name,
            r = doc.root()
        )))
    }
}

/// A table of either family: its rows, or the document they came from.
enum Resolved {
    Rows(CoefficientRows),
    Doc(Box<TableDoc>, String),
}

/// The rows of a YAML file: literal rows, or a run config solved now.
fn yaml_rows(path: &Path) -> Result<Resolved, AppError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AppError::new(format!("{file}: cannot read: {e}")))?;
    if is_rows_yaml(&text) {
        return rows_from_yaml_str(&text, &file).map(Resolved::Rows).map_err(|e| AppError::new(e.to_string()));
    }
    let config = Config::from_yaml_str(&text, &file).map_err(|e| AppError::new(e.to_string()))?;
    let doc = solve(&config).map_err(|e| AppError::new(format!("{file}: {e}")))?;
    Ok(Resolved::Doc(Box::new(doc), file))
}

/// The msign table a source names (a root-family table is refused).
///
/// # Errors
///
/// [`AppError`] naming the file or preset.
pub fn resolve(source: &TableSource) -> Result<CoefficientRows, AppError> {
    match resolve_family(source)? {
        Resolved::Rows(rows) => Ok(rows),
        Resolved::Doc(doc, file) => msign_rows(&doc, &file),
    }
}

/// The table a source names, of either family, with its exponent step r
/// (2 for msign tables, presets and literal rows).
///
/// # Errors
///
/// [`AppError`] naming the file or preset.
pub fn resolve_with_root(source: &TableSource) -> Result<(CoefficientRows, u32), AppError> {
    Ok(match resolve_family(source)? {
        Resolved::Rows(rows) => (rows, crate::poly::MSIGN_ROOT),
        Resolved::Doc(doc, _) => (doc.rows(), doc.root()),
    })
}

fn resolve_family(source: &TableSource) -> Result<Resolved, AppError> {
    let json = |path: &Path| Ok(Resolved::Doc(Box::new(read_table_json(path)?), path.display().to_string()));
    match source {
        TableSource::Preset(name) => preset_rows(name).map(Resolved::Rows),
        TableSource::Json(path) => json(path),
        TableSource::Yaml(path) => yaml_rows(path),
        TableSource::Auto(spec) => {
            let path = Path::new(spec);
            if path.is_file() {
                if spec.ends_with(".json") { json(path) } else { yaml_rows(path) }
            } else {
                preset_rows(spec).map(Resolved::Rows).map_err(|_| {
                    AppError::new(format!(
                        "{spec:?} is neither a file nor a known preset; the presets are: {}",
                        PRESET_NAMES.join(", ")
                    ))
                })
            }
        }
    }
}
