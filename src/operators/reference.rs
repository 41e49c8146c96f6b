//! The f64 references the operators are measured against, none of which
//! uses a coefficient table: symmetric eigendecompositions (faer) for
//! Sylvester equations, roots, clipping and norms; the scaled Newton
//! iteration for the sign of a non-symmetric matrix; the Gram route of
//! `verify` for polar factors; central finite differences and two closed
//! forms for msign's derivative.

use nalgebra::DMatrix;

use crate::verify::reference::{ReferenceError, polar_reference, symmetric_eigen, symmetric_eigenvalues};

/// ‖A‖₂: the square root of the largest eigenvalue of the smaller Gram
/// matrix.
///
/// # Errors
///
/// [`ReferenceError`] for non-finite entries or no convergence.
pub fn spectral_norm(a: &DMatrix<f64>) -> Result<f64, ReferenceError> {
    let g = if a.nrows() <= a.ncols() { a * a.transpose() } else { a.transpose() * a };
    Ok(symmetric_eigenvalues(&g)?.last().copied().unwrap_or(0.0).max(0.0).sqrt())
}

/// ‖A − B‖_F / ‖B‖_F (0 when both are zero; infinite when only B is).
pub fn relative_frobenius(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let d = (a - b).norm();
    let n = b.norm();
    if n == 0.0 { if d == 0.0 { 0.0 } else { f64::INFINITY } } else { d / n }
}

/// mean |A_ij − B_ij|.
pub fn mean_abs_difference(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).iter().map(|v| v.abs()).sum::<f64>() / (a.len() as f64)
}

/// (A + Aᵀ)/2.
pub fn symmetrise(a: &DMatrix<f64>) -> DMatrix<f64> {
    (a + a.transpose()) * 0.5
}

/// f(S) = Q diag(f(λ)) Qᵀ for a symmetric S.
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn symmetric_function(s: &DMatrix<f64>, f: impl Fn(f64) -> f64) -> Result<DMatrix<f64>, ReferenceError> {
    let (values, q) = symmetric_eigen(s)?;
    let mut qf = q.clone();
    for (j, &l) in values.iter().enumerate() {
        qf.column_mut(j).scale_mut(f(l));
    }
    Ok(qf * q.transpose())
}

/// The solution of A X + X B = C for symmetric A (n×n) and B (m×m) from
/// their eigendecompositions: X = Q_A [(Q_Aᵀ C Q_B) ⊘ (α_i + β_j)] Q_Bᵀ.
/// Pairs with α_i + β_j = 0 (both zero: a singular system) contribute 0,
/// the solution a consistent right-hand side has there.
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn sylvester(a: &DMatrix<f64>, b: &DMatrix<f64>, c: &DMatrix<f64>) -> Result<DMatrix<f64>, ReferenceError> {
    let (alpha, qa) = symmetric_eigen(&symmetrise(a))?;
    let (beta, qb) = symmetric_eigen(&symmetrise(b))?;
    let mut k = qa.transpose() * c * &qb;
    for j in 0..k.ncols() {
        for i in 0..k.nrows() {
            let d = alpha[i] + beta[j];
            k[(i, j)] = if d == 0.0 { 0.0 } else { k[(i, j)] / d };
        }
    }
    Ok(qa * k * qb.transpose())
}

/// The polar factor of any shape (the Gram route of `verify` on the short
/// side).
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn polar(m: &DMatrix<f64>) -> Result<DMatrix<f64>, ReferenceError> {
    if m.nrows() <= m.ncols() {
        Ok(polar_reference(m)?.polar)
    } else {
        Ok(polar_reference(&m.transpose())?.polar.transpose())
    }
}

/// Singular values (descending) of any shape, from the short side's Gram
/// matrix.
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn singular_values(m: &DMatrix<f64>) -> Result<Vec<f64>, ReferenceError> {
    let g = if m.nrows() <= m.ncols() { m * m.transpose() } else { m.transpose() * m };
    let mut s: Vec<f64> = symmetric_eigenvalues(&g)?.into_iter().map(|l| l.max(0.0).sqrt()).collect();
    s.reverse();
    Ok(s)
}

/// U clip_[α, β](Σ) Vᵀ for a tall M (n ≥ m): with MᵀM = V Λ Vᵀ,
/// M V diag(clip(σ)/σ) Vᵀ. Zero singular values stay zero (their left
/// vectors are not determined by M; no formula can reach them either).
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn clip(m: &DMatrix<f64>, f: impl Fn(f64) -> f64) -> Result<DMatrix<f64>, ReferenceError> {
    let (values, v) = symmetric_eigen(&(m.transpose() * m))?;
    let mut vf = v.clone();
    for (j, &l) in values.iter().enumerate() {
        let s = l.max(0.0).sqrt();
        vf.column_mut(j).scale_mut(if s > 0.0 { f(s) / s } else { 0.0 });
    }
    Ok(m * (vf * v.transpose()))
}

/// Most Newton steps of the sign reference.
pub const SIGN_NEWTON_STEPS: usize = 100;

/// Relative change ‖S_{k+1} − S_k‖_F/‖S_{k+1}‖_F at which the Newton sign
/// iteration has converged: a few hundred f64 ulps.
pub const SIGN_NEWTON_TOL: f64 = 1e-13;

/// The matrix sign of a square matrix without eigenvalues on the imaginary
/// axis, by the scaled Newton iteration S ← (μS + (μS)⁻¹)/2 with
/// μ = √(‖S⁻¹‖_F/‖S‖_F) (Higham, *Functions of Matrices*, §5.3; LU
/// inverses), unscaled once the change is below 1e-2, until the change is
/// below [`SIGN_NEWTON_TOL`]. A symmetric matrix goes through its
/// eigendecomposition instead.
///
/// # Errors
///
/// A message when an iterate is singular or the iteration does not settle.
pub fn matrix_sign(m: &DMatrix<f64>) -> Result<DMatrix<f64>, String> {
    if m == &m.transpose() {
        return symmetric_function(m, |l| {
            if l > 0.0 {
                1.0
            } else if l < 0.0 {
                -1.0
            } else {
                0.0
            }
        })
        .map_err(|e| e.to_string());
    }
    let mut s = m.clone();
    let mut change = f64::INFINITY;
    for _ in 0..SIGN_NEWTON_STEPS {
        let inv = s.clone().try_inverse().ok_or("an iterate of the Newton sign iteration is singular")?;
        let mu = if change > 1e-2 { (inv.norm() / s.norm()).sqrt() } else { 1.0 };
        let next = (&s * mu + inv / mu) * 0.5;
        change = (&next - &s).norm() / next.norm();
        s = next;
        if !change.is_finite() {
            return Err("the Newton sign iteration overflowed".into());
        }
        if change <= SIGN_NEWTON_TOL {
            return Ok(s);
        }
    }
    Err(format!("the Newton sign iteration did not settle in {SIGN_NEWTON_STEPS} steps (last change {change:.2e})"))
}

/// Eigenvalues of a general square matrix (faer), as (real, imaginary) parts.
///
/// # Errors
///
/// [`ReferenceError`] for non-finite input or no convergence.
pub fn eigenvalues(m: &DMatrix<f64>) -> Result<Vec<(f64, f64)>, ReferenceError> {
    if !m.iter().all(|v| v.is_finite()) {
        return Err(ReferenceError::NonFinite);
    }
    let n = m.nrows();
    let view = faer::MatRef::from_column_major_slice(m.as_slice(), n, n);
    faer::set_global_parallelism(faer::Par::Seq);
    let values = view.eigenvalues().map_err(|_| ReferenceError::NoConvergence)?;
    Ok(values.iter().map(|z| (z.re, z.im)).collect())
}

/// ⟨G, msign(M)⟩ in f64 (the loss whose gradient msign-grad computes).
fn loss(m: &DMatrix<f64>, g: &DMatrix<f64>) -> Result<f64, ReferenceError> {
    Ok(polar(m)?.dot(g))
}

/// Step of the central differences, relative to max |M_ij|: the truncation
/// error (h/σ_min)² and the rounding error ε/h are both near 1e-10 for a
/// well-conditioned M.
pub const FD_RELATIVE_STEP: f64 = 1e-5;

/// Most entries differenced (2 polar factors per entry).
pub const FD_MAX_ENTRIES: usize = 4096;

/// ∇_M ⟨G, msign(M)⟩ by central differences, entry by entry.
///
/// # Errors
///
/// [`ReferenceError`] from the polar factors.
pub fn gradient_by_differences(m: &DMatrix<f64>, g: &DMatrix<f64>) -> Result<DMatrix<f64>, ReferenceError> {
    let h = FD_RELATIVE_STEP * m.amax();
    let mut out = DMatrix::zeros(m.nrows(), m.ncols());
    let mut probe = m.clone();
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let v = m[(i, j)];
            probe[(i, j)] = v + h;
            let up = loss(&probe, g)?;
            probe[(i, j)] = v - h;
            let down = loss(&probe, g)?;
            probe[(i, j)] = v;
            out[(i, j)] = (up - down) / (2.0 * h);
        }
    }
    Ok(out)
}

/// ∇_M from the exact Sylvester route: O = msign(M), A = M Oᵀ, B = OᵀM,
/// A X + X B = G by eigendecompositions, ∇ = X − O Xᵀ O (any shape).
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn gradient_by_sylvester(m: &DMatrix<f64>, g: &DMatrix<f64>) -> Result<DMatrix<f64>, ReferenceError> {
    let o = polar(m)?;
    let a = m * o.transpose();
    let b = o.transpose() * m;
    let x = sylvester(&a, &b, g)?;
    Ok(&x - &o * x.transpose() * &o)
}

/// ∇_M by the SVD closed form 2U(H ⊙ skew(UᵀGV))Vᵀ, H_ij = 1/(σ_i + σ_j),
/// for a square full-rank M (the thin SVD of a rectangular M misses the
/// complement term, so this form is square-only).
///
/// # Errors
///
/// [`ReferenceError`] from the eigensolver.
pub fn gradient_by_svd(m: &DMatrix<f64>, g: &DMatrix<f64>) -> Result<DMatrix<f64>, ReferenceError> {
    let (lambda, v) = symmetric_eigen(&(m.transpose() * m))?;
    let sigma: Vec<f64> = lambda.iter().map(|l| l.max(0.0).sqrt()).collect();
    let mut u = m * &v;
    for (j, s) in sigma.iter().enumerate() {
        u.column_mut(j).scale_mut(1.0 / s);
    }
    let k = u.transpose() * g * &v;
    let n = sigma.len();
    let inner = DMatrix::from_fn(n, n, |i, j| (k[(i, j)] - k[(j, i)]) / (sigma[i] + sigma[j]));
    Ok(&u * inner * v.transpose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_of_a_non_normal_matrix() {
        // Upper triangular with eigenvalues 2 and −1: sign = [[1, 2b/3], [0, −1]]
        // for the (1,2) entry b (the sign is a polynomial in M: (2M − I)/3·…).
        let m = DMatrix::from_row_slice(2, 2, &[2.0, 3.0, 0.0, -1.0]);
        let s = matrix_sign(&m).unwrap();
        let expected = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, -1.0]);
        assert!((s - expected).amax() < 1e-14);
    }

    #[test]
    fn sylvester_solves() {
        let a = DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]);
        let b = DMatrix::from_row_slice(3, 3, &[3.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0]);
        let c = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let x = sylvester(&a, &b, &c).unwrap();
        assert!((&a * &x + &x * &b - c).amax() < 1e-14);
    }
}
