//! Curve data for plots, computed in f64 from the rows a user would paste
//! (the plot module itself only draws).
//!
//! ```
//! let rows = vec![vec![1.5, -0.5]]; // cubic Newton–Schulz
//! let curve = polar_coeffs::curves::response(&rows, 3, 0.1, 1.0, 50);
//! assert_eq!(curve.len(), 50);
//! assert!((curve.last().unwrap().1 - 1.0).abs() < 1e-12); // f(1) = 1
//! ```

use crate::poly::eval_odd_f64;
use crate::rows::repeat_last;

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
                y = eval_odd_f64(&rows[repeat_last(t, rows.len())], y);
            }
            (x, y)
        })
        .collect()
}

/// The x-range a response figure shows for a table fitted on [`lower`,
/// `upper`]: a decade below the lower end (where the table is not meant to
/// work) to 10% past the upper end (where safety margins show).
pub fn response_range(lower: f64, upper: f64) -> (f64, f64) {
    (lower / 10.0, upper * 1.1)
}
