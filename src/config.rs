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

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use crate::figures::{PLOT_KIND_NAMES, PlotKind};
use crate::plot::ImageFormat;
use crate::precision::{MAX_PRECISION, MIN_PRECISION, parse_decimal};
use crate::remez::{DEFAULT_MAX_ITERATIONS, MAX_DEGREE};
use crate::schedule::{SafetyMode, ScheduleSpec};
use crate::verify::matrix::{MatrixSpec, SPECTRUM_NAMES, Spectrum, parse_shape};
use crate::verify::{Beyond, Dtype, VerifyOptions};

/// Largest `max_iterations` a config may set.
pub const MAX_REMEZ_ITERATIONS: usize = 10_000;

/// Most steps a schedule may have.
pub const MAX_STEPS: u64 = 10_000;

/// Precision (bits) at which range checks on decimal values are made: enough
/// to tell any value a user types from its neighbours at the bounds checked
/// (0, 1).
const CHECK_PRECISION: u32 = 4096;

/// Element type of emitted constant tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementType {
    /// IEEE binary64.
    #[default]
    F64,
    /// IEEE binary32, rounded directly from the arbitrary-precision value.
    F32,
}

impl ElementType {
    /// The Rust spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::F64 => "f64",
            Self::F32 => "f32",
        }
    }
}

/// An output format of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// The JSON document (`.json`).
    Json,
    /// A Rust constant (`.rs`).
    Rust,
    /// A Python module with a PyTorch function (`.py`).
    Python,
    /// A C/C++ header (`.h`).
    C,
    /// CSV, full precision (`.csv`).
    Csv,
    /// A Markdown table (`.md`).
    Markdown,
    /// A LaTeX tabular (`.tex`).
    Latex,
}

/// The format names a config accepts.
pub const OUTPUT_FORMAT_NAMES: &str = "json, rust, python, c, csv, markdown, latex";

impl OutputFormat {
    /// Parses a format name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "json" => Self::Json,
            "rust" => Self::Rust,
            "python" => Self::Python,
            "c" => Self::C,
            "csv" => Self::Csv,
            "markdown" => Self::Markdown,
            "latex" => Self::Latex,
            _ => return None,
        })
    }
}

/// The `emit` section, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmitOptions {
    /// Files `run` writes (default: json and rust).
    pub formats: Vec<OutputFormat>,
    /// Name of the emitted Rust constant.
    pub const_name: String,
    /// Element type of the emitted table.
    pub element_type: ElementType,
}

/// A validated config: everything a run needs, nothing unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Table name: a plain file stem, used for output file names.
    pub name: String,
    /// The schedule to compute.
    pub spec: ScheduleSpec,
    /// How to emit constants.
    pub emit: EmitOptions,
    /// The `verify` section: what `run` verifies the table on, if anything.
    pub verify: Option<VerifyConfig>,
    /// The `plots` section: what `run` draws, if anything.
    pub plots: Option<PlotConfig>,
    /// `method: adam` and its sections (absent: the greedy method).
    pub adam: Option<AdamConfig>,
}

/// The objective of the Adam method, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectiveSpec {
    /// max over [lower, upper] of |1 − f|, exact.
    WorstCase,
    /// Mean of the k largest |f(x) − 1| over x = upper·i/grid, i = 1..grid.
    TopK {
        /// k.
        k: usize,
        /// Grid size.
        grid: usize,
    },
    /// RMS of f(x) − 1 over x = upper·i/grid.
    Rms {
        /// Grid size.
        grid: usize,
    },
    /// RMS of f(σ) − 1 over the singular values of `samples` normalised
    /// Gaussian matrices of `shape` (aspect-ratio aware).
    RmsMatrix {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Matrices sampled.
        samples: usize,
    },
    /// Mean squared excess of |f − 1| beyond delta over x = upper·i/grid.
    Band {
        /// delta.
        delta: f64,
        /// Grid size.
        grid: usize,
    },
}

/// Where the Adam method starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitSpec {
    /// The greedy schedule of the same degrees (its first row when shared).
    Greedy,
    /// A preset's rows.
    Preset(String),
    /// Given rows.
    Rows(Vec<Vec<String>>),
}

/// The validated Adam method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// One row shared by every step.
    pub shared: bool,
    /// What is minimised.
    pub objective: ObjectiveSpec,
    /// Weight of the no-sign-flip penalty on (0, lower].
    pub no_sign_flip: Option<f64>,
    /// (r, weight) of the overshoot penalty max f ≤ 1 + r.
    pub overshoot: Option<(f64, f64)>,
    /// Optimiser settings.
    pub settings: crate::adam::AdamSettings,
    /// Start.
    pub init: InitSpec,
    /// Rows held fixed, by 0-based row index.
    pub fixed: Vec<Option<Vec<String>>>,
    /// Tables scored under the same loss for comparison: presets or literal rows.
    pub compare_with: Vec<(String, Vec<Vec<String>>)>,
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
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a YAML file (1-based line and column).
    Yaml {
        /// The file as named by the user.
        file: String,
        /// Line of the value.
        line: u64,
        /// Column of the value.
        column: u64,
    },
    /// A whole YAML file (a key that is missing).
    File(String),
    /// A command-line flag.
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Yaml { file, line, column } => write!(f, "{file}:{line}:{column}: "),
            Self::File(file) => write!(f, "{file}: "),
            Self::Flag => Ok(()),
        }
    }
}

/// A config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value outside what the key allows.
    #[error("{origin}{key} = {value} is not allowed: {allowed}")]
    Invalid {
        /// Where the value is.
        origin: Origin,
        /// The key (or flag) name.
        key: String,
        /// The value as written.
        value: String,
        /// What the key allows.
        allowed: String,
    },
    /// A required key is absent.
    #[error("{origin}missing key `{key}`: {allowed}")]
    Missing {
        /// The file.
        origin: Origin,
        /// The missing key.
        key: String,
        /// What it should hold.
        allowed: String,
    },
    /// The YAML itself (syntax, unknown keys, types).
    #[error("{file}:{message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// The file could not be read.
    #[error("{file}: cannot read the config: {message}")]
    Io {
        /// The file.
        file: String,
        /// The OS error.
        message: String,
    },
}

/// A number kept as the text the user wrote, so that it can be parsed by MPFR
/// at any precision (a YAML float would have gone through f64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DecimalText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal number, plain (1e-3) or quoted (\"1e-3\")")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.trim().to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DecimalText, E> {
                // Only reached by deserializers that do not hand out scalar
                // text; the shortest round-trip form recovers any literal of
                // up to 15 significant digits exactly.
                Ok(DecimalText(format!("{v:e}")))
            }
        }
        // Asking for a string makes the YAML parser hand over the scalar's
        // text (`1e-3`), not a float.
        deserializer.deserialize_str(V)
    }
}

/// `degree`: one odd degree for every step, or one per step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DegreeSpec {
    /// The same degree at every step (as written).
    One(String),
    /// One degree per step (as written).
    PerStep(Vec<String>),
}

impl<'de> Deserialize<'de> for DegreeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DegreeSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an odd degree such as 5, or a list of per-step degrees such as [9, 7, 5]")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DegreeSpec, E> {
                Ok(DegreeSpec::One(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DegreeSpec, E> {
                Ok(DegreeSpec::One(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DegreeSpec, E> {
                Ok(DegreeSpec::One(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DegreeSpec, E> {
                Ok(DegreeSpec::One(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<DegreeSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(d) = seq.next_element::<DecimalText>()? {
                    out.push(d.0);
                }
                Ok(DegreeSpec::PerStep(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmit {
    formats: Option<Spanned<Vec<String>>>,
    const_name: Option<Spanned<String>>,
    element_type: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    name: Option<Spanned<String>>,
    degree: Option<Spanned<DegreeSpec>>,
    steps: Option<Spanned<DecimalText>>,
    lower: Option<Spanned<DecimalText>>,
    upper: Option<Spanned<DecimalText>>,
    cushion: Option<Spanned<DecimalText>>,
    safety: Option<Spanned<DecimalText>>,
    safety_mode: Option<Spanned<String>>,
    precision: Option<Spanned<DecimalText>>,
    max_iterations: Option<Spanned<DecimalText>>,
    emit: Option<RawEmit>,
    verify: Option<RawVerify>,
    plots: Option<RawPlots>,
    method: Option<Spanned<String>>,
    shared: Option<Spanned<bool>>,
    objective: Option<RawObjective>,
    penalties: Option<RawPenalties>,
    adam: Option<RawAdam>,
    init: Option<RawInit>,
    fixed_rows: Option<Spanned<std::collections::BTreeMap<String, Vec<DecimalText>>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObjective {
    kind: Spanned<String>,
    k: Option<Spanned<DecimalText>>,
    grid: Option<Spanned<DecimalText>>,
    delta: Option<Spanned<DecimalText>>,
    shape: Option<Spanned<DecimalText>>,
    samples: Option<Spanned<DecimalText>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPenalties {
    no_sign_flip: Option<Spanned<DecimalText>>,
    overshoot: Option<Spanned<DecimalText>>,
    overshoot_weight: Option<Spanned<DecimalText>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdam {
    iterations: Option<Spanned<DecimalText>>,
    polish_iterations: Option<Spanned<DecimalText>>,
    learning_rate: Option<Spanned<DecimalText>>,
    schedule: Option<Spanned<String>>,
    final_ratio: Option<Spanned<DecimalText>>,
    beta1: Option<Spanned<DecimalText>>,
    beta2: Option<Spanned<DecimalText>>,
    target_loss: Option<Spanned<DecimalText>>,
    arithmetic: Option<Spanned<String>>,
    representable: Option<Spanned<String>>,
    seed: Option<Spanned<DecimalText>>,
    compare_with: Option<Vec<RawCompareWith>>,
}

/// An entry of `adam.compare_with`: a preset name, or `{name, rows}`.
#[derive(Debug, Clone)]
enum RawCompareWith {
    Preset(String),
    Rows { name: String, rows: Vec<Vec<DecimalText>> },
}

impl<'de> Deserialize<'de> for RawCompareWith {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCompareWith;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a preset name, or {name: ..., rows: [[...], ...]}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCompareWith, E> {
                Ok(RawCompareWith::Preset(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawCompareWith, A::Error> {
                let (mut name, mut rows) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => name = Some(map.next_value::<String>()?),
                        "rows" => rows = Some(map.next_value::<Vec<Vec<DecimalText>>>()?),
                        other => return Err(de::Error::unknown_field(other, &["name", "rows"])),
                    }
                }
                Ok(RawCompareWith::Rows {
                    name: name.ok_or_else(|| de::Error::missing_field("name"))?,
                    rows: rows.ok_or_else(|| de::Error::missing_field("rows"))?,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInit {
    preset: Option<Spanned<String>>,
    rows: Option<Spanned<Vec<Vec<DecimalText>>>>,
    greedy: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlots {
    kinds: Option<Spanned<Vec<String>>>,
    formats: Option<Spanned<Vec<String>>>,
    compare_with: Option<Spanned<Vec<String>>>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    shape: Option<Spanned<DecimalText>>,
    spectrum: Option<Spanned<String>>,
    lower: Option<Spanned<DecimalText>>,
    seed: Option<Spanned<DecimalText>>,
    dtypes: Option<Spanned<Vec<String>>>,
    steps: Option<Spanned<DecimalText>>,
    beyond: Option<Spanned<String>>,
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
}

/// Unvalidated settings from either source (YAML or flags), each with the
/// place it came from.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Table name.
    pub name: Option<(String, Origin)>,
    /// Degrees.
    pub degree: Option<(DegreeSpec, Origin)>,
    /// Step count.
    pub steps: Option<(String, Origin)>,
    /// ℓ.
    pub lower: Option<(String, Origin)>,
    /// u.
    pub upper: Option<(String, Origin)>,
    /// λ.
    pub cushion: Option<(String, Origin)>,
    /// s.
    pub safety: Option<(String, Origin)>,
    /// `after` or `inside`.
    pub safety_mode: Option<(String, Origin)>,
    /// Bits.
    pub precision: Option<(String, Origin)>,
    /// Cap on Remez iterations per step.
    pub max_iterations: Option<(String, Origin)>,
    /// Output formats.
    pub formats: Option<(Vec<String>, Origin)>,
    /// Rust constant name.
    pub const_name: Option<(String, Origin)>,
    /// `f64` or `f32`.
    pub element_type: Option<(String, Origin)>,
    /// The `verify` section.
    pub verify: Option<VerifySettings>,
    /// The `plots` section.
    pub plots: Option<PlotSettings>,
    /// `method` and the Adam sections, already read from YAML (validated by
    /// [`Settings::validate`] with the degrees and interval).
    pub adam: Option<AdamSections>,
}

/// The Adam method's raw sections.
#[derive(Debug, Clone)]
pub struct AdamSections {
    method: (String, Origin),
    shared: Option<(bool, Origin)>,
    objective: Option<RawObjective>,
    penalties: Option<RawPenalties>,
    adam: Option<RawAdam>,
    init: Option<RawInit>,
    fixed_rows: Option<(std::collections::BTreeMap<String, Vec<DecimalText>>, Origin)>,
    file: String,
}

/// The parser's error as `file:line:column: message`, without its source
/// snippet (which would name the file `<input>`).
fn yaml_error(file: &str, e: &serde_saphyr::Error) -> ConfigError {
    let full = e.without_snippet().to_string();
    let message = match e.location() {
        Some(loc) => {
            let prefix = format!("error: line {} column {}: ", loc.line(), loc.column());
            let suffix = format!(" at line {}, column {}", loc.line(), loc.column());
            let text = full.strip_prefix(&prefix).unwrap_or(&full);
            let text = text.strip_suffix(&suffix).unwrap_or(text);
            format!("{}:{}: {}", loc.line(), loc.column(), text.lines().next().unwrap_or(text))
        }
        None => full,
    };
    ConfigError::Yaml { file: file.to_string(), message }
}

fn yaml_origin(file: &str, loc: &Location) -> Origin {
    Origin::Yaml { file: file.to_string(), line: loc.line(), column: loc.column() }
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
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
        let o = |loc: &Location| yaml_origin(file, loc);
        let s = |v: Option<Spanned<String>>| v.map(|v| (v.value, o(&v.referenced)));
        let d = |v: Option<Spanned<DecimalText>>| v.map(|v| (v.value.0, o(&v.referenced)));
        let emit = raw.emit.unwrap_or(RawEmit { formats: None, const_name: None, element_type: None });
        let settings = Settings {
            name: s(raw.name),
            degree: raw.degree.map(|v| (v.value, o(&v.referenced))),
            steps: d(raw.steps),
            lower: d(raw.lower),
            upper: d(raw.upper),
            cushion: d(raw.cushion),
            safety: d(raw.safety),
            safety_mode: s(raw.safety_mode),
            precision: d(raw.precision),
            max_iterations: d(raw.max_iterations),
            formats: emit.formats.map(|f| (f.value, o(&f.referenced))),
            const_name: s(emit.const_name),
            element_type: s(emit.element_type),
            verify: raw.verify.map(|v| VerifySettings {
                shape: d(v.shape),
                spectrum: s(v.spectrum),
                lower: d(v.lower),
                seed: d(v.seed),
                dtypes: v.dtypes.map(|x| (x.value, o(&x.referenced))),
                steps: d(v.steps),
                beyond: s(v.beyond),
            }),
            adam: match (raw.method, raw.shared, raw.objective, raw.penalties, raw.adam, raw.init, raw.fixed_rows) {
                (None, None, None, None, None, None, None) => None,
                (method, shared, objective, penalties, adam, init, fixed_rows) => Some(AdamSections {
                    method: method.map_or_else(
                        || ("greedy".to_string(), Origin::File(file.to_string())),
                        |m| (m.value, o(&m.referenced)),
                    ),
                    shared: shared.map(|v| (v.value, o(&v.referenced))),
                    objective,
                    penalties,
                    adam,
                    init,
                    fixed_rows: fixed_rows.map(|v| (v.value, o(&v.referenced))),
                    file: file.to_string(),
                }),
            },
            plots: raw.plots.map(|p| {
                let l = |v: Option<Spanned<Vec<String>>>| v.map(|x| (x.value, o(&x.referenced)));
                PlotSettings { kinds: l(p.kinds), formats: l(p.formats), compare_with: l(p.compare_with) }
            }),
        };
        settings.validate(&Origin::File(file.to_string()))
    }
}

/// The key as the user spelled it: `emit.const_name` in YAML, `--const-name`
/// on the command line.
fn key_for(origin: &Origin, key: &str) -> String {
    match origin {
        Origin::Flag => {
            format!("--{}", key.trim_start_matches("emit.").trim_start_matches("verify.").replace('_', "-"))
        }
        _ => key.to_string(),
    }
}

fn invalid(origin: &Origin, key: &str, value: impl fmt::Display, allowed: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.clone(),
        key: key_for(origin, key),
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Whether `name` is a plain file stem: letters, digits, `_`, `-`, `.`, not
/// starting with `.`, no path separators.
pub fn is_plain_stem(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A non-empty list of names read by `parse`, repeats dropped (the first kept).
fn parse_list<T: PartialEq>(
    list: &[String],
    o: &Origin,
    key: &str,
    allowed: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ConfigError> {
    let mut out = Vec::new();
    for name in list {
        let v = parse(name).ok_or_else(|| invalid(o, key, format!("{name:?}"), format!("a list of {allowed}")))?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err(invalid(o, key, "[]", format!("a non-empty list of {allowed}")));
    }
    Ok(out)
}

/// A decimal integer (optional sign, digits only).
fn parse_integer(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok()
}

fn is_rust_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
}

/// The default constant name for a table: its name upper-cased, with every
/// character that cannot be in an identifier replaced by `_`.
pub fn default_const_name(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

impl Settings {
    /// Checks every value and builds the [`Config`]. `missing` is the origin
    /// named when a required key is absent.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found, in key order.
    pub fn validate(self, missing: &Origin) -> Result<Config, ConfigError> {
        let need = |key: &str, allowed: &str| ConfigError::Missing {
            origin: missing.clone(),
            key: key_for(missing, key),
            allowed: allowed.into(),
        };
        let (name, name_o) = self.name.ok_or_else(|| need("name", "a plain file stem such as polar_express"))?;
        if !is_plain_stem(&name) {
            return Err(invalid(
                &name_o,
                "name",
                format!("{name:?}"),
                "a plain file stem: letters, digits, '_', '-', '.', not starting with '.', no path separators, at most 200 characters",
            ));
        }
        let (degree, degree_o) =
            self.degree.ok_or_else(|| need("degree", "an odd degree, or a list of per-step odd degrees"))?;
        let degree_allowed = format!("odd integers from 1 to {MAX_DEGREE}");
        let check_degree = |text: &str| -> Result<u32, ConfigError> {
            match parse_integer(text) {
                Some(d) if d >= 1 && d <= i64::from(MAX_DEGREE) && d % 2 == 1 => Ok(d as u32),
                _ => Err(invalid(&degree_o, "degree", text, degree_allowed.clone())),
            }
        };
        let steps_allowed = format!("an integer from 1 to {MAX_STEPS}");
        let degrees = match degree {
            DegreeSpec::One(d) => {
                let d = check_degree(&d)?;
                let (steps_text, steps_o) = self
                    .steps
                    .ok_or_else(|| need("steps", "the number of steps (required when degree is a single number)"))?;
                match parse_integer(&steps_text) {
                    Some(steps) if (1..=MAX_STEPS as i64).contains(&steps) => vec![d; steps as usize],
                    _ => return Err(invalid(&steps_o, "steps", steps_text, steps_allowed)),
                }
            }
            DegreeSpec::PerStep(list) => {
                if list.is_empty() || list.len() as u64 > MAX_STEPS {
                    return Err(invalid(
                        &degree_o,
                        "degree",
                        format!("a list of {} degrees", list.len()),
                        format!("a list of 1 to {MAX_STEPS} odd degrees"),
                    ));
                }
                let degrees = list.iter().map(|d| check_degree(d)).collect::<Result<Vec<_>, _>>()?;
                if let Some((steps, steps_o)) = self.steps
                    && parse_integer(&steps) != Some(degrees.len() as i64)
                {
                    return Err(invalid(
                        &steps_o,
                        "steps",
                        steps,
                        format!("the length of the degree list ({}), or leave steps out", degrees.len()),
                    ));
                }
                degrees
            }
        };
        let precision = match self.precision {
            None => crate::precision::DEFAULT_PRECISION,
            Some((text, o)) => match parse_integer(&text) {
                Some(p) if (i64::from(MIN_PRECISION)..=i64::from(MAX_PRECISION)).contains(&p) => p as u32,
                _ => {
                    return Err(invalid(
                        &o,
                        "precision",
                        text,
                        format!("an integer number of bits from {MIN_PRECISION} to {MAX_PRECISION}"),
                    ));
                }
            },
        };
        let max_iterations = match self.max_iterations {
            None => DEFAULT_MAX_ITERATIONS,
            Some((text, o)) => match parse_integer(&text) {
                Some(n) if (1..=MAX_REMEZ_ITERATIONS as i64).contains(&n) => n as usize,
                _ => {
                    return Err(invalid(
                        &o,
                        "max_iterations",
                        text,
                        format!("an integer from 1 to {MAX_REMEZ_ITERATIONS}"),
                    ));
                }
            },
        };
        let decimal = |key: &str, v: &(String, Origin)| -> Result<rug::Float, ConfigError> {
            parse_decimal(&v.0, CHECK_PRECISION).map_err(|_| {
                invalid(&v.1, key, format!("{:?}", v.0), "a finite decimal number such as 0.001, 1e-3 or \"1e-3\"")
            })
        };
        let (lower_text, lower_o) = self
            .lower
            .ok_or_else(|| need("lower", "the smallest singular value to map to 1, a number in (0, upper)"))?;
        let lower = decimal("lower", &(lower_text.clone(), lower_o.clone()))?;
        let upper_text = self.upper.clone().map_or_else(|| "1".to_string(), |v| v.0);
        let upper = match &self.upper {
            Some(v) => decimal("upper", v)?,
            None => rug::Float::with_val(CHECK_PRECISION, 1),
        };
        if lower <= 0 {
            return Err(invalid(
                &lower_o,
                "lower",
                &lower_text,
                "a number > 0 (f(0) = 0, so 0 can never be mapped to 1)",
            ));
        }
        if lower >= upper {
            return Err(invalid(&lower_o, "lower", &lower_text, format!("a number below upper = {upper_text}")));
        }
        let cushion_text = match &self.cushion {
            None => "0".to_string(),
            Some(v) => {
                let c = decimal("cushion", v)?;
                if !(0..1).contains(&c) {
                    return Err(invalid(&v.1, "cushion", &v.0, "a number in [0, 1); 0 turns the cushion off"));
                }
                v.0.clone()
            }
        };
        let safety_text = match &self.safety {
            None => "1".to_string(),
            Some(v) => {
                let s = decimal("safety", v)?;
                if s < 1 {
                    return Err(invalid(&v.1, "safety", &v.0, "a number >= 1; 1 turns the safety factor off"));
                }
                v.0.clone()
            }
        };
        let safety_mode = match &self.safety_mode {
            None => SafetyMode::After,
            Some((m, o)) => match m.as_str() {
                "after" => SafetyMode::After,
                "inside" => SafetyMode::Inside,
                _ => return Err(invalid(o, "safety_mode", format!("{m:?}"), "`after` or `inside`")),
            },
        };
        let const_name = match self.const_name {
            None => default_const_name(&name),
            Some((c, o)) => {
                if !is_rust_identifier(&c) {
                    return Err(invalid(
                        &o,
                        "emit.const_name",
                        format!("{c:?}"),
                        "a Rust identifier: a letter or '_' followed by letters, digits or '_'",
                    ));
                }
                c
            }
        };
        let formats = match self.formats {
            None => vec![OutputFormat::Json, OutputFormat::Rust],
            Some((list, o)) => parse_list(&list, &o, "emit.formats", OUTPUT_FORMAT_NAMES, OutputFormat::parse)?,
        };
        let element_type = match self.element_type {
            None => ElementType::F64,
            Some((t, o)) => match t.as_str() {
                "f64" => ElementType::F64,
                "f32" => ElementType::F32,
                _ => return Err(invalid(&o, "emit.element_type", format!("{t:?}"), "`f64` or `f32`")),
            },
        };
        let adam = match self.adam {
            Some(a) => a.validate(&degrees, precision)?,
            None => None,
        };
        Ok(Config {
            name,
            spec: ScheduleSpec {
                degrees,
                lower: lower_text,
                upper: upper_text,
                cushion: cushion_text,
                safety: safety_text,
                safety_mode,
                precision,
                max_iterations,
            },
            emit: EmitOptions { formats, const_name, element_type },
            adam,
            plots: match self.plots {
                Some(p) => Some(p.validate(self.verify.is_some())?),
                None => None,
            },
            verify: match self.verify {
                Some(v) => Some(v.validate()?),
                None => None,
            },
        })
    }
}

/// A positive integer from decimal text.
fn positive_integer(v: &Spanned<DecimalText>, file: &str, key: &str, max: u64) -> Result<usize, ConfigError> {
    match parse_integer(&v.value.0) {
        Some(n) if n >= 1 && n as u64 <= max => Ok(n as usize),
        _ => Err(invalid(&yaml_origin(file, &v.referenced), key, &v.value.0, format!("an integer from 1 to {max}"))),
    }
}

/// A finite f64 from decimal text, checked by `ok`.
fn number(
    v: &Spanned<DecimalText>,
    file: &str,
    key: &str,
    ok: impl Fn(f64) -> bool,
    allowed: &str,
) -> Result<f64, ConfigError> {
    match v.value.0.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => Ok(x),
        _ => Err(invalid(&yaml_origin(file, &v.referenced), key, &v.value.0, allowed)),
    }
}

/// Largest grid of a grid objective.
pub const MAX_GRID: u64 = 10_000_000;

impl AdamSections {
    /// Checks `method` and the Adam sections against the degrees.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], with the position of the value.
    fn validate(self, degrees: &[u32], precision: u32) -> Result<Option<AdamConfig>, ConfigError> {
        let file = self.file.as_str();
        let (method, method_o) = &self.method;
        match method.as_str() {
            "greedy" => {
                let adam_only = self.shared.is_some()
                    || self.objective.is_some()
                    || self.penalties.is_some()
                    || self.adam.is_some()
                    || self.init.is_some()
                    || self.fixed_rows.is_some();
                if adam_only {
                    return Err(invalid(
                        method_o,
                        "method",
                        method,
                        "`adam` when shared, objective, penalties, adam, init or fixed_rows are given",
                    ));
                }
                return Ok(None);
            }
            "adam" => {}
            other => return Err(invalid(method_o, "method", format!("{other:?}"), "`greedy` (default) or `adam`")),
        }
        let shared = self.shared.as_ref().is_some_and(|s| s.0);
        if shared && degrees.iter().any(|&d| d != degrees[0]) {
            let o = &self.shared.as_ref().expect("shared is set").1;
            return Err(invalid(o, "shared", "true", "false when the steps have different degrees"));
        }
        let steps = degrees.len();
        let rows = if shared { 1 } else { steps };
        let objective = match &self.objective {
            None => ObjectiveSpec::WorstCase,
            Some(ob) => {
                let ko = yaml_origin(file, &ob.kind.referenced);
                let grid = |default: usize| -> Result<usize, ConfigError> {
                    ob.grid.as_ref().map_or(Ok(default), |g| positive_integer(g, file, "objective.grid", MAX_GRID))
                };
                match ob.kind.value.as_str() {
                    "worst_case" => ObjectiveSpec::WorstCase,
                    "top_k" => {
                        let grid = grid(10_000)?;
                        let k = ob.k.as_ref().map_or(Ok(50), |k| positive_integer(k, file, "objective.k", MAX_GRID))?;
                        if k > grid {
                            let kv = ob.k.as_ref().map_or_else(|| ko.clone(), |k| yaml_origin(file, &k.referenced));
                            return Err(invalid(&kv, "objective.k", k, format!("at most the grid size ({grid})")));
                        }
                        ObjectiveSpec::TopK { k, grid }
                    }
                    "rms" => ObjectiveSpec::Rms { grid: grid(10_000)? },
                    "band" => {
                        let delta = match &ob.delta {
                            Some(d) => {
                                number(d, file, "objective.delta", |x| x > 0.0 && x < 1.0, "a number in (0, 1)")?
                            }
                            None => {
                                return Err(ConfigError::Missing {
                                    origin: ko,
                                    key: "objective.delta".into(),
                                    allowed: "the band half-width, a number in (0, 1)".into(),
                                });
                            }
                        };
                        ObjectiveSpec::Band { delta, grid: grid(10_000)? }
                    }
                    "rms_matrix" => {
                        let (r, c) = match &ob.shape {
                            Some(sh) => parse_shape(&sh.value.0).ok_or_else(|| {
                                invalid(
                                    &yaml_origin(file, &sh.referenced),
                                    "objective.shape",
                                    &sh.value.0,
                                    "rows x cols such as 64x256",
                                )
                            })?,
                            None => (64, 256),
                        };
                        let samples = ob
                            .samples
                            .as_ref()
                            .map_or(Ok(8), |v| positive_integer(v, file, "objective.samples", 10_000))?;
                        ObjectiveSpec::RmsMatrix { rows: r, cols: c, samples }
                    }
                    other => {
                        return Err(invalid(
                            &ko,
                            "objective.kind",
                            format!("{other:?}"),
                            "worst_case, top_k, rms, rms_matrix or band",
                        ));
                    }
                }
            }
        };
        let (mut no_sign_flip, mut overshoot) = (None, None);
        if let Some(p) = &self.penalties {
            if let Some(w) = &p.no_sign_flip {
                no_sign_flip = Some(number(w, file, "penalties.no_sign_flip", |x| x > 0.0, "a weight > 0")?);
            }
            if let Some(r) = &p.overshoot {
                let r = number(
                    r,
                    file,
                    "penalties.overshoot",
                    |x| x >= 0.0,
                    "the allowed overshoot r >= 0 (max f <= 1 + r)",
                )?;
                let w = p.overshoot_weight.as_ref().map_or(Ok(100.0), |w| {
                    number(w, file, "penalties.overshoot_weight", |x| x > 0.0, "a weight > 0")
                })?;
                overshoot = Some((r, w));
            }
        }
        let mut settings = crate::adam::AdamSettings { precision, ..crate::adam::AdamSettings::default() };
        let mut compare_with = Vec::new();
        if let Some(a) = &self.adam {
            if let Some(v) = &a.iterations {
                settings.iterations = positive_integer(v, file, "adam.iterations", 100_000_000)? as u64;
            }
            if let Some(v) = &a.polish_iterations {
                settings.polish_iterations = match parse_integer(&v.value.0) {
                    Some(n) if (0..=10_000_000).contains(&n) => n as u64,
                    _ => {
                        return Err(invalid(
                            &yaml_origin(file, &v.referenced),
                            "adam.polish_iterations",
                            &v.value.0,
                            "an integer from 0 to 10000000",
                        ));
                    }
                };
            }
            if let Some(v) = &a.learning_rate {
                settings.learning_rate = number(v, file, "adam.learning_rate", |x| x > 0.0, "a number > 0")?;
            }
            if let Some(v) = &a.final_ratio {
                settings.final_ratio =
                    number(v, file, "adam.final_ratio", |x| x > 0.0 && x <= 1.0, "a number in (0, 1]")?;
            }
            if let Some(v) = &a.beta1 {
                settings.beta1 = number(v, file, "adam.beta1", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?;
            }
            if let Some(v) = &a.beta2 {
                settings.beta2 = number(v, file, "adam.beta2", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?;
            }
            if let Some(v) = &a.target_loss {
                settings.target_loss = number(v, file, "adam.target_loss", |_| true, "a number")?;
            }
            if let Some(v) = &a.seed {
                settings.seed = v.value.0.trim().parse().map_err(|_| {
                    invalid(&yaml_origin(file, &v.referenced), "adam.seed", &v.value.0, "an integer from 0 to 2^64 - 1")
                })?;
            }
            if let Some(v) = &a.schedule {
                settings.schedule = match v.value.as_str() {
                    "constant" => crate::adam::LrSchedule::Constant,
                    "cosine" => crate::adam::LrSchedule::Cosine,
                    "exponential" => crate::adam::LrSchedule::Exponential,
                    other => {
                        return Err(invalid(
                            &yaml_origin(file, &v.referenced),
                            "adam.schedule",
                            format!("{other:?}"),
                            "constant, cosine or exponential",
                        ));
                    }
                };
            }
            if let Some(v) = &a.arithmetic {
                settings.arithmetic = match v.value.as_str() {
                    "f64_then_mpfr" => crate::adam::Arithmetic::F64ThenMpfr,
                    "mpfr" => crate::adam::Arithmetic::Mpfr,
                    other => {
                        return Err(invalid(
                            &yaml_origin(file, &v.referenced),
                            "adam.arithmetic",
                            format!("{other:?}"),
                            "f64_then_mpfr or mpfr",
                        ));
                    }
                };
            }
            if let Some(v) = &a.representable {
                settings.representable = Some(match v.value.as_str() {
                    "f64" => crate::adam::Representable::F64,
                    "f32" => crate::adam::Representable::F32,
                    "bf16" => crate::adam::Representable::Bf16,
                    other => {
                        return Err(invalid(
                            &yaml_origin(file, &v.referenced),
                            "adam.representable",
                            format!("{other:?}"),
                            "f64, f32 or bf16",
                        ));
                    }
                });
            }
            for c in a.compare_with.iter().flatten() {
                match c {
                    RawCompareWith::Preset(name) => {
                        let p = crate::presets::preset(name).ok_or_else(|| {
                            invalid(
                                method_o,
                                "adam.compare_with",
                                format!("{name:?}"),
                                format!("preset names ({}) or {{name, rows}}", crate::presets::PRESET_NAMES.join(", ")),
                            )
                        })?;
                        compare_with.push((p.name.to_string(), p.rows));
                    }
                    RawCompareWith::Rows { name, rows } => {
                        compare_with.push((
                            name.clone(),
                            rows.iter().map(|r| r.iter().map(|c| c.0.clone()).collect()).collect(),
                        ));
                    }
                }
            }
        }
        let row_len = |r: usize| (degrees[if shared { 0 } else { r }] as usize).div_ceil(2);
        let check_rows = |rows_given: &[Vec<String>], o: &Origin, key: &str| -> Result<(), ConfigError> {
            if rows_given.len() != rows {
                return Err(invalid(
                    o,
                    key,
                    format!("{} rows", rows_given.len()),
                    format!("{rows} rows ({})", if shared { "one shared row" } else { "one per step" }),
                ));
            }
            for (r, row) in rows_given.iter().enumerate() {
                if row.len() != row_len(r) {
                    return Err(invalid(
                        o,
                        key,
                        format!("row {} with {} coefficients", r + 1, row.len()),
                        format!("{} coefficients (degree {})", row_len(r), degrees[if shared { 0 } else { r }]),
                    ));
                }
                if let Some(c) = row.iter().find(|c| !c.trim().parse::<f64>().is_ok_and(f64::is_finite)) {
                    return Err(invalid(o, key, format!("{c:?}"), "finite decimal numbers"));
                }
            }
            Ok(())
        };
        let mut fixed = vec![None; rows];
        if let Some((map, o)) = &self.fixed_rows {
            for (key, row) in map {
                let index = match parse_integer(key) {
                    Some(i) if i >= 1 && i as usize <= rows => i as usize - 1,
                    _ => return Err(invalid(o, "fixed_rows", key, format!("row numbers from 1 to {rows}"))),
                };
                let row: Vec<String> = row.iter().map(|c| c.0.clone()).collect();
                if row.len() != row_len(index) || row.iter().any(|c| !c.trim().parse::<f64>().is_ok_and(f64::is_finite))
                {
                    return Err(invalid(
                        o,
                        "fixed_rows",
                        format!("row {key} = {row:?}"),
                        format!(
                            "{} finite coefficients (degree {})",
                            row_len(index),
                            degrees[if shared { 0 } else { index }]
                        ),
                    ));
                }
                fixed[index] = Some(row);
            }
            if fixed.iter().all(Option::is_some) {
                return Err(invalid(o, "fixed_rows", "every row", "at least one row left free"));
            }
        }
        let init = match &self.init {
            None => InitSpec::Greedy,
            Some(i) => match (&i.preset, &i.rows, i.greedy) {
                (Some(p), None, None | Some(false)) => {
                    let preset = crate::presets::preset(&p.value).ok_or_else(|| {
                        invalid(
                            &yaml_origin(file, &p.referenced),
                            "init.preset",
                            format!("{:?}", p.value),
                            format!("one of {}", crate::presets::PRESET_NAMES.join(", ")),
                        )
                    })?;
                    let expanded: Vec<Vec<String>> =
                        (0..rows).map(|r| preset.rows[r.min(preset.rows.len() - 1)].clone()).collect();
                    check_rows(&expanded, &yaml_origin(file, &p.referenced), "init.preset")?;
                    InitSpec::Preset(p.value.clone())
                }
                (None, Some(r), None | Some(false)) => {
                    let given: Vec<Vec<String>> =
                        r.value.iter().map(|row| row.iter().map(|c| c.0.clone()).collect()).collect();
                    check_rows(&given, &yaml_origin(file, &r.referenced), "init.rows")?;
                    InitSpec::Rows(given)
                }
                (None, None, _) => InitSpec::Greedy,
                _ => return Err(invalid(method_o, "init", "several starts", "one of preset, rows or greedy: true")),
            },
        };
        Ok(Some(AdamConfig { shared, objective, no_sign_flip, overshoot, settings, init, fixed, compare_with }))
    }
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
            None => {
                let mut k = vec![PlotKind::Response, PlotKind::Steps, PlotKind::Convergence, PlotKind::Loss];
                if has_verify {
                    k.push(PlotKind::SingularValues);
                }
                k
            }
            Some((list, o)) => {
                let kinds = parse_list(list, o, "plots.kinds", PLOT_KIND_NAMES, PlotKind::parse)?;
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
            None => vec![ImageFormat::Png, ImageFormat::Svg],
            Some((list, o)) => parse_list(list, o, "plots.formats", "png, svg", |f| match f {
                "png" => Some(ImageFormat::Png),
                "svg" => Some(ImageFormat::Svg),
                _ => None,
            })?,
        };
        let compare_with = match &self.compare_with {
            None => Vec::new(),
            Some((list, o)) => {
                for name in list {
                    if crate::presets::preset(name).is_none() {
                        return Err(invalid(
                            o,
                            "plots.compare_with",
                            format!("{name:?}"),
                            format!("preset names: {}", crate::presets::PRESET_NAMES.join(", ")),
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
    /// spectrum in [1e-3, 1], seed 0, all three arithmetics, the table's own
    /// step count, repeating the last row.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], naming `verify.<key>`.
    pub fn validate(self) -> Result<VerifyConfig, ConfigError> {
        let (rows, cols) = match &self.shape {
            None => (256, 512),
            Some((text, o)) => match parse_shape(text) {
                Some((r, c)) => (r, c),
                None => return Err(invalid(o, "verify.shape", format!("{text:?}"), "rows x cols such as 256x512")),
            },
        };
        let spectrum = match &self.spectrum {
            None => Spectrum::LogUniform,
            Some((text, o)) => Spectrum::parse(text).ok_or_else(|| {
                invalid(o, "verify.spectrum", format!("{text:?}"), format!("one of {SPECTRUM_NAMES}"))
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
            Some((list, o)) => parse_list(list, o, "verify.dtypes", "f64, f32, bf16", Dtype::parse)?,
        };
        let steps = match &self.steps {
            None => None,
            Some((text, o)) => match parse_integer(text) {
                Some(n) if (1..=MAX_STEPS as i64).contains(&n) => Some(n as usize),
                _ => return Err(invalid(o, "verify.steps", text, format!("an integer from 1 to {MAX_STEPS}"))),
            },
        };
        let beyond = match &self.beyond {
            None => Beyond::RepeatLast,
            Some((text, o)) => Beyond::parse(text)
                .ok_or_else(|| invalid(o, "verify.beyond", format!("{text:?}"), "`repeat_last` or `cycle`"))?,
        };
        Ok(VerifyConfig {
            matrix: MatrixSpec { rows, cols, spectrum, lower, seed },
            options: VerifyOptions { dtypes, steps, beyond, ..VerifyOptions::default() },
        })
    }
}

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
    serde_saphyr::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
        .is_ok_and(|m| m.contains_key("rows"))
}

/// Reads a literal table: `name`, `rows` (lists of decimal coefficients of x,
/// x³, …), optional `steps` and `source`.
///
/// # Errors
///
/// [`ConfigError`] with the position of the bad value.
pub fn rows_from_yaml_str(text: &str, file: &str) -> Result<crate::verify::CoefficientRows, ConfigError> {
    let raw: RawRows = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
    let o = |loc: &Location| yaml_origin(file, loc);
    if !is_plain_stem(&raw.name.value) {
        return Err(invalid(&o(&raw.name.referenced), "name", format!("{:?}", raw.name.value), "a plain file stem"));
    }
    let rows: Vec<Vec<String>> = raw.rows.value.into_iter().map(|r| r.into_iter().map(|c| c.0).collect()).collect();
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
            if !c.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(invalid(&rows_o, "rows", format!("{c:?}"), "finite decimal numbers"));
            }
        }
    }
    let default_steps = match raw.steps {
        None => rows.len(),
        Some(v) => match parse_integer(&v.value.0) {
            Some(n) if (1..=MAX_STEPS as i64).contains(&n) => n as usize,
            _ => {
                return Err(invalid(
                    &o(&v.referenced),
                    "steps",
                    &v.value.0,
                    format!("an integer from 1 to {MAX_STEPS}"),
                ));
            }
        },
    };
    Ok(crate::verify::CoefficientRows {
        name: raw.name.value,
        source: raw.source.unwrap_or_else(|| format!("literal rows from {file}")),
        rows,
        default_steps,
    })
}

/// The validated config as echoed in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigEcho {
    /// Table name.
    pub name: String,
    /// Degree of every step.
    pub degrees: Vec<u32>,
    /// Step count.
    pub steps: usize,
    /// ℓ as written.
    pub lower: String,
    /// u as written.
    pub upper: String,
    /// λ as written.
    pub cushion: String,
    /// s as written.
    pub safety: String,
    /// `after` or `inside`.
    pub safety_mode: SafetyMode,
    /// Working precision in bits.
    pub precision: u32,
    /// Cap on Remez iterations per step.
    pub max_iterations: usize,
    /// The emit section.
    pub emit: EmitOptions,
    /// The Adam method's settings (absent for the greedy method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adam: Option<AdamConfig>,
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

    #[test]
    fn default_const_names_are_identifiers() {
        assert_eq!(default_const_name("polar-express.v2"), "POLAR_EXPRESS_V2");
        assert_eq!(default_const_name("5step"), "_5STEP");
        assert!(is_rust_identifier(&default_const_name("5step")));
    }
}
