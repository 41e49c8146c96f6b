//! The working arithmetic of an operator run: every product and every
//! elementwise combination rounded to the storage type, exactly as `verify`
//! applies a table (f64; f32; bf16 or fp16 stored in f32 with f32
//! accumulation), and the two polynomial iterations the operators are made
//! of: msign (powers of X Xᵀ) and mcsgn (powers of X).

use nalgebra::DMatrix;

use crate::verify::Dtype;
use crate::verify::arith::Storage;

/// One arithmetic: its element type, how a value is stored, how the table's
/// coefficients are held.
pub trait Work {
    /// The element type of the working matrices.
    type T: nalgebra::RealField + Copy;
    /// The arithmetic's name.
    fn dtype(&self) -> Dtype;
    /// An f64 matrix cast once to the storage type (one rounding).
    fn cast(&self, m: &DMatrix<f64>) -> DMatrix<Self::T>;
    /// A working matrix widened to f64 (exact).
    fn widen(&self, m: &DMatrix<Self::T>) -> DMatrix<f64>;
    /// Rounds every entry to the storage type.
    fn round(&self, m: DMatrix<Self::T>) -> DMatrix<Self::T>;
    /// A scalar in the working type (correctly rounded from f64).
    fn scalar(&self, v: f64) -> Self::T;
    /// The table's rows in the working type (correctly rounded from the
    /// decimals; an f32 value for bf16/fp16, as `verify` multiplies them).
    fn rows(&self) -> &[Vec<Self::T>];
}

/// f64 throughout.
pub struct F64Work {
    /// Rows as f64.
    pub rows: Vec<Vec<f64>>,
}

/// f32 storage rounded to `storage` after every operation.
pub struct F32Work {
    /// Rows as f32.
    pub rows: Vec<Vec<f32>>,
    /// The rounding after every operation.
    pub storage: Storage,
}

impl Work for F64Work {
    type T = f64;
    fn dtype(&self) -> Dtype {
        Dtype::F64
    }
    fn cast(&self, m: &DMatrix<f64>) -> DMatrix<f64> {
        m.clone()
    }
    fn widen(&self, m: &DMatrix<f64>) -> DMatrix<f64> {
        m.clone()
    }
    fn round(&self, m: DMatrix<f64>) -> DMatrix<f64> {
        m
    }
    fn scalar(&self, v: f64) -> f64 {
        v
    }
    fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }
}

impl Work for F32Work {
    type T = f32;
    fn dtype(&self) -> Dtype {
        match self.storage {
            Storage::F32 => Dtype::F32,
            Storage::Bf16 => Dtype::Bf16,
            Storage::Fp16 => Dtype::Fp16,
        }
    }
    fn cast(&self, m: &DMatrix<f64>) -> DMatrix<f32> {
        m.map(|v| self.storage.from_f64(v))
    }
    fn widen(&self, m: &DMatrix<f32>) -> DMatrix<f64> {
        m.map(f64::from)
    }
    fn round(&self, m: DMatrix<f32>) -> DMatrix<f32> {
        self.storage.round_matrix(m)
    }
    fn scalar(&self, v: f64) -> f32 {
        v as f32
    }
    fn rows(&self) -> &[Vec<f32>] {
        &self.rows
    }
}

/// `A·B`, accumulated in the working type and rounded once.
pub fn mul<W: Work>(w: &W, a: &DMatrix<W::T>, b: &DMatrix<W::T>) -> DMatrix<W::T> {
    w.round(a * b)
}

/// `A + B`, rounded.
pub fn add<W: Work>(w: &W, a: &DMatrix<W::T>, b: &DMatrix<W::T>) -> DMatrix<W::T> {
    w.round(a + b)
}

/// `A − B`, rounded.
pub fn sub<W: Work>(w: &W, a: &DMatrix<W::T>, b: &DMatrix<W::T>) -> DMatrix<W::T> {
    w.round(a - b)
}

/// `c·A`, rounded.
pub fn scale<W: Work>(w: &W, a: &DMatrix<W::T>, c: f64) -> DMatrix<W::T> {
    w.round(a * w.scalar(c))
}

/// `A + c·I` (A square), rounded.
pub fn shift<W: Work>(w: &W, a: &DMatrix<W::T>, c: f64) -> DMatrix<W::T> {
    let mut m = a.clone();
    let c = w.scalar(c);
    for i in 0..m.nrows().min(m.ncols()) {
        m[(i, i)] += c;
    }
    w.round(m)
}

/// The n×n identity.
pub fn identity<W: Work>(n: usize) -> DMatrix<W::T> {
    DMatrix::identity(n, n)
}

/// ‖A‖_F accumulated in f64 from the stored values.
pub fn frobenius<T: nalgebra::RealField + Copy>(a: &DMatrix<T>) -> f64
where
    f64: From<T>,
{
    a.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt()
}

/// One polynomial step X' = c₀X + (Σ_{k≥1} c_k A^k)·X, with `a` the
/// accumulated square (X Xᵀ for msign, X·X for mcsgn) rounded here, then
/// the polynomial in A: the same operations in the same order as `verify`
/// (`B = b·A + c·(A·A)` for degree 5, Horner from degree 7 on).
pub fn poly_step<W: Work>(w: &W, x: &DMatrix<W::T>, a: DMatrix<W::T>, coeffs: &[W::T]) -> DMatrix<W::T> {
    let a = w.round(a);
    let q = coeffs.len() - 1;
    if q == 0 {
        return w.round(x * coeffs[0]);
    }
    if q == 2 {
        let a2 = w.round(&a * &a);
        let b = w.round(w.round(&a * coeffs[1]) + w.round(a2 * coeffs[2]));
        let bx = w.round(&b * x);
        let c0x = w.round(x * coeffs[0]);
        return w.round(c0x + bx);
    }
    let mut b = w.round(&a * coeffs[q]);
    for &ck in coeffs[1..q].iter().rev() {
        let ab = w.round(&a * &b);
        let cka = w.round(&a * ck);
        b = w.round(ab + cka);
    }
    let bx = w.round(&b * x);
    let c0x = w.round(x * coeffs[0]);
    w.round(c0x + bx)
}

/// The polynomial of a table row in the square `A`: `W = Σ c_k A^k`
/// (c₀ on the identity), rounded after every operation. The root iteration's
/// W = q(P).
pub fn poly_in<W: Work>(w: &W, a: &DMatrix<W::T>, coeffs: &[W::T]) -> DMatrix<W::T> {
    let n = a.nrows();
    let q = coeffs.len() - 1;
    let mut b = w.round(DMatrix::identity(n, n) * coeffs[q]);
    for &ck in coeffs[..q].iter().rev() {
        let ab = w.round(a * &b);
        let mut next = ab;
        for i in 0..n {
            next[(i, i)] += ck;
        }
        b = w.round(next);
    }
    b
}

/// msign(M) by the table: X₀ = M/‖M‖_F (the norm accumulated in f64 from the
/// stored values, the quotient rounded once), the short side's Gram matrix,
/// `order[t]` the row of step t. A zero matrix gives zero (msign(0) = 0).
pub fn msign<W: Work>(w: &W, m: &DMatrix<W::T>, order: &[usize]) -> DMatrix<W::T>
where
    f64: From<W::T>,
{
    msign_with(w, m, order, &mut |_| {})
}

/// [`msign`], handing every iterate (short side first: n×m with n ≤ m) to
/// `on_step`.
pub fn msign_with<W: Work>(
    w: &W,
    m: &DMatrix<W::T>,
    order: &[usize],
    on_step: &mut dyn FnMut(&DMatrix<W::T>),
) -> DMatrix<W::T>
where
    f64: From<W::T>,
{
    let wide = m.nrows() <= m.ncols();
    let norm = frobenius(m);
    if norm == 0.0 {
        return m.clone();
    }
    let mut x = if wide { scale(w, m, 1.0 / norm) } else { scale(w, &m.transpose(), 1.0 / norm) };
    for &r in order {
        let a = &x * x.transpose();
        x = poly_step(w, &x, a, &w.rows()[r]);
        on_step(&x);
    }
    if wide { x } else { x.transpose() }
}

/// mcsgn(M) by the table on a square M: X₀ = M/√tr(M²), then the steps on
/// X itself (A = X·X), handing every iterate to `on_step` (none is kept);
/// returns the last, or `None` when tr(M²) ≤ 0 (no real scaling exists).
pub fn mcsgn_with<W: Work>(
    w: &W,
    m: &DMatrix<W::T>,
    order: &[usize],
    on_step: &mut dyn FnMut(&DMatrix<W::T>),
) -> Option<DMatrix<W::T>>
where
    f64: From<W::T>,
{
    let tr2 = trace_of_square(m);
    if !(tr2 > 0.0 && tr2.is_finite()) {
        return None;
    }
    let mut x = scale(w, m, 1.0 / tr2.sqrt());
    for &r in order {
        let a = &x * &x;
        x = poly_step(w, &x, a, &w.rows()[r]);
        on_step(&x);
    }
    Some(x)
}

/// tr(M²) = Σ_ij M_ij M_ji, accumulated in f64.
pub fn trace_of_square<T: nalgebra::RealField + Copy>(m: &DMatrix<T>) -> f64
where
    f64: From<T>,
{
    let n = m.nrows();
    let mut s = 0.0;
    for j in 0..n {
        for i in 0..n {
            s += f64::from(m[(i, j)]) * f64::from(m[(j, i)]);
        }
    }
    s
}
