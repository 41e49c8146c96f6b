//! The two recentring conventions: `endpoints` keeps the reference code's
//! rules (checked as invariants of the document), and for degree 5 it gives
//! the published list like `image`.

mod common;

use common::{assert_run_refused, run_yaml};
use polar_coeffs::precision::parse_decimal;
use rug::Float;

const PREC: u32 = 256;

fn dec(v: &serde_json::Value) -> Float {
    parse_decimal(v.as_str().unwrap(), PREC).unwrap()
}

fn eval(row: &[Float], x: &Float) -> Float {
    let x2 = Float::with_val(PREC, x * x);
    let mut acc = Float::with_val(PREC, 0);
    for c in row.iter().rev() {
        acc = Float::with_val(PREC, &acc * &x2) + c;
    }
    Float::with_val(PREC, acc * x)
}

fn row(step: &serde_json::Value) -> Vec<Float> {
    step["coefficients"].as_array().unwrap().iter().map(dec).collect()
}

#[test]
fn endpoints_keeps_the_reference_rules() {
    // Degree 3 with a cushion: every fitted row has p(l) + p(u) = 2 on its
    // interval, and the next interval is [p(l), 2 - p(l)] (or clamped).
    let (_dir, doc) = run_yaml(
        "name: e3\ndegree: 3\nsteps: 6\nlower: 1e-3\ncushion: 0.1\nrecentre: endpoints\nemit:\n  formats: [json]\n",
    );
    assert_eq!(doc["config"]["recentre"], "endpoints");
    let steps = doc["steps"].as_array().unwrap();
    let tol = Float::with_val(PREC, 1e-60);
    for t in 0..steps.len() - 1 {
        let (l, u) = (dec(&steps[t]["interval"][0]), dec(&steps[t]["interval"][1]));
        let p = row(&steps[t]);
        let (pl, pu) = (eval(&p, &l), eval(&p, &u));
        if steps[t]["remez"].is_object() {
            let ends = Float::with_val(PREC, &pl + &pu) - 2u32;
            assert!(ends.clone().abs() < tol, "step {}: p(l) + p(u) - 2 = {ends}", t + 1);
        }
        let next_l = dec(&steps[t + 1]["interval"][0]);
        let next_u = dec(&steps[t + 1]["interval"][1]);
        let expected_l = if pl > Float::with_val(PREC, 2 - &pl) { Float::with_val(PREC, 2 - &pl) } else { pl.clone() };
        assert!(Float::with_val(PREC, &next_l - &expected_l).abs() < tol, "step {}: next l", t + 1);
        assert!(next_u >= next_l);
    }
    // The first step's recentring is the reference code's, far from image's.
    assert!(dec(&steps[0]["step_error"]) > 7);
}

#[test]
fn endpoints_and_image_give_the_published_degree_5_list() {
    let base = "degree: 5\nsteps: 8\nlower: 1e-3\ncushion: 0.02407327424182761\nemit:\n  formats: [json]\n";
    let (_a, image) = run_yaml(&format!("name: img\n{base}"));
    let (_b, ends) = run_yaml(&format!("name: ends\nrecentre: endpoints\n{base}"));
    for t in 0..7 {
        assert_eq!(image["steps"][t]["coefficients"], ends["steps"][t]["coefficients"], "row {}", t + 1);
    }
    // Row 8: the limit polynomial on x/u_8 (recentred by a gamma within
    // (1 - l/u)^3 ~ 1e-27 of 1), which rounds to the paper's 1.875.
    let a8 = dec(&ends["steps"][7]["coefficients"][0]);
    let u8 = dec(&ends["steps"][7]["interval"][1]);
    let want = Float::with_val(PREC, Float::with_val(PREC, 1.875) / &u8);
    assert!(Float::with_val(PREC, &a8 - &want).abs() < 1e-25);
    assert!(Float::with_val(PREC, &a8 - 1.875f64).abs() > 1e-10, "not Remez's 1.8750000000000000011");
    assert!((a8.to_f64() - 1.875).abs() < 1e-8);
}

#[test]
fn a_bad_recentre_is_refused_at_its_line() {
    assert_run_refused(
        "r.yaml",
        "name: r\ndegree: 5\nsteps: 2\nlower: 1e-3\nrecentre: middle\n",
        "r.yaml:5:11: recentre = \"middle\" is not allowed: `image` or `endpoints`",
    );
}
