//! The YAML as written: scalars kept as their text (numbers never pass
//! through f64), every value with its position, turned into [`Settings`].

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::{Location, Spanned};

use super::adam::{AdamKeys, CompareWithSetting};
use super::{
    AdamSections, ConfigError, InitSettings, ObjectiveSettings, OperatorSettings, Origin, PenaltySettings,
    PlotSettings, Settings, VerifySettings,
};

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
                // A float is never a degree; its digits are gone by now (1e-400
                // reads as 0), so the message names the kind of value.
                Ok(DegreeSpec::One(if v.fract() == 0.0 && v != 0.0 && v.abs() < 1e15 {
                    format!("{v}")
                } else {
                    format!("a floating-point number (read as {v:e})")
                }))
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
    recentre: Option<Spanned<String>>,
    normalisation: Option<RawNormalisation>,
    precision: Option<Spanned<DecimalText>>,
    max_iterations: Option<Spanned<DecimalText>>,
    emit: Option<RawEmit>,
    verify: Option<RawVerify>,
    operator: Option<RawOperator>,
    plots: Option<RawPlots>,
    method: Option<Spanned<String>>,
    shared: Option<Spanned<bool>>,
    objective: Option<RawObjective>,
    penalties: Option<RawPenalties>,
    adam: Option<RawAdam>,
    init: Option<Spanned<RawInit>>,
    fixed_rows: Option<Spanned<std::collections::BTreeMap<String, Vec<DecimalText>>>>,
    round_to: Option<Spanned<String>>,
    root: Option<Spanned<DecimalText>>,
    limit_row: Option<Spanned<bool>>,
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
    compare_with: Option<Vec<Spanned<RawCompareWith>>>,
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
    greedy: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlots {
    kinds: Option<Spanned<Vec<String>>>,
    formats: Option<Spanned<Vec<String>>>,
    compare_with: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    iteration: Option<Spanned<String>>,
    restarts: Option<Spanned<Vec<DecimalText>>>,
    normalise_in: Option<Spanned<String>>,
    measure: Option<Spanned<DecimalText>>,
    shape: Option<Spanned<DecimalText>>,
    spectrum: Option<Spanned<String>>,
    lower: Option<Spanned<DecimalText>>,
    seed: Option<Spanned<DecimalText>>,
    dtypes: Option<Spanned<Vec<String>>>,
    steps: Option<Spanned<DecimalText>>,
    beyond: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNormalisation {
    kind: Option<Spanned<String>>,
    scale: Option<Spanned<DecimalText>>,
    epsilon: Option<Spanned<DecimalText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    name: Option<Spanned<String>>,
    formulas: Option<Spanned<Vec<String>>>,
    shape: Option<Spanned<DecimalText>>,
    spectrum: Option<Spanned<String>>,
    lower: Option<Spanned<DecimalText>>,
    upper: Option<Spanned<DecimalText>>,
    condition: Option<Spanned<DecimalText>>,
    shift: Option<Spanned<DecimalText>>,
    seed: Option<Spanned<DecimalText>>,
    dtypes: Option<Spanned<Vec<String>>>,
    steps: Option<Spanned<DecimalText>>,
    beyond: Option<Spanned<String>>,
    epsilon: Option<Spanned<DecimalText>>,
    power: Option<Spanned<DecimalText>>,
    clip: Option<Spanned<Vec<DecimalText>>>,
}

/// The parser's error as `file:line:column: message`, without its source
/// snippet (which would name the file `<input>`).
pub(crate) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> ConfigError {
    let full = e.without_snippet().to_string();
    let message = match e.location() {
        Some(loc) => {
            let prefix = format!("error: line {} column {}: ", loc.line(), loc.column());
            let suffix = format!(" at line {}, column {}", loc.line(), loc.column());
            let text = full.strip_prefix(&prefix).unwrap_or(&full);
            let text = text.strip_suffix(&suffix).unwrap_or(text);
            format!("{}:{}: {}", loc.line(), loc.column(), plain_yaml_message(text.lines().next().unwrap_or(text)))
        }
        None => format!(" {}", plain_yaml_message(full.lines().next().unwrap_or(&full))),
    };
    ConfigError::Yaml { file: file.to_string(), message }
}

/// Longest parser message shown (the list of allowed keys fits).
const MAX_YAML_MESSAGE: usize = 600;

/// The parser's message in the config's terms: hints about the parser's
/// own options are replaced by what the user can do.
fn plain_yaml_message(text: &str) -> String {
    if let Some(head) = text.split(", set DuplicateKeyPolicy").next().filter(|_| text.contains("DuplicateKeyPolicy")) {
        return format!("{head} (each key may appear once)");
    }
    if text.contains("budget") {
        return "the document is too large or nests aliases too deeply (at most a few hundred thousand nodes)"
            .to_string();
    }
    if text.contains("from_str_multiple") || text.contains("multiple documents") {
        return "a config holds one YAML document (remove the `---` separators)".to_string();
    }
    // The parser may quote the input: escape control characters, cut a
    // runaway value.
    crate::ident::escaped_cut(text, MAX_YAML_MESSAGE)
}

pub(crate) fn yaml_origin(file: &str, loc: &Location) -> Origin {
    Origin::Yaml { file: file.to_string(), line: loc.line(), column: loc.column() }
}

/// Reads YAML text into [`Settings`], each value with its position.
///
/// # Errors
///
/// [`ConfigError::Yaml`] for syntax, unknown keys and wrong types.
pub(crate) fn settings_from_yaml(text: &str, file: &str) -> Result<Settings, ConfigError> {
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
        recentre: s(raw.recentre),
        normalisation: raw.normalisation.map(|n| super::NormalisationSettings {
            kind: s(n.kind),
            scale: d(n.scale),
            epsilon: d(n.epsilon),
        }),
        round_to: s(raw.round_to),
        root: d(raw.root),
        limit_row: raw.limit_row.map(|v| (v.value, o(&v.referenced))),
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
            iteration: s(v.iteration),
            normalise_in: s(v.normalise_in),
            measure: d(v.measure),
            restarts: v.restarts.map(|x| (x.value.into_iter().map(|t| t.0).collect(), o(&x.referenced))),
        }),
        operator: raw.operator.map(|v| OperatorSettings {
            name: s(v.name),
            formulas: v.formulas.map(|x| (x.value, o(&x.referenced))),
            shape: d(v.shape),
            spectrum: s(v.spectrum),
            lower: d(v.lower),
            upper: d(v.upper),
            condition: d(v.condition),
            shift: d(v.shift),
            seed: d(v.seed),
            dtypes: v.dtypes.map(|x| (x.value, o(&x.referenced))),
            steps: d(v.steps),
            beyond: s(v.beyond),
            epsilon: d(v.epsilon),
            power: d(v.power),
            clip: v.clip.map(|x| (x.value.into_iter().map(|t| t.0).collect(), o(&x.referenced))),
        }),
        adam: match (raw.method, raw.shared, raw.objective, raw.penalties, raw.adam, raw.init, raw.fixed_rows) {
            (None, None, None, None, None, None, None) => None,
            (method, shared, objective, penalties, adam, init, fixed_rows) => Some(AdamSections {
                method: method.map_or_else(
                    || ("greedy".to_string(), Origin::File(file.to_string())),
                    |m| (m.value, o(&m.referenced)),
                ),
                shared: shared.map(|v| (v.value, o(&v.referenced))),
                objective: objective.map(|ob| ObjectiveSettings {
                    kind: (ob.kind.value, o(&ob.kind.referenced)),
                    k: d(ob.k),
                    grid: d(ob.grid),
                    delta: d(ob.delta),
                    shape: d(ob.shape),
                    samples: d(ob.samples),
                }),
                penalties: penalties.map(|p| PenaltySettings {
                    no_sign_flip: d(p.no_sign_flip),
                    overshoot: d(p.overshoot),
                    overshoot_weight: d(p.overshoot_weight),
                }),
                adam: adam.map(|a| AdamKeys {
                    iterations: d(a.iterations),
                    polish_iterations: d(a.polish_iterations),
                    learning_rate: d(a.learning_rate),
                    schedule: s(a.schedule),
                    final_ratio: d(a.final_ratio),
                    beta1: d(a.beta1),
                    beta2: d(a.beta2),
                    target_loss: d(a.target_loss),
                    arithmetic: s(a.arithmetic),
                    representable: s(a.representable),
                    seed: d(a.seed),
                    compare_with: a
                        .compare_with
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            let entry = match c.value {
                                RawCompareWith::Preset(name) => CompareWithSetting::Preset(name),
                                RawCompareWith::Rows { name, rows } => {
                                    CompareWithSetting::Rows { name, rows: texts(rows) }
                                }
                            };
                            (entry, o(&c.referenced))
                        })
                        .collect(),
                }),
                init: init.map(|i| InitSettings {
                    origin: o(&i.referenced),
                    preset: s(i.value.preset),
                    rows: i.value.rows.map(|r| (texts(r.value), o(&r.referenced))),
                    greedy: i.value.greedy.map(|g| (g.value, o(&g.referenced))),
                }),
                fixed_rows: fixed_rows.map(|v| {
                    let map = v.value.into_iter().map(|(k, row)| (k, row.into_iter().map(|c| c.0).collect())).collect();
                    (map, o(&v.referenced))
                }),
            }),
        },
        plots: raw.plots.map(|p| {
            let l = |v: Option<Spanned<Vec<String>>>| v.map(|x| (x.value, o(&x.referenced)));
            PlotSettings { kinds: l(p.kinds), formats: l(p.formats), compare_with: l(p.compare_with) }
        }),
    };
    Ok(settings)
}

/// Decimal rows as text.
pub(crate) fn texts(rows: Vec<Vec<DecimalText>>) -> Vec<Vec<String>> {
    rows.into_iter().map(|r| r.into_iter().map(|c| c.0).collect()).collect()
}
