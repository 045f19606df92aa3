//! The audit log: every `upgrade` and `verify` appends JSON lines (who, when, site,
//! target, phase, decision digest, result) to a file created with owner-only
//! permissions, for what it did and for every step refused or failed (no
//! confirmation, a manager that cannot be reached, a refused approved decision). Each line is written with a single `write` on a file
//! opened for appending, so concurrent runs do not interleave lines.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::findings::Verdict;

/// The default log file, in the working directory.
pub const DEFAULT_FILE: &str = "hcx-preflight-audit.jsonl";

/// One audit record.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub at: String,
    /// The local user and host that ran the command.
    pub who: String,
    /// `upgrade` or `verify`.
    pub command: String,
    pub site: Option<String>,
    pub target: String,
    pub phase: String,
    /// `allow` or `deny`, when a decision was made.
    pub decision: Option<Verdict>,
    /// SHA-256 of the decision record's JSON.
    pub decision_sha256: Option<String>,
    /// What happened.
    pub result: AuditResult,
    pub message: Option<String>,
}

/// What an audit line records (written in kebab case: `dry-run`, `not-back`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditResult {
    /// The gate denied: nothing was sent to HCX.
    Denied,
    /// The gate allowed a phase no API starts (the Service Mesh): nothing was sent.
    Allowed,
    /// An approved `--decision` no longer matches the estate.
    DecisionRefused,
    /// The upgrade was refused before anything was sent: no confirmation (no terminal
    /// and no `--yes`), or no manager below the target.
    Refused,
    DryRun,
    /// The operator answered no to the confirmation.
    Cancelled,
    /// A manager's upgrade: done, failed, API not offered, not back after its reboot,
    /// not finished in time, an error, or not started because an earlier one failed.
    /// `Failed` without a site: a step before any decision failed (a manager that cannot
    /// be reached, an evaluation that fails); the message says why.
    Success,
    Failed,
    NotOffered,
    NotBack,
    TimedOut,
    Error,
    NotStarted,
    /// The verify after an upgrade (or `verify`): allowed, or problems found.
    Verified,
    VerifyDenied,
    /// `upgrade --to`: the route planned (or its dry run), a Service Mesh that lags or
    /// is to be upgraded by hand, a hop through the UI, a hop's end.
    RoutePlanned,
    RouteDryRun,
    RefusedMeshLagging,
    MeshStepByHand,
    UiRequired,
    HopManagersDone,
    HopDenied,
    HopFailed,
}

/// Who runs this process: `user@host`.
pub fn who() -> String {
    let user = whoami::username();
    let host = whoami::fallible::hostname().unwrap_or_else(|_| "unknown-host".into());
    format!("{user}@{host}")
}

/// An append-only audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: &Path) -> Self {
        AuditLog { path: path.to_path_buf() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one entry as one line.
    pub fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&self.path)?;
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        file.write_all(&line)?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_lines_to_an_owner_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("audit.jsonl"));
        let e = Entry {
            at: "2026-11-29T09:00:00Z".into(),
            who: who(),
            command: "verify".into(),
            site: Some("source".into()),
            target: "4.4.0".into(),
            phase: "verify".into(),
            decision: Some(Verdict::Allow),
            decision_sha256: None,
            result: AuditResult::Verified,
            message: None,
        };
        log.append(&e).unwrap();
        log.append(&e).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["result"], "verified");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(log.path()).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
