//! The x·q(x^r) family for matrix roots: closed forms first (one term; two
//! terms for r = 1 and r = 3 solved by hand; the limit rows), then the
//! published root table for r = 1…5 from the shipped configs, then the CLI
//! contract, then Sollya.
//!
//! The published table (the coupled iteration for G P^(-s/r): P0 = P /
//! sqrt(tr(P²)), lower 1e-4^(1/r), cushion 0.1, values printed before a 1.001
//! safety division, last row the limit polynomial) is quoted from the blog
//! post behind the "structured mcsgn" root iterations (docs/published-tables.md).

mod common;

use common::{bin, require, shipped, sollya_remez};
use polar_coeffs::config::Config;
use polar_coeffs::poly::limit_row;
use polar_coeffs::precision::{parse_decimal, to_decimal};
use polar_coeffs::remez::{RemezOptions, RemezStatus, minimax_root};
use rug::{Float, Rational};

const PREC: u32 = 512;

fn f(x: &str) -> Float {
    parse_decimal(x, PREC).unwrap()
}

fn close(ours: &Float, want: &Float, digits: i32, what: &str) {
    let rel = Float::with_val(PREC, Float::with_val(PREC, ours - want) / want).abs();
    assert!(rel < Float::with_val(64, 10f64.powi(-digits)), "{what}: {ours} vs {want} (relative {rel:.3e})");
}

#[test]
fn one_term_is_two_over_the_interval_sum_for_every_root() {
    for root in [1, 3, 4, 5] {
        let (l, u) = (f("0.2"), f("1"));
        let fit = minimax_root(1, root, &l, &u, &RemezOptions::default()).unwrap();
        let sum = Float::with_val(PREC, &l + &u);
        close(&fit.poly.coeffs()[0], &Float::with_val(PREC, 2 / &sum), 70, "a");
        let e = Float::with_val(PREC, Float::with_val(PREC, &u - &l) / &sum);
        close(&fit.levelled_error, &e, 70, "E");
    }
}

/// p = a x + b x^(1+r) on [ℓ, u]: equal errors +E, −E, +E at ℓ, x*, u with
/// p′(x*) = 0. From p(ℓ) = p(u): a = −bK, K = (u^(1+r) − ℓ^(1+r))/(u − ℓ);
/// x*^r = K/(1 + r); p(ℓ) + p(x*) = 2 gives b.
fn two_terms(root: u32, l: &Float, u: &Float) -> (Float, Float, Float) {
    let pow = |x: &Float, k: u32| Float::with_val(PREC, rug::ops::Pow::pow(x, k));
    let k = Float::with_val(
        PREC,
        Float::with_val(PREC, pow(u, root + 1) - pow(l, root + 1)) / Float::with_val(PREC, u - l),
    );
    let x_star = Float::with_val(PREC, &k / (root + 1)).root(root);
    let at_l = Float::with_val(PREC, l * Float::with_val(PREC, pow(l, root) - &k));
    let at_star = Float::with_val(PREC, &x_star * &k) * root / (root + 1);
    let b = Float::with_val(PREC, 2 / Float::with_val(PREC, at_l - at_star));
    let a = -Float::with_val(PREC, &b * &k);
    let p_l = Float::with_val(PREC, l * Float::with_val(PREC, &a + Float::with_val(PREC, &b * pow(l, root))));
    (a, b, Float::with_val(PREC, 1 - p_l))
}

#[test]
fn two_terms_match_the_hand_solution_for_r_1_and_3() {
    for (root, lower) in [(1, "0.1"), (3, "0.1"), (3, "0.3")] {
        let (l, u) = (f(lower), f("1"));
        let (a, b, e) = two_terms(root, &l, &u);
        let fit = minimax_root(1 + root, root, &l, &u, &RemezOptions::default()).unwrap();
        assert_eq!(fit.status, RemezStatus::Converged);
        close(&fit.poly.coeffs()[0], &a, 60, "a");
        close(&fit.poly.coeffs()[1], &b, 60, "b");
        close(&fit.levelled_error, &e, 60, "E");
    }
}

/// The published last rows.
#[test]
fn limit_rows_are_the_published_closed_forms() {
    let q = |n: i32, d: i32| Rational::from((n, d));
    assert_eq!(limit_row(1, 3), [q(3, 1), q(-3, 1), q(1, 1)]);
    assert_eq!(limit_row(2, 3), [q(15, 8), q(-5, 4), q(3, 8)]);
    assert_eq!(limit_row(3, 3), [q(14, 9), q(-7, 9), q(2, 9)]);
    assert_eq!(limit_row(4, 3), [q(45, 32), q(-9, 16), q(5, 32)]);
    assert_eq!(limit_row(5, 3), [q(33, 25), q(-11, 25), q(3, 25)]);
    // The cubic: 1 − p = (1 − x)² (1 + 2x)/2 for msign, p = (3x − x³)/2.
    assert_eq!(limit_row(2, 2), [q(3, 2), q(-1, 2)]);
}

/// Every published digit of the root table (6 significant digits), from the
/// shipped configs: the rows before the 1.001 safety division.
#[test]
fn the_published_root_table_is_reproduced() {
    let published: [(u32, &[[&str; 3]]); 5] = [
        (
            1,
            &[
                ["14.2975", "-31.2203", "18.9214"],
                ["7.12258", "-7.78207", "2.35989"],
                ["6.9396", "-7.61544", "2.3195"],
                ["5.98456", "-6.77016", "2.12571"],
                ["3.79109", "-4.18664", "1.39555"],
            ],
        ),
        (
            2,
            &[
                ["7.42487", "-18.3958", "12.8967"],
                ["3.48773", "-2.33004", "0.440469"],
                ["2.77661", "-2.07064", "0.463023"],
                ["1.99131", "-1.37394", "0.387593"],
            ],
        ),
        (
            3,
            &[
                ["5.05052", "-13.5427", "10.2579"],
                ["2.31728", "-1.06581", "0.144441"],
                ["1.79293", "-0.913562", "0.186699"],
                ["1.56683", "-0.786609", "0.220008"],
            ],
        ),
        (
            4,
            &[
                ["3.85003", "-10.8539", "8.61893"],
                ["1.80992", "-0.587778", "0.0647852"],
                ["1.50394", "-0.594516", "0.121161"],
            ],
        ),
        (
            5,
            &[
                ["3.11194", "-8.28217", "6.67716"],
                ["1.5752", "-0.393327", "0.0380364"],
                ["1.3736", "-0.44661", "0.0911259"],
            ],
        ),
    ];
    for (root, rows) in published {
        let config = Config::from_path(&shipped(&format!("roots_r{root}.yaml"))).unwrap();
        let doc = polar_coeffs::solve(&config).unwrap();
        assert_eq!(doc.root(), root);
        assert!(doc.all_converged);
        // The fitted rows, then the exact limit row, unscaled.
        assert_eq!(doc.steps.len(), rows.len() + 1);
        let limit = doc.steps.last().unwrap();
        assert!(!limit.safety_scaled && limit.remez.is_none());
        for (c, q) in limit.coefficients.iter().zip(limit_row(root, 3)) {
            let digits = polar_coeffs::precision::decimal_digits(doc.precision_bits);
            assert_eq!(*c, to_decimal(&Float::with_val(PREC, &q), digits), "root {root}: limit row");
        }
        let safety = f(&doc.config.safety);
        for (s, want) in doc.steps.iter().zip(rows) {
            // r = 2 is msign: its documents are msign's, without exponents.
            let exponents = (root != 2).then(|| vec![1, 1 + root, 1 + 2 * root]);
            assert_eq!(s.exponents, exponents);
            assert!(s.safety_scaled, "every fitted row is divided by the safety factor");
            for (k, (c, w)) in s.coefficients.iter().zip(want).enumerate() {
                // Undo the safety division of a scaled row: c·s^(1+kr).
                let undo = if s.safety_scaled {
                    Float::with_val(PREC, rug::ops::Pow::pow(&safety, 1 + k as u32 * root))
                } else {
                    Float::with_val(PREC, 1)
                };
                let value = Float::with_val(PREC, f(c) * undo);
                let digits = w.trim_start_matches('-').replace('.', "").trim_start_matches('0').len();
                assert_eq!(to_decimal(&value, digits), *w, "root {root}, step {}, coefficient {k}", s.step);
            }
        }
    }
}

#[test]
fn the_cli_solves_root_tables_and_refuses_bad_pairs() {
    let out = bin()
        .args(["solve", "--root", "3", "--degree", "7", "--steps", "6", "--lower", "1e-3", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = polar_coeffs::table::TableDoc::from_json(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(doc.config.root, Some(3));
    assert!(doc.all_converged);
    // Each step's error is its own minimax error, checked against a fresh
    // solve of the interval it records.
    for s in &doc.steps {
        let [lo, hi] = &s.interval;
        let fit = minimax_root(7, 3, &f(lo), &f(hi), &RemezOptions::default()).unwrap();
        close(&f(&s.step_error), &fit.levelled_error, 60, "step error");
    }
    for (args, want) in [
        (vec!["--root", "3", "--degree", "5"], "1 + 3·(n − 1) for root 3"),
        (vec!["--root", "0", "--degree", "5"], "--root"),
        (vec!["--root=-1", "--degree", "5"], "--root"),
        (vec!["--root", "2.5", "--degree", "5"], "--root"),
        (vec!["--root", "1000", "--degree", "5"], "--root"),
    ] {
        let out = bin().arg("solve").args(&args).args(["--steps", "2", "--lower", "1e-3"]).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // msign-only pipelines refuse a root table with the reason.
    let dir = tempfile::TempDir::new().unwrap();
    bin().arg("run").arg(shipped("roots_r3.yaml")).arg("--out").arg(dir.path()).arg("--quiet").assert().success();
    for args in [vec!["verify", "--json"], vec!["compare", "--out", "/nonexistent/never-written"]] {
        let out = bin().args(&args).arg(dir.path().join("roots_r3.json")).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not msign"), "{args:?}: {err}");
    }
    let e = Config::from_yaml_str("name: t\nroot: 3\ndegree: 7\nsteps: 2\nlower: 0.1\nverify: {}\n", "t.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("root") && e.contains("verify"), "{e}");
}

#[test]
fn root_family_agrees_with_sollya_to_60_digits() {
    if !require("sollya", "--help") {
        return;
    }
    for (root, terms, lower) in [(1, 3, "0.01"), (3, 3, "0.05"), (5, 3, "0.2"), (4, 4, "0.1")] {
        let exponents: Vec<u32> = (0..terms).map(|k| 1 + k * root).collect();
        let theirs = sollya_remez(&exponents, lower).expect("sollya answers");
        let fit = minimax_root(1 + (terms - 1) * root, root, &f(lower), &f("1"), &RemezOptions::default()).unwrap();
        for (k, (ours, theirs)) in fit.poly.coeffs().iter().zip(&theirs).enumerate() {
            close(ours, &f(theirs), 60, &format!("root {root}, coefficient {k}"));
        }
    }
}

/// The Adam method on the family: its objectives evaluate x·q(x^3). From the
/// greedy start the worst-case objective cannot improve on the greedy table
/// (the greedy theorem), so both documents report the same final error; the
/// Adam table records the same exponents; msign presets are refused.
#[test]
fn adam_optimises_root_tables() {
    let base = "name: t\nroot: 3\ndegree: 7\nsteps: 3\nlower: 0.1\n";
    let greedy = polar_coeffs::solve(&Config::from_yaml_str(base, "g.yaml").unwrap()).unwrap();
    let adam_yaml = format!("{base}method: adam\nadam:\n  iterations: 200\n");
    let adam = polar_coeffs::solve(&Config::from_yaml_str(&adam_yaml, "a.yaml").unwrap()).unwrap();
    assert_eq!(adam.root(), 3);
    assert_eq!(adam.steps[0].exponents.as_deref(), Some(&[1, 4, 7][..]));
    close(&f(&adam.final_error), &f(&greedy.final_error), 12, "final error");
    // Top-k on a grid moves the rows: the objective is live for r = 3.
    let topk = format!("{base}method: adam\nobjective: {{kind: top_k, k: 8, grid: 200}}\nadam:\n  iterations: 200\n");
    let topk = polar_coeffs::solve(&Config::from_yaml_str(&topk, "k.yaml").unwrap()).unwrap();
    let opt = topk.optimisation.as_ref().unwrap();
    assert!(opt.final_loss < opt.initial_loss, "{} -> {}", opt.initial_loss, opt.final_loss);
    // limit_row is a greedy-table option: with Adam it is refused at its key,
    // and a non-boolean value at its line.
    let e = Config::from_yaml_str(&format!("{base}method: adam\nlimit_row: true\n"), "l.yaml").unwrap_err().to_string();
    assert!(e.contains("limit_row") && e.contains("method: adam") && e.contains("l.yaml:7"), "{e}");
    let e = Config::from_yaml_str(&format!("{base}limit_row: yes please\n"), "b.yaml").unwrap_err().to_string();
    assert!(e.contains("b.yaml:6:12") && e.contains("boolean"), "{e}");
    let e = Config::from_yaml_str(&format!("{base}method: adam\ninit: {{preset: polar_express_2025}}\n"), "p.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("init.preset") && e.contains("root 3"), "{e}");
}
