//! The JSON document (the core format; see the README for its fields).

use super::{EmitError, Emitter};
use crate::table::TableDoc;

/// Pretty-printed JSON of the [`TableDoc`], newline-terminated.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEmitter;

impl Emitter for JsonEmitter {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let mut text = serde_json::to_string_pretty(doc).expect("a table document is plain data");
        text.push('\n');
        Ok(text)
    }
}
