//! `compare`: tables side by side, written as `compare.json`, `compare.md`
//! and (with the `plots` feature) the comparison figure, as one set.

use std::path::{Path, PathBuf};

use super::AppError;
use super::verify::{MatrixSource, load_matrix};
use crate::compare::{CompareOptions, CompareReport, compare_with_progress, render};
use crate::config::{DegreeSpec, Origin, Settings};
use crate::io::OutputLock;
use crate::presets::{PRESET_NAMES, preset};
use crate::progress::Progress;
use crate::rows::CoefficientRows;
use crate::solve::solve;
use crate::verify::matrix::DEFAULT_MAX_ELEMENTS;

/// Name of this tool's own table in a default comparison.
pub const OWN_TABLE: &str = "polar_coeffs_greedy_d5";

/// The tables compared when none are named: this tool's greedy degree-5
/// table (8 steps on [`lower`, 1]) and every preset.
///
/// # Errors
///
/// [`AppError`] when `lower` is not a valid lower end.
pub fn default_tables(lower: &str) -> Result<Vec<CoefficientRows>, AppError> {
    let config = Settings {
        name: Some((OWN_TABLE.into(), Origin::Flag)),
        degree: Some((DegreeSpec::One("5".into()), Origin::Flag)),
        steps: Some(("8".into(), Origin::Flag)),
        lower: Some((lower.to_string(), Origin::Flag)),
        ..Settings::default()
    }
    .validate(&Origin::Flag)
    .map_err(|e| AppError::new(e.to_string()))?;
    let own = solve(&config).map_err(|e| AppError::new(e.to_string()))?;
    let mut tables = vec![own.rows()];
    tables.extend(PRESET_NAMES.iter().filter_map(|name| preset(name)).map(|p| CoefficientRows::from_preset(&p)));
    Ok(tables)
}

/// What `compare` wrote.
#[derive(Debug, Clone)]
pub struct CompareOutcome {
    /// The report.
    pub report: CompareReport,
    /// `compare.json` and `compare.md`.
    pub written: Vec<PathBuf>,
    /// The figure files.
    pub drawn: Vec<PathBuf>,
}

/// Compares `tables` (measuring each in bf16 on `matrix` when given) and
/// writes the report to `out`, the figure to `plots_out` (default `out`).
///
/// # Errors
///
/// [`AppError`] for unusable tables, matrix or options, or a failed write
/// (then nothing is left on disk).
pub fn run(
    tables: &[CoefficientRows],
    mut options: CompareOptions,
    matrix: Option<&MatrixSource>,
    out: &Path,
    plots_out: Option<&Path>,
    progress: &dyn Progress,
) -> Result<CompareOutcome, AppError> {
    let matrix = matrix.map(|m| load_matrix(m, DEFAULT_MAX_ELEMENTS)).transpose()?;
    if let Some(m) = &matrix {
        options.shape = (m.m.nrows(), m.m.ncols());
    }
    let report = compare_with_progress(tables, &options, matrix.as_ref(), progress);
    progress.finish();
    let report = report.map_err(|e| AppError::new(e.to_string()))?;
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (out.join("compare.json"), render::to_json(&report).into_bytes()),
        (out.join("compare.md"), render::to_markdown(&report).into_bytes()),
    ];
    let dir = plots_out.unwrap_or(out);
    #[cfg(feature = "plots")]
    let files = {
        let mut files = files;
        let figure = crate::figures::comparison(&report).map_err(|e| AppError::new(e.to_string()))?;
        files.extend(
            crate::plot::render_files(&figure, &dir.join("compare"), &crate::plot::ImageFormat::ALL)
                .map_err(|e| AppError::new(e.to_string()))?,
        );
        files
    };
    let lock = OutputLock::take(out).map_err(|e| AppError::new(e.to_string()))?;
    let _plots_lock =
        if dir == out { None } else { Some(OutputLock::take(dir).map_err(|e| AppError::new(e.to_string()))?) };
    lock.write_set(&files).map_err(|e| AppError::new(e.to_string()))?;
    let mut paths: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    let drawn = paths.split_off(2);
    Ok(CompareOutcome { report, written: paths, drawn })
}
