//! Coefficient rows as a user pastes them: decimal text per row, one row per
//! step, and the one rule for running more steps than there are rows.
//!
//! ```
//! use polar_coeffs::rows::{Beyond, CoefficientRows};
//!
//! let table = CoefficientRows {
//!     name: "cubic".into(),
//!     source: "Newton-Schulz".into(),
//!     rows: vec![vec!["1.5".into(), "-0.5".into()]],
//!     default_steps: 3,
//!     interval: None,
//!     normalisation: None,
//! };
//! table.validate().unwrap();
//! assert_eq!(table.row_index(2, Beyond::RepeatLast), 0);
//! assert_eq!(table.rows_f64().unwrap(), vec![vec![1.5, -0.5]]);
//! ```

use serde::{Deserialize, Serialize};

use crate::presets::Preset;

/// A table to apply: rows of decimal coefficients of x, x³, x⁵, ….
#[derive(Debug, Clone, PartialEq)]
pub struct CoefficientRows {
    /// Name for reports.
    pub name: String,
    /// Where the rows come from.
    pub source: String,
    /// Rows (decimal text, parsed directly to each working type).
    pub rows: Vec<Vec<String>>,
    /// Steps to run when the user does not say.
    pub default_steps: usize,
    /// The interval [ℓ, u] (decimal text) the table was designed for, when
    /// known (tables this tool made): `verify` warns when a matrix's
    /// normalised singular values leave it.
    pub interval: Option<[String; 2]>,
    /// The input normalisation the table assumes, when known (documents,
    /// presets): `verify` uses it unless told otherwise.
    pub normalisation: Option<crate::normalise::Normalisation>,
}

/// What to do when more steps are asked than a table has rows.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Beyond {
    /// Keep applying the last row.
    #[default]
    RepeatLast,
    /// Start again from the first row.
    Cycle,
}

impl Beyond {
    /// Parses `repeat_last` (also spelled `repeat-last`) or `cycle`.
    pub fn parse(s: &str) -> Option<Self> {
        s.replace('-', "_").parse().ok()
    }
}

/// Row used at 0-based step `t` of a table with `n ≥ 1` rows when the last
/// row is repeated past the end: the one place this rule is written.
pub fn repeat_last(t: usize, n: usize) -> usize {
    t.min(n.saturating_sub(1))
}

/// Why rows cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowsError {
    /// The table has no rows.
    #[error("table {table}: no rows")]
    Empty {
        /// Table name.
        table: String,
    },
    /// A row has no coefficient.
    #[error("table {table}: row {row} is empty")]
    EmptyRow {
        /// Table name.
        table: String,
        /// 1-based row.
        row: usize,
    },
    /// An entry is not a finite decimal number.
    #[error("table {table}: row {row}, coefficient {index}: {text:?} is not a finite decimal number")]
    NotFinite {
        /// Table name.
        table: String,
        /// 1-based row.
        row: usize,
        /// 1-based coefficient.
        index: usize,
        /// The text.
        text: String,
    },
}

/// Whether `text` is a finite decimal number (what every coefficient must be):
/// the one check shared by configs, rows files, tables read back and the Adam
/// start. Both readers a coefficient meets must accept it: MPFR (the exact
/// value) and Rust's f64 parser (verification), and it must be finite in f64.
pub fn is_finite_decimal(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok_and(f64::is_finite) && crate::precision::parse_decimal(text, 64).is_ok()
}

impl CoefficientRows {
    /// A published preset.
    pub fn from_preset(p: &Preset) -> Self {
        Self {
            name: p.name.to_string(),
            source: p.source.to_string(),
            rows: p.rows.clone(),
            default_steps: p.default_steps,
            interval: None,
            normalisation: Some(crate::presets::normalisation(p.name)),
        }
    }

    /// Row `t` (0-based step) under the policy for steps past the last row.
    pub fn row_index(&self, t: usize, beyond: Beyond) -> usize {
        let n = self.rows.len();
        match beyond {
            _ if t < n => t,
            Beyond::RepeatLast => repeat_last(t, n),
            Beyond::Cycle => t % n,
        }
    }

    /// Checks that there is a row, every row has at least one coefficient and
    /// every entry is a finite decimal number.
    ///
    /// # Errors
    ///
    /// [`RowsError`] naming the row and entry.
    pub fn validate(&self) -> Result<(), RowsError> {
        let table = || self.name.clone();
        if self.rows.is_empty() {
            return Err(RowsError::Empty { table: table() });
        }
        for (t, row) in self.rows.iter().enumerate() {
            if row.is_empty() {
                return Err(RowsError::EmptyRow { table: table(), row: t + 1 });
            }
            if let Some((k, c)) = row.iter().enumerate().find(|(_, c)| !is_finite_decimal(c)) {
                return Err(RowsError::NotFinite { table: table(), row: t + 1, index: k + 1, text: c.clone() });
            }
        }
        Ok(())
    }

    /// The rows correctly rounded to f64 (Rust's parser rounds the decimal
    /// text once).
    ///
    /// # Errors
    ///
    /// As [`CoefficientRows::validate`].
    pub fn rows_f64(&self) -> Result<Vec<Vec<f64>>, RowsError> {
        self.validate()?;
        Ok(self.rows.iter().map(|r| r.iter().map(|c| c.trim().parse::<f64>().unwrap_or(f64::NAN)).collect()).collect())
    }

    /// The rows correctly rounded to f32, directly from the decimal text (no
    /// f64 in between).
    ///
    /// # Errors
    ///
    /// As [`CoefficientRows::validate`].
    pub fn rows_f32(&self) -> Result<Vec<Vec<f32>>, RowsError> {
        self.validate()?;
        Ok(self.rows.iter().map(|r| r.iter().map(|c| c.trim().parse::<f32>().unwrap_or(f32::NAN)).collect()).collect())
    }
}
