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
