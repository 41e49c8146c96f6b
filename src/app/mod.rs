//! The application: the pipelines behind each command (run configs, verify,
//! compare, plot, re-emit), with table sources resolved in one place. Each
//! returns data and prints nothing; the command line prints.
//!
//! ```
//! use polar_coeffs::app::run::{RunOptions, run};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = dir.path().join("t.yaml");
//! std::fs::write(&config, "name: t\ndegree: 3\nsteps: 2\nlower: 0.1\n").unwrap();
//! let out = dir.path().join("out");
//! let options = RunOptions { out: out.clone(), plots_out: None };
//! let outcome = run(&[config], &options, std::rc::Rc::new(polar_coeffs::progress::Silent), &mut |_| {}).unwrap();
//! assert!(outcome.failures.is_empty());
//! assert!(out.join("t.json").is_file() && out.join("t.rs").is_file());
//! ```

pub mod compare;
pub mod emit;
pub mod operator;
#[cfg(feature = "plots")]
pub mod plot;
pub mod run;
pub mod source;
pub mod verify;

/// Why a command could not do its work: a message naming the file, key or
/// value at fault (the application layer's errors are for people).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AppError(pub String);

impl AppError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Creates `dir` (and its parents), naming it and `what` on failure.
pub(crate) fn create_dir(dir: &std::path::Path, what: &str) -> Result<(), AppError> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::new(format!("{}: cannot create the {what}: {e}", dir.display())))
}

/// Refuses a set of outputs that names one file twice (before anything is
/// written); `why` says what the two sources were.
pub(crate) fn refuse_duplicates<C>(files: &[(std::path::PathBuf, C)], why: &str) -> Result<(), AppError> {
    let mut seen = std::collections::BTreeSet::new();
    match files.iter().find(|(p, _)| !seen.insert(p)) {
        Some((dup, _)) => Err(AppError::new(format!("{} would be written twice: {why}", dup.display()))),
        None => Ok(()),
    }
}
