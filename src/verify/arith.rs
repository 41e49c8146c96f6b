//! Working arithmetic of a verification: f64, f32, or bf16 / fp16 emulated on
//! f32.
//!
//! bf16 emulation follows GPU tensor-core code: every matrix product takes
//! bf16 inputs, accumulates in f32 and rounds its output to bf16 (round to
//! nearest, ties to even); every elementwise combination (`a·X`, `A + B`) is
//! computed in f32 and rounded to bf16 likewise. bf16 values are stored in
//! f32 matrices (a bf16 is the top half of an f32).

use faer::Mat;
use nalgebra::DMatrix;

use super::kernel::{Real, map, map_in_place, product, symmetric_square, transpose, zip_in_place};
pub use super::kernel::{gram, gram_t};

/// The arithmetic a table is applied in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Dtype {
    /// IEEE binary64 throughout.
    F64,
    /// IEEE binary32 throughout.
    F32,
    /// bf16 storage, f32 accumulation, rounding after every operation.
    Bf16,
    /// IEEE binary16 storage, f32 accumulation, rounding after every
    /// operation (overflow beyond 65504 becomes ±inf: a failed run).
    Fp16,
}

impl Dtype {
    /// The CLI/config spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The f32 storage of a low-precision arithmetic (`None` for f64).
    pub fn storage(self) -> Option<Storage> {
        match self {
            Self::F64 => None,
            Self::F32 => Some(Storage::F32),
            Self::Bf16 => Some(Storage::Bf16),
            Self::Fp16 => Some(Storage::Fp16),
        }
    }

    /// Parses `f64`, `f32`, `bf16` or `fp16`.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// Rounds an f32 to the nearest bf16 (ties to even), returned as f32.
/// NaN stays NaN; values beyond the bf16 range become ±infinity.
#[inline]
pub fn round_bf16(x: f32) -> f32 {
    let bits = x.to_bits();
    if x.is_nan() {
        return f32::from_bits(bits | 0x0040_0000); // quiet NaN, payload kept
    }
    // Add half an ulp of bf16 (0x7FFF) plus the lowest kept bit (ties to even),
    // then truncate the 16 low bits. Carries propagate into the exponent
    // correctly, up to infinity.
    let lsb = (bits >> 16) & 1;
    let rounded = bits.wrapping_add(0x7FFF + lsb) & 0xFFFF_0000;
    f32::from_bits(rounded)
}

/// Rounds an f32 to the nearest IEEE binary16 (ties to even, subnormals
/// kept, beyond 65504 ±infinity), returned as f32. Bit arithmetic on the
/// f32 (a conversion through `half` made the fp16 step 1.6 times the f32
/// step); the test below checks it against `half` on hard cases and a sweep.
#[inline]
pub fn round_fp16(x: f32) -> f32 {
    /// 2^-14, the smallest normal binary16.
    const MIN_NORMAL: f32 = 6.103_515_6e-5;
    /// Halfway between 65504 (the largest finite binary16) and 65536.
    const OVERFLOW: f32 = 65520.0;
    let a = x.abs();
    if a < MIN_NORMAL {
        // Subnormal binary16 (and zero): multiples of 2^-24, exact scalings.
        return (x * 16_777_216.0).round_ties_even() * 5.960_464_5e-8;
    }
    if a >= OVERFLOW {
        return f32::INFINITY.copysign(x);
    }
    if x.is_nan() {
        return x;
    }
    // Keep 10 of f32's 23 fraction bits: add half a binary16 ulp less one
    // (0x0FFF) plus the lowest kept bit (ties to even), truncate 13 bits.
    let bits = x.to_bits();
    let lsb = (bits >> 13) & 1;
    f32::from_bits(bits.wrapping_add(0x0FFF + lsb) & !0x1FFF)
}

/// What an f32-stored step rounds to after every operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Nothing beyond f32's own rounding.
    F32,
    /// bf16, nearest with ties to even.
    Bf16,
    /// IEEE binary16, nearest with ties to even.
    Fp16,
}

impl Storage {
    /// The rounding of one value.
    #[inline]
    pub fn round(self, v: f32) -> f32 {
        match self {
            Self::F32 => v,
            Self::Bf16 => round_bf16(v),
            Self::Fp16 => round_fp16(v),
        }
    }

    /// Every entry rounded (nothing to do for f32).
    pub fn round_matrix(self, mut m: DMatrix<f32>) -> DMatrix<f32> {
        if self != Self::F32 {
            for v in m.iter_mut() {
                *v = self.round(*v);
            }
        }
        m
    }

    /// An f64 rounded once, straight to the storage type (no double
    /// rounding through f32).
    #[inline]
    pub fn from_f64(self, v: f64) -> f32 {
        match self {
            Self::F32 => v as f32,
            Self::Bf16 => half::bf16::from_f64(v).to_f32(),
            Self::Fp16 => half::f16::from_f64(v).to_f32(),
        }
    }
}

/// How a step rounds each value it forms: [`Exact`] (nothing beyond the
/// arithmetic's own rounding: f64, and f32 as [`Storage::F32`]) or an
/// emulated [`Storage`].
pub trait Rounding<T>: Copy + Send + Sync {
    /// One value rounded.
    fn round(self, v: T) -> T;

    /// Whether `round` is the identity: nothing is emulated, so a step may
    /// fold a·X into its product, (a·I + B)·X (see [`step`]).
    fn is_exact(self) -> bool;
}

/// The arithmetic's own rounding and nothing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exact;

impl<T: Real> Rounding<T> for Exact {
    #[inline]
    fn round(self, v: T) -> T {
        v
    }

    fn is_exact(self) -> bool {
        true
    }
}

impl Rounding<f32> for Storage {
    #[inline]
    fn round(self, v: f32) -> f32 {
        Storage::round(self, v)
    }

    fn is_exact(self) -> bool {
        self == Storage::F32
    }
}

/// One polynomial step in f32 storage, rounded to `storage` after every
/// operation: `A = X Xᵀ` (given as `gram`, accumulated but not yet rounded),
/// `B = Σ_{k≥1} c_k A^k`, `X' = c₀X + B X` (see [`step`] for the order of
/// the operations). Each rounding happens in the pass that forms the value
/// (the product's output pass or the combination's), never in a sweep of
/// its own.
///
/// Iterates are held transposed: `xt` is Xᵀ (m×n, column-major, i.e. X
/// row by row), and so is the result, so that `X Xᵀ` needs no transposed
/// copy ([`gram_t`]).
pub fn step_f32(xt: &Mat<f32>, gram: &Mat<f32>, coeffs: &[f32], storage: Storage) -> Mat<f32> {
    step(xt, gram, coeffs, storage)
}

/// One polynomial step in f64 (no rounding beyond f64's own), on Xᵀ.
pub fn step_f64(xt: &Mat<f64>, gram: &Mat<f64>, coeffs: &[f64]) -> Mat<f64> {
    step(xt, gram, coeffs, Exact)
}

/// The step of [`step_f32`] / [`step_f64`] on Xᵀ with `round` applied to
/// every value formed.
///
/// * Degree 5 (`[a, b, c]`), in the order of the Muon and Polar Express
///   code (`B = b * A + c * A @ A; X = a * X + B @ X`):
///   `B = round(round(b·A) + round(c·round(A·A)))`. A·A is a symmetric
///   product (A is exactly symmetric as stored), computed on one triangle.
/// * Degree 3 (`[a, b]`): `B = round(b·A)`.
/// * Degree 7 and up: Horner, `B ← round(round(A·B) + round(c_k·A))` from
///   `B = round(c_q·A)`.
///
/// Then `X' = round(round(a·X) + round(B·X))`, formed as Xᵀ Bᵀ (Bᵀ = B up
/// to degree 5, where B is exactly symmetric). When nothing is emulated
/// ([`Rounding::is_exact`]: f64, f32), `X' = (a·I + B)·X`: a is added to
/// B's diagonal and one product forms X', with no pass over X' of its own;
/// the same sum as a·X + B·X with the type's own roundings in other places.
pub fn step<T: Real>(xt: &Mat<T>, gram: &Mat<T>, coeffs: &[T], round: impl Rounding<T>) -> Mat<T> {
    let q = coeffs.len() - 1;
    let c0 = coeffs[0];
    if q == 0 {
        return map(xt, |v| round.round(v * c0));
    }
    let exact = round.is_exact();
    let rounded;
    let a = if exact {
        gram
    } else {
        rounded = map(gram, |v| round.round(v));
        &rounded
    };
    let b = match q {
        1 => map(a, |v| round.round(v * coeffs[1])),
        2 => {
            let (c1, c2) = (coeffs[1], coeffs[2]);
            let mut b = symmetric_square(a.as_ref());
            zip_in_place(&mut b, a, |p, av| round.round(round.round(av * c1) + round.round(round.round(p) * c2)));
            b
        }
        _ => {
            let cq = coeffs[q];
            let mut b = map(a, |v| round.round(v * cq));
            for &ck in coeffs[1..q].iter().rev() {
                let mut ab = product(a.as_ref(), b.as_ref());
                zip_in_place(&mut ab, a, |p, av| round.round(round.round(p) + round.round(av * ck)));
                b = ab;
            }
            transpose(b.as_ref())
        }
    };
    if exact {
        let mut w = b;
        for i in 0..w.nrows() {
            w[(i, i)] += c0;
        }
        return product(xt.as_ref(), w.as_ref());
    }
    let mut bx = product(xt.as_ref(), b.as_ref());
    zip_in_place(&mut bx, xt, |p, xv| round.round(round.round(xv * c0) + round.round(p)));
    bx
}

/// Gram Newton–Schulz: the iteration on the short side's Gram matrix
/// R = X Xᵀ (n×n) instead of on X (n×m), with restarts (the algorithm of the
/// Dao-AILab gram-newton-schulz repository). Each step's polynomial
/// W = a I + Z, Z = b R + c R² + …, is accumulated into Q = W₀W₁⋯ and R is
/// carried as W R W; at a restart (and at the end) X ← Q X and R = X Xᵀ
/// again. Products that the published code fuses (Q Z + a Q, R Z + a R,
/// Z·RZ + a·RZ) are rounded once.
///
/// X is held transposed, as in [`step`].
pub struct GramState<T: Real> {
    /// Xᵀ at the last restart.
    pub x: Mat<T>,
    /// The current Gram matrix.
    pub r: Mat<T>,
    /// The accumulated polynomial since the last restart.
    pub q: Option<Mat<T>>,
}

/// `round(P + a·B)` in place over the product `P` (one fused rounding).
fn fused<T: Real>(mut p: Mat<T>, b: &Mat<T>, a: T, round: impl Rounding<T>) -> Mat<T> {
    zip_in_place(&mut p, b, |pv, bv| round.round(pv + bv * a));
    p
}

impl<T: Real> GramState<T> {
    /// The state for the normalised input (R rounded once).
    pub fn new(x: Mat<T>, round: impl Rounding<T>) -> Self {
        let mut r = gram_t(x.as_ref());
        map_in_place(&mut r, |v| round.round(v));
        Self { x, r, q: None }
    }

    /// Step `i` (0-based) with `coeffs` = [a, b, c, …]; `restart` says
    /// whether to restart before it (never at 0), `update_r` whether a later
    /// step uses R without restarting first. Returns X_(i+1) = Q X (the
    /// product a final step forms, transposed; measured, not fed back).
    pub fn step(&mut self, coeffs: &[T], restart: bool, update_r: bool, round: impl Rounding<T>) -> Mat<T> {
        if restart && let Some(q) = self.q.take() {
            self.x = product(self.x.as_ref(), transpose(q.as_ref()).as_ref());
            map_in_place(&mut self.x, |v| round.round(v));
            self.r = gram_t(self.x.as_ref());
            map_in_place(&mut self.r, |v| round.round(v));
        }
        let n = self.r.nrows();
        let a = coeffs[0];
        let deg = coeffs.len() - 1;
        // Z = Σ_{k≥1} c_k R^k by Horner in R, each stage one fused rounding.
        let z = if deg == 0 {
            Mat::zeros(n, n)
        } else {
            let cd = coeffs[deg];
            let mut b = map(&self.r, |v| round.round(v * cd));
            for &ck in coeffs[1..deg].iter().rev() {
                b = fused(product(self.r.as_ref(), b.as_ref()), &self.r, ck, round);
            }
            b
        };
        self.q = Some(match self.q.take() {
            None => {
                let mut w = z.clone();
                for i in 0..n {
                    w[(i, i)] += a;
                }
                map_in_place(&mut w, |v| round.round(v));
                w
            }
            Some(q) => fused(product(q.as_ref(), z.as_ref()), &q, a, round),
        });
        if update_r {
            let rz = fused(product(self.r.as_ref(), z.as_ref()), &self.r, a, round);
            self.r = fused(product(z.as_ref(), rz.as_ref()), &rz, a, round);
        }
        let qt = transpose(self.q.as_ref().expect("set above").as_ref());
        let mut out = product(self.x.as_ref(), qt.as_ref());
        map_in_place(&mut out, |v| round.round(v));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: half's conversion (round to nearest even), widened back.
    fn reference(x: f32) -> f32 {
        half::bf16::from_f32(x).to_f32()
    }

    #[test]
    fn fp16_rounding_matches_half_on_hard_cases_and_a_sweep() {
        let mut cases: Vec<f32> = vec![
            0.0,
            -0.0,
            1.0,
            65504.0,
            65519.99,
            65520.0,
            -65520.0,
            6.103_515_6e-5,
            6.1e-5,
            5.960_464_5e-8,
            2.98e-8,
            2.980_232_2e-8,
            f32::MAX,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1.0e-40,
        ];
        // Ties and neighbours at the 13-bit cut, in the normal and subnormal
        // ranges of binary16.
        for base in [0x3F80_0000u32, 0x3F80_2000, 0x4770_0000, 0x3880_0000, 0x3380_0000, 0x3400_0000] {
            for low in [0x0FFFu32, 0x1000, 0x1001, 0x0000, 0x1FFF] {
                cases.push(f32::from_bits(base | low));
                cases.push(-f32::from_bits(base | low));
            }
        }
        // Every 997th f32 from 2^-26 (below the subnormals' half-quantum) to
        // 2^17 (past the overflow).
        cases.extend((0x3280_0000u32..0x4800_0000).step_by(997).map(f32::from_bits));
        let mut s = 0x9E37_79B9u32;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            cases.push(f32::from_bits(s));
        }
        for x in cases {
            let (ours, theirs) = (round_fp16(x), half::f16::from_f32(x).to_f32());
            if x.is_nan() {
                assert!(ours.is_nan());
            } else {
                assert_eq!(ours.to_bits(), theirs.to_bits(), "x = {x:e} ({:#010x})", x.to_bits());
            }
        }
    }

    #[test]
    fn bf16_rounding_matches_the_reference_on_hard_cases() {
        let mut cases: Vec<f32> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::MAX,
            f32::MIN_POSITIVE,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1.0e-40, // subnormal
            3.4e38,  // rounds to infinity in bf16
        ];
        // Exact ties (low half 0x8000) with even and odd kept bits, and their
        // neighbours.
        for base in [0x3F80_0000u32, 0x3F81_0000, 0x4049_0000, 0x0001_0000, 0x7F7F_0000] {
            for low in [0x7FFFu32, 0x8000, 0x8001, 0x0000, 0xFFFF] {
                cases.push(f32::from_bits(base | low));
                cases.push(-f32::from_bits(base | low));
            }
        }
        // A deterministic sweep of bit patterns.
        let mut s = 0x1234_5678u32;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            cases.push(f32::from_bits(s));
        }
        for x in cases {
            let (ours, theirs) = (round_bf16(x), reference(x));
            if x.is_nan() {
                assert!(ours.is_nan());
            } else {
                assert_eq!(ours.to_bits(), theirs.to_bits(), "x = {x:e} ({:#010x})", x.to_bits());
            }
        }
    }
}
