//! The `verify` and `plots` sections.

use super::error::invalid;
use super::settings::{MAX_STEPS, integer_in, parse_names};
use super::{ConfigError, Origin, PlotConfig, VerifyConfig};
use crate::names;
use crate::plot::{ImageFormat, PlotKind};
use crate::presets::{PRESET_NAMES, preset};
use crate::rows::Beyond;
use crate::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, parse_shape};
use crate::verify::{Dtype, Measure, VerifyOptions};

/// The restart of Gram Newton–Schulz when none is given: before 0-based
/// step 2, the published repository's default.
pub const DEFAULT_GRAM_RESTART: usize = 2;

/// The unvalidated `plots` section.
#[derive(Debug, Clone, Default)]
pub struct PlotSettings {
    /// Figure kinds.
    pub kinds: Option<(Vec<String>, Origin)>,
    /// Image formats.
    pub formats: Option<(Vec<String>, Origin)>,
    /// Presets to draw beside the table.
    pub compare_with: Option<(Vec<String>, Origin)>,
}

/// The unvalidated `verify` section, each value with its origin.
#[derive(Debug, Clone, Default)]
pub struct VerifySettings {
    /// `NxM`.
    pub shape: Option<(String, Origin)>,
    /// Spectrum name.
    pub spectrum: Option<(String, Origin)>,
    /// ℓ of the spectrum.
    pub lower: Option<(String, Origin)>,
    /// RNG seed.
    pub seed: Option<(String, Origin)>,
    /// Arithmetics.
    pub dtypes: Option<(Vec<String>, Origin)>,
    /// Steps.
    pub steps: Option<(String, Origin)>,
    /// `repeat_last` or `cycle`.
    pub beyond: Option<(String, Origin)>,
    /// `standard` or `gram` (Gram Newton–Schulz).
    pub iteration: Option<(String, Origin)>,
    /// Gram Newton–Schulz restarts (0-based steps).
    pub restarts: Option<(Vec<String>, Origin)>,
    /// Where low-precision runs normalise: `f64`, `f32` or `dtype`.
    pub normalise_in: Option<(String, Origin)>,
    /// Which iterates are measured: `all`, `last` or step numbers `0,4,8`.
    pub measure: Option<(String, Origin)>,
}

impl PlotSettings {
    /// Checks the section; defaults: every kind that applies (singular values
    /// only with a `verify` section), PNG and SVG, no other tables.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], naming `plots.<key>`.
    pub fn validate(self, has_verify: bool) -> Result<PlotConfig, ConfigError> {
        let kinds = match &self.kinds {
            None => PlotKind::defaults(has_verify),
            Some(v) => {
                let kinds = parse_names::<PlotKind>(v, "plots.kinds")?;
                let o = &v.1;
                if kinds.contains(&PlotKind::SingularValues) && !has_verify {
                    return Err(invalid(
                        o,
                        "plots.kinds",
                        "singular_values",
                        "singular_values only with a verify section (it plots a verification)",
                    ));
                }
                kinds
            }
        };
        let formats = match &self.formats {
            None => ImageFormat::ALL.to_vec(),
            Some(v) => parse_names::<ImageFormat>(v, "plots.formats")?,
        };
        let compare_with = match &self.compare_with {
            None => Vec::new(),
            Some((list, o)) => {
                for name in list {
                    if preset(name).is_none() {
                        return Err(invalid(
                            o,
                            "plots.compare_with",
                            format!("{name:?}"),
                            format!("preset names: {}", PRESET_NAMES.join(", ")),
                        ));
                    }
                }
                list.clone()
            }
        };
        Ok(PlotConfig { kinds, formats, compare_with })
    }
}

impl VerifySettings {
    /// Checks the section; defaults: a 256×512 matrix with a log-uniform
    /// spectrum in [1e-3, 1] (its lower end fitted to the table's ℓ when
    /// `lower` is not given: `fit_lower`), seed 0, all three arithmetics, the
    /// table's own step count, repeating the last row.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], naming `verify.<key>`.
    pub fn validate(self) -> Result<VerifyConfig, ConfigError> {
        self.validate_with_cap(DEFAULT_MAX_ELEMENTS)
    }

    /// [`VerifySettings::validate`] with a matrix of at most `cap` elements.
    ///
    /// # Errors
    ///
    /// As [`VerifySettings::validate`].
    pub fn validate_with_cap(self, cap: u64) -> Result<VerifyConfig, ConfigError> {
        let (rows, cols) = match &self.shape {
            None => (256, 512),
            Some((text, o)) => match parse_shape(text) {
                Some((r, c)) if r >= 1 && c >= 1 && (r as u128) * (c as u128) <= u128::from(cap) => (r, c),
                Some(_) => {
                    return Err(invalid(
                        o,
                        "verify.shape",
                        format!("{text:?}"),
                        format!("rows x cols with at least one row and column and at most {cap} elements"),
                    ));
                }
                None => return Err(invalid(o, "verify.shape", format!("{text:?}"), "rows x cols such as 256x512")),
            },
        };
        let spectrum = match &self.spectrum {
            None => Spectrum::LogUniform,
            Some((text, o)) => Spectrum::parse(text).ok_or_else(|| {
                invalid(o, "verify.spectrum", format!("{text:?}"), format!("one of {}", names::list::<Spectrum>()))
            })?,
        };
        let lower = match &self.lower {
            None => 1e-3,
            Some((text, o)) => match text.trim().parse::<f64>() {
                Ok(v) if v > 0.0 && v < 1.0 => v,
                _ => return Err(invalid(o, "verify.lower", text, "a number in (0, 1)")),
            },
        };
        let seed = match &self.seed {
            None => 0,
            Some((text, o)) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| invalid(o, "verify.seed", text, "an integer from 0 to 2^64 - 1"))?,
        };
        let dtypes = match &self.dtypes {
            None => vec![Dtype::F64, Dtype::F32, Dtype::Bf16],
            Some(v) => parse_names::<Dtype>(v, "verify.dtypes")?,
        };
        let steps = match &self.steps {
            None => None,
            Some(v) => Some(integer_in(v, "verify.steps", 1, MAX_STEPS as i64)? as usize),
        };
        let beyond = match &self.beyond {
            None => Beyond::RepeatLast,
            Some((text, o)) => Beyond::parse(text)
                .ok_or_else(|| invalid(o, "verify.beyond", format!("{text:?}"), "`repeat_last` or `cycle`"))?,
        };
        let gram = match &self.iteration {
            None => false,
            Some((text, o)) => match text.trim() {
                "standard" => false,
                "gram" => true,
                _ => return Err(invalid(o, "verify.iteration", format!("{text:?}"), "`standard` or `gram`")),
            },
        };
        let gram_restarts = match (&self.restarts, gram) {
            (Some((_, o)), false) => {
                return Err(invalid(o, "verify.restarts", "a list", "only with iteration: gram"));
            }
            (None, true) => Some(vec![DEFAULT_GRAM_RESTART]),
            (Some((list, o)), true) => {
                let mut out = Vec::new();
                for item in list {
                    match item.trim().parse::<usize>() {
                        Ok(i) if i >= 1 && (i as u64) < MAX_STEPS => out.push(i),
                        _ => {
                            return Err(invalid(
                                o,
                                "verify.restarts",
                                item,
                                "0-based step numbers from 1 (a restart before step 0 is the start itself)",
                            ));
                        }
                    }
                }
                out.sort_unstable();
                out.dedup();
                Some(out)
            }
            (None, false) => None,
        };
        let normalise_in = match &self.normalise_in {
            None => crate::verify::NormaliseIn::F64,
            Some((text, o)) => names::parse(text.trim())
                .ok_or_else(|| invalid(o, "verify.normalise_in", format!("{text:?}"), "`f64`, `f32` or `dtype`"))?,
        };
        let measure = match &self.measure {
            None => Measure::All,
            Some((text, o)) => parse_measure(text).ok_or_else(|| {
                invalid(
                    o,
                    "verify.measure",
                    format!("{text:?}"),
                    format!(
                        "`all`, `last`, or step numbers from 0 to {MAX_STEPS} separated by commas (0 is the input)"
                    ),
                )
            })?,
        };
        Ok(VerifyConfig {
            fit_lower: self.lower.is_none(),
            matrix: MatrixSpec { rows, cols, spectrum, lower, seed },
            options: VerifyOptions {
                dtypes,
                steps,
                beyond,
                gram_restarts,
                normalise_in,
                measure,
                ..VerifyOptions::default()
            },
        })
    }
}

/// `all`, `last`, or a comma-separated list of step numbers (sorted and
/// deduplicated); `None` for anything else.
fn parse_measure(text: &str) -> Option<Measure> {
    match text.trim() {
        "all" => Some(Measure::All),
        "last" => Some(Measure::Last),
        list => {
            let mut steps = list
                .split(',')
                .map(|item| item.trim().parse::<u64>().ok().filter(|&t| t <= MAX_STEPS).map(|t| t as usize))
                .collect::<Option<Vec<usize>>>()?;
            steps.sort_unstable();
            steps.dedup();
            Some(Measure::Steps(steps))
        }
    }
}
