//! The `operator` section: an operator to run with the table on generated
//! operands (the `operator` command's flags land here too).

use super::error::{invalid, missing};
use super::settings::{MAX_STEPS, Valued, integer_in, number, parse_names};
use super::{ConfigError, Origin};
use crate::names;
use crate::operators::operands::{OperandSpec, VALUES_NAMES, Values};
use crate::operators::{Formula, OperatorKind, OperatorOptions};
use crate::poly::MSIGN_ROOT;
use crate::rows::Beyond;
use crate::verify::Dtype;
use crate::verify::matrix::{DEFAULT_MAX_ELEMENTS, parse_shape};

/// Largest power s of G P^(−s/r).
pub const MAX_POWER: u32 = 16;

/// The unvalidated `operator` section, each value with its origin.
#[derive(Debug, Clone, Default)]
pub struct OperatorSettings {
    /// The operator's name.
    pub name: Option<Valued<String>>,
    /// Clipping formulas.
    pub formulas: Option<Valued<Vec<String>>>,
    /// `NxM`.
    pub shape: Option<Valued<String>>,
    /// The layout of generated values.
    pub spectrum: Option<Valued<String>>,
    /// Smallest prescribed value.
    pub lower: Option<Valued<String>>,
    /// Largest prescribed value.
    pub upper: Option<Valued<String>>,
    /// Eigenvector condition number (mcsgn).
    pub condition: Option<Valued<String>>,
    /// Multiple of I added to a generated P.
    pub shift: Option<Valued<String>>,
    /// RNG seed.
    pub seed: Option<Valued<String>>,
    /// Arithmetics.
    pub dtypes: Option<Valued<Vec<String>>>,
    /// Steps per table application.
    pub steps: Option<Valued<String>>,
    /// `repeat_last` or `cycle`.
    pub beyond: Option<Valued<String>>,
    /// The shift ε of the iteration.
    pub epsilon: Option<Valued<String>>,
    /// s of G P^(−s/r).
    pub power: Option<Valued<String>>,
    /// [α, β] of the `clip` formula.
    pub clip: Option<Valued<Vec<String>>>,
}

/// The validated `operator` section.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorConfig {
    /// The operator.
    pub kind: OperatorKind,
    /// Generated operands.
    pub operands: OperandSpec,
    /// Arithmetics, steps, formulas, ε.
    pub options: OperatorOptions,
}

impl OperatorSettings {
    /// Checks the section for a table whose rows are x·q(x^`root`), with at
    /// most `cap` elements per operand; `at` is the origin of a missing name.
    /// Defaults: a 128×128 operand with log-uniform values in [1e-3, 1]
    /// (two_segment: up to 1000), seed 0, f64/f32/bf16, the table's own step
    /// count, ε = 0, s = 1, the four clipping formulas.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], naming `operator.<key>`.
    pub fn validate(self, root: u32, cap: u64, at: &Origin) -> Result<OperatorConfig, ConfigError> {
        let (name, name_o) = self
            .name
            .as_ref()
            .ok_or_else(|| missing(at, "operator.name", format!("one of {}", names::list::<OperatorKind>())))?;
        let kind = OperatorKind::parse(name.trim()).ok_or_else(|| {
            invalid(name_o, "operator.name", format!("{name:?}"), format!("one of {}", names::list::<OperatorKind>()))
        })?;
        if root != MSIGN_ROOT && kind != OperatorKind::Root {
            return Err(invalid(
                name_o,
                "operator.name",
                name,
                format!("root with a root-family table (root {root}): the other operators run msign tables"),
            ));
        }
        let (rows, cols) = match &self.shape {
            None => (128, 128),
            Some((text, o)) => match parse_shape(text) {
                Some((r, c)) if (r as u128) * (c.max(r) as u128) <= u128::from(cap) => (r, c),
                Some(_) => {
                    return Err(invalid(
                        o,
                        "operator.shape",
                        format!("{text:?}"),
                        format!("rows x cols with at most {cap} elements in its largest operand"),
                    ));
                }
                None => return Err(invalid(o, "operator.shape", format!("{text:?}"), "rows x cols such as 128x96")),
            },
        };
        let values = match &self.spectrum {
            None => Values::Shaped(crate::verify::matrix::Spectrum::LogUniform),
            Some((text, o)) => Values::parse(text.trim()).ok_or_else(|| {
                invalid(o, "operator.spectrum", format!("{text:?}"), format!("one of {}", VALUES_NAMES.join(", ")))
            })?,
        };
        let positive = |v: &Option<Valued<String>>, key: &str, default: f64| match v {
            None => Ok(default),
            Some(v) => number(v, key, |x| x > 0.0, "a finite number > 0"),
        };
        let lower = positive(&self.lower, "operator.lower", 1e-3)?;
        let upper = positive(&self.upper, "operator.upper", if values == Values::TwoSegment { 1000.0 } else { 1.0 })?;
        if lower >= upper && !matches!(values, Values::TwoSegment | Values::Wishart) {
            // Blame the end that was given (the other is its default).
            return Err(match (&self.lower, &self.upper) {
                (Some(v), _) => invalid(&v.1, "operator.lower", &v.0, format!("below the upper end, {upper}")),
                (None, Some(v)) => invalid(&v.1, "operator.upper", &v.0, format!("above the lower end, {lower}")),
                (None, None) => invalid(at, "operator.lower", lower, format!("below the upper end, {upper}")),
            });
        }
        if values == Values::TwoSegment && upper <= 1.0 {
            let o = self.upper.as_ref().map_or(at, |v| &v.1);
            return Err(invalid(
                o,
                "operator.upper",
                self.upper.as_ref().map_or("1000".to_string(), |v| v.0.clone()),
                "above 1 with spectrum two_segment",
            ));
        }
        let condition = match &self.condition {
            None => 1.0,
            Some(v) => number(v, "operator.condition", |x| x >= 1.0, "a finite number >= 1")?,
        };
        let shift = match &self.shift {
            None => 0.0,
            Some(v) => number(v, "operator.shift", |x| x >= 0.0, "a finite number >= 0")?,
        };
        let seed = match &self.seed {
            None => 0,
            Some((text, o)) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| invalid(o, "operator.seed", text, "an integer from 0 to 2^64 - 1"))?,
        };
        let dtypes = match &self.dtypes {
            None => vec![Dtype::F64, Dtype::F32, Dtype::Bf16],
            Some(v) => parse_names::<Dtype>(v, "operator.dtypes")?,
        };
        let steps = match &self.steps {
            None => None,
            Some(v) => Some(integer_in(v, "operator.steps", 1, MAX_STEPS as i64)? as usize),
        };
        let beyond = match &self.beyond {
            None => Beyond::RepeatLast,
            Some((text, o)) => Beyond::parse(text)
                .ok_or_else(|| invalid(o, "operator.beyond", format!("{text:?}"), "`repeat_last` or `cycle`"))?,
        };
        let epsilon = match &self.epsilon {
            None => 0.0,
            Some(v) => number(v, "operator.epsilon", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?,
        };
        let power = match &self.power {
            None => 1,
            Some(v) => integer_in(v, "operator.power", 1, i64::from(MAX_POWER))? as u32,
        };
        let defaults = OperatorOptions::default();
        let formulas = match &self.formulas {
            None => defaults.formulas.clone(),
            Some(v) => {
                if kind != OperatorKind::Mclip {
                    return Err(invalid(&v.1, "operator.formulas", v.0.join(","), "only for the mclip operator"));
                }
                parse_names::<Formula>(v, "operator.formulas")?
            }
        };
        let clip = match &self.clip {
            None => defaults.clip,
            Some((list, o)) => {
                let parsed: Vec<f64> = list.iter().filter_map(|t| t.trim().parse::<f64>().ok()).collect();
                match parsed[..] {
                    [a, b] if list.len() == 2 && a.is_finite() && b.is_finite() && a < b && b > 0.0 => [a, b],
                    _ => {
                        return Err(invalid(
                            o,
                            "operator.clip",
                            list.join(", "),
                            "[alpha, beta] with alpha < beta, beta > 0",
                        ));
                    }
                }
            }
        };
        Ok(OperatorConfig {
            kind,
            operands: OperandSpec { rows, cols, values, lower, upper, condition, shift, seed },
            options: OperatorOptions { dtypes, steps, beyond, epsilon, formulas, clip, power, max_elements: cap },
        })
    }

    /// [`OperatorSettings::validate`] with the default element cap.
    ///
    /// # Errors
    ///
    /// As [`OperatorSettings::validate`].
    pub fn validate_default(self, root: u32, at: &Origin) -> Result<OperatorConfig, ConfigError> {
        self.validate(root, DEFAULT_MAX_ELEMENTS, at)
    }
}
