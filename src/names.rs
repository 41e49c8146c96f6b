//! Names of enum values as users write them: each enum derives its names once
//! (strum, the same spelling as serde's), and this lists them in messages.
//!
//! ```
//! use polar_coeffs::names::{list, parse};
//! use polar_coeffs::rows::Beyond;
//!
//! assert_eq!(list::<Beyond>(), "repeat_last, cycle");
//! assert_eq!(parse::<Beyond>("cycle"), Some(Beyond::Cycle));
//! assert_eq!(parse::<Beyond>("Cycle"), None);
//! ```

use std::str::FromStr;

/// The names of every value, comma-separated, in declaration order.
pub fn list<T: strum::VariantNames>() -> String {
    T::VARIANTS.join(", ")
}

/// The value named `text` (exact spelling).
pub fn parse<T: FromStr>(text: &str) -> Option<T> {
    text.parse().ok()
}
