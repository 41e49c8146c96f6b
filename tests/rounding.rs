//! Rounding-aware tables (`round_to`): the searched rows are values of the
//! target type, their certificate is recomputed independently from the rows,
//! they beat plain rounding where the README says so, and the `rounded`
//! section reads back byte for byte and refuses hand-edited values.

mod common;

use common::{bin, shipped};
use polar_coeffs::certify::certified_errors;
use polar_coeffs::config::Config;
use polar_coeffs::precision::{parse_decimal, parse_f32};
use polar_coeffs::rounding::RoundTarget;
use polar_coeffs::table::TableDoc;
use rug::Float;

fn with_round_to(config: &str, name: &str, target: &str) -> String {
    let text = std::fs::read_to_string(shipped(config)).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("name:")).map(|l| format!("{l}\n")).collect();
    format!("name: {name}\nround_to: {target}\n{body}")
}

fn solve(yaml: &str) -> TableDoc {
    polar_coeffs::solve(&Config::from_yaml_str(yaml, "c.yaml").unwrap()).unwrap()
}

#[test]
fn bf16_search_beats_plain_rounding_on_the_published_table() {
    let doc = solve(&with_round_to("polar_express_2025.yaml", "pe", "bf16"));
    let r = doc.rounded.as_ref().unwrap();
    assert_eq!(r.target, "bf16");
    // The plain column is the document's own bf16 certificate.
    let plain: Vec<&str> = doc.steps.iter().map(|s| s.certified_error.as_ref().unwrap().bf16.as_str()).collect();
    assert_eq!(r.plain_certified_error, plain);
    // Every value is a bf16 value, and the certificate of exactly these rows,
    // computed here, is the one recorded.
    let rows: Vec<Vec<Float>> = r
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|t| {
                    let v = Float::with_val(64, parse_f32(t).unwrap());
                    assert_eq!(RoundTarget::Bf16.nearest(&v).unwrap(), v, "{t} is not a bf16 value");
                    v
                })
                .collect()
        })
        .collect();
    let bounds = certified_errors(&rows, &doc.config.lower, &doc.config.upper, 320, 2).unwrap();
    let last = bounds.last().unwrap().as_ref().unwrap();
    let recorded = parse_decimal(r.certified_error.last().unwrap(), 64).unwrap();
    assert!(recorded >= *last, "recorded {recorded} below the recomputed bound {last}");
    let plain_last = parse_decimal(r.plain_certified_error.last().unwrap(), 64).unwrap();
    // Measured: 5.1e-19 against 5.1e-7 for plain rounding (README).
    assert!(recorded < plain_last.clone() * 1e-6, "searched {recorded} vs plain {plain_last}");
}

#[test]
fn the_rounded_section_reads_back_byte_for_byte() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("pe.yaml"), with_round_to("polar_express_2025.yaml", "pe", "f16")).unwrap();
    bin()
        .arg("run")
        .arg(dir.path().join("pe.yaml"))
        .arg("--out")
        .arg(dir.path().join("a"))
        .arg("--quiet")
        .assert()
        .success();
    let json = std::fs::read_to_string(dir.path().join("a/pe.json")).unwrap();
    assert!(json.contains("\"rounded\"") && json.contains("\"round_to\": \"f16\""), "{json}");
    bin()
        .args(["emit", "--format", "json,rust", "--json"])
        .arg(dir.path().join("a/pe.json"))
        .arg("--out")
        .arg(dir.path().join("b"))
        .assert()
        .success();
    assert_eq!(json, std::fs::read_to_string(dir.path().join("b/pe.json")).unwrap());
    let rust = std::fs::read_to_string(dir.path().join("b/pe.rs")).unwrap();
    assert!(rust.contains("Rounding-aware f16 rows"), "{rust}");
    // A value that f16 does not hold is refused, naming the field.
    let doc = TableDoc::from_json(&json).unwrap();
    let first = &doc.rounded.as_ref().unwrap().rows[0][0];
    let bad = json.replacen(&format!("\"{first}\""), "\"8.2051604\"", 1);
    let e = TableDoc::from_json(&bad).unwrap_err().to_string();
    assert!(e.contains("rounded.rows[0][0]") && e.contains("f16 holds exactly"), "{e}");
}

#[test]
fn an_unknown_target_is_refused_with_what_is_allowed() {
    let e = Config::from_yaml_str("name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\nround_to: f8\n", "t.yaml").unwrap_err();
    let e = e.to_string();
    assert!(e.contains("round_to") && e.contains("\"f8\"") && e.contains("`bf16`") && e.contains("t.yaml:5"), "{e}");
    let out = bin()
        .args(["solve", "--degree", "5", "--steps", "2", "--lower", "1e-3", "--round-to", "int8"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--round-to"), "{}", String::from_utf8_lossy(&out.stderr));
}
