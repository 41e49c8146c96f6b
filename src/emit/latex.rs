//! LaTeX: a `tabular` of the coefficients (f64, shortest round-trip) with
//! the step and composed errors, provenance in comments.

use std::fmt::Write;

use super::{EmitError, Emitter, commented, literal_rows};
use crate::table::{TableDoc, summary};

/// Significant digits of the errors in the table.
const ERROR_DIGITS: usize = 4;

/// The LaTeX emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct LatexEmitter;

/// `6.9598e-29` as `$6.9598 \times 10^{-29}$`; positional values as `$0.5459$`.
fn math_number(text: &str) -> String {
    match text.split_once('e') {
        Some((m, e)) => format!("${m} \\times 10^{{{e}}}$"),
        None => format!("${text}$"),
    }
}

impl Emitter for LatexEmitter {
    fn extension(&self) -> &'static str {
        "tex"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let rows = literal_rows(doc, doc.config.emit.element_type)?;
        let width = rows.iter().map(Vec::len).max().unwrap_or(1);
        let mut out = commented(doc, "%");
        let _ = writeln!(out, "\\begin{{tabular}}{{rr{}rr}}", "r".repeat(width));
        out.push_str("\\hline\n$t$ & $d$");
        for k in 0..width {
            let _ = write!(out, " & $x^{{{}}}$", 1 + doc.root() as usize * k);
        }
        out.push_str(" & step error & composed error \\\\\n\\hline\n");
        for (s, row) in doc.steps.iter().zip(&rows) {
            let _ = write!(out, "{} & {}", s.step, s.degree);
            for k in 0..width {
                match row.get(k) {
                    Some(v) => {
                        let _ = write!(out, " & {}", math_number(v));
                    }
                    None => out.push_str(" & "),
                }
            }
            let _ = writeln!(
                out,
                " & {} & {} \\\\",
                math_number(&summary(&s.step_error, ERROR_DIGITS)),
                math_number(&summary(&s.composed_error, ERROR_DIGITS))
            );
        }
        out.push_str("\\hline\n\\end{tabular}\n");
        Ok(out)
    }
}
