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

/// A polynomial p(x) = x·q(x^r) in the monomial basis of x, x^(1+r),
/// x^(1+2r), …: r = 2 (the default, [`OddPoly::new`]) is the odd polynomial
/// of msign; other r serve the matrix-root iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct OddPoly {
    /// `coeffs[k]` multiplies `x^(1+kr)`.
    coeffs: Vec<Float>,
    /// The exponent step r ≥ 1.
    root: u32,
}

/// The exponent step of msign's odd polynomials.
pub const MSIGN_ROOT: u32 = 2;

/// Largest exponent step r accepted: the published root tables stop at 5,
/// and beyond 16 the terms x, x^(1+r), … leave few degrees under the limit.
pub const MAX_ROOT: u32 = 16;

impl OddPoly {
    /// Wraps monomial coefficients (of x, x³, x⁵, …). Panics when empty.
    pub fn new(coeffs: Vec<Float>) -> Self {
        Self::with_root(coeffs, MSIGN_ROOT)
    }

    /// Wraps coefficients of x, x^(1+r), x^(1+2r), …. Panics when empty or
    /// when r is 0.
    pub fn with_root(coeffs: Vec<Float>, root: u32) -> Self {
        assert!(!coeffs.is_empty(), "a polynomial x·q(x^r) has at least the x term");
        assert!(root >= 1, "the exponent step r is at least 1");
        Self { coeffs, root }
    }

    /// The exponent step r.
    pub fn root(&self) -> u32 {
        self.root
    }

    /// x^r at `prec` bits.
    fn power(&self, x: &Float, prec: u32) -> Float {
        power(x, self.root, prec)
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

    /// The degree 1 + r·q (2q + 1 for msign).
    pub fn degree(&self) -> u32 {
        1 + self.root * (self.coeffs.len() as u32 - 1)
    }

    /// The largest precision among the coefficients.
    pub fn prec(&self) -> u32 {
        self.coeffs.iter().map(Float::prec).max().unwrap_or(64)
    }

    /// p(x), computed by Horner's rule in t = x² at the larger of the
    /// coefficients' and x's precision.
    pub fn eval(&self, x: &Float) -> Float {
        let prec = self.prec().max(x.prec());
        let t = self.power(x, prec);
        let mut acc = Float::with_val(prec, self.coeffs.last().expect("non-empty"));
        for c in self.coeffs.iter().rev().skip(1) {
            acc *= &t;
            acc += c;
        }
        acc * x
    }

    /// p′(x) = Σ (1+kr) c_k x^(kr).
    pub fn eval_derivative(&self, x: &Float) -> Float {
        let prec = self.prec().max(x.prec());
        let t = self.power(x, prec);
        let q = self.coeffs.len() - 1;
        let mut acc = Float::with_val(prec, &self.coeffs[q] * (self.root * q as u32 + 1));
        for k in (0..q).rev() {
            acc *= &t;
            acc += Float::with_val(prec, &self.coeffs[k] * (self.root * k as u32 + 1));
        }
        acc
    }

    /// γ·p.
    pub fn scaled(&self, gamma: &Float) -> Self {
        Self::with_root(
            self.coeffs.iter().map(|c| Float::with_val(c.prec().max(gamma.prec()), c * gamma)).collect(),
            self.root,
        )
    }

    /// x ↦ p(x/s): coefficient c_k becomes c_k / s^(1+kr) (the safety factor).
    pub fn with_argument_scaled(&self, s: &Float) -> Self {
        let prec = self.prec().max(s.prec());
        let s2 = self.power(s, prec);
        let mut power = Float::with_val(prec, s);
        let mut out = Vec::with_capacity(self.coeffs.len());
        for c in &self.coeffs {
            out.push(Float::with_val(prec, c / &power));
            power *= &s2;
        }
        Self::with_root(out, self.root)
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

impl OddPoly {
    /// Every positive x where p′ changes sign (the local extrema of p on
    /// (0, ∞)), ascending, to about the coefficients' precision.
    ///
    /// p′(x) = g(x^r) with g of degree q; its positive roots are isolated with
    /// a Sturm sequence (exact counts, computed with twice the precision) and
    /// refined by bisection. Roots of even multiplicity, where p′ does not
    /// change sign, are not extrema and are left out.
    pub fn positive_critical_points(&self) -> Vec<Float> {
        let prec = 2 * self.prec().max(64);
        // g(t) = Σ (1+kr) c_k t^k, low degree first, trailing zeros dropped.
        let mut g: Vec<Float> = self
            .coeffs
            .iter()
            .enumerate()
            .map(|(k, c)| Float::with_val(prec, c * (self.root * k as u32 + 1)))
            .collect();
        while g.len() > 1 && g.last().is_some_and(Float::is_zero) {
            g.pop();
        }
        if g.len() < 2 {
            return Vec::new();
        }
        let chain = sturm_chain(&g, prec);
        // Cauchy bound on the roots: 1 + max |g_k / g_q|.
        let lead = Float::with_val(prec, g.last().expect("non-empty").abs_ref());
        let mut bound = Float::with_val(prec, 0);
        for c in &g[..g.len() - 1] {
            let r = Float::with_val(prec, c.abs_ref()) / &lead;
            if r > bound {
                bound = r;
            }
        }
        bound += 1u32;
        let zero = Float::with_val(prec, 0);
        let mut roots_t = Vec::new();
        isolate(&g, &chain, zero, bound, prec, &mut roots_t, 0);
        roots_t.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        roots_t.into_iter().map(|t| Float::with_val(self.prec(), nth_root(t, self.root))).collect()
    }
}

/// Evaluates a polynomial (low degree first) by Horner's rule.
fn horner(c: &[Float], t: &Float, prec: u32) -> Float {
    let mut acc = Float::with_val(prec, c.last().expect("non-empty"));
    for ck in c.iter().rev().skip(1) {
        acc *= t;
        acc += ck;
    }
    acc
}

/// The Sturm sequence g, g′, −rem(g, g′), … (low degree first), with
/// remainder coefficients below the working rounding treated as zero.
fn sturm_chain(g: &[Float], prec: u32) -> Vec<Vec<Float>> {
    let deriv: Vec<Float> = g.iter().enumerate().skip(1).map(|(k, c)| Float::with_val(prec, c * k as u32)).collect();
    let mut chain = vec![g.to_vec(), deriv];
    let scale = g
        .iter()
        .map(|c| Float::with_val(prec, c.abs_ref()))
        .fold(Float::with_val(prec, 0), |a, b| if b > a { b } else { a });
    let negligible = Float::with_val(prec, &scale * Float::with_val(prec, Float::i_exp(1, -(prec as i32) + 16)));
    loop {
        let n = chain.len();
        let (a, b) = (&chain[n - 2], &chain[n - 1]);
        if b.len() <= 1 {
            break;
        }
        // Remainder of a divided by b.
        let mut r = a.clone();
        let lead_b = b.last().expect("non-empty").clone();
        while r.len() >= b.len() {
            let shift = r.len() - b.len();
            let factor = Float::with_val(prec, r.last().expect("non-empty") / &lead_b);
            for (i, bi) in b.iter().enumerate() {
                let t = Float::with_val(prec, &factor * bi);
                r[shift + i] -= t;
            }
            r.pop();
        }
        while r.len() > 1 && r.last().is_some_and(|c| Float::with_val(prec, c.abs_ref()) <= negligible) {
            r.pop();
        }
        if r.iter().all(|c| Float::with_val(prec, c.abs_ref()) <= negligible) {
            break;
        }
        chain.push(r.into_iter().map(|c| -c).collect());
    }
    chain
}

/// Sign changes of the Sturm chain at t.
fn sign_changes(chain: &[Vec<Float>], t: &Float, prec: u32) -> usize {
    let mut changes = 0;
    let mut last: Option<bool> = None;
    for p in chain {
        let v = horner(p, t, prec);
        if v.is_zero() {
            continue;
        }
        let positive = v.is_sign_positive();
        if last.is_some_and(|l| l != positive) {
            changes += 1;
        }
        last = Some(positive);
    }
    changes
}

/// Collects the roots of g in (a, b] where g changes sign, bisecting until
/// each interval holds one distinct root, then refining it.
fn isolate(g: &[Float], chain: &[Vec<Float>], a: Float, b: Float, prec: u32, out: &mut Vec<Float>, depth: u32) {
    let count = sign_changes(chain, &a, prec).saturating_sub(sign_changes(chain, &b, prec));
    if count == 0 {
        return;
    }
    if count == 1 || depth > prec {
        let (ga, gb) = (horner(g, &a, prec), horner(g, &b, prec));
        if ga.is_zero() || gb.is_zero() || ga.is_sign_positive() != gb.is_sign_positive() {
            out.push(bisect_root(g, a, b, prec));
        }
        // Otherwise a root of even multiplicity: no sign change, no extremum.
        return;
    }
    let mid = Float::with_val(prec, &a + &b) / 2u32;
    isolate(g, chain, a, mid.clone(), prec, out, depth + 1);
    isolate(g, chain, mid, b, prec, out, depth + 1);
}

/// Bits of bracket narrowing by bisection before Newton takes over.
const BISECTION_BITS: u32 = 40;

/// The root of g in [a, b] (a sign change): bisection to a 2^-40 relative
/// bracket, then Newton steps kept inside the bracket, to the working
/// precision. Bisection alone would need about `prec` evaluations.
fn bisect_root(g: &[Float], mut a: Float, mut b: Float, prec: u32) -> Float {
    let negative_at_a = horner(g, &a, prec).is_sign_negative();
    let narrow = |a: &mut Float, b: &mut Float, x: &Float, v: &Float| {
        if v.is_sign_negative() == negative_at_a {
            *a = x.clone();
        } else {
            *b = x.clone();
        }
    };
    for _ in 0..BISECTION_BITS + 8 {
        let width = Float::with_val(64, &b - &a);
        let scale = Float::with_val(64, b.abs_ref()).max(&Float::with_val(64, Float::i_exp(1, -(prec as i32))));
        if width <= Float::with_val(64, &scale * Float::with_val(64, Float::i_exp(1, -(BISECTION_BITS as i32)))) {
            break;
        }
        let mid = Float::with_val(prec, &a + &b) / 2u32;
        let v = horner(g, &mid, prec);
        if v.is_zero() {
            return mid;
        }
        narrow(&mut a, &mut b, &mid, &v);
    }
    let deriv: Vec<Float> = g.iter().enumerate().skip(1).map(|(k, c)| Float::with_val(prec, c * k as u32)).collect();
    let mut x = Float::with_val(prec, &a + &b) / 2u32;
    let tol = Float::with_val(64, Float::i_exp(1, -(prec as i32) + 4));
    for _ in 0..prec {
        let v = horner(g, &x, prec);
        if v.is_zero() {
            return x;
        }
        narrow(&mut a, &mut b, &x, &v);
        let d = if deriv.is_empty() { Float::new(prec) } else { horner(&deriv, &x, prec) };
        let newton = if d.is_zero() { None } else { Some(Float::with_val(prec, &x - Float::with_val(prec, &v / &d))) };
        let next = match newton {
            Some(n) if n > a && n < b => n,
            _ => Float::with_val(prec, &a + &b) / 2u32,
        };
        let step = Float::with_val(64, &next - &x).abs();
        x = next;
        if step <= Float::with_val(64, &tol * Float::with_val(64, x.abs_ref())) {
            break;
        }
    }
    x
}

/// The images of `[a, b]` under a composition, step by step: entry t is the
/// exact image after the first t + 1 polynomials, each given with its
/// positive critical points. The one walk behind every composed error.
pub fn composed_images<'a>(
    steps: impl IntoIterator<Item = (&'a OddPoly, &'a [Float])>,
    a: &Float,
    b: &Float,
) -> Vec<(Float, Float)> {
    let (mut lo, mut hi) = (a.clone(), b.clone());
    let mut out = Vec::new();
    for (p, crit) in steps {
        (lo, hi) = p.image(&lo, &hi, crit);
        out.push((lo.clone(), hi.clone()));
    }
    out
}

/// p(x) for an odd polynomial with f64 coefficients of x, x³, … (Horner in
/// x²): how a pasted row is evaluated in double precision.
pub fn eval_odd_f64(coeffs: &[f64], x: f64) -> f64 {
    let t = x * x;
    coeffs.iter().rev().fold(0.0, |acc, c| acc * t + c) * x
}

/// Distance from 1 of the interval `[lo, hi]`: max(|1 − lo|, |1 − hi|).
pub fn distance_from_one(lo: &Float, hi: &Float) -> Float {
    let prec = lo.prec().max(hi.prec());
    let a = Float::with_val(prec, 1 - lo).abs();
    let b = Float::with_val(prec, hi - 1u32).abs();
    if a >= b { a } else { b }
}

/// x^k at `prec` bits (x² by squaring, as msign always did; k = 0 gives 1).
pub fn power(x: &Float, k: u32, prec: u32) -> Float {
    match k {
        2 => Float::with_val(prec, x.square_ref()),
        1 => Float::with_val(prec, x),
        k => Float::with_val(prec, rug::ops::Pow::pow(x, k)),
    }
}

/// t^(1/r) for t ≥ 0, at t's precision (a square root for msign).
pub fn nth_root(t: Float, root: u32) -> Float {
    match root {
        2 => t.sqrt(),
        1 => t,
        r => t.root(r),
    }
}

/// The exponents of the terms of a degree-`degree` polynomial x·q(x^r):
/// 1, 1 + r, …, `degree`.
pub fn exponents(root: u32, degree: u32) -> Vec<u32> {
    (0..=(degree - 1) / root).map(|k| 1 + k * root).collect()
}

/// The limit row of the family x·q(x^r) with `terms` terms: the polynomial
/// that fixes 1 with 1 − p vanishing to order `terms` there (p(1) = 1,
/// p′(1) = … = p^(terms−1)(1) = 0), exact. A greedy schedule's rows tend to
/// it as the interval closes on 1: for msign and three terms it is
/// (15/8, −5/4, 3/8), the quintic Newton–Schulz polynomial.
///
/// ```
/// use polar_coeffs::poly::limit_row;
/// use rug::Rational;
/// assert_eq!(limit_row(2, 3), [Rational::from((15, 8)), Rational::from((-5, 4)), Rational::from((3, 8))]);
/// assert_eq!(limit_row(3, 3), [Rational::from((14, 9)), Rational::from((-7, 9)), Rational::from((2, 9))]);
/// ```
///
/// # Panics
///
/// When `root` or `terms` is 0.
pub fn limit_row(root: u32, terms: usize) -> Vec<rug::Rational> {
    use rug::Rational;
    assert!(root >= 1 && terms >= 1, "a limit row needs r ≥ 1 and at least one term");
    let exponents: Vec<i64> = (0..terms as i64).map(|k| 1 + k * i64::from(root)).collect();
    // Row j: Σ_k c_k · e_k (e_k − 1) … (e_k − j + 1) = [j = 0] (the j-th
    // derivative at 1, divided by nothing: the falling factorial).
    let mut a: Vec<Vec<Rational>> = (0..terms)
        .map(|j| {
            let mut row: Vec<Rational> = exponents
                .iter()
                .map(|&e| (0..j as i64).fold(Rational::from(1), |acc, i| acc * Rational::from(e - i)))
                .collect();
            row.push(Rational::from(i32::from(j == 0)));
            row
        })
        .collect();
    // Gauss–Jordan in exact rationals (the matrix is a confluent
    // Vandermonde in the distinct exponents: never singular).
    for col in 0..terms {
        let pivot = (col..terms).find(|&r| a[r][col] != 0).expect("a confluent Vandermonde matrix is regular");
        a.swap(col, pivot);
        let p = a[col][col].clone();
        for v in &mut a[col] {
            *v /= &p;
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col && row[col] != 0 {
                let f = row[col].clone();
                for (v, p) in row.iter_mut().zip(&pivot_row) {
                    *v -= Rational::from(&f * p);
                }
            }
        }
    }
    a.into_iter().map(|row| row[terms].clone()).collect()
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
    fn critical_points_of_known_polynomials() {
        // Cubic NS (3x − x³)/2: p′ = (3 − 3x²)/2, critical point 1.
        let p = OddPoly::from_decimals(&["1.5", "-0.5"], 128).unwrap();
        assert_eq!(p.positive_critical_points(), vec![f("1")]);
        // Quintic NS (15x − 10x³ + 3x⁵)/8: p′ = 15(1 − x²)²/8, a double root
        // without sign change: no extremum.
        let q = OddPoly::from_decimals(&["1.875", "-1.25", "0.375"], 128).unwrap();
        assert!(q.positive_critical_points().is_empty());
        // Keller Jordan's row: p′ = a + 3b t + 5c t² has two positive roots.
        let j = OddPoly::from_decimals(&["3.4445", "-4.7750", "2.0315"], 128).unwrap();
        let crit = j.positive_critical_points();
        assert_eq!(crit.len(), 2);
        for x in &crit {
            assert!(j.eval_derivative(x).abs() < 1e-30);
        }
        // x (monotone) has none.
        assert!(OddPoly::from_decimals(&["2"], 64).unwrap().positive_critical_points().is_empty());
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
