//! `verify`: a table on a matrix (read from `.npy` or generated).

use std::path::PathBuf;

use super::AppError;
use crate::progress::Progress;
use crate::rows::CoefficientRows;
use crate::verify::matrix::{MatrixSpec, TestMatrix, generate, read_npy};
use crate::verify::{VerifyOptions, VerifyReport, verify_with_progress};

/// The matrix a verification runs on.
#[derive(Debug, Clone, PartialEq)]
pub enum MatrixSource {
    /// A 2-D float32/float64 NumPy file.
    Npy(PathBuf),
    /// A generated matrix.
    Generated(MatrixSpec),
}

/// Reads or generates the matrix, refusing more than `max_elements`.
///
/// # Errors
///
/// [`AppError`] naming the file or the size.
pub fn load_matrix(source: &MatrixSource, max_elements: u64) -> Result<TestMatrix, AppError> {
    match source {
        MatrixSource::Npy(path) => read_npy(path, max_elements),
        MatrixSource::Generated(spec) => generate(spec, max_elements),
    }
    .map_err(|e| AppError::new(e.to_string()))
}

/// Verifies `table` on the matrix.
///
/// # Errors
///
/// [`AppError`] for an unusable matrix, rows or options.
pub fn run(
    table: &CoefficientRows,
    matrix: &MatrixSource,
    max_elements: u64,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<VerifyReport, AppError> {
    let matrix = load_matrix(matrix, max_elements)?;
    progress.set_message(&format!("verifying {}", table.name));
    let report = verify_with_progress(table, &matrix, options, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })
    .map_err(|e| AppError::new(e.to_string()));
    progress.finish();
    report
}
