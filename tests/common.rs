//! Helpers every test module uses: where the repository is, and its bundled fixtures.

use std::path::PathBuf;

/// The repository root (the `hcx-preflight` package).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a bundled snapshot under `fixtures/snapshots`, as a command-line argument.
pub fn fixture(name: &str) -> String {
    root().join("fixtures/snapshots").join(name).display().to_string()
}
