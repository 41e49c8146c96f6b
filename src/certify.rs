//! Certified errors of a table as it will be pasted: a rigorous upper bound
//! on max |1 − f| over [ℓ, u] after each step, for rows given exactly (the
//! printed decimals, or the f64 / f32 / bf16 values, which MPFR holds
//! without error).
//!
//! ```
//! use polar_coeffs::certify::certified_errors;
//! use rug::Float;
//!
//! // Two cubic Newton-Schulz steps on [0.5, 1]: f = p(p(x)), p = 1.5x - 0.5x^3.
//! let row = vec![Float::with_val(64, 1.5), Float::with_val(64, -0.5)];
//! let bounds = certified_errors(&[row.clone(), row], "0.5", "1", 128, 2).unwrap();
//! // p(0.5) = 0.6875, p(0.6875) = 0.8687744140625: the error is 1 minus that.
//! let after2 = bounds[1].as_ref().unwrap().to_f64();
//! assert!(after2 >= 0.1312255859375 && after2 < 0.1312255859375 * (1.0 + 1e-5));
//! ```
//!
//! Method: interval arithmetic in MPFR with directed rounding. The image of
//! [a, b] (0 < a ≤ b) under one polynomial p is enclosed by splitting [a, b]
//! adaptively: on a piece where the enclosure of p′ has one sign, p is
//! monotone and the piece contributes p at its ends (evaluated with outward
//! rounding); elsewhere the piece is halved until the mean-value enclosure
//! p(m) + p′(piece)·(piece − m) is narrow enough, and then contributes that
//! enclosure. The pieces cover [a, b], so no critical point can be missed,
//! and nothing is sampled. The next step starts from the enclosure, so the
//! composition is certified step by step.

use rug::Float;
use rug::float::Round;
use rug::ops::AssignRound;

use crate::precision::{DecimalError, parse_decimal};

/// Pieces one image may be split into; past it, what is left is enclosed as
/// it is (still an upper bound, only looser).
pub const MAX_PIECES: usize = 100_000;

/// Interval operations one image may spend (pieces × degree², the Taylor
/// shifts); past it, what is left is enclosed as it is (looser, never wrong).
pub const MAX_WORK: usize = 400_000_000;

/// Bits of the working precision an enclosure may leave loose: each piece's
/// enclosure is accurate to 2^-(prec − 64) of the error certified and of the
/// values it holds. Long schedules multiply an interval end's looseness by
/// the slope at that end, step after step, so the enclosures are as tight as
/// the precision allows (and a precision round costs only a few halvings,
/// the Taylor form converging quadratically).
pub const LOOSE_BITS: u32 = 64;

/// Fewest bits of relative tightness, whatever the precision.
pub const MIN_TIGHTNESS_BITS: u32 = 48;

/// Most bits of relative tightness: enough for the six printed digits to
/// survive a looseness multiplied by 2^80 along the walk; more would cost
/// high-degree tables minutes.
pub const MAX_TIGHTNESS_BITS: u32 = 112;

/// Values beyond this magnitude count as a diverging table.
pub const DIVERGED: f64 = 1e30;

/// A closed interval [lo, hi] with outward-rounded ends.
#[derive(Debug, Clone)]
struct Iv {
    lo: Float,
    hi: Float,
}

macro_rules! rounded {
    ($prec:expr, $expr:expr, $round:expr) => {{
        let mut f = Float::new($prec);
        f.assign_round($expr, $round);
        f
    }};
}

impl Iv {
    fn point(x: &Float, prec: u32) -> Self {
        Self { lo: rounded!(prec, x, Round::Down), hi: rounded!(prec, x, Round::Up) }
    }

    fn add(&self, o: &Self, prec: u32) -> Self {
        Self { lo: rounded!(prec, &self.lo + &o.lo, Round::Down), hi: rounded!(prec, &self.hi + &o.hi, Round::Up) }
    }

    fn mul(&self, o: &Self, prec: u32) -> Self {
        let pairs = [(&self.lo, &o.lo), (&self.lo, &o.hi), (&self.hi, &o.lo), (&self.hi, &o.hi)];
        let lo = pairs.iter().map(|(a, b)| rounded!(prec, *a * *b, Round::Down)).fold(None::<Float>, |m, v| {
            Some(match m {
                Some(m) if m <= v => m,
                _ => v,
            })
        });
        let hi = pairs.iter().map(|(a, b)| rounded!(prec, *a * *b, Round::Up)).fold(None::<Float>, |m, v| {
            Some(match m {
                Some(m) if m >= v => m,
                _ => v,
            })
        });
        let (lo, hi) = (lo.expect("four products"), hi.expect("four products"));
        if pairs.iter().any(|(a, b)| {
            a.is_nan() || b.is_nan() || (a.is_zero() && b.is_infinite()) || (a.is_infinite() && b.is_zero())
        }) {
            let nan = Float::with_val(prec, rug::float::Special::Nan);
            return Self { lo: nan.clone(), hi: nan };
        }
        Self { lo, hi }
    }

    fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
}

/// Σ c_k t^k over an interval t (Horner in interval arithmetic).
fn horner(c: &[Iv], t: &Iv, prec: u32) -> Iv {
    let mut acc = c.last().expect("non-empty").clone();
    for ck in c.iter().rev().skip(1) {
        acc = acc.mul(t, prec).add(ck, prec);
    }
    acc
}

/// A polynomial p(x) = x·r(x^R) with exact coefficients (R = 2: msign's
/// odd polynomials).
struct Poly {
    /// r's coefficients (p's odd ones), as point intervals.
    r: Vec<Iv>,
    /// p's monomial coefficients, x⁰ … x^d (the others zero).
    full: Vec<Iv>,
    prec: u32,
    root: u32,
}

impl Poly {
    fn new(r: Vec<Iv>, prec: u32, root: u32) -> Self {
        let zero = Iv::point(&Float::new(prec), prec);
        let step = root as usize;
        let mut full = vec![zero; 2 + step * (r.len() - 1)];
        for (k, c) in r.iter().enumerate() {
            full[1 + step * k] = c.clone();
        }
        Self { r, full, prec, root }
    }

    /// p over x (x ≥ 0), by Horner in x^R.
    fn eval(&self, x: &Iv) -> Iv {
        let mut t = x.clone();
        for _ in 1..self.root {
            t = t.mul(x, self.prec);
        }
        horner(&self.r, &t, self.prec).mul(x, self.prec)
    }

    /// The coefficients of h ↦ p(m + h), enclosed (Taylor shift by repeated
    /// synthetic division, in interval arithmetic).
    fn shifted(&self, m: &Float) -> Vec<Iv> {
        let prec = self.prec;
        let mut b = self.full.clone();
        let d = b.len() - 1;
        // b_j ← b_{j+1}·m + b_j, each end by one fused multiply-add rounded
        // outward (a product by the point m keeps or swaps the ends by m's
        // sign), written through a scratch value: no allocation in the loop.
        let mut scratch = Float::new(prec);
        let positive = *m >= 0;
        for i in 0..d {
            for j in (i..d).rev() {
                let (left, right) = b.split_at_mut(j + 1);
                let (cur, next) = (&mut left[j], &right[0]);
                let (from_lo, from_hi) = if positive { (&next.lo, &next.hi) } else { (&next.hi, &next.lo) };
                scratch.assign_round(from_lo * m + &cur.lo, Round::Down);
                std::mem::swap(&mut cur.lo, &mut scratch);
                scratch.assign_round(from_hi * m + &cur.hi, Round::Up);
                std::mem::swap(&mut cur.hi, &mut scratch);
            }
        }
        b
    }

    /// An enclosure of p([a, b]), 0 < a ≤ b, to within about `tol`.
    ///
    /// Each piece is examined in its own Taylor expansion around its
    /// midpoint, so that the enclosures of p and p′ narrow with the piece
    /// (and pieces near a double root of p′, where late steps of a schedule
    /// have their critical points, stay few).
    fn image(&self, a: &Float, b: &Float, tol: &Float, bits: u32) -> Iv {
        let prec = self.prec;
        let ends = |x: &Float| self.eval(&Iv::point(x, prec));
        let mut lo: Option<Float> = None;
        let mut hi: Option<Float> = None;
        // Only enclosures that passed `escaped` (so not NaN) are taken.
        let mut take = |iv: Iv| {
            if lo.as_ref().is_none_or(|l| iv.lo < *l) {
                lo = Some(iv.lo.clone());
            }
            if hi.as_ref().is_none_or(|h| iv.hi > *h) {
                hi = Some(iv.hi);
            }
        };
        // A value certainly outside (0, DIVERGED), or NaN, ends the search: the step
        // is broken whatever the rest of the image is (rounded high-degree
        // tables diverge at once, and would otherwise be split to the budget).
        let escaped = |iv: &Iv| iv.lo.is_nan() || iv.hi.is_nan() || iv.hi <= 0 || iv.lo >= DIVERGED;
        let mut stack = vec![(a.clone(), b.clone())];
        let mut pieces = 0usize;
        while let Some((x0, x1)) = stack.pop() {
            pieces += 1;
            let m = rounded!(prec, &x0 + &x1, Round::Nearest) / 2u32;
            let taylor = self.shifted(&m);
            let h = Iv { lo: rounded!(prec, &x0 - &m, Round::Down), hi: rounded!(prec, &x1 - &m, Round::Up) };
            let derivative: Vec<Iv> = taylor
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, c)| c.mul(&Iv::point(&Float::with_val(prec, k as u32), prec), prec))
                .collect();
            let d = horner(&derivative, &h, prec);
            if d.lo > 0 || d.hi < 0 {
                // Monotone: the ends carry the extremes.
                let (v0, v1) = (ends(&x0), ends(&x1));
                if escaped(&v0) || escaped(&v1) {
                    return if escaped(&v0) { v0 } else { v1 };
                }
                take(v0);
                take(v1);
                continue;
            }
            let enclosure = horner(&taylor, &h, prec);
            if escaped(&enclosure) {
                return enclosure;
            }
            let width = rounded!(prec, &enclosure.hi - &enclosure.lo, Round::Up);
            // Tight against the error being certified, and against the value
            // itself: the next step's image of a tiny lower end is only as
            // good as that end's relative accuracy.
            let own = Float::with_val(prec, enclosure.lo.abs_ref()).min(&Float::with_val(prec, enclosure.hi.abs_ref()));
            let tight = width <= *tol && width <= Float::with_val(prec, own >> bits);
            let splittable = m > x0 && m < x1;
            let budget = (pieces + stack.len()) * self.full.len() * self.full.len() >= MAX_WORK;
            if tight || !splittable || pieces + stack.len() >= MAX_PIECES || budget || !enclosure.is_finite() {
                take(enclosure);
            } else {
                stack.push((m.clone(), x1));
                stack.push((x0, m));
            }
        }
        let nan_iv = || Float::with_val(prec, rug::float::Special::Nan);
        Iv { lo: lo.unwrap_or_else(nan_iv), hi: hi.unwrap_or_else(nan_iv) }
    }
}

/// log2 of Σ_k |c_k|·(1 + b)^(1+kR) (rounded up, 0 when below 1): how far
/// the Taylor shifts' intermediate terms exceed the values they cancel to.
fn growth_bits(row: &[Iv], b: &Float, root: u32) -> u32 {
    let mut size = Float::with_val(64, 0);
    let base = Float::with_val(64, 1 + Float::with_val(64, b.abs_ref()));
    let mut power = base.clone();
    let square = Float::with_val(64, rug::ops::Pow::pow(&base, root));
    for c in row {
        let magnitude = Float::with_val(64, c.lo.abs_ref()).max(&Float::with_val(64, c.hi.abs_ref()));
        size += magnitude * &power;
        power *= &square;
    }
    if !size.is_finite() {
        return 0;
    }
    crate::precision::log2_ratio_bits(&size, &Float::with_val(64, 1)).min(1 << 16)
}

/// Bits of relative tightness at `prec` bits.
fn tightness(prec: u32) -> u32 {
    prec.saturating_sub(LOOSE_BITS).clamp(MIN_TIGHTNESS_BITS, MAX_TIGHTNESS_BITS)
}

/// Why a certificate could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertifyError {
    /// An interval end that is not a decimal.
    #[error("interval end: {0}")]
    End(#[from] DecimalError),
    /// Interval ends out of order.
    #[error("the interval needs 0 < lower < upper")]
    Interval,
}

/// A rigorous upper bound on max over [`lower`, `upper`] of |1 − f_t| after
/// each step t, for the composed polynomials whose coefficients `rows` hold
/// exactly (coefficients of x, x^(1+R), …, R = `root`: 2 for msign); `None`
/// from the step where the composition leaves (0, ∞) or exceeds
/// [`DIVERGED`] (the table is unusable from there).
///
/// # Errors
///
/// [`CertifyError`] for unusable interval ends.
pub fn certified_errors(
    rows: &[Vec<Float>],
    lower: &str,
    upper: &str,
    prec: u32,
    root: u32,
) -> Result<Vec<Option<Float>>, CertifyError> {
    let rows: Vec<Vec<Iv>> = rows.iter().map(|r| r.iter().map(|c| Iv::point(c, prec)).collect()).collect();
    certify_intervals(&rows, lower, upper, prec, root)
}

/// [`certified_errors`] for rows of decimal text: each coefficient is
/// enclosed between its MPFR values rounded down and up, so the bound holds
/// for the decimals themselves (which binary cannot hold exactly).
///
/// # Errors
///
/// [`CertifyError`] for unusable interval ends or coefficients.
pub fn certified_errors_decimal(
    rows: &[Vec<String>],
    lower: &str,
    upper: &str,
    prec: u32,
    root: u32,
) -> Result<Vec<Option<Float>>, CertifyError> {
    let enclose = |text: &str| -> Result<Iv, CertifyError> {
        let parsed = Float::parse(text.trim()).map_err(|_| DecimalError::Unparsable(text.to_string()))?;
        let lo = Float::with_val_round(prec, parsed, Round::Down).0;
        let parsed = Float::parse(text.trim()).map_err(|_| DecimalError::Unparsable(text.to_string()))?;
        let hi = Float::with_val_round(prec, parsed, Round::Up).0;
        if lo.is_finite() && hi.is_finite() {
            Ok(Iv { lo, hi })
        } else {
            Err(DecimalError::NotFinite(text.to_string()).into())
        }
    };
    let rows: Vec<Vec<Iv>> =
        rows.iter().map(|r| r.iter().map(|c| enclose(c)).collect::<Result<_, _>>()).collect::<Result<_, _>>()?;
    certify_intervals(&rows, lower, upper, prec, root)
}

fn certify_intervals(
    rows: &[Vec<Iv>],
    lower: &str,
    upper: &str,
    prec: u32,
    root: u32,
) -> Result<Vec<Option<Float>>, CertifyError> {
    let (mut a, mut b) = outward_interval(lower, upper, prec)?;
    let mut out = Vec::with_capacity(rows.len());
    let mut broken = false;
    for (t, row) in rows.iter().enumerate() {
        if broken || row.is_empty() {
            out.push(None);
            broken = true;
            continue;
        }
        match enclose_step(row, &a, &b, prec, t + 1 == rows.len(), root) {
            Some((lo, hi)) => {
                out.push(Some(distance_from_one(&lo, &hi, lo.prec())));
                a = lo;
                b = hi;
            }
            None => {
                out.push(None);
                broken = true;
            }
        }
    }
    Ok(out)
}

/// [ℓ, u] from decimal text, each end rounded outward straight from its
/// text at `prec` bits (one rounding, so the result always contains [ℓ, u]).
///
/// # Errors
///
/// [`CertifyError`] for ends that are not finite decimals, or not 0 < ℓ < u.
pub fn outward_interval(lower: &str, upper: &str, prec: u32) -> Result<(Float, Float), CertifyError> {
    parse_decimal(lower, 64)?;
    parse_decimal(upper, 64)?;
    let outward = |text: &str, round: Round| -> Result<Float, CertifyError> {
        let parsed = Float::parse(text.trim()).map_err(|_| DecimalError::Unparsable(text.to_string()))?;
        Ok(Float::with_val_round(prec, parsed, round).0)
    };
    let (a, b) = (outward(lower, Round::Down)?, outward(upper, Round::Up)?);
    if a > 0 && a < b { Ok((a, b)) } else { Err(CertifyError::Interval) }
}

/// max(1 − lo, hi − 1), rounded up.
fn distance_from_one(lo: &Float, hi: &Float, prec: u32) -> Float {
    let e_lo = rounded!(prec, 1 - lo, Round::Up);
    let e_hi = rounded!(prec, hi - 1u32, Round::Up);
    if e_lo >= e_hi { e_lo } else { e_hi }
}

/// A rigorous enclosure [lo, hi] of p([a, b]) for one row held exactly
/// (0 < a < b), or `None` when the image leaves (0, [`DIVERGED`]); with the
/// certified error max(1 − lo, hi − 1) rounded up. `last` encloses to the
/// fewest bits (nothing is composed after it).
pub fn step_image(
    row: &[Float],
    a: &Float,
    b: &Float,
    prec: u32,
    last: bool,
    root: u32,
) -> Option<(Float, Float, Float)> {
    if row.is_empty() || !(*a > 0 && a < b) {
        return None;
    }
    let row: Vec<Iv> = row.iter().map(|c| Iv::point(c, prec.max(c.prec()))).collect();
    let (lo, hi) = enclose_step(&row, a, b, prec, last, root)?;
    let e = distance_from_one(&lo, &hi, lo.prec());
    Some((lo, hi, e))
}

fn enclose_step(row: &[Iv], a: &Float, b: &Float, prec: u32, last: bool, root: u32) -> Option<(Float, Float)> {
    // The Taylor shifts form Σ_k c_k·C(k, j)·m^(k−j), up to
    // Σ |c_k|·(1 + b)^k in size, from terms that cancel to the small
    // values of p and p′ near 1: the row works that many bits above
    // `prec` (high degrees have coefficients of 1e30 and more).
    let prec = prec + growth_bits(row, b, root);
    let row: Vec<Iv> = row
        .iter()
        .map(|c| Iv { lo: rounded!(prec, &c.lo, Round::Down), hi: rounded!(prec, &c.hi, Round::Up) })
        .collect();
    let floor = Float::with_val(prec, Float::i_exp(1, 16 - prec as i32));
    let p = Poly::new(row, prec, root);
    // The tolerance follows the error the step is about to certify: a
    // cheap point estimate at the ends sets the scale.
    let ends = [p.eval(&Iv::point(a, prec)), p.eval(&Iv::point(b, prec))];
    let scale = ends
        .iter()
        .flat_map(|e| [Float::with_val(prec, 1 - &e.lo).abs(), Float::with_val(prec, &e.hi - 1u32).abs()])
        .fold(Float::with_val(prec, 0), |m, v| if v > m { v } else { m });
    // The last row's image feeds no later step: its bound only has to
    // carry the printed digits, so it is enclosed to the fewest bits.
    let bits = if last { MIN_TIGHTNESS_BITS } else { tightness(prec) };
    let mut tol = Float::with_val(prec, scale >> bits);
    if tol < floor {
        tol = floor;
    }
    let image = p.image(a, b, &tol, bits);
    (image.is_finite() && image.lo > 0 && image.hi < DIVERGED).then_some((image.lo, image.hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Float {
        parse_decimal(s, 256).unwrap()
    }

    #[test]
    fn an_interior_maximum_is_enclosed() {
        // p(x) = 1.5x − 0.5x³ has its maximum 1 at x = 1, inside [0.5, 1.5].
        let bounds = certified_errors(&[vec![f("1.5"), f("-0.5")]], "0.5", "1.5", 192, 2).unwrap();
        // min p = p(1.5) = 0.5625: error 0.4375 exactly.
        let e = bounds[0].as_ref().unwrap();
        assert!(*e >= f("0.4375"));
        assert!(*e <= f("0.4375") * (1.0 + 1e-5));
    }

    #[test]
    fn a_sign_flip_breaks_the_certificate() {
        let bounds = certified_errors(&[vec![f("-1")], vec![f("1")]], "0.5", "1", 128, 2).unwrap();
        assert!(bounds.iter().all(Option::is_none));
    }
}
