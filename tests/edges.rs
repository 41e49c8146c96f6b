//! The edges of the domain: every odd degree up to the limit (sampled above
//! 31) converges and is certified; the printed decimals reproduce a one-step
//! table's error to its printed digits; a document says when its late exact
//! errors are below what its decimals can show; coefficients that overflow a
//! machine type are kept as `"inf"` and read back byte for byte.

mod common;

use common::bin;
use polar_coeffs::config::Config;
use polar_coeffs::precision::{parse_decimal, to_decimal};
use polar_coeffs::remez::MAX_DEGREE;
use polar_coeffs::remez::RemezStatus;
use polar_coeffs::table::{CERTIFIED_DIGITS, TableDoc};

fn solve(degree: u32, steps: usize, lower: &str) -> TableDoc {
    let yaml = format!("name: t\ndegree: {degree}\nsteps: {steps}\nlower: {lower}\n");
    polar_coeffs::solve(&Config::from_yaml_str(&yaml, "t.yaml").unwrap()).unwrap()
}

/// A one-step table converged, and the certificate of its printed decimals
/// is the step error rounded up to the certificate's digits: the printed
/// rows carry the error they claim.
fn one_step_is_true(degree: u32, lower: &str) {
    let doc = solve(degree, 1, lower);
    let s = &doc.steps[0];
    let remez = s.remez.as_ref().unwrap();
    assert_eq!(remez.status, RemezStatus::Converged, "degree {degree}, lower {lower}: {:?}", remez.message);
    let exact = &s.certified_error.as_ref().unwrap().exact;
    let error = parse_decimal(&s.step_error, 1024).unwrap();
    let up = polar_coeffs::precision::to_decimal_round(&error, CERTIFIED_DIGITS, rug::float::Round::Up);
    let near = to_decimal(&error, CERTIFIED_DIGITS);
    assert!(
        *exact == up || *exact == near,
        "degree {degree}, lower {lower}: the printed decimals certify {exact}, the step error is {}",
        s.step_error
    );
    assert!(doc.printed_floor_note().is_none(), "degree {degree}: {:?}", doc.printed_floor_note());
}

#[test]
fn every_odd_degree_to_31_converges_at_1e_3() {
    for degree in (1..=31).step_by(2) {
        one_step_is_true(degree, "1e-3");
    }
}

#[test]
fn sampled_degrees_converge_from_half_to_1e_12() {
    for degree in [3, 15, 63] {
        for lower in ["0.5", "1e-12"] {
            one_step_is_true(degree, lower);
        }
    }
    for degree in [51, 101] {
        one_step_is_true(degree, "1e-3");
    }
}

/// The limit end to end: solved, certified, and the printed decimals
/// reproduce the step error (the coefficients reach 1e30 and cancel to 0.8).
#[test]
fn the_degree_limit_is_certified_end_to_end() {
    one_step_is_true(MAX_DEGREE, "1e-3");
    let out = bin()
        .args(["solve", "--degree", &(MAX_DEGREE + 2).to_string(), "--steps", "1", "--lower", "1e-3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("odd integers from 1 to {MAX_DEGREE}")), "{err}");
}

/// Regression: `--degree 21 --steps 3 --lower 0.1` claimed 7.67e-156 with
/// nothing to say that the printed rows compose to 1.09e-75.
#[test]
fn errors_below_the_printed_digits_are_flagged() {
    let doc = solve(21, 3, "0.1");
    let s = doc.below_printed_from().expect("step 3 is below the printed digits");
    assert_eq!(s.step, 3);
    let shown = parse_decimal(&s.certified_error.as_ref().unwrap().exact, 64).unwrap();
    assert!(shown > 1e-80 && shown < 1e-70, "{shown}");
    let note = doc.printed_floor_note().unwrap();
    assert!(note.contains("from step 3 on") && note.contains("7.67198e-156"), "{note}");
    let out =
        bin().args(["solve", "--degree", "21", "--steps", "3", "--lower", "0.1", "--format", "rust"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("printed decimals (77 digits): from step 3 on"), "{text}");
}

/// A coefficient beyond f32's range (u = 1e-20 scales x⁵'s by 1e100) is
/// written `"inf"`, the table read back and written again byte for byte,
/// certified unbounded in f32, and refused as f32 literals with the reason.
#[test]
fn overflowing_coefficients_are_kept_as_inf() {
    let dir = tempfile::TempDir::new().unwrap();
    let yaml = "name: tiny\ndegree: 5\nsteps: 1\nlower: 1e-23\nupper: 1e-20\n";
    std::fs::write(dir.path().join("tiny.yaml"), yaml).unwrap();
    bin().arg("run").arg(dir.path().join("tiny.yaml")).arg("--out").arg(dir.path().join("a")).assert().success();
    let json = std::fs::read_to_string(dir.path().join("a/tiny.json")).unwrap();
    assert!(json.contains("\"-inf\"") && json.contains("\"inf\""), "{json}");
    let doc = TableDoc::from_json(&json).unwrap();
    assert!(doc.steps[0].coefficients_f32[1].is_infinite() && doc.steps[0].coefficients_f32[1] < 0.0);
    assert_eq!(doc.steps[0].certified_error.as_ref().unwrap().f32, "unbounded");
    bin()
        .args(["emit", "--format", "json", "--json"])
        .arg(dir.path().join("a/tiny.json"))
        .arg("--out")
        .arg(dir.path().join("b"))
        .assert()
        .success();
    assert_eq!(json, std::fs::read_to_string(dir.path().join("b/tiny.json")).unwrap());
    let f32_yaml = format!("{yaml}emit:\n  element_type: f32\n");
    std::fs::write(dir.path().join("tiny.yaml"), f32_yaml).unwrap();
    let out =
        bin().arg("run").arg(dir.path().join("tiny.yaml")).arg("--out").arg(dir.path().join("c")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not fit in f32"), "{err}");
    assert!(!dir.path().join("c/tiny.json").exists(), "nothing partial on disk");
    // A hand-edited "nan" or other text is refused with the field named.
    let bad = json.replacen("\"inf\"", "\"huge\"", 1);
    let e = TableDoc::from_json(&bad).unwrap_err().to_string();
    assert!(e.contains("huge"), "{e}");
}
