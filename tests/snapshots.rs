//! Snapshot tests (insta) of every emitted format on a small table.

use polar_coeffs::config::Config;
use polar_coeffs::emit::{Emitter, JsonEmitter, RustEmitter};
use polar_coeffs::table::TableDoc;

fn small(yaml: &str) -> TableDoc {
    TableDoc::solve(&Config::from_yaml_str(yaml, "snapshot.yaml").unwrap()).unwrap()
}

const CUBIC: &str = "name: cubic_small\ndegree: 3\nsteps: 3\nlower: 0.01\nprecision: 64\n";
const MIXED: &str = "name: mixed_small\ndegree: [7, 5, 3]\nlower: 1e-3\nprecision: 128\nemit:\n  const_name: MIXED\n  element_type: f32\n";

#[test]
fn rust_uniform_f64() {
    insta::assert_snapshot!(RustEmitter.render(&small(CUBIC)).unwrap());
}

#[test]
fn rust_mixed_f32() {
    insta::assert_snapshot!(RustEmitter.render(&small(MIXED)).unwrap());
}

#[test]
fn json_document() {
    insta::assert_snapshot!(JsonEmitter.render(&small(CUBIC)).unwrap());
}
