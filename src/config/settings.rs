//! The top-level keys: [`Settings`] (each value with its origin, from YAML or
//! flags) validated into a [`Config`], one named helper per group of keys.

use rug::Float;

use super::error::{invalid, missing};
use super::{
    AdamSections, CHECK_PRECISION, Config, ConfigError, DegreeSpec, OperatorSettings, Origin, PlotSettings,
    VerifySettings,
};
use crate::ident::{CONST_NAME_RULE, check_const_name};
pub use crate::ident::{default_const_name, is_plain_stem};
use crate::names;
use crate::poly::MAX_ROOT;
use crate::precision::{DEFAULT_PRECISION, MAX_PRECISION, MIN_PRECISION, parse_decimal};
use crate::remez::{DEFAULT_MAX_ITERATIONS, MAX_DEGREE};
use crate::rounding::RoundTarget;
use crate::schedule::{SafetyMode, ScheduleSpec};
use crate::table::{ElementType, EmitOptions, OutputFormat};

/// Largest `max_iterations` a config may set.
pub const MAX_REMEZ_ITERATIONS: usize = 10_000;

pub use crate::schedule::MAX_STEPS;

/// A value and where it came from.
pub(crate) type Valued<T> = (T, Origin);

/// Unvalidated settings from either source (YAML or flags), each with the
/// place it came from.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Table name.
    pub name: Option<Valued<String>>,
    /// Degrees.
    pub degree: Option<Valued<DegreeSpec>>,
    /// Step count.
    pub steps: Option<Valued<String>>,
    /// ℓ.
    pub lower: Option<Valued<String>>,
    /// u.
    pub upper: Option<Valued<String>>,
    /// λ.
    pub cushion: Option<Valued<String>>,
    /// s.
    pub safety: Option<Valued<String>>,
    /// `after` or `inside`.
    pub safety_mode: Option<Valued<String>>,
    /// `image` or `endpoints`.
    pub recentre: Option<Valued<String>>,
    /// The `normalisation` block.
    pub normalisation: Option<NormalisationSettings>,
    /// `f32`, `bf16` or `f16`: also make a rounding-aware table.
    pub round_to: Option<Valued<String>>,
    /// Exponent step r of the family x·q(x^r) (2: msign).
    pub root: Option<Valued<String>>,
    /// Append the exact limit row as the table's last row.
    pub limit_row: Option<Valued<bool>>,
    /// Bits.
    pub precision: Option<Valued<String>>,
    /// Cap on Remez iterations per step.
    pub max_iterations: Option<Valued<String>>,
    /// Output formats.
    pub formats: Option<Valued<Vec<String>>>,
    /// Rust constant name.
    pub const_name: Option<Valued<String>>,
    /// `f64` or `f32`.
    pub element_type: Option<Valued<String>>,
    /// The `verify` section.
    pub verify: Option<VerifySettings>,
    /// The `operator` section.
    pub operator: Option<OperatorSettings>,
    /// The `plots` section.
    pub plots: Option<PlotSettings>,
    /// `method` and the Adam sections (validated with the degrees).
    pub adam: Option<AdamSections>,
}

/// A non-empty list of names read by `parse`, repeats dropped (the first kept).
pub(crate) fn parse_list<T: PartialEq>(
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

/// A list of enum names (each enum's own spelling).
pub(crate) fn parse_names<T: PartialEq + std::str::FromStr + strum::VariantNames>(
    (list, o): &Valued<Vec<String>>,
    key: &str,
) -> Result<Vec<T>, ConfigError> {
    parse_list(list, o, key, &names::list::<T>(), names::parse::<T>)
}

/// A decimal integer (optional sign, digits only).
pub(crate) fn parse_integer(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok()
}

/// An integer in `[lo, hi]`.
pub(crate) fn integer_in((text, o): &Valued<String>, key: &str, lo: i64, hi: i64) -> Result<i64, ConfigError> {
    match parse_integer(text) {
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(invalid(o, key, text, format!("an integer from {lo} to {hi}"))),
    }
}

/// A finite f64 from decimal text (Rust's parser rounds it once), checked by `ok`.
pub(crate) fn number(
    (text, o): &Valued<String>,
    key: &str,
    ok: impl Fn(f64) -> bool,
    allowed: &str,
) -> Result<f64, ConfigError> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => Ok(x),
        _ => Err(invalid(o, key, text, allowed)),
    }
}

/// The unvalidated `normalisation` block.
#[derive(Debug, Clone, Default)]
pub struct NormalisationSettings {
    /// `frobenius` or `spectral_bound`.
    pub kind: Option<Valued<String>>,
    /// The factor on the norm.
    pub scale: Option<Valued<String>>,
    /// The term added.
    pub epsilon: Option<Valued<String>>,
}

impl NormalisationSettings {
    /// Checks the block; defaults: `frobenius`, scale 1.01, epsilon 1e-7.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], naming `normalisation.<key>`.
    pub fn validate(&self) -> Result<crate::normalise::Normalisation, ConfigError> {
        use crate::normalise::{NormKind, Normalisation, is_plain_decimal};
        let kind = match &self.kind {
            None => NormKind::Frobenius,
            Some((t, o)) => names::parse(t.trim())
                .ok_or_else(|| invalid(o, "normalisation.kind", format!("{t:?}"), "`frobenius` or `spectral_bound`"))?,
        };
        let text =
            |v: &Option<Valued<String>>, key: &str, default: &str, ok: &dyn Fn(f64) -> bool, allowed: &str| match v {
                None => Ok(default.to_string()),
                Some((t, o)) => {
                    let t = t.trim();
                    match t.parse::<f64>() {
                        Ok(x) if is_plain_decimal(t) && x.is_finite() && ok(x) => Ok(t.to_string()),
                        _ => Err(invalid(o, key, t, allowed)),
                    }
                }
            };
        let scale = text(
            &self.scale,
            "normalisation.scale",
            crate::normalise::DEFAULT_SCALE_TEXT,
            &|x| (1.0..=16.0).contains(&x),
            "a plain decimal from 1 to 16 (such as 1.02)",
        )?;
        let epsilon = text(
            &self.epsilon,
            "normalisation.epsilon",
            crate::normalise::DEFAULT_EPSILON_TEXT,
            &|x| (0.0..=1.0).contains(&x),
            "a plain decimal from 0 to 1 (such as 1e-6)",
        )?;
        Ok(Normalisation { kind, scale, epsilon })
    }
}

/// The interval and its safety settings, validated: (lower, upper, cushion,
/// safety) as the user wrote them, and the mode.
struct Interval {
    lower: String,
    upper: String,
    cushion: String,
    safety: String,
    safety_mode: SafetyMode,
}

fn decimal(key: &str, (text, o): &Valued<String>) -> Result<Float, ConfigError> {
    parse_decimal(text, CHECK_PRECISION)
        .map_err(|_| invalid(o, key, format!("{text:?}"), "a finite decimal number such as 0.001, 1e-3 or \"1e-3\""))
}

impl Settings {
    /// Checks every value and builds the [`Config`]. `missing_origin` is the
    /// origin named when a required key is absent.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found, in key order.
    pub fn validate(self, missing_origin: &Origin) -> Result<Config, ConfigError> {
        let (name, name_o) = self
            .name
            .clone()
            .ok_or_else(|| missing(missing_origin, "name", "a plain file stem such as polar_express"))?;
        if !is_plain_stem(&name) {
            return Err(invalid(
                &name_o,
                "name",
                format!("{name:?}"),
                "a plain file stem: letters, digits, '_', '-', '.', not starting with '.', no path separators, at most 200 characters",
            ));
        }
        let root = match &self.root {
            None => crate::poly::MSIGN_ROOT,
            Some(v) => integer_in(v, "root", 1, i64::from(MAX_ROOT))? as u32,
        };
        let mut degrees = self.degrees(missing_origin, root)?;
        let limit_row = self.limit_row.as_ref().is_some_and(|v| v.0);
        if limit_row {
            if let (Some(a), Some((_, o))) = (&self.adam, &self.limit_row)
                && a.method.0 == "adam"
            {
                return Err(invalid(o, "limit_row", "true", "false with method: adam (its rows are all optimised)"));
            }
            if degrees.len() as u64 >= MAX_STEPS {
                let o = self.limit_row.as_ref().map_or(missing_origin, |v| &v.1);
                return Err(invalid(o, "limit_row", "true", format!("false with {MAX_STEPS} steps already")));
            }
            degrees.push(*degrees.last().expect("at least one step"));
        }
        if root != crate::poly::MSIGN_ROOT {
            let sections = [("verify", self.verify.is_some()), ("plots", self.plots.is_some())];
            if let Some((key, _)) = sections.iter().find(|(_, present)| *present) {
                let o = self.root.as_ref().map_or(missing_origin, |v| &v.1);
                return Err(invalid(
                    o,
                    "root",
                    root.to_string(),
                    format!(
                        "2 (msign) with a `{key}` section: verification, figures and the Adam method run msign tables only"
                    ),
                ));
            }
        }
        let precision = match &self.precision {
            None => DEFAULT_PRECISION,
            Some(v) => match parse_integer(&v.0) {
                Some(p) if (i64::from(MIN_PRECISION)..=i64::from(MAX_PRECISION)).contains(&p) => p as u32,
                _ => {
                    return Err(invalid(
                        &v.1,
                        "precision",
                        &v.0,
                        format!("an integer number of bits from {MIN_PRECISION} to {MAX_PRECISION}"),
                    ));
                }
            },
        };
        let max_iterations = match &self.max_iterations {
            None => DEFAULT_MAX_ITERATIONS,
            Some(v) => integer_in(v, "max_iterations", 1, MAX_REMEZ_ITERATIONS as i64)? as usize,
        };
        let interval = self.interval(missing_origin)?;
        let round_to = match &self.round_to {
            None => None,
            Some((t, o)) => Some(
                RoundTarget::parse(t.trim())
                    .ok_or_else(|| invalid(o, "round_to", format!("{t:?}"), RoundTarget::NAMES))?,
            ),
        };
        let emit = self.emit_options(&name)?;
        let normalisation = match &self.normalisation {
            None => crate::normalise::Normalisation::default(),
            Some(n) => {
                if root != crate::poly::MSIGN_ROOT {
                    let o = self.root.as_ref().map_or(missing_origin, |v| &v.1);
                    return Err(invalid(
                        o,
                        "root",
                        root.to_string(),
                        "2 (msign) with a `normalisation` block (root tables normalise P by sqrt(tr(P^2)))",
                    ));
                }
                n.validate()?
            }
        };
        let adam = match self.adam {
            Some(a) => a.validate(&degrees, precision, root)?,
            None => None,
        };
        Ok(Config {
            name,
            spec: ScheduleSpec {
                degrees,
                lower: interval.lower,
                upper: interval.upper,
                cushion: interval.cushion,
                safety: interval.safety,
                safety_mode: interval.safety_mode,
                precision,
                max_iterations,
                root,
                limit_row,
                recentre: match &self.recentre {
                    None => crate::schedule::Recentre::Image,
                    Some((m, o)) => names::parse(m.trim())
                        .ok_or_else(|| invalid(o, "recentre", format!("{m:?}"), "`image` or `endpoints`"))?,
                },
            },
            emit,
            round_to,
            normalisation,
            adam,
            plots: match self.plots {
                Some(p) => Some(p.validate(self.verify.is_some())?),
                None => None,
            },
            verify: match self.verify {
                Some(v) => Some(v.validate()?),
                None => None,
            },
            operator: match self.operator {
                Some(v) => Some(v.validate_default(root, missing_origin)?),
                None => None,
            },
        })
    }

    /// `degree` and `steps`: one degree per step.
    fn degrees(&self, missing_origin: &Origin, root: u32) -> Result<Vec<u32>, ConfigError> {
        let (degree, degree_o) = self
            .degree
            .as_ref()
            .ok_or_else(|| missing(missing_origin, "degree", "an odd degree, or a list of per-step odd degrees"))?;
        let check_degree = |text: &str| -> Result<u32, ConfigError> {
            let r = i64::from(root);
            match parse_integer(text) {
                Some(d) if d >= 1 && d <= i64::from(MAX_DEGREE) && (d - 1) % r == 0 => Ok(d as u32),
                _ if root == crate::poly::MSIGN_ROOT => {
                    Err(invalid(degree_o, "degree", text, format!("odd integers from 1 to {MAX_DEGREE}")))
                }
                _ => Err(invalid(
                    degree_o,
                    "degree",
                    text,
                    format!(
                        "1 + {root}·(n − 1) for root {root}, at most {MAX_DEGREE}: {}, … (n terms x, x^{}, …)",
                        (0..4).map(|k| (1 + k * root).to_string()).collect::<Vec<_>>().join(", "),
                        1 + root
                    ),
                )),
            }
        };
        match degree {
            DegreeSpec::One(d) => {
                let d = check_degree(d)?;
                let steps = self.steps.as_ref().ok_or_else(|| {
                    missing(missing_origin, "steps", "the number of steps (required when degree is a single number)")
                })?;
                Ok(vec![d; integer_in(steps, "steps", 1, MAX_STEPS as i64)? as usize])
            }
            DegreeSpec::PerStep(list) => {
                if list.is_empty() || list.len() as u64 > MAX_STEPS {
                    return Err(invalid(
                        degree_o,
                        "degree",
                        format!("a list of {} degrees", list.len()),
                        format!("a list of 1 to {MAX_STEPS} odd degrees"),
                    ));
                }
                let degrees = list.iter().map(|d| check_degree(d)).collect::<Result<Vec<_>, _>>()?;
                if let Some((steps, steps_o)) = &self.steps
                    && parse_integer(steps) != Some(degrees.len() as i64)
                {
                    return Err(invalid(
                        steps_o,
                        "steps",
                        steps,
                        format!("the length of the degree list ({}), or leave steps out", degrees.len()),
                    ));
                }
                Ok(degrees)
            }
        }
    }

    /// `lower`, `upper`, `cushion`, `safety`, `safety_mode`.
    fn interval(&self, missing_origin: &Origin) -> Result<Interval, ConfigError> {
        let lower_v = self.lower.as_ref().ok_or_else(|| {
            missing(missing_origin, "lower", "the smallest singular value to map to 1, a number in (0, upper)")
        })?;
        let lower = decimal("lower", lower_v)?;
        let upper_text = self.upper.as_ref().map_or_else(|| "1".to_string(), |v| v.0.clone());
        let upper = match &self.upper {
            Some(v) => decimal("upper", v)?,
            None => Float::with_val(CHECK_PRECISION, 1),
        };
        if lower <= 0 {
            return Err(invalid(
                &lower_v.1,
                "lower",
                &lower_v.0,
                "a number > 0 (f(0) = 0, so 0 can never be mapped to 1)",
            ));
        }
        if lower >= upper {
            return Err(invalid(&lower_v.1, "lower", &lower_v.0, format!("a number below upper = {upper_text}")));
        }
        let cushion = match &self.cushion {
            None => "0".to_string(),
            Some(v) => {
                if !(0..1).contains(&decimal("cushion", v)?) {
                    return Err(invalid(&v.1, "cushion", &v.0, "a number in [0, 1); 0 turns the cushion off"));
                }
                v.0.clone()
            }
        };
        let safety = match &self.safety {
            None => "1".to_string(),
            Some(v) => {
                if decimal("safety", v)? < 1 {
                    return Err(invalid(&v.1, "safety", &v.0, "a number >= 1; 1 turns the safety factor off"));
                }
                v.0.clone()
            }
        };
        let safety_mode = match &self.safety_mode {
            None => SafetyMode::default(),
            Some((m, o)) => {
                names::parse(m).ok_or_else(|| invalid(o, "safety_mode", format!("{m:?}"), "`after` or `inside`"))?
            }
        };
        Ok(Interval { lower: lower_v.0.clone(), upper: upper_text, cushion, safety, safety_mode })
    }

    /// `emit.formats`, `emit.const_name`, `emit.element_type`.
    fn emit_options(&self, name: &str) -> Result<EmitOptions, ConfigError> {
        let const_name = match &self.const_name {
            None => default_const_name(name),
            Some((c, o)) => {
                if let Err(why) = check_const_name(c) {
                    return Err(invalid(o, "emit.const_name", format!("{c:?} ({why})"), CONST_NAME_RULE));
                }
                c.clone()
            }
        };
        let formats = match &self.formats {
            None => vec![OutputFormat::Json, OutputFormat::Rust],
            Some(v) => parse_names::<OutputFormat>(v, "emit.formats")?,
        };
        let element_type = match &self.element_type {
            None => ElementType::default(),
            Some((t, o)) => {
                names::parse(t).ok_or_else(|| invalid(o, "emit.element_type", format!("{t:?}"), "`f64` or `f32`"))?
            }
        };
        Ok(EmitOptions { formats, const_name, element_type })
    }
}
