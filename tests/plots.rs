//! Every plot kind on a small case: the PNG decodes at the stated size, the
//! SVG parses; `run` draws what a config's plots section asks for; `plot`
//! redraws from JSON and names the file and field of a malformed one.

mod common;

use common::{assert_run_refused, bin};

use std::path::Path;

use polar_coeffs::compare::{CompareOptions, compare};
use polar_coeffs::config::Config;
use polar_coeffs::figures::{comparison, singular_values, table_figures};
use polar_coeffs::plot::PlotKind;
use polar_coeffs::plot::{self, HEIGHT, ImageFormat, Line, Loss, WIDTH};
use polar_coeffs::presets::preset;
use polar_coeffs::rows::CoefficientRows;
use polar_coeffs::table::TableDoc;
use polar_coeffs::verify::matrix::{DEFAULT_MAX_ELEMENTS, MatrixSpec, Spectrum, generate};
use polar_coeffs::verify::{Dtype, VerifyOptions, verify};
use predicates::prelude::*;
use tempfile::TempDir;

/// The PNG decodes to WIDTH x HEIGHT and is not blank; the SVG parses with
/// that width and height and holds text (the bundled font's labels).
fn assert_images(stem: &Path) {
    let png_bytes = std::fs::read(stem.with_extension("png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT), "{}", stem.display());
    assert!(buf.iter().any(|&b| b < 128), "{}: the PNG is blank", stem.display());
    let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(WIDTH.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(HEIGHT.to_string().as_str()));
    assert!(doc.descendants().any(|n| n.has_tag_name("text")), "{}: no text in the SVG", stem.display());
}

fn small_doc() -> TableDoc {
    polar_coeffs::solve(
        &Config::from_yaml_str("name: small\ndegree: 5\nsteps: 4\nlower: 1e-3\nprecision: 128\n", "s.yaml").unwrap(),
    )
    .unwrap()
}

const BOTH: [ImageFormat; 2] = [ImageFormat::Png, ImageFormat::Svg];

#[test]
fn table_and_verification_figures() {
    let dir = TempDir::new().unwrap();
    let doc = small_doc();
    let matrix = generate(
        &MatrixSpec { rows: 16, cols: 32, spectrum: Spectrum::LogUniform, lower: 1e-2, seed: 0 },
        DEFAULT_MAX_ELEMENTS,
    )
    .unwrap();
    let options = VerifyOptions { dtypes: vec![Dtype::F64, Dtype::Bf16], ..VerifyOptions::default() };
    let report = verify(&doc.rows(), &matrix, &options).unwrap();
    let others = vec![CoefficientRows::from_preset(&preset("jordan").unwrap())];
    let kinds = [PlotKind::Response, PlotKind::Steps, PlotKind::Convergence, PlotKind::SingularValues];
    let files = table_figures(&doc, &others, Some(&report), &kinds, dir.path(), &BOTH).unwrap();
    assert_eq!(files.len(), 8);
    polar_coeffs::io::write_all(&files).unwrap();
    for kind in kinds {
        assert_images(&dir.path().join(kind.stem()));
    }
    plot::save(&singular_values(&report), &dir.path().join("sv_alone"), &BOTH).unwrap();
    assert_images(&dir.path().join("sv_alone"));
}

#[test]
fn comparison_and_loss_figures() {
    let dir = TempDir::new().unwrap();
    let tables: Vec<CoefficientRows> =
        ["jordan", "polar-express-2025"].iter().map(|n| CoefficientRows::from_preset(&preset(n).unwrap())).collect();
    let report = compare(&tables, &CompareOptions::default(), None).unwrap();
    plot::save(&comparison(&report).unwrap(), &dir.path().join("compare"), &BOTH).unwrap();
    assert_images(&dir.path().join("compare"));
    let loss = Loss {
        title: "loss".into(),
        line: Line {
            label: "top-k loss".into(),
            points: (1..50).map(|i| (i as f64, 1.0 / i as f64)).collect(),
            dashed: false,
        },
    };
    plot::save(&loss, &dir.path().join("loss"), &BOTH).unwrap();
    assert_images(&dir.path().join("loss"));
    // Rendering is deterministic.
    assert_eq!(plot::render(&loss, ImageFormat::Png).unwrap(), plot::render(&loss, ImageFormat::Png).unwrap());
}

#[test]
fn run_draws_the_plots_section_and_plot_redraws_from_json() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("p.yaml");
    std::fs::write(
        &config,
        "name: p\ndegree: 5\nsteps: 5\nlower: 1e-3\nverify:\n  shape: 16x32\n  dtypes: [f64, bf16]\nplots:\n  kinds: [response, steps, convergence, singular_values]\n  formats: [png, svg]\n  compare_with: [jordan]\n",
    )
    .unwrap();
    bin()
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("drew 8 figures"));
    for kind in ["response", "steps", "convergence", "singular_values"] {
        assert_images(&dir.path().join("p").join(kind));
    }
    let again = dir.path().join("again");
    bin()
        .arg("plot")
        .arg(dir.path().join("p.json"))
        .arg(dir.path().join("p.verify.json"))
        .args(["--with", "polar-express-2025", "--out"])
        .arg(&again)
        .assert()
        .success();
    for kind in ["response", "steps", "convergence", "singular_values"] {
        assert_images(&again.join("p").join(kind));
    }
}

#[test]
fn malformed_json_names_the_file_and_field() {
    let dir = TempDir::new().unwrap();
    bin()
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/greedy_d3.yaml"))
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("greedy_d3.json")).unwrap()).unwrap();
    doc["steps"][0].as_object_mut().unwrap().remove("composed_error");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, serde_json::to_string(&doc).unwrap()).unwrap();
    let out = dir.path().join("figs");
    bin().arg("plot").arg(&broken).arg("--out").arg(&out).assert().failure().stderr(
        predicate::str::contains("broken.json").and(predicate::str::contains("missing field `composed_error`")),
    );
    doc["steps"][0]["error_curve"] = serde_json::json!({"positions": "nope"});
    std::fs::write(&broken, serde_json::to_string(&doc).unwrap()).unwrap();
    bin()
        .arg("plot")
        .arg(&broken)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("broken.json").and(predicate::str::contains("invalid type")));
    std::fs::write(&broken, "{\"hello\": 1}").unwrap();
    bin()
        .arg("plot")
        .arg(&broken)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("broken.json: not a polar-coeffs table"));
    assert!(!out.exists(), "nothing is drawn from malformed input");
}

#[test]
fn plots_section_is_validated() {
    for (section, message) in [
        ("plots:\n  kinds: [histogram]\n", "c.yaml:6:10: plots.kinds = \"histogram\" is not allowed"),
        ("plots:\n  kinds: [singular_values]\n", "singular_values only with a verify section"),
        ("plots:\n  formats: [gif]\n", "plots.formats = \"gif\" is not allowed: a list of png, svg"),
        ("plots:\n  compare_with: [nope]\n", "plots.compare_with = \"nope\" is not allowed: preset names"),
    ] {
        assert_run_refused("c.yaml", &format!("name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\n{section}"), message);
    }
}
