//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `polar-coeffs` binary under test.
pub fn bin() -> Command {
    Command::cargo_bin("polar-coeffs").unwrap()
}

/// A shipped config by file name.
pub fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs").join(name)
}

/// A JSON file, parsed.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `polar-coeffs run` on a config given as YAML text (its `name` names
/// the outputs) in a fresh folder; returns the folder and the table JSON.
pub fn run_yaml(yaml: &str) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    bin().arg("run").arg(&config).arg("--out").arg(dir.path()).assert().success();
    let name = yaml.lines().find_map(|l| l.strip_prefix("name: ")).expect("the config has a name line").trim();
    let doc = read_json(&dir.path().join(format!("{name}.json")));
    (dir, doc)
}

/// Runs `polar-coeffs run` on `yaml` saved as `file` in a fresh folder and
/// checks the refusal: exit code 1, `needle` on stderr, no output folder.
pub fn assert_run_refused(file: &str, yaml: &str, needle: &str) {
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join(file);
    std::fs::write(&config, yaml).unwrap();
    let out = dir.path().join("o");
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains(needle));
    assert!(!out.exists(), "{yaml}: an output folder was written");
}

/// Whether an external tool runs. Under CI (`CI` set) a missing tool fails
/// the test, so that a check never silently stops running; elsewhere the
/// test prints a notice and skips the check.
pub fn require(tool: &str, probe: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg(probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required under CI (.ci/run installs it) but was not found"
        );
        eprintln!("NOTICE: {tool} not found; its check is skipped");
    }
    found
}

/// [`require`] for python3 with numpy: under CI a python3 without numpy
/// fails the test; elsewhere the test prints a notice naming `what` is not
/// run, and skips it.
pub fn require_numpy(what: &str) -> bool {
    if !require("python3", "--version") {
        return false;
    }
    let numpy = std::process::Command::new("python3").args(["-c", "import numpy"]).status().is_ok_and(|s| s.success());
    if !numpy {
        assert!(std::env::var_os("CI").is_none(), "numpy is required under CI (.ci/run installs python3-numpy)");
        eprintln!("NOTICE: numpy not found; {what} is not run");
    }
    numpy
}

/// Coefficients of Sollya's `remez` approximation of 1 on [lower, 1] in the
/// monomials x^e for e in `exponents` (320-bit, to 1e-90), or `None` when
/// Sollya does not answer.
pub fn sollya_remez(exponents: &[u32], lower: &str) -> Option<Vec<String>> {
    use std::io::Write;
    use std::process::Stdio;
    let monomials: Vec<String> = exponents.iter().map(u32::to_string).collect();
    let mut script = format!(
        "prec = 320;\ndisplay = decimal;\np = remez(1, [|{}|], [{lower}; 1], 1, 1e-90);\n",
        monomials.join(", ")
    );
    for m in &monomials {
        script.push_str(&format!("print(coeff(p, {m}));\n"));
    }
    let mut child = std::process::Command::new("sollya")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let values: Vec<String> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c == '-' || c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    (values.len() == monomials.len()).then_some(values)
}

/// The bytes of an `.npy` file holding `values` (row-major values of a rows×cols
/// matrix), written by hand: version 1.0, header padded to 64 bytes.
pub fn npy_bytes(descr: &str, fortran: bool, shape: &str, values: &[f64], rows: usize, cols: usize) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    let order: Vec<f64> = if fortran {
        (0..cols).flat_map(|j| (0..rows).map(move |i| values[i * cols + j])).collect()
    } else {
        values.to_vec()
    };
    for v in order {
        match descr {
            "<f8" => out.extend_from_slice(&v.to_le_bytes()),
            ">f8" => out.extend_from_slice(&v.to_be_bytes()),
            "<f4" => out.extend_from_slice(&(v as f32).to_le_bytes()),
            "<f2" => out.extend_from_slice(&half::f16::from_f64(v).to_le_bytes()),
            ">f2" => out.extend_from_slice(&half::f16::from_f64(v).to_be_bytes()),
            _ => out.extend_from_slice(&(v as f32).to_be_bytes()),
        }
    }
    out
}
