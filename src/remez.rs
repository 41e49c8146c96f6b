//! The Remez exchange solver for the odd minimax problem
//! `min over odd p of degree d of max over [ℓ, u] of |1 − p(x)|`.
//!
//! ```
//! use polar_coeffs::remez::{minimax, RemezOptions, RemezStatus};
//! use polar_coeffs::precision::parse_decimal;
//!
//! let l = parse_decimal("1e-3", 256).unwrap();
//! let u = parse_decimal("1", 256).unwrap();
//! let fit = minimax(5, &l, &u, &RemezOptions::default()).unwrap();
//! assert_eq!(fit.status, RemezStatus::Converged);
//! // E*(1e-3, 1, 5) = 0.991529696304208008523510394838…
//! assert!((fit.levelled_error.to_f64() - 0.991529696304208).abs() < 1e-14);
//! ```
//!
//! # How it works
//!
//! Write p(x) = x·r(t) with t = x², so r has degree q = (d−1)/2 in t, and map
//! t ∈ [ℓ², u²] to the local variable s ∈ [−1, 1] by t = m + h·s. The solver
//! represents r in the Chebyshev basis of s and keeps its reference points in
//! s. Both choices keep the problem well scaled when the interval is tiny
//! (late schedule steps, u − ℓ ≈ 1e-85) or when the monomial coefficients
//! explode (high degree, tiny ℓ): the points stay O(1) apart in s, the linear
//! system is a Chebyshev–Vandermonde system, and the critical points are the
//! roots of a degree-q polynomial in s.
//!
//! Each iteration runs the phases below, one function each:
//!
//! 1. `solve_levelled`: solve the (q+2)×(q+2) system
//!    `x_i·r(s_i) + (−1)^i E = 1` on the reference for r and the levelled error E.
//! 2. `locate_extrema`: the new reference: the endpoints plus the q roots of
//!    (d/ds)(x·r) in (−1, 1). A fast path runs Newton from the old points; when
//!    its result is not q ordered points with alternating error signs, a
//!    bracketing path finds the zero of the error between each pair of
//!    reference points and then the one critical point in each lobe.
//! 3. The stopping test: the relative gap between max |1 − p| over the new
//!    reference (which holds every local extremum, since r has only q critical
//!    points) and |E|.
//!
//! The loop keeps the best iterate (smallest max |1 − p|) and reports
//! [`RemezStatus::Stagnated`] when the gap stops shrinking, instead of looping
//! or panicking. At the end, `to_monomial` converts r to the coefficients of
//! x, x³, …, and `certify` checks the equioscillation of exactly what is
//! returned.
//!
//! # Precision
//!
//! The working precision (default 256 bits) is what the caller gets. Inside,
//! the solver runs at working + [`GUARD_BITS`] + the bits the problem's
//! conditioning needs (about d·log2(u/(u−ℓ)) for narrow intervals, plus the
//! growth of the monomial coefficients) and raises that once more when the
//! levelled error turns out smaller than estimated.

use rug::Assign;
use rug::Float;
use rug::float::Constant;
use rug::ops::NegAssign;

use crate::poly::{OddPoly, nth_root, power};
use crate::precision::log2_ratio_bits;

/// Bits added on top of the working precision (and of the conditioning
/// estimate) for every internal computation.
pub const GUARD_BITS: u32 = 64;

/// Equioscillation tolerance, in units in the last place of the working
/// precision: a solution counts as converged when `max |1 − p|` over [ℓ, u]
/// and the levelled error `|E|` agree to `EQUIOSCILLATION_ULPS · 2^-prec`
/// relative, and each of the q+2 reference errors equals `±E` to the same
/// relative tolerance, with alternating signs.
pub const EQUIOSCILLATION_ULPS: u32 = 16;

/// Default cap on exchange iterations; a well-posed problem converges in
/// 5–15 (quadratic convergence from Chebyshev points).
pub const DEFAULT_MAX_ITERATIONS: usize = 100;

/// Iterations without a new best gap after which the run counts as
/// stagnated.
pub const STAGNATION_WINDOW: usize = 5;

/// Largest degree the solver accepts: the largest whose table is certified
/// in bounded time. The certificate of a step costs about d³ interval
/// operations at the precision the coefficients' size needs (measured on
/// 2 cores: degree 151 in 25–41 s for ℓ from 0.5 to 1e-12, against 8.7 s at
/// 101); beyond, minutes per step and a growing share of runs that end on the
/// work cap. Degrees this high are already past any machine table: the f64
/// coefficients no longer carry the polynomial from degree ~63, and from
/// degree 255 they overflow f32.
pub const MAX_DEGREE: u32 = 151;

/// Extrema in an iteration are located to the previous gap times
/// 2^-NEWTON_MARGIN_BITS (in s, where the interval is [−1, 1]).
const NEWTON_MARGIN_BITS: i32 = 16;

/// Bits, above what the problem's conditioning needs, of the cheap
/// exploration stage that precedes the full-precision polish.
const EXPLORE_BITS: u32 = 64;

/// Cap on Newton or bisection steps in one root search (bisection alone needs
/// about the internal precision in steps).
const ROOT_SEARCH_STEP_CAP: usize = 40_000;

/// Options of one minimax solve.
#[derive(Debug, Clone)]
pub struct RemezOptions {
    /// Working precision in bits: the precision of the results.
    pub precision: u32,
    /// Cap on exchange iterations.
    pub max_iterations: usize,
    /// Starting reference in the local variable s ∈ [−1, 1] (see
    /// [`Minimax::local_reference`]); Chebyshev points when `None` or when its
    /// length does not match the degree. A neighbouring problem's reference
    /// saves iterations (the greedy schedule passes each step's to the next).
    pub initial_reference: Option<Vec<Float>>,
}

impl Default for RemezOptions {
    fn default() -> Self {
        Self {
            precision: crate::precision::DEFAULT_PRECISION,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            initial_reference: None,
        }
    }
}

/// How a solve ended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RemezStatus {
    /// Equioscillation holds to the documented tolerance.
    Converged,
    /// The gap stopped shrinking above the tolerance; the best iterate is
    /// returned.
    Stagnated,
    /// The iteration cap was reached first; the best iterate is returned.
    MaxIterations,
    /// A phase broke down (singular system, no alternating reference); the
    /// best iterate so far, if any, is returned.
    Failed,
}

/// Invalid arguments to [`minimax`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemezError {
    /// Degree even, zero or too large.
    #[error("degree {0} is not allowed: it must be odd, between 1 and {MAX_DEGREE}")]
    Degree(u32),
    /// A degree that is not 1 + r·(n − 1) for the exponent step r, or r = 0.
    #[error("degree {degree} is not allowed for root {root}: it must be 1 + {root}·k (k ≥ 0), at most {MAX_DEGREE}")]
    RootDegree {
        /// The degree asked.
        degree: u32,
        /// The exponent step r.
        root: u32,
    },
    /// Interval not 0 < ℓ < u.
    #[error("interval [{lower}, {upper}] is not allowed: it needs 0 < lower < upper")]
    Interval {
        /// ℓ as given.
        lower: String,
        /// u as given.
        upper: String,
    },
    /// No iterate could be computed at all.
    #[error("the Remez solver broke down before its first iterate: {0}")]
    NoIterate(String),
}

/// The result of one minimax solve.
#[derive(Debug, Clone)]
pub struct Minimax {
    /// Degree d = 2q+1.
    pub degree: u32,
    /// ℓ.
    pub lower: Float,
    /// u.
    pub upper: Float,
    /// The polynomial, at the internal precision.
    pub poly: OddPoly,
    /// |E| from the last levelled system.
    pub levelled_error: Float,
    /// max over [ℓ, u] of |1 − p| for the returned polynomial.
    pub max_error: Float,
    /// The q+2 reference points ℓ = x₀ < … < x_{q+1} = u (extrema of 1 − p).
    pub reference: Vec<Float>,
    /// `1 − p(x_i)` at the reference points.
    pub reference_errors: Vec<Float>,
    /// The reference in the local variable s ∈ [−1, 1], where
    /// x² = (u² + ℓ²)/2 + s·(u² − ℓ²)/2.
    pub local_reference: Vec<Float>,
    /// How the solve ended.
    pub status: RemezStatus,
    /// Exchange iterations run (all precision rounds together).
    pub iterations: usize,
    /// Precision of the returned numbers (≥ the working precision).
    pub internal_precision: u32,
    /// Working precision asked for.
    pub working_precision: u32,
    /// `(max_error − levelled_error) / levelled_error`.
    pub relative_gap: Float,
    /// Why the solve did not converge, when it did not.
    pub message: Option<String>,
}

/// Samples of (1 − p(x)) / E over a fit interval, x given as its position
/// (x − ℓ)/(u − ℓ) ∈ [0, 1]: the picture of a fit's equioscillation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ErrorCurve {
    /// Positions of the samples (Chebyshev-spaced, dense at both ends).
    pub positions: Vec<f64>,
    /// (1 − p(x)) / E at the samples.
    pub errors: Vec<f64>,
    /// Positions of the q + 2 equioscillation (reference) points.
    pub reference_positions: Vec<f64>,
    /// (1 − p(x)) / E at the reference points (±1 up to the tolerance).
    pub reference_errors: Vec<f64>,
}

/// Samples per error curve.
pub const ERROR_CURVE_SAMPLES: usize = 96;

impl Minimax {
    /// The normalised error curve of the fit, computed at the solver's
    /// internal precision (late steps live in intervals 1e-85 wide).
    pub fn error_curve(&self) -> ErrorCurve {
        let prec = self.internal_precision;
        let width = Float::with_val(prec, &self.upper - &self.lower);
        let e = &self.levelled_error;
        let at = |x: &Float| -> (f64, f64) {
            let pos = Float::with_val(prec, x - &self.lower) / &width;
            let err = Float::with_val(prec, 1 - self.poly.eval(x)) / e;
            (pos.to_f64(), err.to_f64())
        };
        let n = ERROR_CURVE_SAMPLES;
        let pi = Float::with_val(prec, Constant::Pi);
        let (positions, errors): (Vec<f64>, Vec<f64>) = (0..=n)
            .map(|k| {
                // x = ℓ + (u − ℓ)(1 − cos(πk/n))/2
                let c = Float::with_val(prec, &pi * k as u32) / n as u32;
                let frac = (1 - c.cos()) / 2u32;
                let x = Float::with_val(prec, &self.lower + Float::with_val(prec, &width * frac));
                at(&x)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .unzip();
        let (reference_positions, reference_errors) = self.reference.iter().map(at).unzip();
        ErrorCurve { positions, errors, reference_positions, reference_errors }
    }

    /// The interior reference points: every positive critical point of p.
    pub fn critical_points(&self) -> &[Float] {
        &self.reference[1..self.reference.len() - 1]
    }

    /// Whether the returned polynomial equioscillates to the documented
    /// tolerance (see [`EQUIOSCILLATION_ULPS`]).
    pub fn is_converged(&self) -> bool {
        self.status == RemezStatus::Converged
    }
}

/// The relative equioscillation tolerance at working precision `prec`.
pub fn equioscillation_tolerance(prec: u32) -> Float {
    Float::with_val(64, Float::i_exp(EQUIOSCILLATION_ULPS as i32, -(prec as i32)))
}

/// Computes the best odd approximation of degree `degree` to 1 on
/// `[lower, upper]`.
///
/// # Errors
///
/// [`RemezError`] for an even degree or an interval that is not
/// `0 < lower < upper`. Non-convergence is not an error: it is reported in
/// [`Minimax::status`] with the best iterate.
///
/// # Example
///
/// ```
/// use polar_coeffs::remez::{minimax, RemezOptions};
/// use rug::Float;
/// // Degree 1: p = 2x/(ℓ+u), E = (u−ℓ)/(u+ℓ) = 1/3 on [0.5, 1].
/// let fit = minimax(1, &Float::with_val(256, 0.5), &Float::with_val(256, 1), &RemezOptions::default()).unwrap();
/// assert!((fit.levelled_error.to_f64() - 1.0 / 3.0).abs() < 1e-15);
/// ```
pub fn minimax(degree: u32, lower: &Float, upper: &Float, options: &RemezOptions) -> Result<Minimax, RemezError> {
    if degree.is_multiple_of(2) || degree > MAX_DEGREE {
        return Err(RemezError::Degree(degree));
    }
    minimax_root(degree, crate::poly::MSIGN_ROOT, lower, upper, options)
}

/// [`minimax`] for p(x) = x·q(x^r): the best approximation to 1 on
/// `[lower, upper]` by a combination of x, x^(1+r), …, x^degree (degree =
/// 1 + r·(n − 1)). r = 2 is [`minimax`] exactly; the same reformulation
/// (t = x^r mapped to s ∈ [−1, 1], q in the Chebyshev basis of s) keeps
/// narrow intervals and many terms well conditioned for every r.
///
/// # Errors
///
/// [`RemezError::RootDegree`] for r = 0 or a degree not of that form, and as
/// [`minimax`].
///
/// # Example
///
/// ```
/// use polar_coeffs::remez::{minimax_root, RemezOptions};
/// use rug::Float;
/// // One term, r = 3: p = a·x with a = 2/(ℓ + u), the same as for msign.
/// let fit = minimax_root(1, 3, &Float::with_val(256, 0.5), &Float::with_val(256, 1), &RemezOptions::default()).unwrap();
/// assert!((fit.levelled_error.to_f64() - 1.0 / 3.0).abs() < 1e-15);
/// ```
pub fn minimax_root(
    degree: u32,
    root: u32,
    lower: &Float,
    upper: &Float,
    options: &RemezOptions,
) -> Result<Minimax, RemezError> {
    if root == 0 || degree == 0 || !(degree - 1).is_multiple_of(root) || degree > MAX_DEGREE {
        return Err(RemezError::RootDegree { degree, root });
    }
    if !(lower.is_finite() && upper.is_finite() && *lower > 0 && lower < upper) {
        return Err(RemezError::Interval { lower: lower.to_string(), upper: upper.to_string() });
    }
    let prec = options.precision;
    let q = ((degree - 1) / root) as usize;
    let width = Float::with_val(lower.prec().max(upper.prec()) + 64, upper - lower);
    let narrowness = log2_ratio_bits(upper, &width);
    // A small lower end needs bits of its own: t = x^r runs over [ℓ^r, u^r]
    // and is mapped to s ∈ [−1, 1], where ℓ^r sits 2(ℓ/u)^r above −1; below
    // about 2^-prec that end (and the fit's relative accuracy there) would
    // vanish.
    let smallness = root * log2_ratio_bits(upper, lower);
    let mut internal = prec + GUARD_BITS + (degree + 1) * narrowness + 2 * degree + smallness;
    let mut reference: Option<Vec<Float>> = None;
    let mut total_iterations = 0;
    // Exploration: the exchange at the precision the conditioning needs plus
    // EXPLORE_BITS, to a loose tolerance. Its reference seeds the
    // full-precision polish, which then needs two or three iterations.
    let explore_prec = internal - prec + EXPLORE_BITS;
    if explore_prec + EXPLORE_BITS / 2 < internal {
        let problem = Problem::new(q, root, lower, upper, explore_prec);
        let start = match &options.initial_reference {
            Some(r) if r.len() == q + 2 => r.iter().map(|s| Float::with_val(explore_prec, s)).collect(),
            _ => initial_reference(q, explore_prec),
        };
        let run = exchange(&problem, start, EXPLORE_BITS + GUARD_BITS / 2, options.max_iterations);
        total_iterations += run.iterations;
        if run.status != RemezStatus::Failed {
            reference = run.best.map(|b| b.reference);
        }
    }
    // At most three precision rounds: the estimate, then what the levelled
    // error and the coefficients' size show is needed (and once more as a
    // margin). Each later round starts from the previous reference.
    const PRECISION_ROUNDS: usize = 3;
    for round in 0..PRECISION_ROUNDS {
        let problem = Problem::new(q, root, lower, upper, internal);
        let start = match reference.take() {
            Some(r) => r.into_iter().map(|s| Float::with_val(internal, s)).collect(),
            None => initial_reference(q, internal),
        };
        let run = exchange(&problem, start, prec, options.max_iterations);
        total_iterations += run.iterations;
        let Some(best) = run.best else {
            return Err(RemezError::NoIterate(run.message.unwrap_or_default()));
        };
        let poly = to_monomial(&problem, &best.cheb);
        let needed = needed_precision(prec, &best.levelled, &poly, q, narrowness) + smallness;
        // The last round returns whatever it found: `certify` then judges it
        // at the working precision (a shortfall shows as a status, not a panic).
        if needed > internal && run.status == RemezStatus::Converged && round + 1 < PRECISION_ROUNDS {
            internal = needed + GUARD_BITS / 2;
            reference = Some(best.reference);
            continue;
        }
        let certificate = certify(&problem, &poly, &best.reference, prec);
        let (status, message) = match (run.status, certificate) {
            (RemezStatus::Converged, Err(why)) => (RemezStatus::Stagnated, Some(why)),
            (s, _) => (s, run.message),
        };
        let reference_x: Vec<Float> = best.reference.iter().map(|s| problem.x_of(s)).collect();
        let reference_errors: Vec<Float> =
            reference_x.iter().map(|x| Float::with_val(internal, 1 - poly.eval(x))).collect();
        let max_error = reference_errors
            .iter()
            .map(|e| Float::with_val(internal, e.abs_ref()))
            .fold(Float::with_val(internal, 0), |a, b| if b > a { b } else { a });
        let relative_gap = Float::with_val(internal, &max_error - &best.levelled) / &best.levelled;
        return Ok(Minimax {
            degree,
            lower: Float::with_val(internal, lower),
            upper: Float::with_val(internal, upper),
            poly,
            levelled_error: best.levelled,
            max_error,
            reference: reference_x,
            reference_errors,
            local_reference: best.reference,
            status,
            iterations: total_iterations,
            internal_precision: internal,
            working_precision: prec,
            relative_gap,
            message,
        });
    }
    unreachable!("the last precision round never continues")
}

/// Bits the final answer needs: working precision + guard + what cancellation
/// costs when 1 − p(x) ≈ E is formed from coefficients of size Σ|c_k|, and
/// the conditioning of the local basis (q·log2(m/h) for a narrow interval).
fn needed_precision(prec: u32, levelled: &Float, poly: &OddPoly, q: usize, narrowness: u32) -> u32 {
    let one = Float::with_val(64, 1);
    let small_e = log2_ratio_bits(&one, levelled);
    let mut sum = Float::with_val(64, 1);
    for c in poly.coeffs() {
        sum += Float::with_val(64, c.abs_ref());
    }
    let size = log2_ratio_bits(&sum, &one);
    prec + GUARD_BITS + small_e + size + q as u32 * narrowness
}

/// The scaled problem: t = x^r = m + h·s on [ℓ^r, u^r], at a fixed
/// precision.
struct Problem {
    q: usize,
    root: u32,
    m: Float,
    h: Float,
    prec: u32,
}

impl Problem {
    fn new(q: usize, root: u32, lower: &Float, upper: &Float, prec: u32) -> Self {
        let l2 = power(lower, root, prec);
        let u2 = power(upper, root, prec);
        let m = Float::with_val(prec, &u2 + &l2) / 2u32;
        let h = Float::with_val(prec, &u2 - &l2) / 2u32;
        Self { q, root, m, h, prec }
    }

    fn float(&self) -> Float {
        Float::new(self.prec)
    }

    fn t_of(&self, s: &Float) -> Float {
        let mut t = Float::with_val(self.prec, &self.h * s);
        t += &self.m;
        t
    }

    fn x_of(&self, s: &Float) -> Float {
        nth_root(self.t_of(s), self.root)
    }

    /// x^(r−1) (x itself for msign).
    fn x_power_below(&self, x: &Float) -> Float {
        power(x, self.root - 1, self.prec)
    }

    /// The error e(s) = 1 − x·r(s) and its s-derivative
    /// e_s = −(h·r/(R·x^(R−1)) + x·r_s), R the exponent step (here r is the
    /// polynomial q of the module's notation).
    fn error_and_slope(&self, r: &Cheb, s: &Float) -> (Float, Float) {
        let x = self.x_of(s);
        let rv = clenshaw(&r.c, s, self.prec);
        let rs = clenshaw(&r.d1, s, self.prec);
        let mut e = Float::with_val(self.prec, &x * &rv);
        e.neg_assign();
        e += 1u32;
        let mut slope = Float::with_val(self.prec, &self.h * &rv);
        slope /= &self.x_power_below(&x);
        slope /= self.root;
        slope += Float::with_val(self.prec, &x * &rs);
        slope.neg_assign();
        (e, slope)
    }

    /// The error e(s) = 1 − x·r(s) alone.
    fn error(&self, r: &Cheb, s: &Float) -> Float {
        let x = self.x_of(s);
        let mut e = clenshaw(&r.c, s, self.prec);
        e *= &x;
        e.neg_assign();
        e += 1u32;
        e
    }

    /// G(s) = h·r + R·t·r_s (zero exactly at the critical points of x·r(s),
    /// G = −R·x^(R−1)·e_s) and its derivative G_s = (1 + R)·h·r_s + R·t·r_ss.
    fn critical_and_slope(&self, r: &Cheb, s: &Float) -> (Float, Float) {
        let t = self.t_of(s);
        let rv = clenshaw(&r.c, s, self.prec);
        let rs = clenshaw(&r.d1, s, self.prec);
        let rss = clenshaw(&r.d2, s, self.prec);
        let two_t = Float::with_val(self.prec, &t * self.root);
        let mut g = Float::with_val(self.prec, &self.h * &rv);
        g += Float::with_val(self.prec, &two_t * &rs);
        let mut gs = Float::with_val(self.prec, &self.h * &rs);
        gs *= self.root + 1;
        gs += Float::with_val(self.prec, &two_t * &rss);
        (g, gs)
    }
}

/// r in the Chebyshev basis of s, with its first two derivatives' coefficients.
struct Cheb {
    c: Vec<Float>,
    d1: Vec<Float>,
    d2: Vec<Float>,
}

impl Cheb {
    fn new(c: Vec<Float>) -> Self {
        let d1 = cheb_derivative(&c);
        let d2 = cheb_derivative(&d1);
        Self { c, d1, d2 }
    }
}

/// Σ c_k T_k(s) by Clenshaw's recurrence.
fn clenshaw(c: &[Float], s: &Float, prec: u32) -> Float {
    let mut b1 = Float::new(prec); // b_{k+1}
    let mut b2 = Float::new(prec); // b_{k+2}, then the new b_k in place
    let mut scratch = Float::new(prec);
    let two_s = Float::with_val(prec, s * 2u32);
    for ck in c.iter().skip(1).rev() {
        // b_k = 2s·b_{k+1} − b_{k+2} + c_k, written over b_{k+2}.
        scratch.assign(&two_s * &b1);
        scratch -= &b2;
        scratch += ck;
        std::mem::swap(&mut b2, &mut b1);
        std::mem::swap(&mut b1, &mut scratch);
    }
    let Some(c0) = c.first() else { return Float::new(prec) };
    scratch.assign(s * &b1);
    scratch -= &b2;
    scratch += c0;
    scratch
}

/// Chebyshev coefficients of the derivative (one fewer; empty for a constant).
fn cheb_derivative(c: &[Float]) -> Vec<Float> {
    let n = c.len();
    if n <= 1 {
        return Vec::new();
    }
    let prec = c[0].prec();
    let mut d = vec![Float::new(prec); n + 1];
    for k in (1..n).rev() {
        let mut v = Float::with_val(prec, &c[k] * (2 * k as u32));
        v += &d[k + 1];
        d[k - 1] = v;
    }
    d.truncate(n - 1);
    d[0] /= 2u32;
    d
}

/// The starting reference: the q+2 extrema of T_{q+1} in s (Chebyshev
/// points in t = x²), endpoints included.
pub fn initial_reference(q: usize, prec: u32) -> Vec<Float> {
    let n = q + 1;
    let pi = Float::with_val(prec, Constant::Pi);
    (0..=n)
        .map(|i| {
            if i == 0 {
                Float::with_val(prec, -1)
            } else if i == n {
                Float::with_val(prec, 1)
            } else {
                let angle = Float::with_val(prec, &pi * i as u32) / n as u32;
                -angle.cos()
            }
        })
        .collect()
}

/// Phase 1: on the reference `s`, solve `x_i·Σ b_k T_k(s_i) + (−1)^i E = 1`
/// for the Chebyshev coefficients b and the levelled error E. `None` when the
/// system is singular.
fn solve_levelled(problem: &Problem, s: &[Float]) -> Option<(Vec<Float>, Float)> {
    let q = problem.q;
    let n = q + 2;
    let prec = problem.prec;
    let mut a: Vec<Vec<Float>> = Vec::with_capacity(n);
    for (i, si) in s.iter().enumerate() {
        let x = problem.x_of(si);
        let mut row = Vec::with_capacity(n + 1);
        let mut t_prev = Float::with_val(prec, 1);
        let mut t_cur = Float::with_val(prec, si);
        for k in 0..=q {
            let tk = match k {
                0 => Float::with_val(prec, 1),
                1 => t_cur.clone(),
                _ => {
                    let mut next = Float::with_val(prec, si * &t_cur) * 2u32;
                    next -= &t_prev;
                    t_prev = std::mem::replace(&mut t_cur, next);
                    t_cur.clone()
                }
            };
            row.push(Float::with_val(prec, &x * &tk));
        }
        row.push(Float::with_val(prec, if i % 2 == 0 { 1 } else { -1 }));
        row.push(Float::with_val(prec, 1)); // right-hand side
        a.push(row);
    }
    let sol = gauss_solve(a, n)?;
    let e = sol[n - 1].clone();
    let b = sol[..n - 1].to_vec();
    Some((b, e))
}

/// Gaussian elimination with partial pivoting on an augmented n×(n+1) matrix.
fn gauss_solve(mut a: Vec<Vec<Float>>, n: usize) -> Option<Vec<Float>> {
    let mut scratch = Float::new(a[0][0].prec());
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].cmp_abs(&a[j][col]).unwrap_or(std::cmp::Ordering::Equal))?;
        if a[pivot][col].is_zero() {
            return None;
        }
        a.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let prow = &top[col];
        for row in rest.iter_mut() {
            if row[col].is_zero() {
                continue;
            }
            let factor = Float::with_val(prow[col].prec(), &row[col] / &prow[col]);
            for k in col..=n {
                // Plain multiply-then-subtract into a scratch value: MPFR's
                // fused fms is several times slower than mul + sub.
                scratch.assign(&factor * &prow[k]);
                row[k] -= &scratch;
            }
        }
    }
    let mut x = vec![Float::new(a[0][0].prec()); n];
    for i in (0..n).rev() {
        let mut acc = a[i][n].clone();
        for k in i + 1..n {
            scratch.assign(&a[i][k] * &x[k]);
            acc -= &scratch;
        }
        x[i] = acc / &a[i][i];
    }
    Some(x)
}

/// Phase 2: the new reference, endpoints ±1 plus the q critical points of
/// x·r(s). Fast path first (Newton from the old points), bracketing path when
/// the fast path's answer is not a valid alternating reference.
///
/// Returns the new reference and the error `1 − p` at each of its points.
fn locate_extrema(
    problem: &Problem,
    r: &Cheb,
    levelled: &Float,
    old: &[Float],
    tol: &Float,
) -> Option<(Vec<Float>, Vec<Float>)> {
    if let Some(new) = extrema_by_newton(problem, r, old, tol)
        && let Some(errors) = alternating_errors(problem, r, levelled, &new)
    {
        return Some((new, errors));
    }
    let new = extrema_by_brackets(problem, r, old, tol)?;
    let errors = alternating_errors(problem, r, levelled, &new)?;
    Some((new, errors))
}

/// Step tolerance of root searches in s: half the internal precision plus a
/// margin suffices, since the error at a critical point is flat to first
/// order (an error δ in the point changes |1 − p| there by O(δ²)).
fn root_tolerance(problem: &Problem) -> Float {
    Float::with_val(64, Float::i_exp(1, -((problem.prec / 2 + 24) as i32)))
}

fn extrema_by_newton(problem: &Problem, r: &Cheb, old: &[Float], tol: &Float) -> Option<Vec<Float>> {
    let q = problem.q;
    let mut out = Vec::with_capacity(q + 2);
    out.push(Float::with_val(problem.prec, -1));
    for start in &old[1..=q] {
        let mut s = start.clone();
        let mut done = false;
        for _ in 0..64 {
            let (g, gs) = problem.critical_and_slope(r, &s);
            if gs.is_zero() {
                return None;
            }
            let step = g / gs;
            s -= &step;
            if !(s > -1 && s < 1) {
                return None;
            }
            if step.cmp_abs(tol).is_some_and(|o| o.is_le()) {
                done = true;
                break;
            }
        }
        if !done {
            return None;
        }
        out.push(s);
    }
    out.push(Float::with_val(problem.prec, 1));
    Some(out)
}

fn extrema_by_brackets(problem: &Problem, r: &Cheb, old: &[Float], tol: &Float) -> Option<Vec<Float>> {
    let q = problem.q;
    // Zeros of the error between consecutive reference points, where its
    // sign alternates by construction of the levelled system.
    let mut zeros = Vec::with_capacity(q + 1);
    for w in old.windows(2) {
        zeros.push(find_root(|s| problem.error_and_slope(r, s), &w[0], &w[1], problem.prec, tol)?);
    }
    let mut out = Vec::with_capacity(q + 2);
    out.push(Float::with_val(problem.prec, -1));
    for w in zeros.windows(2) {
        out.push(find_root(|s| problem.critical_and_slope(r, s), &w[0], &w[1], problem.prec, tol)?);
    }
    out.push(Float::with_val(problem.prec, 1));
    Some(out)
}

/// A root of f in [a, b] where f changes sign, by Newton steps safeguarded
/// with bisection. `None` when f has the same sign at both ends.
fn find_root(f: impl Fn(&Float) -> (Float, Float), a: &Float, b: &Float, prec: u32, tol: &Float) -> Option<Float> {
    let (fa, _) = f(a);
    let (fb, _) = f(b);
    if fa.is_zero() {
        return Some(a.clone());
    }
    if fb.is_zero() {
        return Some(b.clone());
    }
    if fa.is_sign_negative() == fb.is_sign_negative() {
        return None;
    }
    // Orient so that f(lo) < 0 < f(hi).
    let (mut lo, mut hi) = if fa.is_sign_negative() { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
    let mut x = Float::with_val(prec, &lo + &hi) / 2u32;
    for _ in 0..ROOT_SEARCH_STEP_CAP {
        let (fx, dfx) = f(&x);
        if fx.is_zero() {
            return Some(x);
        }
        if fx.is_sign_negative() {
            lo = x.clone();
        } else {
            hi = x.clone();
        }
        let mut next =
            if dfx.is_zero() { None } else { Some(Float::with_val(prec, &x - Float::with_val(prec, &fx / &dfx))) };
        let in_bracket = |y: &Float| (y > &lo && y < &hi) || (y > &hi && y < &lo);
        if !next.as_ref().is_some_and(in_bracket) {
            next = Some(Float::with_val(prec, &lo + &hi) / 2u32);
        }
        let next = next.expect("set above");
        let step = Float::with_val(prec, &next - &x);
        x = next;
        let width = Float::with_val(prec, &hi - &lo);
        if step.cmp_abs(tol).is_some_and(|o| o.is_le()) || width.cmp_abs(tol).is_some_and(|o| o.is_le()) {
            return Some(x);
        }
    }
    Some(x)
}

/// The errors on a valid new reference, or `None`: strictly increasing,
/// errors alternating in sign starting with the sign of E, each at least |E|
/// in size (to the rounding of the internal precision). These together
/// guarantee the exchange makes progress (de la Vallée Poussin).
fn alternating_errors(problem: &Problem, r: &Cheb, levelled: &Float, s: &[Float]) -> Option<Vec<Float>> {
    if s.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    let slack = Float::with_val(problem.prec, Float::i_exp(1, -(problem.prec as i32 / 2)));
    let floor = Float::with_val(problem.prec, levelled.abs_ref()) * (1 - slack);
    let positive = levelled.is_sign_positive();
    s.iter()
        .enumerate()
        .map(|(i, si)| {
            let e = problem.error(r, si);
            let want_positive = (i % 2 == 0) == positive;
            (e.is_sign_positive() == want_positive && Float::with_val(problem.prec, e.abs_ref()) >= floor).then_some(e)
        })
        .collect()
}

/// One iterate worth keeping.
struct Iterate {
    cheb: Vec<Float>,
    levelled: Float,
    /// The extrema of this iterate's error (its critical points), in s.
    reference: Vec<Float>,
    max_error: Float,
}

struct ExchangeRun {
    best: Option<Iterate>,
    status: RemezStatus,
    iterations: usize,
    message: Option<String>,
}

/// The exchange loop at one precision: phases 1–3 until the gap is below the
/// tolerance, the gap stagnates, the cap is hit or a phase breaks down.
fn exchange(problem: &Problem, start: Vec<Float>, working_prec: u32, max_iterations: usize) -> ExchangeRun {
    let tol = equioscillation_tolerance(working_prec);
    let floor_tol = root_tolerance(problem);
    let mut reference = start;
    let mut best: Option<Iterate> = None;
    let mut best_gap: Option<Float> = None;
    let mut since_best = 0;
    for it in 1..=max_iterations {
        let Some((b, e)) = solve_levelled(problem, &reference) else {
            return ExchangeRun {
                best,
                status: RemezStatus::Failed,
                iterations: it,
                message: Some("the levelled system is singular".into()),
            };
        };
        if e.is_zero() {
            return ExchangeRun {
                best,
                status: RemezStatus::Failed,
                iterations: it,
                message: Some("the levelled error is zero".into()),
            };
        }
        let r = Cheb::new(b);
        // Extrema only need to be as accurate as the next reference can be:
        // the exchange converges quadratically, so a point error near the
        // current gap (times a margin) costs nothing, and early iterations
        // need few Newton steps. The floor is the final accuracy.
        let newton_tol = match &best_gap {
            Some(g) => {
                let loose = Float::with_val(64, g * Float::with_val(64, Float::i_exp(1, -NEWTON_MARGIN_BITS)));
                if loose > floor_tol { loose } else { floor_tol.clone() }
            }
            None => Float::with_val(64, Float::i_exp(1, -NEWTON_MARGIN_BITS)).max(&floor_tol),
        };
        let Some((next, errors)) = locate_extrema(problem, &r, &e, &reference, &newton_tol) else {
            return ExchangeRun {
                best,
                status: RemezStatus::Failed,
                iterations: it,
                message: Some("no alternating set of extrema was found".into()),
            };
        };
        let mut max_error = problem.float();
        for err in errors {
            let a = err.abs();
            if a > max_error {
                max_error = a;
            }
        }
        let levelled = e.abs();
        let gap = Float::with_val(problem.prec, &max_error - &levelled) / &levelled;
        let improved = best.as_ref().is_none_or(|b| max_error < b.max_error);
        if improved {
            best = Some(Iterate {
                cheb: r.c.clone(),
                levelled: levelled.clone(),
                reference: next.clone(),
                max_error: max_error.clone(),
            });
        }
        if gap <= tol {
            // The converged iterate is the best by definition; keep it even if
            // rounding made an earlier max_error compare a hair lower.
            best = Some(Iterate { cheb: r.c, levelled, reference: next, max_error });
            return ExchangeRun { best, status: RemezStatus::Converged, iterations: it, message: None };
        }
        if best_gap.as_ref().is_none_or(|g| &gap < g) {
            best_gap = Some(gap);
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= STAGNATION_WINDOW {
                let msg = format!(
                    "the equioscillation gap stopped shrinking at {:.3e} (tolerance {:.3e})",
                    best_gap.as_ref().map_or(f64::NAN, Float::to_f64),
                    tol.to_f64()
                );
                return ExchangeRun { best, status: RemezStatus::Stagnated, iterations: it, message: Some(msg) };
            }
        }
        reference = next;
    }
    ExchangeRun {
        best,
        status: RemezStatus::MaxIterations,
        iterations: max_iterations,
        message: Some(format!("no convergence within {max_iterations} iterations")),
    }
}

/// Converts r(s) = Σ b_k T_k(s) to monomial coefficients of p(x) = x·r(x²):
/// Chebyshev → powers of s, then s = (t − m)/h expanded by Horner's rule.
pub(crate) fn to_monomial_coeffs(cheb: &[Float], m: &Float, h: &Float, prec: u32) -> Vec<Float> {
    let n = cheb.len();
    // Power-basis coefficients of T_k, built by T_{k+1} = 2s·T_k − T_{k−1}.
    let mut a = vec![Float::new(prec); n];
    let mut big_prev: Vec<rug::Integer> = vec![rug::Integer::from(1)];
    let mut big_cur: Vec<rug::Integer> = vec![rug::Integer::from(0), rug::Integer::from(1)];
    for (k, bk) in cheb.iter().enumerate() {
        let tk: &[rug::Integer] = match k {
            0 => &big_prev,
            1 => &big_cur,
            _ => {
                let mut next = vec![rug::Integer::new(); k + 1];
                for (j, c) in big_cur.iter().enumerate() {
                    next[j + 1] += c * rug::Integer::from(2);
                }
                for (j, c) in big_prev.iter().enumerate() {
                    next[j] -= c;
                }
                big_prev = std::mem::replace(&mut big_cur, next);
                &big_cur
            }
        };
        for (j, c) in tk.iter().enumerate() {
            if *c != 0 {
                a[j] += Float::with_val(prec, bk * c);
            }
        }
    }
    // r(t) = Σ a_j ((t − m)/h)^j by Horner: acc ← acc·(t − m)/h + a_j.
    let mut acc: Vec<Float> = vec![a[n - 1].clone()];
    let inv_h = Float::with_val(prec, 1 / h);
    for j in (0..n - 1).rev() {
        // acc · (t − m) / h
        let mut next = vec![Float::new(prec); acc.len() + 1];
        for (i, c) in acc.iter().enumerate() {
            let scaled = Float::with_val(prec, c * &inv_h);
            next[i] -= Float::with_val(prec, &scaled * m);
            next[i + 1] += scaled;
        }
        next[0] += &a[j];
        acc = next;
    }
    acc
}

/// The returned polynomial in the monomial basis of x, x³, ….
fn to_monomial(problem: &Problem, cheb: &[Float]) -> OddPoly {
    OddPoly::with_root(to_monomial_coeffs(cheb, &problem.m, &problem.h, problem.prec), problem.root)
}

/// Checks that `poly` (what is returned) equioscillates on the reference:
/// errors alternate in sign starting positive at ℓ, and each equals the
/// largest in size to the documented relative tolerance.
fn certify(problem: &Problem, poly: &OddPoly, reference: &[Float], working_prec: u32) -> Result<(), String> {
    let tol = equioscillation_tolerance(working_prec);
    let errors: Vec<Float> =
        reference.iter().map(|s| Float::with_val(problem.prec, 1 - poly.eval(&problem.x_of(s)))).collect();
    let max = errors
        .iter()
        .map(|e| Float::with_val(problem.prec, e.abs_ref()))
        .fold(problem.float(), |a, b| if b > a { b } else { a });
    for (i, e) in errors.iter().enumerate() {
        if e.is_sign_positive() != (i % 2 == 0) {
            return Err(format!("the error at reference point {i} has the wrong sign"));
        }
        let rel = Float::with_val(problem.prec, &max - Float::with_val(problem.prec, e.abs_ref())) / &max;
        if rel > tol {
            return Err(format!(
                "the error at reference point {i} is off the levelled error by {:.3e} relative (tolerance {:.3e})",
                rel.to_f64(),
                tol.to_f64()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::parse_decimal;

    fn dec(s: &str) -> Float {
        parse_decimal(s, 512).unwrap()
    }

    #[test]
    fn chebyshev_derivative_of_t3() {
        // T3' = 3 U2 = 3(4s² − 1) = 12s² − 3 = 6 T2 + 3 T0.
        let c: Vec<Float> = [0, 0, 0, 1].iter().map(|&v| Float::with_val(64, v)).collect();
        let d = cheb_derivative(&c);
        assert_eq!(d, vec![Float::with_val(64, 3), Float::with_val(64, 0), Float::with_val(64, 6)]);
    }

    #[test]
    fn monomial_conversion_round_trips() {
        // r(s) = T2(s) = 2s² − 1 with s = (t − 3)/2: r = (t² − 6t + 9)/2 − 1.
        let c: Vec<Float> = [0, 0, 1].iter().map(|&v| Float::with_val(64, v)).collect();
        let out = to_monomial_coeffs(&c, &Float::with_val(64, 3), &Float::with_val(64, 2), 64);
        assert_eq!(out, vec![Float::with_val(64, 3.5), Float::with_val(64, -3), Float::with_val(64, 0.5)]);
    }

    #[test]
    fn rejects_bad_arguments() {
        let o = RemezOptions::default();
        assert_eq!(minimax(4, &dec("0.1"), &dec("1"), &o).unwrap_err(), RemezError::Degree(4));
        assert!(matches!(minimax(5, &dec("1"), &dec("1"), &o), Err(RemezError::Interval { .. })));
        assert!(matches!(minimax(5, &dec("0"), &dec("1"), &o), Err(RemezError::Interval { .. })));
    }
}
