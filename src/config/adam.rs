//! `method: adam` and its sections (`shared`, `objective`, `penalties`,
//! `adam`, `init`, `fixed_rows`), validated against the degrees. Every value
//! carries its own origin, so every error points at its own key.

use std::collections::BTreeMap;

use super::error::{invalid, missing};
use super::settings::{Valued, integer_in, number, parse_integer};
use super::{ConfigError, MAX_GRID, Origin};
use crate::adam::spec::{AdamConfig, InitSpec, ObjectiveSpec};
use crate::adam::{AdamSettings, Arithmetic, LrSchedule, Representable};
use crate::presets::{PRESET_NAMES, preset};
use crate::rows::{is_finite_decimal, repeat_last};
use crate::verify::matrix::parse_shape;

/// Largest matrix of the `rms_matrix` objective (elements).
pub const MAX_RMS_MATRIX_ELEMENTS: u64 = 1 << 22;

/// Largest total of sampled elements of the `rms_matrix` objective.
pub const MAX_RMS_MATRIX_WORK: u64 = 1 << 26;

/// The `objective` section.
#[derive(Debug, Clone)]
pub struct ObjectiveSettings {
    /// `kind`.
    pub kind: Valued<String>,
    /// `k` (top_k).
    pub k: Option<Valued<String>>,
    /// `grid`.
    pub grid: Option<Valued<String>>,
    /// `delta` (band).
    pub delta: Option<Valued<String>>,
    /// `shape` (rms_matrix).
    pub shape: Option<Valued<String>>,
    /// `samples` (rms_matrix).
    pub samples: Option<Valued<String>>,
}

/// The `penalties` section.
#[derive(Debug, Clone, Default)]
pub struct PenaltySettings {
    /// `no_sign_flip` weight.
    pub no_sign_flip: Option<Valued<String>>,
    /// `overshoot` allowance r.
    pub overshoot: Option<Valued<String>>,
    /// `overshoot_weight`.
    pub overshoot_weight: Option<Valued<String>>,
}

/// An entry of `adam.compare_with`.
#[derive(Debug, Clone)]
pub enum CompareWithSetting {
    /// A preset, by name.
    Preset(String),
    /// Literal rows.
    Rows {
        /// Label.
        name: String,
        /// Decimal rows.
        rows: Vec<Vec<String>>,
    },
}

/// The `adam` section (optimiser keys).
#[derive(Debug, Clone, Default)]
pub struct AdamKeys {
    /// `iterations`.
    pub iterations: Option<Valued<String>>,
    /// `polish_iterations`.
    pub polish_iterations: Option<Valued<String>>,
    /// `learning_rate`.
    pub learning_rate: Option<Valued<String>>,
    /// `schedule`.
    pub schedule: Option<Valued<String>>,
    /// `final_ratio`.
    pub final_ratio: Option<Valued<String>>,
    /// `beta1`.
    pub beta1: Option<Valued<String>>,
    /// `beta2`.
    pub beta2: Option<Valued<String>>,
    /// `target_loss`.
    pub target_loss: Option<Valued<String>>,
    /// `arithmetic`.
    pub arithmetic: Option<Valued<String>>,
    /// `representable`.
    pub representable: Option<Valued<String>>,
    /// `seed`.
    pub seed: Option<Valued<String>>,
    /// `compare_with` entries, each with its position.
    pub compare_with: Vec<Valued<CompareWithSetting>>,
}

/// The `init` section.
#[derive(Debug, Clone)]
pub struct InitSettings {
    /// `preset`.
    pub preset: Option<Valued<String>>,
    /// `rows`.
    pub rows: Option<Valued<Vec<Vec<String>>>>,
    /// `greedy`.
    pub greedy: Option<Valued<bool>>,
    /// Where the section is.
    pub origin: Origin,
}

/// The Adam method's sections, unvalidated.
#[derive(Debug, Clone)]
pub struct AdamSections {
    /// `method` (`greedy` when absent but another Adam key is given).
    pub method: Valued<String>,
    /// `shared`.
    pub shared: Option<Valued<bool>>,
    /// `objective`.
    pub objective: Option<ObjectiveSettings>,
    /// `penalties`.
    pub penalties: Option<PenaltySettings>,
    /// `adam`.
    pub adam: Option<AdamKeys>,
    /// `init`.
    pub init: Option<InitSettings>,
    /// `fixed_rows`: 1-based row number → coefficients.
    pub fixed_rows: Option<Valued<BTreeMap<String, Vec<String>>>>,
}

/// The name spelled by `text` among `choices`, or an error listing them.
fn choice<T: Copy>(v: &Valued<String>, key: &str, choices: &[(&str, T)]) -> Result<T, ConfigError> {
    choices.iter().find(|(n, _)| *n == v.0).map(|&(_, t)| t).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        invalid(&v.1, key, format!("{:?}", v.0), names.join(", "))
    })
}

impl AdamSections {
    /// Checks `method` and the Adam sections against the degrees.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], with the position of the value.
    pub(crate) fn validate(
        self,
        degrees: &[u32],
        precision: u32,
        root: u32,
    ) -> Result<Option<AdamConfig>, ConfigError> {
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
        if let Some((true, o)) = &self.shared
            && degrees.iter().any(|&d| d != degrees[0])
        {
            return Err(invalid(o, "shared", "true", "false when the steps have different degrees"));
        }
        let rows = if shared { 1 } else { degrees.len() };
        let degree_of = |r: usize| degrees[if shared { 0 } else { r }];
        let row_len = |r: usize| ((degree_of(r) - 1) / root) as usize + 1;
        // Presets and compared rows are msign tables: a root-family table
        // (r ≠ 2) is optimised from its own greedy table or given rows.
        let msign_only = |o: &Origin, key: &str| -> Result<(), ConfigError> {
            if root == crate::poly::MSIGN_ROOT {
                Ok(())
            } else {
                Err(invalid(
                    o,
                    key,
                    format!("with root {root}"),
                    "msign tables only (root 2): leave it out, or give init.rows",
                ))
            }
        };
        let check_rows = |given: &[Vec<String>], o: &Origin, key: &str| -> Result<(), ConfigError> {
            if given.len() != rows {
                return Err(invalid(
                    o,
                    key,
                    format!("{} rows", given.len()),
                    format!("{rows} rows ({})", if shared { "one shared row" } else { "one per step" }),
                ));
            }
            for (r, row) in given.iter().enumerate() {
                if row.len() != row_len(r) {
                    return Err(invalid(
                        o,
                        key,
                        format!("row {} with {} coefficients", r + 1, row.len()),
                        format!("{} coefficients (degree {})", row_len(r), degree_of(r)),
                    ));
                }
                if let Some(c) = row.iter().find(|c| !is_finite_decimal(c)) {
                    return Err(invalid(o, key, format!("{c:?}"), "finite decimal numbers"));
                }
            }
            Ok(())
        };
        let objective = match &self.objective {
            None => ObjectiveSpec::WorstCase,
            Some(ob) => objective(ob)?,
        };
        let (no_sign_flip, overshoot) = penalties(self.penalties.as_ref())?;
        let mut settings = AdamSettings { precision, ..AdamSettings::default() };
        let mut compare_with = Vec::new();
        if let Some(a) = &self.adam {
            optimiser(a, &mut settings)?;
            for (entry, o) in &a.compare_with {
                msign_only(o, "adam.compare_with")?;
                match entry {
                    CompareWithSetting::Preset(name) => {
                        let p = preset(name).ok_or_else(|| {
                            invalid(
                                o,
                                "adam.compare_with",
                                format!("{name:?}"),
                                format!("preset names ({}) or {{name, rows}}", PRESET_NAMES.join(", ")),
                            )
                        })?;
                        compare_with.push((p.name.to_string(), p.rows));
                    }
                    CompareWithSetting::Rows { name, rows: given } => {
                        if given.is_empty() || given.iter().any(Vec::is_empty) {
                            return Err(invalid(
                                o,
                                "adam.compare_with",
                                format!("{name}: an empty row or list"),
                                "a non-empty list of non-empty rows",
                            ));
                        }
                        if let Some(c) = given.iter().flatten().find(|c| !is_finite_decimal(c)) {
                            return Err(invalid(o, "adam.compare_with", format!("{c:?}"), "finite decimal numbers"));
                        }
                        compare_with.push((name.clone(), given.clone()));
                    }
                }
            }
        }
        let mut fixed = vec![None; rows];
        if let Some((map, o)) = &self.fixed_rows {
            for (key, row) in map {
                let index = match parse_integer(key) {
                    Some(i) if i >= 1 && i as usize <= rows => i as usize - 1,
                    _ => return Err(invalid(o, "fixed_rows", key, format!("row numbers from 1 to {rows}"))),
                };
                if row.len() != row_len(index) || row.iter().any(|c| !is_finite_decimal(c)) {
                    return Err(invalid(
                        o,
                        "fixed_rows",
                        format!("row {key} = {row:?}"),
                        format!("{} finite coefficients (degree {})", row_len(index), degree_of(index)),
                    ));
                }
                fixed[index] = Some(row.clone());
            }
            if fixed.iter().all(Option::is_some) {
                return Err(invalid(o, "fixed_rows", "every row", "at least one row left free"));
            }
        }
        let init = match &self.init {
            None => InitSpec::Greedy,
            Some(i) => match (&i.preset, &i.rows, i.greedy.as_ref().map(|g| g.0)) {
                (Some((name, o)), None, None | Some(false)) => {
                    msign_only(o, "init.preset")?;
                    let p = preset(name).ok_or_else(|| {
                        invalid(o, "init.preset", format!("{name:?}"), format!("one of {}", PRESET_NAMES.join(", ")))
                    })?;
                    let expanded: Vec<Vec<String>> =
                        (0..rows).map(|r| p.rows[repeat_last(r, p.rows.len())].clone()).collect();
                    check_rows(&expanded, o, "init.preset")?;
                    InitSpec::Preset(name.clone())
                }
                (None, Some((given, o)), None | Some(false)) => {
                    check_rows(given, o, "init.rows")?;
                    InitSpec::Rows(given.clone())
                }
                (None, None, _) => InitSpec::Greedy,
                _ => return Err(invalid(&i.origin, "init", "several starts", "one of preset, rows or greedy: true")),
            },
        };
        Ok(Some(AdamConfig { shared, objective, no_sign_flip, overshoot, settings, init, fixed, compare_with }))
    }
}

/// The `objective` section.
fn objective(ob: &ObjectiveSettings) -> Result<ObjectiveSpec, ConfigError> {
    let max_grid = MAX_GRID as i64;
    let grid = |default: usize| -> Result<usize, ConfigError> {
        ob.grid.as_ref().map_or(Ok(default), |g| Ok(integer_in(g, "objective.grid", 1, max_grid)? as usize))
    };
    Ok(match ob.kind.0.as_str() {
        "worst_case" => ObjectiveSpec::WorstCase,
        "top_k" => {
            let grid = grid(10_000)?;
            let k = ob.k.as_ref().map_or(Ok(50), |k| Ok(integer_in(k, "objective.k", 1, max_grid)? as usize))?;
            if k > grid {
                let o = ob.k.as_ref().map_or(&ob.kind.1, |k| &k.1);
                return Err(invalid(o, "objective.k", k, format!("at most the grid size ({grid})")));
            }
            ObjectiveSpec::TopK { k, grid }
        }
        "rms" => ObjectiveSpec::Rms { grid: grid(10_000)? },
        "band" => {
            let delta = match &ob.delta {
                Some(d) => number(d, "objective.delta", |x| x > 0.0 && x < 1.0, "a number in (0, 1)")?,
                None => return Err(missing(&ob.kind.1, "objective.delta", "the band half-width, a number in (0, 1)")),
            };
            ObjectiveSpec::Band { delta, grid: grid(10_000)? }
        }
        "rms_matrix" => {
            let (rows, cols) = match &ob.shape {
                Some((text, o)) => parse_shape(text)
                    .ok_or_else(|| invalid(o, "objective.shape", text, "rows x cols such as 64x256"))?,
                None => (64, 256),
            };
            let samples =
                ob.samples.as_ref().map_or(Ok(8), |v| Ok(integer_in(v, "objective.samples", 1, 10_000)? as usize))?;
            let elements = (rows as u128) * (cols as u128);
            if rows == 0 || cols == 0 || elements > u128::from(MAX_RMS_MATRIX_ELEMENTS) {
                let (text, o) = ob.shape.as_ref().map_or(("64x256", &ob.kind.1), |(t, o)| (t.as_str(), o));
                return Err(invalid(
                    o,
                    "objective.shape",
                    text,
                    format!("rows x cols with at most {MAX_RMS_MATRIX_ELEMENTS} elements"),
                ));
            }
            if elements * samples as u128 > u128::from(MAX_RMS_MATRIX_WORK) {
                let o = ob.samples.as_ref().map_or(&ob.kind.1, |(_, o)| o);
                return Err(invalid(
                    o,
                    "objective.samples",
                    samples,
                    format!(
                        "at most {} samples of a {rows}x{cols} matrix (samples x rows x cols <= {MAX_RMS_MATRIX_WORK})",
                        MAX_RMS_MATRIX_WORK as u128 / elements
                    ),
                ));
            }
            ObjectiveSpec::RmsMatrix { rows, cols, samples }
        }
        other => {
            return Err(invalid(
                &ob.kind.1,
                "objective.kind",
                format!("{other:?}"),
                "worst_case, top_k, rms, rms_matrix or band",
            ));
        }
    })
}

/// The `penalties` section: the no-sign-flip weight and (r, weight) of the
/// overshoot penalty.
type Penalties = (Option<f64>, Option<(f64, f64)>);

fn penalties(p: Option<&PenaltySettings>) -> Result<Penalties, ConfigError> {
    let Some(p) = p else { return Ok((None, None)) };
    let no_sign_flip = p
        .no_sign_flip
        .as_ref()
        .map(|w| number(w, "penalties.no_sign_flip", |x| x > 0.0, "a weight > 0"))
        .transpose()?;
    let overshoot = match &p.overshoot {
        Some(r) => {
            let r = number(r, "penalties.overshoot", |x| x >= 0.0, "the allowed overshoot r >= 0 (max f <= 1 + r)")?;
            let w = p
                .overshoot_weight
                .as_ref()
                .map_or(Ok(100.0), |w| number(w, "penalties.overshoot_weight", |x| x > 0.0, "a weight > 0"))?;
            Some((r, w))
        }
        None => None,
    };
    Ok((no_sign_flip, overshoot))
}

/// The `adam` section's optimiser keys, into `settings`.
fn optimiser(a: &AdamKeys, settings: &mut AdamSettings) -> Result<(), ConfigError> {
    if let Some(v) = &a.iterations {
        settings.iterations = integer_in(v, "adam.iterations", 1, 100_000_000)? as u64;
    }
    if let Some(v) = &a.polish_iterations {
        settings.polish_iterations = integer_in(v, "adam.polish_iterations", 0, 10_000_000)? as u64;
    }
    if let Some(v) = &a.learning_rate {
        settings.learning_rate = number(v, "adam.learning_rate", |x| x > 0.0, "a number > 0")?;
    }
    if let Some(v) = &a.final_ratio {
        settings.final_ratio = number(v, "adam.final_ratio", |x| x > 0.0 && x <= 1.0, "a number in (0, 1]")?;
    }
    if let Some(v) = &a.beta1 {
        settings.beta1 = number(v, "adam.beta1", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?;
    }
    if let Some(v) = &a.beta2 {
        settings.beta2 = number(v, "adam.beta2", |x| (0.0..1.0).contains(&x), "a number in [0, 1)")?;
    }
    if let Some(v) = &a.target_loss {
        settings.target_loss = number(v, "adam.target_loss", |_| true, "a number")?;
    }
    if let Some((text, o)) = &a.seed {
        settings.seed =
            text.trim().parse().map_err(|_| invalid(o, "adam.seed", text, "an integer from 0 to 2^64 - 1"))?;
    }
    if let Some(v) = &a.schedule {
        settings.schedule = choice(
            v,
            "adam.schedule",
            &[
                ("constant", LrSchedule::Constant),
                ("cosine", LrSchedule::Cosine),
                ("exponential", LrSchedule::Exponential),
            ],
        )?;
    }
    if let Some(v) = &a.arithmetic {
        settings.arithmetic =
            choice(v, "adam.arithmetic", &[("f64_then_mpfr", Arithmetic::F64ThenMpfr), ("mpfr", Arithmetic::Mpfr)])?;
    }
    if let Some(v) = &a.representable {
        settings.representable = Some(choice(
            v,
            "adam.representable",
            &[("f64", Representable::F64), ("f32", Representable::F32), ("bf16", Representable::Bf16)],
        )?);
    }
    Ok(())
}
