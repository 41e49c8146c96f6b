//! A C/C++ header: `static const double` (or `float`) arrays with their sizes.

use std::fmt::Write;

use super::{EmitError, Emitter, commented, literal_rows};
use crate::table::ElementType;
use crate::table::TableDoc;

/// The C header emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CEmitter;

impl Emitter for CEmitter {
    fn extension(&self) -> &'static str {
        "h"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let c = &doc.config;
        let rows = literal_rows(doc, c.emit.element_type)?;
        let (ty, suffix) = match c.emit.element_type {
            ElementType::F64 => ("double", ""),
            ElementType::F32 => ("float", "f"),
        };
        let name = &c.emit.const_name;
        let guard = format!("{}_H", name.to_ascii_uppercase());
        let width = rows.iter().map(Vec::len).max().unwrap_or(1);
        let mut out = String::from("/*\n");
        out.push_str(&commented(doc, " *"));
        out.push_str(" */\n");
        let _ = writeln!(out, "#ifndef {guard}\n#define {guard}\n");
        let _ = writeln!(out, "#define {name}_STEPS {}", rows.len());
        let _ = writeln!(out, "#define {name}_TERMS {width}\n");
        if doc.uniform_degree().is_none() {
            out.push_str("/* Rows have different degrees: row t has ");
            let _ = writeln!(out, "{name}_ROW_TERMS[t] coefficients, zero-padded to {name}_TERMS. */");
            let counts: Vec<String> = rows.iter().map(|r| r.len().to_string()).collect();
            let _ = writeln!(out, "static const int {name}_ROW_TERMS[{name}_STEPS] = {{{}}};\n", counts.join(", "));
        }
        let _ = writeln!(out, "static const {ty} {name}[{name}_STEPS][{name}_TERMS] = {{");
        for row in &rows {
            let mut items: Vec<String> = row.iter().map(|v| format!("{v}{suffix}")).collect();
            items.resize(width, format!("0.0{suffix}"));
            let _ = writeln!(out, "    {{{}}},", items.join(", "));
        }
        let _ = writeln!(out, "}};\n\n#endif /* {guard} */");
        Ok(out)
    }
}
