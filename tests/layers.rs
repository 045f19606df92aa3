//! The library's shape (issue #10): its top-level modules form layers, with no import cycle
//! between them, so that the tree reads like the pipeline (see the README's Layout); the
//! command line (clap) is the binary's alone; and no function is so long that it cannot be
//! read as a procedure of named steps.
//!
//! The graph is read from the sources as a reader would: `crate::X` anywhere in the files
//! of module `M` (`src/M.rs`, `src/M/**.rs`), also as an item of a `use crate::{X, Y::Z}`
//! group or in a doc link, is an edge `M -> X`. Paths through `super::` stay inside a module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::Span;
use syn::visit::{self, Visit};

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

/// The longest a function in `src/` may be, in lines from `fn` to its closing brace (its doc
/// comment and attributes not counted): a longer one is split into steps with names.
const MAX_FUNCTION_LINES: usize = 80;

/// A function longer than [`MAX_FUNCTION_LINES`]: where its `fn` is, and its length.
#[derive(Debug, PartialEq)]
struct LongFunction {
    name: String,
    line: usize,
    lines: usize,
}

/// Whether an item is test code: `#[test]` (or a runner's `#[tokio::test]`), or `#[cfg(test)]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        path.segments.last().is_some_and(|last| last.ident == "test")
            || (path.is_ident("cfg") && attr.parse_args::<syn::Ident>().is_ok_and(|arg| arg == "test"))
    })
}

/// Walks a file's items, skipping test code, and keeps the functions over the limit.
#[derive(Default)]
struct FunctionLengths {
    long: Vec<LongFunction>,
}

impl FunctionLengths {
    fn measure(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let (first, last) = (line_of(sig.fn_token.span), line_of(block.brace_token.span.close()));
        let lines = last - first + 1;
        if lines > MAX_FUNCTION_LINES {
            self.long.push(LongFunction { name: sig.ident.to_string(), line: first, lines });
        }
    }
}

fn line_of(span: Span) -> usize {
    span.start().line
}

impl<'ast> Visit<'ast> for FunctionLengths {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test(&item.attrs) {
            visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if !is_test(&item.attrs) {
            visit::visit_item_impl(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test(&item.attrs) {
            self.measure(&item.sig, &item.block);
            visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test(&item.attrs) {
            self.measure(&item.sig, &item.block);
            visit::visit_impl_item_fn(self, item);
        }
    }
}

/// The functions of a source file over [`MAX_FUNCTION_LINES`], test code left out.
fn long_functions(source: &str) -> syn::Result<Vec<LongFunction>> {
    let mut lengths = FunctionLengths::default();
    lengths.visit_file(&syn::parse_file(source)?);
    Ok(lengths.long)
}

#[test]
fn function_lengths_are_measured_from_fn_to_its_brace_without_test_code() {
    let body = |n: usize| "    step();\n".repeat(n);
    let source = format!(
        "/// doc\n#[inline]\npub fn long() {{\n{}}}\n\nfn fits() {{\n{}}}\n\
         struct S;\nimpl S {{\n    fn method(&self) {{\n{}    }}\n}}\n\
         #[test]\nfn a_test() {{\n{}}}\n#[cfg(test)]\nmod tests {{\n    fn helper() {{\n{}    }}\n}}\n",
        body(80),
        body(78),
        body(90),
        body(100),
        body(100),
    );
    let long = long_functions(&source).expect("parses");
    assert_eq!(
        long,
        vec![
            LongFunction { name: "long".into(), line: 3, lines: 82 },
            LongFunction { name: "method".into(), line: 168, lines: 92 },
        ]
    );
}

/// Issue #10: a function over [`MAX_FUNCTION_LINES`] becomes readable steps (helper functions
/// or small types); each one still too long is named with its file, line and length.
#[test]
fn no_function_in_src_is_over_80_lines() {
    let files = files_under(&root().join("src"), "rs");
    assert!(files.len() > 50, "the walk found the sources");
    let mut offences = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("read a source file");
        let relative = file.strip_prefix(root()).expect("under the root").display().to_string();
        let long = long_functions(&source).unwrap_or_else(|e| panic!("parse {relative}: {e}"));
        offences.extend(long.into_iter().map(|f| format!("  {relative}:{} {} is {} lines", f.line, f.name, f.lines)));
    }
    assert!(
        offences.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines (from `fn` to its closing brace; split them into steps):\n{}",
        offences.join("\n")
    );
}
