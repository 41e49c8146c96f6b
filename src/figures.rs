//! Which figures a table, a verification or a comparison gets, and the data
//! each one draws: the glue between the documents and [`crate::plot`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compare::CompareReport;
use crate::curves::{response, rows_f64};
use crate::plot::{self, Comparison, Convergence, ImageFormat, Line, Response, SingularValues, StepErrors};
use crate::table::TableDoc;
use crate::verify::{CoefficientRows, VerifyReport};

/// Samples of a response curve.
pub const RESPONSE_SAMPLES: usize = 600;

/// A kind of figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// The composed f(x).
    Response,
    /// Each step's equioscillation.
    Steps,
    /// Error after each step (guaranteed, and measured when verified).
    Convergence,
    /// Singular values per step (needs a verification).
    SingularValues,
    /// The loss history of an Adam run.
    Loss,
}

impl PlotKind {
    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "response" => Self::Response,
            "steps" => Self::Steps,
            "convergence" => Self::Convergence,
            "singular_values" => Self::SingularValues,
            "loss" => Self::Loss,
            _ => return None,
        })
    }

    /// The file stem of this kind's figure.
    pub fn stem(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Steps => "steps",
            Self::Convergence => "convergence",
            Self::SingularValues => "singular_values",
            Self::Loss => "loss",
        }
    }
}

/// The plot kind names a config accepts.
pub const PLOT_KIND_NAMES: &str = "response, steps, convergence, singular_values, loss";

fn parse_f64(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

/// Draws a table's figures into `dir` (created if missing): the kinds asked
/// for, comparing the response with `others`, and adding measured errors and
/// singular values from `verification` when given.
///
/// # Errors
///
/// A message naming what could not be drawn or written.
pub fn table_figures(
    doc: &TableDoc,
    others: &[CoefficientRows],
    verification: Option<&VerifyReport>,
    kinds: &[PlotKind],
    dir: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the plot folder: {e}", dir.display()))?;
    let (lower, upper) = (parse_f64(&doc.config.lower), parse_f64(&doc.config.upper));
    let mut written = Vec::new();
    for &kind in kinds {
        let stem = dir.join(kind.stem());
        let files = match kind {
            PlotKind::Response => {
                let own = CoefficientRows::from_doc(doc);
                let lines: Vec<Line> = std::iter::once(&own)
                    .chain(others)
                    .map(|t| {
                        let steps = t.default_steps;
                        Line {
                            label: format!("{} ({steps} steps)", t.name),
                            points: response(&rows_f64(&t.rows), steps, lower / 10.0, upper * 1.1, RESPONSE_SAMPLES),
                            dashed: false,
                        }
                    })
                    .collect();
                let plot = Response {
                    title: format!("{}: composed response after {} steps", doc.name, doc.steps.len()),
                    lines,
                    lower,
                    upper,
                    band: parse_f64(&doc.final_error),
                };
                plot::save(&plot, &stem, formats)?
            }
            PlotKind::Steps => {
                let panels: Vec<_> = doc
                    .steps
                    .iter()
                    .filter_map(|s| {
                        let e = parse_f64(&s.remez.as_ref()?.levelled_error);
                        Some((format!("step {}: E = {}", s.step, plot::tick(e)), s.error_curve.clone()?))
                    })
                    .collect();
                if panels.is_empty() {
                    continue; // no minimax steps to draw (an Adam table)
                }
                let plot =
                    StepErrors { title: format!("{}: (1 - p_t(x)) / E_t across each fit interval", doc.name), panels };
                plot::save(&plot, &stem, formats)?
            }
            PlotKind::Convergence => {
                let mut lines = vec![Line {
                    label: "guaranteed max |1 - f| on [lower, upper]".into(),
                    points: doc.steps.iter().map(|s| (s.step as f64, parse_f64(&s.composed_error))).collect(),
                    dashed: true,
                }];
                if let Some(v) = verification {
                    for run in &v.runs {
                        lines.push(Line {
                            label: format!("{}: ||X_t - UV'||_2", run.dtype.as_str()),
                            points: run.steps.iter().skip(1).map(|m| (m.step as f64, m.polar_error_spectral)).collect(),
                            dashed: false,
                        });
                    }
                }
                let plot = Convergence { title: format!("{}: error after each step", doc.name), lines };
                plot::save(&plot, &stem, formats)?
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
                plot::save(&plot, &stem, formats)?
            }
            PlotKind::SingularValues => {
                let v = verification.ok_or_else(|| format!("{}: singular_values needs a verification", doc.name))?;
                plot::save(&singular_values(v), &stem, formats)?
            }
        };
        written.extend(files);
    }
    Ok(written)
}

/// The singular-value figure of a verification.
pub fn singular_values(v: &VerifyReport) -> SingularValues {
    SingularValues {
        title: format!("{}: singular values of X_t on {}", v.table, v.matrix),
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
            points: r.steps.iter().skip(1).map(|m| (m.step as f64, m.polar_error_spectral)).collect(),
            dashed: false,
        })
        .collect();
    Convergence { title: format!("{}: measured error on {}", v.table, v.matrix), lines }
}

/// The comparison figure of a `compare` report.
pub fn comparison(report: &CompareReport) -> Comparison {
    let by = |cost: bool| -> Vec<Line> {
        report
            .tables
            .iter()
            .map(|t| Line {
                label: t.name.clone(),
                points: t
                    .steps
                    .iter()
                    .map(|s| (if cost { s.cumulative_gflop } else { s.step as f64 }, parse_f64(&s.worst_error)))
                    .collect(),
                dashed: false,
            })
            .collect()
    };
    Comparison {
        title: format!("worst case on [{}, {}]", report.lower, report.upper),
        by_step: by(false),
        by_cost: by(true),
        cost_label: format!("cumulative GFLOP for a {}x{} matrix", report.shape[0], report.shape[1]),
    }
}
