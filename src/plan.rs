//! The plan: what the user asks to be judged (contract section 2), and the Rego
//! `input` document built from it and a snapshot.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::snapshot::Snapshot;
use crate::version::HcxVersion;

/// Which part of the upgrade is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before upgrading the HCX Managers.
    #[default]
    Managers,
    /// Before upgrading the Service Mesh appliances (after the managers).
    ServiceMesh,
    /// After the managers' upgrade: the post-upgrade checks.
    Verify,
    /// After the Service Mesh upgrade: every appliance on its manager's version, tunnels up.
    VerifyMesh,
}

impl Phase {
    /// Every phase, in the order of the upgrade.
    pub const ALL: [Phase; 4] = [Phase::Managers, Phase::ServiceMesh, Phase::Verify, Phase::VerifyMesh];

    /// The word of the phase (as serialized, and on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Managers => "managers",
            Phase::ServiceMesh => "service-mesh",
            Phase::Verify => "verify",
            Phase::VerifyMesh => "verify-mesh",
        }
    }
}

/// The serialized (kebab-case) word.
impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phase named in an inventory or a snapshot directory's manifest.
impl std::str::FromStr for Phase {
    type Err = UnknownPhase;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPhase(s.to_string()))
    }
}

/// A word that names no [`Phase`] (worded as the manifest's error has always said it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid variant: {0}")]
pub struct UnknownPhase(pub String);

/// Which severity makes the decision `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Only unwaived `deny` findings deny.
    #[default]
    Deny,
    /// Unwaived `warn` findings deny too.
    Warn,
}

impl FailOn {
    /// The word of the setting (as serialized, and on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Deny => "deny",
            FailOn::Warn => "warn",
        }
    }
}

/// The serialized word.
impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plan to judge a snapshot against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub target_version: HcxVersion,
    pub phase: Phase,
    /// Fixed by `--now`, so that a past decision can be re-evaluated exactly.
    #[serde(with = "rfc3339")]
    pub evaluated_at: DateTime<Utc>,
    pub fail_on: FailOn,
}

/// RFC 3339 in UTC with `Z`, seconds precision unless the value has fractions.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parse an RFC 3339 time given on the command line (`--now`).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2026-11-29T09:05:00Z: {e}"))
}

/// The clock, truncated to whole seconds so that records stay readable.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_time(&s).map_err(serde::de::Error::custom)
    }
}

/// The Rego `input` document: `{"snapshot": ..., "plan": ...}`.
pub fn input_document(snapshot: &Snapshot, plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "snapshot": snapshot,
        "plan": plan,
    })
}

/// The same `input` document in regorus' form, serialized once and parsed straight
/// into a regorus value (no intermediate `serde_json::Value` tree).
pub fn input_value(snapshot: &Snapshot, plan: &Plan) -> Result<regorus::Value, String> {
    #[derive(Serialize)]
    struct Input<'a> {
        snapshot: &'a Snapshot,
        plan: &'a Plan,
    }
    let text = serde_json::to_string(&Input { snapshot, plan }).map_err(|e| e.to_string())?;
    regorus::Value::from_json_str(&text).map_err(|e| format!("{e:#}"))
}
