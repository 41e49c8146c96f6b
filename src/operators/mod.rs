//! The operators built on msign, run with a coefficient table on real
//! matrices in f64, f32, bf16 or fp16, and measured against f64 references
//! that use no table.
//!
//! | operator | computes | by |
//! | --- | --- | --- |
//! | `msign` | U Vᵀ | the table on X Xᵀ |
//! | `mcsgn` | the sign of a square matrix with real eigenvalues | the table on X itself, X₀ = M/√tr(M²) |
//! | `sylvester` | X with A X + X B = C (A, B symmetric positive definite) | mcsgn([[A + εI, −C], [0, −B − εI]]) = [[I, −2X], [0, −I]] |
//! | `sqrt`, `inv-sqrt` | P^(1/2), P^(−1/2) | the coupled iteration on P₀ = P/tr(P): W = q(P), P ← W²P, Y ← Y W, Z ← Z W |
//! | `root` | G P^(−s/r) | the same with a root-family table: P₀ = P/√tr(P²), P ← W^r P, G ← G W^s |
//! | `mclip` | U min(Σ, 1) Vᵀ (or clip to [α, β]) | formula `v1`, `v2`, `v3`, `leloykun`, `clip` |
//! | `mstep` | U step(Σ − 1) Vᵀ | ½[S + msign(M − S)] |
//! | `msign-grad` | ∇_M ⟨G, msign(M)⟩ | A X + X B = G with A = M Oᵀ, B = OᵀM through mcsgn; X − O Xᵀ O |
//!
//! ```
//! use polar_coeffs::operators::{OperatorKind, OperatorOptions, run};
//! use polar_coeffs::operators::operands::{OperandSpec, generate};
//! use polar_coeffs::presets::preset;
//! use polar_coeffs::rows::CoefficientRows;
//! use polar_coeffs::verify::Dtype;
//!
//! let table = CoefficientRows::from_preset(&preset("polar-express-2025").unwrap());
//! let spec = OperandSpec { rows: 12, cols: 12, ..OperandSpec::default() };
//! let operands = generate(OperatorKind::Sqrt, &spec, vec![], 1 << 20).unwrap();
//! let options = OperatorOptions { dtypes: vec![Dtype::F64], steps: Some(12), ..OperatorOptions::default() };
//! let report = run(OperatorKind::Sqrt, &table, 2, &operands, &options).unwrap();
//! assert!(report.results[0].metrics["sqrt_relative_error"] < 1e-10);
//! ```

pub mod apply;
pub mod operands;
pub mod reference;
pub mod report;
pub mod work;

use std::collections::BTreeMap;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::poly::MSIGN_ROOT;
use crate::rows::{Beyond, CoefficientRows, RowsError};
use crate::verify::Dtype;
use apply::{Job, Outcome, all_finite};
use operands::Operand;
use work::{F32Work, F64Work};

/// An operator.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum OperatorKind {
    /// U Vᵀ.
    Msign,
    /// The eigen-sign of a square matrix with real spectrum.
    Mcsgn,
    /// A X + X B = C.
    Sylvester,
    /// P^(1/2).
    Sqrt,
    /// P^(−1/2).
    InvSqrt,
    /// G P^(−s/r) with a root-family table.
    Root,
    /// U clip(Σ) Vᵀ.
    Mclip,
    /// U step(Σ − 1) Vᵀ.
    Mstep,
    /// msign's backward map.
    MsignGrad,
}

impl OperatorKind {
    /// The name as written on the command line and in configs.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A singular-value clipping formula.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Formula {
    /// ½[M + S + (I − MSᵀ) msign(M − S)] (nested).
    V1,
    /// ½[M + S + (S − M) msign(MᵀM − I)].
    V2,
    /// ½[(S + M) msign(MᵀM + I) + (S − M) msign(MᵀM − I)].
    V3,
    /// O = msign([[I, M], [Mᵀ, I]]); O₁₂ + O₁₁ M.
    Leloykun,
    /// ½{(α+β)S + (αI − MSᵀ) msign(αS − M) − (βI − MSᵀ) msign(βS − M)}.
    Clip,
}

impl Formula {
    /// The name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// Options of an operator run.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorOptions {
    /// Arithmetics to run.
    pub dtypes: Vec<Dtype>,
    /// Steps of every table application (`None`: the table's row count).
    pub steps: Option<usize>,
    /// Past the last row.
    pub beyond: Beyond,
    /// Shift of the definite blocks (Sylvester, msign-grad) and of P₀
    /// (roots), relative to the normalisation (the units of the table's ℓ).
    pub epsilon: f64,
    /// Clipping formulas to run (`mclip`).
    pub formulas: Vec<Formula>,
    /// [α, β] of the `clip` formula.
    pub clip: [f64; 2],
    /// The power s of G P^(−s/r) (`root`).
    pub power: u32,
    /// Most elements of any matrix a formula forms (the n×n products of
    /// `v1`, `clip`, the (n+m)² blocks of `leloykun`, `sylvester`,
    /// `msign-grad`): checked before anything is allocated.
    pub max_elements: u64,
}

impl Default for OperatorOptions {
    fn default() -> Self {
        Self {
            dtypes: vec![Dtype::F64, Dtype::F32, Dtype::Bf16],
            steps: None,
            beyond: Beyond::RepeatLast,
            epsilon: 0.0,
            formulas: vec![Formula::V1, Formula::V2, Formula::V3, Formula::Leloykun],
            clip: [0.0, 1.0],
            power: 1,
            max_elements: crate::verify::matrix::DEFAULT_MAX_ELEMENTS,
        }
    }
}

/// An operand as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperandInfo {
    /// Its name in the formulas.
    pub name: String,
    /// Rows and columns.
    pub shape: [usize; 2],
    /// Where it came from.
    pub description: String,
}

/// One arithmetic's (and formula's) result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorRun {
    /// The clipping formula, for `mclip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<Formula>,
    /// The arithmetic.
    pub dtype: Dtype,
    /// Measured against the f64 reference (names in the module docs of
    /// [`report`]).
    pub metrics: BTreeMap<String, f64>,
    /// What the scalar model (the composed polynomial on the operand's
    /// singular values or eigenvalues) predicts: for `mclip` and `mstep` the
    /// same quantities as `metrics`; elsewhere the worst case over the
    /// eigenvalues (`max_eigenvalue_error`, `max_eigenvalue_relative_error`),
    /// which equals the spectral error for a symmetric operand and bounds
    /// it up to the eigenvector conditioning otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub predicted: BTreeMap<String, f64>,
    /// Relative Frobenius error of the result after each step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_by_step: Vec<f64>,
    /// Output singular values, descending (`mclip`, `mstep`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sigma_out: Vec<f64>,
    /// Metrics that are undefined for this input (e.g. a relative error
    /// against a zero reference), with the reason; they are left out of
    /// `metrics`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undefined: Vec<String>,
    /// Why the run failed (an overflow); metrics are then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// An operator report (the `.operator.json` format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorReport {
    /// The operator.
    pub operator: OperatorKind,
    /// The table's name.
    pub table: String,
    /// Where its rows come from.
    pub table_source: String,
    /// Rows as applied (decimal text).
    pub rows: Vec<Vec<String>>,
    /// The exponent step r of the rows (2: msign tables).
    pub root: u32,
    /// Steps of every table application.
    pub steps: usize,
    /// Policy past the last row.
    pub beyond_last_row: Beyond,
    /// The shift ε (relative to the normalisation).
    pub epsilon: f64,
    /// s of G P^(−s/r) (`root`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<u32>,
    /// [α, β] (`mclip` with the `clip` formula).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<[f64; 2]>,
    /// The operands.
    pub operands: Vec<OperandInfo>,
    /// How the f64 reference was computed.
    pub reference: String,
    /// Input singular values, descending (`mclip`, `mstep`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sigma_in: Vec<f64>,
    /// One run per formula and arithmetic.
    pub results: Vec<OperatorRun>,
    /// polar-coeffs version.
    pub tool_version: String,
}

/// Relative asymmetry max|P − Pᵀ|/max|P| above which an operand that must be
/// symmetric is refused (an f32 file of a symmetric matrix passes).
pub const SYMMETRY_TOLERANCE: f64 = 1e-6;

/// |Im λ|/max|λ| above which an eigenvalue counts as off the real axis
/// (mcsgn covers real spectra only).
pub const IMAGINARY_TOLERANCE: f64 = 1e-8;

/// Singular values at most this fraction of σ_max count as zero in the
/// clipping references: the Gram route resolves σ only down to about
/// √ε·σ_max ≈ 1.5e-8·σ_max.
pub const RANK_TOLERANCE: f64 = 1e-7;

/// |σ − 1| at most this counts as σ = 1 for `mstep`, whose exact value there
/// is ½ (a jump; the reference's σ carries rounding of about 1e-16).
pub const STEP_TIE_TOLERANCE: f64 = 1e-8;

/// Relative size −λ_min/λ_max above which a symmetric operand counts as
/// indefinite (below it, a rounding-level negative eigenvalue of a
/// semi-definite matrix).
pub const DEFINITENESS_TOLERANCE: f64 = 1e-12;

/// Why an operator cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperatorError {
    /// Bad table rows.
    #[error(transparent)]
    Table(#[from] RowsError),
    /// An operand that does not fit the operator.
    #[error("operand {name}: {problem}")]
    Operand {
        /// The operand.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// An option out of range.
    #[error("{0}")]
    Option(String),
    /// The reference could not be computed.
    #[error("the f64 reference: {0}")]
    Reference(String),
}

fn operand_error(name: &str, problem: impl Into<String>) -> OperatorError {
    OperatorError::Operand { name: name.into(), problem: problem.into() }
}

fn reference_error(e: impl std::fmt::Display) -> OperatorError {
    OperatorError::Reference(e.to_string())
}

/// The named operand.
fn get<'a>(operands: &'a [Operand], name: &str) -> Result<&'a Operand, OperatorError> {
    operands.iter().find(|o| o.name == name).ok_or_else(|| operand_error(name, "missing"))
}

fn square(op: &Operand) -> Result<(), OperatorError> {
    if op.m.nrows() == op.m.ncols() {
        Ok(())
    } else {
        Err(operand_error(op.name, format!("shape {}x{} is not square", op.m.nrows(), op.m.ncols())))
    }
}

/// Checks symmetry (then symmetrises) and semi-definiteness; the eigenvalues
/// (ascending) and whether the matrix is definite.
fn symmetric_psd(op: &Operand) -> Result<(DMatrix<f64>, Vec<f64>), OperatorError> {
    square(op)?;
    let amax = op.m.amax();
    let asym = (&op.m - op.m.transpose()).amax();
    if asym > SYMMETRY_TOLERANCE * amax {
        return Err(operand_error(
            op.name,
            format!(
                "not symmetric: max |{n} - {n}^T| = {asym:.3e} against max |{n}| = {amax:.3e} (at most {SYMMETRY_TOLERANCE:e} relative)",
                n = op.name
            ),
        ));
    }
    let s = reference::symmetrise(&op.m);
    let lambda = crate::verify::reference::symmetric_eigenvalues(&s).map_err(reference_error)?;
    let (lo, hi) = (lambda[0], *lambda.last().expect("n >= 1"));
    if lo < -DEFINITENESS_TOLERANCE * hi.abs() || hi <= 0.0 {
        return Err(operand_error(
            op.name,
            format!("indefinite: eigenvalues in [{lo:.4e}, {hi:.4e}]; a positive semi-definite matrix is needed"),
        ));
    }
    Ok((s, lambda))
}

/// Refuses a singular symmetric block when no shift makes it definite:
/// mcsgn maps a zero eigenvalue to 0, not to ±1.
fn needs_shift(name: &str, lambda: &[f64], epsilon: f64) -> Result<(), OperatorError> {
    let (lo, hi) = (lambda[0], *lambda.last().expect("n >= 1"));
    if epsilon == 0.0 && lo <= DEFINITENESS_TOLERANCE * hi {
        return Err(operand_error(
            name,
            format!(
                "singular: smallest eigenvalue {lo:.4e}; mcsgn maps a zero eigenvalue to 0, so the block route needs epsilon > 0"
            ),
        ));
    }
    Ok(())
}

fn shape_of(op: &Operand) -> [usize; 2] {
    [op.m.nrows(), op.m.ncols()]
}

/// Runs `kind` with `table` (rows of x·q(x^root)) on `operands` in every
/// arithmetic of `options`.
///
/// # Errors
///
/// [`OperatorError`] naming the operand and what is wrong (non-square,
/// shapes that do not fit, not symmetric, indefinite, singular where an
/// inverse root is asked, a complex spectrum for mcsgn), or the option.
pub fn run(
    kind: OperatorKind,
    table: &CoefficientRows,
    root: u32,
    operands: &[Operand],
    options: &OperatorOptions,
) -> Result<OperatorReport, OperatorError> {
    run_with_progress(kind, table, root, operands, options, &mut |_, _| {})
}

/// [`run`], calling `progress(done, total)` after the references and after
/// every run (total = 1 + formulas × arithmetics).
///
/// # Errors
///
/// As [`run`].
pub fn run_with_progress(
    kind: OperatorKind,
    table: &CoefficientRows,
    root: u32,
    operands: &[Operand],
    options: &OperatorOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<OperatorReport, OperatorError> {
    let rows64 = table.rows_f64()?;
    let rows32 = table.rows_f32()?;
    let steps = options.steps.unwrap_or(table.default_steps);
    if steps == 0 {
        return Err(OperatorError::Option("steps = 0 is not allowed: at least 1 step".into()));
    }
    if !(options.epsilon >= 0.0 && options.epsilon.is_finite()) {
        return Err(OperatorError::Option(format!(
            "epsilon = {} is not allowed: a finite number >= 0",
            options.epsilon
        )));
    }
    if kind != OperatorKind::Root && root != MSIGN_ROOT {
        return Err(OperatorError::Option(format!(
            "table `{}` is for the root iteration x*q(x^{root}); {} needs an msign table (root 2)",
            table.name,
            kind.as_str()
        )));
    }
    check_formed_sizes(kind, operands, options)?;
    let order: Vec<usize> = (0..steps).map(|t| table.row_index(t, options.beyond)).collect();
    let composed = |x: f64| order.iter().fold(x, |v, &r| eval_root_row(&rows64[r], v, MSIGN_ROOT));
    let prepared = prepare(kind, operands, options, root, &order, &rows64, &composed)?;
    let mut results = Vec::new();
    let formulas: Vec<Option<Formula>> = match kind {
        OperatorKind::Mclip => options.formulas.iter().copied().map(Some).collect(),
        _ => vec![None],
    };
    if formulas.is_empty() {
        return Err(OperatorError::Option("formulas: at least one clipping formula".into()));
    }
    let total = 1 + formulas.len() * options.dtypes.len();
    progress(1, total);
    for (index, formula) in formulas.into_iter().enumerate() {
        let job = prepared.job(formula, options);
        for &dtype in &options.dtypes {
            let outcome = match dtype.storage() {
                None => apply::apply(&F64Work { rows: rows64.clone() }, &job, &order, options.epsilon),
                Some(storage) => {
                    apply::apply(&F32Work { rows: rows32.clone(), storage }, &job, &order, options.epsilon)
                }
            };
            let mut run = OperatorRun {
                formula,
                dtype,
                metrics: BTreeMap::new(),
                predicted: prepared.predicted(formula),
                error_by_step: vec![],
                sigma_out: vec![],
                undefined: vec![],
                failure: None,
            };
            match outcome {
                Ok(o) if all_finite(&o) => {
                    match prepared.measure(&o, index) {
                        Ok((mut metrics, sigma_out)) => {
                            for (k, v) in metrics.iter().filter(|(_, v)| !v.is_finite()) {
                                run.undefined.push(format!("{k}: {v} (the reference is zero or the ratio overflows)"));
                            }
                            metrics.retain(|_, v| v.is_finite());
                            run.metrics = metrics;
                            run.sigma_out = sigma_out;
                            // A relative error against a zero reference is undefined.
                            run.error_by_step =
                                if o.error_by_step.iter().all(|e| e.is_finite()) { o.error_by_step } else { vec![] };
                        }
                        Err(e) => run.failure = Some(format!("the result cannot be measured: {e}")),
                    }
                }
                Ok(_) => run.failure = Some("the iteration overflowed (non-finite entries)".into()),
                Err(e) => run.failure = Some(e),
            }
            results.push(run);
            progress(1 + results.len(), total);
        }
    }
    Ok(OperatorReport {
        operator: kind,
        table: table.name.clone(),
        table_source: table.source.clone(),
        rows: table.rows.clone(),
        root,
        steps,
        beyond_last_row: options.beyond,
        epsilon: options.epsilon,
        power: (kind == OperatorKind::Root).then_some(options.power),
        clip: (kind == OperatorKind::Mclip && options.formulas.contains(&Formula::Clip)).then_some(options.clip),
        operands: operands
            .iter()
            .map(|o| OperandInfo { name: o.name.into(), shape: shape_of(o), description: o.description.clone() })
            .collect(),
        reference: prepared.note.clone(),
        sigma_in: prepared.sigma_in.clone(),
        results,
        tool_version: crate::TOOL_VERSION.to_string(),
    })
}

/// Refuses operands whose formulas would form a matrix above the element cap.
fn check_formed_sizes(
    kind: OperatorKind,
    operands: &[Operand],
    options: &OperatorOptions,
) -> Result<(), OperatorError> {
    let shape = |name: &str| operands.iter().find(|o| o.name == name).map(|o| o.m.shape());
    let mut formed: Vec<(&str, usize, &str)> = Vec::new();
    match kind {
        OperatorKind::Mclip => {
            if let Some((r, c)) = shape("M") {
                let (long, short) = (r.max(c), r.min(c));
                for f in &options.formulas {
                    match f {
                        Formula::V1 | Formula::Clip => formed.push(("M", long, "I - M S^T")),
                        Formula::Leloykun => formed.push(("M", long + short, "[[I, M], [M^T, I]]")),
                        Formula::V2 | Formula::V3 => {}
                    }
                }
            }
        }
        OperatorKind::Sylvester => {
            if let (Some((n, _)), Some((m, _))) = (shape("A"), shape("B")) {
                formed.push(("A, B", n + m, "the block [[A, -C], [0, -B]]"));
            }
        }
        OperatorKind::MsignGrad => {
            if let Some((r, c)) = shape("M") {
                formed.push(("M", r + c, "the block [[A, -G], [0, -B]]"));
            }
        }
        _ => {}
    }
    for (name, side, what) in formed {
        let elements = (side as u128) * (side as u128);
        if elements > u128::from(options.max_elements) {
            return Err(operand_error(
                name,
                format!(
                    "{what} would be {side}x{side} = {elements} elements, above the element cap of {}",
                    options.max_elements
                ),
            ));
        }
    }
    Ok(())
}

/// x·q(x^r) in f64 for a row of coefficients of x, x^(1+r), x^(1+2r), ….
fn eval_root_row(row: &[f64], x: f64, r: u32) -> f64 {
    let t = x.powi(r as i32);
    row.iter().rev().fold(0.0, |acc, c| acc * t + c) * x
}

/// The coupled root iteration's setting: normaliser, starts, output scales, r, s.
#[derive(Clone)]
struct RootsPlan {
    norm: f64,
    starts: Vec<DMatrix<f64>>,
    out_scale: Vec<f64>,
    r: u32,
    s: u32,
}

/// Operands checked, references computed, scalar predictions ready.
struct Prepared {
    kind: OperatorKind,
    /// The operands the job runs on (symmetrised where symmetric; M tall for
    /// clipping).
    mats: Vec<DMatrix<f64>>,
    /// The references of the results.
    refs: Vec<DMatrix<f64>>,
    /// Root iteration: normaliser, starts, output scales, r, s.
    roots: Option<RootsPlan>,
    /// Scalar predictions (per formula for mclip).
    predictions: Vec<(Option<Formula>, BTreeMap<String, f64>)>,
    sigma_in: Vec<f64>,
    /// Exact output singular values per formula (descending).
    exact_sigmas: Vec<Vec<f64>>,
    /// Further references (msign-grad: by differences, by the SVD form).
    extra: Vec<(&'static str, DMatrix<f64>)>,
    note: String,
}

fn prepare(
    kind: OperatorKind,
    operands: &[Operand],
    options: &OperatorOptions,
    root: u32,
    order: &[usize],
    rows64: &[Vec<f64>],
    composed: &dyn Fn(f64) -> f64,
) -> Result<Prepared, OperatorError> {
    let mut p = Prepared {
        kind,
        mats: vec![],
        refs: vec![],
        roots: None,
        predictions: vec![],
        sigma_in: vec![],
        exact_sigmas: vec![],
        extra: vec![],
        note: String::new(),
    };
    for op in operands {
        if let Some(pos) = op.m.iter().position(|v| !v.is_finite()) {
            let (i, j) = (pos % op.m.nrows(), pos / op.m.nrows());
            return Err(operand_error(op.name, format!("entry ({i}, {j}) is {} (only finite values)", op.m[(i, j)])));
        }
        // A zero right-hand side or loss gradient is a fine input; a zero
        // matrix to take a function of is not.
        if !matches!(op.name, "C" | "G") && op.m.iter().all(|&v| v == 0.0) {
            return Err(operand_error(op.name, "the matrix is all zeros"));
        }
    }
    let one = |name: &str, value: f64| BTreeMap::from([(name.to_string(), value)]);
    match kind {
        OperatorKind::Msign => {
            let m = &get(operands, "M")?.m;
            p.refs = vec![reference::polar(m).map_err(reference_error)?];
            let sigma = reference::singular_values(m).map_err(reference_error)?;
            let norm = sigma.iter().map(|s| s * s).sum::<f64>().sqrt();
            let worst =
                sigma.iter().filter(|&&s| s > 0.0).map(|s| (composed(s / norm) - 1.0).abs()).fold(0.0, f64::max);
            p.predictions = vec![(None, one("max_singular_value_error", worst))];
            p.mats = vec![m.clone()];
            p.note = "polar factor from the short side's Gram eigendecomposition (f64), Newton-Schulz polished".into();
        }
        OperatorKind::Mcsgn => {
            let op = get(operands, "M")?;
            square(op)?;
            let lambda = reference::eigenvalues(&op.m).map_err(reference_error)?;
            let big = lambda.iter().map(|(re, im)| re.hypot(*im)).fold(0.0, f64::max);
            if let Some((re, im)) = lambda.iter().find(|(_, im)| im.abs() > IMAGINARY_TOLERANCE * big) {
                return Err(operand_error(
                    "M",
                    format!(
                        "its spectrum is not real: eigenvalue {re:.4e} {} {:.4e}i (|Im| above {IMAGINARY_TOLERANCE:e} of the largest |eigenvalue|); mcsgn covers real spectra only",
                        if *im < 0.0 { "-" } else { "+" },
                        im.abs()
                    ),
                ));
            }
            let tr2: f64 = lambda.iter().map(|(re, _)| re * re).sum();
            if let Some((re, _)) = lambda.iter().find(|(re, _)| re.abs() <= DEFINITENESS_TOLERANCE * big) {
                return Err(operand_error(
                    "M",
                    format!(
                        "singular: eigenvalue {re:.4e} (at most {DEFINITENESS_TOLERANCE:e} of the largest |eigenvalue|); the sign of 0 is undefined"
                    ),
                ));
            }
            let trace = work::trace_of_square(&op.m);
            if trace.is_nan() || trace <= 0.0 {
                return Err(operand_error("M", "tr(M^2) <= 0: no real scaling puts its eigenvalues in [-1, 1]"));
            }
            let worst =
                lambda.iter().map(|(re, _)| (composed(re / tr2.sqrt()) - re.signum()).abs()).fold(0.0, f64::max);
            p.refs = vec![reference::matrix_sign(&op.m).map_err(OperatorError::Reference)?];
            p.predictions = vec![(None, one("max_eigenvalue_error", worst))];
            p.mats = vec![op.m.clone()];
            p.note =
                "sign by the scaled Newton iteration (f64, LU inverses; eigendecomposition when M is symmetric)".into();
        }
        OperatorKind::Sylvester => {
            let (a, b, c) = (get(operands, "A")?, get(operands, "B")?, get(operands, "C")?);
            let (a_s, la) = symmetric_psd(a)?;
            let (b_s, lb) = symmetric_psd(b)?;
            if c.m.shape() != (a_s.nrows(), b_s.nrows()) {
                return Err(operand_error(
                    "C",
                    format!(
                        "shape {}x{} does not fit A ({n}x{n}) and B ({m}x{m}): C must be {n}x{m}",
                        c.m.nrows(),
                        c.m.ncols(),
                        n = a_s.nrows(),
                        m = b_s.nrows()
                    ),
                ));
            }
            if la[0] + lb[0] <= 0.0 {
                return Err(operand_error(
                    "A, B",
                    format!(
                        "lambda_min(A) + lambda_min(B) = {:.4e}: the equation has no unique solution (A and B positive definite are needed)",
                        la[0] + lb[0]
                    ),
                ));
            }
            for (name, l) in [("A", &la), ("B", &lb)] {
                needs_shift(name, l, options.epsilon)?;
            }
            p.refs = vec![reference::sylvester(&a_s, &b_s, &c.m).map_err(reference_error)?];
            let norm = la.iter().chain(&lb).map(|l| l * l).sum::<f64>().sqrt();
            // The shift is ε times the unshifted normalisation; the block is
            // then normalised by its own, shifted √tr(K²).
            let shift = options.epsilon * norm;
            let shifted = la.iter().chain(&lb).map(|l| (l + shift) * (l + shift)).sum::<f64>().sqrt();
            let worst = la
                .iter()
                .map(|l| (composed((l + shift) / shifted) - 1.0).abs())
                .chain(lb.iter().map(|l| (composed(-(l + shift) / shifted) + 1.0).abs()))
                .fold(0.0, f64::max);
            p.predictions = vec![(None, one("max_eigenvalue_error", worst))];
            p.mats = vec![a_s, b_s, c.m.clone()];
            p.note = "eigendecompositions of A and B (f64): X = Q_A [(Q_A^T C Q_B) / (alpha_i + beta_j)] Q_B^T".into();
        }
        OperatorKind::Sqrt | OperatorKind::InvSqrt | OperatorKind::Root => {
            let pop = get(operands, "P")?;
            let (ps, lambda) = symmetric_psd(pop)?;
            let (r, s) = match kind {
                OperatorKind::Root => (root, options.power),
                _ => (MSIGN_ROOT, 1),
            };
            if kind == OperatorKind::Root && s == 0 {
                return Err(OperatorError::Option("power = 0 is not allowed: s >= 1 in G P^(-s/r)".into()));
            }
            if lambda[0] <= 0.0 && kind != OperatorKind::Sqrt {
                return Err(operand_error(
                    "P",
                    format!(
                        "singular: smallest eigenvalue {:.4e}; its inverse root does not exist (add a multiple of the identity to P)",
                        lambda[0]
                    ),
                ));
            }
            let n = ps.nrows();
            // The posts' scalings: tr(P) for the square root, sqrt(tr(P^2)) for r-th roots.
            let norm = if kind == OperatorKind::Root {
                lambda.iter().map(|l| l * l).sum::<f64>().sqrt()
            } else {
                lambda.iter().sum::<f64>()
            };
            let pow = |l: f64, e: f64| if l > 0.0 { l.powf(e) } else { 0.0 };
            let scalar = |l: f64| {
                // p ← p q(p)^r, g ← g q(p)^s on p₀ = λ/norm + ε.
                let mut pv = l / norm + options.epsilon;
                let mut g = 1.0;
                for &row in order {
                    let q = rows64[row].iter().rev().fold(0.0, |acc, c| acc * pv + c);
                    g *= q.powi(s as i32);
                    pv *= q.powi(r as i32);
                }
                g
            };
            let (starts, out_scale, refs, predicted_rel) = match kind {
                OperatorKind::Sqrt | OperatorKind::InvSqrt => {
                    let y_ref = reference::symmetric_function(&ps, |l| pow(l, 0.5)).map_err(reference_error)?;
                    let z_ref = if lambda[0] > 0.0 {
                        reference::symmetric_function(&ps, |l| pow(l, -0.5)).map_err(reference_error)?
                    } else {
                        DMatrix::zeros(n, n)
                    };
                    let p0 = &ps / norm;
                    let rel = |f: &dyn Fn(f64) -> f64| {
                        lambda.iter().filter(|&&l| l > 0.0).map(|&l| (f(l) - 1.0).abs()).fold(0.0, f64::max)
                    };
                    let y_rel = rel(&|l| (l / norm) * scalar(l) * norm.sqrt() / l.sqrt());
                    let z_rel = rel(&|l| scalar(l) / norm.sqrt() * l.sqrt());
                    let first = if kind == OperatorKind::Sqrt { y_rel } else { z_rel };
                    let (starts, scales, refs) = if kind == OperatorKind::Sqrt {
                        (vec![p0, DMatrix::identity(n, n)], vec![norm.sqrt(), 1.0 / norm.sqrt()], vec![y_ref, z_ref])
                    } else {
                        (vec![DMatrix::identity(n, n), p0], vec![1.0 / norm.sqrt(), norm.sqrt()], vec![z_ref, y_ref])
                    };
                    (starts, scales, refs, first)
                }
                _ => {
                    let g = get(operands, "G")?;
                    if g.m.ncols() != n {
                        return Err(operand_error(
                            "G",
                            format!(
                                "shape {}x{} does not fit P ({n}x{n}): G needs {n} columns",
                                g.m.nrows(),
                                g.m.ncols()
                            ),
                        ));
                    }
                    let e = -(s as f64) / r as f64;
                    let pr = reference::symmetric_function(&ps, |l| pow(l, e)).map_err(reference_error)?;
                    let rel =
                        lambda.iter().map(|&l| (scalar(l) * norm.powf(e) / l.powf(e) - 1.0).abs()).fold(0.0, f64::max);
                    (vec![g.m.clone()], vec![norm.powf(e)], vec![&g.m * pr], rel)
                }
            };
            p.predictions = vec![(None, one("max_eigenvalue_relative_error", predicted_rel))];
            p.roots = Some(RootsPlan { norm, starts, out_scale, r, s });
            p.refs = refs;
            p.mats = vec![ps];
            p.note = "eigendecomposition of P (f64)".into();
        }
        OperatorKind::Mclip | OperatorKind::Mstep => {
            let op = get(operands, "M")?;
            let m = &op.m;
            let tall = if m.nrows() < m.ncols() { m.transpose() } else { m.clone() };
            // Prescribed values are exact; the Gram route's are not below sqrt(eps) sigma_max.
            let sigma = match &op.values {
                Some(v) => v.clone(),
                None => reference::singular_values(&tall).map_err(reference_error)?,
            };
            let [alpha, beta] = options.clip;
            // Singular values below RANK_TOLERANCE·σ_max count as zero and stay
            // zero (the Gram route cannot resolve them, no formula reaches
            // their directions); within STEP_TIE_TOLERANCE of 1, step(σ − 1)
            // is ½, as sign(0) = 0 makes it.
            let zero = RANK_TOLERANCE * sigma.first().copied().unwrap_or(0.0);
            let exact_of = |formula: Option<Formula>| -> Box<dyn Fn(f64) -> f64> {
                let f: Box<dyn Fn(f64) -> f64> = match (kind, formula) {
                    (OperatorKind::Mstep, _) => Box::new(|s: f64| {
                        if (s - 1.0).abs() <= STEP_TIE_TOLERANCE {
                            0.5
                        } else if s > 1.0 {
                            1.0
                        } else {
                            0.0
                        }
                    }),
                    (_, Some(Formula::Clip)) => Box::new(move |s: f64| s.clamp(alpha.min(beta), beta)),
                    _ => Box::new(|s: f64| s.min(1.0)),
                };
                Box::new(move |s: f64| if s <= zero { 0.0 } else { f(s) })
            };
            let formulas: Vec<Option<Formula>> = match kind {
                OperatorKind::Mclip => options.formulas.iter().copied().map(Some).collect(),
                _ => vec![None],
            };
            for &f in &formulas {
                let exact = exact_of(f);
                p.refs.push(reference::clip(&tall, &exact).map_err(reference_error)?);
                let mut predicted_sigma: Vec<f64> = scalar_clip(kind, f, &sigma, tall.nrows(), options.clip, composed)
                    .iter()
                    .map(|v| v.abs())
                    .collect();
                predicted_sigma.sort_by(|a, b| b.total_cmp(a));
                let mut exact_sigma: Vec<f64> = sigma.iter().map(|&s| exact(s)).collect();
                exact_sigma.sort_by(|a, b| b.total_cmp(a));
                let (mean, max) = sigma_errors(&predicted_sigma, &exact_sigma);
                p.predictions.push((
                    f,
                    BTreeMap::from([
                        ("spectral_norm".into(), predicted_sigma.first().copied().unwrap_or(0.0)),
                        ("mean_singular_value_error".into(), mean),
                        ("max_singular_value_error".into(), max),
                    ]),
                ));
                p.exact_sigmas.push(exact_sigma);
            }
            p.sigma_in = sigma;
            p.mats = vec![tall];
            p.note = "U clip(Sigma) V^T from the eigendecomposition of M^T M (f64)".into();
        }
        OperatorKind::MsignGrad => {
            let (m, g) = (get(operands, "M")?, get(operands, "G")?);
            if g.m.shape() != m.m.shape() {
                return Err(operand_error(
                    "G",
                    format!("shape {}x{} differs from M's {}x{}", g.m.nrows(), g.m.ncols(), m.m.nrows(), m.m.ncols()),
                ));
            }
            let sigma = reference::singular_values(&m.m).map_err(reference_error)?;
            if options.epsilon == 0.0
                && (!m.m.is_square() || sigma.last().is_some_and(|&s| s <= DEFINITENESS_TOLERANCE * sigma[0]))
            {
                return Err(operand_error(
                    "M",
                    format!(
                        "shape {}x{}, smallest singular value {:.4e}: A = M O^T and B = O^T M are not both definite, and mcsgn maps their zero eigenvalues to 0; the route needs epsilon > 0 (for example the table's lower end)",
                        m.m.nrows(),
                        m.m.ncols(),
                        sigma.last().copied().unwrap_or(0.0)
                    ),
                ));
            }
            p.refs = vec![reference::gradient_by_sylvester(&m.m, &g.m).map_err(reference_error)?];
            let mut notes =
                vec!["the exact Sylvester route (eigendecompositions of A = M O^T and B = O^T M, f64)".to_string()];
            if m.m.len() <= reference::FD_MAX_ENTRIES {
                p.extra.push((
                    "finite_differences",
                    reference::gradient_by_differences(&m.m, &g.m).map_err(reference_error)?,
                ));
                notes.push(format!(
                    "central differences of <G, msign(M)> (step {:e} max|M|)",
                    reference::FD_RELATIVE_STEP
                ));
            } else {
                notes.push(format!(
                    "no finite differences: {} entries is above {}",
                    m.m.len(),
                    reference::FD_MAX_ENTRIES
                ));
            }
            if m.m.is_square() && sigma.last().is_some_and(|&s| s > 0.0) {
                p.extra.push(("svd", reference::gradient_by_svd(&m.m, &g.m).map_err(reference_error)?));
                notes.push("the SVD closed form (square, full rank)".into());
            }
            p.mats = vec![m.m.clone(), g.m.clone()];
            p.note = notes.join("; ");
        }
    }
    Ok(p)
}

/// The scalar model of a clipping formula: the output singular value for
/// each input σ (M tall with `n` rows), with the composed polynomial f in
/// place of every msign on its normalised input.
fn scalar_clip(
    kind: OperatorKind,
    formula: Option<Formula>,
    sigma: &[f64],
    n: usize,
    [alpha, beta]: [f64; 2],
    f: &dyn Fn(f64) -> f64,
) -> Vec<f64> {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    // msign of a matrix with these (signed) singular directions.
    let sign = |v: Vec<f64>| {
        let nv = norm(&v);
        v.into_iter().map(|x| if nv == 0.0 { 0.0 } else { f(x / nv) }).collect::<Vec<f64>>()
    };
    let s1 = sign(sigma.to_vec());
    let zip = |g: &dyn Fn(usize, f64) -> f64| sigma.iter().enumerate().map(|(i, &s)| g(i, s)).collect::<Vec<f64>>();
    if kind == OperatorKind::Mstep {
        let d = sign(zip(&|i, s| s - s1[i]));
        return zip(&|i, _| 0.5 * (s1[i] + d[i]));
    }
    match formula.expect("mclip has a formula") {
        Formula::V1 => {
            let d = sign(zip(&|i, s| s - s1[i]));
            zip(&|i, s| 0.5 * (s + s1[i] + (1.0 - s * s1[i]) * d[i]))
        }
        Formula::V2 => {
            let e = sign(zip(&|_, s| s * s - 1.0));
            zip(&|i, s| 0.5 * (s + s1[i] + (s1[i] - s) * e[i]))
        }
        Formula::V3 => {
            let e = sign(zip(&|_, s| s * s - 1.0));
            let pl = sign(zip(&|_, s| s * s + 1.0));
            zip(&|i, s| 0.5 * ((s1[i] + s) * pl[i] + (s1[i] - s) * e[i]))
        }
        Formula::Leloykun => {
            let k = sigma.len();
            let h = (sigma.iter().map(|s| (1.0 + s).powi(2) + (1.0 - s).powi(2)).sum::<f64>() + (n - k) as f64).sqrt();
            zip(&|_, s| {
                let (fp, fm) = (f((1.0 + s) / h), f((1.0 - s) / h));
                0.5 * (fp - fm) + 0.5 * s * (fp + fm)
            })
        }
        Formula::Clip => {
            let a = sign(zip(&|i, s| alpha * s1[i] - s));
            let b = sign(zip(&|i, s| beta * s1[i] - s));
            zip(&|i, s| 0.5 * ((alpha + beta) * s1[i] + (alpha - s * s1[i]) * a[i] - (beta - s * s1[i]) * b[i]))
        }
    }
}

/// mean and max |a_i − b_i| of two descending lists.
fn sigma_errors(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| (x - y).abs()).collect();
    (d.iter().sum::<f64>() / d.len().max(1) as f64, d.iter().copied().fold(0.0, f64::max))
}

impl Prepared {
    fn job(&self, formula: Option<Formula>, options: &OperatorOptions) -> Job<'_> {
        let [alpha, beta] = match formula {
            Some(Formula::Clip) => options.clip,
            _ => [0.0, 1.0],
        };
        match self.kind {
            OperatorKind::Msign => Job::Msign { m: &self.mats[0], reference: &self.refs[0] },
            OperatorKind::Mcsgn => Job::Mcsgn { m: &self.mats[0], reference: &self.refs[0] },
            OperatorKind::Sylvester => {
                Job::Sylvester { a: &self.mats[0], b: &self.mats[1], c: &self.mats[2], reference: &self.refs[0] }
            }
            OperatorKind::Sqrt | OperatorKind::InvSqrt | OperatorKind::Root => {
                let RootsPlan { norm, starts, out_scale, r, s } = self.roots.clone().expect("prepared");
                Job::Roots { p: &self.mats[0], norm, starts, out_scale, r, s, reference: &self.refs[0] }
            }
            OperatorKind::Mclip => Job::Clip { m: &self.mats[0], formula: formula.expect("formula"), alpha, beta },
            OperatorKind::Mstep => Job::Step { m: &self.mats[0] },
            OperatorKind::MsignGrad => Job::Grad { m: &self.mats[0], g: &self.mats[1], reference: &self.refs[0] },
        }
    }

    fn predicted(&self, formula: Option<Formula>) -> BTreeMap<String, f64> {
        self.predictions.iter().find(|(f, _)| *f == formula).map(|(_, p)| p.clone()).unwrap_or_default()
    }

    /// The metrics of a finished run (and output singular values for
    /// clipping).
    fn measure(&self, o: &Outcome, index: usize) -> Result<(BTreeMap<String, f64>, Vec<f64>), String> {
        let e = |e: crate::verify::reference::ReferenceError| e.to_string();
        let mut out = BTreeMap::new();
        let mut put = |k: &str, v: f64| {
            out.insert(k.to_string(), v);
        };
        let mut sigma_out = vec![];
        match self.kind {
            OperatorKind::Msign => {
                let x = &o.finals[0];
                let polar = &self.refs[0];
                put("error_vs_reference", reference::spectral_norm(&(x - polar)).map_err(e)?);
                put("relative_frobenius_error", reference::relative_frobenius(x, polar));
                let short = if x.nrows() <= x.ncols() { x * x.transpose() } else { x.transpose() * x };
                let n = short.nrows();
                put(
                    "orthogonality_error",
                    reference::spectral_norm(&(short - DMatrix::<f64>::identity(n, n))).map_err(e)?,
                );
            }
            OperatorKind::Mcsgn => {
                let (s, m) = (&o.finals[0], &self.mats[0]);
                let n = s.nrows();
                put("sign_residual", reference::spectral_norm(&(s * s - DMatrix::<f64>::identity(n, n))).map_err(e)?);
                put(
                    "commutator",
                    reference::spectral_norm(&(s * m - m * s)).map_err(e)? / reference::spectral_norm(m).map_err(e)?,
                );
                put(
                    "error_vs_reference",
                    reference::spectral_norm(&(s - &self.refs[0])).map_err(e)?
                        / reference::spectral_norm(&self.refs[0]).map_err(e)?,
                );
            }
            OperatorKind::Sylvester => {
                let (a, b, c) = (&self.mats[0], &self.mats[1], &self.mats[2]);
                let x = &o.finals[0];
                put("relative_residual", (a * x + x * b - c).norm() / c.norm());
                put("relative_error", reference::relative_frobenius(x, &self.refs[0]));
            }
            OperatorKind::Sqrt | OperatorKind::InvSqrt => {
                let p = &self.mats[0];
                let n = p.nrows();
                let eye = DMatrix::<f64>::identity(n, n);
                let (y, z) = if self.kind == OperatorKind::Sqrt {
                    (&o.finals[0], &o.finals[1])
                } else {
                    (&o.finals[1], &o.finals[0])
                };
                let (y_ref, z_ref) = if self.kind == OperatorKind::Sqrt {
                    (&self.refs[0], &self.refs[1])
                } else {
                    (&self.refs[1], &self.refs[0])
                };
                put("square_residual", (y * y - p).norm() / p.norm());
                put("mean_abs_square_residual", reference::mean_abs_difference(&(y * y), p));
                put("sqrt_relative_error", reference::relative_frobenius(y, y_ref));
                put("inverse_residual", (z * y - &eye).norm() / (n as f64).sqrt());
                if z_ref.iter().any(|v| *v != 0.0) {
                    put("mean_abs_inverse_square_residual", reference::mean_abs_difference(&(z * z * p), &eye));
                    put("inv_sqrt_relative_error", reference::relative_frobenius(z, z_ref));
                }
            }
            OperatorKind::Root => {
                let x = &o.finals[0];
                put("relative_error", reference::relative_frobenius(x, &self.refs[0]));
                put("mean_abs_error", reference::mean_abs_difference(x, &self.refs[0]));
            }
            OperatorKind::Mclip | OperatorKind::Mstep => {
                let x = &o.finals[0];
                sigma_out = reference::singular_values(x).map_err(e)?;
                let (mean, max) = sigma_errors(&sigma_out, &self.exact_sigmas[index]);
                put("spectral_norm", sigma_out.first().copied().unwrap_or(0.0));
                put("mean_singular_value_error", mean);
                put("max_singular_value_error", max);
                put("mean_entry_error", reference::mean_abs_difference(x, &self.refs[index]));
                put("relative_error", reference::relative_frobenius(x, &self.refs[index]));
            }
            OperatorKind::MsignGrad => {
                let x = &o.finals[0];
                put("relative_error_vs_sylvester", reference::relative_frobenius(x, &self.refs[0]));
                for (name, r) in &self.extra {
                    let key = match *name {
                        "finite_differences" => "relative_error_vs_finite_differences",
                        _ => "relative_error_vs_svd",
                    };
                    put(key, reference::relative_frobenius(x, r));
                }
            }
        }
        Ok((out, sigma_out))
    }
}
