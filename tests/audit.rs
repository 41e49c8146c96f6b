//! `audit`: the published tables are traced back to their constructions,
//! and rows that were shuffled, cut from the wrong end or made up are named.

mod common;

use common::bin;
use polar_coeffs::audit::{AuditReport, audit};
use polar_coeffs::presets::preset;
use polar_coeffs::rows::CoefficientRows;
use polar_coeffs::schedule::{Recentre, SafetyMode};

fn of_preset(name: &str) -> AuditReport {
    audit(&CoefficientRows::from_preset(&preset(name).unwrap()), &Default::default()).unwrap()
}

fn of_rows(rows: &[&[&str]]) -> AuditReport {
    let table = CoefficientRows {
        name: "pasted".into(),
        source: "test".into(),
        rows: rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect(),
        default_steps: rows.len(),
        interval: None,
        normalisation: None,
    };
    audit(&table, &Default::default()).unwrap()
}

fn assert_construction(r: &AuditReport, cushion: &str, safety: &str, mode: SafetyMode) {
    let c = r.best.as_ref().unwrap_or_else(|| panic!("{:?}", r.findings));
    assert_eq!(
        (c.lower.as_str(), c.cushion.as_str(), c.safety.as_str()),
        ("1e-3", cushion, safety),
        "{:?}",
        r.findings
    );
    assert_eq!(c.safety_mode, mode);
    assert_eq!(c.recentre, Recentre::Image);
}

#[test]
fn the_published_list_and_its_float64_noise() {
    let r = of_preset("polar-express-2025");
    assert_construction(&r, "0.02407327424182761", "1.01", SafetyMode::After);
    // Row 7 of the source is float64 noise at 1e-11 relative: flagged, not fatal.
    assert!(r.findings.iter().any(|f| f.contains("row 7 (")), "{:?}", r.findings);
}

#[test]
fn the_modded_nanogpt_list_is_the_inside_safety_schedule() {
    let r = of_preset("polar-express-modded-nanogpt-5");
    assert_construction(&r, "0.02", "1.02", SafetyMode::Inside);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.best.unwrap().rows, vec![1, 2, 3, 4, 5]);
}

#[test]
fn nemo_four_decimals_with_its_one_low_digit() {
    let r = of_preset("nemo-polar-express");
    assert_construction(&r, "0.02407327424182761", "1.01", SafetyMode::After);
    assert!(r.findings[0].contains("rounded to 4 decimals"));
    // 8.2051 where the construction rounds to 8.2052: 1.2 units.
    let c = r.best.unwrap();
    assert!(c.row_scores[0] > 1.0 && c.row_scores[0] < 1.5, "{:?}", c.row_scores);
    assert!(c.row_scores[1..].iter().all(|s| *s <= 1.0));
}

#[test]
fn gram_ns_is_divided_by_1_05() {
    assert_construction(&of_preset("gram-ns"), "0.02407327424182761", "1.05", SafetyMode::After);
}

#[test]
fn shuffled_rows_and_windows_are_named() {
    let cans: [&[&str]; 5] = [
        &["8.4703", "-25.1081", "18.6293"],
        &["4.1828", "-3.1087", "0.5806"],
        &["3.9619", "-2.9541", "0.5630"],
        &["3.2866", "-2.4647", "0.5074"],
        &["2.2737", "-1.6447", "0.4162"],
    ];
    let shuffled = of_rows(&[cans[1], cans[0], cans[3], cans[2], cans[4]]);
    assert_construction(&shuffled, "0", "1", SafetyMode::After);
    assert!(
        shuffled.findings.iter().any(|f| f.contains("out of order") && f.contains("[2, 1, 4, 3, 5]")),
        "{:?}",
        shuffled.findings
    );
    let window = of_rows(&[cans[3], cans[4]]);
    assert!(window.findings.iter().any(|f| f.contains("rows 4-5 of the construction")), "{:?}", window.findings);
}

#[test]
fn a_mismatched_copy_keeps_its_source_and_loses_its_made_up_rows() {
    // Rows 1-2 of the modded-nanogpt list, then rows that match nothing.
    let r = of_rows(&[
        &["8.156554524902461", "-22.48329292557795", "15.878769915207462"],
        &["4.042929935166739", "-2.808917465908714", "0.5000178451051316"],
        &["3.2416", "-1.7588", "0.3597"],
        &["3.1", "-2.0", "0.4"],
        &["2.9", "-1.9", "0.45"],
    ]);
    assert_construction(&r, "0.02", "1.02", SafetyMode::Inside);
    let f = r.findings.join(" | ");
    assert!(f.contains("row 3 (matches no row") && f.contains("row 5 (matches no row"), "{f}");
}

#[test]
fn random_rows_are_no_known_construction() {
    let r = of_rows(&[&["5.1", "-9.3", "4.2"], &["3.3", "-4.4", "1.7"], &["2.5", "-1.9", "0.6"]]);
    assert!(r.best.is_none());
    assert!(r.findings[0].starts_with("no known construction"));
    bin()
        .args(["audit", "--rows", "5.1,-9.3,4.2;3.3,-4.4,1.7"])
        .assert()
        .code(3)
        .stdout(predicates::str::contains("no known construction"));
    bin()
        .args(["audit", "--rows", "1.5"])
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains("at least 2 coefficients"));
}
