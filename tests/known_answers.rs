//! Known exact answers: closed forms (docs/MATH.md §2), reference values (docs/MATH.md §3)
//! and the equioscillation property on a grid of hard cases.

use polar_coeffs::precision::{parse_decimal, to_decimal};
use polar_coeffs::remez::{RemezOptions, RemezStatus, equioscillation_tolerance, minimax};
use polar_coeffs::schedule::{ScheduleSpec, greedy};
use rug::Float;
use rug::ops::Pow;

const PREC: u32 = 256;

fn dec(s: &str) -> Float {
    parse_decimal(s, 1024).unwrap()
}

/// Number of agreeing significant decimal digits: -log10(|a − b| / |b|).
fn digits_agreeing(a: &Float, b: &Float) -> f64 {
    let diff = Float::with_val(1024, a - b).abs();
    if diff.is_zero() {
        return f64::INFINITY;
    }
    let rel = diff / Float::with_val(1024, b.abs_ref());
    -rel.log10().to_f64()
}

#[test]
fn degree_one_matches_closed_form_to_60_digits() {
    for (l, u) in [("1e-3", "1"), ("0.5", "1"), ("1e-12", "1"), ("0.3", "2.5")] {
        let (l, u) = (dec(l), dec(u));
        let fit = minimax(1, &l, &u, &RemezOptions::default()).unwrap();
        assert_eq!(fit.status, RemezStatus::Converged);
        let sum = Float::with_val(1024, &l + &u);
        let c0 = Float::with_val(1024, 2) / &sum;
        let e = Float::with_val(1024, &u - &l) / &sum;
        assert!(digits_agreeing(&fit.poly.coeffs()[0], &c0) >= 60.0);
        assert!(digits_agreeing(&fit.levelled_error, &e) >= 60.0);
    }
}

#[test]
fn degree_three_matches_closed_form_to_60_digits() {
    for (l, u) in [("1e-3", "1"), ("0.1", "1"), ("1e-8", "1"), ("0.9", "1"), ("0.25", "3")] {
        let (l, u) = (dec(l), dec(u));
        let fit = minimax(3, &l, &u, &RemezOptions::default()).unwrap();
        assert_eq!(fit.status, RemezStatus::Converged);
        // e = sqrt((ℓ² + ℓu + u²)/3), c1 = −2/(2e³ + ℓ²u + ℓu²), c0 = −3e²c1,
        // E = (2e³ − ℓ²u − ℓu²)/(2e³ + ℓ²u + ℓu²).
        let p = 1024;
        let l2u = Float::with_val(p, l.square_ref()) * &u;
        let lu2 = Float::with_val(p, u.square_ref()) * &l;
        let mixed = Float::with_val(p, &l2u + &lu2);
        let e2 =
            (Float::with_val(p, l.square_ref()) + Float::with_val(p, &l * &u) + Float::with_val(p, u.square_ref()))
                / 3u32;
        let e = Float::with_val(p, e2.sqrt_ref());
        let two_e3 = Float::with_val(p, (&e).pow(3u32)) * 2u32;
        let den = Float::with_val(p, &two_e3 + &mixed);
        let c1 = Float::with_val(p, -2) / &den;
        let c0 = Float::with_val(p, &c1 * &e2) * -3i32;
        let big_e = Float::with_val(p, &two_e3 - &mixed) / &den;
        assert!(digits_agreeing(&fit.poly.coeffs()[0], &c0) >= 60.0, "c0 on [{l}, {u}]");
        assert!(digits_agreeing(&fit.poly.coeffs()[1], &c1) >= 60.0, "c1 on [{l}, {u}]");
        assert!(digits_agreeing(&fit.levelled_error, &big_e) >= 60.0, "E on [{l}, {u}]");
    }
}

#[test]
fn degree_five_first_step_error_to_30_digits() {
    let fit = minimax(5, &dec("1e-3"), &dec("1"), &RemezOptions::default()).unwrap();
    // The value correctly rounded to 30 significant digits.
    assert_eq!(to_decimal(&fit.levelled_error, 30), "0.991529696304208008523510394838");
}

#[test]
fn equioscillation_on_hard_cases() {
    let tol = equioscillation_tolerance(PREC);
    for l in ["1e-12", "1e-8", "1e-4", "0.1", "0.9"] {
        for d in [3, 5, 7, 11, 21, 31] {
            let fit = minimax(d, &dec(l), &dec("1"), &RemezOptions::default()).unwrap();
            assert_eq!(fit.status, RemezStatus::Converged, "d = {d}, l = {l}: {:?}", fit.message);
            assert_eq!(fit.reference.len(), (d as usize - 1) / 2 + 2);
            assert_reference_equioscillates(&fit, &tol, &format!("d = {d}, l = {l}"));
        }
    }
}

/// Recomputes 1 − p at the reference from the returned polynomial: alternating
/// signs starting positive at ℓ, all of size E to the tolerance; and no point
/// of a dense grid exceeds E (no extremum was missed).
fn assert_reference_equioscillates(fit: &polar_coeffs::remez::Minimax, tol: &Float, what: &str) {
    let p = fit.internal_precision;
    let e = &fit.levelled_error;
    for (i, x) in fit.reference.iter().enumerate() {
        let err = Float::with_val(p, 1 - fit.poly.eval(x));
        assert_eq!(err.is_sign_positive(), i % 2 == 0, "{what}: sign at reference point {i}");
        let rel = Float::with_val(p, Float::with_val(p, err.abs_ref()) - e).abs() / e;
        assert!(rel <= *tol, "{what}: |1 - p(x_{i})| off E by {rel}");
    }
    // Dense check between ℓ and u on a geometric grid.
    let n = 400;
    let ratio = Float::with_val(p, &fit.upper / &fit.lower);
    let bound = Float::with_val(p, e * Float::with_val(p, 1 + tol));
    for k in 0..=n {
        let x = Float::with_val(p, &fit.lower * Float::with_val(p, (&ratio).pow(&(Float::with_val(64, k) / n))));
        let err = Float::with_val(p, 1 - fit.poly.eval(&x)).abs();
        assert!(err <= bound, "{what}: |1 - p| = {err} exceeds E at x = {x}");
    }
}

#[test]
fn narrow_interval_near_one_gives_five_eighths_delta_cubed() {
    // On [1 − δ, 1 + δ] the best quintic tends to the Newton–Schulz limit,
    // with E = (5/8)δ³ (1 + O(δ)).
    let delta = dec("1e-80");
    let l = Float::with_val(2048, 1 - &delta);
    let u = Float::with_val(2048, 1 + &delta);
    let fit = minimax(5, &l, &u, &RemezOptions::default()).unwrap();
    assert_eq!(fit.status, RemezStatus::Converged, "{:?}", fit.message);
    let predicted = Float::with_val(2048, (&delta).pow(3u32)) * 5u32 / 8u32;
    assert!(digits_agreeing(&fit.levelled_error, &predicted) >= 75.0);
    // Coefficients at the limit (15/8, −10/8, 3/8) to about δ.
    for (c, want) in fit.poly.coeffs().iter().zip(["1.875", "-1.25", "0.375"]) {
        assert!(digits_agreeing(c, &dec(want)) >= 70.0);
    }
    assert_reference_equioscillates(&fit, &equioscillation_tolerance(PREC), "narrow");
}

#[test]
fn pure_greedy_degree_five_composed_error_after_eight_steps() {
    let table = greedy(&ScheduleSpec::new(vec![5; 8], "1e-3")).unwrap();
    assert!(table.all_converged());
    assert_eq!(to_decimal(table.final_error(), 20), "6.9597564473310883949e-29");
    // docs/MATH.md §3 reference values, 5 digits.
    let reference = ["0.99153", "0.96457", "0.85977", "0.54589", "0.11345", "9.1647e-4", "4.8110e-10", "6.9598e-29"];
    for (step, want) in table.steps.iter().zip(reference) {
        assert!(digits_agreeing(&step.composed_error, &dec(want)) >= 4.0);
        // Without cushion or safety, the composed error is the step's own error.
        assert!(digits_agreeing(&step.composed_error, &step.step_error) >= 70.0);
    }
    // After five steps: 0.1134484573815779 (16 digits), the figure `compare` quotes.
    assert_eq!(to_decimal(&table.steps[4].composed_error, 16), "0.1134484573815779");
}

#[test]
fn late_steps_keep_full_precision() {
    // Step 10 has an interval 2e-85 wide and an error near 6e-255: the solver
    // must raise its internal precision rather than return float64 digits.
    let table = greedy(&ScheduleSpec::new(vec![5; 10], "1e-3")).unwrap();
    assert!(table.all_converged());
    let last = &table.steps[9];
    assert!(last.fit.as_ref().unwrap().internal_precision > 1000);
    // E_{t+1} ≈ (5/8) E_t³ near the fixed point.
    let prev = &table.steps[8].composed_error;
    let predicted = Float::with_val(4096, prev.pow(3u32)) * 5u32 / 8u32;
    assert!(digits_agreeing(&last.composed_error, &predicted) >= 60.0);
}

#[test]
fn per_step_degrees_compose() {
    let mut spec = ScheduleSpec::new(vec![9, 7, 5, 5, 3], "1e-4");
    spec.precision = 128;
    let table = greedy(&spec).unwrap();
    assert!(table.all_converged());
    let degrees: Vec<u32> = table.steps.iter().map(|s| s.applied.degree()).collect();
    assert_eq!(degrees, vec![9, 7, 5, 5, 3]);
    // Each step's interval is the image of the previous one: [1 − E, 1 + E].
    for w in table.steps.windows(2) {
        let e = &w[0].step_error;
        assert!(digits_agreeing(&w[1].interval.0, &Float::with_val(512, 1 - e)) >= 35.0);
        assert!(digits_agreeing(&w[1].interval.1, &Float::with_val(512, 1 + e)) >= 35.0);
    }
}

#[test]
fn non_convergence_is_a_status_with_the_best_iterate() {
    // One exchange iteration cannot reach 256-bit equioscillation from
    // Chebyshev points: the solver must say so and still return its best.
    let options = RemezOptions { max_iterations: 1, ..RemezOptions::default() };
    let fit = minimax(7, &dec("1e-3"), &dec("1"), &options).unwrap();
    assert_eq!(fit.status, RemezStatus::MaxIterations);
    assert!(fit.message.as_deref().unwrap_or("").contains("1 iterations"));
    assert_eq!(fit.poly.coeffs().len(), 4);
    // The best iterate is a sane polynomial: its worst error is near the optimum.
    let optimum = minimax(7, &dec("1e-3"), &dec("1"), &RemezOptions::default()).unwrap();
    assert!(fit.max_error >= optimum.levelled_error);
    assert!(fit.max_error < Float::with_val(64, &optimum.levelled_error * 1.01));
}

/// The Sturm-based critical points of a polynomial agree with the points the
/// Remez solver found as its interior reference (two independent searches).
#[test]
fn critical_points_match_the_remez_reference() {
    let fit = minimax(11, &dec("0.01"), &dec("1"), &RemezOptions::default()).unwrap();
    let crit = fit.poly.positive_critical_points();
    assert_eq!(crit.len(), 5);
    for (a, b) in crit.iter().zip(fit.critical_points()) {
        let rel = Float::with_val(256, a - b).abs() / b;
        assert!(rel < 1e-30, "{a} vs {b}");
    }
}
