//! Cross-check against Sollya's `remez`, the reference tool for minimax
//! approximation (docs/MATH.md, references). Under CI a missing `sollya` fails
//! the test; elsewhere it is skipped with a printed notice (Debian:
//! `apt-get install sollya`; `.ci/run` installs it).

mod common;

use common::{require, sollya_remez};

use polar_coeffs::precision::parse_decimal;
use polar_coeffs::remez::{RemezOptions, minimax};
use rug::Float;

#[test]
fn coefficients_agree_with_sollya_to_60_digits() {
    if !require("sollya", "--help") {
        return;
    }
    for (degree, lower) in [(3, "1e-3"), (5, "1e-3"), (7, "1e-4"), (9, "0.01"), (5, "0.5")] {
        let odd: Vec<u32> = (0..=(degree - 1) / 2).map(|k| 2 * k + 1).collect();
        let theirs = sollya_remez(&odd, lower).expect("sollya answers");
        let fit =
            minimax(degree, &parse_decimal(lower, 512).unwrap(), &Float::with_val(512, 1), &RemezOptions::default())
                .unwrap();
        for (k, (ours, theirs)) in fit.poly.coeffs().iter().zip(&theirs).enumerate() {
            let theirs = parse_decimal(theirs, 512).unwrap();
            let rel = (Float::with_val(512, ours - &theirs) / &theirs).abs();
            assert!(rel < 1e-60, "degree {degree}, lower {lower}, coefficient {k}: relative difference {rel:.3e}");
        }
    }
}
