//! The input normalisation a table assumes: X₀ = M / (‖M‖_F·(1 + ε) + δ),
//! which puts every singular value at or below 1. Written once here and
//! quoted by the verifier, the Adam objective, the documents and the emitted
//! code.
//!
//! ```
//! use polar_coeffs::normalise::{DEFAULT_EPS, DEFAULT_DELTA, description};
//!
//! assert_eq!((DEFAULT_EPS, DEFAULT_DELTA), (1e-2, 1e-7));
//! assert!(description().contains("X / (||X||_F * (1 + 1e-2) + 1e-7)"));
//! ```

/// Default ε of the normalisation (the usual Muon choice).
pub const DEFAULT_EPS: f64 = 1e-2;

/// Default δ of the normalisation.
pub const DEFAULT_DELTA: f64 = 1e-7;

/// Which norm the input is divided by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NormKind {
    /// ‖X‖_F, which bounds σ₁ (the usual choice).
    #[default]
    Frobenius,
    /// ‖(X Xᵀ)²‖_F^(1/4), a tighter bound on σ₁ (σ₁ ≤ it ≤ ‖X‖_F) whose
    /// products the first step computes anyway.
    SpectralBound,
}

/// The normalisation a table assumes: X₀ = X / (N(X)·scale + epsilon) with
/// N the norm of `kind`. `scale` and `epsilon` are decimal text as written
/// (they reach emitted code unchanged).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    /// The norm.
    pub kind: NormKind,
    /// The factor on the norm (≥ 1).
    pub scale: String,
    /// The term added (≥ 0).
    pub epsilon: String,
}

/// The default scale, 1 + [`DEFAULT_EPS`], as text.
pub const DEFAULT_SCALE_TEXT: &str = "1.01";
/// The default epsilon, [`DEFAULT_DELTA`], as text.
pub const DEFAULT_EPSILON_TEXT: &str = "1e-7";

impl Default for Normalisation {
    fn default() -> Self {
        Self { kind: NormKind::Frobenius, scale: DEFAULT_SCALE_TEXT.into(), epsilon: DEFAULT_EPSILON_TEXT.into() }
    }
}

/// Whether `text` is a plain decimal literal (`1.02`, `1e-6`, `0.5E+3`): the
/// form that is a valid number literal in every emitted language.
pub fn is_plain_decimal(text: &str) -> bool {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => digits(a) && (b.is_empty() || digits(b)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok && text.len() <= 40
}

impl Normalisation {
    /// The normalisation of `scale` and `epsilon` for a Frobenius norm.
    pub fn frobenius(scale: &str, epsilon: &str) -> Self {
        Self { kind: NormKind::Frobenius, scale: scale.into(), epsilon: epsilon.into() }
    }

    /// Whether this is the default (documents then carry no extra field).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The scale as f64 (the text is checked when read; 1 if it is not a
    /// number, which a checked document never has).
    pub fn scale_f64(&self) -> f64 {
        self.scale.parse().unwrap_or(1.0)
    }

    /// scale − 1 as the f64 nearest the exact decimal difference (1.02 gives
    /// 0.02, not 1.02 − 1 in f64): the ε of `X / (||X||_F (1 + ε) + δ)`.
    pub fn excess_f64(&self) -> f64 {
        match crate::precision::parse_decimal(&self.scale, 256) {
            Ok(s) => rug::Float::with_val(256, s - 1u32).to_f64(),
            Err(_) => 0.0,
        }
    }

    /// The epsilon as f64 (as [`Normalisation::scale_f64`]).
    pub fn epsilon_f64(&self) -> f64 {
        self.epsilon.parse().unwrap_or(0.0)
    }

    /// The formula, e.g. `X / (||X||_F * 1.02 + 1e-6)`.
    pub fn formula(&self) -> String {
        let norm = match self.kind {
            NormKind::Frobenius => "||X||_F",
            NormKind::SpectralBound => "||(X X^T)^2||_F^(1/4)",
        };
        format!("X / ({norm} * {} + {})", self.scale, self.epsilon)
    }

    /// The sentence every document and emitted file states: the default's
    /// wording is [`description_for`] (unchanged), any other names its
    /// formula.
    pub fn describe(&self, root: u32) -> String {
        if self.is_default() || root != crate::poly::MSIGN_ROOT {
            return description_for(root);
        }
        format!(
            "scale the input so that every singular value is at most the interval's upper end u (for u = 1: {}, \
             the normalisation this table's source uses); singular values in [lower, u] are then guaranteed to end \
             within the composed error of 1",
            self.formula()
        )
    }
}

/// The divisor ‖M‖_F·(1 + ε) + δ for a Frobenius norm.
pub fn divisor(frobenius: f64, eps: f64, delta: f64) -> f64 {
    frobenius * (1.0 + eps) + delta
}

/// What a table for the exponent step `root` assumes of its input: msign's
/// [`description`] for r = 2, the coupled root iteration's for other r.
pub fn description_for(root: u32) -> String {
    if root == crate::poly::MSIGN_ROOT {
        description()
    } else {
        format!(
            "the coupled iteration for G P^(-s/{root}): normalise P (symmetric positive semi-definite) to \
             P0 = P / sqrt(tr(P^2)), so that every eigenvalue x of X0 = P0^(1/{root}) is at most 1; per row [a, b, c, ...], \
             W = a I + b P_t + c P_t^2 + ..., then P_(t+1) = W^{root} P_t and G <- G W^s, with P_t -> I; eigenvalues x in \
             [lower, u] are then guaranteed to end within the composed error of 1, and G P0^(-s/{root}) is what G becomes"
        )
    }
}

/// The normalisation as stated in every table document and emitted file.
pub fn description() -> String {
    format!(
        "scale the input so that every singular value is at most the interval's upper end u (for u = 1: X / \
         (||X||_F * (1 + {DEFAULT_EPS:e}) + {DEFAULT_DELTA:e}), the usual Muon normalisation); singular values in \
         [lower, u] are then guaranteed to end within the composed error of 1"
    )
}
