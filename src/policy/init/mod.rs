//! `policy init DIR`: an organisation policy folder, ready to edit.
//!
//! It holds an example rule (`acme-change-window`, package `hcx.rules.acme`, using
//! the `data.hcx.lib` helpers and two organisation thresholds), its unit tests, its
//! catalog entry at `hcx/catalog/data.json` (the folder is the data path, so it
//! becomes `data.hcx.catalog`), the organisation's parameters at
//! `hcx/params/data.json`, and an example `hcx-preflight.toml`. Existing files are
//! never overwritten: if any target exists, nothing is written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The files written, relative to DIR, and their contents.
pub const FILES: &[(&str, &str)] = &[
    ("acme/change_window.rego", include_str!("template/acme/change_window.rego")),
    ("acme/change_window_test.rego", include_str!("template/acme/change_window_test.rego")),
    ("hcx/catalog/data.json", include_str!("template/hcx/catalog/data.json")),
    ("hcx/params/data.json", include_str!("template/hcx/params/data.json")),
    ("hcx-preflight.toml", include_str!("template/hcx-preflight.toml")),
];

/// Why the folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("refusing to overwrite what exists: {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists(Vec<PathBuf>),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Write the example folder into `dir` (created if missing); returns the files written.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let targets: Vec<PathBuf> = FILES.iter().map(|(rel, _)| dir.join(rel)).collect();
    let existing: Vec<PathBuf> = targets.iter().filter(|p| p.exists()).cloned().collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    for (path, (_, text)) in targets.iter().zip(FILES) {
        let io = |source| InitError::Io { path: path.clone(), source };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // create_new: a file that appeared since the check above is still not overwritten.
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_once_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let written = init(dir.path()).unwrap();
        assert_eq!(written.len(), FILES.len());
        std::fs::write(dir.path().join("hcx-preflight.toml"), "# mine\n").unwrap();
        std::fs::remove_file(dir.path().join("acme/change_window.rego")).unwrap();
        match init(dir.path()) {
            Err(InitError::Exists(paths)) => assert_eq!(paths.len(), FILES.len() - 1),
            other => panic!("{other:?}"),
        }
        assert!(!dir.path().join("acme/change_window.rego").exists(), "wrote a file although others existed");
        assert_eq!(std::fs::read_to_string(dir.path().join("hcx-preflight.toml")).unwrap(), "# mine\n");
    }
}
