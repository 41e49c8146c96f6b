//! Precision helpers: exact decimal parsing, decimal printing, and the
//! correctly rounded edge conversions to `f64`/`f32`.
//!
//! ```
//! use polar_coeffs::precision::{parse_decimal, to_decimal, decimal_digits};
//!
//! let x = parse_decimal("1e-3", 256).unwrap();
//! assert_eq!(to_decimal(&x, 5), "0.0010000");
//! assert_eq!(decimal_digits(256), 77);
//! ```
//!
//! Every number a user writes as an interval end, cushion or safety factor is
//! kept as its decimal text and parsed here, by MPFR, at the precision the
//! caller needs: never through `f64`.

use rug::Float;
use rug::float::Round;

/// Smallest working precision, in bits, a config may ask for.
pub const MIN_PRECISION: u32 = 64;
/// Largest working precision, in bits, a config may ask for.
pub const MAX_PRECISION: u32 = 16384;
/// Working precision, in bits, when a config does not say.
pub const DEFAULT_PRECISION: u32 = 256;

/// Why a decimal text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// MPFR could not read the text as a number.
    #[error("`{0}` is not a decimal number (examples: 0.001, 1e-3, \"1.01\")")]
    Unparsable(String),
    /// The text reads as infinity or NaN.
    #[error("`{0}` is not a finite number")]
    NotFinite(String),
}

/// Parses `text` as a decimal number, correctly rounded to `prec` bits.
///
/// # Errors
///
/// Returns [`DecimalError`] when the text is not a finite decimal number.
///
/// # Example
///
/// ```
/// let x = polar_coeffs::precision::parse_decimal("0.02407327424182761", 128).unwrap();
/// assert!(x > 0.024 && x < 0.025);
/// ```
pub fn parse_decimal(text: &str, prec: u32) -> Result<Float, DecimalError> {
    let trimmed = text.trim();
    let parsed = Float::parse(trimmed).map_err(|_| DecimalError::Unparsable(trimmed.to_string()))?;
    let value = Float::with_val(prec, parsed);
    if value.is_finite() { Ok(value) } else { Err(DecimalError::NotFinite(trimmed.to_string())) }
}

/// The number of significant decimal digits that a `prec`-bit number carries
/// (floor of `prec * log10(2)`), the digit count used for every decimal the
/// tool prints at working precision.
pub fn decimal_digits(prec: u32) -> usize {
    // log10(2) = 0.30102999566...; 30103/100000 is below it for prec < 16384·…
    // by far less than one digit, and an integer product keeps this exact.
    (u64::from(prec) * 30_102_999 / 100_000_000) as usize
}

/// Formats `x` with `digits` significant decimal digits, rounded to nearest.
///
/// Magnitudes in [1e-4, 1e21) are written positionally (`0.0010000`,
/// `8.2872`), others in scientific notation (`6.9597e-29`). Zero is `0`.
pub fn to_decimal(x: &Float, digits: usize) -> String {
    to_decimal_round(x, digits, Round::Nearest)
}

/// [`to_decimal`] rounded in the direction given: `Round::Up` prints a
/// decimal that is never below `x` (for upper bounds).
pub fn to_decimal_round(x: &Float, digits: usize, round: Round) -> String {
    let digits = digits.max(1);
    let (negative, mantissa, exp) = x.to_sign_string_exp_round(10, Some(digits), round);
    let Some(exp) = exp else {
        // Zero (the only non-normal finite value).
        return if negative { "-0".into() } else { "0".into() };
    };
    let sign = if negative { "-" } else { "" };
    // Value = 0.mantissa × 10^exp.
    let point = exp; // digits before the decimal point
    if (-3..=21).contains(&point) {
        if point <= 0 {
            let zeros = "0".repeat((-point) as usize);
            format!("{sign}0.{zeros}{mantissa}")
        } else if point as usize >= mantissa.len() {
            let zeros = "0".repeat(point as usize - mantissa.len());
            format!("{sign}{mantissa}{zeros}")
        } else {
            let (int, frac) = mantissa.split_at(point as usize);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = mantissa.split_at(1);
        let e = exp - 1;
        if rest.is_empty() { format!("{sign}{first}e{e}") } else { format!("{sign}{first}.{rest}e{e}") }
    }
}

/// Formats `x` with as many digits as its own precision carries.
pub fn to_decimal_full(x: &Float) -> String {
    to_decimal(x, decimal_digits(x.prec()))
}

/// The correctly rounded (to nearest, ties to even) `f64` value of `x`.
pub fn to_f64(x: &Float) -> f64 {
    x.to_f64_round(Round::Nearest)
}

/// The correctly rounded `f32` value of `x`, rounded once from the
/// arbitrary-precision value (never through `f64`, which could round twice).
pub fn to_f32(x: &Float) -> f32 {
    x.to_f32_round(Round::Nearest)
}

/// A decimal read as f32, correctly rounded once by MPFR (never through f64);
/// `None` for text that is not a finite decimal or overflows f32.
pub fn parse_f32(text: &str) -> Option<f32> {
    let x = parse_decimal(text, 4 * text.len() as u32 + 64).ok()?;
    let v = to_f32(&x);
    v.is_finite().then_some(v)
}

/// An upper bound on `log2(a / b)` for positive `a`, `b`, as a bit count
/// (0 when a ≤ b), from the binary exponents alone (off by at most one bit
/// above the exact `ceil`): cheap at any precision.
///
/// Used to size the extra bits an ill-conditioned computation needs.
pub fn log2_ratio_bits(a: &Float, b: &Float) -> u32 {
    match (a.get_exp(), b.get_exp()) {
        (Some(ea), Some(eb)) if a > b => (i64::from(ea) - i64::from(eb) + 1).clamp(0, i64::from(u32::MAX / 4)) as u32,
        _ => 0,
    }
}

/// `text` (a decimal printed by the tool) shortened to `digits` significant
/// digits for summaries: re-rounded by MPFR, not truncated.
pub fn summary(text: &str, digits: usize) -> String {
    match parse_decimal(text, 4 * text.len() as u32 + 64) {
        Ok(x) => to_decimal(&x, digits),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digit_counts() {
        assert_eq!(decimal_digits(53), 15);
        assert_eq!(decimal_digits(64), 19);
        assert_eq!(decimal_digits(256), 77);
        assert_eq!(decimal_digits(16384), 4932);
    }

    #[test]
    fn formats_positional_and_scientific() {
        let p = 200;
        let f = |s: &str, d| to_decimal(&parse_decimal(s, p).unwrap(), d);
        assert_eq!(f("8.28721201814563", 6), "8.28721");
        assert_eq!(f("-23.5958865", 4), "-23.60");
        assert_eq!(f("1e-3", 3), "0.00100");
        assert_eq!(f("6.9597564473310883949e-29", 5), "6.9598e-29");
        assert_eq!(f("1", 1), "1");
        assert_eq!(f("1.5e30", 2), "1.5e30");
        assert_eq!(f("0", 5), "0");
        assert_eq!(f("120", 2), "120");
    }

    #[test]
    fn rejects_bad_text() {
        assert!(matches!(parse_decimal("abc", 64), Err(DecimalError::Unparsable(_))));
        assert!(matches!(parse_decimal("inf", 64), Err(DecimalError::NotFinite(_))));
        assert!(matches!(parse_decimal("", 64), Err(DecimalError::Unparsable(_))));
    }

    #[test]
    fn f32_rounds_once_from_the_exact_value() {
        // 1 + 2^-24 + 2^-60 lies just above the midpoint between the f32
        // neighbours 1 and 1 + 2^-23. Rounded once it goes up; through f64
        // (which drops the 2^-60) it would tie and go to even, i.e. down to 1.
        let mut x = Float::with_val(128, 1);
        x += Float::with_val(128, Float::i_exp(1, -24));
        x += Float::with_val(128, Float::i_exp(1, -60));
        assert_eq!(to_f32(&x), 1.0 + f32::EPSILON);
        assert_eq!(to_f64(&x) as f32, 1.0);
    }
}
