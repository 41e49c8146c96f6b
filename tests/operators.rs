//! The operators on msign against their f64 references: in f64 with enough
//! steps every one matches to round-off (fixed seeds), and bad operands are
//! refused by name.

mod common;

use common::{assert_run_refused, bin, npy_bytes, read_json};
use polar_coeffs::operators::operands::{Operand, OperandSpec, Values, generate};
use polar_coeffs::operators::{Formula, OperatorKind, OperatorOptions, OperatorReport, run};
use polar_coeffs::presets::preset;
use polar_coeffs::rows::CoefficientRows;
use polar_coeffs::verify::Dtype;
use polar_coeffs::verify::matrix::Spectrum;

/// The Polar Express list: seven safety-scaled rows, then the quintic
/// Newton–Schulz row (fixed point 1), repeated: enough steps reach round-off.
fn table() -> CoefficientRows {
    CoefficientRows::from_preset(&preset("polar-express-2025").unwrap())
}

fn f64_run(kind: OperatorKind, spec: &OperandSpec, steps: usize, options: OperatorOptions) -> OperatorReport {
    let operands = generate(kind, spec, vec![], 1 << 24).unwrap();
    let options = OperatorOptions { dtypes: vec![Dtype::F64], steps: Some(steps), ..options };
    run(kind, &table(), 2, &operands, &options).unwrap()
}

fn metric(report: &OperatorReport, i: usize, name: &str) -> f64 {
    let run = &report.results[i];
    assert!(run.failure.is_none(), "{:?}", run.failure);
    run.metrics[name]
}

#[test]
fn mclip_every_formula_matches_the_svd_answer_in_f64() {
    // 64×48, σ log-uniform in [0.01, 10].
    let spec = OperandSpec { rows: 64, cols: 48, lower: 0.01, upper: 10.0, seed: 3, ..OperandSpec::default() };
    let formulas = vec![Formula::V1, Formula::V2, Formula::V3, Formula::Leloykun, Formula::Clip];
    let options = OperatorOptions { formulas, clip: [0.05, 2.0], ..OperatorOptions::default() };
    let report = f64_run(OperatorKind::Mclip, &spec, 30, options);
    assert_eq!(report.results.len(), 5);
    for (i, run) in report.results.iter().enumerate() {
        let e = metric(&report, i, "relative_error");
        assert!(e <= 1e-10, "{:?}: relative error {e:e}", run.formula);
        // The scalar model agrees with the measurement in f64.
        let (m, p) = (run.metrics["spectral_norm"], run.predicted["spectral_norm"]);
        assert!((m - p).abs() <= 1e-9 * p, "{:?}: spectral norm {m} vs predicted {p}", run.formula);
    }
}

#[test]
fn mstep_matches_the_svd_answer_in_f64() {
    let spec = OperandSpec { rows: 40, cols: 56, lower: 0.01, upper: 10.0, seed: 4, ..OperandSpec::default() };
    let report = f64_run(OperatorKind::Mstep, &spec, 30, OperatorOptions::default());
    assert!(metric(&report, 0, "relative_error") <= 1e-10);
}

#[test]
fn sylvester_residual_is_round_off() {
    let spec = OperandSpec { rows: 24, cols: 16, lower: 0.05, upper: 2.0, seed: 5, ..OperandSpec::default() };
    let report = f64_run(OperatorKind::Sylvester, &spec, 20, OperatorOptions::default());
    assert!(metric(&report, 0, "relative_residual") <= 1e-10, "{report:?}");
    assert!(metric(&report, 0, "relative_error") <= 1e-10);
    // The error after every step is reported and falls to round-off.
    let steps = &report.results[0].error_by_step;
    assert_eq!(steps.len(), 20);
    assert!(steps[0] > 1e-2 && steps[19] <= 1e-10, "{steps:?}");
}

#[test]
fn square_and_inverse_square_roots_are_round_off() {
    let spec = OperandSpec { rows: 30, cols: 30, lower: 1e-3, upper: 5.0, seed: 6, ..OperandSpec::default() };
    for kind in [OperatorKind::Sqrt, OperatorKind::InvSqrt] {
        let report = f64_run(kind, &spec, 20, OperatorOptions::default());
        assert!(metric(&report, 0, "sqrt_relative_error") <= 1e-10, "{report:?}");
        assert!(metric(&report, 0, "square_residual") <= 1e-10);
        assert!(metric(&report, 0, "inv_sqrt_relative_error") <= 1e-10);
        assert!(metric(&report, 0, "inverse_residual") <= 1e-10);
    }
}

#[test]
fn mcsgn_of_a_non_normal_matrix_is_round_off() {
    let spec =
        OperandSpec { rows: 20, cols: 20, lower: 0.05, upper: 1.0, condition: 10.0, seed: 7, ..OperandSpec::default() };
    let report = f64_run(OperatorKind::Mcsgn, &spec, 20, OperatorOptions::default());
    assert!(metric(&report, 0, "error_vs_reference") <= 1e-10, "{report:?}");
    assert!(metric(&report, 0, "sign_residual") <= 1e-10);
    assert!(metric(&report, 0, "commutator") <= 1e-10);
}

#[test]
fn msign_grad_matches_finite_differences_on_every_shape() {
    // A rectangular M makes A = M Oᵀ (or B) singular: the route needs the
    // shift, small enough that its bias is below the tolerance, and the steps
    // to carry eigenvalues near ε to 1.
    for (rows, cols, epsilon) in [(8, 8, 0.0), (10, 6, 1e-9), (6, 10, 1e-9)] {
        let spec = OperandSpec { rows, cols, lower: 0.1, upper: 1.0, seed: 8, ..OperandSpec::default() };
        let options = OperatorOptions { epsilon, ..OperatorOptions::default() };
        let report = f64_run(OperatorKind::MsignGrad, &spec, 40, options);
        let fd = metric(&report, 0, "relative_error_vs_finite_differences");
        assert!(fd <= 1e-6, "{rows}x{cols}: {fd:e}");
        assert!(metric(&report, 0, "relative_error_vs_sylvester") <= 1e-7);
        if rows == cols {
            assert!(metric(&report, 0, "relative_error_vs_svd") <= 1e-10, "{report:?}");
        } else {
            assert!(!report.results[0].metrics.contains_key("relative_error_vs_svd"));
        }
    }
}

fn refused(kind: OperatorKind, operands: Vec<Operand>, needle: &str) {
    let options = OperatorOptions { dtypes: vec![Dtype::F64], ..OperatorOptions::default() };
    let e = run(kind, &table(), 2, &operands, &options).unwrap_err().to_string();
    assert!(e.contains(needle), "{e}");
}

fn operand(name: &'static str, rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64) -> Operand {
    Operand { name, m: nalgebra::DMatrix::from_fn(rows, cols, f), description: "test".into(), values: None }
}

#[test]
fn bad_operands_are_refused_by_name() {
    refused(OperatorKind::Mcsgn, vec![operand("M", 3, 4, |i, j| (i + j) as f64)], "operand M: shape 3x4 is not square");
    // A rotation: eigenvalues ±i.
    let rot = operand("M", 2, 2, |i, j| [[0.0, -1.0], [1.0, 0.0]][i][j]);
    refused(OperatorKind::Mcsgn, vec![rot], "its spectrum is not real");
    let p = |name| operand(name, 3, 3, |i, j| if i == j { 1.0 } else { 0.0 });
    let c = operand("C", 3, 2, |_, _| 1.0);
    refused(OperatorKind::Sylvester, vec![p("A"), p("B"), c], "operand C: shape 3x2 does not fit");
    let nonsym = operand("P", 2, 2, |i, j| [[1.0, 0.5], [0.0, 1.0]][i][j]);
    refused(OperatorKind::Sqrt, vec![nonsym], "operand P: not symmetric");
    let indefinite = operand("P", 2, 2, |i, j| [[1.0, 0.0], [0.0, -1.0]][i][j]);
    refused(OperatorKind::Sqrt, vec![indefinite], "operand P: indefinite");
    let singular = operand("P", 2, 2, |i, j| [[1.0, 0.0], [0.0, 0.0]][i][j]);
    refused(OperatorKind::InvSqrt, vec![singular], "operand P: singular");
    let m = operand("M", 3, 2, |i, j| (i * 2 + j) as f64 + 1.0);
    refused(OperatorKind::MsignGrad, vec![m, operand("G", 2, 3, |_, _| 1.0)], "operand G: shape 2x3 differs");
    // Without the shift a singular A (rectangular M) would be mapped to 0.
    let m = operand("M", 3, 2, |i, j| (i * 2 + j) as f64 + if i == j { 5.0 } else { 0.0 });
    refused(OperatorKind::MsignGrad, vec![m, operand("G", 3, 2, |_, _| 1.0)], "epsilon > 0");
    let nan = operand("M", 2, 2, |i, _| if i == 0 { f64::NAN } else { 1.0 });
    refused(OperatorKind::Mclip, vec![nan], "operand M");
}

#[test]
fn generated_operands_have_their_layout() {
    let spec = OperandSpec { rows: 64, cols: 32, values: Values::TwoSegment, upper: 1000.0, ..OperandSpec::default() };
    let ops = generate(OperatorKind::Mclip, &spec, vec![], 1 << 20).unwrap();
    let sigma = polar_coeffs::operators::reference::singular_values(&ops[0].m).unwrap();
    assert_eq!(sigma.len(), 32);
    assert!((sigma[0] - 1000.0).abs() < 1e-9 && (sigma[3] - 1.0).abs() < 1e-9, "{sigma:?}");
    assert!(sigma[31].abs() < 1e-6);
    // The non-square refusal of a square-only operator.
    let wide = OperandSpec { rows: 4, cols: 5, ..OperandSpec::default() };
    assert!(generate(OperatorKind::Mcsgn, &wide, vec![], 1 << 20).unwrap_err().to_string().contains("square"));
    let _ = Spectrum::LogUniform;
}

// The command-line contract.

#[test]
fn operator_command_prints_json_and_writes_its_set() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("o");
    let assert = bin()
        .args(["operator", "mclip", "--table", "polar-express-2025", "--shape", "48x32", "--spectrum", "two_segment"])
        .args(["--steps", "4", "--dtype", "f64,bf16", "--formula", "v2,v3", "--format", "json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let printed: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(printed["operator"], "mclip");
    assert_eq!(printed["results"].as_array().unwrap().len(), 4);
    assert_eq!(printed["results"][0]["formula"], "v2");
    assert!(printed["results"][0]["metrics"]["spectral_norm"].as_f64().unwrap() > 1.0);
    assert_eq!(printed["sigma_in"].as_array().unwrap().len(), 32);
    // The same report on disk, with its Markdown and figures.
    assert_eq!(read_json(&out.join("mclip.operator.json")), printed);
    for f in ["mclip.operator.md", "mclip-singular-values.png", "mclip-singular-values.svg"] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn operator_results_are_deterministic() {
    let run = || {
        bin()
            .args(["operator", "msign-grad", "--table", "polar-express-2025", "--shape", "6x9", "--epsilon", "1e-3"])
            .args(["--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    assert_eq!(run(), run());
}

#[test]
fn npy_operands_are_read() {
    let dir = tempfile::TempDir::new().unwrap();
    // P = [[4, 1], [1, 3]] (symmetric positive definite).
    let p = dir.path().join("p.npy");
    std::fs::write(&p, npy_bytes("<f8", false, "(2, 2)", &[4.0, 1.0, 1.0, 3.0], 2, 2)).unwrap();
    let assert = bin()
        .args(["operator", "sqrt", "--table", "polar-express-2025", "--steps", "12", "--dtype", "f64"])
        .arg("--operand")
        .arg(format!("P={}", p.display()))
        .args(["--format", "json"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert!(report["operands"][0]["description"].as_str().unwrap().contains("p.npy"));
    assert!(report["results"][0]["metrics"]["sqrt_relative_error"].as_f64().unwrap() < 1e-12);
}

/// Refused with exit 1, `needle` on stderr and no output folder.
fn cli_refused(args: &[&str], needle: &str) {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("o");
    bin()
        .arg("operator")
        .args(args)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains(needle));
    assert!(!out.exists());
}

#[test]
fn bad_operator_input_is_refused_by_name() {
    let t = ["--table", "polar-express-2025"];
    cli_refused(&["mcsgn", t[0], t[1], "--shape", "4x6"], "not allowed for mcsgn: its operand is square");
    cli_refused(&["mcsgn", t[0], t[1], "--shape", "6x6", "--spectrum", "gaussian"], "its spectrum is not real");
    cli_refused(&["blur", t[0], t[1]], "NAME = \"blur\" is not allowed");
    cli_refused(&["mclip", t[0], t[1], "--formula", "v9"], "--formula");
    cli_refused(&["sqrt", t[0], t[1], "--formula", "v1"], "only for the mclip operator");
    cli_refused(&["mclip", t[0], t[1], "--upper", "1e-4"], "--upper = 1e-4 is not allowed: above the lower end");
    cli_refused(&["mclip", t[0], t[1], "--operand", "Q=x.npy"], "operand \"Q\" is not an operand of mclip");
    cli_refused(&["mclip", t[0], t[1], "--operand", "M"], "NAME=FILE.npy");
    cli_refused(&["mclip", t[0], t[1], "--matrix", "/nonexistent.npy"], "operand M: /nonexistent.npy");
    cli_refused(&["mclip", t[0], t[1], "--clip", "2,1"], "--clip");
    cli_refused(&["msign-grad", t[0], t[1], "--shape", "6x4"], "epsilon > 0");
    cli_refused(&["root", t[0], t[1], "--shape", "4x4", "--spectrum", "wishart", "--power", "0"], "--power");
    cli_refused(&["mclip"], "operator needs a table");
    // A root-family table runs only `root`.
    let roots = common::shipped("roots_r3.yaml");
    cli_refused(&["mclip", "--config", roots.to_str().unwrap()], "root with a root-family table");
}

#[test]
fn run_configs_with_an_operator_section_write_its_report() {
    let (dir, _) = common::run_yaml(
        "name: op\ndegree: 5\nsteps: 6\nlower: 1e-3\noperator:\n  name: mcsgn\n  shape: 12x12\n  condition: 3\n  steps: 12\n  dtypes: [f64]\n",
    );
    let report = read_json(&dir.path().join("op.operator.json"));
    assert_eq!(report["operator"], "mcsgn");
    // The smallest eigenvalue, 1e-3/sqrt(tr M^2), is below the table's lower
    // end: the scalar model predicts what is left, and the run measures it.
    let measured = report["results"][0]["metrics"]["error_vs_reference"].as_f64().unwrap();
    let predicted = report["results"][0]["predicted"]["max_eigenvalue_error"].as_f64().unwrap();
    assert!(measured < 1e-3 && (measured - predicted).abs() <= 0.1 * predicted, "{measured} vs {predicted}");
    assert!(dir.path().join("op.operator.md").is_file());
    assert_run_refused(
        "bad.yaml",
        "name: bad\ndegree: 5\nsteps: 2\nlower: 1e-3\noperator:\n  name: blur\n",
        "operator.name",
    );
    assert_run_refused(
        "bad.yaml",
        "name: bad\ndegree: 5\nsteps: 2\nlower: 1e-3\noperator:\n  name: mclip\n  shape: 9\n",
        "bad.yaml:7:10: operator.shape",
    );
}

// The published experiments, from their shipped configs.

/// The operator report a shipped experiment config writes.
fn experiment(name: &str) -> serde_json::Value {
    let dir = tempfile::TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(common::shipped(&format!("{name}.yaml")))
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .assert()
        .success();
    read_json(&dir.path().join(format!("{name}.operator.json")))
}

#[test]
fn the_published_clipping_experiment_is_reproduced() {
    // Published (4096 x 1024, bf16, 4 Polar Express rows): spectral norm about
    // 700 / 250 / 1.5 / 13 and mean singular-value error about 20 / 10 / 0.5 /
    // 0.7 for v1 / v2 / v3 / leloykun. Each within a factor of 2, v3 best, v1 worst.
    let report = experiment("mclip_experiment");
    let published = [("v1", 700.0, 20.0), ("v2", 250.0, 10.0), ("v3", 1.5, 0.5), ("leloykun", 13.0, 0.7)];
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for (run, (formula, norm, mean)) in results.iter().zip(published) {
        assert_eq!(run["formula"], formula);
        assert_eq!(run["dtype"], "bf16");
        let got_norm = run["metrics"]["spectral_norm"].as_f64().unwrap();
        let got_mean = run["metrics"]["mean_singular_value_error"].as_f64().unwrap();
        assert!(got_norm / norm < 2.0 && norm / got_norm < 2.0, "{formula}: spectral norm {got_norm} vs {norm}");
        assert!(got_mean / mean < 2.0 && mean / got_mean < 2.0, "{formula}: mean error {got_mean} vs {mean}");
    }
    let norms: Vec<f64> = results.iter().map(|r| r["metrics"]["spectral_norm"].as_f64().unwrap()).collect();
    assert!(norms[2] < norms[3] && norms[3] < norms[1] && norms[1] < norms[0], "{norms:?}");
}

#[test]
fn the_published_square_root_experiment_is_reproduced() {
    // Published (d = 100, P = x x^T, 6 steps): mean |msqrt(P)^2 - P| about 2e-4.
    let report = experiment("sqrt_experiment");
    let f64_run = &report["results"][0];
    assert_eq!(f64_run["dtype"], "f64");
    let got = f64_run["metrics"]["mean_abs_square_residual"].as_f64().unwrap();
    assert!(got / 2e-4 < 2.0 && 2e-4 / got < 2.0, "{got}");
}

#[test]
fn the_published_root_experiment_is_reproduced() {
    // Published (d = 1000, G 2d x d, P = x x^T + 0.001 I, r = 4, s = 1): mean
    // |error| about 1e-3 in f64.
    let report = experiment("root_experiment");
    let got = report["results"][0]["metrics"]["mean_abs_error"].as_f64().unwrap();
    assert!(got / 1e-3 < 3.0 && 1e-3 / got < 3.0, "{got}");
}

// Regressions from review.

#[test]
fn mstep_at_the_default_spectrum_measures_the_step_not_the_tie() {
    // The generated sigma_max is exactly 1, where step(sigma - 1) jumps: it
    // counts as the tie (1/2) in the exact answer and in the reference alike.
    let spec = OperandSpec { rows: 24, cols: 16, seed: 9, ..OperandSpec::default() };
    let report = f64_run(OperatorKind::Mstep, &spec, 30, OperatorOptions::default());
    let e = metric(&report, 0, "max_singular_value_error");
    assert!(e.is_finite() && e <= 0.5, "{report:?}");
    assert!(report.results[0].metrics["relative_error"].is_finite());
}

#[test]
fn formed_matrices_above_the_cap_are_refused_before_allocation() {
    let spec = OperandSpec { rows: 4, cols: 4096, ..OperandSpec::default() };
    let operands = generate(OperatorKind::Mclip, &spec, vec![], 1 << 20).unwrap();
    let options = OperatorOptions { dtypes: vec![Dtype::F64], max_elements: 1 << 20, ..OperatorOptions::default() };
    let e = run(OperatorKind::Mclip, &table(), 2, &operands, &options).unwrap_err().to_string();
    assert!(e.contains("operand M: I - M S^T would be 4096x4096") && e.contains("element cap"), "{e}");
}

#[test]
fn reports_read_back_and_zero_right_hand_sides_are_allowed() {
    // A zero loss gradient G: the derivative is 0, computed as 0 (0 against
    // 0 counts as no error); the report reads back as written.
    let m = operand("M", 4, 4, |i, j| if i == j { 1.0 + i as f64 } else { 0.1 * (i + j) as f64 });
    let g = operand("G", 4, 4, |_, _| 0.0);
    let options =
        OperatorOptions { dtypes: vec![Dtype::F64, Dtype::Bf16], steps: Some(12), ..OperatorOptions::default() };
    let report = run(OperatorKind::MsignGrad, &table(), 2, &[m, g], &options).unwrap();
    assert_eq!(report.results[0].metrics["relative_error_vs_sylvester"], 0.0);
    let text = polar_coeffs::operators::report::to_json(&report);
    let back: OperatorReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    // A zero right-hand side is a fine Sylvester input (X = 0).
    let p = |name| operand(name, 3, 3, |i, j| if i == j { 2.0 } else { 0.0 });
    let zero = run(OperatorKind::Sylvester, &table(), 2, &[p("A"), p("B"), operand("C", 3, 3, |_, _| 0.0)], &options);
    assert!(zero.is_ok(), "{zero:?}");
}
