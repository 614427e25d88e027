//! The house rules, checked on the sources: the layers (the workspace's crates) only use the ones below them, no
//! two files of one crate import each other in a cycle, and every dependency a `Cargo.toml` names is used.
//!
//! Cargo already refuses a cycle between crates; what it does not refuse is a crate depending on one *above* it in
//! the intended order (a dev-dependency, say), a knot of modules inside one crate, or a dependency left behind when
//! its last use was removed. `scripts/layers.sh` runs these tests with their report printed.
//!
//! The module graph is read from the source text, not from the compiler: every `crate::`, `super::` and `self::`
//! path and every `use` tree, resolved to the deepest module file it names. Test code (`#[cfg(test)]` blocks and
//! `*tests.rs` files) is left out: a test may reach anywhere. An edge between a module and one of its ancestors
//! (a child using its parent's types, a parent declaring and re-exporting its children) is how modules nest, not a
//! cycle, so only edges between modules where neither contains the other count.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::workdir::repo;

/// The layers, lowest first: a crate may depend only on crates before it. The two test-support crates sit where
/// what they use ends; the root package (the binary and its facade) is last.
const LAYERS: [&str; 20] = [
    "core",
    "testkit",
    "matrix",
    "embed",
    "corpus",
    "features",
    "models",
    "behaviour",
    "eval",
    "experiment",
    "results",
    "fixtures",
    "charts",
    "report",
    "check",
    "diff",
    "shard",
    "predict",
    "stance",
    "bench",
];

/// One crate of the workspace.
struct Krate {
    name: String,
    dir: PathBuf,
    manifest: toml::Table,
}

fn krates() -> Vec<Krate> {
    let mut out = Vec::new();
    let root = repo();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .expect("crates/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs.push(root.join("benches"));
    dirs.push(root.clone());
    for dir in dirs {
        let manifest: toml::Table = fs::read_to_string(dir.join("Cargo.toml"))
            .expect("readable manifest")
            .parse()
            .expect("valid manifest");
        let package = manifest["package"]["name"].as_str().expect("named");
        let name = package
            .strip_prefix("stance-")
            .unwrap_or(package)
            .to_string();
        out.push(Krate {
            name,
            dir,
            manifest,
        });
    }
    out
}

fn layer(name: &str) -> usize {
    LAYERS.iter().position(|l| *l == name).unwrap_or_else(|| {
        panic!("crate '{name}' is not in LAYERS (tests/test_layers.rs): add it in its place")
    })
}

fn deps(k: &Krate, table: &str) -> Vec<String> {
    k.manifest
        .get(table)
        .and_then(|t| t.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.expect("readable").path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Where a crate's code lives: the library's `src/` (for the root package, `src/` holds the binary too), or every
/// file of a package without one (the benchmarks, whose code is all bench targets).
fn sources(k: &Krate) -> Vec<PathBuf> {
    if k.dir.join("src").is_dir() {
        rust_files(&k.dir.join("src"))
    } else {
        rust_files(&k.dir)
    }
}

/// The crate's test, bench and example code, which dev-dependencies serve.
fn dev_sources(k: &Krate) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["tests", "benches", "examples"] {
        if k.dir.join(d) != repo().join("crates") {
            v.extend(rust_files(&k.dir.join(d)));
        }
    }
    v
}

/// `text` without comments and string literals (so a path in a doc comment or a message is not an import).
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"'))
            && (!ident_byte(b, i) || (b[i - 1] == b'b' && !ident_byte(b, i - 1)))
        {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i] as char);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '{' (lifetimes have no closing quote).
            i += 3;
            out.push_str("' '");
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            // An escaped char literal: '\n', '\'', '\\', '\u{…}'.
            let mut j = i + 3;
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            i = j + 1;
            out.push_str("' '");
        } else {
            let ch = text[i..].chars().next().expect("a char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn ident_byte(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// `code` without its `#[cfg(test)]` items (a test module or function, up to its matching brace).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at its matching closing brace, or at a `;` before any brace (`mod tests;`).
        let brace = after.find('{');
        let semi = after.find(';');
        match (brace, semi) {
            (Some(b), Some(s)) if s < b => rest = &after[s + 1..],
            (Some(b), _) => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (i, c) in after[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            (None, Some(s)) => rest = &after[s + 1..],
            (None, None) => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn is_test_file(p: &Path) -> bool {
    let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    name == "tests" || name.ends_with("_tests")
}

/// A file's module path inside its crate: `src/lib.rs` → `[]`, `src/eval/grid.rs` → `["eval", "grid"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file");
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// Every path a piece of code names, as written: `crate::a::b`, `super::x`, `self::y`, and each leaf of a `use`
/// tree (`use super::{a, b::c}` gives `super::a` and `super::b::c`).
fn paths_named(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // `use` trees, expanded.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        expand_use(after[..end].trim(), "", &mut out);
    }
    // Inline paths.
    for prefix in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(prefix) {
            let start = from + i;
            from = start + prefix.len();
            if code[..start]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            let tail: String = code[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(tail.trim_end_matches(':').to_string());
        }
    }
    out
}

fn expand_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let mut depth = 0;
        let mut part = String::new();
        for c in inner.chars() {
            match c {
                '{' => {
                    depth += 1;
                    part.push(c);
                }
                '}' => {
                    depth -= 1;
                    part.push(c);
                }
                ',' if depth == 0 => {
                    expand_use(&part, &base, out);
                    part.clear();
                }
                _ => part.push(c),
            }
        }
        if !part.trim().is_empty() {
            expand_use(&part, &base, out);
        }
    } else {
        let leaf = tree.split(" as ").next().unwrap_or(tree).trim();
        if !leaf.is_empty() {
            out.push(join(prefix, leaf));
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}::{b}"),
    }
}

/// The module file a path names, from module `from`: the deepest prefix that is a module of the crate.
fn resolve(
    path: &str,
    from: &[String],
    modules: &BTreeSet<Vec<String>>,
    own_children: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut abs, rest): (Vec<String>, &[&str]) = match segs.first().copied() {
        Some("crate") => (Vec::new(), &segs[1..]),
        Some("self") => (from.to_vec(), &segs[1..]),
        Some("super") => {
            let mut base = from.to_vec();
            let mut i = 0;
            while segs.get(i) == Some(&"super") {
                base.pop();
                i += 1;
            }
            (base, &segs[i..])
        }
        // A bare path starting at one of this module's own submodules (`use grid::X` after `mod grid;`).
        Some(first) if own_children.contains(first) => (from.to_vec(), &segs[..]),
        _ => return None,
    };
    let mut best = modules.contains(&abs).then(|| abs.clone());
    for s in rest {
        abs.push((*s).to_string());
        if modules.contains(&abs) {
            best = Some(abs.clone());
        } else {
            break;
        }
    }
    best
}

fn is_prefix(a: &[String], b: &[String]) -> bool {
    a.len() <= b.len() && a == &b[..a.len()]
}

/// Module-to-module imports inside one crate, between modules where neither contains the other.
fn module_edges(k: &Krate) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = k.dir.join("src");
    if !src.is_dir() {
        // Bench targets only: no module tree.
        return BTreeMap::new();
    }
    let files: Vec<PathBuf> = sources(k)
        .into_iter()
        .filter(|f| !is_test_file(f))
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for f in &files {
        let from = module_of(&src, f);
        // `main.rs` of the root package is its own crate (the binary); its modules are `cmd::*`.
        let code = without_tests(&code_only(&fs::read_to_string(f).expect("readable")));
        let children: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == from.len() + 1 && is_prefix(&from, m))
            .map(|m| m[from.len()].clone())
            .collect();
        for p in paths_named(&code) {
            if let Some(to) = resolve(&p, &from, &modules, &children) {
                if !is_prefix(&to, &from) && !is_prefix(&from, &to) {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        edges.entry(from).or_default();
    }
    edges
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct T<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.edges.get(v) {
            for w in ws {
                let Some((w, _)) = t.edges.get_key_value(w) else {
                    continue;
                };
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn show(k: &str, m: &[String]) -> String {
    if m.is_empty() {
        k.to_string()
    } else {
        format!("{k}::{}", m.join("::"))
    }
}

/// Every dependency edge that points up the layer order, as `crate -> dependency (table)`.
fn upward_dependencies() -> Vec<String> {
    let mut bad = Vec::new();
    for k in krates() {
        let me = layer(&k.name);
        for table in ["dependencies", "dev-dependencies"] {
            for d in deps(&k, table) {
                if let Some(other) = d.strip_prefix("stance-") {
                    if layer(other) >= me {
                        bad.push(format!("{} -> {other} ({table})", k.name));
                    }
                }
            }
        }
    }
    bad
}

/// `files` and every file they include with `#[path = "…"]` (resolved against the including file's folder), so a
/// module shared from another crate's folder counts as this crate's code.
fn with_path_includes(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out = files.clone();
    for f in &files {
        let text = fs::read_to_string(f).expect("readable");
        for part in text.split("#[path = \"").skip(1) {
            if let Some(rel) = part.split('"').next() {
                let p = f.parent().expect("a folder").join(rel);
                if p.is_file() && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Every dependency of a manifest that its code never names.
fn unused_dependencies() -> Vec<String> {
    let mut bad = Vec::new();
    for k in krates() {
        let read = |files: Vec<PathBuf>| -> String {
            with_path_includes(files)
                .iter()
                .map(|f| code_only(&fs::read_to_string(f).expect("readable")))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let lib = read(sources(&k));
        let dev = format!("{lib}\n{}", read(dev_sources(&k)));
        for (table, code) in [("dependencies", &lib), ("dev-dependencies", &dev)] {
            for d in deps(&k, table) {
                let ident = d.replace('-', "_");
                let used = [
                    format!("{ident}::"),
                    format!("use {ident}"),
                    format!("{ident} as "),
                ]
                .iter()
                .any(|needle| {
                    code.match_indices(needle.as_str()).any(|(i, _)| {
                        !code[..i]
                            .chars()
                            .last()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    })
                });
                if !used {
                    bad.push(format!("{}: {table}.{d}", k.name));
                }
            }
        }
    }
    bad
}

#[test]
fn no_layer_depends_on_one_above_it() {
    let bad = upward_dependencies();
    println!("upward dependencies between layers: {}", bad.len());
    for b in &bad {
        println!("  {b}");
    }
    assert!(bad.is_empty(), "upward dependencies: {bad:?}");
}

#[test]
fn no_two_modules_of_a_crate_import_each_other_in_a_cycle() {
    let mut all = Vec::new();
    let mut edges_total = 0;
    for k in krates() {
        let edges = module_edges(&k);
        edges_total += edges.values().map(BTreeSet::len).sum::<usize>();
        for c in cycles(&edges) {
            all.push(
                c.iter()
                    .map(|m| show(&k.name, m))
                    .collect::<Vec<_>>()
                    .join(" ↔ "),
            );
        }
    }
    println!(
        "module imports read: {edges_total}; import cycles between modules: {}",
        all.len()
    );
    for c in &all {
        println!("  {c}");
    }
    assert!(all.is_empty(), "import cycles: {all:#?}");
}

#[test]
fn every_dependency_is_used() {
    let bad = unused_dependencies();
    println!("unused dependencies: {}", bad.len());
    for b in &bad {
        println!("  {b}");
    }
    assert!(
        bad.is_empty(),
        "unused dependencies (remove them from Cargo.toml): {bad:?}"
    );
}

#[test]
fn the_checker_sees_a_cycle_an_upward_path_and_its_own_blind_spots() {
    // The parser itself: a `use` tree expands to its leaves, comments and strings are not code, test blocks go.
    let mut out = Vec::new();
    expand_use("super::{grid::{self, X}, tune}", "", &mut out);
    assert_eq!(out, ["super::grid::self", "super::grid::X", "super::tune"]);
    let code = code_only("let s = \"crate::eval\"; // use crate::report\nuse crate::x;");
    assert_eq!(paths_named(&code), ["crate::x", "crate::x"]);
    let code =
        without_tests("use crate::a;\n#[cfg(test)]\nmod tests { use crate::b; }\nuse crate::c;");
    assert!(
        !code.contains("crate::b") && code.contains("crate::c"),
        "{code}"
    );
    // Two sibling modules naming each other form one cycle; a child using its parent does not.
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("a")]));
    edges.insert(m("c"), BTreeSet::new());
    assert_eq!(cycles(&edges), vec![vec![m("a"), m("b")]]);
    let modules = BTreeSet::from([Vec::new(), m("a"), m("a::x"), m("b")]);
    assert_eq!(
        resolve("super::b::Thing", &m("a"), &modules, &BTreeSet::new()),
        Some(m("b"))
    );
    assert_eq!(
        resolve("crate::a::x::f", &m("b"), &modules, &BTreeSet::new()),
        Some(m("a::x"))
    );
    assert_eq!(
        resolve("std::fs", &m("b"), &modules, &BTreeSet::new()),
        None
    );
}
