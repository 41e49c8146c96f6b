//! Markdown tables that render: in GitHub-flavoured Markdown every unescaped
//! `|` in a table row starts a new cell (code spans included), and cells past
//! the header's count are dropped. Each table row of the README, the docs and
//! every Markdown file the tool writes must have exactly the header's cells.
//! Regression: `NAME.verify.md` headed a column `||X - UV'||_2`, so none of
//! its tables rendered, and the README's `objective.kind` row was cut short.

mod common;

use common::{bin, shipped};
use std::path::Path;

/// Cells of a table row by the GFM rule: split at unescaped pipes, the
/// leading and trailing pipe dropped.
fn cells(line: &str) -> usize {
    let body = line.trim().trim_start_matches('|');
    let body = body.strip_suffix('|').filter(|b| !b.ends_with('\\')).unwrap_or(body);
    let mut count = 1;
    let mut escaped = false;
    for c in body.chars() {
        match (c, escaped) {
            ('\\', false) => escaped = true,
            ('|', false) => count += 1,
            _ => escaped = false,
        }
    }
    count
}

/// Every table in `text` (a header row followed by a `---` delimiter row)
/// has rows of the header's width; returns how many tables were checked.
fn check_tables(text: &str, what: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = 0;
    let mut in_code = false;
    let mut i = 0;
    while i + 1 < lines.len() {
        if lines[i].trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let delimiter = lines[i + 1].trim();
        let is_delimiter = delimiter.starts_with('|') && delimiter.chars().all(|c| "|-: ".contains(c));
        if !in_code && lines[i].trim().starts_with('|') && is_delimiter {
            tables += 1;
            let width = cells(lines[i]);
            assert_eq!(cells(lines[i + 1]), width, "{what}: delimiter row of the table at line {}", i + 1);
            let mut j = i + 2;
            while j < lines.len() && lines[j].trim().starts_with('|') {
                assert_eq!(cells(lines[j]), width, "{what}, line {}: {:?}", j + 1, lines[j]);
                j += 1;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    tables
}

#[test]
fn the_counter_follows_the_gfm_rule() {
    assert_eq!(cells("| a | b |"), 2);
    assert_eq!(cells("| `||X||_2` | b |"), 6);
    assert_eq!(cells("| `\\|\\|X\\|\\|_2` | b |"), 2);
    assert_eq!(cells("a | b"), 2);
}

#[test]
fn the_readme_and_docs_tables_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut tables = 0;
    for file in files {
        tables += check_tables(&std::fs::read_to_string(&file).unwrap(), &file.display().to_string());
    }
    assert!(tables > 10, "only {tables} tables found: the detector is broken");
}

#[test]
fn every_emitted_markdown_table_renders() {
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("md.yaml");
    std::fs::write(
        &config,
        "name: md\ndegree: 5\nsteps: 3\nlower: 1e-3\nemit:\n  formats: [json, markdown]\nverify:\n  shape: 16x32\n",
    )
    .unwrap();
    bin().arg("run").arg(&config).arg("--out").arg(dir.path()).arg("--quiet").assert().success();
    let out = bin().args(["verify", "--table", "jordan", "--shape", "16x32", "--format", "markdown"]).output().unwrap();
    assert!(out.status.success());
    let verify_cli = String::from_utf8(out.stdout).unwrap();
    bin()
        .arg("compare")
        .arg(shipped("greedy_d3.yaml"))
        .args(["jordan", "--shape", "16x32", "--quiet", "--out"])
        .arg(dir.path().join("cmp"))
        .assert()
        .success();
    let texts = [
        ("md.md", std::fs::read_to_string(dir.path().join("md.md")).unwrap()),
        ("md.verify.md", std::fs::read_to_string(dir.path().join("md.verify.md")).unwrap()),
        ("verify --format markdown", verify_cli),
        ("compare.md", std::fs::read_to_string(dir.path().join("cmp/compare.md")).unwrap()),
    ];
    for (what, text) in &texts {
        assert!(check_tables(text, what) >= 1, "{what}: no table found");
    }
}
