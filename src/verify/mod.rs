//! Verification: apply a coefficient table to real matrices in f64, f32 or
//! bf16-emulated arithmetic and measure it against the exact polar factor.
//!
//! ```
//! use polar_coeffs::presets::preset;
//! use polar_coeffs::rows::CoefficientRows;
//! use polar_coeffs::verify::{verify, VerifyOptions, Dtype};
//! use polar_coeffs::verify::matrix::{generate, MatrixSpec, Spectrum, DEFAULT_MAX_ELEMENTS};
//!
//! let table = CoefficientRows::from_preset(&preset("jordan").unwrap());
//! let spec = MatrixSpec { rows: 32, cols: 64, spectrum: Spectrum::LogUniform, lower: 1e-3, seed: 0 };
//! let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
//! let options = VerifyOptions { dtypes: vec![Dtype::F64, Dtype::Bf16], ..VerifyOptions::default() };
//! let report = verify(&table, &matrix, &options).unwrap();
//! assert_eq!(report.runs.len(), 2);
//! assert_eq!(report.runs[0].steps.len(), 6); // the input, then 5 steps
//! ```
//!
//! Verification never needs rug: it works on the f64/f32 values a user would
//! paste, and its reference is the f64 polar factor from
//! [`reference::polar_reference`].

pub mod arith;
pub mod eigenvalues;
pub mod kernel;
pub mod matrix;
pub mod reference;
pub mod report;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

pub use arith::Dtype;
use arith::{GramState, Storage, step};
use faer::Mat;
use matrix::TestMatrix;
use reference::{REFERENCE_MIN_RATIO, ReferenceError, polar_reference_mat};

use crate::poly::eval_odd_f64;
use crate::rows::RowsError;
pub use crate::rows::{Beyond, CoefficientRows};

pub use crate::normalise::{DEFAULT_DELTA as DEFAULT_NORM_DELTA, DEFAULT_EPS as DEFAULT_NORM_EPS};

/// Options of a verification.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// Arithmetics to run, each on the same matrix.
    pub dtypes: Vec<Dtype>,
    /// Steps to run (`None`: the table's own count).
    pub steps: Option<usize>,
    /// Past the last row.
    pub beyond: Beyond,
    /// ε of the normalisation.
    pub eps: f64,
    /// δ of the normalisation.
    pub delta: f64,
    /// Gram Newton–Schulz with restarts before these 0-based steps (the
    /// repository's `reset_iterations`, e.g. `[2]`); `None`: the standard
    /// iteration on X.
    pub gram_restarts: Option<Vec<usize>>,
    /// Divide by ‖(X Xᵀ)²‖_F^(1/4) instead of ‖X‖_F (then ·(1 + ε) + δ).
    pub spectral_bound: bool,
    /// Where a low-precision run normalises its input.
    pub normalise_in: NormaliseIn,
    /// Which iterates are measured (every step is run either way).
    pub measure: Measure,
}

/// Which iterates X_t a verification measures. Every step is run in any
/// case; a measurement (two f64 Gram products and two symmetric eigenvalue
/// problems of the short side) costs several steps, so on large matrices
/// measuring only the last iterate is what makes a run short.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Measure {
    /// X₀, X₁, …, X_T.
    #[default]
    All,
    /// X_T only.
    Last,
    /// These steps (0 is the normalised input), ascending, each at most T.
    Steps(Vec<usize>),
}

impl Measure {
    /// Whether step `t` of `steps` is measured.
    pub fn includes(&self, t: usize, steps: usize) -> bool {
        match self {
            Self::All => true,
            Self::Last => t == steps,
            Self::Steps(list) => list.contains(&t),
        }
    }

    /// How many of the iterates X₀ … X_steps are measured.
    pub fn count(&self, steps: usize) -> usize {
        (0..=steps).filter(|&t| self.includes(t, steps)).count()
    }
}

/// Where a low-precision run (f32, bf16, fp16) normalises its input.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NormaliseIn {
    /// In f64, then one rounding to the storage type (the exact start).
    #[default]
    F64,
    /// M cast to f32, the norm accumulated and the division done in f32,
    /// then rounded to the storage type (normalising in f32 before the
    /// cast).
    F32,
    /// M cast to the storage type first, the norm accumulated in f32 from
    /// those values, the divisor and the quotient rounded to the storage
    /// type (normalising in the working precision).
    Dtype,
}

impl VerifyOptions {
    /// Takes ε, δ and the norm from a table's normalisation
    /// (ε = scale − 1).
    pub fn normalise_like(&mut self, n: &crate::normalise::Normalisation) {
        self.eps = n.excess_f64();
        self.delta = n.epsilon_f64();
        self.spectral_bound = n.kind == crate::normalise::NormKind::SpectralBound;
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            dtypes: vec![Dtype::F64, Dtype::F32, Dtype::Bf16],
            steps: None,
            beyond: Beyond::RepeatLast,
            eps: DEFAULT_NORM_EPS,
            delta: DEFAULT_NORM_DELTA,
            gram_restarts: None,
            spectral_bound: false,
            normalise_in: NormaliseIn::F64,
            measure: Measure::All,
        }
    }
}

/// Measurements of X_t.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// Step number t (0: the normalised input).
    pub step: usize,
    /// 1-based table row applied at this step (0 for the input).
    pub row: usize,
    /// Smallest singular value of X_t.
    pub sigma_min: f64,
    /// Median singular value of X_t.
    pub sigma_median: f64,
    /// Largest singular value of X_t.
    pub sigma_max: f64,
    /// ‖X_t − U Vᵀ‖₂.
    pub polar_error_spectral: f64,
    /// ‖X_t − U Vᵀ‖_F / ‖U Vᵀ‖_F.
    pub polar_error_frobenius_rel: f64,
    /// ‖X_t X_tᵀ − I‖₂ on the short side.
    pub orthogonality_error: f64,
    /// The composed scalar polynomial at the true smallest singular value of X₀ … (min over all).
    pub predicted_sigma_min: f64,
    /// … and the largest value it takes over them.
    pub predicted_sigma_max: f64,
}

/// One arithmetic's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtypeRun {
    /// The arithmetic.
    pub dtype: Dtype,
    /// Per step, starting with step 0 (the normalised input); a failed run
    /// stops at the last step whose values are finite.
    pub steps: Vec<StepMetrics>,
    /// Why the run stopped early: X_t or a metric became non-finite (an
    /// overflow), or the eigensolver failed. Absent for a run that finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A verification report (the `.verify.json` format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// The table's name.
    pub table: String,
    /// Where its rows come from.
    pub table_source: String,
    /// Rows as applied (decimal text).
    pub rows: Vec<Vec<String>>,
    /// The matrix.
    pub matrix: String,
    /// Its shape (rows, cols) as given.
    pub shape: [usize; 2],
    /// Steps run.
    pub steps: usize,
    /// Policy past the last row.
    pub beyond_last_row: Beyond,
    /// Normalisation ε.
    pub norm_eps: f64,
    /// Normalisation δ.
    pub norm_delta: f64,
    /// Where the low-precision runs normalised, when not in f64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalise_in: Option<NormaliseIn>,
    /// The norm divided by, when it is not ‖M‖_F: `spectral_bound`,
    /// ‖(M Mᵀ)²‖_F^(1/4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub norm_kind: Option<crate::normalise::NormKind>,
    /// Gram Newton–Schulz restarts (0-based steps), when the run used that
    /// iteration; absent for the standard one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gram_restarts: Option<Vec<usize>>,
    /// σ_min and σ_max of the normalised input X₀ (f64).
    pub input_sigma: [f64; 2],
    /// Set when the Gram-based reference is inaccurate for this matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_warning: Option<String>,
    /// Set when the normalised input's singular values leave the interval
    /// the table was designed for (its guarantee then does not cover them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_warning: Option<String>,
    /// One run per arithmetic.
    pub runs: Vec<DtypeRun>,
    /// polar-coeffs version.
    pub tool_version: String,
}

impl VerifyReport {
    /// Checks a report read back: its table name is a plain file stem (it
    /// names a folder of figures) and its labels are one line of text.
    ///
    /// # Errors
    ///
    /// [`FieldError`](crate::ident::FieldError) naming the field and value.
    pub fn check(&self) -> Result<(), crate::ident::FieldError> {
        use crate::ident::{FieldError, is_plain_stem, is_plain_text};
        if !is_plain_stem(&self.table) {
            return Err(FieldError::new("table", &self.table, "a plain file stem"));
        }
        let warnings = [("reference_warning", &self.reference_warning), ("interval_warning", &self.interval_warning)];
        let present = warnings.iter().filter_map(|(f, w)| w.as_ref().map(|w| (*f, w)));
        for (field, text) in [("table_source", &self.table_source), ("matrix", &self.matrix)].into_iter().chain(present)
        {
            if !is_plain_text(text, 2000) {
                return Err(FieldError::new(field, text, "one line of text"));
            }
        }
        Ok(())
    }
}

/// Smallest max |X₀_ij| verified: below it the Gram matrix X₀X₀ᵀ underflows
/// in f64 and every metric would read 0.
pub const MIN_NORMALISED: f64 = 1e-150;

/// Why a verification could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// Bad table rows.
    #[error(transparent)]
    Table(#[from] RowsError),
    /// Zero steps asked for.
    #[error("steps = 0 is not allowed: at least 1 step")]
    NoSteps,
    /// The input cannot be normalised in f64 (all zero, or ε, δ so large
    /// against the data that X₀ is zero, too small to square, or not finite).
    #[error(
        "the input cannot be normalised: max |M_ij| = {amax:e}, divisor ||M/max||_F (1 + eps) + delta/max = {divisor:e}; X0 would be below 1e-150 (its Gram matrix underflows), zero or not finite: scale the matrix or lower delta/eps"
    )]
    Scale {
        /// max |M_ij|.
        amax: f64,
        /// The divisor of M / max|M_ij|.
        divisor: f64,
    },
    /// The reference polar factor could not be computed.
    #[error("the reference polar factor: {0}")]
    Reference(reference::ReferenceError),
    /// Gram restarts outside the run.
    #[error("restarts = {restarts:?} are not allowed: 0-based steps from 1 to {last} (steps = {steps})")]
    Restarts {
        /// As given.
        restarts: Vec<usize>,
        /// The last allowed.
        last: usize,
        /// Steps run.
        steps: usize,
    },
    /// Measured steps past the last one run.
    #[error("measure = {measured:?} is not allowed: steps from 0 to {steps} (0 is the normalised input)")]
    Measure {
        /// As given.
        measured: Vec<usize>,
        /// Steps run.
        steps: usize,
    },
    /// A normalisation constant that is negative or not finite.
    #[error("normalisation eps = {eps}, delta = {delta} are not allowed: finite numbers >= 0")]
    Normalisation {
        /// ε.
        eps: f64,
        /// δ.
        delta: f64,
    },
}

/// Runs the table on the matrix in every requested arithmetic.
///
/// # Errors
///
/// [`VerifyError`] for unusable rows or options.
pub fn verify(
    table: &CoefficientRows,
    matrix: &TestMatrix,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    verify_with_progress(table, matrix, options, &mut |_, _| {})
}

/// [`verify`], calling `progress(done, total)` after the reference and after
/// every step, measured or not (total = 1 + arithmetics × (steps + 1)).
///
/// # Errors
///
/// As [`verify`].
pub fn verify_with_progress(
    table: &CoefficientRows,
    matrix: &TestMatrix,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<VerifyReport, VerifyError> {
    let rows64 = table.rows_f64()?;
    let rows32 = table.rows_f32()?;
    let steps = options.steps.unwrap_or(table.default_steps);
    if steps == 0 {
        return Err(VerifyError::NoSteps);
    }
    if let Some(r) = &options.gram_restarts
        && r.iter().any(|&i| i == 0 || i >= steps)
    {
        return Err(VerifyError::Restarts { restarts: r.clone(), last: steps.saturating_sub(1), steps });
    }
    if let Measure::Steps(list) = &options.measure
        && (list.is_empty() || list.iter().any(|&t| t > steps))
    {
        return Err(VerifyError::Measure { measured: list.clone(), steps });
    }
    if !(options.eps >= 0.0 && options.eps.is_finite() && options.delta >= 0.0 && options.delta.is_finite()) {
        return Err(VerifyError::Normalisation { eps: options.eps, delta: options.delta });
    }
    let shape = [matrix.m.nrows(), matrix.m.ncols()];
    // Work on the short side: n ≤ m.
    let m = if shape[0] <= shape[1] { matrix.m.clone() } else { matrix.m.transpose() };
    // X₀ = M / (‖M‖_F(1 + ε) + δ), computed on M / max|M_ij| so that neither
    // 1e300 nor 1e-300 data overflow or underflow on the way.
    let amax = m.amax();
    let unit = &m / amax;
    let norm = if options.spectral_bound {
        let a = kernel::gram(kernel::from_nalgebra(&unit).as_ref());
        kernel::product(a.as_ref(), a.as_ref()).norm_l2().sqrt().sqrt()
    } else {
        unit.norm()
    };
    let divisor = crate::normalise::divisor(norm, options.eps, options.delta / amax);
    let x0 = &unit / divisor;
    if !(amax.is_finite() && amax > 0.0 && divisor.is_finite() && divisor > 0.0) || x0.amax() < MIN_NORMALISED {
        return Err(VerifyError::Scale { amax, divisor });
    }
    let x0m = kernel::from_nalgebra(&x0);
    let order: Vec<usize> = (0..steps).map(|t| table.row_index(t, options.beyond)).collect();
    // The reference is computed side by side with the first run's steps
    // (see `run`), or here when no run needs it.
    let mut reference = ReferenceSlot { x0: &x0m, value: None };
    let total = 1 + options.dtypes.len() * (steps + 1);
    let mut done = 0;
    let mut outcomes = Vec::with_capacity(options.dtypes.len());
    for &dtype in &options.dtypes {
        let mut tick = || {
            done += 1;
            progress(done, total);
        };
        let restarts = options.gram_restarts.as_deref();
        let measure = &options.measure;
        let outcome = match dtype {
            Dtype::F64 => {
                let start = kernel::transpose(x0m.as_ref());
                run(start, &mut reference, &rows64, &order, restarts, measure, arith::Exact, &mut tick)
            }
            Dtype::F32 | Dtype::Bf16 | Dtype::Fp16 => {
                let storage = dtype.storage().expect("a low-precision arithmetic");
                let start = kernel::from_nalgebra(&start_f32(&m, &x0, storage, options).transpose());
                run(start, &mut reference, &rows32, &order, restarts, measure, storage, &mut tick)
            }
        };
        outcomes.push((dtype, outcome.map_err(VerifyError::Reference)?));
    }
    let singular_values = match reference.value.take() {
        Some((_, sigma)) => sigma,
        None => {
            let (_, sigma) = ReferenceSlot::compute(&x0m).map_err(VerifyError::Reference)?;
            done += 1;
            progress(done, total);
            sigma
        }
    };
    let sigma0: Vec<f64> = match &matrix.prescribed {
        Some(s) => s.iter().map(|v| v / amax / divisor).collect(),
        None => singular_values.clone(),
    };
    let (smax, smin) = (singular_values[0], *singular_values.last().expect("n >= 1"));
    let reference_warning = (smin < REFERENCE_MIN_RATIO * smax).then(|| {
        format!(
            "sigma_min / sigma_max = {:.3e} is below {REFERENCE_MIN_RATIO:e}: the Gram-based reference polar factor has lost more than half of its f64 digits",
            smin / smax
        )
    });
    // Predictions: the composed polynomial on every true singular value.
    let mut predicted = Vec::with_capacity(steps + 1);
    let mut sig = sigma0.clone();
    predicted.push(min_max(&sig));
    for &r in &order {
        for s in &mut sig {
            *s = eval_odd_f64(&rows64[r], *s);
        }
        predicted.push(min_max(&sig));
    }
    let mut runs = Vec::new();
    for (dtype, (metrics, mut failure)) in outcomes {
        // The scalar prediction overflowing is a failure of the table too.
        let keep = match predicted.iter().position(|p| !(p.0.is_finite() && p.1.is_finite())) {
            Some(t) if metrics.iter().any(|(step, _)| *step >= t) => {
                failure.get_or_insert_with(|| {
                    format!("step {t}: the composed polynomial overflows f64 on the input's singular values")
                });
                t
            }
            _ => usize::MAX,
        };
        let steps: Vec<StepMetrics> = metrics
            .into_iter()
            .take_while(|(t, _)| *t < keep)
            .map(|(t, m)| StepMetrics {
                step: t,
                row: if t == 0 { 0 } else { order[t - 1] + 1 },
                sigma_min: m.sigma[0],
                sigma_median: m.sigma[1],
                sigma_max: m.sigma[2],
                polar_error_spectral: m.polar_spectral,
                polar_error_frobenius_rel: m.polar_frobenius_rel,
                orthogonality_error: m.orthogonality,
                predicted_sigma_min: predicted[t].0,
                predicted_sigma_max: predicted[t].1,
            })
            .collect();
        runs.push(DtypeRun { dtype, steps, failure });
    }
    let interval_warning = table.interval.as_ref().and_then(|[lower, upper]| {
        interval_warning(min_max(&sigma0), (lower, upper), predicted.last().copied(), steps)
    });
    Ok(VerifyReport {
        table: table.name.clone(),
        table_source: table.source.clone(),
        rows: table.rows.clone(),
        matrix: matrix.description.clone(),
        shape,
        steps,
        beyond_last_row: options.beyond,
        norm_eps: options.eps,
        norm_delta: options.delta,
        gram_restarts: options.gram_restarts.clone(),
        norm_kind: options.spectral_bound.then_some(crate::normalise::NormKind::SpectralBound),
        normalise_in: (options.normalise_in != NormaliseIn::F64).then_some(options.normalise_in),
        input_sigma: [min_max(&sigma0).0, min_max(&sigma0).1],
        reference_warning,
        interval_warning,
        runs,
        tool_version: crate::TOOL_VERSION.to_string(),
    })
}

/// The warning for a normalised input whose singular values leave the
/// table's [ℓ, u]: which end, by how much, and what the composed polynomial
/// then predicts for them. (ℓ and u are read as f64 for this comparison only.)
fn interval_warning(
    (smin, smax): (f64, f64),
    (lower, upper): (&str, &str),
    predicted: Option<(f64, f64)>,
    steps: usize,
) -> Option<String> {
    let (l, u) = (lower.trim().parse::<f64>().ok()?, upper.trim().parse::<f64>().ok()?);
    let mut parts = Vec::new();
    if smin < l {
        parts.push(format!("sigma_min = {smin:.3e} is below the table's lower end {lower}"));
    }
    if smax > u {
        parts.push(format!("sigma_max = {smax:.3e} is above the table's upper end {upper}"));
    }
    if parts.is_empty() {
        return None;
    }
    let after = predicted.map_or(String::new(), |(lo, hi)| {
        format!(
            "; after {steps} steps the composed polynomial maps the input's singular values into [{lo:.3e}, {hi:.3e}]"
        )
    });
    Some(format!(
        "the normalised input's {}: the table's guarantee (its composed error) covers singular values in [{lower}, {upper}] only{after} (the predicted sigma columns); use a matrix with larger small singular values, or a table designed for a smaller lower end",
        parts.join(" and ")
    ))
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// The measurements of one iterate (see [`StepMetrics`] for their
/// meaning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// σ_min, σ_median, σ_max.
    pub sigma: [f64; 3],
    /// ‖X − U Vᵀ‖₂.
    pub polar_spectral: f64,
    /// ‖X − U Vᵀ‖_F / √n.
    pub polar_frobenius_rel: f64,
    /// ‖X Xᵀ − I‖₂.
    pub orthogonality: f64,
}

/// Measures an iterate X (n×m, n ≤ m, any run arithmetic, given as
/// `xt` = Xᵀ) against the polar factor (given as `polar_t` = (U Vᵀ)ᵀ) in f64:
/// the unit of work each step of [`verify`] does after its product (public
/// for the benchmarks).
///
/// # Errors
///
/// [`ReferenceError`] when X is not finite or an eigensolver fails.
pub fn measure<T: kernel::Real>(xt: &Mat<T>, polar_t: &Mat<f64>) -> Result<Measurement, ReferenceError> {
    measure_iterate(xt, None, polar_t)
}

/// Metrics of X_t, measured in f64 whatever the arithmetic of the run: σ and
/// the orthogonality error from the eigenvalues of S = X Xᵀ (formed in f64
/// from X_t's values, so that a run's own rounding of its Gram matrix does
/// not enter the measurement), the polar errors from D = X − U Vᵀ (formed in
/// one pass from X_t's values) and D Dᵀ: its largest eigenvalue, and its
/// trace ‖D‖_F². Four eigenvalues (by bisection on the tridiagonal forms),
/// no vectors.
///
/// `xt` and `polar_t` are Xᵀ and (U Vᵀ)ᵀ.
fn metrics<T: kernel::Real>(xt: &Mat<T>, s: &Mat<f64>, polar_t: &Mat<f64>) -> Result<Measurement, ReferenceError> {
    let n = xt.ncols();
    let d = kernel::difference_f64(xt, polar_t);
    let d_gram = kernel::gram_t(d.as_ref());
    drop(d);
    let d_frob2: f64 = (0..n).map(|i| d_gram[(i, i)]).sum();
    // Only the eigenvalues reported: S's smallest, middle and largest (the
    // largest |λ − 1| is at one end), D Dᵀ's largest.
    let (lambda, d_lambda) =
        kernel::symmetric_eigenvalues_selected_pair(s.as_ref(), &[0, n / 2, n - 1], d_gram.as_ref(), &[n - 1]);
    // A finite iterate can still square past f64's range: the eigenvalues
    // of a non-finite matrix are refused (`None`), those of a reduction
    // that overflowed are NaN; either is a failed run (checked before
    // `max`, which would turn a NaN into 0).
    let finite = |v: Option<Vec<f64>>| v.filter(|v| v.iter().all(|x| x.is_finite())).ok_or(ReferenceError::NonFinite);
    let lambda = finite(lambda)?;
    let d_top = finite(d_lambda)?[0].max(0.0).sqrt();
    let orthogonality = (lambda[0] - 1.0).abs().max((lambda[2] - 1.0).abs());
    let m = Measurement {
        sigma: [lambda[0], lambda[1], lambda[2]].map(|l| l.max(0.0).sqrt()),
        polar_spectral: d_top,
        polar_frobenius_rel: (d_frob2 / n as f64).sqrt(),
        orthogonality,
    };
    let all = [m.sigma[0], m.sigma[1], m.sigma[2], m.polar_spectral, m.polar_frobenius_rel, m.orthogonality];
    if all.iter().all(|v| v.is_finite()) { Ok(m) } else { Err(ReferenceError::NonFinite) }
}

/// A run's metrics (step, measurement) up to its failure, and the failure.
type RunOutcome = (Vec<(usize, Measurement)>, Option<String>);

/// Where Gram Newton–Schulz restarts and keeps R: (restart before step t,
/// update R after it), for 1-based step t of `steps`.
fn gram_flags(restarts: &[usize], t: usize, steps: usize) -> (bool, bool) {
    (t > 1 && restarts.contains(&(t - 1)), t < steps && !restarts.contains(&t))
}

/// The reference of X₀: (U Vᵀ)ᵀ and σ (descending), once computed.
struct ReferenceSlot<'a> {
    x0: &'a Mat<f64>,
    value: Option<(Mat<f64>, Vec<f64>)>,
}

impl ReferenceSlot<'_> {
    /// (U Vᵀ)ᵀ (iterates are held transposed, see `arith::step`) and σ.
    fn compute(x0: &Mat<f64>) -> Result<(Mat<f64>, Vec<f64>), ReferenceError> {
        let (polar, sigma) = polar_reference_mat(x0)?;
        Ok((kernel::transpose(polar.as_ref()), sigma))
    }
}

/// Most bytes of iterates kept for measurement while the reference is
/// still being computed (past it, the run waits for the reference).
const PENDING_BYTES: usize = 1 << 30;

/// One arithmetic's iteration, advanced a step at a time: X_t (transposed)
/// and, for the standard iteration, X_t X_tᵀ as the run accumulates it (for
/// step t + 1; not yet rounded: the step rounds it before use).
struct Iteration<'a, T: kernel::Real, R> {
    t: usize,
    x: Mat<T>,
    s: Option<Mat<T>>,
    state: Option<GramState<T>>,
    rows: &'a [Vec<T>],
    order: &'a [usize],
    restarts: Option<&'a [usize]>,
    round: R,
}

impl<'a, T: kernel::Real, R: arith::Rounding<T>> Iteration<'a, T, R> {
    fn new(start: Mat<T>, rows: &'a [Vec<T>], order: &'a [usize], restarts: Option<&'a [usize]>, round: R) -> Self {
        let state = restarts.map(|_| GramState::new(start.clone(), round));
        let mut it = Self { t: 0, x: start, s: None, state, rows, order, restarts, round };
        it.update_gram();
        it
    }

    fn last(&self) -> bool {
        self.t == self.order.len()
    }

    fn update_gram(&mut self) {
        self.s = (self.state.is_none() && !self.last()).then(|| kernel::gram_t(self.x.as_ref()));
    }

    /// X_t's failure, if it has non-finite entries.
    fn failure(&self) -> Option<String> {
        (!kernel::all_finite(&self.x))
            .then(|| format!("step {}: X_t has non-finite entries (the iteration overflowed)", self.t))
    }

    /// Step t + 1 (X_t must be finite).
    fn advance(&mut self) {
        self.t += 1;
        let coeffs = &self.rows[self.order[self.t - 1]];
        self.x = match (&mut self.state, self.restarts, self.s.take()) {
            (Some(g), Some(r), _) => {
                let (restart, update_r) = gram_flags(r, self.t, self.order.len());
                g.step(coeffs, restart, update_r, self.round)
            }
            (_, _, Some(gram)) => step(&self.x, &gram, coeffs, self.round),
            _ => unreachable!("the standard iteration keeps X X^T for its next step"),
        };
        if kernel::all_finite(&self.x) {
            self.update_gram();
        }
    }

    /// What a measurement of X_t needs, copied: X_t and, in f64, the run's
    /// own Gram matrix (the measured one).
    fn snapshot(&self) -> (usize, Mat<T>, Option<Mat<T>>) {
        (self.t, self.x.clone(), self.s.clone().filter(|_| T::IS_F64))
    }

    fn bytes(&self) -> usize {
        let n = self.x.ncols();
        (self.x.nrows() * n + if T::IS_F64 { n * n } else { 0 }) * std::mem::size_of::<T>()
    }
}

/// Measures X_t (`s`: the run's own Gram matrix, used in f64).
fn measure_iterate<T: kernel::Real>(
    x: &Mat<T>,
    s: Option<&Mat<T>>,
    polar_t: &Mat<f64>,
) -> Result<Measurement, ReferenceError> {
    let formed;
    let s64 = match (s.and_then(T::as_f64), T::as_f64(x)) {
        // An f64 run's own Gram matrix is the measured one, borrowed.
        (Some(gram), _) => gram,
        (None, Some(x64)) => {
            formed = kernel::gram_t(x64.as_ref());
            &formed
        }
        (None, None) => {
            formed = kernel::gram_t(kernel::to_f64(x).as_ref());
            &formed
        }
    };
    metrics(x, s64, polar_t)
}

/// What ran ahead of the reference: copies of the iterates to measure
/// (step, X_t, the run's Gram matrix in f64), how many iterates were
/// processed, and how it stopped.
struct Ahead<T: kernel::Real> {
    kept: Vec<(usize, Mat<T>, Option<Mat<T>>)>,
    processed: usize,
    /// The run's failure at a non-finite iterate.
    failure: Option<String>,
    /// Whether the last iterate was processed (or the run failed).
    finished: bool,
}

/// Runs ahead while the reference is computed: steps on, keeping copies of
/// the iterates to measure (at most `budget` bytes). Stops at the first
/// iterate it cannot keep (left unprocessed), at a non-finite iterate (its
/// failure), or after the last.
fn run_ahead<T: kernel::Real, R: arith::Rounding<T>>(
    it: &mut Iteration<'_, T, R>,
    measure: &Measure,
    budget: usize,
) -> Ahead<T> {
    let mut ahead = Ahead { kept: Vec::new(), processed: 0, failure: None, finished: false };
    let mut bytes = 0;
    loop {
        if let Some(why) = it.failure() {
            return Ahead { failure: Some(why), finished: true, ..ahead };
        }
        if measure.includes(it.t, it.order.len()) {
            if bytes + it.bytes() > budget {
                return ahead;
            }
            bytes += it.bytes();
            ahead.kept.push(it.snapshot());
        }
        ahead.processed += 1;
        if it.last() {
            return Ahead { finished: true, ..ahead };
        }
        it.advance();
    }
}

/// The failure of a run whose iterate at step `t` could not be measured.
fn unmeasurable(t: usize, e: ReferenceError) -> Option<String> {
    Some(format!("step {t}: {e} (X_t overflowed or is not finite)"))
}

/// One arithmetic's run from its normalised start (transposed, as the
/// reference): every step in `T` with `round` applied to every value formed
/// (identity for f64 and f32), the iterates `measure` selects measured in
/// f64. When the reference is not computed yet, it is computed side by side
/// with this run's first steps (its eigendecomposition is sequential, so
/// the steps' products take the other threads).
///
/// # Errors
///
/// The reference's [`ReferenceError`] (a run's own failures are in the
/// outcome).
#[allow(clippy::too_many_arguments)]
fn run<T: kernel::Real, R: arith::Rounding<T>>(
    start: Mat<T>,
    reference: &mut ReferenceSlot<'_>,
    rows: &[Vec<T>],
    order: &[usize],
    restarts: Option<&[usize]>,
    measure: &Measure,
    round: R,
    tick: &mut dyn FnMut(),
) -> Result<RunOutcome, ReferenceError> {
    run_with_budget(start, reference, (rows, order, restarts), measure, round, tick, PENDING_BYTES)
}

/// [`run`] keeping at most `budget` bytes of iterates while the reference
/// is computed.
fn run_with_budget<T: kernel::Real, R: arith::Rounding<T>>(
    start: Mat<T>,
    reference: &mut ReferenceSlot<'_>,
    (rows, order, restarts): (&[Vec<T>], &[usize], Option<&[usize]>),
    measure: &Measure,
    round: R,
    tick: &mut dyn FnMut(),
    budget: usize,
) -> Result<RunOutcome, ReferenceError> {
    let mut it = Iteration::new(start, rows, order, restarts, round);
    let mut out = Vec::with_capacity(measure.count(order.len()));
    if reference.value.is_none() {
        let x0 = reference.x0;
        let (computed, ahead) = rayon::join(|| ReferenceSlot::compute(x0), || run_ahead(&mut it, measure, budget));
        reference.value = Some(computed?);
        // The reference, then what ran ahead.
        tick();
        let polar_t = &reference.value.as_ref().expect("set above").0;
        for _ in 0..ahead.processed {
            tick();
        }
        for (t, x, s) in ahead.kept {
            match measure_iterate(&x, s.as_ref(), polar_t) {
                Ok(m) => out.push((t, m)),
                Err(e) => return Ok((out, unmeasurable(t, e))),
            }
        }
        if ahead.finished {
            return Ok((out, ahead.failure));
        }
    }
    let polar_t = &reference.value.as_ref().expect("computed above").0;
    loop {
        if let Some(why) = it.failure() {
            return Ok((out, Some(why)));
        }
        if measure.includes(it.t, order.len()) {
            match measure_iterate(&it.x, it.s.as_ref(), polar_t) {
                Ok(m) => out.push((it.t, m)),
                Err(e) => return Ok((out, unmeasurable(it.t, e))),
            }
        }
        tick();
        if it.last() {
            return Ok((out, None));
        }
        it.advance();
    }
}

/// The normalised input in a low-precision run, normalised where
/// `options.normalise_in` says (`m` is the input on the short side).
fn start_f32(m: &DMatrix<f64>, x0: &DMatrix<f64>, storage: Storage, options: &VerifyOptions) -> DMatrix<f32> {
    let to_storage = |v: f64| storage.from_f64(v);
    let norm32 = |x: &DMatrix<f32>| -> f32 {
        let frob = |a: &DMatrix<f32>| a.iter().map(|v| v * v).sum::<f32>().sqrt();
        if options.spectral_bound {
            let a = x * x.transpose();
            frob(&(&a * &a)).sqrt().sqrt()
        } else {
            frob(x)
        }
    };
    let divide = |x: DMatrix<f32>, round: bool| {
        let mut d = norm32(&x) * (1.0 + options.eps as f32) + options.delta as f32;
        if round {
            d = storage.round(d);
        }
        x.map(|v| storage.round(v / d))
    };
    match options.normalise_in {
        NormaliseIn::F64 => x0.map(to_storage),
        NormaliseIn::F32 => divide(m.map(|v| v as f32), false),
        NormaliseIn::Dtype => divide(m.map(to_storage), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever ran ahead of the reference (nothing, some iterates, all of
    /// them), the run's measurements are the same, and every iterate is
    /// ticked once, with the reference.
    #[test]
    fn running_ahead_of_the_reference_changes_nothing() {
        let table = crate::rows::CoefficientRows::from_preset(&crate::presets::preset("polar-express-2025").unwrap());
        let rows: Vec<Vec<f32>> = table.rows_f32().unwrap();
        let order: Vec<usize> = (0..6).map(|t| table.row_index(t, Beyond::RepeatLast)).collect();
        let spec =
            matrix::MatrixSpec { rows: 12, cols: 20, spectrum: matrix::Spectrum::LogUniform, lower: 1e-2, seed: 1 };
        let m = matrix::generate(&spec, matrix::DEFAULT_MAX_ELEMENTS).unwrap().m;
        let x0 = kernel::from_nalgebra(&(&m / (m.norm() * 1.01)));
        let start: Mat<f32> = Mat::from_fn(20, 12, |i, j| crate::verify::arith::round_bf16(x0[(j, i)] as f32));
        let one = 20 * 12 * 4;
        let mut outcomes = Vec::new();
        for measure in [Measure::All, Measure::Last, Measure::Steps(vec![1, 4])] {
            for budget in [0, one, 3 * one, usize::MAX] {
                let mut slot = ReferenceSlot { x0: &x0, value: None };
                let mut ticks = 0;
                let outcome = run_with_budget(
                    start.clone(),
                    &mut slot,
                    (&rows, &order, None),
                    &measure,
                    crate::verify::arith::Storage::Bf16,
                    &mut || ticks += 1,
                    budget,
                )
                .unwrap();
                assert!(slot.value.is_some());
                assert_eq!(ticks, 1 + 7, "{measure:?}, budget {budget}");
                assert!(outcome.1.is_none());
                assert_eq!(outcome.0.len(), measure.count(6));
                outcomes.push((measure.clone(), outcome.0));
            }
        }
        for pair in outcomes.chunks(4) {
            for o in &pair[1..] {
                assert_eq!(o, &pair[0]);
            }
        }
    }
}
