//! `verify`: a table on a matrix (read from `.npy` or generated).

use std::path::PathBuf;

use super::AppError;
use crate::progress::Progress;
use crate::rows::CoefficientRows;
use crate::verify::matrix::{MatrixSpec, TestMatrix, fit_lower, generate, read_npy};
use crate::verify::{VerifyOptions, VerifyReport, verify_with_progress};

/// The matrix a verification runs on.
#[derive(Debug, Clone, PartialEq)]
pub enum MatrixSource {
    /// A 2-D float32/float64 NumPy file.
    Npy(PathBuf),
    /// A generated matrix.
    Generated(MatrixSpec),
    /// A generated matrix whose prescribed spectrum's lower end is chosen
    /// so that the normalised input reaches the table's ℓ and no lower
    /// (`lower` left to its default); as [`MatrixSource::Generated`] when
    /// the table states no interval or the spectrum cannot reach it.
    FitToTable(MatrixSpec),
}

/// Reads or generates the matrix, refusing more than `max_elements`.
///
/// # Errors
///
/// [`AppError`] naming the file or the size.
pub fn load_matrix(source: &MatrixSource, max_elements: u64) -> Result<TestMatrix, AppError> {
    match source {
        MatrixSource::Npy(path) => read_npy(path, max_elements),
        MatrixSource::Generated(spec) | MatrixSource::FitToTable(spec) => generate(spec, max_elements),
    }
    .map_err(|e| AppError::new(e.to_string()))
}

/// Generates `spec` for `table`: with `fit`, its lower end chosen so that the
/// input normalised as `options` says has σ_min at the table's ℓ
/// ([`fit_lower`]); the description says so. Without `fit`, without an
/// interval, or when no lower end reaches ℓ, `spec` as it is (the report's
/// interval warning then says what the guarantee covers).
///
/// # Errors
///
/// [`AppError`] for a shape above the cap or a bad spectrum.
pub fn generate_for(
    table: &CoefficientRows,
    spec: &MatrixSpec,
    fit: bool,
    options: &VerifyOptions,
    max_elements: u64,
) -> Result<TestMatrix, AppError> {
    let target = table.interval.as_ref().map(|[lower, _]| lower.trim()).filter(|_| fit);
    let fitted = target.and_then(|text| {
        let l = text.parse::<f64>().ok()?;
        fit_lower(spec, l, options.eps, options.delta, options.spectral_bound).map(|lower| (text, lower))
    });
    let Some((text, lower)) = fitted else {
        return generate(spec, max_elements).map_err(|e| AppError::new(e.to_string()));
    };
    let mut matrix =
        generate(&MatrixSpec { lower, ..spec.clone() }, max_elements).map_err(|e| AppError::new(e.to_string()))?;
    matrix
        .description
        .push_str(&format!(" (lower end chosen so that the normalised sigma_min is the table's lower end {text})"));
    Ok(matrix)
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
    let matrix = match matrix {
        MatrixSource::FitToTable(spec) => generate_for(table, spec, true, options, max_elements)?,
        other => load_matrix(other, max_elements)?,
    };
    progress.set_message(&format!("verifying {}", table.name));
    let report = verify_with_progress(table, &matrix, options, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })
    .map_err(|e| AppError::new(e.to_string()));
    progress.finish();
    report
}
