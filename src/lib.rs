//! polar-coeffs: optimal coefficient tables for Newton–Schulz / Polar Express
//! iterations, derived in arbitrary precision.

pub mod poly;
pub mod precision;
pub mod remez;
pub mod schedule;
