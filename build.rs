//! Embeds every file under `policies/` (Rego, tests and data documents) into the
//! binary, so the tool runs from any directory with its built-in policy set, and
//! records the regorus version that `Cargo.lock` resolved (`HCX_REGORUS_VERSION`),
//! which decision records name.

use std::fmt::Write;
use std::path::{Path, PathBuf};

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

fn main() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let regorus = locked_version(&lock, "regorus").unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HCX_REGORUS_VERSION={regorus}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut code = String::from("/// Every built-in policy file: (path inside the bundle, contents).\npub const BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).expect("under policies/").to_string_lossy().replace('\\', "/");
        writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).expect("write to string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_policies.rs");
    std::fs::write(out, code).expect("write builtin_policies.rs");
}
