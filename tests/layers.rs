//! The library's shape (issue #10): its top-level modules form layers, with no import cycle
//! between them, so that the tree reads like the pipeline (see the README's Layout); and
//! the command line (clap) is the binary's alone.
//!
//! The graph is read from the sources as a reader would: `crate::X` anywhere in the files
//! of module `M` (`src/M.rs`, `src/M/**.rs`), also as an item of a `use crate::{X, Y::Z}`
//! group or in a doc link, is an edge `M -> X`. Paths through `super::` stay inside a module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{files_under, root};

/// The library's top-level modules, as `src/lib.rs` declares them.
fn modules(src: &Path) -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> &str {
    &text[..text.find(|c| !is_ident(c)).unwrap_or(text.len())]
}

/// The first name of each item of a `crate::{...}` group (`text` starts after the `{`).
fn group_heads(text: &str) -> Vec<&str> {
    let (mut depth, mut at_item, mut heads) = (1, true, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => break,
            '}' => depth -= 1,
            ',' if depth == 1 => at_item = true,
            c if at_item && depth == 1 && is_ident(c) => {
                heads.push(ident(&text[i..]));
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

/// Every name that `text` reaches through `crate::` (the first segment after it).
fn crate_refs(text: &str) -> BTreeSet<&str> {
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(is_ident) {
            continue; // `hcx_crate::`, not this crate
        }
        let rest = &text[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => found.extend(group_heads(group)),
            None => {
                found.insert(ident(rest));
            }
        }
    }
    found
}

/// The edges between the library's top-level modules, with the files that make each.
fn module_graph() -> BTreeMap<(String, String), BTreeSet<PathBuf>> {
    let src = root().join("src");
    let modules = modules(&src);
    let mut edges: BTreeMap<(String, String), BTreeSet<PathBuf>> = BTreeMap::new();
    for file in files_under(&src, "rs") {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a path").as_os_str().to_string_lossy();
        let from = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if !modules.contains(&from) {
            continue; // lib.rs, and the binary (main.rs, cli/)
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for to in crate_refs(&text).into_iter().filter(|to| modules.contains(*to) && *to != from) {
            edges.entry((from.clone(), to.to_string())).or_default().insert(relative.to_path_buf());
        }
    }
    edges
}

/// Whether `from` reaches `to` along `edges`.
fn reaches(edges: &BTreeMap<(String, String), BTreeSet<PathBuf>>, from: &str, to: &str) -> bool {
    let (mut seen, mut todo) = (BTreeSet::new(), vec![from]);
    while let Some(m) = todo.pop() {
        if m == to {
            return true;
        }
        if seen.insert(m) {
            todo.extend(edges.keys().filter(|(a, _)| a == m).map(|(_, b)| b.as_str()));
        }
    }
    false
}

#[test]
fn crate_paths_are_read_with_their_use_groups() {
    let text = "use crate::{check::{judge, LoadedSnapshot}, plan};\n/// [`crate::report`]\nlet t = crate::text::plural(1, \"a\", \"b\"); hcx_crate::x";
    assert_eq!(crate_refs(text), BTreeSet::from(["check", "plan", "report", "text"]));
}

/// An edge `a -> b` lies on a cycle exactly when `b` reaches `a`: every such edge is named,
/// with the files that make it.
#[test]
fn the_library_modules_have_no_import_cycle() {
    let edges = module_graph();
    assert!(edges.len() > 30, "the walk found the module graph: {edges:?}");
    let on_cycles: Vec<String> = edges
        .iter()
        .filter(|((a, b), _)| reaches(&edges, b, a))
        .map(|((a, b), files)| format!("  {a} -> {b}: {}", files.iter().map(|f| format!("src/{}", f.display())).collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(
        on_cycles.is_empty(),
        "import cycles between the library's top-level modules; each edge on a cycle, with the files that make it:\n{}",
        on_cycles.join("\n")
    );
}

/// The library takes plain options and enums: clap's argument types and value enums are the
/// command layer's (`src/cli/`, `src/main.rs`), which parses into them.
#[test]
fn only_the_command_layer_knows_clap() {
    let src = root().join("src");
    let files = files_under(&src, "rs");
    let command_layer = |p: &Path| p.starts_with(src.join("cli")) || p == src.join("main.rs");
    let offences: Vec<String> = files
        .iter()
        .filter(|p| !command_layer(p))
        .filter(|p| std::fs::read_to_string(p).expect("read a source file").to_lowercase().contains("clap"))
        .map(|p| p.strip_prefix(&root()).expect("under the root").display().to_string())
        .collect();
    assert!(files.len() > 50, "the walk found the sources");
    assert!(offences.is_empty(), "clap outside the command layer: {}", offences.join(", "));
}
