//! A config with `method: adam`, solved: start rows, objective, the run, and
//! the table document with the optimisation record.

use rug::Float;

use super::objective::{Layout, Objective, ObjectiveKind, Penalties};
use super::{AdamError, AdamRun, optimise};
use crate::config::{AdamConfig, Config, InitSpec, ObjectiveSpec};
use crate::table::{ComparedLoss, OptimisationDoc, SolveError, TableDoc};
use crate::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, generate};
use crate::verify::reference::polar_reference;
use crate::verify::{DEFAULT_NORM_DELTA, DEFAULT_NORM_EPS};

/// The layout of a config's Adam method.
pub fn layout(config: &Config, adam: &AdamConfig) -> Layout {
    Layout { degrees: config.spec.degrees.clone(), shared: adam.shared, fixed: adam.fixed.clone() }
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
        let x0 = &m / (m.norm() * (1.0 + DEFAULT_NORM_EPS) + DEFAULT_NORM_DELTA);
        out.extend(polar_reference(&x0).singular_values);
    }
    Ok(out)
}

/// The objective of a config.
///
/// # Errors
///
/// As [`matrix_singular_values`].
pub fn objective(config: &Config, adam: &AdamConfig) -> Result<Objective, AdamError> {
    let lower: f64 = config.spec.lower.parse().unwrap_or(f64::NAN);
    let upper: f64 = config.spec.upper.parse().unwrap_or(1.0);
    let kind = match &adam.objective {
        ObjectiveSpec::WorstCase => ObjectiveKind::WorstCase,
        ObjectiveSpec::TopK { k, grid } => ObjectiveKind::TopK { k: *k, grid: *grid },
        ObjectiveSpec::Rms { grid } => ObjectiveKind::Rms { points: super::objective::grid_points(*grid, upper) },
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
            let schedule = crate::schedule::greedy(&config.spec)?;
            let digits = crate::precision::decimal_digits(config.spec.precision);
            schedule
                .steps
                .iter()
                .take(rows)
                .map(|s| s.applied.coeffs().iter().map(|c| crate::precision::to_decimal(c, digits)).collect())
                .collect()
        }
        InitSpec::Preset(name) => {
            let p = crate::presets::preset(name).expect("validated preset");
            (0..rows).map(|r| p.rows[r.min(p.rows.len() - 1)].clone()).collect()
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
    let expanded: Vec<Vec<String>> = (0..steps).map(|t| rows[t.min(rows.len() - 1)].clone()).collect();
    let layout = Layout {
        degrees: expanded.iter().map(|r| 2 * r.len() as u32 - 1).collect(),
        shared: false,
        fixed: expanded.into_iter().map(Some).collect(),
    };
    let like = Float::with_val(prec, 0);
    objective.evaluate::<Float>(&layout, &[], prec, &like).loss.to_f64()
}

/// Solves a config with `method: adam`.
///
/// # Errors
///
/// [`SolveError`] when the start or the run fails.
pub fn solve(config: &Config, adam: &AdamConfig, bar: &indicatif::ProgressBar) -> Result<TableDoc, SolveError> {
    let layout = layout(config, adam);
    let objective = objective(config, adam)?;
    let start = start_rows(config, adam)?;
    let run: AdamRun = optimise(&layout, &objective, &start, &adam.settings, bar)?;
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
    let mut doc = TableDoc::from_rows(&config.echo(), &per_step, "adam", None);
    let band_reached = matches!(adam.objective, ObjectiveSpec::Band { .. }).then(|| {
        let last = doc.steps.last().expect("at least one step");
        [last.composed_image[0].parse().unwrap_or(f64::NAN), last.composed_image[1].parse().unwrap_or(f64::NAN)]
    });
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
