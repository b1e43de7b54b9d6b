//! The library's top-level modules form layers: no module refers, through `crate::` paths in
//! code, to a module that refers back to it (directly or through others), and none refers to
//! a module of a higher layer. The crate guide (`src/lib.rs`, "Layers") draws the same picture.
//!
//! The test reads the sources under `src/`: it removes comments, string and character
//! literals (so doc links and messages do not count), collects every `crate::NAME` and every
//! name inside `crate::{…}`, maps names the crate root re-exports (`crate::Chain`) to their
//! module, and checks the graph of top-level modules. `super::` paths stay inside a module and
//! are not followed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may refer to modules of its own layer or of lower
/// layers only, and the graph must have no cycle even within a layer.
const LAYERS: &[&[&str]] = &[
    // Small utilities that refer to nothing in the crate.
    &["text", "system", "product"],
    // Report tables: cells, tables and the report trait.
    &["table"],
    // Self-contained engines whose errors `Error` converts from: scalar expressions
    // (autodiff) and generalized chains, which use only the utilities above.
    &["autodiff", "generalized"],
    // The crate's error type, and file writes that report through it.
    &["error"],
    &["fsio"],
    &["chain"],
    &["plan"],
    &["handoff"],
    &["cost"],
    &["exec"],
    &["jacobian"],
    &["report"],
];

/// Source text with comments, string literals and character literals blanked out.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let rest = &c[i..];
        if rest.starts_with(&['/', '/']) {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < c.len() {
                if c[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if c[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r'
            && (i == 0 || !ident(c[i - 1]))
            && matches!(c.get(i + 1), Some('"') | Some('#'))
        {
            // A raw string r"…" or r#"…"#, or an identifier starting with r.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' {
            // A character literal ('a', '\n', '\u{1b}') or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c[i]);
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The top-level names a `crate::` path refers to: `crate::plan::dp` gives `plan`,
/// `crate::{chain::Chain, error::Result}` gives `chain` and `error`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate") {
        let start = from + at;
        from = start + "crate".len();
        let ident = |b: char| b.is_alphanumeric() || b == '_';
        let before = code[..start].chars().next_back();
        let after = code[from..].chars().next();
        if before.is_some_and(ident) || after.is_some_and(ident) {
            continue; // `my_crate`, `crates`
        }
        let Some(path) = code[from..].trim_start().strip_prefix("::") else {
            continue; // `pub(crate)`, `extern crate`
        };
        from = code.len() - path.len();
        let rest = code[from..].trim_start();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut part = String::new();
            for ch in inner.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut part));
                        continue;
                    }
                    _ => {}
                }
                part.push(ch);
            }
            names.push(part);
        } else {
            names.push(rest.to_string());
        }
    }
    names
        .iter()
        .filter_map(|n| {
            let n = n.trim_start();
            let end = n
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(n.len());
            (end > 0).then(|| n[..end].to_string())
        })
        .collect()
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

/// Edges between top-level modules, each with the files that make it.
fn module_graph(src: &Path) -> Graph {
    let lib = code_only(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut modules = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        if let Some(name) = stmt
            .strip_prefix("pub mod ")
            .or_else(|| stmt.strip_prefix("mod "))
            .or_else(|| stmt.rsplit_once("\npub mod ").map(|(_, n)| n))
            .or_else(|| stmt.rsplit_once("\nmod ").map(|(_, n)| n))
        {
            modules.insert(name.trim().to_string());
        }
        if let Some((_, used)) = stmt.split_once("pub use ") {
            let (module, items) = used.split_once("::").unwrap_or((used, ""));
            for item in items.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')) {
                if !item.is_empty() {
                    reexports.insert(item.to_string(), module.trim().to_string());
                }
            }
        }
    }
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "lib" {
            continue;
        }
        assert!(
            modules.contains(&top),
            "{} is not a module of lib.rs",
            rel.display()
        );
        let entry = graph.entry(top.clone()).or_default();
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        for name in crate_paths(&code) {
            let target = reexports.get(&name).cloned().unwrap_or(name);
            if target != top && modules.contains(&target) {
                entry
                    .entry(target)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    graph
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// A circle through the graph, as text naming the files of each edge, if there is one.
fn find_circle(graph: &Graph) -> Option<String> {
    // For every edge a → b, look for a path b → … → a.
    for (a, targets) in graph {
        for b in targets.keys() {
            let mut stack = vec![vec![b.clone()]];
            let mut seen = BTreeSet::new();
            while let Some(path) = stack.pop() {
                let last = path.last().unwrap();
                if last == a {
                    let back: Vec<_> = path
                        .windows(2)
                        .map(|w| format!("{} -> {} in {:?}", w[0], w[1], graph[&w[0]][&w[1]]))
                        .collect();
                    return Some(format!(
                        "{a} -> {} ({a} -> {b} in {:?}; then {back:?})",
                        path.join(" -> "),
                        graph[a][b]
                    ));
                }
                if !seen.insert(last.clone()) {
                    continue;
                }
                for next in graph.get(last).into_iter().flat_map(|t| t.keys()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    None
}

#[test]
fn no_module_refers_to_a_module_that_refers_back() {
    if let Some(circle) = find_circle(&module_graph(&src_dir())) {
        panic!("circle between top-level modules: {circle}");
    }
}

#[test]
fn no_module_refers_to_a_higher_layer() {
    let graph = module_graph(&src_dir());
    let layer_of = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    for module in graph.keys() {
        assert!(
            layer_of(module).is_some(),
            "module {module} has no layer; add it to LAYERS here and to the picture in src/lib.rs"
        );
    }
    for (a, targets) in &graph {
        for (b, files) in targets {
            assert!(
                layer_of(b) <= layer_of(a),
                "{a} (layer {:?}) refers to {b} (layer {:?}, higher) in {files:?}",
                layer_of(a),
                layer_of(b)
            );
        }
    }
}

/// The scanner itself: comments, strings and characters do not count; groups and
/// re-exported names do.
#[test]
fn the_scanner_finds_paths_in_code_only() {
    let code = code_only(
        "use crate::{chain::Chain, error::{Error, Result}};\n\
         // crate::report in a comment\n\
         /* crate::cost /* nested */ crate::exec */\n\
         let s = \"crate::jacobian\"; let r = r#\"crate::plan\"#; let q = '\"';\n\
         fn f<'a>(x: &'a str) -> crate::Result<()> { my_crate::text::f(); crate :: system::x() }",
    );
    assert_eq!(crate_paths(&code), ["chain", "error", "Result", "system"]);
}

/// A circle is found: the checks are not vacuous.
#[test]
fn a_circle_is_found() {
    let dir = std::env::temp_dir().join(format!("chainplan-layers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(
        dir.join("lib.rs"),
        "pub mod a;\npub mod b;\npub use b::Thing;\n",
    )
    .unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::Thing;\n").unwrap();
    std::fs::write(dir.join("b/mod.rs"), "pub struct Thing;\nmod c;\n").unwrap();
    std::fs::write(dir.join("b/c.rs"), "fn g() { crate::a::f() }\n").unwrap();
    let graph = module_graph(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(graph["a"].contains_key("b"));
    assert!(graph["b"].contains_key("a"));
    let circle = find_circle(&graph).expect("a circle");
    assert!(circle.starts_with("a -> b -> a"), "{circle}");
    assert!(circle.contains("b/c.rs"), "{circle}");
}
