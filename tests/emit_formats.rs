//! The emitted Python and C parse in their own tools (required under CI;
//! skipped with a printed notice elsewhere when python3 or cc is missing),
//! and `emit` re-emits a table from its JSON without solving again.

mod common;

use common::{assert_run_refused, bin, require, require_numpy};

use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::*;
use tempfile::TempDir;

/// Runs a config with every format into `dir`.
fn run_all_formats(dir: &Path, yaml: &str) {
    let config = dir.join("c.yaml");
    std::fs::write(&config, yaml).unwrap();
    bin().arg("run").arg(&config).arg("--out").arg(dir).assert().success();
}

const UNIFORM: &str =
    "name: uni\ndegree: 5\nsteps: 4\nlower: 1e-3\nemit:\n  formats: [json, rust, python, c, csv, markdown, latex]\n";
const MIXED: &str = "name: mix\ndegree: [7, 5, 3]\nlower: 1e-3\nemit:\n  formats: [json, python, c]\n  element_type: f32\n  const_name: MIX\n";

#[test]
fn python_output_imports_and_holds_the_exact_values() {
    if !require("python3", "--version") {
        return;
    }
    let dir = TempDir::new().unwrap();
    run_all_formats(dir.path(), UNIFORM);
    run_all_formats(dir.path(), MIXED);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("uni.json")).unwrap()).unwrap();
    let want: Vec<f64> =
        json["steps"][0]["coefficients_f64"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let script = format!(
        "import sys; sys.path.insert(0, {dir:?}); import uni, mix\n\
         assert len(uni.UNI) == 4 and len(uni.UNI[0]) == 3\n\
         assert uni.UNI[0] == ({}, {}, {}), uni.UNI[0]\n\
         assert [len(r) for r in mix.MIX] == [4, 3, 2]\n\
         assert callable(uni.msign)\n\
         print('ok')",
        want[0],
        want[1],
        want[2],
        dir = dir.path().display().to_string()
    );
    let out = StdCommand::new("python3").arg("-c").arg(&script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn c_header_passes_the_compiler() {
    if !require("cc", "--version") {
        return;
    }
    let dir = TempDir::new().unwrap();
    run_all_formats(dir.path(), UNIFORM);
    run_all_formats(dir.path(), MIXED);
    for header in ["uni.h", "mix.h"] {
        for lang in ["c", "c++"] {
            let out = StdCommand::new("cc")
                .args(["-fsyntax-only", "-Wall", "-Werror", "-x", lang])
                .arg(dir.path().join(header))
                .output()
                .unwrap();
            assert!(out.status.success(), "{header} as {lang}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

#[test]
fn emit_re_emits_from_json_without_solving() {
    let dir = TempDir::new().unwrap();
    run_all_formats(dir.path(), UNIFORM);
    let again = dir.path().join("again");
    bin()
        .args(["emit", "--format", "rust,latex", "--out"])
        .arg(&again)
        .arg("--json")
        .arg(dir.path().join("uni.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("uni.tex"));
    for file in ["uni.rs", "uni.tex"] {
        assert_eq!(std::fs::read(dir.path().join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file}");
    }
    bin()
        .args(["emit", "--json", "/nonexistent/t.json", "--out"])
        .arg(dir.path().join("o3"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent/t.json: cannot read"));
    std::fs::write(dir.path().join("bad.json"), "{\"name\": 1}").unwrap();
    bin()
        .args(["emit", "--json"])
        .arg(dir.path().join("bad.json"))
        .arg("--out")
        .arg(dir.path().join("o4"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.json: not a polar-coeffs table JSON"));
    assert!(!dir.path().join("o4").exists());
}

#[test]
fn unknown_format_in_config_is_refused() {
    assert_run_refused(
        "c.yaml",
        "name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\nemit:\n  formats: [json, fortran]\n",
        "c.yaml:6:12: emit.formats = \"fortran\" is not allowed: a list of json, rust, python, c, csv, markdown, latex",
    );
}

/// The emitted `msign` runs in numpy on a fixed matrix whose normalised
/// singular values lie in the table's [ℓ, 1], and every output singular value
/// lies within the table's composed error of 1 (plus the rounding of the
/// arithmetic: 1e-12 in float64, 1e-5 in float32); a tall input comes back
/// tall. Under CI a python3 without numpy fails the test.
#[test]
fn python_msign_runs_in_numpy_within_the_guarantee() {
    if !require_numpy("the emitted msign") {
        return;
    }
    let dir = TempDir::new().unwrap();
    run_all_formats(dir.path(), UNIFORM);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("uni.json")).unwrap()).unwrap();
    let bound: f64 = json["final_error"].as_str().unwrap().parse().unwrap();
    let script = format!(
        "import sys; sys.path.insert(0, {dir:?}); import uni, numpy as np\n\
         rng = np.random.default_rng(0)\n\
         U, _ = np.linalg.qr(rng.standard_normal((16, 16)))\n\
         V, _ = np.linalg.qr(rng.standard_normal((32, 16)))\n\
         s = np.geomspace(0.05, 1.0, 16)\n\
         G = U @ np.diag(s) @ V.T\n\
         x0 = s / (np.sqrt((s * s).sum()) * 1.01 + 1e-7)\n\
         assert x0.min() >= 1e-3 and x0.max() <= 1, x0\n\
         for dtype, slack in ((np.float64, 1e-12), (None, 1e-5)):\n\
         \x20   X = uni.msign(G, dtype=dtype)\n\
         \x20   assert X.dtype == (np.float32 if dtype is None else dtype), X.dtype\n\
         \x20   sv = np.linalg.svd(X.astype(np.float64), compute_uv=False)\n\
         \x20   err = np.abs(sv - 1).max()\n\
         \x20   assert err <= {bound:e} + slack, (dtype, err)\n\
         T = uni.msign(G.T, dtype=np.float64)\n\
         assert T.shape == (32, 16) and np.allclose(T, uni.msign(G, dtype=np.float64).T, atol=1e-12)\n\
         print('ok')",
        dir = dir.path().display().to_string()
    );
    let out = StdCommand::new("python3").arg("-c").arg(&script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `ns_coeffs()` is the table as optax's Muon takes it (one (a, b, c) per
/// step, the last row repeated), and optax's loop on it (divide by
/// ‖G‖_F + eps, then one step per tuple) is `msign` with scale 1, written out
/// in numpy. The torch and JAX paths of `msign` run where those packages are
/// installed and agree with float64 numpy to bf16 accuracy; elsewhere they
/// are skipped with a notice (CI installs neither).
#[test]
fn python_ns_coeffs_feed_optax_and_the_torch_and_jax_paths_run_where_installed() {
    if !require_numpy("ns_coeffs") {
        return;
    }
    let dir = TempDir::new().unwrap();
    run_all_formats(dir.path(), UNIFORM);
    let script = format!(
        "import sys, importlib.util; sys.path.insert(0, {dir:?}); import uni, numpy as np\n\
         c = uni.ns_coeffs()\n\
         assert c == tuple(tuple(r) for r in uni.UNI), c\n\
         assert len(uni.ns_coeffs(7)) == 7 and uni.ns_coeffs(7)[4:] == (tuple(uni.UNI[-1]),) * 3\n\
         rng = np.random.default_rng(1)\n\
         G = rng.standard_normal((12, 20))\n\
         eps = 1e-8\n\
         x = G / (np.linalg.norm(G) + eps)\n\
         for a, b, cc in c:\n\
         \x20   A = x @ x.T\n\
         \x20   x = a * x + (b * A + cc * A @ A) @ x\n\
         assert np.abs(x - uni.msign(G, scale=1, epsilon=eps, dtype=np.float64)).max() < 1e-12\n\
         ref = uni.msign(G, dtype=np.float64)\n\
         for name in ('torch', 'jax'):\n\
         \x20   if importlib.util.find_spec(name) is None:\n\
         \x20       print('NOTICE: ' + name + ' is not installed; its msign path is skipped', file=sys.stderr)\n\
         \x20       continue\n\
         \x20   if name == 'torch':\n\
         \x20       import torch\n\
         \x20       X = uni.msign(torch.tensor(G, dtype=torch.float32)).float().numpy()\n\
         \x20   else:\n\
         \x20       import jax.numpy as jnp\n\
         \x20       X = np.asarray(uni.msign(jnp.asarray(G, dtype=jnp.float32)).astype(jnp.float32))\n\
         \x20   assert X.shape == G.shape and np.abs(X - ref).max() < 0.1, (name, np.abs(X - ref).max())\n\
         print('ok')",
        dir = dir.path().display().to_string()
    );
    let out = StdCommand::new("python3").arg("-c").arg(&script).output().unwrap();
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The emitted Rust `msign` compiles and runs: on a fixed 6 x 10 matrix,
/// 16 steps of the Polar Express table give X Xᵀ = I to 1e-9, and a tall
/// input gives the transpose (same table through `include!`).
#[test]
fn emitted_rust_msign_runs() {
    let dir = tempfile::TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/polar_express_2025.yaml"))
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .assert()
        .success();
    let main = dir.path().join("main.rs");
    std::fs::write(
        &main,
        "include!(\"polar_express_2025.rs\");\n\
         fn main() {\n\
         \x20   let (r, c) = (6usize, 10usize);\n\
         \x20   let mut s = 12345u64;\n\
         \x20   let g: Vec<f64> = (0..r * c).map(|_| { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5 }).collect();\n\
         \x20   let x = msign(&g, r, c, 16);\n\
         \x20   let mut worst = 0.0f64;\n\
         \x20   for i in 0..r { for j in 0..r { let d: f64 = (0..c).map(|k| x[i * c + k] * x[j * c + k]).sum(); worst = worst.max((d - if i == j { 1.0 } else { 0.0 }).abs()); } }\n\
         \x20   assert!(worst < 1e-9, \"X X^T - I: {worst:e}\");\n\
         \x20   let gt: Vec<f64> = (0..r * c).map(|k| g[(k % r) * c + k / r]).collect();\n\
         \x20   let xt = msign(&gt, c, r, 16);\n\
         \x20   for i in 0..r { for j in 0..c { assert!((xt[j * r + i] - x[i * c + j]).abs() < 1e-12); } }\n\
         \x20   println!(\"ok {worst:e}\");\n\
         }\n",
    )
    .unwrap();
    let exe = dir.path().join("msign_check");
    let status = std::process::Command::new("rustc")
        .args(["--edition", "2021", "-O", "-o"])
        .arg(&exe)
        .arg(&main)
        .status()
        .expect("rustc runs");
    assert!(status.success(), "the emitted msign does not compile");
    let out = std::process::Command::new(&exe).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok "));
}
