//! Odd polynomials `p(x) = c₀x + c₁x³ + … + c_q x^(2q+1)` in arbitrary precision.
//!
//! ```
//! use polar_coeffs::poly::OddPoly;
//! use rug::Float;
//!
//! // The quintic Newton–Schulz polynomial (15x − 10x³ + 3x⁵)/8 fixes 1.
//! let p = OddPoly::from_decimals(&["1.875", "-1.25", "0.375"], 128).unwrap();
//! assert_eq!(p.degree(), 5);
//! assert_eq!(p.eval(&Float::with_val(128, 1)), 1);
//! ```
//!
//! A step of a schedule is one such polynomial; applied to a matrix it maps
//! every singular value σ to p(σ). This module knows how to evaluate, scale
//! and take the image of an interval; it does no fitting.

use rug::Float;

use crate::precision::{DecimalError, parse_decimal};

/// An odd polynomial in the monomial basis of x, x³, x⁵, ….
#[derive(Debug, Clone, PartialEq)]
pub struct OddPoly {
    /// `coeffs[k]` multiplies `x^(2k+1)`.
    coeffs: Vec<Float>,
}

impl OddPoly {
    /// Wraps monomial coefficients (of x, x³, x⁵, …). Panics when empty.
    pub fn new(coeffs: Vec<Float>) -> Self {
        assert!(!coeffs.is_empty(), "an odd polynomial has at least the x term");
        Self { coeffs }
    }

    /// Parses decimal coefficients at `prec` bits.
    ///
    /// # Errors
    ///
    /// Returns the first [`DecimalError`] met.
    pub fn from_decimals(texts: &[&str], prec: u32) -> Result<Self, DecimalError> {
        let coeffs = texts.iter().map(|t| parse_decimal(t, prec)).collect::<Result<_, _>>()?;
        Ok(Self::new(coeffs))
    }

    /// The coefficients of x, x³, x⁵, … in that order.
    pub fn coeffs(&self) -> &[Float] {
        &self.coeffs
    }

    /// The degree 2q+1.
    pub fn degree(&self) -> u32 {
        2 * self.coeffs.len() as u32 - 1
    }

    /// The largest precision among the coefficients.
    pub fn prec(&self) -> u32 {
        self.coeffs.iter().map(Float::prec).max().unwrap_or(64)
    }

    /// p(x), computed by Horner's rule in t = x² at the larger of the
    /// coefficients' and x's precision.
    pub fn eval(&self, x: &Float) -> Float {
        let prec = self.prec().max(x.prec());
        let t = Float::with_val(prec, x.square_ref());
        let mut acc = Float::with_val(prec, self.coeffs.last().expect("non-empty"));
        for c in self.coeffs.iter().rev().skip(1) {
            acc *= &t;
            acc += c;
        }
        acc * x
    }

    /// p′(x) = Σ (2k+1) c_k x^(2k).
    pub fn eval_derivative(&self, x: &Float) -> Float {
        let prec = self.prec().max(x.prec());
        let t = Float::with_val(prec, x.square_ref());
        let q = self.coeffs.len() - 1;
        let mut acc = Float::with_val(prec, &self.coeffs[q] * (2 * q as u32 + 1));
        for k in (0..q).rev() {
            acc *= &t;
            acc += Float::with_val(prec, &self.coeffs[k] * (2 * k as u32 + 1));
        }
        acc
    }

    /// γ·p.
    pub fn scaled(&self, gamma: &Float) -> Self {
        Self::new(self.coeffs.iter().map(|c| Float::with_val(c.prec().max(gamma.prec()), c * gamma)).collect())
    }

    /// x ↦ p(x/s): coefficient c_k becomes c_k / s^(2k+1) (the safety factor).
    pub fn with_argument_scaled(&self, s: &Float) -> Self {
        let prec = self.prec().max(s.prec());
        let s2 = Float::with_val(prec, s.square_ref());
        let mut power = Float::with_val(prec, s);
        let mut out = Vec::with_capacity(self.coeffs.len());
        for c in &self.coeffs {
            out.push(Float::with_val(prec, c / &power));
            power *= &s2;
        }
        Self::new(out)
    }

    /// The image `[min p, max p]` of `[a, b]` (0 < a ≤ b), given every
    /// positive critical point of p (roots of p′ in (0, ∞)); those outside
    /// (a, b) are ignored. Exact up to the evaluation precision: no sampling.
    pub fn image(&self, a: &Float, b: &Float, critical_points: &[Float]) -> (Float, Float) {
        let pa = self.eval(a);
        let pb = self.eval(b);
        let (mut lo, mut hi) = if pa <= pb { (pa, pb) } else { (pb, pa) };
        for c in critical_points.iter().filter(|c| *c > a && *c < b) {
            let pc = self.eval(c);
            if pc < lo {
                lo = pc;
            } else if pc > hi {
                hi = pc;
            }
        }
        (lo, hi)
    }
}

/// Distance from 1 of the interval `[lo, hi]`: max(|1 − lo|, |1 − hi|).
pub fn distance_from_one(lo: &Float, hi: &Float) -> Float {
    let prec = lo.prec().max(hi.prec());
    let a = Float::with_val(prec, 1 - lo).abs();
    let b = Float::with_val(prec, hi - 1u32).abs();
    if a >= b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Float {
        parse_decimal(s, 128).unwrap()
    }

    #[test]
    fn evaluates_and_differentiates() {
        let p = OddPoly::from_decimals(&["1.5", "-0.5"], 128).unwrap();
        assert_eq!(p.eval(&f("0.5")), f("0.6875"));
        assert_eq!(p.eval_derivative(&f("0.5")), f("1.125"));
        assert_eq!(p.degree(), 3);
    }

    #[test]
    fn argument_scaling_divides_by_odd_powers() {
        let p = OddPoly::from_decimals(&["1", "1", "1"], 128).unwrap();
        let q = p.with_argument_scaled(&f("2"));
        assert_eq!(q.coeffs(), &[f("0.5"), f("0.125"), f("0.03125")]);
        // p(x/s) at x = s equals p(1).
        assert_eq!(q.eval(&f("2")), p.eval(&f("1")));
    }

    #[test]
    fn image_uses_interior_critical_points() {
        // Cubic NS (3x − x³)/2 has its maximum 1 at x = 1.
        let p = OddPoly::from_decimals(&["1.5", "-0.5"], 128).unwrap();
        let (lo, hi) = p.image(&f("0.5"), &f("1.5"), &[f("1")]);
        assert_eq!(hi, 1);
        assert_eq!(lo, f("0.5625"));
        assert_eq!(distance_from_one(&lo, &hi), f("0.4375"));
    }
}
