//! CSV: one line per step, full-precision decimals (RFC 4180, no quoting
//! needed: every field is a number or a plain name).

use std::fmt::Write;

use super::{EmitError, Emitter};
use crate::table::TableDoc;

/// The CSV emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvEmitter;

impl Emitter for CsvEmitter {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let width = doc.steps.iter().map(|s| s.coefficients.len()).max().unwrap_or(1);
        let mut out = String::from("step,degree,interval_lower,interval_upper,step_error,composed_error");
        for k in 0..width {
            let _ = write!(out, ",c{}", 1 + doc.root() as usize * k);
        }
        out.push('\n');
        for s in &doc.steps {
            let _ = write!(
                out,
                "{},{},{},{},{},{}",
                s.step, s.degree, s.interval[0], s.interval[1], s.step_error, s.composed_error
            );
            for k in 0..width {
                out.push(',');
                if let Some(c) = s.coefficients.get(k) {
                    out.push_str(c);
                }
            }
            out.push('\n');
        }
        Ok(out)
    }
}
