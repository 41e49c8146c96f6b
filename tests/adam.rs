//! The Adam method: the published settings are matched or beaten under their
//! own loss, the worst-case objective comes back to the greedy optimum, the
//! band objective finds a Keller-Jordan-like row, and bad input is refused.

mod common;

use common::{assert_run_refused, bin, run_yaml, shipped};

use std::path::Path;

use polar_coeffs::adam::objective::{Layout, Objective, ObjectiveKind, Penalties};
use polar_coeffs::adam::{AdamSettings, optimise};
use polar_coeffs::schedule::{ScheduleSpec, greedy};
use predicates::prelude::*;
use tempfile::TempDir;

fn run_json(config: &Path, dir: &Path) -> serde_json::Value {
    bin()
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("(this table's is no higher)"));
    let name = config.file_stem().unwrap().to_str().unwrap();
    serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap()
}

#[test]
fn published_shared_row_setting_is_matched_or_beaten() {
    let dir = TempDir::new().unwrap();
    let doc = run_json(&shipped("adam_shared_5_topk.yaml"), dir.path());
    assert_eq!(doc["method"], "adam");
    let o = &doc["optimisation"];
    let ours = o["final_loss"].as_f64().unwrap();
    let su = o["compared"].as_array().unwrap().iter().find(|c| c["name"] == "su-shared-5").unwrap()["loss"]
        .as_f64()
        .unwrap();
    assert!(ours <= su, "{ours} > published {su}");
    assert!(o["history"].as_array().unwrap().len() > 100, "the loss history is saved");
    // One shared row: every step applies the same coefficients.
    let rows: Vec<&serde_json::Value> = doc["steps"].as_array().unwrap().iter().map(|s| &s["coefficients"]).collect();
    assert!(rows.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn published_six_row_setting_is_matched_or_beaten() {
    let dir = TempDir::new().unwrap();
    let doc = run_json(&shipped("adam_6_steps_topk.yaml"), dir.path());
    let o = &doc["optimisation"];
    let ours = o["final_loss"].as_f64().unwrap();
    let su = o["compared"][0]["loss"].as_f64().unwrap();
    assert!(ours <= su, "{ours} > published {su}");
}

/// Relative agreement Adam must reach with the greedy optimum.
const AGREEMENT: f64 = 1e-6;

#[test]
fn worst_case_comes_back_to_the_greedy_optimum() {
    let table = greedy(&ScheduleSpec::new(vec![5; 5], "1e-3")).unwrap();
    let optimum = table.final_error().to_f64();
    // Perturb every coefficient by up to 2e-8 relative: the first row's
    // cancellation makes that a 6e-4 relative error of the worst case.
    let start: Vec<Vec<String>> = table
        .steps
        .iter()
        .enumerate()
        .map(|(t, s)| {
            s.applied
                .coeffs()
                .iter()
                .enumerate()
                .map(|(k, c)| format!("{:e}", c.to_f64() * (1.0 + 1e-8 * (((t * 3 + k) % 5) as f64 - 2.0))))
                .collect()
        })
        .collect();
    let layout = Layout { degrees: vec![5; 5], shared: false, fixed: vec![None; 5], root: 2 };
    let objective =
        Objective { kind: ObjectiveKind::WorstCase, lower: 1e-3, upper: 1.0, penalties: Penalties::default() };
    let settings = AdamSettings {
        iterations: 5000,
        polish_iterations: 0,
        learning_rate: 1e-8,
        final_ratio: 1e-3,
        ..AdamSettings::default()
    };
    let run =
        optimise(&layout, &objective, &start, &settings, std::rc::Rc::new(polar_coeffs::progress::Silent)).unwrap();
    assert!((run.initial_loss - optimum) / optimum > 1e-4, "the start is perturbed");
    let rel = (run.final_loss - optimum) / optimum;
    assert!(rel >= -1e-12, "Adam cannot beat the minimax optimum: {rel:e}");
    assert!(rel <= AGREEMENT, "Adam {} vs greedy {optimum}: {rel:e}", run.final_loss);
}

#[test]
fn band_objective_finds_a_steep_row_in_a_band() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("band.yaml");
    std::fs::write(
        &config,
        "name: band\nmethod: adam\ndegree: 5\nsteps: 5\nlower: 0.02\nshared: true\nobjective: { kind: band, delta: 0.25, grid: 2000 }\npenalties: { no_sign_flip: 100 }\nadam: { iterations: 5000, learning_rate: 1e-2, polish_iterations: 0 }\ninit: { preset: newton-schulz-5 }\nprecision: 64\n",
    )
    .unwrap();
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("band reached: f in ["));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("band.json")).unwrap()).unwrap();
    let a: f64 = doc["steps"][0]["coefficients"][0].as_str().unwrap().parse().unwrap();
    assert!(a > 3.0, "steep at 0 like Keller Jordan's 3.4445: {a}");
    let [lo, hi] = [0, 1].map(|i| doc["optimisation"]["band_reached"][i].as_f64().unwrap());
    // Keller Jordan's row keeps f in roughly [0.7, 1.2] from x = 0.02 on.
    assert!(lo > 0.6 && lo < 0.95 && hi > 1.05 && hi < 1.3, "band [{lo}, {hi}]");
}

fn refused(body: &str, message: &str) {
    assert_run_refused(
        "bad.yaml",
        &format!("name: t\nmethod: adam\ndegree: 5\nsteps: 3\nlower: 1e-3\n{body}"),
        message,
    );
}

#[test]
fn bad_adam_input_is_refused() {
    refused(
        "objective: { kind: top_k, k: 101, grid: 100 }\n",
        "objective.k = 101 is not allowed: at most the grid size (100)",
    );
    refused("objective: { kind: rms, grid: 0 }\n", "objective.grid = 0 is not allowed: an integer from 1");
    refused("objective: { kind: band, delta: 0 }\n", "objective.delta = 0 is not allowed: a number in (0, 1)");
    refused("objective: { kind: band, delta: -0.1 }\n", "objective.delta = -0.1 is not allowed");
    refused("adam: { learning_rate: 0 }\n", "adam.learning_rate = 0 is not allowed: a number > 0");
    refused("adam: { learning_rate: -1e-3 }\n", "adam.learning_rate = -1e-3 is not allowed");
    refused(
        "fixed_rows: { 3: [1.5, -0.5] }\n",
        "fixed_rows = row 3 = [\"1.5\", \"-0.5\"] is not allowed: 3 finite coefficients (degree 5)",
    );
    refused("fixed_rows: { 4: [1.875, -1.25, 0.375] }\n", "fixed_rows = 4 is not allowed: row numbers from 1 to 3");
    refused("objective: { kind: median }\n", "objective.kind = \"median\" is not allowed");
    refused("init: { rows: [[1, 2, 3]] }\n", "init.rows = 1 rows is not allowed: 3 rows (one per step)");
    refused("adam: { compare_with: [nope] }\n", "adam.compare_with = \"nope\" is not allowed");
}

/// Regression: `adam.compare_with` and `init` errors pointed at `method`'s
/// position instead of their own.
#[test]
fn adam_errors_point_at_their_own_keys() {
    refused("adam:\n  compare_with:\n    - jordan\n    - nope\n", "bad.yaml:9:7: adam.compare_with = \"nope\"");
    refused("init:\n  preset: nope\n", "bad.yaml:7:11: init.preset = \"nope\"");
    refused("init:\n  preset: jordan\n  rows: [[1, 2, 3]]\n", "bad.yaml:7:3: init = several starts");
    refused(
        "adam:\n  compare_with:\n    - { name: mine, rows: [[1.5, nan]] }\n",
        "bad.yaml:8:7: adam.compare_with = \"nan\" is not allowed: finite decimal numbers",
    );
}

#[test]
fn adam_keys_need_method_adam() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, "name: t\ndegree: 5\nsteps: 3\nlower: 1e-3\nobjective: { kind: worst_case }\n").unwrap();
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("method = greedy is not allowed: `adam` when"));
}

#[test]
fn fixed_rows_stay_fixed() {
    let (_dir, doc) = run_yaml(
        "name: fixed\nmethod: adam\ndegree: 5\nsteps: 3\nlower: 1e-2\nobjective: { kind: top_k, k: 5, grid: 500 }\nfixed_rows: { 3: [1.875, -1.25, 0.375] }\nadam: { iterations: 300, polish_iterations: 10 }\nprecision: 64\n",
    );
    let last: Vec<f64> =
        doc["steps"][2]["coefficients_f64"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(last, vec![1.875, -1.25, 0.375]);
}

#[test]
fn rms_over_matrix_spectra_and_representable_rows() {
    let (_dir, doc) = run_yaml(
        "name: rmsm\nmethod: adam\ndegree: 5\nsteps: 4\nlower: 1e-3\nobjective: { kind: rms_matrix, shape: 16x48, samples: 3 }\nadam: { iterations: 400, polish_iterations: 5, representable: bf16, seed: 7 }\nprecision: 64\n",
    );
    let o = &doc["optimisation"];
    assert_eq!(o["objective"]["kind"], "rms_matrix");
    assert!(
        o["final_loss"].as_f64().unwrap() <= o["initial_loss"].as_f64().unwrap() * 1.05,
        "bf16 rounding costs little"
    );
    assert!(o["loss_before_rounding"].as_f64().unwrap() > 0.0);
    // Every coefficient is a bf16 value.
    for step in doc["steps"].as_array().unwrap() {
        for c in step["coefficients_f64"].as_array().unwrap() {
            let v = c.as_f64().unwrap();
            assert_eq!(f64::from(half::bf16::from_f64(v).to_f32()), v, "{v} is not a bf16 value");
        }
    }
}
