//! Each operator's formula in one working arithmetic, generic over
//! [`Work`]: the operands are cast once, every product and combination is
//! rounded, and the results come back widened to f64 with the error of the
//! primary result after every step.

use nalgebra::DMatrix;

use super::Formula;
use super::reference::relative_frobenius;
use super::work::{
    Work, add, identity, mcsgn_with, msign, msign_with, mul, poly_in, scale, shift, sub, trace_of_square,
};

/// What one operator needs, in f64 (cast to the working type inside).
pub(crate) enum Job<'a> {
    /// msign(M) against its polar factor.
    Msign { m: &'a DMatrix<f64>, reference: &'a DMatrix<f64> },
    /// mcsgn(M) against the sign reference.
    Mcsgn { m: &'a DMatrix<f64>, reference: &'a DMatrix<f64> },
    /// A X + X B = C through mcsgn of [[A + εI, −C], [0, −B − εI]].
    Sylvester { a: &'a DMatrix<f64>, b: &'a DMatrix<f64>, c: &'a DMatrix<f64>, reference: &'a DMatrix<f64> },
    /// The coupled root iteration on P₀ = P/`norm` (+ εI): every G_k ← G_k
    /// W^s with G_k(0) = `starts[k]`, P ← W^r P; result k is
    /// `out_scale[k]`·G_k; the error by step is that of result 0.
    Roots {
        p: &'a DMatrix<f64>,
        norm: f64,
        starts: Vec<DMatrix<f64>>,
        out_scale: Vec<f64>,
        r: u32,
        s: u32,
        reference: &'a DMatrix<f64>,
    },
    /// A clipping formula on a tall M.
    Clip { m: &'a DMatrix<f64>, formula: Formula, alpha: f64, beta: f64 },
    /// mstep(M) = ½[S + msign(M − S)].
    Step { m: &'a DMatrix<f64> },
    /// ∇_M ⟨G, msign(M)⟩ through the Sylvester/mcsgn route.
    Grad { m: &'a DMatrix<f64>, g: &'a DMatrix<f64>, reference: &'a DMatrix<f64> },
}

/// What a run produced.
pub(crate) struct Outcome {
    /// The results (widened), in the job's order.
    pub finals: Vec<DMatrix<f64>>,
    /// Relative Frobenius error of the primary result after each step
    /// (empty where the formula has no per-step result).
    pub error_by_step: Vec<f64>,
}

fn finite(m: &DMatrix<f64>) -> bool {
    m.iter().all(|v| v.is_finite())
}

/// Runs `job` in the arithmetic `w` with the table rows `order[t]`, shift ε.
///
/// # Errors
///
/// A message when an iterate overflows (non-finite entries) or tr(M²) ≤ 0.
pub(crate) fn apply<W: Work>(w: &W, job: &Job<'_>, order: &[usize], epsilon: f64) -> Result<Outcome, String>
where
    f64: From<W::T>,
{
    match job {
        Job::Msign { m, reference } => {
            // The iterates come short side first.
            let short_ref = if m.nrows() <= m.ncols() { (*reference).clone() } else { reference.transpose() };
            let mut errors = Vec::new();
            let x = msign_with(w, &w.cast(m), order, &mut |x| {
                errors.push(relative_frobenius(&w.widen(x), &short_ref));
            });
            Ok(Outcome { finals: vec![w.widen(&x)], error_by_step: errors })
        }
        Job::Mcsgn { m, reference } => {
            let mut errors = Vec::new();
            let last =
                mcsgn_with(w, &w.cast(m), order, &mut |x| errors.push(relative_frobenius(&w.widen(x), reference)))
                    .ok_or("tr(M^2) <= 0 in this arithmetic")?;
            Ok(Outcome { finals: vec![w.widen(&last)], error_by_step: errors })
        }
        Job::Sylvester { a, b, c, reference } => {
            let mut errors = Vec::new();
            let x = sylvester_with(w, &w.cast(a), &w.cast(b), &w.cast(c), order, epsilon, &mut |x| {
                errors.push(relative_frobenius(&w.widen(&x), reference));
            })?;
            Ok(Outcome { finals: vec![w.widen(&x)], error_by_step: errors })
        }
        Job::Roots { p, norm, starts, out_scale, r, s, reference } => {
            let p0 = w.cast(&(*p / *norm));
            let mut p_t = if epsilon > 0.0 { shift(w, &p0, epsilon) } else { p0 };
            let mut gs: Vec<DMatrix<W::T>> = starts.iter().map(|g| w.cast(g)).collect();
            let mut errors = Vec::new();
            for &row in order {
                let wq = poly_in(w, &p_t, &w.rows()[row]);
                let power = |k: u32| (1..k).fold(wq.clone(), |acc, _| mul(w, &acc, &wq));
                let ws = power(*s);
                for g in &mut gs {
                    *g = mul(w, g, &ws);
                }
                p_t = mul(w, &power(*r), &p_t);
                errors.push(relative_frobenius(&(w.widen(&gs[0]) * out_scale[0]), reference));
            }
            let finals = gs.iter().zip(out_scale).map(|(g, c)| w.widen(g) * *c).collect();
            Ok(Outcome { finals, error_by_step: errors })
        }
        Job::Clip { m, formula, alpha, beta } => Ok(Outcome {
            finals: vec![w.widen(&clip(w, &w.cast(m), *formula, *alpha, *beta, order))],
            error_by_step: vec![],
        }),
        Job::Step { m } => {
            let m = w.cast(m);
            let s = msign(w, &m, order);
            let inner = msign(w, &sub(w, &m, &s), order);
            Ok(Outcome { finals: vec![w.widen(&scale(w, &add(w, &s, &inner), 0.5))], error_by_step: vec![] })
        }
        Job::Grad { m, g, reference } => {
            let mw = w.cast(m);
            let o = msign(w, &mw, order);
            let a = mul(w, &mw, &o.transpose());
            let b = mul(w, &o.transpose(), &mw);
            let gradient = |x: &DMatrix<W::T>| sub(w, x, &mul(w, &mul(w, &o, &x.transpose()), &o));
            let mut errors = Vec::new();
            let x = sylvester_with(w, &a, &b, &w.cast(g), order, epsilon, &mut |x| {
                errors.push(relative_frobenius(&w.widen(&gradient(&x)), reference));
            })?;
            Ok(Outcome { finals: vec![w.widen(&gradient(&x))], error_by_step: errors })
        }
    }
}

/// X_t = −½ (upper-right block of the t-th mcsgn iterate of
/// [[A + ε'I, −C], [0, −B − ε'I]]), with ε' = ε·√(tr A² + tr B²) (ε times the
/// unshifted block's normalisation), handed to `on_step` after every step;
/// returns the last.
fn sylvester_with<W: Work>(
    w: &W,
    a: &DMatrix<W::T>,
    b: &DMatrix<W::T>,
    c: &DMatrix<W::T>,
    order: &[usize],
    epsilon: f64,
    on_step: &mut dyn FnMut(DMatrix<W::T>),
) -> Result<DMatrix<W::T>, String>
where
    f64: From<W::T>,
{
    let (n, m) = (a.nrows(), b.nrows());
    let shift_by = epsilon * (trace_of_square(a) + trace_of_square(b)).sqrt();
    let mut k = DMatrix::zeros(n + m, n + m);
    k.view_mut((0, 0), (n, n)).copy_from(&shift(w, a, shift_by));
    k.view_mut((n, n), (m, m)).copy_from(&-shift(w, b, shift_by));
    k.view_mut((0, n), (n, m)).copy_from(&-c);
    let block = |s: &DMatrix<W::T>| scale(w, &s.view((0, n), (n, m)).into_owned(), -0.5);
    let last = mcsgn_with(w, &k, order, &mut |s| on_step(block(s)))
        .ok_or("tr(K^2) <= 0 for the block matrix in this arithmetic")?;
    Ok(block(&last))
}

/// A clipping formula (S = msign(M), M tall) in the working arithmetic.
fn clip<W: Work>(w: &W, m: &DMatrix<W::T>, formula: Formula, alpha: f64, beta: f64, order: &[usize]) -> DMatrix<W::T>
where
    f64: From<W::T>,
{
    let (n, k) = m.shape();
    let half = |x: DMatrix<W::T>| scale(w, &x, 0.5);
    let gram = || mul(w, &m.transpose(), m);
    match formula {
        Formula::V1 => {
            let s = msign(w, m, order);
            let t = sub(w, &identity::<W>(n), &mul(w, m, &s.transpose()));
            let inner = msign(w, &sub(w, m, &s), order);
            half(add(w, &add(w, m, &s), &mul(w, &t, &inner)))
        }
        Formula::V2 => {
            let s = msign(w, m, order);
            let sign = msign(w, &shift(w, &gram(), -1.0), order);
            half(add(w, &add(w, m, &s), &mul(w, &sub(w, &s, m), &sign)))
        }
        Formula::V3 => {
            let s = msign(w, m, order);
            let g = gram();
            let plus = msign(w, &shift(w, &g, 1.0), order);
            let minus = msign(w, &shift(w, &g, -1.0), order);
            half(add(w, &mul(w, &add(w, &s, m), &plus), &mul(w, &sub(w, &s, m), &minus)))
        }
        Formula::Leloykun => {
            let mut h = DMatrix::identity(n + k, n + k);
            h.view_mut((0, n), (n, k)).copy_from(m);
            h.view_mut((n, 0), (k, n)).copy_from(&m.transpose());
            let o = msign(w, &h, order);
            let top_right = o.view((0, n), (n, k)).into_owned();
            let top_left = o.view((0, 0), (n, n)).into_owned();
            add(w, &top_right, &mul(w, &top_left, m))
        }
        Formula::Clip => {
            let s = msign(w, m, order);
            let ms = mul(w, m, &s.transpose());
            let side = |c: f64| {
                let left = sub(w, &scale(w, &identity::<W>(n), c), &ms);
                let sign = msign(w, &sub(w, &scale(w, &s, c), m), order);
                mul(w, &left, &sign)
            };
            let sum = sub(w, &add(w, &scale(w, &s, alpha + beta), &side(alpha)), &side(beta));
            half(sum)
        }
    }
}

/// Whether every result is finite.
pub(crate) fn all_finite(outcome: &Outcome) -> bool {
    outcome.finals.iter().all(finite)
}
