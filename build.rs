//! Embeds every file under `policies/` (Rego, tests and data documents) into the
//! binary, so the tool runs from any directory with its built-in policy set; compiles
//! the built-in set's rules (the report, the attested facts) to a regorus RVM program (`BUILTIN_COMPILED`), so
//! that a check without organisation policies neither parses nor compiles Rego at
//! start-up; and records the regorus version that `Cargo.lock` resolved
//! (`HCX_REGORUS_VERSION`), which decision records name.
//!
//! The program is compiled from the same text the library compiles at run time: the
//! import references written in full and the generated entrypoint part come from the
//! library's own files (included below). Where the set does not compile here, the
//! build goes on without a program (with a warning) and the run time compiles it and
//! reports why. `tests/precompiled.rs` checks that both give the same program results.

// The library uses all of it; build.rs only what writes the module.
#[allow(dead_code)]
#[path = "src/policy/entrypoint/text.rs"]
mod entrypoint_text;
#[path = "src/policy/imports.rs"]
mod imports;
#[path = "src/findings/kb.rs"]
mod kb;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use regorus::languages::rego::compiler::Compiler;
use sha2::{Digest, Sha256};

/// The compiled built-in set: the serialized program, the generated entrypoint text and
/// (origin, dotted package) of each module.
struct Compiled {
    program: Vec<u8>,
    generated: String,
    packages: Vec<(String, String)>,
}

/// Compile the built-in modules (bundle path, text) as `policy::PolicySet::load` does.
fn compile(modules: &[(String, String)], data_files: &[String]) -> Result<Compiled, String> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    for (bundle_path, text) in modules {
        let origin = format!("policies/{bundle_path}");
        let text = imports::inline(&origin, text).unwrap_or_else(|| text.clone());
        engine.add_policy(origin, text).map_err(|e| format!("{e:#}"))?;
    }
    let components = engine.get_policy_package_components().map_err(|e| format!("{e:#}"))?;
    let mut names = BTreeSet::new();
    for p in &components {
        if entrypoint_text::needs_rule_names(&p.components) {
            return Err(format!("{} defines rule packages through its rule heads (read at run time)", p.source_file));
        }
        entrypoint_text::names_of_module(&p.components, &[], &mut names);
    }
    if let Some(d) = data_files.iter().find(|d| d.starts_with("hcx/rules/")) {
        return Err(format!("the data document {d} sits under hcx.rules (read at run time)"));
    }
    let generated = entrypoint_text::text(&names, kb::KB_URL_PREFIX);
    engine
        .add_policy(entrypoint_text::ORIGIN.to_string(), generated.clone())
        .map_err(|e| format!("{e:#}"))?;
    let rules = entrypoint_text::PROGRAM_RULES;
    let compiled = engine.compile_with_entrypoint(&rules[0].into()).map_err(|e| format!("{e:#}"))?;
    let program = Compiler::compile_from_policy(&compiled, &rules).map_err(|e| format!("{e}"))?;
    // The Rego texts the program carries for error messages are left out: an evaluation
    // the RVM fails is evaluated again by the interpreter, which has them (and reports).
    let mut program = (*program).clone();
    program.sources.clear();
    Ok(Compiled {
        program: program.serialize_binary()?,
        generated,
        packages: components.into_iter().map(|p| (p.source_file, p.components.join("."))).collect(),
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("rego" | "json" | "yaml" | "yml")) {
            out.push(p);
        }
    }
}

/// The version of `name` that `Cargo.lock` resolved (the lock file is TOML; one
/// `[[package]]` table per package, `name` before `version`).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let next = lines.next()?.trim();
            return next.strip_prefix("version = \"")?.strip_suffix('"').map(str::to_string);
        }
    }
    None
}

/// One built-in policy file: its path inside the bundle, where it is, its contents.
struct PolicyFile {
    rel: String,
    path: PathBuf,
    text: String,
}

/// Every file under `policies/`, read once.
fn policy_files(root: &Path) -> Vec<PolicyFile> {
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths
        .into_iter()
        .map(|path| PolicyFile {
            rel: path.strip_prefix(root).expect("under policies/").to_string_lossy().replace('\\', "/"),
            text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
            path,
        })
        .collect()
}

/// `BUILTIN_FILES`, every file embedded with its bundle path.
fn embed(files: &[PolicyFile], code: &mut String) {
    code.push_str("/// Every built-in policy file: (path inside the bundle, contents).\npub const BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.path.display());
        writeln!(code, "    ({:?}, include_str!({:?})),", f.rel, f.path.display().to_string()).expect("write to string");
    }
    code.push_str("];\n");
}

/// `BUILTIN_SHA256`: the digest of those files as `check::rests_on` frames them (path NUL
/// text NUL), written once here instead of hashing 140 KB in every decision; a test
/// compares the two.
fn digest(files: &[PolicyFile], code: &mut String) {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.rel.as_bytes());
        h.update(b"\0");
        h.update(f.text.as_bytes());
        h.update(b"\0");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    writeln!(code, "\n/// SHA-256 of BUILTIN_FILES, each (path, contents) framed by NULs.\npub const BUILTIN_SHA256: &str = {hex:?};").expect("write to string");
}

/// `BUILTIN_COMPILED`: the program, its generated entrypoint text (both written to
/// `out_dir`) and the packages, or `None` with a build warning.
fn precompile(files: &[PolicyFile], out_dir: &Path, code: &mut String) {
    let modules: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.rel.ends_with(".rego") && !f.rel.ends_with("_test.rego"))
        .map(|f| (f.rel.clone(), f.text.clone()))
        .collect();
    let data_files: Vec<String> = files.iter().filter(|f| !f.rel.ends_with(".rego")).map(|f| f.rel.clone()).collect();
    code.push_str("\n/// The built-in set compiled by build.rs, or `None` where it did not compile there.\npub const BUILTIN_COMPILED: Option<Precompiled> = ");
    match compile(&modules, &data_files) {
        Ok(c) => {
            let program = out_dir.join("builtin.rvm");
            let generated = out_dir.join("builtin_generated.rego");
            std::fs::write(&program, &c.program).expect("write builtin.rvm");
            std::fs::write(&generated, &c.generated).expect("write builtin_generated.rego");
            writeln!(
                code,
                "Some(Precompiled {{\n    program: include_bytes!({:?}),\n    generated: include_str!({:?}),\n    packages: &{:?},\n}});",
                program.display().to_string(),
                generated.display().to_string(),
                c.packages
            )
            .expect("write to string");
        }
        Err(why) => {
            println!("cargo:warning=the built-in policies are compiled at run time: {}", why.lines().next().unwrap_or(""));
            code.push_str("None;\n");
        }
    }
}

fn main() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let regorus = locked_version(&lock, "regorus").unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HCX_REGORUS_VERSION={regorus}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    println!("cargo:rerun-if-changed=policies");
    let files = policy_files(&root);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let mut code = String::new();
    embed(&files, &mut code);
    digest(&files, &mut code);
    precompile(&files, &out_dir, &mut code);
    std::fs::write(out_dir.join("builtin_policies.rs"), code).expect("write builtin_policies.rs");
}
