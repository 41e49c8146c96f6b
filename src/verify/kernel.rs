//! The dense kernels of a verification on faer: products, symmetric
//! (`X Xᵀ`) products computed once, elementwise passes that fuse the
//! low-precision rounding into the combination, and eigenvalues without
//! vectors.
//!
//! **Determinism.** Products run on all of rayon's threads; faer splits the
//! output among them and never a sum, so a product is bit-for-bit the same
//! for any thread count (`tests/verify.rs` checks this against a sequential
//! run). Eigenvalues of order [`TWO_STAGE_MIN`] and above come from the
//! two-stage solver of [`super::eigenvalues`] (products, then sequential
//! chasing), deterministic in the same way; faer's own symmetric
//! eigensolver sums in an order that depends on its thread count, so it runs
//! sequentially, for smaller eigenvalue problems and for the eigenvectors the
//! reference needs ([`symmetric_eigen`]). A measurement needs four
//! eigenvalues of two matrices: it reduces both to tridiagonal form side by
//! side and bisects for those four ([`symmetric_eigenvalues_selected_pair`]).
//!
//! **Cost.** `X Xᵀ` (n×m, n ≤ m) computes only the lower triangle (n²m
//! flops, half a general product's 2n²m), then mirrors it; so does `A·A`
//! for a symmetric A (n³ flops instead of 2n³). A degree-5 step costs those
//! two symmetric products and the n×m product B·X (2n²m): 4n³ for a square
//! X, against 5n³ with general products. From degree 7 on, Horner adds q−1
//! general n×n products.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, Mat, MatRef, Par, Side};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// The real types a verification runs in.
pub trait Real:
    faer::traits::RealField
    + Copy
    + Send
    + Sync
    + 'static
    + core::ops::Add<Output = Self>
    + core::ops::Sub<Output = Self>
    + core::ops::Mul<Output = Self>
    + core::ops::Div<Output = Self>
    + core::ops::AddAssign
{
    /// Widened to f64 (exact for f32).
    fn to_f64(self) -> f64;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Whether this is f64 (a run in it is measured in its own arithmetic).
    const IS_F64: bool;
    /// `m` itself when this is f64 (`None` otherwise): a measurement
    /// borrows an f64 matrix instead of copying it.
    fn as_f64(m: &Mat<Self>) -> Option<&Mat<f64>>;
}

impl Real for f64 {
    const IS_F64: bool = true;
    fn to_f64(self) -> f64 {
        self
    }
    fn as_f64(m: &Mat<Self>) -> Option<&Mat<f64>> {
        Some(m)
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl Real for f32 {
    const IS_F64: bool = false;
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn as_f64(_: &Mat<Self>) -> Option<&Mat<f64>> {
        None
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

fn par() -> Par {
    Par::rayon(0)
}

/// A faer copy of a nalgebra matrix.
pub fn from_nalgebra<T: Real>(m: &DMatrix<T>) -> Mat<T> {
    let view = MatRef::from_column_major_slice(m.as_slice(), m.nrows(), m.ncols());
    view.to_owned()
}

/// A nalgebra copy of a faer matrix.
pub fn to_nalgebra<T: Real>(m: MatRef<'_, T>) -> DMatrix<T> {
    let mut out = DMatrix::from_element(m.nrows(), m.ncols(), T::ZERO);
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            out[(i, j)] = m[(i, j)];
        }
    }
    out
}

/// `m` itself when column-major, otherwise a column-major copy kept in
/// `copy`: faer's kernel is several times slower on a transposed
/// (row-major) operand at large sizes.
fn column_major<'a, T: Real>(m: MatRef<'a, T>, copy: &'a mut Option<Mat<T>>) -> MatRef<'a, T> {
    if m.row_stride() == 1 { m } else { copy.insert(m.to_owned()).as_ref() }
}

/// `A B`.
pub fn product<T: Real>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Mat<T> {
    let (mut a_copy, mut b_copy) = (None, None);
    let (a, b) = (column_major(a, &mut a_copy), column_major(b, &mut b_copy));
    let mut out = Mat::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, T::ONE, par());
    out
}

/// `X Xᵀ`: the lower triangle computed once, mirrored to a full matrix
/// (through a transposed copy of X; [`gram_t`] needs none).
pub fn gram<T: Real>(x: MatRef<'_, T>) -> Mat<T> {
    gram_t(transpose(x).as_ref())
}

/// `X Xᵀ` from `xt` = Xᵀ (m×n, column-major): the lower triangle computed
/// once, mirrored to a full n×n matrix.
pub fn gram_t<T: Real>(xt: MatRef<'_, T>) -> Mat<T> {
    symmetric_product(xt.transpose(), xt)
}

/// `A²` of a symmetric `a` (exactly symmetric as stored, e.g. a [`gram_t`]
/// result): entry (i, j) is the dot product of row i and column j, as in a
/// general product, but only the lower triangle is computed (half the
/// work) and mirrored, so the result is exactly symmetric too. Both
/// operands are `a` itself, column-major (Aᵀ = A), which faer's kernel
/// reads fastest.
pub fn symmetric_square<T: Real>(a: MatRef<'_, T>) -> Mat<T> {
    assert_eq!(a.nrows(), a.ncols(), "symmetric_square: a square matrix");
    symmetric_product(a, a)
}

/// `lhs · rhs` for a product known to be symmetric: the lower triangle
/// computed, then mirrored.
fn symmetric_product<T: Real>(lhs: MatRef<'_, T>, rhs: MatRef<'_, T>) -> Mat<T> {
    let n = lhs.nrows();
    let mut out = Mat::zeros(n, n);
    triangular_matmul(
        out.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        lhs,
        BlockStructure::Rectangular,
        rhs,
        BlockStructure::Rectangular,
        T::ONE,
        par(),
    );
    mirror_lower(&mut out);
    out
}

/// Copies the strict lower triangle onto the upper one, in tiles (a tile
/// of rows is read while the matching tile of columns is written, both in
/// cache).
fn mirror_lower<T: Real>(out: &mut Mat<T>) {
    let n = out.nrows();
    for j0 in (0..n).step_by(TILE) {
        for i0 in (0..=j0).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                for i in i0..(i0 + TILE).min(j) {
                    out[(i, j)] = out[(j, i)];
                }
            }
        }
    }
}

/// Side of the tiles a transpose copies (two 64 × 64 f64 tiles fit in L1).
const TILE: usize = 64;

/// Xᵀ as a column-major matrix, copied tile by tile, tiles on all threads.
pub fn transpose<T: Real>(x: MatRef<'_, T>) -> Mat<T> {
    let (n, m) = (x.nrows(), x.ncols());
    let mut out = Mat::zeros(m, n);
    out.as_mut().par_col_chunks_mut(TILE).enumerate().for_each(|(c, mut block)| {
        // Output columns i0.. are rows i0.. of X.
        let i0 = c * TILE;
        for j0 in (0..m).step_by(TILE) {
            for i in 0..block.ncols() {
                for j in j0..(j0 + TILE).min(m) {
                    block[(j, i)] = x[(i0 + i, j)];
                }
            }
        }
    });
    out
}

/// Every entry through `f`, in place, one pass, columns on all threads.
pub fn map_in_place<T: Real>(m: &mut Mat<T>, f: impl Fn(T) -> T + Sync) {
    m.as_mut().par_col_iter_mut().for_each(|col| {
        for v in col.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut() {
            *v = f(*v);
        }
    });
}

/// `out_ij = f(out_ij, other_ij)` in place, one pass, columns on all threads
/// (shapes must agree).
pub fn zip_in_place<T: Real>(out: &mut Mat<T>, other: &Mat<T>, f: impl Fn(T, T) -> T + Sync) {
    assert_eq!((out.nrows(), out.ncols()), (other.nrows(), other.ncols()), "zip_in_place: shapes differ");
    out.as_mut().par_col_iter_mut().enumerate().for_each(|(j, col)| {
        let src = other.col_as_slice(j);
        let dst = col.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut();
        for (v, &w) in dst.iter_mut().zip(src) {
            *v = f(*v, w);
        }
    });
}

/// Every entry through `f` into a new matrix.
pub fn map<T: Real>(m: &Mat<T>, f: impl Fn(T) -> T + Sync) -> Mat<T> {
    let mut out = m.clone();
    map_in_place(&mut out, f);
    out
}

/// Whether every entry is finite.
pub fn all_finite<T: Real>(m: &Mat<T>) -> bool {
    (0..m.ncols()).all(|j| m.col_as_slice(j).iter().all(|v| v.to_f64().is_finite()))
}

/// Largest |m_ij|.
pub fn max_abs<T: Real>(m: &Mat<T>) -> f64 {
    (0..m.ncols()).flat_map(|j| m.col_as_slice(j).iter()).fold(0.0, |a, v| a.max(v.to_f64().abs()))
}

/// Widened to f64.
pub fn to_f64<T: Real>(m: &Mat<T>) -> Mat<f64> {
    let mut out = Mat::zeros(m.nrows(), m.ncols());
    out.as_mut().par_col_iter_mut().enumerate().for_each(|(j, col)| {
        let dst = col.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut();
        for (v, &w) in dst.iter_mut().zip(m.col_as_slice(j)) {
            *v = w.to_f64();
        }
    });
    out
}

/// `x − p` in f64 (x widened exactly), one pass, columns on all threads
/// (shapes must agree).
pub fn difference_f64<T: Real>(x: &Mat<T>, p: &Mat<f64>) -> Mat<f64> {
    assert_eq!((x.nrows(), x.ncols()), (p.nrows(), p.ncols()), "difference_f64: shapes differ");
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    out.as_mut().par_col_iter_mut().enumerate().for_each(|(j, col)| {
        let dst = col.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut();
        for ((v, &a), &b) in dst.iter_mut().zip(x.col_as_slice(j)).zip(p.col_as_slice(j)) {
            *v = a.to_f64() - b;
        }
    });
    out
}

/// From this order on, the reduction to tridiagonal form is the two-stage
/// one of [`super::eigenvalues`]; below it faer's one-stage reduction, run
/// sequentially. Measured here for whole spectra, two problems side by
/// side (the reduction is most of it): n = 1024, faer 0.13 s, two-stage
/// 0.25 s; 1536: 0.51 s, 0.57 s; 2048: 1.72 s, 1.17 s; 4096: 12.5 s, 6.9 s.
/// At 1024 the two-stage band reduction alone takes 80–114 ms (bands 8 to
/// 64), more than faer's whole reduction.
pub const TWO_STAGE_MIN: usize = 2048;

/// Eigenvalues (ascending) of a symmetric matrix (its lower triangle is
/// read), or `None` when the solver does not converge (or, for the
/// two-stage solver, the matrix is not finite).
pub fn symmetric_eigenvalues(s: MatRef<'_, f64>) -> Option<Vec<f64>> {
    if s.nrows() >= TWO_STAGE_MIN {
        super::eigenvalues::symmetric_eigenvalues(s)
    } else {
        faer::set_global_parallelism(Par::Seq);
        s.self_adjoint_eigenvalues(Side::Lower).ok()
    }
}

/// The eigenvalues of the given ascending ranks (0 is the smallest) of a
/// symmetric matrix (its lower triangle is read), or `None` when it is not
/// finite: its tridiagonal form (faer's one-stage reduction, sequential,
/// below [`TWO_STAGE_MIN`]; the two-stage one from there on), then
/// bisection for those eigenvalues only
/// ([`super::eigenvalues::tridiagonal_selected`]), where the full spectrum
/// by tridiagonal QR costs a quarter of the one-stage solve at order 1024.
pub fn symmetric_eigenvalues_selected(s: MatRef<'_, f64>, ranks: &[usize]) -> Option<Vec<f64>> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd::tridiag;
    let n = s.nrows();
    assert_eq!(n, s.ncols(), "symmetric eigenvalues: the matrix is not square");
    if n >= TWO_STAGE_MIN {
        return super::eigenvalues::symmetric_eigenvalues_selected(s, ranks);
    }
    if !super::eigenvalues::lower_is_finite(s) {
        return None;
    }
    let mut t = s.to_owned();
    if n > 1 {
        let block = faer::linalg::qr::no_pivoting::factor::recommended_block_size::<f64>(n, n);
        let mut householder = Mat::<f64>::zeros(block, n - 1);
        let mut scratch = MemBuffer::new(tridiag::tridiag_in_place_scratch::<f64>(n, Par::Seq, Default::default()));
        tridiag::tridiag_in_place(
            t.as_mut(),
            householder.as_mut(),
            Par::Seq,
            MemStack::new(&mut scratch),
            Default::default(),
        );
    }
    let d: Vec<f64> = (0..n).map(|i| t[(i, i)]).collect();
    let e: Vec<f64> = (1..n).map(|i| t[(i, i - 1)]).collect();
    Some(super::eigenvalues::tridiagonal_selected(&d, &e, ranks))
}

/// [`symmetric_eigenvalues_selected`] of two matrices, side by side (each
/// one's products on the threads the other leaves free).
pub fn symmetric_eigenvalues_selected_pair(
    a: MatRef<'_, f64>,
    a_ranks: &[usize],
    b: MatRef<'_, f64>,
    b_ranks: &[usize],
) -> (Option<Vec<f64>>, Option<Vec<f64>>) {
    rayon::join(|| symmetric_eigenvalues_selected(a, a_ranks), || symmetric_eigenvalues_selected(b, b_ranks))
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.
pub fn symmetric_eigen(s: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    faer::set_global_parallelism(Par::Seq);
    let e = s.self_adjoint_eigen(Side::Lower).ok()?;
    let n = s.nrows();
    let values = (0..n).map(|i| e.S().column_vector()[i]).collect();
    Some((values, e.U().to_owned()))
}

/// The thin Q factor of `a` (m×n, m ≥ n) from its Householder QR, each
/// column's sign chosen so that R has a non-negative diagonal. For a
/// Gaussian `a` this Q is Haar-distributed (without the sign choice it is
/// not). Blocked and sequential: faer's parallel factorisation and
/// Householder application give thread-count-dependent bits (seen at 96 ×
/// 96), so both run on one thread and the result is the same on any machine
/// (checked in `tests/verify.rs`).
pub fn thin_q_positive(mut a: Mat<f64>) -> Mat<f64> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::{householder, qr::no_pivoting::factor};
    let (m, n) = (a.nrows(), a.ncols());
    assert!(m >= n, "thin_q_positive: needs m >= n");
    let block = factor::recommended_block_size::<f64>(m, n);
    let mut coeff = Mat::<f64>::zeros(block, n);
    factor::qr_in_place(
        a.as_mut(),
        coeff.as_mut(),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(factor::qr_in_place_scratch::<f64>(
            m,
            n,
            block,
            Par::Seq,
            Default::default(),
        ))),
        Default::default(),
    );
    let signs: Vec<f64> = (0..n).map(|j| if a[(j, j)] < 0.0 { -1.0 } else { 1.0 }).collect();
    let mut q = Mat::<f64>::identity(m, n);
    householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
        a.as_ref(),
        coeff.as_ref(),
        faer::Conj::No,
        q.as_mut(),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(
            householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(m, block, n),
        )),
    );
    q.as_mut().par_col_iter_mut().enumerate().for_each(|(j, col)| {
        if signs[j] < 0.0 {
            for v in col.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut() {
                *v = -*v;
            }
        }
    });
    q
}
