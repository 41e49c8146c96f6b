//! The layering rules of ARCHITECTURE.md, checked on the source: each module
//! imports only from its own layer or below, the module graph has no cycle,
//! and the names of the command line (clap, indicatif, flags) stay in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["precision", "poly", "presets", "rows", "ident", "names", "normalise", "io", "progress", "memory"]),
    (
        "engines",
        &[
            "remez",
            "schedule",
            "adam",
            "verify",
            "operators",
            "audit",
            "compare",
            "certify",
            "rounding",
            "curves",
            "plot",
        ],
    ),
    ("documents", &["table"]),
    ("inputs", &["config"]),
    ("use cases", &["solve", "emit", "figures", "summary"]),
    ("app", &["app"]),
    ("face", &["cli"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/verify/matrix.rs` →
/// `verify`); `None` for the crate root and the binary.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The code of a file: comment lines dropped (doc examples use the public
/// paths, which are not imports of the module).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")).map(|(i, l)| (i + 1, l))
}

/// Every `crate::name` a line refers to (also inside `use crate::{a, b}`).
fn crate_refs(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.push(name);
        }
        rest = after;
    }
    out
}

fn sources() -> Vec<(PathBuf, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let module = module_of(&src, &f)?;
            let text = std::fs::read_to_string(&f).unwrap();
            Some((f, module, text))
        })
        .collect()
}

#[test]
fn every_module_has_a_layer() {
    for (file, module, _) in sources() {
        assert!(layer_of(&module).is_some(), "{}: module `{module}` is in no layer of ARCHITECTURE.md", file.display());
    }
}

#[test]
fn imports_go_down_and_never_round_in_a_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (file, module, text) in sources() {
        let own = layer_of(&module).unwrap();
        for (line_no, line) in code_lines(&text) {
            for target in crate_refs(line) {
                // Root items (TOOL_VERSION) and the module itself are always allowed.
                let Some(layer) = layer_of(&target) else { continue };
                if target == module {
                    continue;
                }
                if layer > own {
                    upward.push(format!(
                        "{}:{line_no}: `{module}` ({}) uses `{target}` ({})",
                        file.display(),
                        LAYERS[own].0,
                        LAYERS[layer].0
                    ));
                }
                graph.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    assert!(upward.is_empty(), "imports from a higher layer:\n{}", upward.join("\n"));
    // Depth-first search for a cycle among the top-level modules.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_command_line_stays_in_the_cli() {
    let mut found = Vec::new();
    for (file, module, text) in sources() {
        if module == "cli" {
            continue;
        }
        for (line_no, line) in code_lines(&text) {
            for needle in ["clap", "indicatif", "anyhow"] {
                if line.contains(&format!("{needle}::")) || line.contains(&format!("use {needle}")) {
                    found.push(format!("{}:{line_no}: names `{needle}`", file.display()));
                }
            }
            // A flag name in a message: "--lower", "--max-elements".
            let bytes = line.as_bytes();
            for i in 0..bytes.len().saturating_sub(2) {
                if bytes[i] == b'-' && bytes[i + 1] == b'-' && bytes[i + 2].is_ascii_lowercase() {
                    found.push(format!("{}:{line_no}: names a flag: {}", file.display(), line.trim()));
                    break;
                }
            }
        }
    }
    assert!(found.is_empty(), "command-line names outside the cli module:\n{}", found.join("\n"));
}

#[test]
fn the_architecture_document_lists_every_layer() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    for (layer, modules) in LAYERS {
        assert!(text.contains(&format!("**{layer}**")), "ARCHITECTURE.md does not name the layer {layer}");
        for m in *modules {
            assert!(text.contains(&format!("`{m}`")), "ARCHITECTURE.md does not name the module `{m}`");
        }
    }
}

#[test]
fn the_layer_test_sees_an_upward_import() {
    // The checker itself: a line like those it scans is read correctly.
    assert_eq!(crate_refs("use crate::config::{Config, Origin};"), vec!["config"]);
    assert_eq!(crate_refs("use crate::{app, cli};"), vec!["app", "cli"]);
    assert_eq!(crate_refs("let x = crate::table::TOOL_VERSION; crate::io::write_all(&f)"), vec!["table", "io"]);
    assert!(layer_of("remez").unwrap() < layer_of("config").unwrap());
}
