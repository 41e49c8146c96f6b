//! Rendering an [`OperatorReport`]: JSON, Markdown and the terminal table.
//! Formatting only; the numbers are in the report.
//!
//! Metric names: `error_vs_reference` (msign: ‖X − UVᵀ‖₂; mcsgn:
//! ‖S − S_ref‖₂/‖S_ref‖₂), `relative_frobenius_error`, `orthogonality_error`
//! (‖XXᵀ − I‖₂, short side), `sign_residual` (‖S² − I‖₂), `commutator`
//! (‖SM − MS‖₂/‖M‖₂), `relative_residual` (‖AX + XB − C‖_F/‖C‖_F),
//! `relative_error` (‖X − X_ref‖_F/‖X_ref‖_F), `square_residual`
//! (‖Y² − P‖_F/‖P‖_F), `mean_abs_square_residual` (mean |Y² − P|),
//! `inverse_residual` (‖ZY − I‖_F/√n), `mean_abs_inverse_square_residual`
//! (mean |Z²P − I|), `sqrt_relative_error`, `inv_sqrt_relative_error`,
//! `mean_abs_error` (mean |R − R_ref|), `spectral_norm`,
//! `mean_singular_value_error`, `max_singular_value_error` (against the
//! exact clip of the input's singular values, both sorted),
//! `mean_entry_error` (mean |R − U clip(Σ) Vᵀ|), `relative_error_vs_*`
//! (msign-grad against each reference).

use std::fmt::Write;

use super::OperatorReport;

/// Pretty JSON, newline-terminated.
pub fn to_json(report: &OperatorReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report is plain data");
    s.push('\n');
    s
}

fn header(report: &OperatorReport) -> Vec<String> {
    let mut lines = vec![format!(
        "{} with table {} ({} rows, {} steps per application){}",
        report.operator.as_str(),
        report.table,
        report.rows.len(),
        report.steps,
        if report.epsilon > 0.0 { format!(", epsilon {}", report.epsilon) } else { String::new() }
    )];
    for op in &report.operands {
        lines.push(format!("{}: {}", op.name, op.description));
    }
    lines.push(format!("reference: {}", report.reference));
    lines
}

/// The metric names of a report, in first-seen order.
fn metric_names(report: &OperatorReport) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for run in &report.results {
        for k in run.metrics.keys().chain(run.predicted.keys()) {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

fn label(run: &super::OperatorRun) -> String {
    match run.formula {
        Some(f) => format!("{} {}", f.as_str(), run.dtype.as_str()),
        None => run.dtype.as_str().to_string(),
    }
}

/// Rows of cells: one per run, then one per run's prediction.
fn grid(report: &OperatorReport) -> (Vec<String>, Vec<Vec<String>>) {
    let names = metric_names(report);
    let mut head = vec!["run".to_string()];
    head.extend(names.iter().cloned());
    let mut rows = Vec::new();
    for run in &report.results {
        let mut cells = vec![label(run)];
        match &run.failure {
            Some(why) => cells.push(format!("failed: {why}")),
            None => cells.extend(names.iter().map(|k| run.metrics.get(k).map_or("-".into(), |v| format!("{v:.4e}")))),
        }
        rows.push(cells);
    }
    let mut predicted: Vec<Vec<String>> = Vec::new();
    for run in report.results.iter().filter(|r| !r.predicted.is_empty()) {
        let mut cells =
            vec![format!("{} (scalar model)", run.formula.map_or("prediction".into(), |f| f.as_str().to_string()))];
        cells.extend(names.iter().map(|k| run.predicted.get(k).map_or("-".into(), |v| format!("{v:.4e}"))));
        if !predicted.contains(&cells) {
            predicted.push(cells);
        }
    }
    rows.extend(predicted);
    (head, rows)
}

/// The terminal table.
pub fn to_table(report: &OperatorReport) -> String {
    let mut out = header(report).join("\n");
    out.push('\n');
    let (head, rows) = grid(report);
    let cols = head.len();
    let mut width = vec![0; cols];
    for r in std::iter::once(&head).chain(&rows) {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    for r in std::iter::once(&head).chain(&rows) {
        let line: Vec<String> =
            r.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = width.get(i).copied().unwrap_or(0))).collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|")
}

/// GitHub-flavoured Markdown: the header as a list, then one table.
pub fn to_markdown(report: &OperatorReport) -> String {
    let mut out = String::new();
    for line in header(report) {
        let _ = writeln!(out, "- {}", cell(&line));
    }
    out.push('\n');
    let (head, rows) = grid(report);
    let _ = writeln!(out, "| {} |", head.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(head.len()));
    for r in rows {
        let mut r = r;
        r.resize(head.len(), String::new());
        let _ = writeln!(out, "| {} |", r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
    }
    out
}
