//! Markdown: the provenance, then per step the coefficients (as f64), the
//! step error and the composed error.

use std::fmt::Write;

use super::{EmitError, Emitter, literal_rows, provenance};
use crate::table::{TableDoc, summary};

/// Significant digits of the errors in the Markdown table.
const ERROR_DIGITS: usize = 6;

/// The Markdown emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownEmitter;

impl Emitter for MarkdownEmitter {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let rows = literal_rows(doc, doc.config.emit.element_type)?;
        let lines = provenance(doc);
        let mut out = format!("# `{}`\n\n", doc.name);
        // Provenance without its per-step error list (the table has it).
        for line in lines.iter().skip(2).take_while(|l| !l.starts_with("Composed error")) {
            out.push_str(line);
            out.push('\n');
        }
        let powers = if doc.root() == crate::poly::MSIGN_ROOT {
            "x, x³, x⁵".to_string()
        } else {
            (0..3).map(|k| format!("x^{}", 1 + k * doc.root())).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            out,
            "| step | degree | coefficients of {powers}, … ({}) | step error | composed error |",
            doc.config.emit.element_type.as_str()
        );
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for (s, row) in doc.steps.iter().zip(&rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                s.step,
                s.degree,
                row.join(", "),
                summary(&s.step_error, ERROR_DIGITS),
                summary(&s.composed_error, ERROR_DIGITS)
            );
        }
        out.push('\n');
        for line in lines.iter().skip_while(|l| !l.starts_with("Normalisation")) {
            out.push_str(line);
            out.push('\n');
        }
        Ok(out)
    }
}
