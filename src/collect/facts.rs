//! One naming of facts: the dotted `SECTION.KEY[.NAME].FIELD` form that the collector
//! writes in the snapshot's `errors`, that hints print and that `--attest` takes, built
//! here and nowhere else in Rust (the Rego side is `data.hcx.lib.attest_hint` and its
//! `*_fact` helpers; a test checks that both give the same command line).
//!
//! A mesh is named by its name, else its id; an appliance likewise; a site pair by its
//! remote name, else its endpoint id: the names an operator sees in the HCX UI.

use crate::snapshot::{Appliance, ConnectionKind, Role, ServiceMesh, SitePair};

/// The placeholder evidence of a printed hint: the operator replaces it.
pub const EVIDENCE_PLACEHOLDER: &str = "WHAT SHOWS IT";

/// The name of a connection's status: `connections.KIND.status`.
pub fn connection_status(kind: ConnectionKind) -> String {
    format!("connections.{}.status", kind_word(kind))
}

/// The snapshot word of a connection kind (`vcenter`, `lookup_service`, ...).
pub fn kind_word(kind: ConnectionKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{kind:?}").to_ascii_lowercase(),
    }
}

/// How a site pair is named: its remote name, else its endpoint id.
pub fn pair_key(pair: &SitePair) -> String {
    name_or_id(pair.remote_name.as_deref(), pair.endpoint_id.as_deref())
}

/// A fact of a site pair: `site_pairs.PEER.FIELD`.
pub fn site_pair(peer: &str, field: &str) -> String {
    format!("site_pairs.{peer}.{field}")
}

/// How a mesh is named: its name, else its id.
pub fn mesh_key(mesh: &ServiceMesh) -> String {
    name_or_id(mesh.name.as_deref(), mesh.id.as_deref())
}

/// How an appliance is named: its name, else its id.
pub fn appliance_key(appliance: &Appliance) -> String {
    name_or_id(appliance.name.as_deref(), appliance.id.as_deref())
}

/// A fact of a mesh: `service_meshes.MESH.FIELD` (`FIELD` may be a path, e.g. `appliances`).
pub fn mesh(mesh: &str, field: &str) -> String {
    format!("service_meshes.{mesh}.{field}")
}

/// A fact of an appliance: `service_meshes.MESH.appliances.APPLIANCE.FIELD`.
pub fn appliance(mesh: &str, appliance: &str, field: &str) -> String {
    format!("service_meshes.{mesh}.appliances.{appliance}.{field}")
}

fn name_or_id(name: Option<&str>, id: Option<&str>) -> String {
    name.or(id).unwrap_or("?").to_string()
}

/// The command-line option that attests `fact` of `site` as `value`, shell-quoted so that
/// it works when pasted (site and peer names may hold anything; `;` separates the parts).
pub fn attest_line(site: &str, fact: &str, value: &str) -> String {
    let arg = format!("{site}.{fact}={value};evidence={EVIDENCE_PLACEHOLDER}");
    // `try_quote` fails only on a NUL byte, which no name read from JSON text holds.
    let quoted = shlex::try_quote(&arg).map(|q| q.into_owned()).unwrap_or(arg);
    format!("--attest {quoted}")
}

/// What an operator may attest for a fact the collector could not read: the fact as
/// `--attest` takes it, the value the printed line proposes, and every value accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestable {
    pub fact: String,
    pub proposed: &'static str,
    pub accepted: &'static str,
}

fn attestable(fact: impl Into<String>, proposed: &'static str, accepted: &'static str) -> Attestable {
    Attestable {
        fact: fact.into(),
        proposed,
        accepted,
    }
}

const STATUS: &str = "healthy, degraded or unhealthy";
const OPTIONAL_STATUS: &str = "healthy, degraded, unhealthy or not_in_use";
const TIME: &str = "an RFC 3339 time, e.g. 2026-11-29T02:00:00Z";

/// The attestable facts that settle an `errors` entry of a site of role `role`; empty
/// when the fact cannot be attested (collect it again instead).
pub fn attestable_for(error_fact: &str, role: Role) -> Vec<Attestable> {
    let segments: Vec<&str> = error_fact.split('.').collect();
    let connection = |kind: ConnectionKind| {
        let optional = matches!(kind, ConnectionKind::Nsx | ConnectionKind::CloudDirector | ConnectionKind::Rmq);
        attestable(connection_status(kind), "healthy", if optional { OPTIONAL_STATUS } else { STATUS })
    };
    match segments.as_slice() {
        ["backup"] | ["backup", "last_success_at"] => vec![attestable("backup.last_success_at", "TIME", TIME)],
        ["backup", "supported"] => vec![attestable(error_fact, "true", "true or false")],
        ["manager", "disk_common_used_percent"] => vec![attestable(error_fact, "N", "a percentage, 0 to 100")],
        ["manager", "provider_managed"] => vec![attestable(error_fact, "false", "true or false")],
        ["manager", "provider"] => vec![attestable(error_fact, "PROVIDER", "vmc-aws, avs, gcve, ocvs, ibm or other")],
        ["operations", "extended_networks"] => vec![attestable(error_fact, "N", "a count of extended networks")],
        ["connections"] => {
            let mut kinds = vec![ConnectionKind::Vcenter, ConnectionKind::LookupService, ConnectionKind::Nsx];
            if role == Role::Cloud {
                kinds.extend([ConnectionKind::CloudDirector, ConnectionKind::Rmq]);
            }
            kinds.into_iter().map(connection).collect()
        }
        ["connections", kind, "status"] => serde_json::from_value(serde_json::Value::String(kind.to_string()))
            .map(|k| vec![connection(k)])
            .unwrap_or_default(),
        // Site pairs, meshes and appliances: the names may hold dots, so the field is
        // read from the end.
        [_, .., "status"] if error_fact.starts_with("site_pairs.") || error_fact.starts_with("service_meshes.") => {
            vec![attestable(error_fact, "healthy", STATUS)]
        }
        [_, .., "tunnel_status"] if error_fact.starts_with("service_meshes.") => {
            vec![attestable(error_fact, "up", "up or down")]
        }
        [_, .., "ha_group"] if error_fact.starts_with("service_meshes.") => {
            vec![attestable(error_fact, "none", "the HA group's name, or none")]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attest_lines_are_quoted_for_the_shell() {
        let line = attest_line("mgr.east", "site_pairs.cloud east's.status", "healthy");
        let words = shlex::split(&line).unwrap();
        assert_eq!(words, ["--attest", "mgr.east.site_pairs.cloud east's.status=healthy;evidence=WHAT SHOWS IT"]);
        assert_eq!(
            attest_line("source", "backup.last_success_at", "TIME"),
            "--attest 'source.backup.last_success_at=TIME;evidence=WHAT SHOWS IT'"
        );
    }

    #[test]
    fn errors_entries_map_to_attestable_facts() {
        let facts = |f: &str, r: Role| attestable_for(f, r).into_iter().map(|a| a.fact).collect::<Vec<_>>();
        assert_eq!(facts("backup", Role::Connector), ["backup.last_success_at"]);
        assert_eq!(facts("connections", Role::Connector).len(), 3);
        assert_eq!(facts("connections", Role::Cloud).len(), 5);
        assert_eq!(facts("connections.rmq.status", Role::Cloud), ["connections.rmq.status"]);
        let tunnel = appliance("mesh.1", "IX-1", "tunnel_status");
        assert_eq!(attestable_for(&tunnel, Role::Connector)[0].proposed, "up");
        assert_eq!(facts(&mesh("m", "status"), Role::Cloud), ["service_meshes.m.status"]);
        assert_eq!(facts("site_pairs.a.b.status", Role::Cloud), ["site_pairs.a.b.status"]);
        for not in ["manager.version", "role", "service_meshes", "site_pairs.x.remote_version", "connections.x.status"] {
            assert!(attestable_for(not, Role::Cloud).is_empty(), "{not}");
        }
    }
}
