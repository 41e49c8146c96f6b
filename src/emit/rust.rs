//! A Rust constant table to paste into another crate.
//!
//! Uniform degree: `pub const NAME: [[f64; 3]; T] = [...];`. Mixed degrees:
//! `pub const NAME: &[&[f64]] = &[...];`. Each literal is the shortest decimal
//! that parses back to the correctly rounded value held in the document, and
//! the file is rustfmt-clean and compiles with `-D warnings`.

use std::fmt::Write;

use super::{EmitError, Emitter, commented, literal_rows};
use crate::table::TableDoc;

/// The Rust emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustEmitter;

impl Emitter for RustEmitter {
    fn extension(&self) -> &'static str {
        "rs"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let c = &doc.config;
        let ty = c.emit.element_type.as_str();
        let rows = literal_rows(doc, c.emit.element_type)?;
        let mut out = commented(doc, "///");
        let name = &c.emit.const_name;
        match doc.uniform_degree() {
            Some(_) => {
                // Terms per row: (d + 1)/2 for msign, (d − 1)/r + 1 for root r.
                let terms = rows.first().map_or(0, Vec::len);
                let _ = writeln!(out, "pub const {name}: [[{ty}; {terms}]; {}] = [", rows.len());
                for row in &rows {
                    let _ = writeln!(out, "    [{}],", row.join(", "));
                }
            }
            None => {
                let _ = writeln!(out, "pub const {name}: &[&[{ty}]] = &[");
                for row in &rows {
                    let _ = writeln!(out, "    &[{}],", row.join(", "));
                }
            }
        }
        out.push_str("];\n");
        Ok(out)
    }
}
