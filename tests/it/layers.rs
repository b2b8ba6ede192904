//! The floors of ARCHITECTURE.md, kept: every file under `src/` imports only from its own
//! floor or below, no two files import each other (directly or through others), and every
//! file is named by a row of the table. The table is read from ARCHITECTURE.md itself, so
//! the page and the check cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// A source file's module key: its path under `src/` without `.rs` (`sql/text`,
/// `ops/mod`, `lib`).
type Key = String;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn source_files(dir: &Path, base: &Path, out: &mut BTreeMap<Key, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(base).unwrap().with_extension("");
            let key = rel.to_string_lossy().replace('\\', "/");
            out.insert(key, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The floor table: (pattern, floor), a pattern being a key or `dir/*`.
fn floors() -> Vec<(String, u32)> {
    let page = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let row = Regex::new(r"^\|\s*(\d+)\s*\|([^|]*)\|").unwrap();
    let name = Regex::new(r"`([^`]+)`").unwrap();
    let mut out = Vec::new();
    for line in page.lines() {
        if let Some(c) = row.captures(line) {
            let floor: u32 = c[1].parse().unwrap();
            for n in name.captures_iter(&c[2]) {
                out.push((n[1].to_string(), floor));
            }
        }
    }
    assert!(
        out.len() > 20,
        "ARCHITECTURE.md's floor table was not found"
    );
    out
}

/// The floor of a file: its own row, else the longest `dir/*` row above it.
fn floor_of(key: &str, table: &[(String, u32)]) -> Option<u32> {
    if let Some((_, f)) = table.iter().find(|(p, _)| p == key) {
        return Some(*f);
    }
    table
        .iter()
        .filter_map(|(p, f)| {
            let dir = p.strip_suffix("/*")?;
            key.starts_with(&format!("{dir}/"))
                .then_some((dir.len(), *f))
        })
        .max()
        .map(|(_, f)| f)
}

/// The module path of a key: `sql/text` -> [sql, text]; `ops/mod` -> [ops]; `lib` -> [].
fn module_path(key: &str) -> Vec<String> {
    let mut parts: Vec<String> = key.split('/').map(str::to_string).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file that defines the longest prefix of `segments`.
fn resolve(segments: &[String], keys: &BTreeSet<Key>) -> Option<Key> {
    (1..=segments.len()).rev().find_map(|n| {
        let joined = segments[..n].join("/");
        [joined.clone(), format!("{joined}/mod")]
            .into_iter()
            .find(|k| keys.contains(k))
    })
}

/// `a::{b, c::{d, e}}` as the paths it names.
fn expand(prefix: &[String], body: &str) -> Vec<Vec<String>> {
    let body = body.trim();
    if let Some(open) = body.find('{') {
        let head: Vec<String> = body[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let inner = &body[open + 1..body.rfind('}').unwrap()];
        let mut items = Vec::new();
        let (mut depth, mut current) = (0, String::new());
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if ch == ',' && depth == 0 {
                items.push(std::mem::take(&mut current));
            } else {
                current.push(ch);
            }
        }
        items.push(current);
        let base: Vec<String> = prefix.iter().cloned().chain(head).collect();
        return items
            .iter()
            .filter(|i| !i.trim().is_empty())
            .flat_map(|i| expand(&base, i))
            .collect();
    }
    let path = body.split(" as ").next().unwrap();
    let mut out = prefix.to_vec();
    out.extend(path.split("::").map(|s| s.trim().to_string()));
    vec![out]
}

/// The files that `key` imports, by `use`, by path, by `super::` and by a parent naming
/// its own child module. Test modules are left out: a test may reach anywhere.
fn imports(key: &str, text: &str, keys: &BTreeSet<Key>) -> BTreeSet<Key> {
    let text = text.split("#[cfg(test)]").next().unwrap();
    let comment = Regex::new(r"(?m)//.*$").unwrap();
    let text = comment.replace_all(text, "");
    let own = module_path(key);
    let parent: Vec<String> = own[..own.len().saturating_sub(1)].to_vec();
    let mut found = BTreeSet::new();
    let mut add = |segments: Vec<String>| {
        if let Some(k) = resolve(&segments, keys) {
            if k != key {
                found.insert(k);
            }
        }
    };
    let use_stmt = Regex::new(r"(?s)\buse\s+(crate|tandem|super|self)::([^;]*);").unwrap();
    for c in use_stmt.captures_iter(&text) {
        let base: Vec<String> = match &c[1] {
            "super" => parent.clone(),
            "self" => own.clone(),
            _ => Vec::new(),
        };
        for path in expand(&base, &c[2]) {
            add(path);
        }
    }
    let rest = use_stmt.replace_all(&text, "");
    let path = Regex::new(r"\b(crate|tandem|super)::((?:\w+::)*\w+)").unwrap();
    for c in path.captures_iter(&rest) {
        let mut segments = if &c[1] == "super" {
            parent.clone()
        } else {
            Vec::new()
        };
        segments.extend(c[2].split("::").map(str::to_string));
        add(segments);
    }
    let child_decl = Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;").unwrap();
    for c in child_decl.captures_iter(&text) {
        let child = &c[1];
        if names_child(&rest, child) || text.contains(&format!("use {child}::")) {
            let mut segments = own.clone();
            segments.push(child.to_string());
            add(segments);
        }
    }
    found
}

/// Whether `text` reaches into `child` by a relative path (`child::item`), not as the
/// tail of a longer path (`other::child::item`).
fn names_child(text: &str, child: &str) -> bool {
    let needle = format!("{child}::");
    text.match_indices(&needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let relative = !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            || text[..at].ends_with("self::");
        let after = text[at + needle.len()..].chars().next();
        relative && after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '{')
    })
}

/// The import graph of `src/`, read once for every test.
fn graph() -> &'static BTreeMap<Key, BTreeSet<Key>> {
    static GRAPH: std::sync::OnceLock<BTreeMap<Key, BTreeSet<Key>>> = std::sync::OnceLock::new();
    GRAPH.get_or_init(read_graph)
}

fn read_graph() -> BTreeMap<Key, BTreeSet<Key>> {
    let mut files = BTreeMap::new();
    let src = root().join("src");
    source_files(&src, &src, &mut files);
    let keys: BTreeSet<Key> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(k, text)| (k.clone(), imports(k, text, &keys)))
        .collect()
}

/// Strongly connected components of more than one file (Tarjan).
fn loops(graph: &BTreeMap<Key, BTreeSet<Key>>) -> Vec<Vec<Key>> {
    struct State<'a> {
        graph: &'a BTreeMap<Key, BTreeSet<Key>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<Key>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn every_import_points_down_a_floor() {
    let table = floors();
    let graph = graph();
    let mut problems = Vec::new();
    for (file, deps) in graph {
        let Some(floor) = floor_of(file, &table) else {
            problems.push(format!(
                "src/{file}.rs is on no floor: add it to the table in ARCHITECTURE.md"
            ));
            continue;
        };
        for dep in deps {
            let dep_floor = floor_of(dep, &table).unwrap_or(u32::MAX);
            if dep_floor > floor {
                problems.push(format!(
                    "src/{file}.rs (floor {floor}) imports src/{dep}.rs (floor {dep_floor}): \
                     move the name it needs down, or the file up"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let found = loops(graph());
    let shown: Vec<String> = found.iter().map(|c| c.join(" -> ")).collect();
    assert!(
        found.is_empty(),
        "import loops between files:\n{}",
        shown.join("\n")
    );
}

/// The reader itself: it must see the imports written each way, or the two checks above
/// would pass on a graph with no edges.
#[test]
fn the_reader_sees_every_kind_of_import() {
    let keys: BTreeSet<Key> = ["a/mod", "a/b", "a/c", "d", "e/f", "lib"]
        .into_iter()
        .map(str::to_string)
        .collect();
    let text = "mod b;\nmod c;\nuse crate::d::{x, y as z};\nfn f() { crate::e::f::g(); b::h(); }\n\
                #[cfg(test)]\nmod tests { use crate::lib_only; }";
    let found = imports("a/mod", text, &keys);
    assert_eq!(
        found,
        ["a/b", "d", "e/f"]
            .into_iter()
            .map(str::to_string)
            .collect()
    );
    let child = imports(
        "a/c",
        "use super::{b::Thing};\nfn g() { super::b::k() }",
        &keys,
    );
    assert_eq!(child, ["a/b"].into_iter().map(str::to_string).collect());
    let graph = graph();
    assert!(
        graph["ops/mod"].contains("ops/add_column"),
        "{:?}",
        graph["ops/mod"]
    );
    assert!(graph.values().map(BTreeSet::len).sum::<usize>() > 200);
}
