//! Emitters: one file per output format behind the [`Emitter`] trait.
//!
//! ```
//! use polar_coeffs::config::Config;
//! use polar_coeffs::emit::{Emitter, RustEmitter};
//! use polar_coeffs::table::TableDoc;
//!
//! let config = Config::from_yaml_str("name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\n", "t.yaml").unwrap();
//! let doc = TableDoc::solve(&config).unwrap();
//! let rust = RustEmitter.render(&doc).unwrap();
//! assert!(rust.contains("pub const T: [[f64; 3]; 2] = ["));
//! ```
//!
//! Rendering is apart from writing: an emitter turns a [`TableDoc`] into text
//! and does no maths (every number it prints is already in the document,
//! correctly rounded); [`write_atomically`] puts text on disk.

mod json;
mod rust;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use json::JsonEmitter;
pub use rust::RustEmitter;

use crate::table::TableDoc;

/// Why a document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A value cannot be written in the target type.
    #[error("step {step}, coefficient {index}: {value} does not fit in {target}")]
    NotRepresentable {
        /// 1-based step.
        step: usize,
        /// 0-based coefficient index (x, x³, …).
        index: usize,
        /// The decimal value.
        value: String,
        /// The target type.
        target: &'static str,
    },
}

/// One output format.
pub trait Emitter {
    /// File extension (without the dot) of this format.
    fn extension(&self) -> &'static str;

    /// Renders the document.
    ///
    /// # Errors
    ///
    /// [`EmitError`] when a value cannot be written in the format.
    fn render(&self, doc: &TableDoc) -> Result<String, EmitError>;
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and a rename, so that a failed or interrupted write leaves no partial file.
///
/// # Errors
///
/// The I/O error, with the temporary file removed.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Splits `text` into lines of at most `width` characters at spaces.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
