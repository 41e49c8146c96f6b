//! `compare`: known worst-case figures on [1e-3, 1], the files it writes, the
//! bf16 measurement, and the tables it accepts.

mod common;

use common::bin;

use std::path::Path;

use predicates::prelude::*;
use tempfile::TempDir;

fn error_after(report: &serde_json::Value, table: &str, step: usize) -> String {
    let t = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("{table} missing"));
    t["steps"][step - 1]["worst_error"].as_str().unwrap().to_string()
}

#[test]
fn default_comparison_reproduces_known_figures() {
    let dir = TempDir::new().unwrap();
    bin()
        .args(["compare", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("polar-express-2025"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(
        report["tables"].as_array().unwrap().len(),
        1 + polar_coeffs::presets::PRESET_NAMES.len(),
        "this tool's table and every preset"
    );
    // Pure greedy after 5 steps: 0.1134484573815779 (16 digits).
    assert_eq!(error_after(&report, "polar_coeffs_greedy_d5", 5), "0.1134484573815779");
    // Keller Jordan's row after 5 steps: about 0.53.
    let jordan: f64 = error_after(&report, "jordan", 5).parse().unwrap();
    assert!((jordan - 0.53).abs() < 0.005, "{jordan}");
    // The published Polar Express list after 6 steps: about 0.0056.
    let pe: f64 = error_after(&report, "polar-express-2025", 6).parse().unwrap();
    assert!((pe - 0.0056).abs() < 0.00005, "{pe}");
    assert!(
        dir.path().join("compare.png").exists() && dir.path().join("compare.svg").exists(),
        "the comparison figure is drawn"
    );
    let md = std::fs::read_to_string(dir.path().join("compare.md")).unwrap();
    assert!(md.contains("| `jordan` |"));
    // Cost: 5 degree-5 steps on 1024x4096 = 5 (4n²m + 2n³) flops.
    let jordan_cost = report["tables"].as_array().unwrap().iter().find(|t| t["name"] == "jordan").unwrap()["steps"][4]
        ["cumulative_gflop"]
        .as_f64()
        .unwrap();
    let (n, m) = (1024f64, 4096f64);
    assert!((jordan_cost - 5.0 * (4.0 * n * n * m + 2.0 * n * n * n) / 1e9).abs() < 1e-9);
}

#[test]
fn measured_bf16_errors_come_with_a_shape() {
    let dir = TempDir::new().unwrap();
    bin()
        .args(["compare", "jordan", "newton-schulz-5", "--shape", "32x64", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("bf16 ||X - UV'||_2 measured on 32x64"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(report["shape"], serde_json::json!([32, 64]));
    for t in report["tables"].as_array().unwrap() {
        for s in t["steps"].as_array().unwrap() {
            assert!(s["measured"].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn configs_json_and_unknown_tables() {
    let dir = TempDir::new().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/greedy_d3.yaml");
    bin().arg("run").arg(&config).arg("--out").arg(dir.path()).assert().success();
    bin()
        .arg("compare")
        .arg(&config)
        .arg(dir.path().join("greedy_d3.json"))
        .args(["--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap()).unwrap();
    let tables = report["tables"].as_array().unwrap();
    assert_eq!(tables[0]["steps"], tables[1]["steps"], "a config and its JSON compare the same");
    bin().args(["compare", "nope", "--out"]).arg(dir.path().join("x")).assert().failure().stderr(
        predicate::str::contains("\"nope\" is neither a file nor a known preset; the presets are: polar-express-2025"),
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn fp16_measurements_and_their_failures_are_reported() {
    let dir = TempDir::new().unwrap();
    bin()
        .args(["compare", "jordan", "polar-express-2025", "--shape", "16x32", "--dtype", "fp16", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("fp16 ||X - UV'||_2 measured on 16x32"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(report["measured_dtype"], "fp16");
    // fp16 (10 mantissa bits) ends well below bf16's 0.29 on this matrix.
    assert!(report["tables"][1]["steps"][7]["measured"].as_f64().unwrap() < 0.1);
    // A table that overflows fp16 (65504): measured until it fails, then named.
    let rows = dir.path().join("big.yaml");
    std::fs::write(&rows, "name: big\nrows: [[300, 0, 0]]\nsteps: 3\n").unwrap();
    bin()
        .args(["compare"])
        .arg(&rows)
        .args(["--shape", "8x16", "--dtype", "fp16", "--quiet", "--out"])
        .arg(dir.path().join("b"))
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b/compare.json")).unwrap()).unwrap();
    let t = &report["tables"][0];
    assert!(t["measurement_failure"].as_str().unwrap().contains("step"), "{t}");
    assert!(t["steps"][2].get("measured").is_none());
    // Reports written before fp16 (`measured_bf16`) still read.
    let old =
        std::fs::read_to_string(dir.path().join("compare.json")).unwrap().replace("\"measured\"", "\"measured_bf16\"");
    let back: polar_coeffs::compare::CompareReport = serde_json::from_str(&old).unwrap();
    assert!(back.tables[0].steps[0].measured.is_some());
    let bad = dir.path().join("bad");
    bin()
        .args(["compare", "jordan", "--shape", "8x16", "--dtype", "fp8", "--out"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--dtype = \"fp8\" is not allowed"));
}

#[test]
fn gram_newton_schulz_costs_follow_the_model() {
    // 1024 x 4096, five quintic steps, a restart before step 2 (0-based):
    // R first (2n^2m), per step Z (2n^3), Q Z (2n^3, not where Q starts), R
    // updated (4n^3) unless a restart follows, the restart (4n^2m) and the
    // final Q X (2n^2m): 64.42 GFLOP against 96.64 for the standard iteration.
    use polar_coeffs::compare::gram_step_flops;
    let (n, m) = (1024.0f64, 4096.0f64);
    let (n2m, n3) = (n * n * m, n * n * n);
    let want = [2.0 * n2m + 6.0 * n3, 4.0 * n3, 4.0 * n2m + 6.0 * n3, 8.0 * n3, 4.0 * n3 + 2.0 * n2m];
    for (t, w) in want.iter().enumerate() {
        assert_eq!(gram_step_flops(1024, 4096, 5, t + 1, 5, &[2]), *w, "step {}", t + 1);
    }
    let dir = TempDir::new().unwrap();
    bin()
        .args(["compare", "gram-ns", "--iteration", "gram", "--restarts", "2", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(report["gram_restarts"], serde_json::json!([2]));
    let total = report["tables"][0]["steps"][4]["cumulative_gflop"].as_f64().unwrap();
    assert!((total - want.iter().sum::<f64>() / 1e9).abs() < 1e-9, "{total}");
}
