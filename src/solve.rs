//! Solving a validated config: the greedy schedule or the Adam method, and
//! the table document of the result.
//!
//! ```
//! use polar_coeffs::{Config, solve};
//!
//! let config = Config::from_yaml_str("name: t\ndegree: 5\nsteps: 3\nlower: 0.01\n", "t.yaml").unwrap();
//! let doc = solve(&config).unwrap();
//! assert!(doc.all_converged);
//! assert_eq!(doc.steps.len(), 3);
//! ```

use std::rc::Rc;

use rug::Float;

use crate::adam::objective::{Layout, Objective, ObjectiveKind, Penalties, grid_points};
use crate::adam::spec::{AdamConfig, InitSpec, ObjectiveSpec};
use crate::adam::{AdamError, AdamRun, optimise};
use crate::certify::{certified_errors, certified_errors_decimal};
use crate::config::Config;
use crate::normalise::{DEFAULT_DELTA, DEFAULT_EPS, divisor};
use crate::precision::{decimal_digits, parse_decimal, to_decimal};
use crate::progress::{Progress, Silent};
use crate::rounding::{RoundTarget, round_aware};
use crate::rows::repeat_last;
use crate::schedule::{ScheduleError, greedy};
use crate::table::{
    CERTIFIED_DIGITS, CertifiedError, ComparedLoss, Method, OptimisationDoc, RoundedDoc, StepDoc, TableDoc, UNBOUNDED,
};
use crate::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, generate};
use crate::verify::reference::polar_reference;

/// Why a table could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The greedy schedule failed.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// The Adam method failed.
    #[error(transparent)]
    Adam(#[from] AdamError),
    /// The certificate could not be computed.
    #[error(transparent)]
    Certify(#[from] crate::certify::CertifyError),
    /// The rounding-aware table could not be made.
    #[error("round_to: {0}")]
    Rounding(#[from] crate::rounding::RoundingError),
    /// A document's `rounded.target` is not a type `round_to` knows.
    #[error("rounded.target is not f32, bf16 or f16")]
    RoundedTarget,
    /// A non-zero coefficient that f64 or f32 rounds to 0 (a safety factor
    /// so large that a row underflows, say). A value that overflows is kept
    /// (as `"inf"` in the JSON): that type's table is then refused by the
    /// emitters and certified `unbounded`.
    #[error(
        "step {step}, coefficient {index} = {value} rounds to zero in {target}; the table cannot be written (is the safety factor or the interval extreme?)"
    )]
    NotRepresentable {
        /// 1-based step.
        step: usize,
        /// 0-based coefficient.
        index: usize,
        /// The exact value, shortened.
        value: String,
        /// `f64` or `f32`.
        target: &'static str,
    },
}

/// Certifies the composed error of the table in each form a user may paste
/// (the printed decimals, f64, f32, bf16) and records it in every step
/// (replacing whatever a document read back carried).
///
/// # Errors
///
/// [`SolveError::Certify`] for interval ends the certificate cannot use.
pub fn certify_document(doc: &mut TableDoc) -> Result<(), SolveError> {
    use rug::float::Round;
    // Precise enough to hold the longest printed decimal (late rows carry
    // extra digits); the certificate adds what each row's size needs.
    let longest = doc.steps.iter().flat_map(|s| &s.coefficients).map(String::len).max().unwrap_or(0);
    let held_bits = u32::try_from(longest).unwrap_or(u32::MAX / 8).saturating_mul(10) / 3;
    let prec = doc.precision_bits.max(held_bits) + crate::remez::GUARD_BITS;
    let exact = exact_rows(doc, prec);
    let held = |f: &dyn Fn(&Float, &StepDoc, usize) -> Float| -> Vec<Vec<Float>> {
        doc.steps.iter().zip(&exact).map(|(s, row)| row.iter().enumerate().map(|(k, c)| f(c, s, k)).collect()).collect()
    };
    let f64_rows = held(&|_, s, k| Float::with_val(64, s.coefficients_f64[k]));
    let f32_rows = held(&|_, s, k| Float::with_val(64, s.coefficients_f32[k]));
    // bf16: 8 significant bits, nearest with ties to even (MPFR's default).
    let bf16_rows = held(&|c, _, _| Float::with_val_round(8, c, Round::Nearest).0);
    let (lower, upper) = (&doc.config.lower, &doc.config.upper);
    let root = doc.root();
    let shown = |bounds: Vec<Option<Float>>| -> Vec<String> {
        bounds
            .iter()
            .map(|b| {
                b.as_ref().map_or_else(
                    || UNBOUNDED.to_string(),
                    |b| crate::precision::to_decimal_round(b, CERTIFIED_DIGITS, Round::Up),
                )
            })
            .collect()
    };
    let walk = |rows: &[Vec<Float>]| -> Result<Vec<String>, SolveError> {
        Ok(shown(certified_errors(rows, lower, upper, prec, root)?))
    };
    let decimals: Vec<Vec<String>> = doc.steps.iter().map(|s| s.coefficients.clone()).collect();
    // The four walks are independent: two threads (the machines this runs
    // on have at least two cores), each result in its own slot, so the
    // document is the same whatever the scheduling.
    let (first, second) = std::thread::scope(|scope| {
        let other =
            scope.spawn(|| -> Result<[Vec<String>; 2], SolveError> { Ok([walk(&f32_rows)?, walk(&bf16_rows)?]) });
        let here = (|| -> Result<[Vec<String>; 2], SolveError> {
            Ok([shown(certified_errors_decimal(&decimals, lower, upper, prec, root)?), walk(&f64_rows)?])
        })();
        (here, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let ([exact_form, f64_form], [f32_form, bf16_form]) = (first?, second?);
    let forms = [exact_form, f64_form, f32_form, bf16_form];
    for (t, step) in doc.steps.iter_mut().enumerate() {
        step.certified_error = Some(CertifiedError {
            exact: forms[0][t].clone(),
            f64: forms[1][t].clone(),
            f32: forms[2][t].clone(),
            bf16: forms[3][t].clone(),
        });
    }
    if let Some(rounded) = &doc.rounded {
        // The rounding-aware rows and the plain rounding they are compared
        // with, certified again from the rows themselves.
        let target = RoundTarget::parse(&rounded.target).ok_or(SolveError::RoundedTarget)?;
        let held = |text: &String| Float::with_val(64, crate::precision::parse_f32(text).unwrap_or(f32::NAN));
        let chosen: Vec<Vec<Float>> = rounded.rows.iter().map(|r| r.iter().map(held).collect()).collect();
        let plain: Vec<Vec<Float>> = exact
            .iter()
            .map(|r| r.iter().map(|c| target.nearest(c).unwrap_or_else(|| Float::with_val(64, f32::NAN))).collect())
            .collect();
        let (a, b) = (walk(&chosen)?, walk(&plain)?);
        let rounded = doc.rounded.as_mut().expect("checked above");
        rounded.certified_error = a;
        rounded.plain_certified_error = b;
    }
    Ok(())
}

/// The document's decimal coefficients at `prec` bits (checked documents
/// hold finite decimals only).
fn exact_rows(doc: &TableDoc, prec: u32) -> Vec<Vec<Float>> {
    doc.steps
        .iter()
        .map(|s| s.coefficients.iter().map(|c| parse_decimal(c, prec).unwrap_or_else(|_| Float::new(prec))).collect())
        .collect()
}

/// The rounding-aware rows of a solved document (`round_to`), as decimals
/// that read back to the chosen values; their certificates are filled in by
/// [`certify_document`].
///
/// # Errors
///
/// [`SolveError::Rounding`] when a coefficient is out of the target's range.
fn rounded_rows(doc: &TableDoc, target: RoundTarget) -> Result<RoundedDoc, SolveError> {
    let prec = doc.precision_bits + crate::remez::GUARD_BITS;
    let exact = exact_rows(doc, prec);
    let found = round_aware(&exact, &doc.config.lower, &doc.config.upper, target, prec, doc.root())?;
    Ok(RoundedDoc {
        target: target.name().to_string(),
        rows: found.steps.iter().map(|s| s.row.iter().map(|v| format!("{:?}", v.to_f32())).collect()).collect(),
        certified_error: Vec::new(),
        plain_certified_error: Vec::new(),
    })
}

/// Refuses a document with a non-zero coefficient that rounds to 0 in f64 or
/// f32.
fn check_representable(doc: &TableDoc) -> Result<(), SolveError> {
    for s in &doc.steps {
        for (k, text) in s.coefficients.iter().enumerate() {
            if parse_decimal(text, 64).is_ok_and(|x| x.is_zero()) {
                continue;
            }
            let zeros = [(s.coefficients_f64[k] == 0.0, "f64"), (s.coefficients_f32[k] == 0.0, "f32")];
            if let Some(&(_, target)) = zeros.iter().find(|(zero, _)| *zero) {
                return Err(SolveError::NotRepresentable {
                    step: s.step,
                    index: k,
                    value: crate::precision::summary(text, 12),
                    target,
                });
            }
        }
    }
    Ok(())
}

/// Solves the config (greedy schedule, or the Adam method) and builds the
/// document.
///
/// # Errors
///
/// [`SolveError`] when no table could be computed at all (a step that did not
/// converge is a result, recorded in the document, not an error).
pub fn solve(config: &Config) -> Result<TableDoc, SolveError> {
    solve_with_progress(config, Rc::new(Silent))
}

/// [`solve`], reporting an Adam run's iterations and loss to `progress`.
///
/// # Errors
///
/// As [`solve`].
pub fn solve_with_progress(config: &Config, progress: Rc<dyn Progress>) -> Result<TableDoc, SolveError> {
    let doc = match &config.adam {
        None => TableDoc::from_schedule(&config.echo(), &greedy(&config.spec)?),
        Some(adam) => solve_adam(config, adam, progress)?,
    };
    check_representable(&doc)?;
    let mut doc = doc;
    if let Some(target) = config.round_to {
        doc.rounded = Some(rounded_rows(&doc, target)?);
    }
    certify_document(&mut doc)?;
    Ok(doc)
}

/// The layout of a config's Adam method.
pub fn layout(config: &Config, adam: &AdamConfig) -> Layout {
    Layout {
        degrees: config.spec.degrees.clone(),
        shared: adam.shared,
        fixed: adam.fixed.clone(),
        root: config.spec.root,
    }
}

/// The singular values of `samples` normalised Gaussian matrices (seeds
/// seed, seed + 1, …), pooled: the points of the `rms_matrix` objective.
///
/// # Errors
///
/// When the shape is above the matrix cap.
pub fn matrix_singular_values(rows: usize, cols: usize, samples: usize, seed: u64) -> Result<Vec<f64>, AdamError> {
    let mut out = Vec::new();
    for s in 0..samples {
        let spec =
            MatrixSpec { rows, cols, spectrum: Spectrum::Gaussian, lower: 0.5, seed: seed.wrapping_add(s as u64) };
        let m = generate(&spec, DEFAULT_MAX_ELEMENTS).map_err(|e| AdamError::Invalid(e.to_string()))?.m;
        let m = if rows <= cols { m } else { m.transpose() };
        let x0 = &m / divisor(m.norm(), DEFAULT_EPS, DEFAULT_DELTA);
        out.extend(
            polar_reference(&x0).map_err(|e| AdamError::Invalid(format!("rms_matrix sample: {e}")))?.singular_values,
        );
    }
    Ok(out)
}

/// The objective of a config.
///
/// # Errors
///
/// As [`matrix_singular_values`].
pub fn objective(config: &Config, adam: &AdamConfig) -> Result<Objective, AdamError> {
    // The f64 objective reads the interval ends rounded once from their
    // decimal text by MPFR (exact to f64's last bit).
    let end = |text: &str| {
        parse_decimal(text, 64)
            .map(|x| x.to_f64())
            .map_err(|e| AdamError::Invalid(format!("interval end {text:?}: {e}")))
    };
    let (lower, upper) = (end(&config.spec.lower)?, end(&config.spec.upper)?);
    let kind = match &adam.objective {
        ObjectiveSpec::WorstCase => ObjectiveKind::WorstCase,
        ObjectiveSpec::TopK { k, grid } => ObjectiveKind::TopK { k: *k, grid: *grid },
        ObjectiveSpec::Rms { grid } => ObjectiveKind::Rms { points: grid_points(*grid, upper) },
        ObjectiveSpec::RmsMatrix { rows, cols, samples } => {
            ObjectiveKind::Rms { points: matrix_singular_values(*rows, *cols, *samples, adam.settings.seed)? }
        }
        ObjectiveSpec::Band { delta, grid } => ObjectiveKind::Band { delta: *delta, grid: *grid },
    };
    Ok(Objective {
        kind,
        lower,
        upper,
        penalties: Penalties { no_sign_flip: adam.no_sign_flip, overshoot: adam.overshoot },
    })
}

/// The starting rows (fixed rows in place).
///
/// # Errors
///
/// When the greedy start cannot be computed.
pub fn start_rows(config: &Config, adam: &AdamConfig) -> Result<Vec<Vec<String>>, SolveError> {
    let rows = if adam.shared { 1 } else { config.spec.degrees.len() };
    let mut start: Vec<Vec<String>> = match &adam.init {
        InitSpec::Greedy => {
            let schedule = greedy(&config.spec)?;
            let digits = decimal_digits(config.spec.precision);
            // A shared row starts from the greedy schedule's last row: close
            // to the Newton-Schulz fixed point, it converges when repeated
            // (the first row, fitted for small values, diverges near 1).
            let skip = if adam.shared { schedule.steps.len() - 1 } else { 0 };
            schedule
                .steps
                .iter()
                .skip(skip)
                .take(rows)
                .map(|s| s.applied.coeffs().iter().map(|c| to_decimal(c, digits)).collect())
                .collect()
        }
        InitSpec::Preset(name) => {
            let p = crate::presets::preset(name)
                .ok_or_else(|| AdamError::Invalid(format!("init.preset {name:?} is not a known preset")))?;
            (0..rows).map(|r| p.rows[repeat_last(r, p.rows.len())].clone()).collect()
        }
        InitSpec::Rows(r) => r.clone(),
    };
    for (r, fixed) in adam.fixed.iter().enumerate() {
        if let Some(f) = fixed {
            start[r] = f.clone();
        }
    }
    Ok(start)
}

/// The loss of given rows under `objective` at `prec` bits (all rows fixed).
pub fn loss_of(degrees: &[u32], rows: &[Vec<String>], objective: &Objective, prec: u32) -> f64 {
    let steps = degrees.len();
    let expanded: Vec<Vec<String>> = (0..steps).map(|t| rows[repeat_last(t, rows.len())].clone()).collect();
    let layout = Layout {
        degrees: expanded.iter().map(|r| 2 * r.len() as u32 - 1).collect(),
        shared: false,
        fixed: expanded.into_iter().map(Some).collect(),
        // Compared rows are msign presets and tables (refused with other roots).
        root: crate::poly::MSIGN_ROOT,
    };
    let like = Float::with_val(prec, 0);
    objective.evaluate::<Float>(&layout, &[], prec, &like).loss.to_f64()
}

/// Solves a config with `method: adam`.
///
/// # Errors
///
/// [`SolveError`] when the start or the run fails.
fn solve_adam(config: &Config, adam: &AdamConfig, progress: Rc<dyn Progress>) -> Result<TableDoc, SolveError> {
    let layout = layout(config, adam);
    let objective = objective(config, adam)?;
    let start = start_rows(config, adam)?;
    let run: AdamRun = optimise(&layout, &objective, &start, &adam.settings, progress)?;
    let prec = adam.settings.precision;
    let compared = adam
        .compare_with
        .iter()
        .map(|(name, rows)| ComparedLoss {
            name: name.clone(),
            loss: loss_of(&config.spec.degrees, rows, &objective, prec),
        })
        .collect();
    let per_step: Vec<Vec<Float>> =
        (0..config.spec.degrees.len()).map(|t| run.rows[layout.row_of(t)].clone()).collect();
    let mut doc = TableDoc::from_rows(&config.echo(), &per_step, Method::Adam, None);
    let band_reached = match (&adam.objective, doc.steps.last()) {
        (ObjectiveSpec::Band { .. }, Some(last)) => {
            let end = |t: &str| parse_decimal(t, 64).map(|x| x.to_f64()).map_err(|e| AdamError::Invalid(e.to_string()));
            Some([end(&last.composed_image[0])?, end(&last.composed_image[1])?])
        }
        _ => None,
    };
    doc.optimisation = Some(OptimisationDoc {
        objective: adam.objective.clone(),
        initial_loss: run.initial_loss,
        final_loss: run.final_loss,
        final_objective: run.final_objective,
        loss_before_rounding: run.loss_before_rounding,
        iterations: run.iterations,
        termination: run.termination,
        compared,
        band_reached,
        history: run.history,
    });
    Ok(doc)
}
