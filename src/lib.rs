//! polar-coeffs: optimal coefficient tables for Newton–Schulz / Polar Express
//! iterations, derived in arbitrary precision.
//!
//! ```
//! use polar_coeffs::{Config, Emitter, RustEmitter, solve};
//!
//! let yaml = "name: greedy_d5\ndegree: 5\nsteps: 8\nlower: 1e-3\n";
//! let config = Config::from_yaml_str(yaml, "greedy_d5.yaml").unwrap();
//! let table = solve(&config).unwrap();
//! println!("final error {}", table.final_error);
//! assert!(table.final_error.starts_with("6.959756447331088394"));
//! println!("{}", RustEmitter.render(&table).unwrap());
//! ```
//!
//! The numerics alone, without a config:
//!
//! ```
//! use polar_coeffs::{ScheduleSpec, greedy};
//!
//! let schedule = greedy(&ScheduleSpec::new(vec![5; 8], "1e-3")).unwrap();
//! assert!(schedule.all_converged());
//! assert!(schedule.final_error().to_f64() < 1e-28);
//! ```
//!
//! # Layers
//!
//! Each module imports only from the layers below it (ARCHITECTURE.md states
//! the rule; a test enforces it):
//!
//! - base: [`precision`] (decimal ↔ MPFR), [`poly`] (odd polynomials),
//!   [`presets`] (published tables), [`rows`] (coefficient rows as pasted),
//!   [`ident`] (names in generated code), [`names`], [`normalise`], [`io`] (atomic writes), [`progress`];
//! - engines: [`remez`] (one minimax step), [`schedule`] (the greedy chain),
//!   [`adam`] (Adam on the composed function), [`verify`](mod@verify) (tables on
//!   matrices), [`compare`](mod@compare) (tables side by side), [`certify`]
//!   (certified errors of rounded tables), [`curves`], [`plot`];
//! - documents: [`table`] (the result as JSON, and its output vocabulary);
//! - inputs: [`config`] (YAML or flags → a validated [`Config`]);
//! - use cases: [`solve`](mod@solve), [`emit`] (output formats), `figures`
//!   (with the `plots` feature), [`summary`] (terminal tables);
//! - app: [`app`] (the run, verify, compare and plot pipelines);
//! - face: `cli` (with the `cli` feature).
//!
//! # Features
//!
//! `cli` (clap, indicatif, anyhow) and `plots` (plotters, png) are on by
//! default; `default-features = false` keeps the numerics, configs,
//! documents, emitters and verification.

#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod adam;
pub mod app;
pub mod audit;
pub mod certify;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod compare;
pub mod config;
pub mod curves;
pub mod emit;
#[cfg(feature = "plots")]
pub mod figures;
pub mod ident;
pub mod io;
// The one module with `unsafe` code (a global allocator); everywhere else it is denied.
#[allow(unsafe_code)]
pub mod memory;
pub mod names;
pub mod normalise;
pub mod operators;
pub mod plot;
pub mod poly;
pub mod precision;
pub mod presets;
pub mod progress;
pub mod remez;
pub mod rounding;
pub mod rows;
pub mod schedule;
pub mod solve;
pub mod summary;
pub mod table;
pub mod verify;

/// The tool's version, written into every output.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub use compare::{CompareOptions, CompareReport, compare};
pub use config::{Config, ConfigError};
pub use emit::{Emitter, JsonEmitter, RustEmitter};
pub use remez::{Minimax, RemezOptions, RemezStatus, minimax};
pub use rows::CoefficientRows;
pub use schedule::{Schedule, ScheduleSpec, greedy};
pub use solve::{SolveError, solve};
pub use table::TableDoc;
pub use verify::{Measure, VerifyOptions, VerifyReport, verify};
