//! Snapshot tests (insta) of every emitted format on small tables.

use polar_coeffs::config::Config;
use polar_coeffs::emit::emitter;
use polar_coeffs::table::OutputFormat;
use polar_coeffs::table::TableDoc;

fn small(yaml: &str) -> TableDoc {
    polar_coeffs::solve(&Config::from_yaml_str(yaml, "snapshot.yaml").unwrap()).unwrap()
}

const CUBIC: &str = "name: cubic_small\ndegree: 3\nsteps: 3\nlower: 0.01\nprecision: 64\n";
const MIXED: &str = "name: mixed_small\ndegree: [7, 5, 3]\nlower: 1e-3\nprecision: 128\nemit:\n  const_name: MIXED\n  element_type: f32\n";

const ALL: [OutputFormat; 7] = [
    OutputFormat::Json,
    OutputFormat::Rust,
    OutputFormat::Python,
    OutputFormat::C,
    OutputFormat::Csv,
    OutputFormat::Markdown,
    OutputFormat::Latex,
];

#[test]
fn every_format_uniform_f64() {
    let doc = small(CUBIC);
    for format in ALL {
        let text = emitter(format).render(&doc).unwrap();
        insta::assert_snapshot!(format!("uniform_f64_{format:?}").to_lowercase(), text);
    }
}

#[test]
fn every_format_mixed_f32() {
    let doc = small(MIXED);
    for format in ALL {
        let text = emitter(format).render(&doc).unwrap();
        insta::assert_snapshot!(format!("mixed_f32_{format:?}").to_lowercase(), text);
    }
}
