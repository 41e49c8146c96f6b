//! Property tests of every reader: configs, literal-rows YAML, `.npy` files
//! and table JSON never panic or hang on any input, and a table JSON that is
//! accepted renders in every format into files inside the output folder and
//! free of injected lines.
//!
//! The case count is bounded for `cargo test`; set
//! `POLAR_COEFFS_FUZZ_CASES` (e.g. 1000000) for a long run.

use std::path::Path;

use polar_coeffs::config::{Config, is_rows_yaml, rows_from_yaml_str};
use polar_coeffs::emit::emitter;
use polar_coeffs::table::{OutputFormat, TableDoc};
use polar_coeffs::verify::matrix::read_npy;
use proptest::prelude::*;
use serde_json::Value;

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("POLAR_COEFFS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases: n, failure_persistence: None, ..ProptestConfig::default() }
}

/// Pieces configs are made of, for mutations that stay near valid input.
fn config_text() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "name",
        "degree",
        "steps",
        "lower",
        "upper",
        "cushion",
        "safety",
        "safety_mode",
        "precision",
        "max_iterations",
        "emit",
        "verify",
        "plots",
        "method",
        "shared",
        "objective",
        "init",
        "fixed_rows",
        "adam",
    ]);
    let values = prop::sample::select(vec![
        "5",
        "0",
        "-1",
        "1e-3",
        "1e-400",
        "1e400",
        "nan",
        ".inf",
        "\"x\"",
        "[5, 3]",
        "[]",
        "{}",
        "[[1, 2]]",
        "a",
        "\"../x\"",
        "{ kind: top_k, k: 5 }",
        "&a [*a]",
        "true",
        "18446744073709551617",
        "0x10",
        "\"\\u0000\"",
    ]);
    prop::collection::vec((keys, values, prop::bool::ANY), 0..12).prop_map(|entries| {
        let mut s = String::from("name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\n");
        for (k, v, nested) in entries {
            if nested {
                s.push_str(&format!("{k}:\n  {k}: {v}\n"));
            } else {
                s.push_str(&format!("{k}: {v}\n"));
            }
        }
        s
    })
}

/// An `operator` section made of its keys and near-valid values.
fn operator_section() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "name",
        "formulas",
        "shape",
        "spectrum",
        "lower",
        "upper",
        "condition",
        "shift",
        "seed",
        "dtypes",
        "steps",
        "beyond",
        "epsilon",
        "power",
        "clip",
        "extra",
    ]);
    let values = prop::sample::select(vec![
        "mclip",
        "root",
        "sqrt",
        "msign-grad",
        "[v1, v3]",
        "[v9]",
        "4x4",
        "0x4",
        "4x",
        "99999999x99999999",
        "two_segment",
        "wishart",
        "gaussian",
        "1e-3",
        "0",
        "-1",
        "1e400",
        "nan",
        "[bf16, fp16]",
        "[]",
        "cycle",
        "[0, 1]",
        "[1, 0]",
        "[1]",
        "17",
        "\"x\"",
        "{}",
    ]);
    prop::collection::vec((keys, values), 0..8).prop_map(|entries| {
        let mut s = String::from("name: t\ndegree: 5\nsteps: 2\nlower: 1e-3\noperator:\n");
        for (k, v) in entries {
            s.push_str(&format!("  {k}: {v}\n"));
        }
        s
    })
}

/// A small operand: any shape up to 4×4, entries from a few hard values.
fn small_operand() -> impl Strategy<Value = nalgebra::DMatrix<f64>> {
    let entry = prop::sample::select(vec![0.0, 1.0, -1.0, 0.5, 1e-300, 1e300, 3.0, -2.0, 1e-8]);
    (1usize..5, 1usize..5).prop_flat_map(move |(r, c)| {
        prop::collection::vec(entry.clone(), r * c).prop_map(move |v| nalgebra::DMatrix::from_vec(r, c, v))
    })
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn operator_sections_never_panic(text in operator_section()) {
        let _ = Config::from_yaml_str(&text, "fuzz.yaml");
    }

    /// Every operator on arbitrary small operands returns a report or an
    /// error; nothing panics (zero, huge, tiny, singular, non-square).
    #[test]
    fn operators_never_panic(
        kind in prop::sample::select(vec!["msign", "mcsgn", "sylvester", "sqrt", "inv-sqrt", "root", "mclip", "mstep", "msign-grad"]),
        a in small_operand(), b in small_operand(), c in small_operand(), epsilon in prop::sample::select(vec![0.0, 1e-3]),
    ) {
        use polar_coeffs::operators::{OperatorKind, OperatorOptions, run};
        use polar_coeffs::operators::operands::{Operand, roles};
        use polar_coeffs::verify::Dtype;
        let kind = OperatorKind::parse(kind).unwrap();
        let mats = [a, b, c];
        let operands: Vec<Operand> = roles(kind)
            .iter()
            .zip(mats.iter())
            .map(|(name, m)| Operand { name, m: m.clone(), description: "fuzz".into(), values: None })
            .collect();
        let table = polar_coeffs::rows::CoefficientRows::from_preset(&polar_coeffs::presets::preset("polar-express-2025").unwrap());
        let options = OperatorOptions {
            dtypes: vec![Dtype::F64, Dtype::Bf16, Dtype::Fp16],
            steps: Some(3),
            epsilon,
            formulas: vec![polar_coeffs::operators::Formula::V1, polar_coeffs::operators::Formula::Leloykun, polar_coeffs::operators::Formula::Clip],
            ..OperatorOptions::default()
        };
        let _ = run(kind, &table, 2, &operands, &options);
    }
}

proptest! {
    #![proptest_config(cases(3000))]

    #[test]
    fn configs_never_panic(text in config_text()) {
        let _ = Config::from_yaml_str(&text, "fuzz.yaml");
    }

    #[test]
    fn arbitrary_yaml_never_panics(text in "\\PC{0,200}") {
        let _ = Config::from_yaml_str(&text, "fuzz.yaml");
        if is_rows_yaml(&text) {
            let _ = rows_from_yaml_str(&text, "fuzz.yaml");
        }
    }

    #[test]
    fn rows_yaml_never_panics(rows in "\\[(\\[[-0-9e.,a-z ]{0,20}\\],? ?){0,4}\\]", steps in "[-0-9a-z]{0,6}") {
        let text = format!("name: r\nrows: {rows}\nsteps: {steps}\n");
        if let Ok(table) = rows_from_yaml_str(&text, "fuzz.yaml") {
            prop_assert!(table.validate().is_ok());
        }
    }
}

/// A plausible `.npy` preamble with fuzzed dictionary values, then bytes.
fn npy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let descr = prop::sample::select(vec!["'<f8'", "'>f4'", "'<f4'", "'|u1'", "'<f8", "", "'<c16'"]);
    let order = prop::sample::select(vec!["False", "True", "Maybe", ""]);
    let shape = prop::sample::select(vec![
        "(2, 3)",
        "(0, 3)",
        "(3,)",
        "(1, 2, 3)",
        "(18446744073709551615, 2)",
        "(4611686018427387904, 4)",
        "(2, x)",
        "()",
        "(100000, 100000)",
    ]);
    (descr, order, shape, prop::collection::vec(any::<u8>(), 0..200), 0u8..4, any::<u16>()).prop_map(
        |(d, o, s, data, version, len)| {
            let header = format!("{{'descr': {d}, 'fortran_order': {o}, 'shape': {s}, }}\n");
            let mut out = b"\x93NUMPY".to_vec();
            out.push(version);
            out.push(0);
            let claimed = if len % 3 == 0 { len } else { header.len() as u16 };
            out.extend(claimed.to_le_bytes());
            if version >= 2 {
                out.extend([0, 0]);
            }
            out.extend(header.as_bytes());
            out.extend(data);
            out
        },
    )
}

proptest! {
    #![proptest_config(cases(1500))]

    #[test]
    fn npy_reader_never_panics(bytes in npy_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.npy");
        std::fs::write(&f, &bytes).unwrap();
        let _ = read_npy(&f, 1 << 20);
    }
}

fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixture_mixed.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every leaf of a JSON value, as a path.
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut slot = v;
    for key in path {
        slot = match slot {
            Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    *slot = new;
}

fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "../x",
            "/",
            "a\nb",
            "*/",
            "\"\"\"",
            "\\",
            "fn",
            "NAN",
            "1e400",
            "-0",
            "0x1p3",
            "1.5",
            "",
            "x".repeat(3000).leak(),
            "\u{7}",
            "$(touch PWNED)",
            "a b",
        ])
        .prop_map(Value::from),
        any::<f64>().prop_map(|x| serde_json::json!(x)),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn table_json_is_refused_or_renders_safely(
        picks in prop::collection::vec((any::<prop::sample::Index>(), hostile_value()), 1..4)
    ) {
        let mut doc = fixture();
        let mut paths = Vec::new();
        leaves(&doc, &mut Vec::new(), &mut paths);
        for (index, value) in picks {
            let path = index.get(&paths).clone();
            set(&mut doc, &path, value);
        }
        let text = serde_json::to_string_pretty(&doc).unwrap();
        if let Ok(table) = TableDoc::from_json(&text) {
            // The name stays one path component inside the output folder.
            let out = Path::new("out");
            let file = out.join(format!("{}.json", table.name));
            prop_assert_eq!(file.parent(), Some(out));
            prop_assert!(!table.name.contains(".."));
            for format in [OutputFormat::Json, OutputFormat::Rust, OutputFormat::Python, OutputFormat::C,
                           OutputFormat::Csv, OutputFormat::Markdown, OutputFormat::Latex] {
                let Ok(rendered) = emitter(format).render(&table) else { continue };
                prop_assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{:?}", format);
                if format == OutputFormat::Rust {
                    // The table, then (msign tables) the fixed msign template:
                    // only its name line and its divisor line vary.
                    let (table_part, tail) = rendered.split_once("];\n").unwrap_or((&rendered, ""));
                    for line in table_part.lines() {
                        let ok = line.starts_with("///")
                            || line.starts_with("pub const ")
                            || line.starts_with("    [")
                            || line.starts_with("    &[");
                        prop_assert!(ok, "an unexpected Rust line: {}", line);
                    }
                    let template: Vec<String> = polar_coeffs::emit::RUST_MSIGN_BODY
                        .replace("__NAME__", &table.config.emit.const_name)
                        .lines()
                        .map(str::to_string)
                        .collect();
                    for line in tail.lines().filter(|l| !l.is_empty() && !l.starts_with("///")) {
                        let divisor = line
                            .strip_prefix("    let divisor = norm * ")
                            .and_then(|r| r.strip_suffix(';'))
                            .and_then(|r| r.split_once(" + "))
                            .is_some_and(|(a, b)| a.parse::<f64>().is_ok() && b.parse::<f64>().is_ok());
                        prop_assert!(divisor || template.iter().any(|t| t == line), "an unexpected Rust line: {}", line);
                    }
                }
                if format == OutputFormat::C {
                    let body = rendered.split_once(" */\n").map_or("", |(_, b)| b);
                    prop_assert!(!body.contains("/*") || body.matches("/*").count() == body.matches("*/").count(), "{}", rendered);
                }
            }
        }
    }
}
