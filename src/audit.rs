//! Auditing a pasted table: which known construction its rows come from.
//!
//! The search spans what the tool builds: greedy minimax schedules of the
//! rows' degree for ℓ on a log grid (then refined by golden section in
//! log ℓ, and snapped to a one-digit value such as 1e-3 when that fits as
//! well), each published cushion, safety factors in both modes, and both
//! recentring conventions. Each candidate schedule is compared with the given
//! rows in units of their own last printed digit (half a unit of the last
//! decimal, or 1e-15 relative for full-precision values), row by row against
//! the best-matching candidate row, so that a prefix, a window from the
//! wrong end, or shuffled rows are still recognised, and named.
//!
//! ```no_run
//! use polar_coeffs::audit::{audit, AuditOptions};
//! use polar_coeffs::presets::preset;
//! use polar_coeffs::rows::CoefficientRows;
//!
//! let rows = CoefficientRows::from_preset(&preset("polar-express-modded-nanogpt-5").unwrap());
//! let report = audit(&rows, &AuditOptions::default()).unwrap();
//! assert_eq!(report.best.as_ref().unwrap().lower, "1e-3");
//! ```

use rug::Float;
use serde::{Deserialize, Serialize};

use crate::precision::to_decimal;
use crate::rows::{CoefficientRows, RowsError};
use crate::schedule::{Recentre, SafetyMode, ScheduleSpec, greedy};

/// The cushions tried: none, the modded-nanogpt record's, the Polar Express
/// appendix code's, and the paper text's.
pub const CUSHIONS: [&str; 4] = ["0", "0.02", "0.02407327424182761", "0.1"];

/// The safety factors tried (besides 1): the published lists', Gram
/// Newton–Schulz's, the root tables'.
pub const SAFETIES: [&str; 4] = ["1.01", "1.02", "1.05", "1.001"];

/// Score (in units of the last printed digit) up to which a row counts as
/// matched.
pub const MATCH_UNITS: f64 = 1.0;

/// Deviation (in units of the last printed digit) up to which a row counts
/// as coming from the construction, if not to its printed digits (a typo, a
/// different rounding, float64 noise); rows beyond it match nothing.
pub const NEAR_UNITS: f64 = 1000.0;

/// Relative deviation up to which a row counts as near (besides
/// [`NEAR_UNITS`]): coarse roundings (one decimal) make units large.
pub const NEAR_RELATIVE: f64 = 1e-2;

/// Rows within [`NEAR_UNITS`] needed to name a construction (all of them
/// for a shorter table): two rows of a schedule to 1e-10 relative, or to
/// 1000 units of a 4th decimal, do not happen by chance.
pub const NEAR_ROWS: usize = 2;

/// Extra rows a candidate schedule has beyond the given rows, so that a
/// prefix or a window of a longer table is found.
pub const EXTRA_ROWS: usize = 3;

/// Options of an audit.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditOptions {
    /// Points of the log grid of ℓ over [1e-6, 0.5].
    pub grid: usize,
    /// Golden-section iterations refining ℓ.
    pub refine: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self { grid: 36, refine: 60 }
    }
}

/// A construction that was tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Construction {
    /// ℓ as found (a one-digit value when it fits as well).
    pub lower: String,
    /// Cushion.
    pub cushion: String,
    /// Safety factor.
    pub safety: String,
    /// Safety mode.
    pub safety_mode: SafetyMode,
    /// Recentring convention.
    pub recentre: Recentre,
    /// Steps of the schedule the rows were compared with.
    pub steps: usize,
    /// The search objective Σ log10(1 + deviation of row i in units).
    pub score: f64,
    /// For each given row, the construction's row (1-based) it matches best.
    pub rows: Vec<usize>,
    /// For each given row, its worst coefficient deviation in units.
    pub row_scores: Vec<f64>,
    /// The construction's rows (decimal, 20 digits), in its own order.
    pub construction_rows: Vec<Vec<String>>,
}

/// What an audit found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// The table audited.
    pub table: String,
    /// Its rows.
    pub rows: Vec<Vec<String>>,
    /// Decimals printed, per row and coefficient (`None`: full precision).
    pub printed_decimals: Vec<Vec<Option<u32>>>,
    /// The best construction, or `None` when none is within
    /// [`NO_MATCH_UNITS`].
    pub best: Option<Construction>,
    /// The worst row deviation of the match, in units (or the nearest row's
    /// when there is no match).
    pub nearest_score: f64,
    /// Findings in words: the match, rows that match nothing, rows out of
    /// order or from the wrong end.
    pub findings: Vec<String>,
}

/// Why an audit could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// Unusable rows.
    #[error(transparent)]
    Rows(#[from] RowsError),
    /// Rows of different lengths, or a root-family table.
    #[error("{0}")]
    Shape(String),
}

/// Decimals printed in a coefficient (`8.2051` → 4), `None` for a value
/// written to 15 or more significant digits (full precision).
fn printed_decimals(text: &str) -> Option<u32> {
    let t = text.trim().trim_start_matches(['+', '-']);
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (t, 0),
    };
    let significant = mantissa.chars().filter(char::is_ascii_digit).count();
    if significant >= 15 {
        return None;
    }
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32) - exponent;
    Some(decimals.max(0) as u32)
}

/// The unit a full-precision coefficient is compared in, relative: tables
/// printed to 16–17 digits were computed in float64 by their sources, whose
/// Remez solves are good to about 1e-14 relative.
pub const FULL_PRECISION_UNIT: f64 = 1e-13;

/// The unit a coefficient is compared in: half its last printed decimal, or
/// [`FULL_PRECISION_UNIT`] relative for full-precision values.
fn unit(decimals: Option<u32>, value: f64) -> f64 {
    match decimals {
        Some(d) => 0.5 * 10f64.powi(-(d as i32)),
        None => FULL_PRECISION_UNIT * value.abs().max(1e-300),
    }
}

/// A parameter point of the search.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    cushion: &'static str,
    safety: &'static str,
    mode: SafetyMode,
    recentre: Recentre,
}

/// Given rows as f64 with their units.
struct Given {
    values: Vec<Vec<f64>>,
    units: Vec<Vec<f64>>,
}

/// The construction's rows for `point` at ℓ = `lower`, in f64 and decimal;
/// `None` when the schedule cannot be built.
/// Candidate rows: the rows as applied, then the safety-scaled ones again in
/// unscaled form; `labels[j]` is (the construction's 1-based row, unscaled).
type Candidates = (Vec<Vec<f64>>, Vec<Vec<String>>, Vec<(usize, bool)>);

fn construction(degree: u32, steps: usize, point: &Point, lower: &str) -> Option<Candidates> {
    let spec = ScheduleSpec {
        cushion: point.cushion.into(),
        safety: point.safety.into(),
        safety_mode: point.mode,
        recentre: point.recentre,
        ..ScheduleSpec::new(vec![degree; steps], lower)
    };
    let schedule = greedy(&spec).ok()?;
    // Each row as applied, then (after them) the safety-scaled rows in their
    // unscaled form: the last row of a shorter table is never scaled.
    let safety = crate::precision::parse_decimal(point.safety, 256).ok()?;
    let mut polys: Vec<Vec<Float>> = schedule.steps.iter().map(|s| s.applied.coeffs().to_vec()).collect();
    let mut labels: Vec<(usize, bool)> = (1..=polys.len()).map(|t| (t, false)).collect();
    for (t, s) in schedule.steps.iter().enumerate().filter(|(_, s)| s.safety_scaled) {
        labels.push((t + 1, true));
        let unscaled = s
            .applied
            .coeffs()
            .iter()
            .enumerate()
            .map(|(k, c)| Float::with_val(256, c * Float::with_val(256, rug::ops::Pow::pow(&safety, 2 * k as u32 + 1))))
            .collect();
        polys.push(unscaled);
    }
    let rows: Vec<Vec<f64>> = polys.iter().map(|r| r.iter().map(Float::to_f64).collect()).collect();
    let text = polys.iter().map(|r| r.iter().map(|c| to_decimal(c, 20)).collect()).collect();
    rows.iter().all(|r| r.iter().all(|v| v.is_finite())).then_some((rows, text, labels))
}

/// Score of candidate rows against the given: for each given row the best
/// candidate row and its worst coefficient deviation in units.
/// Score of candidate rows against the given: (objective, the construction
/// row each given row matches, its deviation in units with rows more than
/// [`NEAR_RELATIVE`] off raised past [`NEAR_UNITS`], the plain deviation).
type Scored = (f64, Vec<usize>, Vec<f64>, Vec<f64>);

fn score(given: &Given, cand: &[Vec<f64>], labels: &[(usize, bool)]) -> Scored {
    let mut rows = Vec::new();
    let mut scores = Vec::new();
    let mut plain = Vec::new();
    let deviation = |g: &[f64], c: &[f64], u: &[f64]| {
        g.iter().zip(c).zip(u).map(|((a, b), u)| (a - b).abs() / u).fold(0.0, f64::max)
    };
    for (i, (g, u)) in given.values.iter().zip(&given.units).enumerate() {
        // The row in its own place (as applied, or unscaled as a last row)
        // when it matches there; else the best anywhere.
        let own = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.0 == i + 1)
            .map(|(j, _)| (j, deviation(g, &cand[j], u)))
            .find(|(_, s)| *s <= MATCH_UNITS);
        let (best, s) = match own {
            Some(found) => found,
            None => cand
                .iter()
                .enumerate()
                .map(|(j, c)| (j, deviation(g, c, u)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, f64::INFINITY)),
        };
        let rel = g.iter().zip(&cand[best]).map(|(a, b)| (a - b).abs() / b.abs().max(1e-300)).fold(0.0, f64::max);
        rows.push(best + 1);
        // Near needs both: within NEAR_UNITS and within NEAR_RELATIVE.
        scores.push(if rel > NEAR_RELATIVE { s.max(NEAR_UNITS * 2.0) } else { s });
        plain.push(s);
    }
    // The objective: the digits of agreement, Σ −log10(relative deviation)
    // (at most 16 per row), negated: a row matched to 1e-13 is strong
    // evidence, a rounded row matched within 1% is weak, a row from
    // elsewhere adds nothing. Two matched rows on one construction row are
    // no match.
    let agreement: f64 = given
        .values
        .iter()
        .zip(&rows)
        .map(|(g, &j)| {
            let rel = g.iter().zip(&cand[j - 1]).map(|(a, b)| (a - b).abs() / b.abs().max(1e-300)).fold(0.0, f64::max);
            (-rel.max(1e-16).log10()).clamp(0.0, 16.0)
        })
        .sum();
    let mut matched: Vec<usize> =
        rows.iter().zip(&scores).filter(|(_, s)| **s <= NEAR_UNITS).map(|(r, _)| *r).collect();
    let before = matched.len();
    matched.sort_unstable();
    matched.dedup();
    let penalty = (before - matched.len()) as f64 * 16.0;
    (penalty - agreement, rows, scores, plain)
}

/// One-digit values m·10^k (m = 1…9) from 1e-6 to 0.5, to try as ℓ: the
/// values published tables were made with.
fn round_values() -> Vec<String> {
    (-6..=-1)
        .flat_map(|e| (1..=9).map(move |m| format!("{m}e{e}")))
        .filter(|t| t != "6e-1" && t.parse::<f64>().is_ok_and(|v| v <= 0.5))
        .collect()
}

/// Audits `table`.
///
/// # Errors
///
/// [`AuditError`] for unusable rows, rows of different lengths, or rows of
/// one coefficient (nothing to identify).
pub fn audit(table: &CoefficientRows, options: &AuditOptions) -> Result<AuditReport, AuditError> {
    table.validate()?;
    let terms = table.rows[0].len();
    if table.rows.iter().any(|r| r.len() != terms) || terms < 2 {
        return Err(AuditError::Shape(
            "audit needs rows of one length, at least 2 coefficients (a, b, ...): the constructions searched have one degree".into(),
        ));
    }
    let degree = (2 * terms - 1) as u32;
    let decimals: Vec<Vec<Option<u32>>> =
        table.rows.iter().map(|r| r.iter().map(|c| printed_decimals(c)).collect()).collect();
    let values = table.rows_f64()?;
    let units =
        values.iter().zip(&decimals).map(|(r, d)| r.iter().zip(d).map(|(v, d)| unit(*d, *v)).collect()).collect();
    let given = Given { values, units };
    let steps = table.rows.len() + EXTRA_ROWS;
    let mut points = Vec::new();
    for cushion in CUSHIONS {
        for recentre in [Recentre::Image, Recentre::Endpoints] {
            points.push(Point { cushion, safety: "1", mode: SafetyMode::After, recentre });
            for safety in SAFETIES {
                for mode in [SafetyMode::After, SafetyMode::Inside] {
                    points.push(Point { cushion, safety, mode, recentre });
                }
            }
        }
    }
    let eval = |point: &Point, lower: &str| -> f64 {
        construction(degree, steps, point, lower).map_or(f64::INFINITY, |(c, _, l)| score(&given, &c, &l).0)
    };
    // Per parameter point: the best of the grid, then the one-digit values
    // around it; the best few points are refined by golden section when no
    // one-digit value matches.
    let grid: Vec<f64> = (0..options.grid)
        .map(|i| (1e-6f64.ln() + (0.5f64.ln() - 1e-6f64.ln()) * i as f64 / (options.grid - 1).max(1) as f64).exp())
        .collect();
    let step = if grid.len() > 1 { (grid[1] / grid[0]).ln() } else { 1.0 };
    let mut per_point: Vec<(f64, usize, String)> = Vec::new();
    for (p, point) in points.iter().enumerate() {
        let Some((s, l)) = grid
            .iter()
            .map(|&l| (eval(point, &format!("{l:e}")), l))
            .filter(|(s, _)| s.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0))
        else {
            continue;
        };
        let mut found = (s, format!("{l:e}"));
        for text in round_values() {
            let s = eval(point, &text);
            if s < found.0 {
                found = (s, text);
            }
        }
        per_point.push((found.0, p, found.1));
    }
    per_point.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, usize, String)> = per_point.first().cloned();
    // Refine when the best one-digit ℓ leaves rows off their printed digits.
    let all_match = best.as_ref().is_some_and(|(_, p, l)| {
        construction(degree, steps, &points[*p], l)
            .is_some_and(|(c, _, lab)| score(&given, &c, &lab).2.iter().all(|s| *s <= MATCH_UNITS))
    });
    if !all_match {
        for (_, p, l) in per_point.iter().take(4).cloned().collect::<Vec<_>>() {
            let l: f64 = l.parse().unwrap_or(1e-3);
            let f = |x: f64| eval(&points[p], &format!("{:e}", x.exp()));
            let (mut a, mut b) = (l.ln() - step, (l.ln() + step).min(0.5f64.ln()));
            let g = (5f64.sqrt() - 1.0) / 2.0;
            let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
            let (mut fc, mut fd) = (f(c), f(d));
            for _ in 0..options.refine {
                if fc < fd {
                    b = d;
                    d = c;
                    fd = fc;
                    c = b - g * (b - a);
                    fc = f(c);
                } else {
                    a = c;
                    c = d;
                    fc = fd;
                    d = a + g * (b - a);
                    fd = f(d);
                }
            }
            let x = if fc < fd { c } else { d };
            let s = f(x);
            // A refined ℓ replaces a one-digit one only when it puts more
            // rows on their printed digits.
            let matched = |p: usize, l: &str| {
                construction(degree, steps, &points[p], l)
                    .map_or(0, |(c, _, lab)| score(&given, &c, &lab).2.iter().filter(|s| **s <= MATCH_UNITS).count())
            };
            let text = format!("{:e}", x.exp());
            let better = match &best {
                None => true,
                Some((bs, bp, bl)) => {
                    let (m_new, m_old) = (matched(p, &text), matched(*bp, bl));
                    m_new > m_old || (m_new == m_old && s < *bs && !bl.contains('e'))
                }
            };
            if better {
                best = Some((s, p, text));
            }
        }
    }
    let mut findings = Vec::new();
    let built = best.as_ref().and_then(|(_, p, lower)| {
        let (cand, text, labels) = construction(degree, steps, &points[*p], lower)?;
        let (total, rows, row_scores, plain) = score(&given, &cand, &labels);
        Some((total, rows, row_scores, plain, text, labels))
    });
    let near = |scores: &[f64]| scores.iter().filter(|s| **s <= NEAR_UNITS).count() >= scores.len().min(NEAR_ROWS);

    let (nearest_score, best) = match (best, built) {
        (Some((_, p, lower)), Some((score_all, rows, row_scores, plain, text, labels))) if near(&row_scores) => {
            let point = &points[p];
            // Candidate indices → the construction's own rows (unscaled forms
            // named as such).
            let unscaled: Vec<usize> =
                rows.iter().enumerate().filter(|(_, j)| labels[**j - 1].1).map(|(i, _)| i + 1).collect();
            let rows: Vec<usize> = rows.iter().map(|j| labels[j - 1].0).collect();
            let text: Vec<Vec<String>> = text.into_iter().take(steps).collect();
            describe(&mut findings, point, &lower, &rows, &row_scores, &plain, &decimals);
            if unscaled.iter().any(|&i| i != rows.len()) {
                findings.push(format!(
                    "given rows {unscaled:?} are the construction's rows without the safety factor, which only a table's last row has"
                ));
            }
            let c = Construction {
                lower: lower.clone(),
                cushion: point.cushion.into(),
                safety: point.safety.into(),
                safety_mode: point.mode,
                recentre: point.recentre,
                steps,
                score: score_all,
                rows,
                row_scores: plain,
                construction_rows: text,
            };
            (c.row_scores.iter().copied().fold(0.0, f64::max), Some(c))
        }
        (_, built) => {
            let s = built.map_or(f64::INFINITY, |b| b.2.iter().copied().fold(f64::INFINITY, f64::min));
            findings.push(format!(
                "no known construction: fewer than {NEAR_ROWS} rows are within {NEAR_UNITS} units of the last printed digit of any schedule searched (the nearest row is {s:.3e} units away); not a greedy minimax schedule of degree {degree} with the cushions, safety factors and recentrings searched"
            ));
            (s, None)
        }
    };
    Ok(AuditReport {
        table: table.name.clone(),
        rows: table.rows.clone(),
        printed_decimals: decimals,
        best,
        nearest_score,
        findings,
    })
}

/// The findings of a match, in words.
fn describe(
    out: &mut Vec<String>,
    point: &Point,
    lower: &str,
    rows: &[usize],
    scores: &[f64],
    plain: &[f64],
    decimals: &[Vec<Option<u32>>],
) {
    let rounded = decimals.iter().flatten().filter_map(|d| *d).max();
    let full = decimals.iter().flatten().any(Option::is_none);
    let digits = match (rounded, full) {
        (Some(d), false) => format!("rounded to {d} decimals"),
        (Some(_), true) => "to full precision (some values are short, exact decimals)".into(),
        (None, _) => "to full precision".into(),
    };
    let safety = if point.safety == "1" {
        "no safety factor".to_string()
    } else {
        format!("safety {} {}", point.safety, point.mode.as_str())
    };
    out.push(format!(
        "greedy minimax, lower = {lower}, cushion {}, {safety}, recentre {}, {digits}",
        point.cushion,
        point.recentre.as_str()
    ));
    let bad: Vec<String> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > MATCH_UNITS)
        .map(|(i, s)| {
            let units = plain[i];
            if *s > NEAR_UNITS {
                format!("row {} (matches no row: {units:.3e} units, or more than 1% off)", i + 1)
            } else {
                format!("row {} ({units:.3} units)", i + 1)
            }
        })
        .collect();
    if !bad.is_empty() {
        out.push(format!(
            "off by more than half a unit of the last printed digit: {} (a typo, a different rounding, or rows from elsewhere)",
            bad.join(", ")
        ));
    }
    // Order among the rows that come from the construction.
    let placed: Vec<(usize, usize)> = rows
        .iter()
        .zip(scores)
        .enumerate()
        .filter(|(_, (_, s))| **s <= NEAR_UNITS)
        .map(|(i, (r, _))| (i + 1, *r))
        .collect();
    if placed.iter().any(|(i, r)| i != r) {
        let rows: Vec<usize> = placed.iter().map(|(_, r)| *r).collect();
        let contiguous = rows.windows(2).all(|w| w[1] == w[0] + 1);
        if contiguous {
            out.push(format!(
                "the rows are rows {}-{} of the construction, not its first {}: a window from the wrong end or a later start",
                rows[0],
                rows[rows.len() - 1],
                rows.len()
            ));
        } else {
            out.push(format!(
                "the rows are out of order: given rows {:?} are the construction's rows {rows:?}",
                placed.iter().map(|(i, _)| *i).collect::<Vec<_>>()
            ));
        }
    }
}

/// The report for people: the findings, then each given row beside the
/// construction's row it matches and the deviation in units.
pub fn to_text(report: &AuditReport) -> String {
    use std::fmt::Write;
    let mut out = format!("audit of {} ({} rows)\n", report.table, report.rows.len());
    for f in &report.findings {
        let _ = writeln!(out, "- {f}");
    }
    if let Some(c) = &report.best {
        let _ = writeln!(out, "\nrow  given -> construction row (worst deviation, units of the last printed digit)");
        for (i, row) in report.rows.iter().enumerate() {
            let theirs = c.construction_rows.get(c.rows[i] - 1).map(|r| r.join(", ")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{:>3}  ({}) -> row {} ({}) ({:.3})",
                i + 1,
                row.join(", "),
                c.rows[i],
                theirs,
                c.row_scores[i]
            );
        }
    }
    out
}
