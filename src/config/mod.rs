//! Configs: raw YAML (with positions) → a validated [`Config`].
//!
//! ```
//! use polar_coeffs::config::Config;
//!
//! let yaml = "name: greedy_d5\ndegree: 5\nsteps: 8\nlower: 1e-3\n";
//! let config = Config::from_yaml_str(yaml, "inline.yaml").unwrap();
//! assert_eq!(config.spec.degrees, vec![5; 8]);
//! assert_eq!(config.spec.lower, "1e-3"); // the text, never an f64
//! assert_eq!(config.emit.const_name, "GREEDY_D5");
//! ```
//!
//! One file holds one table. The keys mirror the `solve` flags; see the
//! README's config reference. Every check names the key, the value and what is
//! allowed, with the line and column of the value in the file.
//!
//! The parts, one job each: [`error`] (origins and errors), `raw` (the YAML
//! as written, scalars kept as text, turned into [`Settings`]), `settings`
//! (the top-level keys validated), `adam` (the Adam method's sections),
//! `sections` (`verify` and `plots`), `operator` (the `operator` section), `rows` (the literal-rows YAML reader).

mod adam;
pub mod error;
mod operator;
mod raw;
mod rows;
mod sections;
mod settings;

use std::path::Path;

pub use adam::{AdamSections, InitSettings, ObjectiveSettings, PenaltySettings};
pub use error::{ConfigError, Origin};
pub use operator::{MAX_POWER, OperatorConfig, OperatorSettings};
pub use raw::{DecimalText, DegreeSpec};
pub use rows::{is_rows_yaml, rows_from_yaml_str};
pub use sections::{PlotSettings, VerifySettings};
pub use settings::{NormalisationSettings, Settings, default_const_name, is_plain_stem};

use crate::adam::spec::AdamConfig;
use crate::plot::{ImageFormat, PlotKind};
use crate::schedule::ScheduleSpec;
use crate::table::{ConfigEcho, EmitOptions};
use crate::verify::VerifyOptions;
use crate::verify::matrix::MatrixSpec;

/// Largest `max_iterations` a config may set.
pub const MAX_REMEZ_ITERATIONS: usize = 10_000;

/// Most steps a schedule may have.
pub const MAX_STEPS: u64 = 10_000;

/// Precision (bits) at which range checks on decimal values are made: enough
/// to tell any value a user types from its neighbours at the bounds checked
/// (0, 1).
const CHECK_PRECISION: u32 = 4096;

/// Largest grid of a grid objective.
pub const MAX_GRID: u64 = 10_000_000;

/// A validated config: everything a run needs, nothing unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Table name: a plain file stem, used for output file names.
    pub name: String,
    /// The schedule to compute.
    pub spec: ScheduleSpec,
    /// How to emit constants.
    pub emit: EmitOptions,
    /// `round_to`: the type a rounding-aware table is made for, if any.
    pub round_to: Option<crate::rounding::RoundTarget>,
    /// The input normalisation the table assumes.
    pub normalisation: crate::normalise::Normalisation,
    /// The `verify` section: what `run` verifies the table on, if anything.
    pub verify: Option<VerifyConfig>,
    /// The `plots` section: what `run` draws, if anything.
    pub plots: Option<PlotConfig>,
    /// The `operator` section: an operator `run` applies the table in.
    pub operator: Option<OperatorConfig>,
    /// `method: adam` and its sections (absent: the greedy method).
    pub adam: Option<AdamConfig>,
}

/// The validated `plots` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotConfig {
    /// Figures to draw.
    pub kinds: Vec<PlotKind>,
    /// PNG and/or SVG.
    pub formats: Vec<ImageFormat>,
    /// Presets drawn next to the table in the response figure.
    pub compare_with: Vec<String>,
}

/// The validated `verify` section.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyConfig {
    /// The matrix to generate.
    pub matrix: MatrixSpec,
    /// Arithmetics, steps, policy past the last row.
    pub options: VerifyOptions,
    /// `lower` was not given: the matrix's lower end is to be fitted to the
    /// table's ℓ (see the app's `generate_for`).
    pub fit_lower: bool,
}

impl Config {
    /// Reads and validates a config file.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the file, and for bad values the key, the value,
    /// what is allowed, and the line and column.
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { file: file.clone(), message: e.to_string() })?;
        Self::from_yaml_str(&text, &file)
    }

    /// Parses and validates YAML text; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// As [`Config::from_path`].
    pub fn from_yaml_str(text: &str, file: &str) -> Result<Self, ConfigError> {
        raw::settings_from_yaml(text, file)?.validate(&Origin::File(file.to_string()))
    }
}

impl Config {
    /// The echo written into outputs.
    pub fn echo(&self) -> ConfigEcho {
        ConfigEcho {
            name: self.name.clone(),
            degrees: self.spec.degrees.clone(),
            steps: self.spec.degrees.len(),
            lower: self.spec.lower.clone(),
            upper: self.spec.upper.clone(),
            cushion: self.spec.cushion.clone(),
            safety: self.spec.safety.clone(),
            safety_mode: self.spec.safety_mode,
            precision: self.spec.precision,
            max_iterations: self.spec.max_iterations,
            emit: self.emit.clone(),
            round_to: self.round_to.map(|t| t.name().to_string()),
            root: (self.spec.root != crate::poly::MSIGN_ROOT).then_some(self.spec.root),
            limit_row: self.spec.limit_row.then_some(true),
            recentre: (self.spec.recentre != crate::schedule::Recentre::Image).then_some(self.spec.recentre),
            normalisation: (!self.normalisation.is_default()).then(|| self.normalisation.clone()),
            adam: self.adam.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimal_text_is_kept() {
        let c = Config::from_yaml_str(
            "name: a\ndegree: 5\nsteps: 2\nlower: 0.02407327424182761234567\ncushion: \"1e-2\"\n",
            "t.yaml",
        )
        .unwrap();
        assert_eq!(c.spec.lower, "0.02407327424182761234567");
        assert_eq!(c.spec.cushion, "1e-2");
    }

    #[test]
    fn degree_list_fixes_steps() {
        let c = Config::from_yaml_str("name: a\ndegree: [9, 7, 5]\nlower: 1e-3\n", "t.yaml").unwrap();
        assert_eq!(c.spec.degrees, vec![9, 7, 5]);
    }

    #[test]
    fn errors_carry_positions() {
        let e = Config::from_yaml_str("name: a\ndegree: 4\nsteps: 2\nlower: 1e-3\n", "t.yaml").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:2:9: degree = 4 is not allowed: odd integers"), "{e}");
    }
}
