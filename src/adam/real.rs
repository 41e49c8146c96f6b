//! The arithmetic the optimiser runs in: f64 (exploration) or rug::Float at a
//! chosen precision (polish), behind one small trait so that the objective
//! and its exact gradient are written once.

use rug::Float;

/// A real number type for the optimiser.
pub trait Real: Clone + PartialOrd + std::fmt::Debug {
    /// `v` at the precision of `like`.
    fn from_f64(v: f64, like: &Self) -> Self;
    /// A decimal at `prec` bits (f64 ignores `prec`).
    fn from_decimal(s: &str, prec: u32) -> Self;
    /// Rounded to f64.
    fn to_f64(&self) -> f64;
    /// Correctly rounded decimal with `digits` significant digits.
    fn to_decimal(&self, digits: usize) -> String;
    /// self + o.
    fn add(&self, o: &Self) -> Self;
    /// self − o.
    fn sub(&self, o: &Self) -> Self;
    /// self · o.
    fn mul(&self, o: &Self) -> Self;
    /// self / o.
    fn div(&self, o: &Self) -> Self;
    /// √self.
    fn sqrt(&self) -> Self;
    /// |self|.
    fn abs(&self) -> Self;
    /// Whether self < 0.
    fn is_negative(&self) -> bool {
        self.to_f64() < 0.0
    }
    /// The same value rounded to a coarser precision (a no-op for f64).
    fn with_prec(&self, prec: u32) -> Self;
    /// The value as a rug::Float of at least `prec` bits (exact for f64).
    fn to_float(&self, prec: u32) -> Float;
    /// A rug::Float rounded to the precision of `like`.
    fn from_float(f: &Float, like: &Self) -> Self;
}

impl Real for f64 {
    fn from_f64(v: f64, _: &Self) -> Self {
        v
    }
    fn from_decimal(s: &str, _: u32) -> Self {
        // Callers pass rows checked by `rows::is_finite_decimal` (`optimise`
        // refuses others), so the NaN is never produced from valid input.
        s.trim().parse().unwrap_or(f64::NAN)
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn to_decimal(&self, _digits: usize) -> String {
        format!("{self:?}")
    }
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn div(&self, o: &Self) -> Self {
        self / o
    }
    fn sqrt(&self) -> Self {
        f64::sqrt(*self)
    }
    fn abs(&self) -> Self {
        f64::abs(*self)
    }
    fn is_negative(&self) -> bool {
        *self < 0.0
    }
    fn with_prec(&self, _: u32) -> Self {
        *self
    }
    fn to_float(&self, prec: u32) -> Float {
        Float::with_val(prec.max(53), *self)
    }
    fn from_float(f: &Float, _: &Self) -> Self {
        crate::precision::to_f64(f)
    }
}

impl Real for Float {
    fn from_f64(v: f64, like: &Self) -> Self {
        Float::with_val(like.prec(), v)
    }
    fn from_decimal(s: &str, prec: u32) -> Self {
        // As for f64: the text was checked before it reached an objective.
        crate::precision::parse_decimal(s, prec).unwrap_or_else(|_| Float::with_val(prec, rug::float::Special::Nan))
    }
    fn to_f64(&self) -> f64 {
        crate::precision::to_f64(self)
    }
    fn to_decimal(&self, digits: usize) -> String {
        crate::precision::to_decimal(self, digits)
    }
    fn add(&self, o: &Self) -> Self {
        Float::with_val(self.prec(), self + o)
    }
    fn sub(&self, o: &Self) -> Self {
        Float::with_val(self.prec(), self - o)
    }
    fn mul(&self, o: &Self) -> Self {
        Float::with_val(self.prec(), self * o)
    }
    fn div(&self, o: &Self) -> Self {
        Float::with_val(self.prec(), self / o)
    }
    fn sqrt(&self) -> Self {
        Float::with_val(self.prec(), self.sqrt_ref())
    }
    fn abs(&self) -> Self {
        Float::with_val(self.prec(), self.abs_ref())
    }
    fn is_negative(&self) -> bool {
        self.is_sign_negative() && !self.is_zero()
    }
    fn with_prec(&self, prec: u32) -> Self {
        Float::with_val(prec, self)
    }
    fn to_float(&self, prec: u32) -> Float {
        Float::with_val(prec.max(self.prec()), self)
    }
    fn from_float(f: &Float, like: &Self) -> Self {
        Float::with_val(like.prec(), f)
    }
}
