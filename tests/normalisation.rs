//! The normalisation a table assumes: configs, documents, emitted files,
//! presets and verify all carry the same one.

mod common;

use common::{assert_run_refused, bin, read_json, run_yaml, shipped};

const MODDED: &str = "X / (||X||_F * 1.02 + 1e-6)";

#[test]
fn the_modded_nanogpt_table_states_its_own_normalisation_everywhere() {
    let dir = tempfile::TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(shipped("polar_express_modded_nanogpt_5.yaml"))
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .assert()
        .success();
    let json = dir.path().join("polar_express_modded_nanogpt_5.json");
    let doc = read_json(&json);
    assert_eq!(
        doc["config"]["normalisation"],
        serde_json::json!({"kind": "frobenius", "scale": "1.02", "epsilon": "1e-6"})
    );
    assert!(doc["normalisation"].as_str().unwrap().contains(MODDED));
    let out = dir.path().join("all");
    bin()
        .args(["emit", "--format", "json,rust,python,c,markdown,latex", "--out"])
        .arg(&out)
        .arg("--json")
        .arg(&json)
        .assert()
        .success();
    for ext in ["rs", "py", "h", "md", "tex"] {
        let text = std::fs::read_to_string(out.join(format!("polar_express_modded_nanogpt_5.{ext}"))).unwrap();
        // Comments wrap lines: compare with whitespace collapsed.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(MODDED) || flat.contains(&MODDED.replace('_', "\\_")), "{ext}");
    }
    let py = std::fs::read_to_string(out.join("polar_express_modded_nanogpt_5.py")).unwrap();
    assert!(py.contains("scale=1.02, epsilon=1e-6"));
    // Re-emitted JSON is byte-identical.
    assert_eq!(std::fs::read(out.join("polar_express_modded_nanogpt_5.json")).unwrap(), std::fs::read(&json).unwrap());
}

#[test]
fn default_documents_carry_no_normalisation_block() {
    let (_dir, doc) = run_yaml("name: plain\ndegree: 5\nsteps: 2\nlower: 1e-3\n");
    assert!(doc["config"].get("normalisation").is_none());
    assert!(doc["normalisation"].as_str().unwrap().contains("X / (||X||_F * (1 + 1e-2) + 1e-7)"));
}

fn verify_json(args: &[&str]) -> serde_json::Value {
    let out = bin()
        .arg("verify")
        .args(args)
        .args(["--shape", "16x32", "--dtype", "f64", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn verify_uses_the_tables_normalisation_unless_told_otherwise() {
    let jordan = verify_json(&["--table", "jordan"]);
    assert_eq!((jordan["norm_eps"].as_f64(), jordan["norm_delta"].as_f64()), (Some(0.0), Some(1e-7)));
    let modded = verify_json(&["--table", "polar-express-modded-nanogpt-5"]);
    assert!((modded["norm_eps"].as_f64().unwrap() - 0.02).abs() < 1e-15);
    assert_eq!(modded["norm_delta"].as_f64(), Some(1e-6));
    let flags = verify_json(&["--table", "jordan", "--eps", "0.05"]);
    assert_eq!(flags["norm_eps"].as_f64(), Some(0.05));
    let default = verify_json(&["--table", "polar-express-2025"]);
    assert_eq!(default["norm_eps"].as_f64(), Some(0.01));
}

#[test]
fn the_spectral_bound_normalisation_is_tighter() {
    let dir = tempfile::TempDir::new().unwrap();
    let write = |name: &str, block: &str| {
        let p = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&p, format!("name: {name}\ndegree: 5\nsteps: 3\nlower: 1e-3\n{block}")).unwrap();
        p
    };
    let frob = write("f", "");
    let spec = write("s", "normalisation:\n  kind: spectral_bound\n  scale: 1.01\n  epsilon: 1e-7\n");
    let run = |p: &std::path::Path| {
        let out = bin()
            .arg("verify")
            .arg(p)
            .args(["--shape", "32x64", "--dtype", "f64", "--format", "json", "--quiet"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (f, s) = (run(&frob), run(&spec));
    assert_eq!(s["norm_kind"], "spectral_bound");
    let (f_max, s_max) = (f["input_sigma"][1].as_f64().unwrap(), s["input_sigma"][1].as_f64().unwrap());
    // sigma_1 <= ||(X X^T)^2||_F^(1/4) <= ||X||_F: still at most 1, and larger.
    assert!(s_max <= 1.0 && s_max > f_max, "{s_max} vs {f_max}");
}

#[test]
fn bad_normalisation_blocks_are_refused_at_their_line() {
    let base = "name: n\ndegree: 5\nsteps: 2\nlower: 1e-3\nnormalisation:\n";
    assert_run_refused(
        "n.yaml",
        &format!("{base}  scale: 0.5\n"),
        "n.yaml:6:10: normalisation.scale = 0.5 is not allowed",
    );
    assert_run_refused("n.yaml", &format!("{base}  kind: l2\n"), "normalisation.kind = \"l2\" is not allowed");
    assert_run_refused("n.yaml", &format!("{base}  epsilon: \"1e-6); import os\"\n"), "normalisation.epsilon");
    assert_run_refused("n.yaml", &format!("{base}  colour: red\n"), "colour");
    assert_run_refused(
        "n.yaml",
        "name: n\nroot: 3\ndegree: 7\nsteps: 2\nlower: 1e-3\nnormalisation:\n  scale: 1.02\n",
        "with a `normalisation` block",
    );
}

#[test]
fn a_hand_edited_normalisation_is_refused_on_read() {
    let (dir, _) = run_yaml("name: m\ndegree: 5\nsteps: 2\nlower: 1e-3\nnormalisation:\n  scale: 1.02\n");
    let json = dir.path().join("m.json");
    let text = std::fs::read_to_string(&json)
        .unwrap()
        .replace("\"scale\": \"1.02\"", "\"scale\": \"1.02 + __import__('os')\"");
    std::fs::write(&json, text).unwrap();
    bin()
        .args(["emit", "--format", "python", "--out"])
        .arg(dir.path().join("e"))
        .arg("--json")
        .arg(&json)
        .assert()
        .failure()
        .stderr(predicates::str::contains("config.normalisation"));
}
