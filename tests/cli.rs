//! The user-facing contract of the `polar-coeffs` command: files written, JSON
//! fields, determinism, emitted Rust that compiles, and bad input refused with
//! a clear message and nothing written.

mod common;

use common::{bin, read_json, shipped};

use std::process::Command as StdCommand;

use predicates::prelude::*;
use tempfile::TempDir;

fn significant_digits(decimal: &str) -> usize {
    let mantissa = decimal.split(['e', 'E']).next().unwrap();
    mantissa.chars().filter(char::is_ascii_digit).collect::<String>().trim_start_matches('0').len()
}

#[test]
fn run_writes_json_and_rust_and_prints_a_table() {
    let dir = TempDir::new().unwrap();
    bin()
        .args(["run", shipped("greedy_d5.yaml").to_str().unwrap(), "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("greedy_d5: 10 steps"))
        .stdout(predicate::str::contains("6.9597564473310883949e-29"));
    let json = read_json(&dir.path().join("greedy_d5.json"));
    for key in ["name", "tool_version", "config", "precision_bits", "steps", "final_error"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["name"], "greedy_d5");
    assert_eq!(json["precision_bits"], 256);
    assert_eq!(json["config"]["lower"], "1e-3");
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    for step in steps {
        assert_eq!(step["degree"], 5);
        assert_eq!(step["interval"].as_array().unwrap().len(), 2);
        let coefficients = step["coefficients"].as_array().unwrap();
        assert_eq!(coefficients.len(), 3);
        for c in coefficients {
            assert!(significant_digits(c.as_str().unwrap()) >= 40, "{c}");
        }
        assert!(step["step_error"].is_string());
        assert!(step["composed_error"].is_string());
        assert_eq!(step["remez"]["status"], "converged");
    }
    assert!(json["steps"][7]["composed_error"].as_str().unwrap().starts_with("6.9597564473310883949"));
    assert!(dir.path().join("greedy_d5.rs").exists());
}

#[test]
fn two_runs_are_byte_identical() {
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    for dir in [&a, &b] {
        bin()
            .arg("run")
            .arg(shipped("polar_express_2025.yaml"))
            .arg(shipped("greedy_d3.yaml"))
            .arg("--out")
            .arg(dir.path())
            .assert()
            .success();
    }
    for file in ["polar_express_2025.json", "polar_express_2025.rs", "greedy_d3.json", "greedy_d3.rs"] {
        assert_eq!(std::fs::read(a.path().join(file)).unwrap(), std::fs::read(b.path().join(file)).unwrap(), "{file}");
    }
}

#[test]
fn solve_json_is_the_run_document() {
    let dir = TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(shipped("polar_express_modded_nanogpt_5.yaml"))
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let out = bin()
        .args(["solve", "--degree", "5", "--steps", "5", "--lower", "1e-3", "--cushion", "0.02", "--safety", "1.02"])
        .args(["--safety-mode", "inside", "--format", "json", "--name", "polar_express_modded_nanogpt_5"])
        .args(["--const-name", "POLAR_EXPRESS_MODDED_NANOGPT_5", "--norm-scale", "1.02", "--norm-epsilon", "1e-6"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        std::fs::read_to_string(dir.path().join("polar_express_modded_nanogpt_5.json")).unwrap()
    );
}

#[test]
fn solve_takes_a_degree_list() {
    let out = bin()
        .args(["solve", "--degree", "9,7,5,5,3", "--lower", "1e-4", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let degrees: Vec<u64> = json["steps"].as_array().unwrap().iter().map(|s| s["degree"].as_u64().unwrap()).collect();
    assert_eq!(degrees, vec![9, 7, 5, 5, 3]);
    bin()
        .args(["solve", "--degree", "9,7", "--steps", "3", "--lower", "1e-4"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("steps = 3 is not allowed"));
}

#[test]
fn solve_rust_format_prints_a_constant() {
    bin()
        .args([
            "solve",
            "--degree",
            "5",
            "--steps",
            "2",
            "--lower",
            "1e-3",
            "--format",
            "rust",
            "--element-type",
            "f32",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("pub const SOLVE: [[f32; 3]; 2] = ["));
}

/// The emitted file compiles as a library with every warning denied, and
/// rustfmt leaves it as it is. Both tools ship with every Rust toolchain; a
/// missing one is reported, not silently passed.
#[test]
fn emitted_rust_compiles_and_is_rustfmt_clean() {
    let dir = TempDir::new().unwrap();
    // roots_r3: rows of three terms at degree 7 (regression: the array type
    // said (7 + 1)/2 = 4 terms, and the file did not compile).
    let configs = ["polar_express_2025.yaml", "greedy_d3.yaml", "roots_r3.yaml"];
    let mut cmd = bin();
    cmd.arg("run");
    for c in configs {
        cmd.arg(shipped(c));
    }
    cmd.arg("--out").arg(dir.path()).assert().success();
    // Mixed degrees and f32, through solve.
    let mixed = bin()
        .args(["solve", "--degree", "7,5,3", "--lower", "1e-3", "--format", "rust", "--element-type", "f32"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    std::fs::write(dir.path().join("mixed.rs"), mixed).unwrap();
    for file in ["polar_express_2025.rs", "greedy_d3.rs", "roots_r3.rs", "mixed.rs"] {
        let path = dir.path().join(file);
        let status = StdCommand::new("rustc")
            .args(["--crate-type", "lib", "--edition", "2021", "-D", "warnings", "--out-dir"])
            .arg(dir.path())
            .arg(&path)
            .status()
            .expect("rustc runs");
        assert!(status.success(), "{file} does not compile cleanly");
        let fmt = StdCommand::new("rustfmt").args(["--check", "--edition", "2021"]).arg(&path).output();
        match fmt {
            Ok(o) => {
                assert!(o.status.success(), "{file} is not rustfmt-clean:\n{}", String::from_utf8_lossy(&o.stdout))
            }
            Err(e) => panic!("rustfmt is needed for this test (rustup component add rustfmt): {e}"),
        }
    }
}

/// Writes `yaml` to a config file, runs it, and checks the failure: non-zero
/// exit, the message, and no output file.
fn assert_refused(yaml: &str, message: &[&str]) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, yaml).unwrap();
    let out = dir.path().join("out");
    let mut assert = bin().arg("run").arg(&config).arg("--out").arg(&out).assert().failure().code(1);
    for m in message {
        assert = assert.stderr(predicate::str::contains(*m));
    }
    let written: Vec<_> = std::fs::read_dir(&out).map(|d| d.collect()).unwrap_or_default();
    assert!(written.is_empty(), "files were written for a bad config: {written:?}");
}

const GOOD: &str = "name: t\ndegree: 5\nsteps: 3\nlower: 1e-3\n";

#[test]
fn unknown_key_is_refused_with_position() {
    assert_refused(&format!("{GOOD}safty: 1.01\n"), &["bad.yaml:5:1:", "unknown field `safty`", "safety"]);
}

#[test]
fn even_and_small_degrees_are_refused() {
    assert_refused(
        "name: t\ndegree: 4\nsteps: 3\nlower: 1e-3\n",
        &["bad.yaml:2:9:", "degree = 4 is not allowed", "odd integers from 1"],
    );
    assert_refused("name: t\ndegree: 0\nsteps: 3\nlower: 1e-3\n", &["degree = 0 is not allowed"]);
    assert_refused("name: t\ndegree: -3\nsteps: 3\nlower: 1e-3\n", &["degree = -3 is not allowed"]);
    assert_refused("name: t\ndegree: [5, 6, 3]\nlower: 1e-3\n", &["degree = 6 is not allowed"]);
}

#[test]
fn bad_intervals_are_refused() {
    assert_refused("name: t\ndegree: 5\nsteps: 3\nlower: 0\n", &["bad.yaml:4:8:", "lower = 0 is not allowed", "> 0"]);
    assert_refused("name: t\ndegree: 5\nsteps: 3\nlower: -1e-3\n", &["lower = -1e-3 is not allowed"]);
    assert_refused("name: t\ndegree: 5\nsteps: 3\nlower: 1\n", &["lower = 1 is not allowed", "below upper = 1"]);
    assert_refused(
        "name: t\ndegree: 5\nsteps: 3\nlower: 0.5\nupper: 0.25\n",
        &["lower = 0.5 is not allowed", "below upper = 0.25"],
    );
}

#[test]
fn step_counts_out_of_range_are_refused() {
    assert_refused(
        "name: t\ndegree: 5\nsteps: 0\nlower: 1e-3\n",
        &["bad.yaml:3:8:", "steps = 0 is not allowed", "from 1 to 10000"],
    );
    assert_refused("name: t\ndegree: 5\nsteps: 10001\nlower: 1e-3\n", &["steps = 10001 is not allowed"]);
    assert_refused("name: t\ndegree: 5\nlower: 1e-3\n", &["missing key `steps`"]);
}

#[test]
fn precision_out_of_range_is_refused() {
    assert_refused(
        &format!("{GOOD}precision: 63\n"),
        &["bad.yaml:5:12:", "precision = 63 is not allowed", "from 64 to 16384"],
    );
    assert_refused(&format!("{GOOD}precision: 16385\n"), &["precision = 16385 is not allowed"]);
}

#[test]
fn cushion_and_safety_out_of_range_are_refused() {
    assert_refused(&format!("{GOOD}cushion: 1\n"), &["bad.yaml:5:10:", "cushion = 1 is not allowed", "[0, 1)"]);
    assert_refused(&format!("{GOOD}cushion: -0.1\n"), &["cushion = -0.1 is not allowed"]);
    assert_refused(&format!("{GOOD}safety: 0.99\n"), &["bad.yaml:5:9:", "safety = 0.99 is not allowed", ">= 1"]);
    assert_refused(
        &format!("{GOOD}safety_mode: before\n"),
        &["safety_mode = \"before\" is not allowed", "`after` or `inside`"],
    );
}

#[test]
fn unparsable_numbers_are_refused() {
    assert_refused(
        "name: t\ndegree: 5\nsteps: 3\nlower: 1e-3x\n",
        &["bad.yaml:4:8:", "lower = \"1e-3x\" is not allowed", "decimal number"],
    );
    assert_refused(&format!("{GOOD}safety: \"one\"\n"), &["safety = \"one\" is not allowed"]);
    assert_refused("name: t\ndegree: 5\nsteps: three\nlower: 1e-3\n", &["steps = three is not allowed"]);
    assert_refused(&format!("{GOOD}upper: .inf\n"), &["upper = \".inf\" is not allowed"]);
}

#[test]
fn names_that_are_not_plain_stems_are_refused() {
    for name in ["../escape", "a/b", "..", ".hidden", "a\\\\b", "\"\""] {
        assert_refused(
            &format!("name: {name}\ndegree: 5\nsteps: 3\nlower: 1e-3\n"),
            &["bad.yaml:1:7:", "is not allowed: a plain file stem"],
        );
    }
}

#[test]
fn yaml_syntax_errors_name_the_position() {
    assert_refused("name: t\ndegree: [5, 3\nlower: 1e-3\n", &["bad.yaml:"]);
}

#[test]
fn missing_config_file_is_refused() {
    let dir = TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(dir.path().join("nope.yaml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("nope.yaml: cannot read the config"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn one_bad_config_stops_the_whole_run_before_writing() {
    let dir = TempDir::new().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: t\ndegree: 2\nsteps: 3\nlower: 1e-3\n").unwrap();
    let out = dir.path().join("out");
    bin().arg("run").arg(shipped("greedy_d5.yaml")).arg(&bad).arg("--out").arg(&out).assert().failure().code(1);
    assert!(!out.exists(), "nothing is written when any config is bad");
}

#[test]
fn duplicate_names_are_refused() {
    let dir = TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(shipped("greedy_d5.yaml"))
        .arg(shipped("greedy_d5.yaml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("is already used by"));
}

#[test]
fn bad_flags_are_refused_by_solve() {
    bin()
        .args(["solve", "--degree", "6", "--steps", "3", "--lower", "1e-3"])
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("--degree = 6 is not allowed"));
    bin()
        .args(["solve", "--degree", "5", "--steps", "3", "--lower", "abc"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--lower = \"abc\" is not allowed"));
    bin()
        .args(["solve", "--degree", "5", "--steps", "3", "--lower", "1e-3", "--format", "xml"])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn non_converged_steps_are_written_with_status_and_exit_3() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("capped.yaml");
    std::fs::write(&config, "name: capped\ndegree: 7\nsteps: 2\nlower: 1e-3\nmax_iterations: 1\n").unwrap();
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("did not converge"));
    let json = read_json(&dir.path().join("capped.json"));
    assert_eq!(json["all_converged"], false);
    assert_eq!(json["steps"][0]["remez"]["status"], "max_iterations");
    // Adam retried the step on the same minimax objective and the table keeps
    // the better polynomial.
    let fallback = &json["steps"][0]["remez"]["adam_fallback"];
    let (remez, adam) = (fallback["remez_error"].as_f64().unwrap(), fallback["adam_error"].as_f64().unwrap());
    assert_eq!(fallback["used"].as_bool().unwrap(), adam < remez);
    let kept: f64 = json["steps"][0]["step_error"].as_str().unwrap().parse().unwrap();
    assert!((kept - remez.min(adam)).abs() <= 1e-12 * kept, "{kept} vs {remez} / {adam}");
    assert!(
        std::fs::read_to_string(dir.path().join("capped.rs"))
            .unwrap()
            .contains("WARNING: some minimax steps did not converge")
    );
    assert_refused(
        "name: t\ndegree: 5\nsteps: 3\nlower: 1e-3\nmax_iterations: 0\n",
        &["bad.yaml:5:17:", "max_iterations = 0 is not allowed"],
    );
}

#[test]
fn schedules_past_any_precision_are_refused_not_hung() {
    bin()
        .args(["solve", "--degree", "5", "--steps", "40", "--lower", "1e-3"])
        .assert()
        .failure()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains("step 14: its interval is only 2^-")
                .and(predicate::str::contains("ask for fewer steps")),
        );
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    // Read one byte of a long JSON document (about 140 kB, more than a pipe
    // buffer), then close the pipe.
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("polar-coeffs"))
        .args(["solve", "--degree", "5", "--steps", "13", "--lower", "1e-3", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    stdout.read_exact(&mut byte).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
