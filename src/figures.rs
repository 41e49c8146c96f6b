//! Which figures a table, a verification or a comparison gets, and the data
//! each one draws: the glue between the documents and [`crate::plot`].
//! Figures are rendered to bytes here; writing them is the caller's (so that
//! a run writes its files as one set).

use std::path::{Path, PathBuf};

use crate::compare::CompareReport;
use crate::curves::{response, response_range};
use crate::plot::{
    Comparison, Convergence, ImageFormat, Line, PlotError, PlotKind, Response, SingularValues, StepErrors, Transfer,
    render_files,
};
use crate::precision::parse_decimal;
use crate::rows::CoefficientRows;
use crate::table::TableDoc;
use crate::verify::VerifyReport;

/// A figure file rendered but not written: (path, bytes).
pub type Rendered = Vec<(PathBuf, Vec<u8>)>;

/// Why figures could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// A number in a document is not a decimal (a hand-edited JSON).
    #[error("{what} = {text:?} is not a decimal number")]
    Number {
        /// Which field.
        what: String,
        /// The text.
        text: String,
    },
    /// Rows that cannot be evaluated.
    #[error(transparent)]
    Rows(#[from] crate::rows::RowsError),
    /// Drawing failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The singular-value figure was asked for without a verification.
    #[error("{0}: singular_values needs a verification")]
    NeedsVerification(String),
}

/// Samples of a response curve.
pub const RESPONSE_SAMPLES: usize = 600;

/// A decimal from a document as the nearest f64 (MPFR rounds it once; values
/// beyond f64's range become ±inf or 0, which the log axes clamp).
fn number(what: &str, text: &str) -> Result<f64, FigureError> {
    parse_decimal(text, 64)
        .map(|x| x.to_f64())
        .map_err(|_| FigureError::Number { what: what.to_string(), text: text.to_string() })
}

/// Renders a table's figures as files in `dir`: the kinds asked for,
/// comparing the response with `others`, and adding measured errors and
/// singular values from `verification` when given. Nothing is written.
///
/// # Errors
///
/// [`FigureError`] naming what could not be drawn.
pub fn table_figures(
    doc: &TableDoc,
    others: &[CoefficientRows],
    verification: Option<&VerifyReport>,
    kinds: &[PlotKind],
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Rendered, FigureError> {
    let (lower, upper) = (number("config.lower", &doc.config.lower)?, number("config.upper", &doc.config.upper)?);
    let mut written = Vec::new();
    for &kind in kinds {
        let stem = dir.join(kind.stem());
        let files = match kind {
            PlotKind::Response => {
                let own = doc.rows();
                let (x_lo, x_hi) = response_range(lower, upper);
                let lines: Vec<Line> = std::iter::once(&own)
                    .chain(others)
                    .map(|t| {
                        let steps = t.default_steps;
                        Ok(Line {
                            label: format!("{} ({steps} steps)", t.name),
                            points: response(&t.rows_f64()?, steps, x_lo, x_hi, RESPONSE_SAMPLES),
                            dashed: false,
                        })
                    })
                    .collect::<Result<_, FigureError>>()?;
                let plot = Response {
                    title: format!("{}: composed response after {} steps", doc.name, doc.steps.len()),
                    lines,
                    lower,
                    upper,
                    band: number("final_error", &doc.final_error)?,
                    x_range: (x_lo, x_hi),
                };
                render_files(&plot, &stem, formats)?
            }
            PlotKind::Steps => {
                let mut panels = Vec::new();
                for s in &doc.steps {
                    if let (Some(remez), Some(curve)) = (&s.remez, &s.error_curve) {
                        let e = number("levelled_error", &remez.levelled_error)?;
                        let step = number("step_error", &s.step_error)?;
                        panels.push((
                            format!(
                                "step {}: E = {} on fit, {} on [l_t, u_t]",
                                s.step,
                                crate::plot::tick(e),
                                crate::plot::tick(step)
                            ),
                            curve.clone(),
                        ));
                    }
                }
                if panels.is_empty() {
                    continue; // no minimax steps to draw (an Adam table)
                }
                let plot = StepErrors {
                    title: format!(
                        "{}: (1 - p_t(x)) / E_t across each fit interval (E on the fit; the step error on [l_t, u_t])",
                        doc.name
                    ),
                    panels,
                };
                render_files(&plot, &stem, formats)?
            }
            PlotKind::Convergence => {
                let mut lines = vec![Line {
                    label: "guaranteed max |1 - f| on [lower, upper]".into(),
                    points: doc
                        .steps
                        .iter()
                        .map(|s| Ok((s.step as f64, number("composed_error", &s.composed_error)?)))
                        .collect::<Result<_, FigureError>>()?,
                    dashed: true,
                }];
                if let Some(v) = verification {
                    for run in &v.runs {
                        lines.push(Line {
                            label: format!("{}: ||X_t - UV'||_2", run.dtype.as_str()),
                            points: run
                                .steps
                                .iter()
                                .filter(|m| m.step > 0)
                                .map(|m| (m.step as f64, m.polar_error_spectral))
                                .collect(),
                            dashed: false,
                        });
                    }
                }
                let plot = Convergence { title: format!("{}: error after each step", doc.name), lines };
                render_files(&plot, &stem, formats)?
            }
            PlotKind::Loss => {
                let Some(o) = &doc.optimisation else { continue };
                let plot = crate::plot::Loss {
                    title: format!("{}: Adam loss", doc.name),
                    line: Line {
                        label: "loss (objective + penalties)".into(),
                        points: o.history.iter().map(|&(i, l)| (i as f64, l)).collect(),
                        dashed: false,
                    },
                };
                render_files(&plot, &stem, formats)?
            }
            PlotKind::SingularValues => {
                let v = verification.ok_or_else(|| FigureError::NeedsVerification(doc.name.clone()))?;
                render_files(&singular_values(v), &stem, formats)?
            }
        };
        written.extend(files);
    }
    Ok(written)
}

/// The singular-value figure of a verification.
pub fn singular_values(v: &VerifyReport) -> SingularValues {
    SingularValues {
        title: format!(
            "{}: singular values of X_t ({}x{}, normalised input in [{}, {}])",
            v.table,
            v.shape[0],
            v.shape[1],
            crate::plot::tick(v.input_sigma[0]),
            crate::plot::tick(v.input_sigma[1])
        ),
        runs: v
            .runs
            .iter()
            .map(|r| {
                (
                    r.dtype.as_str().to_string(),
                    r.steps.iter().map(|m| (m.step as f64, m.sigma_min, m.sigma_median, m.sigma_max)).collect(),
                )
            })
            .collect(),
    }
}

/// The convergence figure of a verification alone (measured errors per arithmetic).
pub fn verification_convergence(v: &VerifyReport) -> Convergence {
    let lines = v
        .runs
        .iter()
        .map(|r| Line {
            label: format!("{}: ||X_t - UV'||_2", r.dtype.as_str()),
            points: r.steps.iter().filter(|m| m.step > 0).map(|m| (m.step as f64, m.polar_error_spectral)).collect(),
            dashed: false,
        })
        .collect();
    Convergence { title: format!("{}: measured error on {}", v.table, v.matrix), lines }
}

/// The comparison figure of a `compare` report.
///
/// # Errors
///
/// [`FigureError::Number`] for a worst-case error that is not a decimal.
pub fn comparison(report: &CompareReport) -> Result<Comparison, FigureError> {
    let by = |cost: bool| -> Result<Vec<Line>, FigureError> {
        report
            .tables
            .iter()
            .map(|t| {
                let points = t
                    .steps
                    .iter()
                    .map(|s| {
                        let x = if cost { s.cumulative_gflop } else { s.step as f64 };
                        Ok((x, number("worst_error", &s.worst_error)?))
                    })
                    .collect::<Result<_, FigureError>>()?;
                Ok(Line { label: t.name.clone(), points, dashed: false })
            })
            .collect()
    };
    Ok(Comparison {
        title: format!("worst case on [{}, {}]", report.lower, report.upper),
        by_step: by(false)?,
        by_cost: by(true)?,
        cost_label: format!("cumulative GFLOP for a {}x{} matrix", report.shape[0], report.shape[1]),
    })
}

/// An operator report's figures in `dir`: for clipping, output against input
/// singular values per formula and arithmetic beside the exact map; for
/// iterations with a per-step result, its error against steps. Files are
/// named `<operator>-singular-values` and `<operator>-convergence`, in each
/// of `formats`. Nothing is written.
///
/// # Errors
///
/// [`FigureError`] when drawing fails.
pub fn operator_figures(
    report: &crate::operators::OperatorReport,
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Rendered, FigureError> {
    use crate::operators::{Formula, OperatorKind};
    let name = report.operator.as_str();
    let label = |r: &crate::operators::OperatorRun| match r.formula {
        Some(f) => format!("{} {}", f.as_str(), r.dtype.as_str()),
        None => r.dtype.as_str().to_string(),
    };
    let mut out = Vec::new();
    if !report.sigma_in.is_empty() {
        let [alpha, beta] = report.clip.unwrap_or([0.0, 1.0]);
        let mut lines = Vec::new();
        let ideal = |f: &dyn Fn(f64) -> f64, what: &str| Line {
            label: format!("exact {what}"),
            points: report.sigma_in.iter().rev().map(|&s| (s, f(s))).collect(),
            dashed: true,
        };
        if report.operator == OperatorKind::Mstep {
            lines.push(ideal(&|s| if s > 1.0 { 1.0 } else { 0.0 }, "step(sigma - 1)"));
        } else {
            lines.push(ideal(&|s: f64| s.min(1.0), "min(sigma, 1)"));
            if report.results.iter().any(|r| r.formula == Some(Formula::Clip)) {
                lines.push(ideal(&|s: f64| s.clamp(alpha.min(beta), beta), "clip to [alpha, beta]"));
            }
        }
        for run in report.results.iter().filter(|r| !r.sigma_out.is_empty()) {
            lines.push(Line {
                label: label(run),
                points: report.sigma_in.iter().zip(&run.sigma_out).rev().map(|(&a, &b)| (a, b)).collect(),
                dashed: false,
            });
        }
        let plot = Transfer {
            title: format!("{name} with {} ({} steps): singular values", report.table, report.steps),
            x_desc: "input singular value (both lists sorted)".into(),
            y_desc: "output singular value".into(),
            lines,
        };
        out.extend(render_files(&plot, &dir.join(format!("{name}-singular-values")), formats)?);
    }
    let lines: Vec<Line> = report
        .results
        .iter()
        .filter(|r| !r.error_by_step.is_empty())
        .map(|r| Line {
            label: label(r),
            points: r.error_by_step.iter().enumerate().map(|(t, &e)| ((t + 1) as f64, e)).collect(),
            dashed: false,
        })
        .collect();
    if !lines.is_empty() {
        let plot = Convergence {
            title: format!("{name} with {}: relative error of the result after each step", report.table),
            lines,
        };
        out.extend(render_files(&plot, &dir.join(format!("{name}-convergence")), formats)?);
    }
    Ok(out)
}
