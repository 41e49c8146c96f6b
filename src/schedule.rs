//! The greedy schedule (Polar Express): one minimax step after another, each
//! fitted on the image of the previous one.
//!
//! ```
//! use polar_coeffs::schedule::{greedy, ScheduleSpec};
//!
//! let spec = ScheduleSpec::new(vec![5; 8], "1e-3");
//! let table = greedy(&spec).unwrap();
//! // Composed error after 8 degree-5 steps from ℓ = 1e-3: 6.9597564473310883949e-29.
//! let e = table.final_error().to_f64();
//! assert!((e / 6.9597564473310883949e-29 - 1.0).abs() < 1e-15);
//! ```
//!
//! The conventions follow docs/MATH.md §3–4:
//!
//! - step t fits p_t on `[max(ℓ_t, λ·u_t), u_t]` (λ the cushion; 0 is off) and,
//!   when the cushion moved the lower end, rescales p_t by γ = 2/(min + max)
//!   over the full `[ℓ_t, u_t]` so that its range there is centred on 1;
//! - the safety factor s (1 is off) replaces p_t(x) by p_t(x/s) on every step
//!   but the last: after the recursion (`after`, the published Polar Express
//!   list) or before the interval update (`inside`, with
//!   ℓ_{t+1} = p_t(ℓ_t), u_{t+1} = 2 − ℓ_{t+1});
//! - otherwise `[ℓ_{t+1}, u_{t+1}]` is the exact image of `[ℓ_t, u_t]` under p_t.
//!
//! Whatever the convention, the composed error after step t is measured on
//! the exact image of the original `[ℓ, u]` under the applied polynomials.

use rug::Float;

use crate::poly::{OddPoly, composed_images, distance_from_one};
use crate::precision::{DecimalError, log2_ratio_bits, parse_decimal};
use crate::remez::{GUARD_BITS, Minimax, RemezError, RemezOptions, RemezStatus, minimax_root};

/// Most extra bits of internal precision a step may need: (d + 1)·log2(u/(u − ℓ))
/// of its interval. Past this (a degree-5 greedy schedule from ℓ = 1e-3 reaches
/// it at step 14, with a composed error near 1e-6900) each further step would
/// triple the precision and the run time.
pub const MAX_NARROWNESS_BITS: u32 = 1 << 16;

/// Fewest bits a schedule is computed at, whatever precision its answer is
/// printed at (`ScheduleSpec::precision` sets the printed digits).
pub const MIN_WORKING_PRECISION: u32 = crate::precision::DEFAULT_PRECISION;

/// Most steps a schedule (or any table) may have: every command caps step
/// counts here.
pub const MAX_STEPS: u64 = 10_000;

/// Where the safety factor is applied (docs/MATH.md §4).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SafetyMode {
    /// Run the recursion unscaled, then scale every row but the last.
    #[default]
    After,
    /// Scale each row but the last before the interval update.
    Inside,
}

/// How a cushioned fit is recentred, and how the next interval follows
/// (docs/MATH.md §4).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Recentre {
    /// γ = 2/(min + max) of the exact image p([ℓ_t, u_t]), only when the
    /// cushion moved the fit; the next interval is that image, recentred.
    #[default]
    Image,
    /// The Polar Express reference code's rules: γ = 2/(p(ℓ_t) + p(u_t)) at
    /// every step, the next interval [γp(ℓ_t), 2 − γp(ℓ_t)] with ℓ clamped to
    /// at most u, and the limit polynomial p(x/u_t) in place of the fit once
    /// ℓ_t/u_t ≥ 1 − 5e-6 ([`NEAR_LIMIT`]).
    Endpoints,
}

/// 1 − ℓ/u below which the reference code's `endpoints` rules replace the fit
/// by the limit polynomial (its `optimal_quintic` threshold).
pub const NEAR_LIMIT: f64 = 5e-6;

impl Recentre {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl SafetyMode {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a greedy schedule is computed from. Interval ends, cushion and safety
/// are decimal texts, parsed by MPFR at the precision each use needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSpec {
    /// Degree of each step (odd); its length is the step count.
    pub degrees: Vec<u32>,
    /// ℓ > 0.
    pub lower: String,
    /// u > ℓ (default 1).
    pub upper: String,
    /// Cushion λ ∈ [0, 1) (0: off).
    pub cushion: String,
    /// Safety factor s ≥ 1 (1: off).
    pub safety: String,
    /// Where s is applied.
    pub safety_mode: SafetyMode,
    /// Working precision in bits.
    pub precision: u32,
    /// Cap on Remez iterations per step.
    pub max_iterations: usize,
    /// Exponent step r of every row's polynomial x·q(x^r) (2: msign).
    pub root: u32,
    /// The last entry of `degrees` is the limit row
    /// ([`crate::poly::limit_row`]), exact, instead of a fitted step.
    pub limit_row: bool,
    /// The recentring convention.
    pub recentre: Recentre,
}

impl ScheduleSpec {
    /// Pure greedy steps of the given degrees on `[lower, 1]`, no cushion, no
    /// safety, default precision.
    pub fn new(degrees: Vec<u32>, lower: &str) -> Self {
        Self {
            degrees,
            lower: lower.to_string(),
            upper: "1".into(),
            cushion: "0".into(),
            safety: "1".into(),
            safety_mode: SafetyMode::After,
            precision: crate::precision::DEFAULT_PRECISION,
            max_iterations: crate::remez::DEFAULT_MAX_ITERATIONS,
            root: crate::poly::MSIGN_ROOT,
            limit_row: false,
            recentre: Recentre::Image,
        }
    }
}

/// One step of a finished schedule.
#[derive(Debug, Clone)]
pub struct Step {
    /// Degree of p_t.
    pub degree: u32,
    /// `[ℓ_t, u_t]`: the interval the step was computed for.
    pub interval: (Float, Float),
    /// The minimax fit (on `[max(ℓ_t, λu_t), u_t]`); `None` for the limit
    /// row, which is exact.
    pub fit: Option<Minimax>,
    /// γ, the recentring factor (1 when the cushion did not move the fit).
    pub recentring: Float,
    /// max over `[ℓ_t, u_t]` of |1 − p_t| for the step's polynomial before
    /// safety scaling (the levelled error E_t when there is no cushion).
    pub step_error: Float,
    /// Whether the safety factor scales this row.
    pub safety_scaled: bool,
    /// The polynomial a user applies (what the table prints).
    pub applied: OddPoly,
    /// Every positive critical point of `applied`.
    pub applied_critical_points: Vec<Float>,
    /// The exact image of the original `[ℓ, u]` after this step.
    pub composed_image: (Float, Float),
    /// max over `[ℓ, u]` of |1 − p_t ∘ … ∘ p_1|.
    pub composed_error: Float,
    /// Set when the Remez solve did not converge and Adam retried the step.
    pub fallback: Option<Fallback>,
}

/// An Adam retry of a step whose Remez solve did not converge.
#[derive(Debug, Clone)]
pub struct Fallback {
    /// max |1 − p| on the fit interval of the Remez best iterate.
    pub remez_error: f64,
    /// The same for Adam's result.
    pub adam_error: f64,
    /// Whether Adam's polynomial replaced the Remez best iterate.
    pub used: bool,
    /// Adam iterations.
    pub iterations: u64,
}

/// Adam iterations of a fallback retry.
pub const FALLBACK_ITERATIONS: u64 = 2000;

/// Adam's step in a fallback, relative to the largest coefficient.
pub const FALLBACK_RELATIVE_STEP: f64 = 1e-9;

/// Retries a non-converged fit with Adam on max |1 − p| over the fit
/// interval (exact images), from the Remez best iterate, in MPFR at the
/// fit's precision. Returns the better polynomial, its critical points, and
/// the record.
fn adam_fallback(fit: &Minimax) -> (OddPoly, Vec<Float>, Option<Fallback>) {
    use crate::adam::objective::{Layout, Objective, ObjectiveKind, Penalties};
    use crate::adam::{AdamSettings, Arithmetic, LrSchedule, optimise};
    let prec = fit.internal_precision;
    let digits = crate::precision::decimal_digits(prec);
    let start = vec![fit.poly.coeffs().iter().map(|c| crate::precision::to_decimal(c, digits)).collect::<Vec<_>>()];
    let scale = fit.poly.coeffs().iter().map(|c| c.to_f64().abs()).fold(0.0, f64::max).max(1.0);
    let layout = Layout { degrees: vec![fit.degree], shared: false, fixed: vec![None], root: fit.poly.root() };
    // The objective works in f64 interval ends; the fit's own are exact, so
    // the record below re-scores both candidates exactly.
    let objective = Objective {
        kind: ObjectiveKind::WorstCase,
        lower: fit.lower.to_f64(),
        upper: fit.upper.to_f64(),
        penalties: Penalties::default(),
    };
    let settings = AdamSettings {
        iterations: FALLBACK_ITERATIONS,
        polish_iterations: 0,
        learning_rate: FALLBACK_RELATIVE_STEP * scale,
        schedule: LrSchedule::Cosine,
        arithmetic: Arithmetic::Mpfr,
        precision: prec,
        ..AdamSettings::default()
    };
    let exact_error = |p: &OddPoly| -> (f64, Vec<Float>) {
        let crit = p.positive_critical_points();
        let (lo, hi) = p.image(&fit.lower, &fit.upper, &crit);
        (distance_from_one(&lo, &hi).to_f64(), crit)
    };
    let (remez_error, remez_crit) = exact_error(&fit.poly);
    let Ok(run) = optimise(&layout, &objective, &start, &settings, std::rc::Rc::new(crate::progress::Silent)) else {
        return (fit.poly.clone(), remez_crit, None);
    };
    let candidate = OddPoly::with_root(run.rows[0].clone(), fit.poly.root());
    let (adam_error, adam_crit) = exact_error(&candidate);
    let used = adam_error < remez_error;
    let record = Fallback { remez_error, adam_error, used, iterations: run.iterations };
    if used { (candidate, adam_crit, Some(record)) } else { (fit.poly.clone(), remez_crit, Some(record)) }
}

/// A finished greedy schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The spec it was computed from.
    pub spec: ScheduleSpec,
    /// The steps, in application order.
    pub steps: Vec<Step>,
}

impl Schedule {
    /// The composed error after the last step.
    pub fn final_error(&self) -> &Float {
        &self.steps.last().expect("a schedule has at least one step").composed_error
    }

    /// Whether every step's Remez solve converged.
    pub fn all_converged(&self) -> bool {
        self.steps.iter().all(|s| s.fit.as_ref().is_none_or(|f| f.status == RemezStatus::Converged))
    }
}

/// Why a schedule could not be computed at all.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// A decimal field did not parse.
    #[error("{field}: {source}")]
    Decimal {
        /// The spec field.
        field: &'static str,
        /// What was wrong.
        source: DecimalError,
    },
    /// A value is out of its range.
    #[error("{field} = {value} is not allowed: {allowed}")]
    Range {
        /// The spec field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: &'static str,
    },
    /// A step's interval is too narrow to solve in bounded precision.
    #[error(
        "step {step}: its interval is only 2^-{bits} of its size wide, so a degree-{degree} fit would need more than \
         {MAX_NARROWNESS_BITS} extra bits of precision; the composed error is already below 2^-{bits}, far past \
         any machine precision: ask for fewer steps (a caller repeats the last row, which is the Newton-Schulz \
         limit polynomial to every printed digit)"
    )]
    TooNarrow {
        /// 1-based step number.
        step: usize,
        /// log2(u / (u − ℓ)) of the step's interval.
        bits: u32,
        /// The step's degree.
        degree: u32,
    },
    /// A step's solve broke down completely.
    #[error("step {step}: {source}")]
    Remez {
        /// 1-based step number.
        step: usize,
        /// The solver's error.
        source: RemezError,
    },
}

/// Computes the greedy schedule of `spec`.
///
/// # Errors
///
/// [`ScheduleError`] for a spec that is out of range (the config layer checks
/// these first, with file positions) or a step whose solve produced no iterate
/// at all. A step that did not converge is not an error: its status is in
/// [`Step::fit`].
pub fn greedy(spec: &ScheduleSpec) -> Result<Schedule, ScheduleError> {
    // The answer is printed at `spec.precision`; it is computed at no fewer
    // than MIN_WORKING_PRECISION bits, so that every digit printed at a low
    // precision is right (at 64 bits the interval walk's own rounding
    // reached the printed digits).
    let prec = spec.precision.max(MIN_WORKING_PRECISION);
    // Interval ends are parsed with room for their own narrowness.
    let coarse = |field, text: &str| {
        parse_decimal(text, prec + GUARD_BITS).map_err(|source| ScheduleError::Decimal { field, source })
    };
    let (l0, u0) = (coarse("lower", &spec.lower)?, coarse("upper", &spec.upper)?);
    if !(l0 > 0 && l0 < u0) {
        return Err(ScheduleError::Range { field: "lower", value: spec.lower.clone(), allowed: "0 < lower < upper" });
    }
    let width = Float::with_val(prec + GUARD_BITS, &u0 - &l0);
    let start_prec = prec + 2 * GUARD_BITS + log2_ratio_bits(&u0, &width);
    let exact =
        |field, text: &str| parse_decimal(text, start_prec).map_err(|source| ScheduleError::Decimal { field, source });
    let lower = exact("lower", &spec.lower)?;
    let upper = exact("upper", &spec.upper)?;
    let cushion = exact("cushion", &spec.cushion)?;
    let safety = exact("safety", &spec.safety)?;
    if !(0..1).contains(&cushion) {
        return Err(ScheduleError::Range {
            field: "cushion",
            value: spec.cushion.clone(),
            allowed: "0 <= cushion < 1",
        });
    }
    if safety < 1 {
        return Err(ScheduleError::Range { field: "safety", value: spec.safety.clone(), allowed: "safety >= 1" });
    }
    let mut options = RemezOptions { precision: prec, max_iterations: spec.max_iterations, initial_reference: None };
    let last = spec.degrees.len().saturating_sub(1);
    let mut steps: Vec<Step> = Vec::with_capacity(spec.degrees.len());
    let (mut l, mut u) = (lower.clone(), upper.clone());
    let image = (lower.clone(), upper.clone());
    let fitted = spec.degrees.len() - usize::from(spec.limit_row && !spec.degrees.is_empty());
    let endpoints = spec.recentre == Recentre::Endpoints;
    for (t, &degree) in spec.degrees.iter().enumerate().take(fitted) {
        let cushioned = Float::with_val(u.prec(), &cushion * &u);
        let fit_lower = if cushioned > l { cushioned } else { l.clone() };
        let moved = fit_lower != l;
        let interval = (l.clone(), u.clone());
        let near_limit = endpoints && {
            let gap = Float::with_val(u.prec(), 1 - Float::with_val(u.prec(), &l / &u));
            gap <= NEAR_LIMIT
        };
        let (fit, fit_poly, crit, fallback, p_prec) = if near_limit {
            // The reference code's rule: the limit polynomial on x/u_t.
            let terms = ((degree - 1) / spec.root) as usize + 1;
            let row_prec = u.prec();
            let limit = OddPoly::with_root(
                crate::poly::limit_row(spec.root, terms).iter().map(|q| Float::with_val(row_prec, q)).collect(),
                spec.root,
            )
            .with_argument_scaled(&u);
            let crit = limit.positive_critical_points();
            (None, limit, crit, None, row_prec)
        } else {
            let width = Float::with_val(u.prec(), &u - &fit_lower);
            let narrowness = if width > 0 { log2_ratio_bits(&u, &width) } else { u32::MAX };
            if narrowness.saturating_mul(degree + 1) > MAX_NARROWNESS_BITS {
                return Err(ScheduleError::TooNarrow { step: t + 1, bits: narrowness, degree });
            }
            let fit = minimax_root(degree, spec.root, &fit_lower, &u, &options)
                .map_err(|source| ScheduleError::Remez { step: t + 1, source })?;
            // The next step's optimal reference (in the local variable) is close
            // to this one's: a warm start.
            options.initial_reference = Some(fit.local_reference.clone());
            let p_prec = fit.internal_precision;
            // A fit that did not converge is retried by Adam on the same minimax
            // objective; the better of the two is kept and the step is marked.
            let (fit_poly, crit, fallback) = if fit.is_converged() {
                (fit.poly.clone(), fit.critical_points().to_vec(), None)
            } else {
                adam_fallback(&fit)
            };
            (Some(fit), fit_poly, crit, fallback, p_prec)
        };
        // Recentre on the full [ℓ_t, u_t] when the cushion moved the fit
        // (`endpoints`: always, by the values at the ends).
        let (mut lo, mut hi) = fit_poly.image(&l, &u, &crit);
        let (poly, recentring) = if endpoints {
            let ends = Float::with_val(p_prec, fit_poly.eval(&l) + fit_poly.eval(&u));
            let gamma = Float::with_val(p_prec, 2) / ends;
            lo *= &gamma;
            hi *= &gamma;
            (fit_poly.scaled(&gamma), gamma)
        } else if moved {
            let gamma = Float::with_val(p_prec, 2) / Float::with_val(p_prec, &lo + &hi);
            lo *= &gamma;
            hi *= &gamma;
            (fit_poly.scaled(&gamma), gamma)
        } else {
            (fit_poly, Float::with_val(p_prec, 1))
        };
        let step_error = distance_from_one(&lo, &hi);
        let scale_here = safety > 1 && t < last;
        let (applied, applied_crit) = if scale_here && spec.safety_mode == SafetyMode::Inside {
            scaled_by_safety(&poly, &crit, &safety)
        } else {
            (poly.clone(), crit.clone())
        };
        // The next fitting interval.
        if scale_here && spec.safety_mode == SafetyMode::Inside {
            l = applied.eval(&l);
            u = Float::with_val(l.prec(), 2 - &l);
        } else if endpoints {
            l = poly.eval(&l);
            u = Float::with_val(l.prec(), 2 - &l);
        } else {
            l = lo;
            u = hi;
        }
        if endpoints && l > u {
            l = u.clone();
        }
        steps.push(Step {
            degree,
            interval,
            fit,
            recentring,
            step_error,
            safety_scaled: scale_here,
            applied,
            applied_critical_points: applied_crit,
            composed_image: (Float::new(2), Float::new(2)),
            composed_error: Float::new(2),
            fallback,
        });
    }
    if fitted < spec.degrees.len() {
        // The limit row, exact at the working precision: it fixes 1 with
        // 1 − p vanishing to its number of terms there. It is the table's
        // last row, so no safety factor scales it.
        let degree = spec.degrees[fitted];
        let terms = ((degree - 1) / spec.root) as usize + 1;
        let row_prec = prec + GUARD_BITS;
        let poly = OddPoly::with_root(
            crate::poly::limit_row(spec.root, terms).iter().map(|q| Float::with_val(row_prec, q)).collect(),
            spec.root,
        );
        let crit = poly.positive_critical_points();
        let (lo, hi) = poly.image(&l, &u, &crit);
        steps.push(Step {
            degree,
            interval: (l.clone(), u.clone()),
            fit: None,
            recentring: Float::with_val(row_prec, 1),
            step_error: distance_from_one(&lo, &hi),
            safety_scaled: false,
            applied: poly,
            applied_critical_points: crit,
            composed_image: (Float::new(2), Float::new(2)),
            composed_error: Float::new(2),
            fallback: None,
        });
    }
    if safety > 1 && spec.safety_mode == SafetyMode::After {
        for step in steps.iter_mut().take(last) {
            let (applied, crit) = scaled_by_safety(&step.applied, &step.applied_critical_points, &safety);
            step.applied = applied;
            step.applied_critical_points = crit;
        }
    }
    let images =
        composed_images(steps.iter().map(|s| (&s.applied, s.applied_critical_points.as_slice())), &image.0, &image.1);
    for (step, (lo, hi)) in steps.iter_mut().zip(images) {
        step.composed_error = distance_from_one(&lo, &hi);
        step.composed_image = (lo, hi);
    }
    Ok(Schedule { spec: spec.clone(), steps })
}

/// p(x/s) and its critical points s·c.
fn scaled_by_safety(poly: &OddPoly, crit: &[Float], safety: &Float) -> (OddPoly, Vec<Float>) {
    let scaled = poly.with_argument_scaled(safety);
    let crit = crit.iter().map(|c| Float::with_val(c.prec().max(safety.prec()), c * safety)).collect();
    (scaled, crit)
}
