//! Eigenvalues of a dense symmetric matrix in two stages: a blocked
//! reduction to a band (products), a band-to-tridiagonal reduction by bulge
//! chasing, and the implicit QR iteration on the tridiagonal matrix.
//!
//! A one-stage reduction (LAPACK's `dsytrd`, faer's) reads the whole
//! trailing matrix once per column with a matrix–vector product, so at
//! n = 4096 it is bound by memory bandwidth (10 s on one core here). The
//! first stage below moves most of the work into matrix–matrix products
//! (faer's, on all threads), the second works on a compact copy of the
//! diagonals within 2b of the main one, and the third costs O(n²).
//!
//! **Accuracy.** Every transformation is an orthogonal similarity by
//! Householder reflectors or plane rotations, so the eigenvalues are those
//! of a matrix within a small multiple of ε‖A‖ of A (backward stable), as
//! for any dense symmetric eigensolver; the tests compare with faer's to
//! that bound.
//!
//! **Determinism.** The products are faer's, split by output among the
//! threads; everything else is sequential: the same bits for any thread
//! count.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, Mat, MatRef, Par};

/// Band width of the first stage: the inner dimension of its rank-2b
/// updates (wider is faster in the products, slower in the chase).
pub const BAND: usize = 32;

/// Most implicit QR sweeps per eigenvalue before giving up.
const MAX_SWEEPS_PER_EIGENVALUE: usize = 30;

/// Eigenvalues (ascending) of the symmetric matrix `a` (its lower triangle
/// is read), or `None` when the tridiagonal QR iteration does not converge
/// or `a` holds non-finite entries.
pub fn symmetric_eigenvalues(a: MatRef<'_, f64>) -> Option<Vec<f64>> {
    let (d, e) = tridiagonal(a)?;
    tridiagonal_eigenvalues(d, e)
}

/// The eigenvalues of the given ascending ranks (0 is the smallest) of the
/// symmetric matrix `a` (its lower triangle is read), from its two-stage
/// tridiagonal form by bisection ([`tridiagonal_selected`]); `None` when
/// `a` holds non-finite entries.
pub fn symmetric_eigenvalues_selected(a: MatRef<'_, f64>, ranks: &[usize]) -> Option<Vec<f64>> {
    let (d, e) = tridiagonal(a)?;
    Some(tridiagonal_selected(&d, &e, ranks))
}

/// Stages 1 and 2: the diagonal and subdiagonal of a tridiagonal matrix
/// orthogonally similar to the symmetric `a` (its lower triangle is read),
/// or `None` when `a` holds non-finite entries.
pub fn tridiagonal(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "symmetric eigenvalues: the matrix is not square");
    // Every stage reads the lower triangle only.
    if !lower_is_finite(a) {
        return None;
    }
    let mut m = a.to_owned();
    to_band(&mut m, BAND);
    let mut band = Band::from_lower(&m, 2 * BAND);
    drop(m);
    Some(band_to_tridiagonal(&mut band, BAND))
}

/// Whether the lower triangle of `a` is finite.
pub fn lower_is_finite(a: MatRef<'_, f64>) -> bool {
    (0..a.ncols()).all(|j| a.col(j).iter().skip(j).all(|v| v.is_finite()))
}

/// Stage 1: reduces the symmetric `a` (its lower triangle is read and
/// updated; the upper is left stale) to bandwidth `b` by block Householder
/// similarities, panel by panel: the panel below the band is factored as
/// Q R, and the trailing matrix A₂₂
/// becomes Qᵀ A₂₂ Q = A₂₂ − U Wᵀ − W Uᵀ with Q = I − V T⁻¹ Vᵀ, U = V T⁻ᵀ
/// and W = A₂₂ V − ½ U (Vᵀ A₂₂ V).
pub fn to_band(a: &mut Mat<f64>, b: usize) {
    let n = a.nrows();
    let mut k = 0;
    while k + b + 1 < n {
        let r0 = k + b;
        let l = n - r0;
        let p = b.min(l);
        // The panel A[r0.., k..k+b] → [R; 0], its reflectors in V (l × p).
        let mut v = Mat::<f64>::zeros(l, p);
        for j in 0..p {
            let col = k + j;
            let x = &mut a.col_as_slice_mut(col)[r0 + j..];
            let Some((beta, tau)) = reflector(x, &mut v.col_as_slice_mut(j)[j..]) else {
                continue; // nothing below the head: the identity reflector
            };
            x[0] = beta;
            x[1..].fill(0.0);
            let vj = &v.col_as_slice(j)[j..];
            for c in col + 1..k + b {
                let y = &mut a.col_as_slice_mut(c)[r0 + j..];
                let f = tau * dot(vj, y);
                axpy(y, -f, vj);
            }
        }
        // T: Tⱼⱼ = vⱼᵀvⱼ / 2 (1 for an identity reflector), Tᵢⱼ = vᵢᵀvⱼ.
        let vtv = gram_cols(v.as_ref());
        let t = Mat::from_fn(p, p, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Less => vtv[(i, j)],
            std::cmp::Ordering::Equal => {
                if vtv[(i, i)] == 0.0 {
                    1.0
                } else {
                    vtv[(i, i)] / 2.0
                }
            }
            std::cmp::Ordering::Greater => 0.0,
        });
        // U = V T⁻ᵀ, i.e. U Tᵀ = V: column i of U is
        // (vᵢ − Σ_{j>i} Tᵢⱼ uⱼ) / Tᵢᵢ, from the last column back.
        let mut u = v.clone();
        for i in (0..p).rev() {
            for j in i + 1..p {
                let tij = t[(i, j)];
                let (left, right) = u.as_mut().split_at_col_mut(j);
                let (ui, uj) = (left.col_mut(i).try_as_col_major_mut().expect("owned"), right.col(0));
                let ui = ui.as_slice_mut();
                for (a, b) in ui.iter_mut().zip(uj.iter()) {
                    *a -= tij * b;
                }
            }
            let inv = 1.0 / t[(i, i)];
            for x in u.col_as_slice_mut(i) {
                *x *= inv;
            }
        }
        let mut a22 = a.as_mut().submatrix_mut(r0, r0, l, l);
        // X = A₂₂ V from A₂₂'s lower triangle: tril(A₂₂) V + stril(A₂₂)ᵀ V.
        let mut x = Mat::<f64>::zeros(l, p);
        triangular_matmul(
            x.as_mut(),
            BlockStructure::Rectangular,
            Accum::Replace,
            a22.as_ref(),
            BlockStructure::TriangularLower,
            v.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::rayon(0),
        );
        triangular_matmul(
            x.as_mut(),
            BlockStructure::Rectangular,
            Accum::Add,
            a22.as_ref().transpose(),
            BlockStructure::StrictTriangularUpper,
            v.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::rayon(0),
        );
        let mut mvx = Mat::<f64>::zeros(p, p);
        matmul(mvx.as_mut(), Accum::Replace, v.transpose(), x.as_ref(), 1.0, Par::Seq);
        // W = X − ½ U M.
        matmul(x.as_mut(), Accum::Add, u.as_ref(), mvx.as_ref(), -0.5, Par::Seq);
        // tril(A₂₂) −= tril([U W] [W U]ᵀ).
        let mut uw = Mat::<f64>::zeros(l, 2 * p);
        let mut wu = Mat::<f64>::zeros(l, 2 * p);
        uw.as_mut().subcols_mut(0, p).copy_from(&u);
        uw.as_mut().subcols_mut(p, p).copy_from(&x);
        wu.as_mut().subcols_mut(0, p).copy_from(&x);
        wu.as_mut().subcols_mut(p, p).copy_from(&u);
        triangular_matmul(
            a22.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            uw.as_ref(),
            BlockStructure::Rectangular,
            wu.transpose(),
            BlockStructure::Rectangular,
            -1.0,
            Par::rayon(0),
        );
        k += b;
    }
}

/// The Householder reflector H = I − τ v vᵀ with H x = β e₀: writes v
/// (v₀ = 1, `v.len() == x.len()`) and returns (β, τ), or `None` when x has
/// nothing below its head (the identity).
fn reflector(x: &[f64], v: &mut [f64]) -> Option<(f64, f64)> {
    let head = x[0];
    let tail2 = dot(&x[1..], &x[1..]);
    if tail2 == 0.0 {
        return None;
    }
    let beta = -head.signum() * (head * head + tail2).sqrt();
    let scale = 1.0 / (head - beta);
    v[0] = 1.0;
    for (w, xv) in v[1..].iter_mut().zip(&x[1..]) {
        *w = xv * scale;
    }
    Some((beta, 2.0 / dot(v, v)))
}

/// Σ xᵢyᵢ with four running sums (so that it vectorises).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xc.zip(yc) {
        for t in 0..4 {
            acc[t] += a[t] * b[t];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// y ← y + f·x.
fn axpy(y: &mut [f64], f: f64, x: &[f64]) {
    for (a, b) in y.iter_mut().zip(x) {
        *a += f * b;
    }
}

/// Vᵀ V.
fn gram_cols(v: MatRef<'_, f64>) -> Mat<f64> {
    let mut g = Mat::zeros(v.ncols(), v.ncols());
    matmul(g.as_mut(), Accum::Replace, v.transpose(), v, 1.0, Par::Seq);
    g
}

/// A symmetric matrix held by its diagonals within `w` of the main one, both
/// sides, column by column (column j holds rows j − w ..= j + w; rows
/// outside the matrix are padding): the chase's working set, a few MB where
/// the dense matrix is 134 MB at n = 4096.
pub struct Band {
    n: usize,
    w: usize,
    data: Vec<f64>,
}

impl Band {
    /// The band of width `w` of the symmetric matrix whose lower triangle is
    /// `a`'s.
    pub fn from_lower(a: &Mat<f64>, w: usize) -> Self {
        let n = a.nrows();
        let mut band = Self { n, w, data: vec![0.0; n * (2 * w + 1)] };
        for j in 0..n {
            for i in j.saturating_sub(w)..(j + w + 1).min(n) {
                band.set(i, j, if i >= j { a[(i, j)] } else { a[(j, i)] });
            }
        }
        band
    }

    fn index(&self, i: usize, j: usize) -> usize {
        debug_assert!(i + self.w >= j && i <= j + self.w, "({i}, {j}) outside the band");
        j * 2 * self.w + self.w + i
    }

    /// Entry (i, j), |i − j| ≤ w.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[self.index(i, j)]
    }

    fn set(&mut self, i: usize, j: usize, v: f64) {
        let k = self.index(i, j);
        self.data[k] = v;
    }

    /// Rows [r0, r1) of column j (all within w of j).
    fn rows(&self, j: usize, r0: usize, r1: usize) -> &[f64] {
        let (a, b) = (self.index(r0, j), self.index(r1 - 1, j) + 1);
        &self.data[a..b]
    }

    fn rows_mut(&mut self, j: usize, r0: usize, r1: usize) -> &mut [f64] {
        let (a, b) = (self.index(r0, j), self.index(r1 - 1, j) + 1);
        &mut self.data[a..b]
    }
}

/// Stage 2: reduces the symmetric band matrix `a` (bandwidth `b`, held in
/// a [`Band`] of width 2b, room for the fill) to tridiagonal form by Householder bulge chasing and
/// returns its diagonal and subdiagonal. Sweep i annihilates column i below
/// the subdiagonal with a reflector on rows [i+1, i+b]; its right-hand
/// application fills the block below, whose first column the next reflector
/// (b rows further down) annihilates, and so on to the end. The fill that
/// each chase step leaves in the block's other columns is the first column
/// of the same step of the next sweep.
pub fn band_to_tridiagonal(a: &mut Band, b: usize) -> (Vec<f64>, Vec<f64>) {
    let n = a.n;
    let b = b.max(1);
    assert!(a.w >= 2 * b, "band_to_tridiagonal: the chase needs a band of width 2b");
    let mut v = vec![0.0; b];
    let mut y = vec![0.0; n];
    for i in 0..n.saturating_sub(2) {
        let (mut c, mut r0) = (i, i + 1);
        while r0 + 1 < n {
            let r1 = (r0 + b).min(n);
            let len = r1 - r0;
            // Reflector on rows [r0, r1) mapping A[r0..r1, c] to β e₀.
            if let Some((beta, tau)) = reflector(a.rows(c, r0, r1), &mut v[..len]) {
                // Rows [r0, r1) hold nonzeros in columns [c, r1 + b − 1) at
                // most: the band, and the block of fill the previous sweep's
                // next chase step left in rows [r1 − 1, r1 + b − 1). All of
                // it lies within 2b of the diagonal.
                let hi = (r1 + b).min(n);
                // Left: A[R, W] ← H A[R, W] for the columns W = [c + 1, hi).
                for col in c + 1..hi {
                    let s = a.rows_mut(col, r0, r1);
                    let f = tau * dot(s, &v[..len]);
                    axpy(s, -f, &v[..len]);
                }
                // Right: A[W, R] ← A[W, R] H for the rows W = [c + 1, hi).
                let y = &mut y[c + 1..hi];
                y.fill(0.0);
                for (t, vt) in v[..len].iter().enumerate() {
                    axpy(y, *vt, a.rows(r0 + t, c + 1, hi));
                }
                for (t, vt) in v[..len].iter().enumerate() {
                    axpy(a.rows_mut(r0 + t, c + 1, hi), -tau * vt, y);
                }
                // Column c (and row c) now holds β at r0 and zeros below.
                a.set(r0, c, beta);
                a.set(c, r0, beta);
                for r in r0 + 1..r1 {
                    a.set(r, c, 0.0);
                    a.set(c, r, 0.0);
                }
            }
            c = r0;
            r0 = r1;
        }
    }
    let d = (0..n).map(|i| a.get(i, i)).collect();
    let e = (0..n.saturating_sub(1)).map(|i| a.get(i + 1, i)).collect();
    (d, e)
}

/// Stage 3: the eigenvalues (ascending) of the symmetric tridiagonal matrix
/// with diagonal `d` and subdiagonal `e`, by implicit QR steps with
/// Wilkinson's shift and deflation where |eᵢ| ≤ ε(|dᵢ| + |dᵢ₊₁|). `None`
/// after [`MAX_SWEEPS_PER_EIGENVALUE`]·n steps without convergence.
pub fn tridiagonal_eigenvalues(mut d: Vec<f64>, mut e: Vec<f64>) -> Option<Vec<f64>> {
    let n = d.len();
    let mut budget = MAX_SWEEPS_PER_EIGENVALUE * n.max(1);
    let mut end = n; // the block [start, end) still to converge
    while end > 1 {
        // Deflate converged trailing entries.
        let small = |e: f64, a: f64, b: f64| e.abs() <= f64::EPSILON * (a.abs() + b.abs());
        if small(e[end - 2], d[end - 2], d[end - 1]) {
            e[end - 2] = 0.0;
            end -= 1;
            continue;
        }
        // The unreduced block ending at end − 1.
        let mut start = end - 2;
        while start > 0 && !small(e[start - 1], d[start - 1], d[start]) {
            start -= 1;
        }
        if start > 0 {
            e[start - 1] = 0.0;
        }
        if budget == 0 {
            return None;
        }
        budget -= 1;
        qr_step(&mut d[start..end], &mut e[start..end - 1]);
    }
    d.sort_by(f64::total_cmp);
    Some(d)
}

/// Most bisection steps per eigenvalue: more than enough to go from the
/// Gershgorin interval (width at most 6 after scaling) to adjacent doubles
/// anywhere above the subnormals (about 1080 halvings); the stopping rule of
/// [`tridiagonal_selected`] ends long before.
const MAX_BISECTIONS: usize = 1100;

/// The eigenvalues of the given ascending ranks (0 is the smallest) of the
/// symmetric tridiagonal matrix with finite diagonal `d` and subdiagonal `e`
/// (len(e) = len(d) − 1), each by bisection on Sturm counts, in the order
/// the ranks are given.
///
/// The matrix is first scaled by a power of two (exact) so that its largest
/// entry is in [1/2, 1) and no square overflows or underflows to
/// uselessness. The count of eigenvalues below x runs the LDLᵀ recurrence
/// qᵢ = dᵢ − x − eᵢ₋₁²/qᵢ₋₁ with a pivot of magnitude below `pivmin`
/// replaced by −`pivmin` (as LAPACK's `dstebz`, `pivmin` = the smallest
/// normal f64 times max(1, max eᵢ²)). An eigenvalue is bracketed until the
/// bracket is narrower than ε·‖T‖ (absolute, ‖T‖ the larger Gershgorin
/// bound in magnitude: what any backward-stable solver resolves) or than
/// 2ε times its larger end (relative), then returned as the bracket's
/// midpoint. Agreement with [`tridiagonal_eigenvalues`] within a small
/// multiple of nε‖T‖ is tested below.
///
/// Entries that are not finite (a reduction that overflowed) give NaN for
/// every rank. Panics when a rank is not below len(d).
pub fn tridiagonal_selected(d: &[f64], e: &[f64], ranks: &[usize]) -> Vec<f64> {
    let n = d.len();
    assert_eq!(e.len(), n.saturating_sub(1), "tridiagonal_selected: len(e) must be len(d) - 1");
    assert!(ranks.iter().all(|&k| k < n), "tridiagonal_selected: rank past the order {n}");
    if !d.iter().chain(e).all(|v| v.is_finite()) {
        // A reduction that overflowed: no eigenvalue to bracket (checked
        // first: `max` below would skip a NaN).
        return vec![f64::NAN; ranks.len()];
    }
    let big = d.iter().chain(e).fold(0.0f64, |m, v| m.max(v.abs()));
    if big == 0.0 {
        return vec![0.0; ranks.len()];
    }
    // 2^-k with big·2^-k in [1/2, 1), k kept in [-1000, 1022] so that 2^-k
    // is a finite non-zero power of two (for big ≥ 2^1022 the scaled entries
    // stay below 4, their squares below 16): exact, and undone exactly at
    // the end. The scaled eigenvalues are at most 3·4 in magnitude; one
    // whose true value is beyond f64's range comes back infinite.
    let exponent = (big.log2().floor() as i32 + 1).clamp(-1000, 1022);
    let scale = 2f64.powi(-exponent);
    let d: Vec<f64> = d.iter().map(|v| v * scale).collect();
    let e2: Vec<f64> = e.iter().map(|v| (v * scale) * (v * scale)).collect();
    let pivmin = f64::MIN_POSITIVE * e2.iter().fold(1.0f64, |m, &v| m.max(v));
    let below = |x: f64| -> usize {
        let mut count = 0;
        let mut q = 1.0;
        for (i, &di) in d.iter().enumerate() {
            q = if i == 0 { di - x } else { di - x - e2[i - 1] / q };
            if q.abs() < pivmin {
                q = -pivmin;
            }
            count += usize::from(q < 0.0);
        }
        count
    };
    // Gershgorin bounds, widened by the count's rounding (as `dstebz`).
    let (mut lo0, mut hi0) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let r = if i > 0 { e[i - 1].abs() * scale } else { 0.0 } + if i + 1 < n { e[i].abs() * scale } else { 0.0 };
        lo0 = lo0.min(d[i] - r);
        hi0 = hi0.max(d[i] + r);
    }
    let norm = lo0.abs().max(hi0.abs());
    let fudge = 2.1 * (n as f64 * f64::EPSILON * norm + 2.0 * pivmin);
    lo0 -= fudge;
    hi0 += fudge;
    let absolute = f64::EPSILON * norm;
    ranks
        .iter()
        .map(|&k| {
            // Invariant: below(lo) ≤ k < below(hi).
            let (mut lo, mut hi) = (lo0, hi0);
            for _ in 0..MAX_BISECTIONS {
                let mid = lo + (hi - lo) / 2.0;
                let width = hi - lo;
                if mid <= lo || mid >= hi || width <= absolute || width <= 2.0 * f64::EPSILON * lo.abs().max(hi.abs()) {
                    break;
                }
                if below(mid) > k {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            (lo + (hi - lo) / 2.0) / scale
        })
        .collect()
}

/// One implicit symmetric QR step with Wilkinson's shift on an unreduced
/// tridiagonal block (diagonal `d`, subdiagonal `e`, len(e) = len(d) − 1).
fn qr_step(d: &mut [f64], e: &mut [f64]) {
    let m = d.len();
    // Wilkinson's shift: the eigenvalue of the trailing 2 × 2 block nearer
    // its last diagonal entry.
    let half = (d[m - 2] - d[m - 1]) / 2.0;
    let last = e[m - 2];
    let sign = if half >= 0.0 { 1.0 } else { -1.0 };
    // Not zero: the block is unreduced, so `last` is not.
    let mu = d[m - 1] - last * last / (half + sign * half.hypot(last));
    let mut x = d[0] - mu;
    let mut z = e[0];
    for k in 0..m - 1 {
        // A rotation on (k, k + 1) with c·x + s·z = r, −s·x + c·z = 0.
        let r = x.hypot(z);
        let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (x / r, z / r) };
        if k > 0 {
            e[k - 1] = r;
        }
        let (a0, a1, b0) = (d[k], d[k + 1], e[k]);
        d[k] = c * c * a0 + 2.0 * c * s * b0 + s * s * a1;
        d[k + 1] = s * s * a0 - 2.0 * c * s * b0 + c * c * a1;
        e[k] = c * s * (a1 - a0) + (c * c - s * s) * b0;
        if k + 2 < m {
            // The bulge at (k + 2, k) and the entry it came from.
            z = s * e[k + 1];
            e[k + 1] *= c;
            x = e[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Side;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::StandardNormal;

    /// faer's eigenvalues (one-stage) as the comparison.
    fn faer_eigenvalues(a: &Mat<f64>) -> Vec<f64> {
        faer::set_global_parallelism(Par::Seq);
        a.self_adjoint_eigenvalues(Side::Lower).unwrap()
    }

    fn random_symmetric(n: usize, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let g = Mat::from_fn(n, n, |_, _| rng.sample::<f64, _>(StandardNormal));
        Mat::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)])
    }

    /// Backward stability allows |λᵢ − λᵢ'| up to a modest multiple of
    /// n·ε·‖A‖₂ between two stable solvers; the bound used is 4·n·ε·‖A‖_F.
    fn assert_close(a: &Mat<f64>, got: &[f64], what: &str) {
        let want = faer_eigenvalues(a);
        assert_eq!(got.len(), want.len(), "{what}: count");
        let bound = 4.0 * a.nrows() as f64 * f64::EPSILON * a.norm_l2();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= bound, "{what}: λ[{i}] = {g:e} against {w:e} (bound {bound:e})");
        }
    }

    #[test]
    fn agrees_with_the_one_stage_solver_on_random_matrices() {
        for (n, seed) in [(1, 1), (2, 2), (3, 3), (5, 4), (33, 5), (64, 6), (65, 7), (100, 8), (257, 9)] {
            let a = random_symmetric(n, seed);
            assert_close(&a, &symmetric_eigenvalues(a.as_ref()).unwrap(), &format!("n = {n}"));
        }
    }

    #[test]
    fn every_band_width_reduces_to_the_same_spectrum() {
        let a = random_symmetric(70, 21);
        for b in [1, 2, 3, 7, 16, 69, 70, 100] {
            let mut m = a.clone();
            to_band(&mut m, b);
            for j in 0..70 {
                for i in j + b + 1..70 {
                    assert_eq!(m[(i, j)], 0.0, "b = {b}: ({i}, {j}) outside the band");
                }
            }
            let mut band = Band::from_lower(&m, 2 * b);
            let (d, e) = band_to_tridiagonal(&mut band, b);
            // Nothing left outside the tridiagonal (the chase's window
            // covered all the fill).
            for j in 0..70 {
                for i in j + 2..(j + 2 * b + 1).min(70) {
                    assert_eq!(band.get(i, j), 0.0, "b = {b}: ({i}, {j}) after the chase");
                }
            }
            assert_close(&a, &tridiagonal_eigenvalues(d, e).unwrap(), &format!("b = {b}"));
        }
    }

    #[test]
    fn gram_matrices_with_tiny_and_zero_eigenvalues() {
        // X Xᵀ for X (n × m) with singular values from 1 down to 1e-6, and a
        // rank-deficient one (n > m): the small eigenvalues are resolved to
        // ε‖A‖ absolute, as the one-stage solver's.
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        for (n, m) in [(120, 300), (150, 90)] {
            let x = Mat::from_fn(n, m, |i, _| {
                let s = 10f64.powf(-6.0 * i as f64 / n as f64);
                s * rng.sample::<f64, _>(StandardNormal)
            });
            let mut a = Mat::<f64>::zeros(n, n);
            matmul(a.as_mut(), Accum::Replace, x.as_ref(), x.transpose(), 1.0, Par::Seq);
            assert_close(&a, &symmetric_eigenvalues(a.as_ref()).unwrap(), &format!("{n}x{m} Gram"));
        }
    }

    #[test]
    fn structured_matrices() {
        let n = 50;
        let zero = Mat::<f64>::zeros(n, n);
        assert_eq!(symmetric_eigenvalues(zero.as_ref()).unwrap(), vec![0.0; n]);
        let identity = Mat::<f64>::identity(n, n);
        assert_eq!(symmetric_eigenvalues(identity.as_ref()).unwrap(), vec![1.0; n]);
        let diagonal = Mat::from_fn(n, n, |i, j| if i == j { (n - i) as f64 } else { 0.0 });
        let want: Vec<f64> = (1..=n).map(|v| v as f64).collect();
        assert_eq!(symmetric_eigenvalues(diagonal.as_ref()).unwrap(), want);
        // Tridiagonal already: the second-difference matrix, λₖ = 2 − 2cos(kπ/(n+1)).
        let lap = Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        let got = symmetric_eigenvalues(lap.as_ref()).unwrap();
        for (k, g) in got.iter().enumerate() {
            let exact = 2.0 - 2.0 * (std::f64::consts::PI * (k + 1) as f64 / (n + 1) as f64).cos();
            assert!((g - exact).abs() < 1e-14, "λ[{k}] = {g} against {exact}");
        }
        let mut bad = identity.clone();
        bad[(3, 2)] = f64::NAN;
        assert!(symmetric_eigenvalues(bad.as_ref()).is_none());
    }

    /// The verification's entry point switches to this solver at
    /// `TWO_STAGE_MIN`: a Gram matrix of that order, as a measurement forms
    /// it, against faer.
    #[test]
    fn the_kernel_uses_it_from_its_threshold_on() {
        let n = crate::verify::kernel::TWO_STAGE_MIN;
        let mut rng = ChaCha8Rng::seed_from_u64(51);
        let xt = Mat::from_fn(n + 64, n, |_, j| (1.0 + j as f64 / n as f64) * rng.sample::<f64, _>(StandardNormal));
        let s = crate::verify::kernel::gram_t(xt.as_ref());
        let got = crate::verify::kernel::symmetric_eigenvalues(s.as_ref()).unwrap();
        assert_eq!(got, symmetric_eigenvalues(s.as_ref()).unwrap());
        assert_close(&s, &got, "kernel at the threshold");
        // At this size the products run in parallel: still the same bits.
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(got, one.install(|| symmetric_eigenvalues(s.as_ref()).unwrap()));
    }

    /// Bisection on the tridiagonal form of random matrices: every rank
    /// against faer's solver, and the smallest, middle and largest, asked
    /// out of order, against the tridiagonal QR iteration (both to
    /// 4·n·ε·‖A‖_F).
    #[test]
    fn bisection_agrees_with_the_qr_iteration() {
        for (n, seed) in [(1, 61), (2, 62), (3, 63), (17, 64), (100, 65), (257, 66)] {
            let a = random_symmetric(n, seed);
            let (d, e) = tridiagonal(a.as_ref()).unwrap();
            let all: Vec<usize> = (0..n).collect();
            assert_close(&a, &tridiagonal_selected(&d, &e, &all), &format!("n = {n}"));
            let qr = tridiagonal_eigenvalues(d.clone(), e.clone()).unwrap();
            let picked = [n - 1, 0, n / 2];
            let got = tridiagonal_selected(&d, &e, &picked);
            let bound = 4.0 * n as f64 * f64::EPSILON * a.norm_l2();
            for (&k, g) in picked.iter().zip(&got) {
                assert!((g - qr[k]).abs() <= bound, "n = {n}: rank {k}: {g:e} against {:e}", qr[k]);
            }
        }
    }

    /// Closed forms and exact cases: the second-difference matrix, zero,
    /// a multiple eigenvalue, a diagonal (e = 0), and a Gram matrix with a
    /// zero eigenvalue (rank-deficient) resolved to ε‖T‖.
    #[test]
    fn bisection_on_known_spectra() {
        let n = 60;
        let d = vec![2.0; n];
        let e = vec![-1.0; n - 1];
        let ranks = [0, 1, n / 2, n - 1];
        for (&k, g) in ranks.iter().zip(tridiagonal_selected(&d, &e, &ranks)) {
            let exact = 2.0 - 2.0 * (std::f64::consts::PI * (k + 1) as f64 / (n + 1) as f64).cos();
            assert!((g - exact).abs() <= 4.0 * f64::EPSILON * 4.0, "rank {k}: {g} against {exact}");
        }
        assert_eq!(tridiagonal_selected(&[0.0; 5], &[0.0; 4], &[0, 4]), vec![0.0, 0.0]);
        for (d, e) in
            [(vec![1.0, f64::INFINITY], vec![f64::MAX]), (vec![f64::NAN], vec![]), (vec![0.0, f64::NAN], vec![0.0])]
        {
            let got = tridiagonal_selected(&d, &e, &[0]);
            assert!(got[0].is_nan(), "{d:?}, {e:?}: {got:?}");
        }
        let ones = tridiagonal_selected(&[1.0; 7], &[0.0; 6], &[0, 3, 6]);
        assert!(ones.iter().all(|&v| (v - 1.0).abs() <= 2.0 * f64::EPSILON), "{ones:?}");
        let diag = tridiagonal_selected(&[3.0, -1.0, 2.0, 0.5], &[0.0; 3], &[0, 1, 2, 3]);
        for (g, w) in diag.iter().zip([-1.0, 0.5, 2.0, 3.0]) {
            assert!((g - w).abs() <= 4.0 * f64::EPSILON * 3.0, "{diag:?}");
        }
        // X Xᵀ of a 40 × 25 X: 15 zero eigenvalues.
        let mut rng = ChaCha8Rng::seed_from_u64(67);
        let x = Mat::from_fn(40, 25, |_, _| rng.sample::<f64, _>(StandardNormal));
        let mut g = Mat::<f64>::zeros(40, 40);
        matmul(g.as_mut(), Accum::Replace, x.as_ref(), x.transpose(), 1.0, Par::Seq);
        let (d, e) = tridiagonal(g.as_ref()).unwrap();
        let got = tridiagonal_selected(&d, &e, &[0, 14, 15, 39]);
        let want = faer_eigenvalues(&g);
        let bound = 4.0 * 40.0 * f64::EPSILON * g.norm_l2();
        for (g, k) in got.iter().zip([0, 14, 15, 39]) {
            assert!((g - want[k]).abs() <= bound, "rank {k}: {g:e} against {:e}", want[k]);
        }
        assert!(got[1].abs() <= bound && got[2] > 1.0, "{got:?}");
    }

    /// Scaling by a power of two scales the bisection's answers exactly,
    /// down to entries near 2^-1000 and up to a largest entry in
    /// [2^1023, 2^1024) (no overflow in eᵢ², no loss to underflow; answers
    /// beyond f64's range are infinite on both sides).
    #[test]
    fn bisection_is_scale_invariant() {
        let a = random_symmetric(50, 68);
        let (d, e) = tridiagonal(a.as_ref()).unwrap();
        let ranks = [0, 25, 49];
        let base = tridiagonal_selected(&d, &e, &ranks);
        let big = d.iter().chain(&e).fold(0.0f64, |m, v| m.max(v.abs()));
        let top = 1023 - big.log2().floor() as i32;
        for p in [-1000, -600, 600, 1015, top] {
            let f = 2f64.powi(p);
            let ds: Vec<f64> = d.iter().map(|v| v * f).collect();
            let es: Vec<f64> = e.iter().map(|v| v * f).collect();
            let got = tridiagonal_selected(&ds, &es, &ranks);
            for (g, b) in got.iter().zip(&base) {
                assert_eq!(*g, b * f, "2^{p}");
            }
        }
    }

    /// The kernel's selected eigenvalues, below and at the two-stage
    /// threshold, against the full spectra.
    #[test]
    fn selected_eigenvalues_of_the_kernel() {
        for (n, seed) in [(1, 71), (2, 72), (300, 73)] {
            let a = random_symmetric(n, seed);
            let ranks = [0, n / 2, n - 1];
            let got = crate::verify::kernel::symmetric_eigenvalues_selected(a.as_ref(), &ranks).unwrap();
            let want = faer_eigenvalues(&a);
            let bound = 4.0 * n as f64 * f64::EPSILON * a.norm_l2();
            for (&k, g) in ranks.iter().zip(&got) {
                assert!((g - want[k]).abs() <= bound, "n = {n}: rank {k}: {g:e} against {:e}", want[k]);
            }
        }
        let n = crate::verify::kernel::TWO_STAGE_MIN;
        let a = random_symmetric(n, 74);
        let ranks = [0, n / 2, n - 1];
        let got = crate::verify::kernel::symmetric_eigenvalues_selected(a.as_ref(), &ranks).unwrap();
        let all = symmetric_eigenvalues(a.as_ref()).unwrap();
        let bound = 4.0 * n as f64 * f64::EPSILON * a.norm_l2();
        for (&k, g) in ranks.iter().zip(&got) {
            assert!((g - all[k]).abs() <= bound, "n = {n}: rank {k}: {g:e} against {:e}", all[k]);
        }
        let mut bad = random_symmetric(10, 75);
        bad[(4, 2)] = f64::INFINITY;
        assert!(crate::verify::kernel::symmetric_eigenvalues_selected(bad.as_ref(), &[0]).is_none());
    }

    #[test]
    fn the_result_does_not_depend_on_the_thread_count() {
        let a = random_symmetric(300, 41);
        let all = symmetric_eigenvalues(a.as_ref()).unwrap();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let single = one.install(|| symmetric_eigenvalues(a.as_ref()).unwrap());
        assert_eq!(all, single);
    }
}
