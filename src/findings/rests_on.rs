//! What a decision rests on: the `rests_on` object of the decision record (issue #11), as
//! data. It states the snapshot judged (path, digest, collection time, age at evaluation),
//! the policy set and config (paths, digests), each site's current and target version, the
//! effective thresholds against their defaults, severity overrides and disabled rules,
//! every attestation (used, or lapsed and ignored), every fact that was unknown, and the
//! tool and regorus versions. The `check` module assembles it once per judgement; the reports
//! only render it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::snapshot::Role;

use super::Severity;

/// Everything a decision rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestsOn {
    pub snapshot: SnapshotBasis,
    pub policies: PolicyBasis,
    /// The organisation config; `null` without one.
    pub config: Option<FileDigest>,
    /// Collected sites in snapshot order, then peers seen only through a site pair (by name).
    pub sites: Vec<SiteBasis>,
    /// Every effective threshold, by name.
    pub thresholds: BTreeMap<String, Threshold>,
    /// Rules whose severity the config changed, by rule id.
    pub severity_overrides: Vec<SeverityOverride>,
    /// Rules the config disabled, sorted.
    pub disabled_rules: Vec<String>,
    /// Every attestation, used or lapsed, sorted by fact.
    pub attestations: Vec<AttestationBasis>,
    /// Every fact that was unknown, sorted by fact.
    pub unknown_facts: Vec<UnknownFact>,
    pub tool: ToolBasis,
}

/// The snapshot judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotBasis {
    /// As given on the command line (`-` for stdin); `null` when collected in-process and not saved.
    pub path: Option<String>,
    /// SHA-256 of the snapshot as judged (= `snapshot_sha256`; with `--attest`, the
    /// document with the attestations applied, as `--save-snapshot` writes it).
    pub sha256: String,
    pub collected_at: String,
    /// Seconds from `collected_at` to the evaluation time (negative: collected after it).
    pub age_seconds: i64,
}

/// A file or directory and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

/// The policy set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyBasis {
    /// SHA-256 over every built-in policy file (bundle path and text) of this build.
    pub builtin_sha256: String,
    /// Each `--policy-dir`, in load order, with a SHA-256 over its Rego and data files.
    pub dirs: Vec<FileDigest>,
    /// SHA-256 of the whole set with the config (= `policy_sha256`).
    pub sha256: String,
}

/// A site and the versions the plan moves it between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteBasis {
    pub name: String,
    /// `connector` or `cloud`; `null` for a peer seen only through a site pair.
    pub role: Option<Role>,
    /// The manager's version; `null` when unknown.
    pub current_version: Option<String>,
    pub target_version: String,
    /// For a peer seen only through a site pair: the collected site that reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_through: Option<String>,
}

/// One threshold as the policies applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub value: serde_json::Value,
    /// The policy set's value, before the config.
    pub default: serde_json::Value,
    pub changed: bool,
}

/// A severity the config set for a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityOverride {
    pub rule: String,
    /// The catalog's severity.
    pub from: Severity,
    pub to: Severity,
}

/// Whether an attestation was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationStatus {
    /// The rules read the attested fact.
    Used,
    /// It no longer holds: the rules read the fact as unknown.
    Lapsed,
}

/// One operator statement the decision met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationBasis {
    /// The fact in its dotted spelling (`source.backup.last_success_at`).
    pub fact: String,
    /// The value stated; `null` for an attested fact the snapshot carries without a record.
    pub value: Option<String>,
    pub attested_by: Option<String>,
    pub attested_at: Option<String>,
    pub evidence: Option<String>,
    /// The manager version it was stated on, when recorded.
    pub on_version: Option<String>,
    /// Where the attested fact sits in the snapshot (RFC 6901), when it carries a provenance.
    pub pointer: Option<String>,
    pub status: AttestationStatus,
    /// Why it no longer holds (`status: lapsed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapsed_because: Option<String>,
}

/// A fact that could not be read, or that a rule found null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownFact {
    /// The fact in its dotted spelling (`source.backup`, `source.manager.version`).
    pub fact: String,
    /// Why it is unknown: the snapshot's `errors` entry, else the finding's message.
    pub message: String,
    /// The rules whose findings reported it (`fact-missing`, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reported_by: Vec<String>,
}

/// The tool that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolBasis {
    pub name: String,
    pub version: String,
    pub regorus_version: String,
}
