//! Rounding-aware tables: the coefficients a user will hold in a narrow type
//! (f32, bf16 or f16), chosen among the representable
//! neighbours of each exact coefficient so that the certified error of the
//! composed table is as small as the search finds, step by step.
//!
//! ```
//! use polar_coeffs::rounding::{RoundTarget, round_aware};
//! use rug::Float;
//!
//! // Two cubic Newton-Schulz steps on [0.5, 1], held in bf16. The search
//! // includes plain rounding, so its first step is never worse.
//! let row = vec![Float::with_val(64, 1.5), Float::with_val(64, -0.5)];
//! let r = round_aware(&[row.clone(), row], "0.5", "1", RoundTarget::Bf16, 128, 2).unwrap();
//! assert_eq!(r.steps[0].plain_row, [1.5, -0.5]);
//! assert!(r.steps[0].certified.as_ref().unwrap() <= r.steps[0].plain_certified.as_ref().unwrap());
//! ```
//!
//! Method (greedy, like the schedule itself): step t starts from the
//! certified image of [ℓ, u] under the already chosen rounded rows; each
//! coefficient may move to its nearest representable value or up to
//! [`SEARCH_ULPS`] units in the last place either side; rows of up to
//! [`EXHAUSTIVE_TERMS`] terms try every combination, longer rows improve one
//! coefficient at a time until nothing improves. A candidate's score is its
//! certified error after step t ([`crate::certify::step_image`]), so the
//! reported improvement is a proven one, not a sampled one.

use rug::Float;
use rug::float::Round;

use crate::certify::{CertifyError, outward_interval, step_image};

/// Units in the last place each coefficient may move from its nearest value.
pub const SEARCH_ULPS: u32 = 1;

/// Rows with at most this many terms are searched exhaustively
/// ((2·SEARCH_ULPS + 1)^terms candidates: 243 for five terms).
pub const EXHAUSTIVE_TERMS: usize = 5;

/// Coordinate-descent sweeps over a longer row.
pub const MAX_SWEEPS: usize = 4;

/// Where a table's coefficients will be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundTarget {
    /// IEEE binary32.
    F32,
    /// bfloat16: 8 significant bits, f32's exponent range.
    Bf16,
    /// IEEE binary16: 11 significant bits, normal range [2^-14, 65504].
    F16,
}

/// The smallest and largest normal magnitudes of f16.
const F16_MIN_NORMAL_EXP: i32 = -14;
const F16_MAX: f64 = 65504.0;

impl RoundTarget {
    /// The names [`RoundTarget::parse`] reads.
    pub const NAMES: &'static str = "`f32`, `bf16` or `f16`";

    /// Parses `f32`, `bf16` or `f16`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "f32" => Some(Self::F32),
            "bf16" => Some(Self::Bf16),
            "f16" => Some(Self::F16),
            _ => None,
        }
    }

    /// The name [`RoundTarget::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Bf16 => "bf16",
            Self::F16 => "f16",
        }
    }

    /// Significant bits.
    fn bits(self) -> u32 {
        match self {
            Self::F32 => 24,
            Self::Bf16 => 8,
            Self::F16 => 11,
        }
    }

    /// The value nearest to `c` (ties to even), or `None` when the target
    /// cannot hold it (overflow, or below f16's normal range; f32 and bf16
    /// share f32's range).
    pub fn nearest(self, c: &Float) -> Option<Float> {
        let v = Float::with_val_round(self.bits(), c, Round::Nearest).0;
        self.holds(&v).then_some(v)
    }

    fn holds(self, v: &Float) -> bool {
        if !v.is_finite() {
            return false;
        }
        if v.is_zero() {
            return true;
        }
        match self {
            Self::F32 | Self::Bf16 => {
                let x = v.to_f32_round(Round::Nearest);
                x.is_finite() && x.is_normal()
            }
            // MPFR: |v| = 0.m × 2^e ≥ 2^(e−1), normal when e − 1 ≥ −14.
            Self::F16 => v.get_exp().is_some_and(|e| e > F16_MIN_NORMAL_EXP) && v.to_f64().abs() <= F16_MAX,
        }
    }

    /// The value `k` representable steps above (`k > 0`) or below `v`.
    fn moved(self, v: &Float, k: i32) -> Option<Float> {
        // `v` is held at the target's precision, so MPFR's next value is the
        // target's next value (within the range checked by `holds`).
        let mut out = Float::with_val(self.bits(), v);
        for _ in 0..k.unsigned_abs() {
            if k > 0 { out.next_up() } else { out.next_down() }
        }
        self.holds(&out).then_some(out)
    }
}

/// One step of a rounding-aware table.
#[derive(Debug, Clone)]
pub struct RoundedStep {
    /// The chosen coefficients, each a value of the target.
    pub row: Vec<Float>,
    /// Each exact coefficient rounded to nearest in the target.
    pub plain_row: Vec<Float>,
    /// Certified max |1 − f| after this step with the chosen rows (`None`:
    /// the composition leaves (0, 1e30)).
    pub certified: Option<Float>,
    /// The same for plainly rounded rows.
    pub plain_certified: Option<Float>,
}

/// A rounding-aware table.
#[derive(Debug, Clone)]
pub struct Rounded {
    /// The target type.
    pub target: RoundTarget,
    /// One entry per step.
    pub steps: Vec<RoundedStep>,
}

/// Why a rounding-aware table could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundingError {
    /// An interval end the certificate cannot use.
    #[error(transparent)]
    Certify(#[from] CertifyError),
    /// A coefficient the target cannot hold.
    #[error("step {step}, coefficient {index} = {value} cannot be held in {target} (out of its range)")]
    OutOfRange {
        /// 1-based step.
        step: usize,
        /// 0-based coefficient.
        index: usize,
        /// The value, shortened.
        value: String,
        /// The target's name.
        target: String,
    },
}

/// Chooses, step by step, the representable coefficients with the smallest
/// certified error after that step (from the certified image of the rows
/// already chosen), and certifies plain rounding alongside.
///
/// # Errors
///
/// [`RoundingError`] for unusable interval ends or a coefficient the target
/// cannot hold.
pub fn round_aware(
    rows: &[Vec<Float>],
    lower: &str,
    upper: &str,
    target: RoundTarget,
    prec: u32,
    root: u32,
) -> Result<Rounded, RoundingError> {
    let (l, u) = outward_interval(lower, upper, prec)?;
    let mut chosen_at = Some((l.clone(), u.clone()));
    let mut plain_at = Some((l, u));
    let mut steps = Vec::with_capacity(rows.len());
    for (t, row) in rows.iter().enumerate() {
        let last = t + 1 == rows.len();
        let plain_row: Vec<Float> = row
            .iter()
            .enumerate()
            .map(|(k, c)| {
                target.nearest(c).ok_or_else(|| RoundingError::OutOfRange {
                    step: t + 1,
                    index: k,
                    value: crate::precision::to_decimal(c, 12),
                    target: target.name().to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        let plain = plain_at.as_ref().and_then(|(a, b)| step_image(&plain_row, a, b, prec, last, root));
        let (row_out, best) = match &chosen_at {
            Some((a, b)) => search(&plain_row, target, |r| step_image(r, a, b, prec, last, root)),
            None => (plain_row.clone(), None),
        };
        steps.push(RoundedStep {
            row: row_out,
            plain_row,
            certified: best.as_ref().map(|(_, _, e)| e.clone()),
            plain_certified: plain.as_ref().map(|(_, _, e)| e.clone()),
        });
        chosen_at = best.map(|(lo, hi, _)| (lo, hi));
        plain_at = plain.map(|(lo, hi, _)| (lo, hi));
    }
    Ok(Rounded { target, steps })
}

type Image = Option<(Float, Float, Float)>;

/// Whether `a` is a better (smaller, or first finite) certified error than `b`.
fn better(a: &Image, b: &Image) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.2 < b.2,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The best row found around `start` (ties keep the earlier candidate, so the
/// plain rounding wins any tie and the search is deterministic).
fn search(start: &[Float], target: RoundTarget, score: impl Fn(&[Float]) -> Image) -> (Vec<Float>, Image) {
    let span = SEARCH_ULPS as i32;
    let options: Vec<Vec<Float>> = start
        .iter()
        .map(|c| {
            let mut o = vec![c.clone()];
            for k in 1..=span {
                o.extend(target.moved(c, -k));
                o.extend(target.moved(c, k));
            }
            o
        })
        .collect();
    let mut best_row = start.to_vec();
    let mut best = score(&best_row);
    if start.len() <= EXHAUSTIVE_TERMS {
        let mut index = vec![0usize; start.len()];
        'all: loop {
            // Next combination (odometer), skipping the all-zero start.
            let mut i = 0;
            loop {
                if i == index.len() {
                    break 'all;
                }
                index[i] += 1;
                if index[i] < options[i].len() {
                    break;
                }
                index[i] = 0;
                i += 1;
            }
            let row: Vec<Float> = index.iter().zip(&options).map(|(&j, o)| o[j].clone()).collect();
            let s = score(&row);
            if better(&s, &best) {
                best = s;
                best_row = row;
            }
        }
    } else {
        for _ in 0..MAX_SWEEPS {
            let mut improved = false;
            for (k, o) in options.iter().enumerate() {
                for v in o {
                    if *v == best_row[k] {
                        continue;
                    }
                    let mut row = best_row.clone();
                    row[k] = v.clone();
                    let s = score(&row);
                    if better(&s, &best) {
                        best = s;
                        best_row = row;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }
    (best_row, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_name() {
        for t in ["f32", "bf16", "f16"] {
            assert_eq!(RoundTarget::parse(t).unwrap().name(), t);
        }
        for t in ["f64", "decimals:4", "BF16", ""] {
            assert!(RoundTarget::parse(t).is_none(), "{t}");
        }
    }

    #[test]
    fn neighbours_are_one_unit_apart() {
        let c = Float::with_val(64, 3.4445);
        let bf = RoundTarget::Bf16.nearest(&c).unwrap();
        assert_eq!(bf, 3.4375); // 8 bits: steps of 1/64 in [2, 4)
        assert_eq!(RoundTarget::Bf16.moved(&bf, 1).unwrap(), 3.453125);
        assert_eq!(RoundTarget::Bf16.moved(&bf, -1).unwrap(), 3.421875);
        assert!(RoundTarget::F16.nearest(&Float::with_val(64, 1e5)).is_none());
        assert!(RoundTarget::F16.nearest(&Float::with_val(64, 1e-6)).is_none());
    }
}
