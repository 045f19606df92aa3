//! The command layer's habits: exit codes, a closed pipe, and (as they land) the
//! global flags, completions, man page and version.

use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `hcx-preflight schema | head -0`: the reader is gone before the first byte is
/// written; the command ends quietly with 0, as ripgrep does.
#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("hcx-preflight"))
        .current_dir(root())
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}
