//! The table document: a finished schedule as the outside world sees it
//! (decimal strings at working precision, and the correctly rounded `f64` and
//! `f32` values). This is the JSON format and the input of every emitter.
//!
//! ```
//! use polar_coeffs::{Config, solve};
//!
//! let config = Config::from_yaml_str("name: t\ndegree: 3\nsteps: 2\nlower: 0.1\n", "t.yaml").unwrap();
//! let doc = solve(&config).unwrap();
//! assert_eq!(doc.steps.len(), 2);
//! assert_eq!(doc.steps[0].coefficients.len(), 2); // x and x³
//! assert_eq!(doc.method, polar_coeffs::table::Method::Greedy);
//! ```
//!
//! The document solves nothing: it is built from a finished schedule
//! ([`TableDoc::from_schedule`]) or from explicit rows ([`TableDoc::from_rows`]),
//! and all rounding to machine types happens here, once: the emitters only
//! format what the document holds.

use rug::Float;
use serde::{Deserialize, Serialize};

mod check;
mod echo;

pub use check::{MAX_DECIMAL, MAX_TEXT, TableError};

pub use echo::{ConfigEcho, ElementType, EmitOptions, OutputFormat};

use crate::adam::spec::ObjectiveSpec;
use crate::poly::{OddPoly, composed_images, distance_from_one};
use crate::precision::{decimal_digits, log2_ratio_bits, parse_decimal, to_decimal, to_f32, to_f64};
use crate::remez::{ErrorCurve, GUARD_BITS, RemezStatus};
use crate::rows::CoefficientRows;
use crate::schedule::Schedule;

pub use crate::TOOL_VERSION;
pub use crate::precision::summary;

/// Significant digits of the error figures quoted in provenance comments and
/// terminal tables (the JSON carries full working precision).
pub const SUMMARY_DIGITS: usize = 20;

/// What a caller should do past the last row, as stated in every output.
pub const BEYOND_LAST_ROW: &str = "repeat the last row, which is fitted for the singular values closest to 1 (once \
the composed error is small it is close to the Newton-Schulz fixed-point polynomial, and each further step keeps \
converging); do not cycle back to the first rows: they are fitted for small singular values and push values near 1 \
away from it";

/// How a table was made.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Method {
    /// The greedy chain of minimax polynomials.
    Greedy,
    /// Adam on the composed function.
    Adam,
}

impl Method {
    /// The name in documents and configs.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One step of the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDoc {
    /// 1-based position in the table.
    pub step: usize,
    /// Degree of the step's polynomial.
    pub degree: u32,
    /// `[ℓ_t, u_t]`, the interval the step was computed for.
    pub interval: [String; 2],
    /// The interval the minimax polynomial was fitted on (differs from
    /// `interval` when the cushion moved the lower end; greedy method only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit_interval: Option<[String; 2]>,
    /// The exponents of the coefficients: 1, 1 + r, 1 + 2r, … (absent for
    /// msign, r = 2: 1, 3, 5, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exponents: Option<Vec<u32>>,
    /// Applied coefficients of x, x³, x⁵, … (x^(1+kr) for root r) as decimal
    /// strings.
    pub coefficients: Vec<String>,
    /// The same, correctly rounded to binary64 (`"inf"` / `"-inf"` where the
    /// value overflows: that table cannot be emitted in the type).
    #[serde(with = "machine_json")]
    pub coefficients_f64: Vec<f64>,
    /// The same, correctly rounded to binary32 (directly, not through f64;
    /// `"inf"` / `"-inf"` where the value overflows, as high degrees do).
    #[serde(with = "machine_json")]
    pub coefficients_f32: Vec<f32>,
    /// max over `interval` of |1 − p_t| before safety scaling.
    pub step_error: String,
    /// max over the original [ℓ, u] of |1 − p_t ∘ … ∘ p_1|.
    pub composed_error: String,
    /// The exact image of [ℓ, u] after this step.
    pub composed_image: [String; 2],
    /// Recentring factor γ applied after a cushioned fit (1 otherwise).
    pub recentring: String,
    /// Whether the safety factor scales this row.
    pub safety_scaled: bool,
    /// How the step's minimax solve ended (greedy method only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remez: Option<RemezDoc>,
    /// Coefficients of the minimax polynomial as fitted on `fit_interval`
    /// (before recentring and safety scaling; greedy method only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit_coefficients: Option<Vec<String>>,
    /// Certified upper bounds on max over [ℓ, u] of |1 − f| after this step,
    /// for the coefficients as printed (`exact`: the decimals) and as each
    /// machine type holds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_error: Option<CertifiedError>,
    /// 1 − p(x) of the fitted polynomial across `fit_interval`, normalised:
    /// the picture of its equioscillation (computed at the solver's precision,
    /// which late steps need; greedy method only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_curve: Option<ErrorCurve>,
}

/// Certified upper bounds on the composed error after a step, one per form
/// of the coefficients, each a decimal rounded up (never below the bound) or
/// `unbounded` once the composition leaves (0, 1e30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedError {
    /// The decimal coefficients as printed in the document.
    pub exact: String,
    /// The f64 coefficients.
    pub f64: String,
    /// The f32 coefficients.
    pub f32: String,
    /// The coefficients rounded to bf16 (nearest, ties to even).
    pub bf16: String,
}

/// The word a certificate holds when the composition diverges.
pub const UNBOUNDED: &str = "unbounded";

/// Significant digits of a certified bound (rounded up).
pub const CERTIFIED_DIGITS: usize = 6;

/// What an Adam run found (the `optimisation` field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimisationDoc {
    /// The objective, as configured.
    pub objective: ObjectiveSpec,
    /// Loss (objective + penalties) of the starting rows.
    pub initial_loss: f64,
    /// Loss of the final rows (after rounding to `representable`, if set).
    pub final_loss: f64,
    /// The objective alone for the final rows.
    pub final_objective: f64,
    /// Loss before rounding to the representable type.
    pub loss_before_rounding: f64,
    /// Iterations run (exploration and polish).
    pub iterations: u64,
    /// Why the main run stopped.
    pub termination: String,
    /// Loss of each comparison table under the same loss.
    pub compared: Vec<ComparedLoss>,
    /// For a band objective: [min f, max f] over [lower, upper] reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_reached: Option<[f64; 2]>,
    /// (iteration, loss) samples.
    pub history: Vec<(u64, f64)>,
}

/// A comparison table's loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedLoss {
    /// Its name.
    pub name: String,
    /// Its loss under the run's objective and penalties (a table that
    /// diverges under the loss scores `"inf"`: JSON has no infinities).
    #[serde(with = "loss_json")]
    pub loss: f64,
}

/// A loss in JSON: a number when finite, else the string `"inf"`, `"-inf"`
/// or `"nan"`.
mod loss_json {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` passes a reference
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            x if x.is_finite() => s.serialize_f64(x),
            x if x.is_nan() => s.serialize_str("nan"),
            x if x > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Loss {
            Number(f64),
            Text(String),
        }
        match Loss::deserialize(d)? {
            Loss::Number(x) => Ok(x),
            Loss::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                _ => Err(serde::de::Error::custom(format!(
                    "{t:?} is not a loss: a number, \"inf\", \"-inf\" or \"nan\""
                ))),
            },
        }
    }
}

/// Machine coefficients in JSON: numbers when finite; a value that overflows
/// the type is the string `"inf"` or `"-inf"` (JSON has no infinities). NaN
/// is never written and never read.
mod machine_json {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The two machine types a document holds.
    pub trait Machine: Copy + Serialize + DeserializeOwned {
        /// Whether the value is a finite number.
        fn finite(self) -> bool;
        /// Whether the value is NaN.
        fn is_nan(self) -> bool;
        /// Whether the value is below zero (for the sign of an infinity).
        fn negative(self) -> bool;
        /// +inf or −inf.
        fn infinity(negative: bool) -> Self;
    }

    impl Machine for f64 {
        fn finite(self) -> bool {
            self.is_finite()
        }
        fn is_nan(self) -> bool {
            f64::is_nan(self)
        }
        fn negative(self) -> bool {
            self < 0.0
        }
        fn infinity(negative: bool) -> Self {
            if negative { f64::NEG_INFINITY } else { f64::INFINITY }
        }
    }

    impl Machine for f32 {
        fn finite(self) -> bool {
            self.is_finite()
        }
        fn is_nan(self) -> bool {
            f32::is_nan(self)
        }
        fn negative(self) -> bool {
            self < 0.0
        }
        fn infinity(negative: bool) -> Self {
            if negative { f32::NEG_INFINITY } else { f32::INFINITY }
        }
    }

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Entry<T> {
        Number(T),
        Text(String),
    }

    pub fn serialize<T: Machine, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<Entry<T>> = v
            .iter()
            .map(|&x| match x {
                x if x.finite() => Ok(Entry::Number(x)),
                x if x.is_nan() => Err(serde::ser::Error::custom("a machine coefficient is NaN")),
                x if x.negative() => Ok(Entry::Text("-inf".into())),
                _ => Ok(Entry::Text("inf".into())),
            })
            .collect::<Result<_, _>>()?;
        entries.serialize(s)
    }

    pub fn deserialize<'de, T: Machine, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Vec::<Entry<T>>::deserialize(d)?
            .into_iter()
            .map(|e| match e {
                Entry::Number(x) => Ok(x),
                Entry::Text(t) if t == "inf" => Ok(T::infinity(false)),
                Entry::Text(t) if t == "-inf" => Ok(T::infinity(true)),
                Entry::Text(t) => Err(serde::de::Error::custom(format!(
                    "{t:?} is not a machine coefficient: a number, \"inf\" or \"-inf\" (an overflowed value)"
                ))),
            })
            .collect()
    }
}

/// The minimax solve behind a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemezDoc {
    /// `converged`, `stagnated`, `max_iterations` or `failed`.
    pub status: RemezStatus,
    /// Exchange iterations.
    pub iterations: usize,
    /// The levelled error on the fit interval.
    pub levelled_error: String,
    /// Relative gap between max |1 − p| and the levelled error.
    pub relative_gap: String,
    /// Bits used inside the solve.
    pub internal_precision: u32,
    /// Why it did not converge, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Set when the solve did not converge and Adam retried the step on the
    /// same minimax objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adam_fallback: Option<FallbackDoc>,
}

/// An Adam retry of a non-converged step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackDoc {
    /// max |1 − p| over the fit interval of the Remez best iterate.
    pub remez_error: f64,
    /// The same for Adam's polynomial.
    pub adam_error: f64,
    /// Whether Adam's polynomial is the one in the table.
    pub used: bool,
    /// Adam iterations.
    pub iterations: u64,
}

/// A finished table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDoc {
    /// Table name (the config's).
    pub name: String,
    /// Version of polar-coeffs that computed it.
    pub tool_version: String,
    /// The validated config, echoed.
    pub config: ConfigEcho,
    /// SHA-256 of the echoed config's canonical JSON: identifies the
    /// parameters a table came from, whatever file they were written in.
    pub config_sha256: String,
    /// Working precision in bits.
    pub precision_bits: u32,
    /// The steps.
    pub steps: Vec<StepDoc>,
    /// Composed error after the last step.
    pub final_error: String,
    /// Whether every step's minimax solve converged.
    pub all_converged: bool,
    /// `greedy` or `adam`.
    pub method: Method,
    /// What the Adam method found (Adam method only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimisation: Option<OptimisationDoc>,
    /// The input normalisation the table assumes.
    pub normalisation: String,
    /// What to do when running more steps than rows.
    pub beyond_last_row: String,
    /// The rounding-aware table (`round_to` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounded: Option<RoundedDoc>,
}

/// A rounding-aware table: coefficients chosen among the representable
/// neighbours in `target` for the smallest certified error, step by step,
/// with the certified errors of the chosen and of the plainly rounded rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundedDoc {
    /// `f32`, `bf16` or `f16`.
    pub target: String,
    /// The chosen coefficients per step, each the shortest decimal that
    /// reads back (as f32) to exactly that value of the target.
    pub rows: Vec<Vec<String>>,
    /// Certified max |1 − f| after each step with `rows` (rounded up, or
    /// `unbounded`).
    pub certified_error: Vec<String>,
    /// The same for each coefficient rounded to nearest in `target`.
    pub plain_certified_error: Vec<String>,
}

impl TableDoc {
    /// The document of explicit rows (one per step), with exact intervals,
    /// step and composed errors from interval images.
    pub fn from_rows(
        echo: &ConfigEcho,
        rows: &[Vec<Float>],
        method: Method,
        optimisation: Option<OptimisationDoc>,
    ) -> Self {
        let prec = echo.precision;
        let digits = decimal_digits(prec);
        let dec = |x: &Float| to_decimal(x, digits);
        let work = prec + GUARD_BITS;
        // The echo holds validated decimals; 0 would only come from a
        // hand-built echo and gives an empty image walk from [0, 0].
        let parse = |t: &str| parse_decimal(t, work).unwrap_or_else(|_| Float::with_val(work, 0));
        let (lower, upper) = (parse(&echo.lower), parse(&echo.upper));
        let polys: Vec<(OddPoly, Vec<Float>)> = rows
            .iter()
            .map(|row| {
                let poly = OddPoly::with_root(row.iter().map(|c| Float::with_val(work, c)).collect(), echo.root());
                let crit = poly.positive_critical_points();
                (poly, crit)
            })
            .collect();
        let images = composed_images(polys.iter().map(|(p, c)| (p, c.as_slice())), &lower, &upper);
        let mut steps = Vec::with_capacity(rows.len());
        let mut before = (lower, upper);
        for (t, ((row, (poly, _)), (a, b))) in rows.iter().zip(&polys).zip(images).enumerate() {
            let step_error = distance_from_one(&a, &b);
            steps.push(StepDoc {
                step: t + 1,
                degree: poly.degree(),
                interval: interval_decimals(&before.0, &before.1, digits),
                fit_interval: None,
                exponents: exponents(echo, poly.degree()),
                coefficients: row.iter().map(dec).collect(),
                coefficients_f64: row.iter().map(to_f64).collect(),
                coefficients_f32: row.iter().map(to_f32).collect(),
                step_error: dec(&step_error),
                composed_error: dec(&step_error),
                composed_image: interval_decimals(&a, &b, digits),
                recentring: "1".into(),
                safety_scaled: false,
                remez: None,
                certified_error: None,
                fit_coefficients: None,
                error_curve: None,
            });
            before = (a, b);
        }
        let final_error = steps.last().map_or_else(|| "0".to_string(), |s| s.composed_error.clone());
        Self {
            name: echo.name.clone(),
            tool_version: TOOL_VERSION.to_string(),
            config: echo.clone(),
            config_sha256: config_hash(echo),
            precision_bits: prec,
            steps,
            final_error,
            all_converged: true,
            method,
            optimisation,
            normalisation: echo.normalisation().describe(echo.root()),
            beyond_last_row: BEYOND_LAST_ROW.to_string(),
            rounded: None,
        }
    }

    /// Builds the document from a computed schedule.
    pub fn from_schedule(echo: &ConfigEcho, schedule: &Schedule) -> Self {
        let prec = schedule.spec.precision;
        let digits = decimal_digits(prec);
        let dec = |x: &Float| to_decimal(x, digits);
        let steps = schedule
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepDoc {
                step: i + 1,
                degree: s.degree,
                interval: interval_decimals(&s.interval.0, &s.interval.1, digits),
                fit_interval: s.fit.as_ref().map(|f| interval_decimals(&f.lower, &f.upper, digits)),
                exponents: exponents(echo, s.degree),
                coefficients: s.applied.coeffs().iter().map(dec).collect(),
                coefficients_f64: s.applied.coeffs().iter().map(to_f64).collect(),
                coefficients_f32: s.applied.coeffs().iter().map(to_f32).collect(),
                step_error: dec(&s.step_error),
                composed_error: dec(&s.composed_error),
                composed_image: interval_decimals(&s.composed_image.0, &s.composed_image.1, digits),
                recentring: dec(&s.recentring),
                safety_scaled: s.safety_scaled,
                remez: s.fit.as_ref().map(|fit| RemezDoc {
                    status: fit.status,
                    iterations: fit.iterations,
                    levelled_error: dec(&fit.levelled_error),
                    relative_gap: to_decimal(&fit.relative_gap, 6),
                    internal_precision: fit.internal_precision,
                    message: fit.message.clone(),
                    adam_fallback: s.fallback.as_ref().map(|f| FallbackDoc {
                        remez_error: f.remez_error,
                        adam_error: f.adam_error,
                        used: f.used,
                        iterations: f.iterations,
                    }),
                }),
                certified_error: None,
                fit_coefficients: s.fit.as_ref().map(|f| f.poly.coeffs().iter().map(dec).collect()),
                error_curve: s.fit.as_ref().map(crate::remez::Minimax::error_curve),
            })
            .collect();
        Self {
            name: echo.name.clone(),
            tool_version: TOOL_VERSION.to_string(),
            config: echo.clone(),
            config_sha256: config_hash(echo),
            precision_bits: prec,
            steps,
            final_error: dec(schedule.final_error()),
            all_converged: schedule.all_converged(),
            method: Method::Greedy,
            optimisation: None,
            normalisation: echo.normalisation().describe(echo.root()),
            beyond_last_row: BEYOND_LAST_ROW.to_string(),
            rounded: None,
        }
    }

    /// The applied rows as a table to verify, compare or draw, labelled with
    /// how they were made.
    pub fn rows(&self) -> CoefficientRows {
        let how = match self.method {
            Method::Greedy => "greedy minimax",
            Method::Adam => "Adam on the composed function",
        };
        CoefficientRows {
            name: self.name.clone(),
            source: format!("polar-coeffs {} ({how}, {} bits)", self.tool_version, self.precision_bits),
            rows: self.steps.iter().map(|s| s.coefficients.clone()).collect(),
            default_steps: self.steps.len(),
            interval: Some([self.config.lower.clone(), self.config.upper.clone()]),
            normalisation: Some(self.config.normalisation()),
        }
    }

    /// The exponent step r of the rows' polynomials x·q(x^r) (2: msign).
    pub fn root(&self) -> u32 {
        self.config.root()
    }

    /// Whether every row has the same degree.
    pub fn uniform_degree(&self) -> Option<u32> {
        let d = self.steps.first()?.degree;
        self.steps.iter().all(|s| s.degree == d).then_some(d)
    }
}

/// Worst ratio a rounded table's certified error may have to the exact one
/// before the table counts as unusable (beyond the floor of its type).
pub const USABLE_RATIO: f64 = 2.0;

/// Units in the last place of a type below which rounding always leaves a
/// table's error: 64 u (f64 u = 2^-53, f32 2^-24, bf16 2^-8).
pub fn rounding_floor(ty: &str) -> f64 {
    64.0 * match ty {
        "f64" => f64::EPSILON / 2.0,
        "f32" => f64::from(f32::EPSILON) / 2.0,
        _ => 2f64.powi(-8),
    }
}

impl TableDoc {
    /// The first step whose exact composed error is below what the printed
    /// decimal coefficients can show: their certified error (`exact`) is
    /// more than [`USABLE_RATIO`] times it. Late steps of a schedule reach
    /// errors far below the coefficients' size times 10^-digits; the
    /// certified `exact` bound then says what the printed rows do show.
    pub fn below_printed_from(&self) -> Option<&StepDoc> {
        self.steps.iter().find(|s| {
            let Some(c) = s.certified_error.as_ref() else { return false };
            let (Ok(shown), Ok(claimed)) = (c.exact.parse::<f64>(), s.composed_error.parse::<f64>()) else {
                return c.exact == UNBOUNDED;
            };
            // Compared as f64 only to flag, never to print: both are decimals
            // of the document, and a flag at 2× needs no more.
            shown > USABLE_RATIO * claimed && !(claimed == 0.0 && shown == 0.0)
        })
    }

    /// One line for a document whose late exact errors are below what its
    /// printed decimals show ([`TableDoc::below_printed_from`]): from which
    /// step, and what the printed rows give there.
    pub fn printed_floor_note(&self) -> Option<String> {
        let step = self.below_printed_from()?;
        let shown = step.certified_error.as_ref().map_or(UNBOUNDED, |c| c.exact.as_str());
        Some(format!(
            "printed decimals ({} digits): from step {} on, the exact composed error ({}) is below what they can show; \
             composed from the printed rows, step {}: <= {} (certified_error.exact, per step)",
            decimal_digits(self.precision_bits),
            step.step,
            summary(&step.composed_error, CERTIFIED_DIGITS),
            step.step,
            shown
        ))
    }

    /// The first step from which the table in `ty` (`f64`, `f32`, `bf16`)
    /// is no longer usable: its certified error is unbounded, or above both
    /// [`USABLE_RATIO`] times the exact table's and the type's rounding floor.
    pub fn unusable_from(&self, ty: &str) -> Option<usize> {
        self.steps.iter().find_map(|s| {
            let c = s.certified_error.as_ref()?;
            let text = match ty {
                "f64" => &c.f64,
                "f32" => &c.f32,
                _ => &c.bf16,
            };
            if text == UNBOUNDED {
                return Some(s.step);
            }
            let (bound, exact) = (text.parse::<f64>().ok()?, c.exact.parse::<f64>().ok()?);
            (bound > USABLE_RATIO * exact && bound > rounding_floor(ty)).then_some(s.step)
        })
    }
}

/// The exponents a step records: 1, 1 + r, … for root r ≠ 2; none for msign.
fn exponents(echo: &ConfigEcho, degree: u32) -> Option<Vec<u32>> {
    echo.root.map(|r| crate::poly::exponents(r, degree))
}

/// Both ends of `[a, b]` with `digits` significant digits plus as many as it
/// takes to resolve the width b − a to `digits` digits too (late steps live in
/// intervals 1e-85 wide around 1).
fn interval_decimals(a: &Float, b: &Float, digits: usize) -> [String; 2] {
    let width = Float::with_val(a.prec().max(b.prec()), b - a);
    let extra = if width.is_zero() { 0 } else { decimal_digits(log2_ratio_bits(b, &width)) + 1 };
    [to_decimal(a, digits + extra), to_decimal(b, digits + extra)]
}

/// SHA-256 (hex) of the config echo's compact JSON.
pub fn config_hash(echo: &ConfigEcho) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_string(echo).expect("the config echo is plain data");
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
