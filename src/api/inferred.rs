//! Everything the collector (and the simulator) relies on that NO public source shows:
//! our own best guesses, kept in this one file so that a reader can see at a glance what
//! is inferred and a correction touches one place (hcx-facts.md marks these `[inferred]`
//! or lists them under "Not found in any public source").
//!
//! Rules for what lives here: a guess may only ever lead to a fact, or to `unknown`/`null`
//! with an `errors` entry; it may never turn an unrecognised answer into `healthy`.

use crate::snapshot::Role;

/// Key next to `endpoint.version` in the support context that carries the build number.
/// (inferred: the facts only name `version`.)
pub const SUPPORT_BUILD_KEYS: &[&str] = &["buildNumber", "build"];

/// Query parameter that carries the interconnect `cmpId` to the vCenter inventory call.
/// (code says "use as `?vcGuid=`"; that the resource container list takes it is inferred.)
pub const VC_GUID_PARAM: &str = "vcGuid";

/// Body of the vCenter inventory query. (inferred)
pub fn resource_container_body() -> serde_json::Value {
    serde_json::json!({"cloud": {"local": true, "remote": false}})
}

/// Body of the migration query. (inferred: client code sends a filter; an empty one lists all.)
pub fn migrations_query_body() -> serde_json::Value {
    serde_json::json!({"filter": {}})
}

/// `jobInfo.state` values of a migration that is no longer in flight. (code)
pub const MIGRATION_DONE_STATES: &[&str] = &["MIGRATED", "MIGRATE_FAILED", "MIGRATE_CANCELED"];

/// Counter object of the replication summary and the keys summed for "active". The object
/// is seen in client code; that it sits at the top level or under `data` is inferred, so both are read.
pub const REPLICATION_COUNTER: &str = "activeReplicationCnt";
/// Directions summed in [`REPLICATION_COUNTER`].
pub const REPLICATION_DIRECTIONS: &[&str] = &["outgoing", "incoming"];

/// Appliance keys that say an update is offered. (inferred: the raw key is not public)
pub const APPLIANCE_UPDATE_KEYS: &[&str] = &["updateAvailable"];
/// Appliance keys that carry the tunnel state in the client-code family of answers.
/// (inferred: the raw key is not public)
pub const APPLIANCE_TUNNEL_KEYS: &[&str] = &["tunnelStatus"];
/// The vendor's reference documents an appliance *metrics summary* and its keys
/// (`overallTransportStatus`, ...), not where an appliance answer carries it: we read those
/// keys at the appliance's top level and inside an object under this key. (inferred)
pub const APPLIANCE_METRICS_KEY: &str = "metricsSummary";

/// Prefix of the Network Extension appliance types (`HCX-NET-EXT`, `HCX-NET-EXT-EDGE`, ...).
/// (code names HCX-NET-EXT; that later variants keep the prefix is inferred, as with `HCX-WAN-IX-EDGE`)
pub const NETWORK_EXTENSION_TYPE_PREFIX: &str = "HCX-NET-EXT";

/// Words of a tunnel state read as `up` / `down`; anything else is `unknown`. (inferred)
pub const TUNNEL_UP_WORDS: &[&str] = &["UP", "CONNECTED"];
/// See [`TUNNEL_UP_WORDS`].
pub const TUNNEL_DOWN_WORDS: &[&str] = &["DOWN", "DISCONNECTED"];

/// Status words read as healthy. The set of words HCX uses is not public; these are the
/// ones whose meaning is plain. Compared case-insensitively. (inferred)
pub const HEALTHY_WORDS: &[&str] = &["HEALTHY", "UP", "CONNECTED", "GREEN", "OK", "ONLINE", "NORMAL"];
/// Status words read as degraded. (inferred)
pub const DEGRADED_WORDS: &[&str] = &["DEGRADED", "WARNING", "WARN", "YELLOW"];
/// Status words read as unhealthy. (inferred)
pub const UNHEALTHY_WORDS: &[&str] = &[
    "DOWN",
    "ERROR",
    "FAILED",
    "FAILURE",
    "RED",
    "UNHEALTHY",
    "DISCONNECTED",
    "CRITICAL",
    "UNREACHABLE",
];

/// The role a manager's own endpoint type (or cloud type) names. The values of
/// `endpointType`/`cloudType` are not public (inferred): a word we do not know gives
/// `None`, and the user must then say `role=` in `--site`.
pub fn role_from_endpoint_type(word: &str) -> Option<Role> {
    let w = word.trim().to_ascii_lowercase();
    if w.contains("connector") || w.contains("enterprise") {
        Some(Role::Connector)
    } else if w.contains("cloud") {
        Some(Role::Cloud)
    } else {
        None
    }
}

/// The 9.x appliance-management "System Upgrade" API. Its operations and bodies are
/// documented; its PATHS are not public, so these are ours (inferred). The simulator
/// serves them and a later upgrade client reuses them from here.
pub mod upgrade_api {
    /// Start an upgrade: POST `{targetVersion, upgradePolicy{skipVmSnapshot,
    /// skipUpgradeValidation, skipConfigBackup}}`.
    pub const START: &str = "/api/admin/v1/system/upgrade";
    /// Upgrade status: GET `{status, message, progress, currentVersion,
    /// bundleMetadata{version,buildNumber}, subTasks[{state,status,message}]}`.
    pub const STATUS: &str = "/api/admin/v1/system/upgrade/status";
    /// Upload a bundle (POST).
    pub const BUNDLE: &str = "/api/admin/v1/system/upgrade/bundle";
    /// Bundle upload status (GET).
    pub const BUNDLE_STATUS: &str = "/api/admin/v1/system/upgrade/bundle/status";

    /// Values of `status` in the status answer (documented).
    pub const STATUSES: &[&str] = &["NOT_STARTED", "QUEUED", "IN_PROGRESS", "SUCCESS", "FAILED"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_words() {
        assert_eq!(role_from_endpoint_type("HCX_CLOUD"), Some(Role::Cloud));
        assert_eq!(role_from_endpoint_type("connector"), Some(Role::Connector));
        assert_eq!(role_from_endpoint_type("Enterprise"), Some(Role::Connector));
        assert_eq!(role_from_endpoint_type("VC"), None);
    }
}
