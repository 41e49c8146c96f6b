//! The exact polar factor U Vᵀ and singular values in f64, from the
//! eigendecomposition of the short-side Gram matrix.
//!
//! For M (n×m, n ≤ m), G = M Mᵀ = W Λ Wᵀ gives σ = √λ and
//! U Vᵀ = W Λ^(-1/2) Wᵀ M. The products and the eigendecomposition are the
//! [`kernel`](super::kernel)'s (faer; deterministic, see there).
//!
//! Accuracy: the Gram matrix squares the condition number, so σ_i is accurate
//! to about ε·σ_max²/σ_i² relative (1e-10 for σ_i = 1e-3·σ_max). The polar
//! factor would inherit ε·(σ_max/σ_min)² too; Newton–Schulz refinement steps
//! (at most [`POLAR_REFINE_STEPS`]) bring it back to f64 rounding.
//! [`REFERENCE_MIN_RATIO`] flags matrices where the eigenvectors themselves
//! are no longer a reference.

use faer::{Mat, MatRef};
use nalgebra::DMatrix;

use super::kernel::{self, from_nalgebra, gram, product, to_nalgebra};

/// Below this σ_min/σ_max the Gram-based reference loses more than half of
/// the f64 digits; the report carries a warning.
pub const REFERENCE_MIN_RATIO: f64 = 1e-6;

/// Why a reference or a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The matrix holds NaN or infinite entries (an overflowed iteration).
    #[error("the matrix has non-finite entries")]
    NonFinite,
    /// The symmetric eigensolver did not converge.
    #[error("the symmetric eigensolver did not converge")]
    NoConvergence,
}

fn finite(s: &DMatrix<f64>) -> Result<(), ReferenceError> {
    if s.iter().all(|v| v.is_finite()) { Ok(()) } else { Err(ReferenceError::NonFinite) }
}

fn finite_mat(s: &Mat<f64>) -> Result<(), ReferenceError> {
    if kernel::all_finite(s) { Ok(()) } else { Err(ReferenceError::NonFinite) }
}

/// Eigenvalues (ascending) of a symmetric matrix (its lower triangle is read).
///
/// # Errors
///
/// [`ReferenceError`] for non-finite input or no convergence.
pub fn symmetric_eigenvalues(s: &DMatrix<f64>) -> Result<Vec<f64>, ReferenceError> {
    finite(s)?;
    let n = s.nrows();
    kernel::symmetric_eigenvalues(MatRef::from_column_major_slice(s.as_slice(), n, n))
        .ok_or(ReferenceError::NoConvergence)
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.
///
/// # Errors
///
/// [`ReferenceError`] for non-finite input or no convergence.
pub fn symmetric_eigen(s: &DMatrix<f64>) -> Result<(Vec<f64>, DMatrix<f64>), ReferenceError> {
    finite(s)?;
    let n = s.nrows();
    let (values, vectors) = kernel::symmetric_eigen(MatRef::from_column_major_slice(s.as_slice(), n, n))
        .ok_or(ReferenceError::NoConvergence)?;
    Ok((values, to_nalgebra(vectors.as_ref())))
}

/// Largest |(PPᵀ − I)_ij| at which the polar factor counts as refined.
pub const POLAR_REFINE_TOL: f64 = 4.0 * f64::EPSILON;

/// Most Newton–Schulz refinement steps of the reference.
pub const POLAR_REFINE_STEPS: usize = 3;

/// Polishes an approximate polar factor with cubic Newton–Schulz steps
/// P ← 1.5P − 0.5(PPᵀ)P. The Gram-based P is S·UVᵀ with S symmetric positive
/// definite near I (its eigenvalue errors), and the polar factor of S·UVᵀ is
/// UVᵀ itself: the refinement removes the squared-condition error instead of
/// inheriting it.
///
/// With G = PPᵀ − I, a step leaves P'P'ᵀ − I = −¾G² + ¼G³ in exact
/// arithmetic. So the refinement stops when max|G_ij| ≤ [`POLAR_REFINE_TOL`],
/// or right after a step taken with ¾·max|G_ij|² ≤ ε, which leaves only the
/// step's own rounding (checking that would cost another Gram matrix and
/// could only show rounding), or after [`POLAR_REFINE_STEPS`] steps.
fn refine_polar(mut p: Mat<f64>) -> Mat<f64> {
    for _ in 0..POLAR_REFINE_STEPS {
        let mut g = gram(p.as_ref());
        for i in 0..g.nrows() {
            g[(i, i)] -= 1.0;
        }
        let e = kernel::max_abs(&g);
        if e <= POLAR_REFINE_TOL {
            break;
        }
        // 1.5P − 0.5(G + I)P = P − 0.5·G·P with G = PPᵀ − I.
        let gp = product(g.as_ref(), p.as_ref());
        kernel::zip_in_place(&mut p, &gp, |v, w| v - 0.5 * w);
        if 0.75 * e * e <= f64::EPSILON {
            break;
        }
    }
    p
}

/// The reference for one matrix.
#[derive(Debug, Clone)]
pub struct Reference {
    /// U Vᵀ, n×m.
    pub polar: DMatrix<f64>,
    /// Singular values, descending.
    pub singular_values: Vec<f64>,
}

/// Computes the reference of `m` (n×m with n ≤ m, full row rank).
///
/// # Errors
///
/// [`ReferenceError`] when `m` or its Gram matrix is not finite, or the
/// eigensolver fails.
pub fn polar_reference(m: &DMatrix<f64>) -> Result<Reference, ReferenceError> {
    finite(m)?;
    let (polar, singular_values) = polar_reference_mat(&from_nalgebra(m))?;
    Ok(Reference { polar: to_nalgebra(polar.as_ref()), singular_values })
}

/// [`polar_reference`] on a faer matrix: U Vᵀ and σ (descending).
///
/// # Errors
///
/// As [`polar_reference`].
pub fn polar_reference_mat(m: &Mat<f64>) -> Result<(Mat<f64>, Vec<f64>), ReferenceError> {
    finite_mat(m)?;
    let g = gram(m.as_ref());
    finite_mat(&g)?;
    let (values, w) = kernel::symmetric_eigen(g.as_ref()).ok_or(ReferenceError::NoConvergence)?;
    let sigma: Vec<f64> = values.iter().map(|&l| l.max(0.0).sqrt()).collect();
    // W diag(1/σ) Wᵀ M, the symmetric factor formed as C Cᵀ with
    // C = W diag(σ^(-1/2)) (one triangle, half a product); a zero σ (rank
    // deficiency) contributes nothing.
    let mut scaled = w;
    for (j, s) in sigma.iter().enumerate() {
        let inv = if *s > 0.0 { 1.0 / s.sqrt() } else { 0.0 };
        for v in scaled.col_as_slice_mut(j) {
            *v *= inv;
        }
    }
    let left = gram(scaled.as_ref());
    drop(scaled);
    let polar = refine_polar(product(left.as_ref(), m.as_ref()));
    finite_mat(&polar)?;
    let mut singular_values = sigma;
    singular_values.reverse();
    Ok((polar, singular_values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polar_of_a_known_matrix() {
        // M = diag(2, 0.5) · R(θ) with a rotation R: polar factor R, σ = 2, 0.5.
        let (c, s) = (0.6f64, 0.8f64);
        let r = DMatrix::from_row_slice(2, 3, &[c, -s, 0.0, s, c, 0.0]);
        let m = DMatrix::from_row_slice(2, 2, &[2.0, 0.0, 0.0, 0.5]) * &r;
        let reference = polar_reference(&m).unwrap();
        assert!((reference.polar - r).abs().max() < 1e-15);
        assert!((reference.singular_values[0] - 2.0).abs() < 1e-15);
        assert!((reference.singular_values[1] - 0.5).abs() < 1e-15);
    }
}
