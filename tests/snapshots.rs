//! Snapshot tests (insta) of every emitted format, rendered from hand-built
//! fixture documents (`tests/fixtures/`): the snapshots check formatting,
//! escaping and layout; the numbers themselves are checked by the
//! known-answer and published-table tests.

use polar_coeffs::emit::emitter;
use polar_coeffs::table::{OutputFormat, TableDoc};

fn fixture(name: &str) -> TableDoc {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const ALL: [OutputFormat; 7] = [
    OutputFormat::Json,
    OutputFormat::Rust,
    OutputFormat::Python,
    OutputFormat::C,
    OutputFormat::Csv,
    OutputFormat::Markdown,
    OutputFormat::Latex,
];

/// Renders every format of `doc` and compares each with its snapshot; the
/// tool version and the config hash are filtered out, so a version bump
/// does not touch the snapshots.
fn snapshot_all(doc: &TableDoc, prefix: &str) {
    insta::with_settings!({filters => vec![
        (r"0\.0\.0-fixture", "[version]"),
        (r"[0-9a-f]{64}", "[sha256]"),
    ]}, {
        for format in ALL {
            let text = emitter(format).render(doc).unwrap();
            insta::assert_snapshot!(format!("{prefix}_{}", format.as_str()), text);
        }
    });
}

#[test]
fn every_format_uniform_f64() {
    snapshot_all(&fixture("fixture_uniform.json"), "uniform_f64");
}

#[test]
fn every_format_mixed_f32() {
    snapshot_all(&fixture("fixture_mixed.json"), "mixed_f32");
}

/// The JSON emitter writes the fixture back as it was read (the document is
/// its own format).
#[test]
fn the_fixtures_read_back_byte_for_byte() {
    for name in ["fixture_uniform.json", "fixture_mixed.json"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        let text = std::fs::read_to_string(path).unwrap();
        let doc: TableDoc = serde_json::from_str(&text).unwrap();
        assert_eq!(emitter(OutputFormat::Json).render(&doc).unwrap(), text, "{name}");
    }
}
