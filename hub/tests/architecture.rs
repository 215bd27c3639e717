//! The shape of `hub/src`, read from its `crate::` paths (imports and inline paths alike):
//! - a capability never reaches the wiring (`app`, `wiring`, `plan`, `demo`, `alerts`,
//!   `appliance`);
//! - only a capability's HTTP edge (`api.rs`, `*_api.rs`, `*_ws.rs`) touches `web`;
//! - the mechanism modules (`web`, `store`, `clock`, `config`, `ratelimit`, `secret`,
//!   `notify`, `platform`) know no capability;
//! - one capability reaches another only through its front door: `crate::<cap>::<Item>`,
//!   where the item is not one of its modules;
//! - capabilities depend on each other without a cycle;
//! - no source file is over 600 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CAPABILITIES: &[&str] = &[
    "team",
    "chat",
    "bookings",
    "weather",
    "scenarios",
    "devices",
    "broker",
    "push",
    "reception",
    "frontdesk",
    "calls",
    "scans",
    "cloud",
    "messengers",
    "updates",
    "gpio",
];
const WIRING: &[&str] = &["app", "wiring", "plan", "demo", "alerts", "appliance"];
const MECHANISM: &[&str] = &[
    "web",
    "store",
    "clock",
    "config",
    "ratelimit",
    "secret",
    "notify",
    "platform",
    "markup",
    "language",
    "inbound",
    "sealing",
];
const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("hub/src is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`chat` for `chat/api.rs`, `app` for `app.rs`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under hub/src");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

fn is_http_edge(file: &Path) -> bool {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name == "api.rs" || name.ends_with("_api.rs") || name.ends_with("_ws.rs")
}

/// The modules of a capability: its files and folders.
fn submodules(capability: &str) -> BTreeSet<String> {
    std::fs::read_dir(src().join(capability))
        .expect("a capability folder")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .filter(|n| n != "mod")
        .collect()
}

/// Code without comment lines.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::…` path in `code`, braces expanded: `crate::a::{b, c::D}` gives
/// `[a, b]` and `[a, c, D]`.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let (paths, used) = path_tree(rest);
        out.extend(paths);
        rest = &rest[used..];
    }
    out
}

/// Reads `a::b::{c, d::e}` from the start of `s`: the paths and the bytes read.
fn path_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = 0;
    let bytes = s.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(s[start..i].to_owned());
        }
        if s[i..].starts_with("::{") {
            i += 3;
            let mut paths = Vec::new();
            loop {
                while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    i += 1;
                    break;
                }
                let (inner, used) = path_tree(&s[i..]);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p);
                    paths.push(full);
                }
                i += used.max(1);
                while i < bytes.len() && (bytes[i] == b',' || (bytes[i] as char).is_whitespace()) {
                    i += 1;
                }
            }
            return (paths, i);
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        // `self` in a group names the prefix itself; `as x` renames don't matter here.
        if prefix.last().is_some_and(|p| p == "self") {
            prefix.pop();
        }
        while s[i..].starts_with(" as ") {
            i += 4;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
        }
        return (vec![prefix], i);
    }
}

struct Edge {
    file: String,
    path: String,
    from: String,
    to: String,
    second: Option<String>,
}

fn edges() -> Vec<Edge> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let from = module_of(&file);
        let rel = file
            .strip_prefix(src())
            .expect("under hub/src")
            .display()
            .to_string();
        for path in crate_paths(&code(&text)) {
            let Some(to) = path.first().cloned() else {
                continue;
            };
            out.push(Edge {
                file: rel.clone(),
                path: format!("crate::{}", path.join("::")),
                from: from.clone(),
                to,
                second: path.get(1).cloned(),
            });
        }
    }
    out
}

#[test]
fn paths_are_read_with_their_groups() {
    let paths = crate_paths("use crate::team::{self, Member, staff_api::{Staff as S, X}};\nlet x = crate::clock::stamp(now);\nsubcrate::no");
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "team",
            "team::Member",
            "team::staff_api::Staff",
            "team::staff_api::X",
            "clock::stamp"
        ]
    );
}

#[test]
fn capabilities_keep_to_their_front_doors_and_the_web_stays_mechanism() {
    let mut faults = Vec::new();
    for e in edges() {
        let from_capability = CAPABILITIES.contains(&e.from.as_str());
        let to_capability = CAPABILITIES.contains(&e.to.as_str());
        if from_capability && WIRING.contains(&e.to.as_str()) {
            faults.push(format!("{}: {} reaches the wiring", e.file, e.path));
        }
        if from_capability && e.to == "web" && !is_http_edge(Path::new(&e.file)) {
            faults.push(format!(
                "{}: {} is HTTP outside the capability's api/ws files",
                e.file, e.path
            ));
        }
        if MECHANISM.contains(&e.from.as_str()) && to_capability {
            faults.push(format!(
                "{}: {} makes mechanism know a capability",
                e.file, e.path
            ));
        }
        if from_capability && to_capability && e.from != e.to {
            let private = e
                .second
                .as_ref()
                .is_some_and(|s| submodules(&e.to).contains(s));
            if private {
                faults.push(format!(
                    "{}: {} goes past {}'s front door",
                    e.file, e.path, e.to
                ));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn capabilities_depend_on_each_other_without_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in edges() {
        if CAPABILITIES.contains(&e.from.as_str())
            && CAPABILITIES.contains(&e.to.as_str())
            && e.from != e.to
        {
            graph.entry(e.from).or_default().insert(e.to);
        }
    }
    // Depth-first search with colours: grey on the stack, black done.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, bool>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(true) => {
                let at = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[at..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            Some(false) => return None,
            None => {}
        }
        state.insert(node.to_owned(), true);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(node.to_owned(), false);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, &graph, &mut state, &mut stack) {
            panic!("capabilities in a cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn every_source_file_reads_in_one_sitting() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > MAX_LINES).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The OpenAPI document has one namespace of schemas: two types documented under one name
/// overwrite each other, and clients then validate one's answers against the other's
/// shape. A second type of a name takes `#[schema(as = …)]`.
#[test]
fn documented_types_have_names_of_their_own() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            let mut renamed = None;
            for next in lines.iter().skip(i + 1).take(6) {
                let t = next.trim_start();
                if let Some(rest) = t.strip_prefix("#[schema(as = ") {
                    renamed = Some(rest.trim_end_matches(")]").to_owned());
                }
                let item = t.strip_prefix("pub ").unwrap_or(t);
                let item = item.strip_prefix("pub(super) ").unwrap_or(item);
                let Some(rest) = item
                    .strip_prefix("struct ")
                    .or_else(|| item.strip_prefix("enum "))
                else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let name = renamed.take().unwrap_or(name);
                if let Some(first) = seen.insert(name.clone(), file.clone()) {
                    panic!(
                        "the schema {name} is documented twice: {} and {}",
                        first.display(),
                        file.display()
                    );
                }
                break;
            }
        }
    }
    assert!(
        seen.len() > 50,
        "only {} documented types found",
        seen.len()
    );
}
