//! Certified errors of the emitted tables against an independent evaluation:
//! the composed polynomial of the rows as a user pastes them (the printed
//! decimals, the f64 and the f32 values), evaluated in 2048-bit MPFR on a
//! dense grid of [ℓ, u]. The certificate must never be below what the grid
//! measures, and, where that error is above 1e-30, not above twice it.

use polar_coeffs::config::Config;
use polar_coeffs::poly::OddPoly;
use polar_coeffs::precision::parse_decimal;
use polar_coeffs::table::{TableDoc, UNBOUNDED};
use rug::Float;

/// Enough for the late steps' errors (1e-250 and below in the degree-5 table).
const PREC: u32 = 2048;
const GRID: usize = 6000;

fn solve(yaml: &str) -> TableDoc {
    polar_coeffs::solve(&Config::from_yaml_str(yaml, "c.yaml").unwrap()).unwrap()
}

/// max over the grid of |1 − f_t| after each step, for exactly held rows.
fn measured(rows: &[Vec<Float>], lower: &Float, upper: &Float) -> Vec<Float> {
    let polys: Vec<OddPoly> = rows.iter().map(|r| OddPoly::new(r.clone())).collect();
    let mut worst = vec![Float::with_val(PREC, 0); rows.len()];
    let ln_lo = Float::with_val(PREC, lower.ln_ref());
    let ln_hi = Float::with_val(PREC, upper.ln_ref());
    for i in 0..=GRID {
        // Half the points log-spaced, half evenly spaced.
        let frac = Float::with_val(PREC, i as u32) / GRID as u32;
        let log_x = Float::with_val(PREC, &ln_lo + Float::with_val(PREC, &ln_hi - &ln_lo) * &frac).exp();
        let lin_x = Float::with_val(PREC, lower + Float::with_val(PREC, upper - lower) * &frac);
        for x in [log_x, lin_x] {
            let mut y = x;
            for (t, p) in polys.iter().enumerate() {
                y = p.eval(&y);
                let e = Float::with_val(PREC, 1 - &y).abs();
                if e > worst[t] {
                    worst[t] = e;
                }
            }
        }
    }
    worst
}

fn check(doc: &TableDoc) {
    let lower = parse_decimal(&doc.config.lower, PREC).unwrap();
    let upper = parse_decimal(&doc.config.upper, PREC).unwrap();
    let forms: [(&str, Vec<Vec<Float>>); 3] = [
        (
            "exact",
            doc.steps
                .iter()
                .map(|s| s.coefficients.iter().map(|c| parse_decimal(c, PREC * 2).unwrap()).collect())
                .collect(),
        ),
        (
            "f64",
            doc.steps.iter().map(|s| s.coefficients_f64.iter().map(|&c| Float::with_val(PREC, c)).collect()).collect(),
        ),
        (
            "f32",
            doc.steps.iter().map(|s| s.coefficients_f32.iter().map(|&c| Float::with_val(PREC, c)).collect()).collect(),
        ),
    ];
    for (form, rows) in forms {
        let grid = measured(&rows, &lower, &upper);
        for (t, s) in doc.steps.iter().enumerate() {
            let c = s.certified_error.as_ref().expect("every solved step is certified");
            let text = match form {
                "exact" => &c.exact,
                "f64" => &c.f64,
                _ => &c.f32,
            };
            if text == UNBOUNDED {
                assert!(
                    grid[t] > 1e-3,
                    "{} {form} step {}: unbounded but the grid measures {}",
                    doc.name,
                    t + 1,
                    grid[t]
                );
                continue;
            }
            let bound = parse_decimal(text, PREC).unwrap();
            assert!(
                bound >= grid[t],
                "{} {form} step {}: certified {text} < measured {:.6e}",
                doc.name,
                t + 1,
                grid[t].to_f64()
            );
            if grid[t] > 1e-30 {
                let ratio = Float::with_val(PREC, &bound / &grid[t]).to_f64();
                assert!(ratio <= 2.0, "{} {form} step {}: certified {text} is {ratio:.3}x measured", doc.name, t + 1);
            }
        }
    }
}

#[test]
fn greedy_degree_5_is_certified_as_pasted() {
    check(&solve("name: g5\ndegree: 5\nsteps: 10\nlower: 1e-3\n"));
}

#[test]
fn polar_express_with_cushion_and_safety_is_certified_as_pasted() {
    check(&solve("name: pe\ndegree: 5\nsteps: 8\nlower: 1e-3\ncushion: 0.02407327424182761\nsafety: 1.01\n"));
}

#[test]
fn mixed_degrees_are_certified_as_pasted() {
    check(&solve("name: mix\ndegree: [9, 7, 5, 3, 3]\nlower: 1e-4\n"));
}

#[test]
fn a_table_that_breaks_in_bf16_says_so() {
    let doc = solve("name: g5\ndegree: 5\nsteps: 10\nlower: 1e-3\n");
    // The first row's coefficients (8.47, -25.1, 18.6) rounded to 8 bits
    // push f past 2 on [1e-3, 1]; the next rows then diverge.
    assert!(doc.unusable_from("bf16").is_some_and(|t| t <= 5));
    assert_eq!(doc.unusable_from("f64"), None);
    assert_eq!(doc.unusable_from("f32"), None);
}

/// Regression: with ℓ = 1e-50 the minima of the first degree-9 step sit
/// 1.5e-49 above 0, and an enclosure tight only against the error (~1)
/// dipped below 0, so even the exact table read "unbounded". The
/// enclosures are now tight against their own values too.
#[test]
fn tiny_lower_ends_are_certified_relative_to_their_size() {
    let doc = solve("name: t\ndegree: 9\nsteps: 2\nlower: 1e-50\n");
    let c = doc.steps[0].certified_error.as_ref().unwrap();
    assert_ne!(c.exact, UNBOUNDED);
    let bound = parse_decimal(&c.exact, PREC).unwrap();
    let exact = parse_decimal(&doc.steps[0].composed_error, PREC).unwrap();
    assert!(
        bound >= exact && bound.to_f64() <= exact.to_f64() * (1.0 + 1e-5),
        "{} vs {}",
        c.exact,
        doc.steps[0].composed_error
    );
}
