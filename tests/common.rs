//! Helpers every test module uses: where the repository is, its bundled fixtures, its sources.

use std::path::{Path, PathBuf};

/// The repository root (the `hcx-preflight` package).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a bundled snapshot under `fixtures/snapshots`, as a command-line argument.
pub fn fixture(name: &str) -> String {
    root().join("fixtures/snapshots").join(name).display().to_string()
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read a source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut found);
    found.sort();
    found
}
