//! Curve data for plots, computed in f64 from the rows a user would paste
//! (the plot module itself only draws).
//!
//! ```
//! let rows = vec![vec![1.5, -0.5]]; // cubic Newton–Schulz
//! let curve = polar_coeffs::curves::response(&rows, 3, 0.1, 1.0, 50);
//! assert_eq!(curve.len(), 50);
//! assert!((curve.last().unwrap().1 - 1.0).abs() < 1e-12); // f(1) = 1
//! ```

use crate::verify::eval_odd;

/// The composed response f(x) = p_T ∘ … ∘ p_1 (x) at `n` log-spaced points
/// of [`x_lo`, `x_hi`], applying `steps` rows (the last row repeated past
/// the end).
pub fn response(rows: &[Vec<f64>], steps: usize, x_lo: f64, x_hi: f64, n: usize) -> Vec<(f64, f64)> {
    let (a, b) = (x_lo.ln(), x_hi.ln());
    (0..n)
        .map(|i| {
            let x = if n == 1 { x_lo } else { (a + (b - a) * i as f64 / (n - 1) as f64).exp() };
            let mut y = x;
            for t in 0..steps {
                y = eval_odd(&rows[t.min(rows.len() - 1)], y);
            }
            (x, y)
        })
        .collect()
}

/// Decimal rows parsed to f64 (correctly rounded by Rust's parser); entries
/// that do not parse become NaN and show as gaps.
pub fn rows_f64(rows: &[Vec<String>]) -> Vec<Vec<f64>> {
    rows.iter().map(|r| r.iter().map(|c| c.trim().parse().unwrap_or(f64::NAN)).collect()).collect()
}
