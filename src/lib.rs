//! polar-coeffs: optimal coefficient tables for Newton–Schulz / Polar Express
//! iterations, derived in arbitrary precision.
//!
//! ```
//! use polar_coeffs::config::Config;
//! use polar_coeffs::emit::{Emitter, RustEmitter};
//! use polar_coeffs::table::TableDoc;
//!
//! let yaml = "name: greedy_d5\ndegree: 5\nsteps: 8\nlower: 1e-3\n";
//! let config = Config::from_yaml_str(yaml, "greedy_d5.yaml").unwrap();
//! let table = TableDoc::solve(&config).unwrap();
//! assert!(table.final_error.starts_with("6.959756447331088394"));
//! println!("{}", RustEmitter.render(&table).unwrap());
//! ```
//!
//! Modules, one job each (see ARCHITECTURE.md):
//! [`precision`] (decimal ↔ MPFR, rounding to f64/f32), [`poly`] (odd
//! polynomials), [`remez`] (one minimax step), [`schedule`] (greedy
//! composition), [`adam`] (gradient descent on the composed function),
//! [`config`] (YAML → validated config), [`table`] (the result document),
//! [`emit`] (output formats), [`presets`] (published tables), [`verify`]
//! (tables on matrices in f64/f32/bf16), [`compare`] (tables side by side),
//! [`curves`] and [`figures`] (plot data), [`plot`] (drawing), [`cli`] (the
//! command line).

pub mod adam;
pub mod cli;
pub mod compare;
pub mod config;
pub mod curves;
pub mod emit;
pub mod figures;
pub mod plot;
pub mod poly;
pub mod precision;
pub mod presets;
pub mod remez;
pub mod schedule;
pub mod table;
pub mod verify;
