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

/// Every file under `dir` (at any depth) whose extension is `extension`, sorted.
pub fn files_under(dir: &Path, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, extension, found);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, extension, &mut found);
    found.sort();
    found
}
