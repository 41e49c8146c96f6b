//! The literal-rows YAML (`name`, `rows`, optional `steps` and `source`): a
//! table a user pasted, read with positions like a config.

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::ConfigError;
use super::error::invalid;
use super::raw::{DecimalText, texts, yaml_error, yaml_origin};
use super::settings::{MAX_STEPS, integer_in, is_plain_stem};
use crate::rows::{CoefficientRows, is_finite_decimal};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRows {
    name: Spanned<String>,
    rows: Spanned<Vec<Vec<DecimalText>>>,
    steps: Option<Spanned<DecimalText>>,
    source: Option<String>,
}

/// Whether YAML text is a literal table (has a top-level `rows` key) rather
/// than a run config.
pub fn is_rows_yaml(text: &str) -> bool {
    // A top-level `rows:` line decides even when a value in the file does
    // not parse (the rows reader then names it).
    serde_saphyr::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
        .is_ok_and(|m| m.contains_key("rows"))
        || text.lines().any(|l| l.starts_with("rows:"))
}

/// Reads a literal table: `name`, `rows` (lists of decimal coefficients of x,
/// x³, …), optional `steps` and `source`.
///
/// # Errors
///
/// [`ConfigError`] with the position of the bad value.
pub fn rows_from_yaml_str(text: &str, file: &str) -> Result<CoefficientRows, ConfigError> {
    let raw: RawRows = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
    let o = |loc: &Location| yaml_origin(file, loc);
    if !is_plain_stem(&raw.name.value) {
        return Err(invalid(&o(&raw.name.referenced), "name", format!("{:?}", raw.name.value), "a plain file stem"));
    }
    let rows = texts(raw.rows.value);
    let rows_o = o(&raw.rows.referenced);
    if rows.is_empty() || rows.iter().any(Vec::is_empty) {
        return Err(invalid(
            &rows_o,
            "rows",
            "an empty row or list",
            "a non-empty list of non-empty rows [c1, c3, c5, ...]",
        ));
    }
    for row in &rows {
        for c in row {
            if !is_finite_decimal(c) {
                return Err(invalid(&rows_o, "rows", format!("{c:?}"), "finite decimal numbers"));
            }
        }
    }
    let default_steps = match raw.steps {
        None => rows.len(),
        Some(v) => integer_in(&(v.value.0, o(&v.referenced)), "steps", 1, MAX_STEPS as i64)? as usize,
    };
    Ok(CoefficientRows {
        name: raw.name.value,
        source: raw.source.unwrap_or_else(|| format!("literal rows from {file}")),
        rows,
        default_steps,
        interval: None,
        normalisation: None,
    })
}
