//! The snapshot: the facts the collector writes and `check` judges (contract section 1).
//!
//! Every fact is optional: `null` (or absent) means "could not be read" and the reason
//! sits in `errors`. Nothing here guesses a value; the policies fail closed on `null`.
//! Loading ([`load`]: a file or `-` for standard input) validates the whole document
//! (enumerations, version strings, unique site names) before any rule runs, and names the
//! file, line and column, and the field's path, of what is wrong. Unknown keys are ignored,
//! so newer collectors stay readable, and returned as [`SnapshotWarning`]s, so that a typo
//! is not silent.

mod load;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::version::HcxVersion;

pub use load::{display_name, is_stdin, SnapshotWarning, STDIN};

/// The snapshot format this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Snapshots larger than this are refused before parsing (bounded memory).
pub const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;

/// A whole snapshot of a site pair (or of one site).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// Always 1 for this format.
    pub schema_version: u32,
    /// When the facts were read (RFC 3339, UTC).
    pub collected_at: DateTime<Utc>,
    /// What wrote this snapshot (absent: an empty record).
    #[serde(default)]
    pub collector: Collector,
    /// One entry per HCX Manager.
    pub sites: Vec<Site>,
    /// Why facts are `null`: one entry per fact that could not be read.
    #[serde(default)]
    pub errors: Vec<FactError>,
    /// Facts an operator stated (`--attest`), with who and what evidence (extension).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<AttestationRecord>,
}

/// One attested fact: who stated what, on which evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct AttestationRecord {
    pub site: String,
    /// The fact path, e.g. `backup.last_success_at`, `manager.disk_common_used_percent`.
    pub fact: String,
    /// The value as stated.
    pub value: String,
    /// Who stated it.
    pub by: String,
    /// What it rests on.
    pub evidence: String,
    /// When it was stated (absent in snapshots written before attestations carried a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_at: Option<DateTime<Utc>>,
}

/// The tool that wrote a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Collector {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    /// `true` when TLS verification was switched off with `--insecure` (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_tls: Option<bool>,
}

/// The side of a site pair a manager is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The source side (HCX Connector).
    Connector,
    /// The destination side (HCX Cloud).
    Cloud,
}

/// One site: its HCX Manager and what it manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Site {
    /// The operator's name for the site (`source`, `cloud-east`); unique in a snapshot.
    pub name: String,
    pub role: Role,
    /// Absent: every manager fact unknown.
    #[serde(default)]
    pub manager: Manager,
    #[serde(default)]
    pub backup: Option<Backup>,
    /// Registered systems; `null` when they could not be read.
    #[serde(default)]
    pub connections: Option<Vec<Connection>>,
    #[serde(default)]
    pub site_pairs: Option<Vec<SitePair>>,
    #[serde(default)]
    pub service_meshes: Option<Vec<ServiceMesh>>,
    #[serde(default)]
    pub updates: Option<Updates>,
    #[serde(default)]
    pub operations: Option<Operations>,
}

/// The HCX Manager appliance of a site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Manager {
    #[serde(default)]
    pub fqdn: Option<String>,
    #[serde(default)]
    pub version: Option<HcxVersion>,
    #[serde(default)]
    pub build: Option<String>,
    /// `true` where a cloud provider runs HCX (VMC on AWS, AVS, GCVE, OCVS...).
    #[serde(default)]
    pub provider_managed: Option<bool>,
    #[serde(default)]
    pub provider: Option<Provider>,
    #[serde(default)]
    pub appliance_management_reachable: Option<bool>,
    #[serde(default)]
    pub dns: Option<Dns>,
    /// How full `/common` is, 0 to 100.
    #[serde(default)]
    pub disk_common_used_percent: Option<f64>,
}

/// The cloud provider that manages HCX, when one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    VmcAws,
    Avs,
    Gcve,
    Ocvs,
    Ibm,
    Other,
}

/// DNS settings of a manager.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dns {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub search_domains: Option<Vec<String>>,
    #[serde(default)]
    pub servers: Option<Vec<String>>,
}

/// Where a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Read from an API field made for it.
    Collected,
    /// Inferred from another observation; `evidence` says which.
    Derived,
    /// An operator's statement, with `evidence`.
    Attested,
}

/// When and by whom an attested fact was stated, and on which manager version: an
/// attestation speaks for the estate at its time only (the policies age it, and drop it
/// after the manager's upgrade). Empty for facts that were not attested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttestationStamp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_by: Option<String>,
    /// The version the site's manager reported when the fact was stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_on_version: Option<String>,
}

/// Backup state of a manager.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Backup {
    #[serde(default)]
    pub supported: Option<bool>,
    #[serde(default)]
    pub last_success_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub provenance: Option<Provenance>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(flatten)]
    pub stamp: AttestationStamp,
}

/// The kind of a registered system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    Vcenter,
    Nsx,
    CloudDirector,
    Rmq,
    LookupService,
}

/// Health as the snapshot states it. Only `healthy` counts as healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
    Unknown,
    /// A connection that applies only "if used" (NSX, Cloud Director, RMQ), attested as
    /// not in use. Nothing else takes it.
    NotInUse,
}

/// A registered system (vCenter, NSX, Cloud Director, RMQ, lookup service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    pub kind: ConnectionKind,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(flatten)]
    pub stamp: AttestationStamp,
}

/// A site pair as seen from one manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SitePair {
    #[serde(default)]
    pub endpoint_id: Option<String>,
    #[serde(default)]
    pub remote_name: Option<String>,
    #[serde(default)]
    pub remote_url: Option<String>,
    #[serde(default)]
    pub remote_version: Option<HcxVersion>,
    #[serde(default)]
    pub remote_build: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(flatten)]
    pub stamp: AttestationStamp,
}

/// An operator's statement of one field of a mesh or an appliance (`status`,
/// `tunnel_status`), which have no provenance of their own: kept under `attested`, keyed
/// by the field's name, so that the policies age it like every other attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FieldAttestation {
    /// Always `attested`: the shape of every other attested fact.
    pub provenance: Provenance,
    pub evidence: String,
    #[serde(flatten)]
    pub stamp: AttestationStamp,
}

/// Attested fields of a mesh or an appliance, by field name (absent when none).
pub type AttestedFields = std::collections::BTreeMap<String, FieldAttestation>;

/// A Service Mesh and its appliances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceMesh {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// As HCX says it: `COMMITTED`, `UPDATE_FAILED`, ...
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    /// Why the mesh is not healthy, where the manager says: its failing services and their
    /// reasons (extension; absent when there is nothing to say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `PHOTON` or `EDGE`.
    #[serde(default)]
    pub backing: Option<String>,
    #[serde(default)]
    pub update_available: Option<bool>,
    #[serde(default)]
    pub services: Option<Vec<String>>,
    #[serde(default)]
    pub appliances: Option<Vec<Appliance>>,
    /// Attested `status` (extension; absent when nothing was attested).
    #[serde(default, skip_serializing_if = "AttestedFields::is_empty")]
    pub attested: AttestedFields,
}

/// A Service Mesh appliance (IX, NE, WO, SGW, SDR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Appliance {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `HCX-WAN-IX`, `HCX-NET-EXT`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub version: Option<HcxVersion>,
    #[serde(default)]
    pub status: Option<Status>,
    /// The reasons the manager gives for the appliance's status (extension; absent when
    /// there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub tunnel_status: Option<TunnelStatus>,
    #[serde(default)]
    pub update_available: Option<bool>,
    /// The Network Extension HA group the appliance belongs to (extension; `null`: unknown,
    /// or not a Network Extension appliance). No public API reports it: it is attested.
    #[serde(default)]
    pub ha_group: Option<HaGroup>,
    /// Attested `status` and `tunnel_status` (extension; absent when nothing was attested).
    #[serde(default, skip_serializing_if = "AttestedFields::is_empty")]
    pub attested: AttestedFields,
}

/// The Network Extension HA group of an appliance: the group's name, or `false` when the
/// appliance is known to be in no group (`true` is refused: a group has a name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum HaGroup {
    /// In this HA group.
    Named(String),
    /// `false`: in no HA group.
    Flag(bool),
}

/// State of an appliance's tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TunnelStatus {
    Up,
    Down,
    Unknown,
}

/// Service updates the manager offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updates {
    /// `null` when the list could not be read.
    #[serde(default)]
    pub available: Option<Vec<AvailableUpdate>>,
}

/// One offered update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AvailableUpdate {
    pub version: HcxVersion,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub downloaded: Option<bool>,
}

/// Work in flight on a manager.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Operations {
    #[serde(default)]
    pub active_migrations: Option<u64>,
    #[serde(default)]
    pub active_replications: Option<u64>,
    /// Networks extended over Network Extension (extension; the NE upgrade disrupts them).
    #[serde(default)]
    pub extended_networks: Option<u64>,
}

/// Why a fact is `null`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct FactError {
    /// The site the fact belongs to; `null` for the whole snapshot.
    #[serde(default)]
    pub site: Option<String>,
    /// Which fact: `backup`, `connections`, `manager.dns`, ...
    pub fact: String,
    pub message: String,
}

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot {path} does not exist: give the path of a snapshot file (written by `hcx-preflight collect --out FILE`), or `-` to read it from standard input")]
    NotFound { path: PathBuf },
    // The I/O error is part of the message, not a `source`: a chain printer would say it twice.
    #[error("cannot read snapshot {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("snapshot {path} is {size} bytes, more than the {max} bytes a snapshot may have; is this the right file?")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("snapshot {path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A value of the wrong type; `field` is its path (`sites[0].manager.version`), empty for
    /// the document itself.
    #[error("snapshot {path}:{line}:{column}: {}{message}", field_prefix(.field))]
    Type {
        path: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    /// A JSON array where the model has an object (serde would read it by position).
    #[error("snapshot {path}: {field}: invalid type: an array, expected an object (a snapshot names its fields)")]
    Positional { path: PathBuf, field: String },
    #[error("snapshot {path} has schema_version {found}; this build of hcx-preflight reads schema_version {SCHEMA_VERSION}: use a matching release or collect again")]
    SchemaVersion { path: PathBuf, found: String },
    #[error("snapshot {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Snapshot {
    /// Read and validate a snapshot file (or standard input for `-`); its warnings are
    /// dropped (use [`Snapshot::parse`] where a user reads them).
    pub fn load(path: &Path) -> Result<Self, SnapshotError> {
        Self::from_slice(&Self::read_input(path)?, path)
    }

    /// The bytes of a snapshot file, or of standard input for `-` ([`STDIN`]), refused when
    /// larger than [`MAX_SNAPSHOT_BYTES`].
    pub fn read_input(path: &Path) -> Result<Vec<u8>, SnapshotError> {
        load::read_input(path)
    }

    /// The bytes of a snapshot file (never standard input), refused from its size alone
    /// when it is too large.
    pub fn read_file(path: &Path) -> Result<Vec<u8>, SnapshotError> {
        load::read_file(path)
    }

    /// Parse and validate snapshot bytes; `path` names them in messages. The keys the model
    /// does not know come back as warnings.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<(Self, Vec<SnapshotWarning>), SnapshotError> {
        load::parse(bytes, path)
    }

    /// [`Snapshot::parse`] without the warnings (tests, fuzzing, fixtures).
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Self, SnapshotError> {
        Self::parse(bytes, path).map(|(snapshot, _)| snapshot)
    }

    /// Checks serde cannot express: unique, non-empty site names; sane percentages.
    pub fn validate(&self) -> Result<(), String> {
        if self.sites.is_empty() {
            return Err("it lists no sites".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for site in &self.sites {
            if site.name.trim().is_empty() {
                return Err("a site has an empty name".into());
            }
            if !names.insert(site.name.as_str()) {
                return Err(format!("site name `{}` appears twice", site.name));
            }
            for mesh in site.service_meshes.iter().flatten() {
                for a in mesh.appliances.iter().flatten() {
                    if a.ha_group == Some(HaGroup::Flag(true)) {
                        return Err(format!(
                            "site `{}`: appliance {}: ha_group is the group's name, or false for none; true names no group",
                            site.name,
                            a.name.as_deref().or(a.id.as_deref()).unwrap_or("?")
                        ));
                    }
                }
            }
            if let Some(p) = site.manager.disk_common_used_percent {
                if !(0.0..=100.0).contains(&p) {
                    return Err(format!(
                        "site `{}`: disk_common_used_percent {p} is not between 0 and 100",
                        site.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// Deterministic order for output: sites as given, lists inside sorted by identity.
    pub fn normalize(&mut self) {
        for site in &mut self.sites {
            if let Some(c) = &mut site.connections {
                c.sort_by(|a, b| (a.kind, &a.url).cmp(&(b.kind, &b.url)));
            }
            if let Some(p) = &mut site.site_pairs {
                p.sort_by(|a, b| (&a.remote_name, &a.endpoint_id).cmp(&(&b.remote_name, &b.endpoint_id)));
            }
            if let Some(meshes) = &mut site.service_meshes {
                meshes.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
                for m in meshes.iter_mut() {
                    if let Some(a) = &mut m.appliances {
                        a.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
                    }
                    if let Some(s) = &mut m.services {
                        s.sort();
                    }
                }
            }
            if let Some(u) = site.updates.as_mut().and_then(|u| u.available.as_mut()) {
                u.sort_by(|a, b| b.version.cmp(&a.version));
            }
        }
        self.errors.sort();
        self.errors.dedup();
        self.attestations.sort();
    }

    /// Pretty JSON with a trailing newline: the file form.
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a snapshot always serializes");
        s.push('\n');
        s
    }

    /// The JSON Schema of the snapshot, for policy authors and their editors.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Snapshot)).expect("schema serializes")
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"schema_version":1,"collected_at":"2026-11-29T09:00:00Z",
        "collector":{"name":"x","version":"1"},"sites":[{"name":"s","role":"connector","manager":{}}]}"#;

    #[test]
    fn absent_facts_are_null() {
        let s = Snapshot::from_slice(MINIMAL.as_bytes(), Path::new("m.json")).unwrap();
        assert_eq!(s.sites[0].manager.version, None);
        assert_eq!(s.sites[0].backup, None);
        let v = serde_json::to_value(&s).unwrap();
        assert!(v["sites"][0]["connections"].is_null());
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = Snapshot::from_slice(b"{\n  \"schema_version\": 1,\n  oops\n}", Path::new("bad.json")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("snapshot bad.json:3:"), "{msg}");
    }

    #[test]
    fn bad_versions_are_refused_with_position() {
        let text = MINIMAL.replace("\"manager\":{}", "\"manager\":{\"version\":\"4.x\"}");
        let msg = Snapshot::from_slice(text.as_bytes(), Path::new("v.json")).unwrap_err().to_string();
        assert!(msg.contains("v.json:2:") && msg.contains("`4.x` is not an HCX version"), "{msg}");
    }

    #[test]
    fn unknown_schema_version_is_refused() {
        let text = MINIMAL.replace("\"schema_version\":1", "\"schema_version\":2");
        let msg = Snapshot::from_slice(text.as_bytes(), Path::new("v.json")).unwrap_err().to_string();
        assert!(msg.contains("schema_version 2"), "{msg}");
    }

    #[test]
    fn unknown_fields_are_accepted_with_a_warning() {
        let text = MINIMAL.replace("\"manager\":{}", "\"manager\":{\"future\":1},\"extra\":[1]");
        let (_, warnings) = Snapshot::parse(text.as_bytes(), Path::new("x.json")).unwrap();
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn duplicate_sites_are_refused() {
        let text = MINIMAL.replace(
            r#""sites":[{"name":"s","role":"connector","manager":{}}]"#,
            r#""sites":[{"name":"s","role":"connector","manager":{}},{"name":"s","role":"cloud","manager":{}}]"#,
        );
        let msg = Snapshot::from_slice(text.as_bytes(), Path::new("d.json")).unwrap_err().to_string();
        assert!(msg.contains("appears twice"), "{msg}");
    }
}
