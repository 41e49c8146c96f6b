//! Verification on matrices: the f64 run follows the scalar prediction, the
//! bf16 emulation matches a straightforward implementation, `.npy` files are
//! read in every layout, presets carry the published digits, and bad input is
//! refused with nothing written.

mod common;

use common::{assert_run_refused, bin, npy_bytes, run_yaml, shipped};

use nalgebra::DMatrix;
use polar_coeffs::config::Config;
use polar_coeffs::presets::preset;
use polar_coeffs::rows::CoefficientRows;
use polar_coeffs::verify::arith::{Storage, round_bf16, round_fp16, step_f32, step_f64};
use polar_coeffs::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, generate, read_npy};
use polar_coeffs::verify::{Dtype, VerifyOptions, verify};
use predicates::prelude::*;
use tempfile::TempDir;

/// Relative agreement the f64 run must show with the scalar prediction.
const F64_PREDICTION_RTOL: f64 = 1e-10;

#[test]
fn f64_run_follows_the_scalar_prediction() {
    let config = Config::from_yaml_str("name: g\ndegree: 5\nsteps: 8\nlower: 1e-3\n", "g.yaml").unwrap();
    let table = polar_coeffs::solve(&config).unwrap().rows();
    let spec = MatrixSpec { rows: 256, cols: 512, spectrum: Spectrum::LogUniform, lower: 1e-3, seed: 1 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions { dtypes: vec![Dtype::F64], ..VerifyOptions::default() };
    let report = verify(&table, &matrix, &options).unwrap();
    let run = &report.runs[0];
    assert_eq!(run.steps.len(), 9);
    for m in &run.steps {
        let rel_min = (m.sigma_min - m.predicted_sigma_min).abs() / m.predicted_sigma_min;
        let rel_max = (m.sigma_max - m.predicted_sigma_max).abs() / m.predicted_sigma_max;
        assert!(
            rel_min <= F64_PREDICTION_RTOL,
            "step {}: sigma_min {} vs {} ({rel_min:e})",
            m.step,
            m.sigma_min,
            m.predicted_sigma_min
        );
        assert!(
            rel_max <= F64_PREDICTION_RTOL,
            "step {}: sigma_max {} vs {} ({rel_max:e})",
            m.step,
            m.sigma_max,
            m.predicted_sigma_max
        );
        // ‖X − UVᵀ‖₂ = max |f(σ) − 1| in exact arithmetic.
        let predicted_polar = (1.0 - m.predicted_sigma_min).abs().max((m.predicted_sigma_max - 1.0).abs());
        assert!(
            (m.polar_error_spectral - predicted_polar).abs() <= 1e-9 * predicted_polar.max(1e-6),
            "step {}",
            m.step
        );
    }
}

/// A step written the plain way: triple loops, bf16 values from `half`, f32
/// accumulation, one rounding per operation.
fn naive_bf16_step(x: &[Vec<f32>], coeffs: &[f32]) -> Vec<Vec<f32>> {
    naive_step(x, coeffs, |v| half::bf16::from_f32(v).to_f32())
}

/// The same with fp16 (IEEE binary16) values from `half`.
fn naive_fp16_step(x: &[Vec<f32>], coeffs: &[f32]) -> Vec<Vec<f32>> {
    naive_step(x, coeffs, |v| half::f16::from_f32(v).to_f32())
}

fn naive_step(x: &[Vec<f32>], coeffs: &[f32], r: impl Fn(f32) -> f32) -> Vec<Vec<f32>> {
    let (n, m) = (x.len(), x[0].len());
    let matmul = |a: &[Vec<f32>], b: &[Vec<f32>]| -> Vec<Vec<f32>> {
        (0..a.len())
            .map(|i| (0..b[0].len()).map(|j| r((0..b.len()).map(|k| a[i][k] * b[k][j]).sum::<f32>())).collect())
            .collect()
    };
    let xt: Vec<Vec<f32>> = (0..m).map(|j| (0..n).map(|i| x[i][j]).collect()).collect();
    let a = matmul(x, &xt);
    let scale = |c: f32, a: &[Vec<f32>]| -> Vec<Vec<f32>> {
        a.iter().map(|row| row.iter().map(|&v| r(c * v)).collect()).collect()
    };
    let add = |a: &[Vec<f32>], b: &[Vec<f32>]| -> Vec<Vec<f32>> {
        a.iter().zip(b).map(|(ra, rb)| ra.iter().zip(rb).map(|(&u, &v)| r(u + v)).collect()).collect()
    };
    let q = coeffs.len() - 1;
    // Degree 5 as the Muon code writes it, B = b·A + c·(A·A); Horner beyond.
    let b = if q == 2 {
        add(&scale(coeffs[1], &a), &scale(coeffs[2], &matmul(&a, &a)))
    } else {
        let mut b = scale(coeffs[q], &a);
        for &ck in coeffs[1..q].iter().rev() {
            b = add(&matmul(&a, &b), &scale(ck, &a));
        }
        b
    };
    add(&scale(coeffs[0], x), &matmul(&b, x))
}

/// The emulated step against the plain one for `storage`, on three small
/// matrices: every output a value of the type, within one unit in its last
/// place (`bits` significant bits; `floor`, the type's smallest step) of the
/// plain result, since f32 accumulation may sum in another order.
fn emulation_matches_plain(
    storage: Storage,
    round: fn(f32) -> f32,
    naive: fn(&[Vec<f32>], &[f32]) -> Vec<Vec<f32>>,
    bits: i32,
    floor: f32,
) {
    // Degree 5 (the Muon form) and degree 7 (Horner).
    let degree5: Vec<f32> = ["3.4445", "-4.7750", "2.0315"].iter().map(|s| s.parse().unwrap()).collect();
    let degree7: Vec<f32> = ["3.0", "-3.2", "1.6", "-0.3"].iter().map(|s| s.parse().unwrap()).collect();
    for ((n, m, seed), coeffs) in
        [(3, 5, 1u64), (4, 4, 2), (6, 9, 3)].into_iter().flat_map(|s| [(s, &degree5), (s, &degree7)])
    {
        let spec = MatrixSpec { rows: n, cols: m, spectrum: Spectrum::Gaussian, lower: 0.5, seed };
        let g = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap().m / 4.0;
        let x: DMatrix<f32> = g.map(|v| round(v as f32));
        let rows: Vec<Vec<f32>> = (0..n).map(|i| (0..m).map(|j| x[(i, j)]).collect()).collect();
        // The step works on Xᵀ.
        let xt = faer::Mat::from_fn(m, n, |j, i| x[(i, j)]);
        let ours_t = step_f32(&xt, &polar_coeffs::verify::kernel::gram_t(xt.as_ref()), coeffs, storage);
        let ours = DMatrix::from_fn(n, m, |i, j| ours_t[(j, i)]);
        let theirs = naive(&rows, coeffs);
        for i in 0..n {
            for j in 0..m {
                let (a, b) = (ours[(i, j)], theirs[i][j]);
                assert_eq!(a, round(a), "{storage:?}: output is a value of the type");
                let ulp = (2f32.powi(1 - bits) * a.abs().max(b.abs())).max(floor);
                assert!((a - b).abs() <= ulp, "{storage:?} ({n}x{m}) [{i},{j}]: {a} vs {b}");
            }
        }
    }
}

#[test]
fn fp16_emulation_matches_a_plain_implementation() {
    emulation_matches_plain(Storage::Fp16, round_fp16, naive_fp16_step, 11, 2f32.powi(-24));
    // The rounding itself: ties to even, the largest finite value, overflow.
    assert_eq!(round_fp16(1.0 + 2f32.powi(-11)), 1.0);
    assert_eq!(round_fp16(65504.0), 65504.0);
    assert_eq!(round_fp16(65520.0), f32::INFINITY);
}

/// A one-row table X ← factor·X, `steps` steps by default.
fn growing(factor: &str, steps: usize) -> CoefficientRows {
    CoefficientRows {
        name: "grow".into(),
        source: "test".into(),
        rows: vec![vec![factor.into()]],
        default_steps: steps,
        interval: None,
        normalisation: None,
    }
}

/// fp16 overflows at 65504: a table whose values grow past it is a failed
/// fp16 run (named step), while f32 carries on.
#[test]
fn fp16_overflow_is_a_failed_run() {
    let table = growing("40", 4);
    let spec = MatrixSpec { rows: 8, cols: 16, spectrum: Spectrum::Uniform, lower: 0.5, seed: 0 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions { dtypes: vec![Dtype::F32, Dtype::Fp16], ..VerifyOptions::default() };
    let report = verify(&table, &matrix, &options).unwrap();
    let (f32_run, fp16_run) = (&report.runs[0], &report.runs[1]);
    assert!(f32_run.failure.is_none(), "{:?}", f32_run.failure);
    let why = fp16_run.failure.as_deref().expect("fp16 overflows");
    assert!(why.contains("non-finite") || why.contains("overflow"), "{why}");
    assert!(fp16_run.steps.len() < f32_run.steps.len());
}

#[test]
fn bf16_emulation_matches_a_plain_implementation() {
    emulation_matches_plain(Storage::Bf16, round_bf16, naive_bf16_step, 8, f32::MIN_POSITIVE);
}

/// How far a step in native f32 or f64 may be from the same step in exact
/// arithmetic, in units of the type's ε times the largest term an output
/// sums (|a|·max|X| or n·max|B|·max|X|): each output passes through at
/// most about 3n + 4 roundings of values no larger than that (A, A², B,
/// B·X, a·X and the sum), n ≤ 9 here.
const NATIVE_STEP_EPS_UNITS: f64 = 64.0;

/// A step in f64 written the plain way, as the exact reference of the
/// native steps (degree 5 in the Muon order, Horner beyond).
fn plain_f64_step(x: &DMatrix<f64>, coeffs: &[f64]) -> (DMatrix<f64>, f64) {
    let a = x * x.transpose();
    let q = coeffs.len() - 1;
    let b = if q == 2 {
        &a * coeffs[1] + (&a * &a) * coeffs[2]
    } else {
        let mut b = &a * coeffs[q];
        for &ck in coeffs[1..q].iter().rev() {
            b = &a * &b + &a * ck;
        }
        b
    };
    let scale = (coeffs[0].abs() * x.amax()).max(x.nrows() as f64 * b.amax() * x.amax());
    (x * coeffs[0] + &b * x, scale)
}

/// f64 and f32 steps (nothing emulated: X' = (a·I + B)·X)
/// against the plain f64 step on the same values, degree 3, 5 and 7.
#[test]
fn native_steps_match_a_plain_implementation() {
    let degree3 = [1.5, -0.5];
    let degree5 = [3.4445, -4.7750, 2.0315];
    let degree7 = [3.0, -3.2, 1.6, -0.3];
    for ((n, m, seed), coeffs) in [(3, 5, 1u64), (4, 4, 2), (9, 6, 3)]
        .into_iter()
        .flat_map(|s| [(s, &degree3[..]), (s, &degree5[..]), (s, &degree7[..])])
    {
        let spec = MatrixSpec { rows: n, cols: m, spectrum: Spectrum::Gaussian, lower: 0.5, seed };
        let x64 = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap().m / 4.0;
        let x32: DMatrix<f64> = x64.map(|v| f64::from(v as f32));
        for (x, eps, name) in [(&x64, f64::EPSILON, "f64"), (&x32, f64::from(f32::EPSILON), "f32")] {
            let (want, scale) = plain_f64_step(x, coeffs);
            let got: DMatrix<f64> = if name == "f64" {
                let xt = faer::Mat::from_fn(m, n, |j, i| x[(i, j)]);
                let out = step_f64(&xt, &polar_coeffs::verify::kernel::gram_t(xt.as_ref()), coeffs);
                DMatrix::from_fn(n, m, |i, j| out[(j, i)])
            } else {
                let xt = faer::Mat::from_fn(m, n, |j, i| x[(i, j)] as f32);
                let c32: Vec<f32> = coeffs.iter().map(|&c| c as f32).collect();
                let out = step_f32(&xt, &polar_coeffs::verify::kernel::gram_t(xt.as_ref()), &c32, Storage::F32);
                // The f32 coefficients are part of the arithmetic: compare
                // with the plain step on them.
                DMatrix::from_fn(n, m, |i, j| f64::from(out[(j, i)]))
            };
            let want = if name == "f32" {
                let c: Vec<f64> = coeffs.iter().map(|&c| f64::from(c as f32)).collect();
                plain_f64_step(x, &c).0
            } else {
                want
            };
            let bound = NATIVE_STEP_EPS_UNITS * eps * scale;
            let worst = (&got - &want).amax();
            assert!(
                worst <= bound,
                "{name} {n}x{m} degree {}: off by {worst:e} (bound {bound:e})",
                2 * coeffs.len() - 1
            );
        }
    }
}

#[test]
fn npy_files_are_read_in_both_orders_and_dtypes() {
    let dir = TempDir::new().unwrap();
    let (rows, cols) = (3, 4);
    let values: Vec<f64> = (0..rows * cols).map(|k| (k as f64 + 1.0) * 0.25 - 1.0).collect();
    // Every value here is exact in float16 too (quarters below 2).
    for descr in ["<f8", "<f4", ">f8", ">f4", "<f2", ">f2"] {
        for fortran in [false, true] {
            let path = dir.path().join(format!("m{}{fortran}.npy", descr.replace(['<', '>'], "_")));
            std::fs::write(&path, npy_bytes(descr, fortran, "(3, 4)", &values, rows, cols)).unwrap();
            let m = read_npy(&path, DEFAULT_MAX_ELEMENTS).unwrap().m;
            assert_eq!(m.shape(), (rows, cols));
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(m[(i, j)], values[i * cols + j], "{descr} fortran={fortran} [{i},{j}]");
                }
            }
        }
    }
}

fn refused_npy(bytes: &[u8], message: &str) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bad.npy");
    std::fs::write(&path, bytes).unwrap();
    let err = read_npy(&path, 1000).unwrap_err().to_string();
    assert!(err.contains("bad.npy") && err.contains(message), "{err}");
    bin()
        .args(["verify", "--table", "jordan", "--matrix"])
        .arg(&path)
        .arg("--max-elements")
        .arg("1000")
        .assert()
        .failure()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(message));
}

#[test]
fn bad_npy_files_are_refused() {
    let good = npy_bytes("<f8", false, "(3, 4)", &[1.0; 12], 3, 4);
    refused_npy(&good[..good.len() - 5], "truncated");
    refused_npy(b"NOTNUMPY", "magic string");
    refused_npy(&npy_bytes("<i4", false, "(3, 4)", &[1.0; 12], 3, 4), "unsupported dtype '<i4'");
    refused_npy(&npy_bytes("<f8", false, "(12,)", &[1.0; 12], 12, 1), "1-D");
    refused_npy(&npy_bytes("<f8", false, "(2, 3, 2)", &[1.0; 12], 12, 1), "3-D");
    let mut nan = vec![1.0; 12];
    nan[5] = f64::NAN;
    refused_npy(&npy_bytes("<f8", false, "(3, 4)", &nan, 3, 4), "entry (1, 1) is NaN");
    nan[5] = f64::INFINITY;
    refused_npy(&npy_bytes("<f8", false, "(3, 4)", &nan, 3, 4), "entry (1, 1) is inf");
    refused_npy(&npy_bytes("<f8", false, "(3, 4)", &[0.0; 12], 3, 4), "all zeros");
    // The cap is checked from the header, before the data is read.
    refused_npy(&npy_bytes("<f8", false, "(100000, 100000)", &[1.0; 12], 3, 4), "exceeds the cap");
    let mut bad_header = good.clone();
    bad_header[10..16].copy_from_slice(b"{'nope");
    refused_npy(&bad_header, "no 'descr' entry");
}

#[test]
fn missing_npy_and_bad_shapes_are_refused() {
    bin()
        .args(["verify", "--table", "jordan", "--matrix", "/nonexistent/g.npy"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent/g.npy: cannot read"));
    bin()
        .args(["verify", "--table", "jordan", "--shape", "100000x100000"])
        .assert()
        .failure()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--shape = \"100000x100000\" is not allowed"))
        .stderr(predicate::str::contains("at most 67108864 elements"));
    bin()
        .args(["verify", "--table", "jordan", "--shape", "12"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--shape = \"12\" is not allowed"));
    bin()
        .args(["verify", "--table", "jordan", "--spectrum", "flat"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("one of gaussian, log_uniform"));
    bin()
        .args(["verify", "--table", "jordan", "--dtype", "f16"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--dtypes = \"f16\" is not allowed"));
}

#[test]
fn unknown_preset_lists_the_valid_ones() {
    bin().args(["verify", "--table", "polar-express"]).assert().failure().code(1).stderr(
        predicate::str::contains("not a known preset")
            .and(predicate::str::contains(polar_coeffs::presets::PRESET_NAMES.join(", "))),
    );
}

#[test]
fn presets_carry_the_published_digits() {
    let jordan = preset("jordan").unwrap();
    assert_eq!(jordan.rows, vec![vec!["3.4445", "-4.7750", "2.0315"]]);
    let you = preset("you-6-step").unwrap();
    assert_eq!(you.rows[0], vec!["3.8623046875", "-8.111328125", "4.890625"]); // (3955, −8306, 5008)/1024
    let ds = preset("deepseek-v4").unwrap();
    assert_eq!(ds.rows.len(), 10);
    assert_eq!(ds.rows[9], vec!["2", "-1.5", "0.5"]);
    let nanogpt = preset("polar-express-modded-nanogpt-5").unwrap();
    assert_eq!(nanogpt.rows[0], vec!["8.156554524902461", "-22.48329292557795", "15.878769915207462"]);
    // The 2025 list: published raw rows scaled by 1.01 (a/s, b/s³, c/s⁵), last row raw.
    let pe = preset("polar-express-2025").unwrap();
    let raw = [8.28721201814563f64, -23.595886519098837, 17.300387312530933];
    for k in 0..3 {
        let scaled: f64 = pe.rows[0][k].parse().unwrap();
        let want = raw[k] / 1.01f64.powi(2 * k as i32 + 1);
        assert!((scaled - want).abs() <= 4.0 * f64::EPSILON * want.abs(), "{scaled} vs {want}");
    }
    assert_eq!(pe.rows[7], vec!["1.875", "-1.25", "0.375"]);
    let tuned = preset("tuned-5-step").unwrap();
    assert_eq!(tuned.rows[4], vec!["2.8366", "-3.0525", "1.2012"]);
    assert_eq!(preset("su-shared-5").unwrap().rows[0], vec!["3.3748", "-4.6969", "2.1433"]);
    assert_eq!(preset("newton-schulz-3").unwrap().rows[0], vec!["1.5", "-0.5"]);
}

#[test]
fn steps_past_the_table_follow_the_chosen_policy() {
    let table = CoefficientRows::from_preset(&preset("tuned-5-step").unwrap());
    let spec = MatrixSpec { rows: 8, cols: 16, spectrum: Spectrum::Uniform, lower: 0.1, seed: 0 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    for (beyond, rows) in [("repeat-last", [5, 5]), ("cycle", [1, 2])] {
        let options = VerifyOptions {
            dtypes: vec![Dtype::F64],
            steps: Some(7),
            beyond: polar_coeffs::verify::Beyond::parse(beyond).unwrap(),
            ..VerifyOptions::default()
        };
        let report = verify(&table, &matrix, &options).unwrap();
        let used: Vec<usize> = report.runs[0].steps[6..].iter().map(|m| m.row).collect();
        assert_eq!(used, rows, "{beyond}");
        assert_eq!(report.beyond_last_row, options.beyond);
    }
}

/// Measuring some iterates gives exactly those rows of the full report, bit
/// for bit (the steps run are the same), in every arithmetic.
#[test]
fn measuring_some_steps_gives_those_rows_of_the_full_report() {
    use polar_coeffs::verify::{Measure, VerifyError};
    let table = CoefficientRows::from_preset(&preset("polar-express-2025").unwrap());
    let spec = MatrixSpec { rows: 24, cols: 40, spectrum: Spectrum::LogUniform, lower: 1e-2, seed: 3 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let with = |measure: Measure| {
        let options = VerifyOptions {
            dtypes: vec![Dtype::F64, Dtype::Bf16],
            steps: Some(6),
            measure,
            ..VerifyOptions::default()
        };
        verify(&table, &matrix, &options)
    };
    let all = with(Measure::All).unwrap();
    for (measure, expected) in [(Measure::Last, vec![6]), (Measure::Steps(vec![0, 2, 6]), vec![0, 2, 6])] {
        let some = with(measure.clone()).unwrap();
        for (full, part) in all.runs.iter().zip(&some.runs) {
            let steps: Vec<usize> = part.steps.iter().map(|m| m.step).collect();
            assert_eq!(steps, expected, "{measure:?} {:?}", part.dtype);
            for m in &part.steps {
                assert_eq!(m, &full.steps[m.step], "{measure:?} {:?} step {}", part.dtype, m.step);
            }
        }
    }
    assert!(matches!(with(Measure::Steps(vec![7])), Err(VerifyError::Measure { steps: 6, .. })));
    assert!(matches!(with(Measure::Steps(vec![])), Err(VerifyError::Measure { .. })));
}

#[test]
fn verify_cli_measures_the_steps_asked_for_and_refuses_others() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = bin()
            .args(["verify", "--table", "jordan", "--shape", "16x24", "--dtype", "f32", "--format", "json", "--quiet"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let steps = |v: &serde_json::Value| -> Vec<u64> {
        v["runs"][0]["steps"].as_array().unwrap().iter().map(|m| m["step"].as_u64().unwrap()).collect()
    };
    assert_eq!(steps(&json(&[])), [0, 1, 2, 3, 4, 5]);
    assert_eq!(steps(&json(&["--measure", "last"])), [5]);
    assert_eq!(steps(&json(&["--measure", "4, 0,4"])), [0, 4]);
    for (bad, needle) in [("first", "`all`, `last`, or step numbers"), ("1,x", "--measure"), ("6", "steps from 0 to 5")]
    {
        bin()
            .args(["verify", "--table", "jordan", "--shape", "16x24", "--quiet", "--measure", bad])
            .assert()
            .failure()
            .stderr(predicate::str::contains(needle));
    }
    assert_run_refused(
        "m.yaml",
        "name: t\ndegree: 5\nsteps: 3\nlower: 1e-3\nverify:\n  measure: every\n",
        "m.yaml:6:12: verify.measure = \"every\" is not allowed",
    );
}

#[test]
fn verify_cli_prints_json_for_every_source() {
    let dir = TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(shipped("polar_express_modded_nanogpt_5.yaml"))
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let rows = dir.path().join("rows.yaml");
    std::fs::write(&rows, "name: mine\nrows:\n  - [3.4445, -4.7750, 2.0315]\nsteps: 5\n").unwrap();
    let json = dir.path().join("polar_express_modded_nanogpt_5.json");
    let sources: Vec<Vec<String>> = vec![
        vec!["--table".into(), "jordan".into()],
        vec!["--json".into(), json.display().to_string()],
        vec![rows.display().to_string()],
        vec![shipped("greedy_d3.yaml").display().to_string()],
    ];
    for source in sources {
        let out = bin()
            .arg("verify")
            .args(&source)
            .args(["--shape", "16x32", "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let runs = report["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 3, "{source:?}");
        for key in [
            "sigma_min",
            "sigma_max",
            "polar_error_spectral",
            "polar_error_frobenius_rel",
            "orthogonality_error",
            "predicted_sigma_min",
            "predicted_sigma_max",
        ] {
            assert!(runs[2]["steps"][1][key].is_f64(), "{source:?}: {key}");
        }
    }
    bin()
        .args(["verify", "--table", "jordan", "--shape", "8x8", "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## bf16"));
}

#[test]
fn run_writes_verification_reports_from_the_config_section() {
    let (dir, _doc) = run_yaml(
        "name: v\ndegree: 5\nsteps: 6\nlower: 1e-3\nverify:\n  shape: 32x64\n  spectrum: geometric\n  dtypes: [f64, bf16]\n  steps: 8\n",
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("v.verify.json")).unwrap()).unwrap();
    assert_eq!(report["steps"], 8);
    assert_eq!(report["beyond_last_row"], "repeat_last");
    assert_eq!(report["runs"][1]["dtype"], "bf16");
    assert_eq!(report["runs"][1]["steps"][8]["row"], 6);
    assert!(std::fs::read_to_string(dir.path().join("v.verify.md")).unwrap().contains("| step | row |"));
    // A bad verify section is refused before anything is written.
    assert_run_refused(
        "v.yaml",
        "name: w\ndegree: 5\nsteps: 6\nlower: 1e-3\nverify:\n  spectrum: flat\n",
        "v.yaml:6:13: verify.spectrum = \"flat\" is not allowed",
    );
}

/// `verify.measure` in a run config: the report holds the measured steps
/// only, and the figures drawn from it (convergence, singular values) take
/// them by number.
#[test]
fn run_measures_the_steps_its_config_names_and_draws_them() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("m.yaml");
    std::fs::write(
        &config,
        "name: m\ndegree: 5\nsteps: 4\nlower: 1e-3\nverify:\n  shape: 16x32\n  dtypes: [f64, bf16]\n  measure: 3, 0\nplots:\n  kinds: [convergence, singular_values]\n  formats: [png]\n",
    )
    .unwrap();
    let (out, plots) = (dir.path().join("out"), dir.path().join("plots"));
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg("--plots-out")
        .arg(&plots)
        .arg("--quiet")
        .assert()
        .success();
    let report = common::read_json(&out.join("m.verify.json"));
    for run in report["runs"].as_array().unwrap() {
        let steps: Vec<u64> = run["steps"].as_array().unwrap().iter().map(|m| m["step"].as_u64().unwrap()).collect();
        assert_eq!(steps, [0, 3], "{}", run["dtype"]);
    }
    for figure in ["convergence.png", "singular_values.png"] {
        let path = plots.join("m").join(figure);
        assert!(std::fs::metadata(&path).map(|m| m.len() > 0).unwrap_or(false), "{} missing", path.display());
    }
}

/// Regression: a verification of an Adam table labelled it "greedy minimax"
/// (the document adapter did not look at the method).
#[test]
fn an_adam_table_is_labelled_by_its_method() {
    let (dir, doc) = run_yaml(
        "name: a\nmethod: adam\ndegree: 5\nsteps: 3\nlower: 1e-2\nobjective: { kind: top_k, k: 5, grid: 200 }\nadam: { iterations: 50, polish_iterations: 0 }\nprecision: 64\nverify:\n  shape: 8x16\n  dtypes: [f64]\n",
    );
    assert_eq!(doc["method"], "adam");
    let report = common::read_json(&dir.path().join("a.verify.json"));
    let source = report["table_source"].as_str().unwrap();
    assert!(source.contains("Adam") && !source.contains("greedy"), "{source}");
}

/// Regression: `verify configs/greedy_d5.yaml --steps 8` ran the default
/// matrix, whose normalised σ reach 2.4e-4 (below the table's ℓ = 1e-3), and
/// reported a 3.6e-2 error with no word that the guarantee did not apply.
#[test]
fn inputs_below_the_tables_interval_are_flagged() {
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = bin()
            .arg("verify")
            .arg(shipped("greedy_d5.yaml"))
            .args(["--steps", "8", "--dtype", "f64", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let below = run(&["--shape", "64x128", "--lower", "1e-3"]);
    let w = below["interval_warning"].as_str().expect("a warning for a given lower end of 1e-3");
    assert!(w.contains("below the table's lower end 1e-3") && w.contains("after 8 steps"), "{w}");
    // Singular values from 0.5 to 1 before normalisation stay inside [1e-3, 1].
    let inside = run(&["--shape", "64x128", "--lower", "0.5"]);
    assert!(inside["input_sigma"][0].as_f64().unwrap() > 1e-3);
    assert!(inside.get("interval_warning").is_none(), "{inside}");
    // Presets carry no design interval: nothing is claimed either way.
    let out = bin()
        .args(["verify", "--table", "jordan", "--shape", "16x32", "--dtype", "f64", "--format", "json"])
        .output()
        .unwrap();
    let preset: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(preset.get("interval_warning").is_none());
}

// Gram Newton–Schulz.

fn gram_report(dtypes: &[Dtype], restarts: Option<Vec<usize>>, steps: usize) -> polar_coeffs::verify::VerifyReport {
    use polar_coeffs::rows::CoefficientRows;
    let table = CoefficientRows::from_preset(&polar_coeffs::presets::preset("polar-express-2025").unwrap());
    let spec = MatrixSpec { rows: 24, cols: 96, spectrum: Spectrum::Uniform, lower: 0.2, seed: 5 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions {
        dtypes: dtypes.to_vec(),
        steps: Some(steps),
        gram_restarts: restarts,
        ..VerifyOptions::default()
    };
    polar_coeffs::verify::verify(&table, &matrix, &options).unwrap()
}

#[test]
fn gram_newton_schulz_matches_the_standard_iteration_in_f64() {
    // A well-conditioned matrix (sigma in [0.2, 1]): after the same steps the
    // two iterations agree to 1e-12, whatever the restarts.
    let standard = gram_report(&[Dtype::F64], None, 8);
    for restarts in [vec![2], vec![1, 2, 3, 4, 5, 6, 7], vec![5]] {
        let gram = gram_report(&[Dtype::F64], Some(restarts.clone()), 8);
        assert_eq!(gram.gram_restarts.as_ref(), Some(&restarts));
        for (a, b) in standard.runs[0].steps.iter().zip(&gram.runs[0].steps) {
            let d = (a.polar_error_frobenius_rel - b.polar_error_frobenius_rel).abs();
            assert!(
                d <= 1e-12,
                "{restarts:?} step {}: {} vs {}",
                a.step,
                a.polar_error_frobenius_rel,
                b.polar_error_frobenius_rel
            );
            assert!((a.sigma_min - b.sigma_min).abs() <= 1e-12 && (a.sigma_max - b.sigma_max).abs() <= 1e-12);
        }
        assert!(gram.runs[0].steps[8].polar_error_spectral < 1e-12);
    }
    // Low precision runs and is measured (not compared: that is the point).
    let low = gram_report(&[Dtype::Bf16, Dtype::Fp16], Some(vec![2]), 8);
    assert!(low.runs.iter().all(|r| r.failure.is_none() && r.steps.len() == 9));
}

#[test]
fn gram_restarts_outside_the_run_are_refused() {
    use polar_coeffs::rows::CoefficientRows;
    let table = CoefficientRows::from_preset(&polar_coeffs::presets::preset("jordan").unwrap());
    let spec = MatrixSpec { rows: 4, cols: 8, spectrum: Spectrum::Uniform, lower: 0.2, seed: 5 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions { gram_restarts: Some(vec![5]), ..VerifyOptions::default() };
    let e = polar_coeffs::verify::verify(&table, &matrix, &options).unwrap_err().to_string();
    assert!(e.contains("restarts = [5] are not allowed: 0-based steps from 1 to 4"), "{e}");
    bin()
        .args(["verify", "--table", "jordan", "--restarts", "2"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--restarts"));
    bin()
        .args(["verify", "--table", "jordan", "--iteration", "gramm"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--iteration = \"gramm\" is not allowed"));
}

#[test]
fn normalise_in_is_recorded_and_changes_only_the_start() {
    let run = |w: &str| {
        let out = bin()
            .args(["verify", "--table", "polar-express-2025", "--shape", "16x48", "--dtype", "f64,bf16"])
            .args(["--normalise-in", w, "--format", "json", "--quiet"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (exact, f32_, dtype) = (run("f64"), run("f32"), run("dtype"));
    assert!(exact.get("normalise_in").is_none());
    assert_eq!(f32_["normalise_in"], "f32");
    assert_eq!(dtype["normalise_in"], "dtype");
    // The f64 run never depends on it; the bf16 start does (its step 0).
    assert_eq!(exact["runs"][0], dtype["runs"][0]);
    let start = |r: &serde_json::Value| r["runs"][1]["steps"][0]["polar_error_frobenius_rel"].as_f64().unwrap();
    assert_ne!(start(&exact), start(&dtype));
    bin()
        .args(["verify", "--table", "jordan", "--normalise-in", "f16"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--normalise-in = \"f16\" is not allowed: `f64`, `f32` or `dtype`"));
}

/// The kernels split outputs among threads and never a sum, and the
/// eigenvalues are sequential: a verification is bit-for-bit the same on one
/// thread as on all of them (regression test for the faer kernels).
#[test]
fn verification_does_not_depend_on_the_thread_count() {
    let table = CoefficientRows::from_preset(&polar_coeffs::presets::preset("polar-express-2025").unwrap());
    let spec = MatrixSpec { rows: 96, cols: 300, spectrum: Spectrum::LogUniform, lower: 1e-3, seed: 3 };
    let options =
        VerifyOptions { dtypes: vec![Dtype::F64, Dtype::F32, Dtype::Bf16, Dtype::Fp16], ..VerifyOptions::default() };
    let all = verify(&table, &generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap(), &options).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    // The generator (QR, products) runs on the one thread too.
    let single = one.install(|| verify(&table, &generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap(), &options).unwrap());
    assert_eq!(serde_json::to_string(&all).unwrap(), serde_json::to_string(&single).unwrap());
}

/// The random orthonormal factors are Haar-distributed: the QR factor of a
/// Gaussian matrix is only after its column signs follow R's diagonal
/// (Householder QR alone makes every Q₁₁ of one sign). For 3×3 draws
/// E[Q₁₁] = 0 and sd(Q₁₁) = 1/√3; over 4000 draws the mean's standard
/// error is 0.009, and 0.04 is over 4 of them.
#[test]
fn random_orthonormal_factors_are_haar() {
    use polar_coeffs::verify::matrix::random_orthonormal;
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let draws = 4000;
    let (mut sum, mut sum2) = (0.0, 0.0);
    for _ in 0..draws {
        let q = random_orthonormal(3, 3, &mut rng);
        assert!((&q * q.transpose() - DMatrix::<f64>::identity(3, 3)).amax() < 1e-15);
        sum += q[(0, 0)];
        sum2 += q[(0, 0)] * q[(0, 0)];
    }
    let mean = sum / draws as f64;
    let var = sum2 / draws as f64 - mean * mean;
    assert!(mean.abs() < 0.04, "mean of Q11 = {mean}");
    assert!((var - 1.0 / 3.0).abs() < 0.03, "variance of Q11 = {var}");
    // Rows of a wide factor are orthonormal.
    let q = random_orthonormal(5, 40, &mut rng);
    assert!((&q * q.transpose() - DMatrix::<f64>::identity(5, 5)).amax() < 1e-15);
}

/// An f32 or bf16 run is measured in f64 from its iterate's values: its
/// step-0 singular values are those of the rounded start, to f64 accuracy
/// (the f32 Gram matrix used to measure them put σ_min = 1.1387e-4 where
/// 1.1494e-4 is true, 1% off, on 1024 × 4096).
#[test]
fn low_precision_runs_are_measured_in_f64() {
    let table = CoefficientRows::from_preset(&polar_coeffs::presets::preset("jordan").unwrap());
    let spec = MatrixSpec { rows: 64, cols: 256, spectrum: Spectrum::LogUniform, lower: 1e-2, seed: 5 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions { dtypes: vec![Dtype::Bf16], steps: Some(1), ..VerifyOptions::default() };
    let report = verify(&table, &matrix, &options).unwrap();
    // The start as the run holds it: X0 computed in f64, rounded once to bf16.
    let m = &matrix.m;
    let unit = m / m.amax();
    let divisor = unit.norm() * (1.0 + options.eps) + options.delta / m.amax();
    let start: DMatrix<f64> = unit.map(|v| f64::from(half::bf16::from_f64(v / divisor).to_f32()));
    let exact = polar_coeffs::verify::reference::polar_reference(&start).unwrap().singular_values;
    let measured = report.runs[0].steps[0].sigma_min;
    let truth = *exact.last().unwrap();
    assert!((measured - truth).abs() <= 1e-8 * truth, "sigma_min {measured:e} against {truth:e}");
}

/// With no `--lower`, the generated matrix puts the normalised σ_min at the
/// table's ℓ and no lower, and says so; a given `--lower` is kept and
/// warned about. Regression: `verify configs/greedy_d5.yaml --steps 8` ran a
/// matrix whose normalised σ reached 2.4e-4, below ℓ = 1e-3, and reported
/// ‖X − UVᵀ‖₂ = 3.6e-2 where the README promised far less.
#[test]
fn the_default_matrix_reaches_the_tables_lower_end_and_no_lower() {
    let report = |extra: &[&str]| -> serde_json::Value {
        let out = bin()
            .args(["verify", "--format", "json", "--dtype", "f64", "--steps", "8", "--quiet"])
            .arg(shipped("greedy_d5.yaml"))
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let fitted = report(&[]);
    let smin = fitted["input_sigma"][0].as_f64().unwrap();
    assert!((1e-3..1.01e-3).contains(&smin), "normalised sigma_min {smin:e}");
    assert!(fitted.get("interval_warning").is_none(), "{fitted}");
    assert!(fitted["matrix"].as_str().unwrap().contains("lower end chosen"), "{}", fitted["matrix"]);
    let last = fitted["runs"][0]["steps"][8]["polar_error_spectral"].as_f64().unwrap();
    assert!(last < 1e-10, "after 8 steps inside the interval: {last:e}");
    let given = report(&["--lower", "1e-3"]);
    assert!(given["input_sigma"][0].as_f64().unwrap() < 1e-3);
    assert!(given["interval_warning"].as_str().unwrap().contains("below the table's lower end"));
}

/// `fit_lower` on its own: the fitted lower end gives the target after
/// normalisation (both norms), nothing for a Gaussian matrix or a target no
/// lower end below 1 reaches.
#[test]
fn fit_lower_hits_its_target_or_says_it_cannot() {
    use polar_coeffs::verify::matrix::fit_lower;
    let spec = MatrixSpec { rows: 64, cols: 128, spectrum: Spectrum::LogUniform, lower: 1e-3, seed: 2 };
    for spectral in [false, true] {
        let lower = fit_lower(&spec, 1e-3, 0.01, 1e-7, spectral).unwrap();
        let matrix = generate(&MatrixSpec { lower, ..spec.clone() }, DEFAULT_MAX_ELEMENTS).unwrap();
        let options = VerifyOptions {
            dtypes: vec![Dtype::F64],
            steps: Some(1),
            spectral_bound: spectral,
            ..VerifyOptions::default()
        };
        let table = CoefficientRows::from_preset(&preset("jordan").unwrap());
        let smin = verify(&table, &matrix, &options).unwrap().input_sigma[0];
        assert!((1e-3..1.01e-3).contains(&smin), "spectral {spectral}: {smin:e}");
    }
    assert_eq!(fit_lower(&MatrixSpec { spectrum: Spectrum::Gaussian, ..spec.clone() }, 1e-3, 0.01, 1e-7, false), None);
    assert_eq!(fit_lower(&spec, 0.5, 0.01, 1e-7, false), None);
}

/// An f64 iterate whose entries are finite but whose Gram matrix overflows
/// ends the run as a failure naming the step (no eigensolver on
/// infinities, no panic).
#[test]
fn an_overflowing_gram_matrix_is_a_failed_run() {
    let table = growing("1e30", 8);
    let spec = MatrixSpec { rows: 8, cols: 16, spectrum: Spectrum::Uniform, lower: 0.5, seed: 0 };
    let matrix = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
    let options = VerifyOptions { dtypes: vec![Dtype::F64], ..VerifyOptions::default() };
    let run = &verify(&table, &matrix, &options).unwrap().runs[0];
    let why = run.failure.as_deref().expect("the Gram matrix overflows");
    assert!(why.starts_with(&format!("step {}:", run.steps.len())), "{why}");
    assert!(run.steps.len() <= 6, "{why}");
}
