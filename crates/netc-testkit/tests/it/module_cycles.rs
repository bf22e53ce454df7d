//! No crate's modules depend on each other in a cycle (ARCHITECTURE.md):
//! a module reaches another through its `use` items (`crate::`,
//! `super::`, `self::` paths), and the graph of those edges has no
//! strongly connected component of two or more modules. Test modules
//! (`#[cfg(test)] mod tests`) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every crate's `src/`.
fn crate_sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("the crates folder")
        .map(|entry| entry.expect("a crate").path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.sort();
    sources
}

/// `a::b` for `src/a/b.rs` and `src/a/b/mod.rs`; `""` for the root.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder") {
            let path = entry.expect("a source file").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("below src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The paths of a `use` item's tree, braces expanded.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let (prefix, inner) = (&tree[..open], &tree[open + 1..tree.len() - 1]);
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter(|part| !part.is_empty())
        .flat_map(|part| expand(&format!("{prefix}{part}")))
        .collect()
}

/// The modules `source` (module `module`) uses, among `known`.
fn uses(module: &str, source: &str, known: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let code = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or(source);
    let here: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let mut edges = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |n| n + 1);
        let head = rest[line_start..at].trim();
        let end = rest[at..].find(';').map_or(rest.len(), |n| at + n);
        let item = &rest[at + 4..end];
        rest = &rest[end.min(rest.len())..];
        // A `use` item starts its line, after its visibility at most.
        if !(head.is_empty() || head.starts_with("pub")) {
            continue;
        }
        let tree: String = item.chars().filter(|c| !c.is_whitespace()).collect();
        for path in expand(&tree) {
            let mut segments: Vec<&str> = path.split("::").collect();
            let mut target: Vec<&str> = match segments.first() {
                Some(&"crate") => {
                    segments.remove(0);
                    Vec::new()
                }
                Some(&"super") | Some(&"self") => here.clone(),
                _ => continue,
            };
            for segment in segments {
                match segment {
                    "super" => {
                        target.pop();
                    }
                    "self" => {}
                    name => target.push(name.split(" as ").next().unwrap_or(name)),
                }
            }
            let resolved = (0..=target.len())
                .rev()
                .map(|n| target[..n].join("::"))
                .find(|candidate| known.contains_key(candidate));
            if let Some(resolved) = resolved.filter(|r| r != module) {
                edges.insert(resolved);
            }
        }
    }
    edges
}

/// The strongly connected components of two or more nodes (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        for target in &state.graph[node] {
            let target = target.as_str();
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.stack.contains(&target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                component.push(top.to_string());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut found = Vec::new();
    for src in crate_sources() {
        let known = modules(&src);
        let graph: BTreeMap<String, BTreeSet<String>> = known
            .iter()
            .map(|(module, path)| {
                let source = std::fs::read_to_string(path).expect("a source file");
                (module.clone(), uses(module, &source, &known))
            })
            .collect();
        for cycle in cycles(&graph) {
            let krate = src.parent().and_then(Path::file_name).unwrap_or_default();
            found.push(format!("{}: {}", krate.display(), cycle.join(" ↔ ")));
        }
    }
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

#[test]
fn a_cycle_is_found() {
    let known: BTreeMap<String, PathBuf> = ["", "a", "b", "c"]
        .into_iter()
        .map(|m| (m.to_string(), PathBuf::new()))
        .collect();
    let graph = BTreeMap::from([
        (String::new(), BTreeSet::new()),
        (
            "a".to_string(),
            uses("a", "use crate::b::{X, y::Z};", &known),
        ),
        (
            "b".to_string(),
            uses("b", "use super::a::W;\nuse crate::c;", &known),
        ),
        (
            "c".to_string(),
            uses("c", "pub(crate) use self::super::c::Q;", &known),
        ),
    ]);
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".to_string()]]);
}
