//! Cross-check against Sollya's `remez`, the reference tool for minimax
//! approximation (docs/MATH.md, references). Under CI a missing `sollya` fails
//! the test; elsewhere it is skipped with a printed notice (Debian:
//! `apt-get install sollya`; `.ci/run` installs it).

mod common;

use common::require;

use std::io::Write;
use std::process::{Command, Stdio};

use polar_coeffs::precision::parse_decimal;
use polar_coeffs::remez::{RemezOptions, minimax};
use rug::Float;

/// Coefficients of the odd minimax polynomial of `degree` on [lower, 1] by Sollya.
fn sollya_remez(degree: u32, lower: &str) -> Option<Vec<String>> {
    let monomials: Vec<String> = (0..=(degree - 1) / 2).map(|k| (2 * k + 1).to_string()).collect();
    let mut script = format!(
        "prec = 320;\ndisplay = decimal;\np = remez(1, [|{}|], [{lower}; 1], 1, 1e-90);\n",
        monomials.join(", ")
    );
    for m in &monomials {
        script.push_str(&format!("print(coeff(p, {m}));\n"));
    }
    let mut child =
        Command::new("sollya").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().ok()?;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let values: Vec<String> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c == '-' || c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    (values.len() == monomials.len()).then_some(values)
}

#[test]
fn coefficients_agree_with_sollya_to_60_digits() {
    if !require("sollya", "--help") {
        return;
    }
    for (degree, lower) in [(3, "1e-3"), (5, "1e-3"), (7, "1e-4"), (9, "0.01"), (5, "0.5")] {
        let theirs = sollya_remez(degree, lower).expect("sollya answers");
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
