//! The operands of an operator: generated with a prescribed spectrum (or
//! read from `.npy` files by the caller), named as in the formulas: M, A, B,
//! C, P, G.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::OperatorKind;
use crate::verify::matrix::{
    MatrixError, Spectrum, check_size, gaussian, random_orthonormal, singular_values, with_singular_values,
};

/// How the values (singular values, eigenvalues) of a generated operand
/// are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// One of `verify`'s spectra, stretched to [lower, upper] (`gaussian`:
    /// i.i.d. N(0, 1) entries, no prescribed values).
    Shaped(Spectrum),
    /// The published clipping experiment: ⌈k/8⌉ values evenly spaced in
    /// [1, upper] and the rest evenly in [0, 1] (0 included: rank-deficient).
    TwoSegment,
    /// P = x xᵀ with x an n×n matrix of N(0, 1/n) entries (near-singular),
    /// plus `shift`·I; for other operands, Gaussian entries.
    Wishart,
}

/// The names of every layout, for messages.
pub const VALUES_NAMES: [&str; 8] =
    ["gaussian", "log_uniform", "clustered", "geometric", "uniform", "outliers", "two_segment", "wishart"];

impl Values {
    /// Parses a layout name (dashes or underscores).
    pub fn parse(s: &str) -> Option<Self> {
        match s.replace('-', "_").as_str() {
            "two_segment" => Some(Self::TwoSegment),
            "wishart" => Some(Self::Wishart),
            other => Spectrum::parse(other).map(Self::Shaped),
        }
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shaped(s) => s.as_str(),
            Self::TwoSegment => "two_segment",
            Self::Wishart => "wishart",
        }
    }
}

/// The recipe of generated operands.
#[derive(Debug, Clone, PartialEq)]
pub struct OperandSpec {
    /// Rows of M (C, G); the size of A and of a square operand.
    pub rows: usize,
    /// Columns of M (C, G); the size of B, and of P for `root`.
    pub cols: usize,
    /// The layout of the prescribed values.
    pub values: Values,
    /// Smallest prescribed value (magnitude).
    pub lower: f64,
    /// Largest prescribed value.
    pub upper: f64,
    /// Condition number of the eigenvector matrix of a generated `mcsgn`
    /// operand (1: symmetric).
    pub condition: f64,
    /// Multiple of the identity added to a generated P.
    pub shift: f64,
    /// RNG seed (ChaCha8); operands are drawn in the order of their names.
    pub seed: u64,
}

impl Default for OperandSpec {
    fn default() -> Self {
        Self {
            rows: 64,
            cols: 48,
            values: Values::Shaped(Spectrum::LogUniform),
            lower: 1e-3,
            upper: 1.0,
            condition: 1.0,
            shift: 0.0,
            seed: 0,
        }
    }
}

/// One operand.
#[derive(Debug, Clone)]
pub struct Operand {
    /// Its name in the formulas (`M`, `A`, `B`, `C`, `P`, `G`).
    pub name: &'static str,
    /// Its entries.
    pub m: DMatrix<f64>,
    /// Where it came from.
    pub description: String,
    /// Its prescribed singular values (descending) when it was generated
    /// with them: exact, where the Gram route loses values below
    /// √ε·σ_max.
    pub values: Option<Vec<f64>>,
}

/// The operand names of an operator, in drawing order.
pub fn roles(kind: OperatorKind) -> &'static [&'static str] {
    match kind {
        OperatorKind::Msign | OperatorKind::Mcsgn | OperatorKind::Mclip | OperatorKind::Mstep => &["M"],
        OperatorKind::Sylvester => &["A", "B", "C"],
        OperatorKind::Sqrt | OperatorKind::InvSqrt => &["P"],
        OperatorKind::Root => &["P", "G"],
        OperatorKind::MsignGrad => &["M", "G"],
    }
}

/// Why `kind` needs square operands of this shape, if it does and the shape
/// is not square.
fn needs_square(kind: OperatorKind, spec: &OperandSpec) -> Option<String> {
    let square = matches!(kind, OperatorKind::Mcsgn | OperatorKind::Sqrt | OperatorKind::InvSqrt);
    (square && spec.rows != spec.cols).then(|| {
        format!("shape {}x{} is not allowed for {}: its operand is square (NxN)", spec.rows, spec.cols, kind.as_str())
    })
}

/// The values of a generated operand: `k` of them, descending.
fn values(spec: &OperandSpec, k: usize, rng: &mut ChaCha8Rng) -> Result<Vec<f64>, MatrixError> {
    match spec.values {
        Values::TwoSegment => {
            if !(spec.upper > 1.0 && spec.upper.is_finite()) {
                return Err(MatrixError::Spec(format!(
                    "upper = {} is not allowed for two_segment: a number above 1",
                    spec.upper
                )));
            }
            let big = k.div_ceil(8);
            let small = k - big;
            let even = |n: usize, lo: f64, hi: f64, i: usize| {
                if n == 1 { hi } else { hi - (hi - lo) * i as f64 / (n - 1) as f64 }
            };
            Ok((0..big)
                .map(|i| even(big, 1.0, spec.upper, i))
                .chain((0..small).map(|i| even(small, 0.0, 1.0, i)))
                .collect())
        }
        Values::Shaped(s) => {
            if !(spec.lower > 0.0 && spec.lower < spec.upper && spec.upper.is_finite()) {
                return Err(MatrixError::Spec(format!(
                    "lower = {}, upper = {} are not allowed: 0 < lower < upper, finite",
                    spec.lower, spec.upper
                )));
            }
            Ok(singular_values(s, k, spec.lower / spec.upper, rng).into_iter().map(|v| v * spec.upper).collect())
        }
        Values::Wishart => unreachable!("Wishart operands have no prescribed values"),
    }
}

fn layout(spec: &OperandSpec) -> String {
    match spec.values {
        Values::TwoSegment => format!("two_segment values (1/8 in [1, {}], the rest in [0, 1])", spec.upper),
        v => format!("{} values in [{}, {}]", v.as_str(), spec.lower, spec.upper),
    }
}

/// A general n×m operand: prescribed singular values, or Gaussian entries.
fn general(
    name: &'static str,
    n: usize,
    m: usize,
    spec: &OperandSpec,
    rng: &mut ChaCha8Rng,
) -> Result<Operand, MatrixError> {
    if matches!(spec.values, Values::Shaped(Spectrum::Gaussian) | Values::Wishart) {
        return Ok(Operand { name, m: gaussian(n, m, rng), description: format!("{n}x{m} Gaussian"), values: None });
    }
    let sigma = values(spec, n.min(m), rng)?;
    Ok(Operand {
        name,
        m: with_singular_values(n, m, &sigma, rng),
        description: format!("{n}x{m} with singular {}", layout(spec)),
        values: Some(sigma),
    })
}

/// A symmetric positive semi-definite n×n operand Q Λ Qᵀ (or Wishart).
fn spd(name: &'static str, n: usize, spec: &OperandSpec, rng: &mut ChaCha8Rng) -> Result<Operand, MatrixError> {
    let (mut p, what) = if matches!(spec.values, Values::Wishart | Values::Shaped(Spectrum::Gaussian)) {
        let x = gaussian(n, n, rng) / (n as f64).sqrt();
        (&x * x.transpose(), "Wishart x x^T, x with N(0, 1/n) entries".to_string())
    } else {
        let lambda = values(spec, n, rng)?;
        let q = random_orthonormal(n, n, rng);
        let mut ql = q.clone();
        for (j, l) in lambda.iter().enumerate() {
            ql.column_mut(j).scale_mut(*l);
        }
        (ql * q.transpose(), format!("eigen{}", layout(spec)))
    };
    p = (&p + p.transpose()) * 0.5;
    if spec.shift != 0.0 {
        for i in 0..n {
            p[(i, i)] += spec.shift;
        }
    }
    let shift = if spec.shift != 0.0 { format!(" + {} I", spec.shift) } else { String::new() };
    Ok(Operand { name, m: p, description: format!("{n}x{n} symmetric, {what}{shift}"), values: None })
}

/// A square operand V Λ V⁻¹ with real eigenvalues of alternating sign whose
/// magnitudes follow the layout, and an eigenvector matrix V = Q₁ D Q₂ᵀ of
/// condition number `condition` (D geometric from 1 to 1/condition).
fn real_spectrum(
    name: &'static str,
    n: usize,
    spec: &OperandSpec,
    rng: &mut ChaCha8Rng,
) -> Result<Operand, MatrixError> {
    if matches!(spec.values, Values::Shaped(Spectrum::Gaussian) | Values::Wishart) {
        return Ok(Operand { name, m: gaussian(n, n, rng), description: format!("{n}x{n} Gaussian"), values: None });
    }
    if !(spec.condition >= 1.0 && spec.condition.is_finite()) {
        return Err(MatrixError::Spec(format!("condition = {} is not allowed: a number >= 1", spec.condition)));
    }
    let magnitudes = values(spec, n, rng)?;
    let q1 = random_orthonormal(n, n, rng);
    let q2 = random_orthonormal(n, n, rng);
    let d: Vec<f64> =
        (0..n).map(|i| if n == 1 { 1.0 } else { spec.condition.powf(-(i as f64) / (n - 1) as f64) }).collect();
    let mut v = q1.clone();
    let mut v_inv_t = q1; // (V⁻¹)ᵀ = Q₁ D⁻¹ Q₂ᵀ
    for (i, di) in d.iter().enumerate() {
        v.column_mut(i).scale_mut(*di);
        v_inv_t.column_mut(i).scale_mut(1.0 / di);
    }
    let v = v * q2.transpose();
    let v_inv = (v_inv_t * q2.transpose()).transpose();
    let mut vl = v;
    for (j, mag) in magnitudes.iter().enumerate() {
        vl.column_mut(j).scale_mut(if j % 2 == 0 { *mag } else { -*mag });
    }
    Ok(Operand {
        name,
        values: None,
        m: vl * v_inv,
        description: format!(
            "{n}x{n} with real eigenvalues of alternating sign, magnitudes: {}; eigenvector condition number {}",
            layout(spec),
            spec.condition
        ),
    })
}

/// Generates the operands of `kind` that `given` does not supply, in the
/// order of [`roles`], refusing shapes above `cap` elements.
///
/// # Errors
///
/// [`MatrixError`] for a shape above the cap, a non-square shape where a
/// square operand is needed, or bad layout numbers.
pub fn generate(
    kind: OperatorKind,
    spec: &OperandSpec,
    given: Vec<Operand>,
    cap: u64,
) -> Result<Vec<Operand>, MatrixError> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (n, m) = (spec.rows, spec.cols);
    let mut out = Vec::new();
    for &role in roles(kind) {
        if let Some(op) = given.iter().find(|o| o.name == role) {
            out.push(op.clone());
            continue;
        }
        if let Some(why) = needs_square(kind, spec) {
            return Err(MatrixError::Spec(why));
        }
        let (r, c) = match (kind, role) {
            (OperatorKind::Sylvester, "A") => (n, n),
            (OperatorKind::Sylvester, "B") | (OperatorKind::Root, "P") => (m, m),
            _ => (n, m),
        };
        check_size(&format!("operand {role}: shape {r}x{c}"), r as u64, c as u64, cap)?;
        let mut op = match (kind, role) {
            (OperatorKind::Mcsgn, _) => real_spectrum(role, n, spec, &mut rng)?,
            (_, "A" | "B" | "P") => spd(role, r, spec, &mut rng)?,
            (OperatorKind::Root, "G") if n == m => Operand {
                name: role,
                m: DMatrix::identity(n, n),
                description: format!("{n}x{n} identity"),
                values: None,
            },
            (_, "C" | "G") => Operand {
                name: role,
                m: gaussian(r, c, &mut rng),
                description: format!("{r}x{c} Gaussian"),
                values: None,
            },
            _ => general(role, r, c, spec, &mut rng)?,
        };
        op.description = format!("{}, seed {}", op.description, spec.seed);
        out.push(op);
    }
    Ok(out)
}
