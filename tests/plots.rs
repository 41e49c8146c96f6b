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

/// Every text element of an SVG: (x, text, font family).
fn svg_texts(svg: &str) -> Vec<(f64, String, String)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let x = n.attribute("x").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            let family = n.attribute("font-family").unwrap_or("").to_string();
            (x, n.text().unwrap_or("").trim().to_string(), family)
        })
        .collect()
}

fn svg_of(plot: &impl plot::Plot) -> String {
    String::from_utf8(plot::render(plot, ImageFormat::Svg).unwrap()).unwrap()
}

/// Fourteen series (the published-table comparison) get fourteen distinct
/// looks, and up to 56 stay distinct; a dashed (guaranteed) series is dashed
/// whatever its place. Regression: an 8-colour palette gave two pairs of
/// `compare.png`'s lines the same colour.
#[test]
fn series_styles_stay_distinct() {
    let styles: Vec<_> = (0..56).map(|i| plot::series_style(i, false)).collect();
    let distinct: std::collections::HashSet<_> = styles.iter().collect();
    assert_eq!(distinct.len(), 56);
    assert!((0..56).all(|i| plot::series_style(i, true).pattern == plot::Pattern::Dashed));
    assert!(styles.iter().take(28).all(|s| s.pattern == plot::Pattern::Solid));
}

/// Log axes label every decade down to the floor, or every k-th with the
/// others as light lines; within two decades 1-2-5. Regression: the compare
/// and convergence figures had no labels below 1e-13, the GFLOP axis only
/// "1e2" and "200".
#[test]
fn log_axes_label_their_decades_down_to_the_floor() {
    let (major, minor) = plot::log_ticks(1e-30, 1.0);
    let exps: Vec<i32> = major.iter().map(|v| v.log10().round() as i32).collect();
    assert_eq!(exps, (-30..=0).filter(|e| e % 3 == 0).collect::<Vec<_>>());
    let all: Vec<i32> = major.iter().chain(&minor).map(|v| v.log10().round() as i32).collect();
    assert!((-30..=0).all(|e| all.contains(&e)), "every decade has a line");
    let (major, _) = plot::log_ticks(1e-8, 1.0);
    assert_eq!(major.len(), 9, "eight decades: every one labelled");
    let (major, minor) = plot::log_ticks(10.0, 1000.0);
    let labels: Vec<String> = major.iter().map(|&v| plot::tick(v)).collect();
    assert_eq!(labels, ["10", "20", "50", "1e2", "200", "500", "1e3"]);
    assert!(minor.iter().any(|&v| (v - 300.0).abs() < 1e-9));
}

/// The convergence figure: every labelled decade is drawn as text down to
/// 1e-30, the legend sits right of every tick label (outside the data), each
/// series is named once, and every text names the bundled font.
#[test]
fn convergence_figure_structure() {
    let lines: Vec<Line> = (0..14)
        .map(|i| Line {
            label: format!("series {i}"),
            points: (1..=8).map(|t| (t as f64, 10f64.powi(-(t * (i + 1)) / 3))).collect(),
            dashed: i == 0,
        })
        .chain(std::iter::once(Line { label: "floor".into(), points: vec![(1.0, 1e-40), (8.0, 1e-35)], dashed: false }))
        .collect();
    let svg = svg_of(&plot::Convergence { title: "structure".into(), lines: lines.clone() });
    let texts = svg_texts(&svg);
    for e in (-30..=0).filter(|e| e % 3 == 0) {
        let label = plot::tick(10f64.powi(e));
        assert!(texts.iter().any(|(_, t, _)| *t == label), "no tick label {label}");
    }
    let ticks_right = texts
        .iter()
        .filter(|(_, t, _)| t.parse::<f64>().is_ok() || t.starts_with("1e"))
        .map(|(x, _, _)| *x)
        .fold(0.0f64, f64::max);
    for line in &lines {
        let found: Vec<_> = texts.iter().filter(|(_, t, _)| *t == line.label).collect();
        assert_eq!(found.len(), 1, "{} in the legend once", line.label);
        assert!(found[0].0 > ticks_right, "{}: legend inside the data", line.label);
    }
    assert!(texts.iter().any(|(_, t, _)| t.contains("below 1e-30 drawn on the axis")));
    assert!(texts.iter().all(|(_, _, f)| f == plot::FONT), "every text in the bundled font");
}

/// The comparison figure has one legend for its two panels, and both
/// panels label their axes.
#[test]
fn comparison_has_one_legend_and_labelled_panels() {
    let tables: Vec<CoefficientRows> =
        ["jordan", "polar-express-2025"].iter().map(|n| CoefficientRows::from_preset(&preset(n).unwrap())).collect();
    let report = compare(&tables, &CompareOptions::default(), None).unwrap();
    let svg = svg_of(&comparison(&report).unwrap());
    let texts = svg_texts(&svg);
    for name in ["jordan", "polar-express-2025"] {
        assert_eq!(texts.iter().filter(|(_, t, _)| t == name).count(), 1, "{name}");
    }
    assert_eq!(texts.iter().filter(|(_, t, _)| t == "step").count(), 1);
    assert_eq!(texts.iter().filter(|(_, t, _)| t.starts_with("cumulative GFLOP")).count(), 1);
    assert_eq!(texts.iter().filter(|(_, t, _)| t == "error").count(), 2, "a y label on each panel");
}

/// Every step panel labels its x axis, and its title gives the error on the
/// fit interval and the step error on [l_t, u_t]. Regression: panels had no
/// x label and only E on the cushioned fit interval.
#[test]
fn step_panels_label_both_errors_and_their_axes() {
    let dir = TempDir::new().unwrap();
    let doc = small_doc();
    let files = table_figures(&doc, &[], None, &[PlotKind::Steps], dir.path(), &[ImageFormat::Svg]).unwrap();
    let svg = String::from_utf8(files[0].1.clone()).unwrap();
    let texts = svg_texts(&svg);
    assert_eq!(texts.iter().filter(|(_, t, _)| t == plot::STEP_PANEL_X).count(), doc.steps.len());
    assert_eq!(
        texts.iter().filter(|(_, t, _)| t.contains("on fit,") && t.contains("on [l_t, u_t]")).count(),
        doc.steps.len()
    );
}

/// The loss figure spans the loss's own range: a loss between 0.33 and
/// 0.41 gets labels inside that range. Regression: a flat line with ticks
/// 1, 2, 3.
#[test]
fn loss_axis_spans_the_loss() {
    let axis = plot::loss_axis(0.33, 0.41);
    assert!(axis.ticks.len() >= 3, "{:?}", axis.ticks);
    assert!(axis.ticks.iter().all(|&t| t > 0.3 && t < 0.45), "{:?}", axis.ticks);
    let svg = svg_of(&Loss {
        title: "loss".into(),
        line: Line {
            label: "loss".into(),
            points: (0..50).map(|i| (i as f64, 0.41 - 0.0016 * i as f64)).collect(),
            dashed: false,
        },
    });
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|(_, t, _)| t == "loss (log scale)"));
    assert!(texts.iter().any(|(_, t, _)| *t == plot::tick(axis.ticks[1])));
}

/// The singular-value figure's title states the normalised input's range,
/// not the generator's recipe.
#[test]
fn singular_value_title_states_the_normalised_spectrum() {
    let matrix = generate(
        &MatrixSpec { rows: 16, cols: 32, spectrum: Spectrum::LogUniform, lower: 1e-2, seed: 0 },
        DEFAULT_MAX_ELEMENTS,
    )
    .unwrap();
    let table = CoefficientRows::from_preset(&preset("jordan").unwrap());
    let report =
        verify(&table, &matrix, &VerifyOptions { dtypes: vec![Dtype::F64], ..VerifyOptions::default() }).unwrap();
    let title = singular_values(&report).title;
    assert!(title.contains(&format!("normalised input in [{}", plot::tick(report.input_sigma[0]))), "{title}");
}
