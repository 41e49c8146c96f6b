//! Side-by-side comparison of coefficient tables: the exact worst-case error
//! over [ℓ, u] after every step (from interval images), the range of f, the
//! matmul cost for a shape, and optionally the error measured on a matrix in
//! bf16.
//!
//! ```
//! use polar_coeffs::compare::{compare, CompareOptions};
//! use polar_coeffs::presets::preset;
//! use polar_coeffs::rows::CoefficientRows;
//!
//! let jordan = CoefficientRows::from_preset(&preset("jordan").unwrap());
//! let report = compare(&[jordan], &CompareOptions::default(), None).unwrap();
//! let after5 = report.tables[0].steps[4].worst_error.parse::<f64>().unwrap();
//! assert!((after5 - 0.53).abs() < 0.01);
//! ```

use rug::Float;
use serde::{Deserialize, Serialize};

use crate::poly::{OddPoly, composed_images, distance_from_one};
use crate::precision::{DecimalError, parse_decimal, to_decimal};
use crate::rows::{Beyond, CoefficientRows, RowsError};
use crate::verify::{Dtype, VerifyError, VerifyOptions, matrix::TestMatrix, verify};

/// Working precision of the interval images.
pub const COMPARE_PRECISION: u32 = 256;

/// Significant digits of the errors and ranges in a comparison.
pub const COMPARE_DIGITS: usize = 16;

/// What to compare on.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// ℓ (decimal text).
    pub lower: String,
    /// u (decimal text).
    pub upper: String,
    /// Shape (n, m) for the matmul cost (and of a generated matrix).
    pub shape: (usize, usize),
    /// Steps per table (`None`: each table's own count).
    pub steps: Option<usize>,
    /// The arithmetic of the measurement on a matrix (default bf16).
    pub dtype: Dtype,
    /// Gram Newton–Schulz with these restarts (cost model and measurement);
    /// `None`: the standard iteration.
    pub gram_restarts: Option<Vec<usize>>,
}

/// Default ℓ of a comparison.
pub const DEFAULT_LOWER: &str = "1e-3";
/// Default u of a comparison.
pub const DEFAULT_UPPER: &str = "1";
/// Default shape of the cost model.
pub const DEFAULT_COST_SHAPE: (usize, usize) = (1024, 4096);

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            lower: DEFAULT_LOWER.into(),
            upper: DEFAULT_UPPER.into(),
            shape: DEFAULT_COST_SHAPE,
            steps: None,
            dtype: Dtype::Bf16,
            gram_restarts: None,
        }
    }
}

/// Why a comparison could not run.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// An interval end that is not a decimal number.
    #[error("{key} = {value:?} is not allowed: {source}")]
    End {
        /// `lower` or `upper`.
        key: &'static str,
        /// The text.
        value: String,
        /// Why it does not parse.
        source: DecimalError,
    },
    /// Interval ends out of order.
    #[error("lower = {lower} is not allowed: 0 < lower < upper = {upper}")]
    Interval {
        /// ℓ.
        lower: String,
        /// u.
        upper: String,
    },
    /// Unusable rows.
    #[error(transparent)]
    Rows(#[from] RowsError),
    /// The bf16 measurement failed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A coefficient MPFR cannot read.
    #[error("table {table}: {source}")]
    Decimal {
        /// Table name.
        table: String,
        /// Why.
        source: DecimalError,
    },
    /// A step count out of range.
    #[error("steps = {0} is not allowed: an integer from 1 to {max}", max = crate::schedule::MAX_STEPS)]
    Steps(usize),
    /// No tables were given.
    #[error("no tables to compare")]
    NoTables,
}

/// One table after one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareStep {
    /// Step number (1-based).
    pub step: usize,
    /// Row applied (1-based).
    pub row: usize,
    /// max over [ℓ, u] of |1 − f(x)|, exact to the working precision.
    pub worst_error: String,
    /// min over [ℓ, u] of f.
    pub f_min: String,
    /// max over [ℓ, u] of f.
    pub f_max: String,
    /// Flops of all steps so far for the shape (docs/MATH.md §6), in GFLOP.
    pub cumulative_gflop: f64,
    /// ‖X_t − UVᵀ‖₂ measured on the matrix in the report's
    /// `measured_dtype`, when one was given (absent past a failed step).
    /// Reports written before fp16 called it `measured_bf16`.
    #[serde(default, alias = "measured_bf16", skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
}

/// One table's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableComparison {
    /// Name.
    pub name: String,
    /// Where its rows come from.
    pub source: String,
    /// Per step.
    pub steps: Vec<CompareStep>,
    /// Why the measurement stopped early (an overflow), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_failure: Option<String>,
}

/// The comparison report (the `compare.json` format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// ℓ.
    pub lower: String,
    /// u.
    pub upper: String,
    /// Shape of the cost model, (n, m).
    pub shape: [usize; 2],
    /// The matrix of the measurement, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<String>,
    /// The arithmetic of the measurement (bf16 when absent in an older
    /// report with a matrix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_dtype: Option<Dtype>,
    /// Past the last row of a table.
    pub beyond_last_row: Beyond,
    /// Gram Newton–Schulz restarts, when the comparison (cost and
    /// measurement) is of that iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gram_restarts: Option<Vec<usize>>,
    /// The tables, in the order given.
    pub tables: Vec<TableComparison>,
    /// polar-coeffs version.
    pub tool_version: String,
}

impl CompareReport {
    /// The arithmetic of the measurement as written (`bf16` for older
    /// reports that did not record it).
    pub fn measured_label(&self) -> &'static str {
        self.measured_dtype.unwrap_or(Dtype::Bf16).as_str()
    }

    /// Checks a report read back: names and sources are one line of text,
    /// errors are decimals.
    ///
    /// # Errors
    ///
    /// [`FieldError`](crate::ident::FieldError) naming the field and value.
    pub fn check(&self) -> Result<(), crate::ident::FieldError> {
        use crate::ident::{FieldError, is_plain_text};
        for (i, t) in self.tables.iter().enumerate() {
            let failure = t.measurement_failure.iter().map(|f| ("measurement_failure", f));
            for (field, text) in [("name", &t.name), ("source", &t.source)].into_iter().chain(failure) {
                if !is_plain_text(text, 2000) {
                    return Err(FieldError::new(format!("tables[{i}].{field}"), text, "one line of text"));
                }
            }
            for (k, s) in t.steps.iter().enumerate() {
                if parse_decimal(&s.worst_error, 64).is_err() {
                    return Err(FieldError::new(
                        format!("tables[{i}].steps[{k}].worst_error"),
                        &s.worst_error,
                        "a decimal number",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Flops of step `t` (1-based, of `steps`) of Gram Newton–Schulz on an n×m
/// matrix (n ≤ m) with restarts before the 0-based steps `restarts`
/// (docs/MATH.md §6): R = XXᵀ first (2n²m); at a restart Q·X and R again
/// (4n²m); Z = b R + c R² + … by Horner ((q−1)·2n³ for q ≥ 2 terms beyond
/// the first, none for a cubic); Q·Z unless Q starts here (2n³); R ← W R W
/// when a later step uses it (4n³); and after the last step Q·X (2n²m).
pub fn gram_step_flops(n: usize, m: usize, degree: u32, t: usize, steps: usize, restarts: &[usize]) -> f64 {
    let (n, m) = (n as f64, m as f64);
    let q = f64::from((degree - 1) / 2);
    let mut f = 0.0;
    let restart = t > 1 && restarts.contains(&(t - 1));
    if t == 1 {
        f += 2.0 * n * n * m;
    }
    if restart {
        f += 4.0 * n * n * m;
    }
    if q >= 2.0 {
        f += 2.0 * (q - 1.0) * n * n * n;
    }
    if !(t == 1 || restart) {
        f += 2.0 * n * n * n;
    }
    if t < steps && !restarts.contains(&t) {
        f += 4.0 * n * n * n;
    }
    if t == steps {
        f += 2.0 * n * n * m;
    }
    f
}

/// Flops of one degree-d step on an n×m matrix (docs/MATH.md §6, n ≤ m): A = XXᵀ
/// (2n²m), the polynomial in A by Horner ((q−1)·2n³), and the product with X
/// (2n²m); a degree-1 step is a scaling (nm).
pub fn step_flops(n: usize, m: usize, degree: u32) -> f64 {
    let (n, m) = (n.min(m) as f64, n.max(m) as f64);
    let q = f64::from((degree - 1) / 2);
    if q == 0.0 { n * m } else { 4.0 * n * n * m + 2.0 * (q - 1.0) * n * n * n }
}

/// Compares `tables`; with `matrix`, also measures each in bf16.
///
/// # Errors
///
/// [`CompareError`] for unusable rows or interval ends, or no tables.
pub fn compare(
    tables: &[CoefficientRows],
    options: &CompareOptions,
    matrix: Option<&TestMatrix>,
) -> Result<CompareReport, CompareError> {
    compare_with_progress(tables, options, matrix, &crate::progress::Silent)
}

/// [`compare`], reporting each table done to `progress`.
///
/// # Errors
///
/// As [`compare`].
pub fn compare_with_progress(
    tables: &[CoefficientRows],
    options: &CompareOptions,
    matrix: Option<&TestMatrix>,
    progress: &dyn crate::progress::Progress,
) -> Result<CompareReport, CompareError> {
    let prec = COMPARE_PRECISION;
    if tables.is_empty() {
        return Err(CompareError::NoTables);
    }
    let end = |key, text: &str| {
        parse_decimal(text, prec).map_err(|source| CompareError::End { key, value: text.to_string(), source })
    };
    let lower = end("lower", &options.lower)?;
    let upper = end("upper", &options.upper)?;
    if !(lower > 0 && lower < upper) {
        return Err(CompareError::Interval { lower: options.lower.clone(), upper: options.upper.clone() });
    }
    if let Some(steps) = options.steps
        && (steps == 0 || steps as u64 > crate::schedule::MAX_STEPS)
    {
        return Err(CompareError::Steps(steps));
    }
    progress.set_length(tables.len() as u64);
    let (n, m) = options.shape;
    let mut out = Vec::with_capacity(tables.len());
    for (done, table) in tables.iter().enumerate() {
        progress.set_message(&table.name);
        table.validate()?;
        let polys: Vec<(OddPoly, Vec<Float>)> = table
            .rows
            .iter()
            .map(|r| {
                let p = OddPoly::new(r.iter().map(|c| parse_decimal(c, prec)).collect::<Result<_, _>>()?);
                let crit = p.positive_critical_points();
                Ok((p, crit))
            })
            .collect::<Result<_, DecimalError>>()
            .map_err(|source| CompareError::Decimal { table: table.name.clone(), source })?;
        let steps = options.steps.unwrap_or(table.default_steps);
        let (measured, measurement_failure) = match matrix {
            Some(mat) => {
                let mut vo = VerifyOptions {
                    dtypes: vec![options.dtype],
                    steps: Some(steps),
                    gram_restarts: options.gram_restarts.clone(),
                    ..VerifyOptions::default()
                };
                // Each table with the normalisation it assumes.
                vo.normalise_like(&table.normalisation.clone().unwrap_or_default());
                let report = verify(table, mat, &vo)?;
                let run = &report.runs[0];
                (
                    Some(run.steps.iter().skip(1).map(|s| s.polar_error_spectral).collect::<Vec<f64>>()),
                    run.failure.clone(),
                )
            }
            None => (None, None),
        };
        let order: Vec<usize> = (0..steps).map(|t| table.row_index(t, Beyond::RepeatLast)).collect();
        let images = composed_images(order.iter().map(|&r| (&polys[r].0, polys[r].1.as_slice())), &lower, &upper);
        let mut flops = 0.0;
        let mut rows = Vec::with_capacity(steps);
        for (t, (&r, (lo, hi))) in order.iter().zip(images).enumerate() {
            flops += match &options.gram_restarts {
                Some(restarts) => gram_step_flops(n.min(m), n.max(m), polys[r].0.degree(), t + 1, steps, restarts),
                None => step_flops(n, m, polys[r].0.degree()),
            };
            rows.push(CompareStep {
                step: t + 1,
                row: r + 1,
                worst_error: to_decimal(&distance_from_one(&lo, &hi), COMPARE_DIGITS),
                f_min: to_decimal(&lo, COMPARE_DIGITS),
                f_max: to_decimal(&hi, COMPARE_DIGITS),
                cumulative_gflop: flops / 1e9,
                measured: measured.as_ref().and_then(|v| v.get(t).copied()),
            });
        }
        out.push(TableComparison {
            name: table.name.clone(),
            source: table.source.clone(),
            steps: rows,
            measurement_failure,
        });
        progress.set_position(done as u64 + 1);
    }
    Ok(CompareReport {
        lower: options.lower.clone(),
        upper: options.upper.clone(),
        shape: [n, m],
        matrix: matrix.map(|m| m.description.clone()),
        measured_dtype: matrix.map(|_| options.dtype),
        gram_restarts: options.gram_restarts.clone(),
        beyond_last_row: Beyond::RepeatLast,
        tables: out,
        tool_version: crate::TOOL_VERSION.to_string(),
    })
}

/// Rendering: JSON, Markdown and the terminal summary.
pub mod render {
    use std::fmt::Write;

    use super::CompareReport;
    use crate::precision::summary;

    /// Digits of the errors in the summary matrix.
    const SUMMARY_MATRIX_DIGITS: usize = 4;

    /// Pretty JSON, newline-terminated.
    pub fn to_json(report: &CompareReport) -> String {
        let mut s = serde_json::to_string_pretty(report).expect("plain data");
        s.push('\n');
        s
    }

    fn max_steps(report: &CompareReport) -> usize {
        report.tables.iter().map(|t| t.steps.len()).max().unwrap_or(0)
    }

    /// The matrix tables × steps of worst-case errors, as Markdown rows.
    fn error_matrix(report: &CompareReport, out: &mut String) {
        let steps = max_steps(report);
        let _ = write!(out, "| table |");
        for t in 1..=steps {
            let _ = write!(out, " {t} |");
        }
        out.push('\n');
        let _ = writeln!(out, "|---|{}", "---|".repeat(steps));
        for table in &report.tables {
            let _ = write!(out, "| `{}` |", table.name);
            for t in 0..steps {
                match table.steps.get(t) {
                    Some(s) => {
                        let _ = write!(out, " {} |", summary(&s.worst_error, SUMMARY_MATRIX_DIGITS));
                    }
                    None => out.push_str(" |"),
                }
            }
            out.push('\n');
        }
    }

    /// Markdown: the error matrix, then one detail table per table.
    pub fn to_markdown(report: &CompareReport) -> String {
        let mut out = format!(
            "# Comparison on [{}, {}]\n\nWorst case max |1 - f(x)| over [{}, {}] after each step (exact, from interval images; past the last row the last row is repeated):\n\n",
            report.lower, report.upper, report.lower, report.upper
        );
        error_matrix(report, &mut out);
        if let Some(r) = &report.gram_restarts {
            let _ = writeln!(
                out,
                "\nCost (and measurement) of Gram Newton-Schulz with restarts before 0-based steps {r:?} (docs/MATH.md section 6)."
            );
        }
        let measured = report.matrix.is_some();
        for table in &report.tables {
            let _ = writeln!(out, "\n## `{}`\n\n{}\n", table.name, table.source);
            let _ = write!(
                out,
                "| step | row | worst error | min f | max f | GFLOP ({}x{}) |",
                report.shape[0], report.shape[1]
            );
            if measured {
                let _ = write!(out, " {} ‖X − UVᵀ‖₂ |\n|---|---|---|---|---|---|---|\n", report.measured_label());
            } else {
                out.push_str("\n|---|---|---|---|---|---|\n");
            }
            for s in &table.steps {
                let _ = write!(
                    out,
                    "| {} | {} | {} | {} | {} | {:.1} |",
                    s.step, s.row, s.worst_error, s.f_min, s.f_max, s.cumulative_gflop
                );
                match s.measured {
                    Some(m) => {
                        let _ = write!(out, " {m:.4e} |");
                    }
                    None if measured => out.push_str(" failed |"),
                    None => {}
                }
                out.push('\n');
            }
        }
        if let Some(m) = &report.matrix {
            let _ = writeln!(out, "\n{} measurements on {m}.", report.measured_label());
            for t in &report.tables {
                if let Some(why) = &t.measurement_failure {
                    let _ = writeln!(out, "\n`{}`: the {} run failed at {why}.", t.name, report.measured_label());
                }
            }
        }
        let _ = writeln!(out, "\nGenerated by polar-coeffs {}.", report.tool_version);
        out
    }

    /// The terminal summary: the error matrix (and the bf16 errors when measured).
    pub fn to_table(report: &CompareReport) -> String {
        let steps = max_steps(report);
        let width = report.tables.iter().map(|t| t.name.len()).max().unwrap_or(5).max(5);
        let mut out = format!("worst-case |1 - f| on [{}, {}] after each step\n", report.lower, report.upper);
        let _ = write!(out, "{:<width$}", "table");
        for t in 1..=steps {
            let _ = write!(out, " {:>10}", t);
        }
        out.push('\n');
        for table in &report.tables {
            let _ = write!(out, "{:<width$}", table.name);
            for s in &table.steps {
                let _ = write!(out, " {:>10}", summary(&s.worst_error, SUMMARY_MATRIX_DIGITS));
            }
            out.push('\n');
        }
        if let Some(m) = &report.matrix {
            let _ = writeln!(out, "\n{} ||X - UV'||_2 measured on {m}", report.measured_label());
            for table in &report.tables {
                let _ = write!(out, "{:<width$}", table.name);
                for s in &table.steps {
                    match s.measured {
                        Some(v) => {
                            let _ = write!(out, " {v:>10.3e}");
                        }
                        None => {
                            let _ = write!(out, " {:>10}", "failed");
                        }
                    }
                }
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_model_follows_math_section_6() {
        assert_eq!(step_flops(2, 3, 5), 4.0 * 4.0 * 3.0 + 2.0 * 8.0);
        assert_eq!(step_flops(3, 2, 3), 4.0 * 4.0 * 3.0);
        assert_eq!(step_flops(2, 3, 1), 6.0);
    }
}
