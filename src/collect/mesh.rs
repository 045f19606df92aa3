//! Service meshes (`interconnect/serviceMesh`) and, for each mesh, its appliances
//! (`interconnect/appliances/query`, all meshes concurrently; the full
//! `interconnect/appliances` list where a query fails). Status words go through
//! [`super::status`]: an unrecognised or missing word is `unknown`, never `healthy`.
//!
//! Both families of answer shapes are read (hcx-facts.md, "Shapes documented by the
//! vendor's API reference"): the mesh id as `serviceMeshId` (client code) or `id` (the
//! reference); the mesh status as a word or as `{timestamp, services: [{serviceName,
//! status, reason[]}]}`; the appliance status as `status.summary{overallStatus, reasons}`
//! or `applianceStatus{state, detailedMessage}`; the tunnel state as `tunnelStatus` or the
//! metrics-summary keys. A shape that is neither leaves the fact `unknown` with an `errors`
//! line naming the endpoint and the shape (keys only, never values).

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use super::envelope::{self, bool_field, first_text, shape_excerpt, str_field, text_field};
use super::facts;
use super::http::{label, Api};
use super::inferred::{
    APPLIANCE_METRICS_KEY, APPLIANCE_TUNNEL_KEYS, APPLIANCE_UPDATE_KEYS, NETWORK_EXTENSION_TYPE_PREFIX,
};
use super::notes::Notes;
use super::paths::{APPLIANCES, APPLIANCES_QUERY, SERVICE_MESH};
use crate::api::{map_status, map_tunnel};
use crate::snapshot::{Appliance, ServiceMesh, Status, TunnelStatus};
use crate::version::HcxVersion;

/// The keys that hold a mesh's id: client code, then the vendor's reference.
const MESH_ID_KEYS: &[&str] = &["serviceMeshId", "id"];
/// Tunnel keys of the reference's appliance metrics summary (documented names; which
/// words they take is not documented, so the words are those of [`map_tunnel`]).
const METRICS_TUNNEL_KEYS: &[&str] = &["overallTransportStatus", "overallEncryptionTunnelStatus"];
/// `transportSummary[].aggregatedTunnelStatus` of the metrics summary.
const TRANSPORT_SUMMARY: (&str, &str) = ("transportSummary", "aggregatedTunnelStatus");
/// Longest reason text kept in a message.
const REASON_CHARS: usize = 200;

/// The worst of several statuses: unhealthy, then degraded, then unknown; healthy only
/// when every one is healthy (and there is at least one).
fn worst(all: &[Status]) -> Status {
    [Status::Unhealthy, Status::Degraded, Status::Unknown]
        .into_iter()
        .find(|s| all.contains(s))
        .unwrap_or(if all.is_empty() { Status::Unknown } else { Status::Healthy })
}

/// Read a status word; an unrecognised one is `unknown` and noted with the endpoint.
fn status_word(word: &str, fact: &str, endpoint: &str, notes: &mut Notes) -> Status {
    let s = map_status(word);
    if s == Status::Unknown {
        notes.add(
            fact,
            format!("{endpoint}: status word `{word}` is not one we recognise: read as unknown"),
        );
    }
    s
}

/// Reason texts: a string, or a list whose strings are kept (anything else is dropped).
fn reasons(v: Option<&Value>) -> Vec<String> {
    let cut = |s: &str| s.trim().chars().take(REASON_CHARS).collect::<String>();
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => vec![cut(s)],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(cut)
            .collect(),
        _ => Vec::new(),
    }
}

/// The mesh id, whichever documented key holds it.
pub fn mesh_id(v: &Value) -> Option<String> {
    first_text(v, MESH_ID_KEYS)
}

/// A mesh `status`: a word, or the reference's object of per-service statuses. Returns
/// the status and, when services fail, which ones and why (for the mesh's message).
fn mesh_status(v: &Value, fact: &str, notes: &mut Notes) -> (Status, Option<String>) {
    let endpoint = label(&Method::GET, SERVICE_MESH);
    let services = match v.get("status") {
        None | Some(Value::Null) => {
            notes.add(fact, format!("{endpoint}: no status in the answer: unknown"));
            return (Status::Unknown, None);
        }
        Some(Value::String(w)) if !w.trim().is_empty() => return (status_word(w.trim(), fact, &endpoint, notes), None),
        Some(obj @ Value::Object(_)) => match obj.get("services") {
            Some(Value::Array(list)) if !list.is_empty() => list,
            _ => {
                notes.add(
                    fact,
                    format!(
                        "{endpoint}: `status` is {}, not a status word nor {{services: [...]}} with at least one service: read as unknown",
                        shape_excerpt(obj)
                    ),
                );
                return (Status::Unknown, None);
            }
        },
        Some(other) => {
            notes.add(
                fact,
                format!("{endpoint}: `status` is {}, not a status word nor an object of services: read as unknown", shape_excerpt(other)),
            );
            return (Status::Unknown, None);
        }
    };
    let mut all = Vec::new();
    let mut failing = Vec::new();
    for svc in services {
        let name = first_text(svc, &["serviceName", "name"]).unwrap_or_else(|| "?".into());
        let s = match svc.get("status") {
            Some(Value::String(w)) => status_word(w.trim(), fact, &endpoint, notes),
            other => {
                let shape = other.map_or("nothing".to_string(), shape_excerpt);
                notes.add(
                    fact,
                    format!("{endpoint}: service {name} has {shape} as its status, not a word: read as unknown"),
                );
                Status::Unknown
            }
        };
        if s != Status::Healthy {
            let why = reasons(svc.get("reason").or_else(|| svc.get("reasons")));
            let word = str_field(svc, "status").unwrap_or("no status");
            failing.push(if why.is_empty() {
                format!("{name}: {word}")
            } else {
                format!("{name}: {word} ({})", why.join("; "))
            });
        }
        all.push(s);
    }
    let message = (!failing.is_empty()).then(|| failing.join(", "));
    (worst(&all), message)
}

/// Parse one mesh (without its appliances).
pub fn parse_mesh(v: &Value, notes: &mut Notes) -> ServiceMesh {
    let id = mesh_id(v);
    let name = str_field(v, "name").map(String::from);
    let who = name.clone().or_else(|| id.clone()).unwrap_or_else(|| "?".into());
    let (status, message) = mesh_status(v, &facts::mesh(&who, "status"), notes);
    let services = v.get("services").and_then(Value::as_array).map(|list| {
        list.iter()
            .filter_map(|s| str_field(s, "name").or_else(|| s.as_str()))
            .map(String::from)
            .collect()
    });
    ServiceMesh {
        id,
        name,
        state: str_field(v, "state").map(String::from),
        status: Some(status),
        message,
        backing: str_field(v, "backingApplianceType").map(String::from),
        update_available: bool_field(v, "updateAvailable"),
        services,
        appliances: None,
        attested: Default::default(),
    }
}

/// `applianceVersion` as `{major, minor, patch[, revision]}` or a version string.
fn appliance_version(v: &Value) -> Option<Result<HcxVersion, String>> {
    let raw = v.get("applianceVersion")?;
    let text = match raw {
        Value::String(s) => s.trim().to_string(),
        Value::Object(_) => {
            let parts: Vec<String> = ["major", "minor", "patch", "revision"]
                .iter()
                .map_while(|k| text_field(raw, k))
                .collect();
            parts.join(".")
        }
        other => return Some(Err(format!("`applianceVersion` is {}", envelope::kind(other)))),
    };
    Some(HcxVersion::parse(&text).map_err(|e| e.to_string()))
}

/// An appliance's status: `status.summary{overallStatus, reasons}` (client code) or
/// `applianceStatus{state, detailedMessage}` (the reference); with both, the worse one.
/// Returns the status and the reasons given.
fn appliance_status(v: &Value, fact: &str, endpoint: &str, notes: &mut Notes) -> (Status, Option<String>) {
    let summary = v.get("status").and_then(|s| s.get("summary"));
    let reference = v.get("applianceStatus");
    let mut found = Vec::new();
    let mut why = Vec::new();
    if let Some(w) = summary.and_then(|s| str_field(s, "overallStatus")) {
        found.push(status_word(w, fact, endpoint, notes));
        why.extend(reasons(summary.and_then(|s| s.get("reasons"))));
    }
    if let Some(w) = reference.and_then(|s| str_field(s, "state")) {
        found.push(status_word(w, fact, endpoint, notes));
        why.extend(reasons(reference.and_then(|s| s.get("detailedMessage"))));
    }
    if found.is_empty() {
        let shape = match v.get("status").or(reference) {
            Some(s) => format!("its status is {}", shape_excerpt(s)),
            None => format!("the appliance is {}", shape_excerpt(v)),
        };
        notes.add(
            fact,
            format!(
                "{endpoint}: no `status.summary.overallStatus` nor `applianceStatus.state` ({shape}): read as unknown"
            ),
        );
    }
    (worst(&found), (!why.is_empty()).then(|| why.join("; ")))
}

/// The tunnel words an appliance answer carries: `tunnelStatus`, and the metrics-summary
/// keys at the top level or under [`APPLIANCE_METRICS_KEY`]. A key present with something
/// other than a word counts as an unrecognised word.
fn tunnel_words(v: &Value) -> Vec<(String, Option<String>)> {
    let word = |x: &Value| x.as_str().map(|s| s.trim().to_string());
    let mut out: Vec<(String, Option<String>)> = APPLIANCE_TUNNEL_KEYS
        .iter()
        .filter_map(|k| v.get(*k).map(|x| (k.to_string(), word(x))))
        .collect();
    let mut from_metrics = |m: &Value, prefix: &str| {
        for k in METRICS_TUNNEL_KEYS {
            if let Some(x) = m.get(*k) {
                out.push((format!("{prefix}{k}"), word(x)));
            }
        }
        let (list_key, key) = TRANSPORT_SUMMARY;
        match m.get(list_key) {
            Some(Value::Array(list)) => {
                for (i, t) in list.iter().enumerate() {
                    out.push((format!("{prefix}{list_key}[{i}].{key}"), t.get(key).and_then(word)));
                }
            }
            Some(_) => out.push((format!("{prefix}{list_key}"), None)),
            None => {}
        }
    };
    from_metrics(v, "");
    if let Some(m) = v.get(APPLIANCE_METRICS_KEY) {
        from_metrics(m, &format!("{APPLIANCE_METRICS_KEY}."));
    }
    out
}

/// The tunnel state: up only when every tunnel key present says up; down when one says
/// down; otherwise unknown. `None` when the answer carries no tunnel key at all.
fn tunnel_state(v: &Value, fact: &str, endpoint: &str, notes: &mut Notes) -> Option<TunnelStatus> {
    let words = tunnel_words(v);
    if words.is_empty() {
        notes.add(
            fact,
            format!("{endpoint}: no tunnel state in the answer (neither `tunnelStatus` nor the metrics-summary keys)"),
        );
        return None;
    }
    let states: Vec<TunnelStatus> = words
        .iter()
        .map(|(_, w)| w.as_deref().map_or(TunnelStatus::Unknown, map_tunnel))
        .collect();
    if states.contains(&TunnelStatus::Down) {
        return Some(TunnelStatus::Down);
    }
    if states.iter().all(|s| *s == TunnelStatus::Up) {
        return Some(TunnelStatus::Up);
    }
    let unread: Vec<String> = words
        .iter()
        .zip(&states)
        .filter(|(_, s)| **s == TunnelStatus::Unknown)
        .map(|((k, w), _)| match w {
            Some(w) => format!("`{k}` = `{w}`"),
            None => format!("`{k}` is not a word"),
        })
        .collect();
    notes.add(
        fact,
        format!("{endpoint}: tunnel state not recognised ({}): read as unknown", unread.join(", ")),
    );
    Some(TunnelStatus::Unknown)
}

/// Parse one appliance of mesh `mesh`, as answered by `endpoint` (for `errors` lines).
pub fn parse_appliance(v: &Value, mesh: &str, endpoint: &str, notes: &mut Notes) -> Appliance {
    let id = text_field(v, "applianceId");
    let name = str_field(v, "applianceName").map(String::from);
    let who = name.clone().or_else(|| id.clone()).unwrap_or_else(|| "?".into());
    let fact = |field: &str| facts::appliance(mesh, &who, field);
    let (status, message) = appliance_status(v, &fact("status"), endpoint, notes);
    let version = match appliance_version(v) {
        Some(Ok(ver)) => Some(ver),
        Some(Err(e)) => {
            notes.add(fact("version"), format!("{endpoint}: {e}"));
            None
        }
        None => {
            notes.add(fact("version"), format!("{endpoint}: no `applianceVersion` in the answer"));
            None
        }
    };
    let tunnel = tunnel_state(v, &fact("tunnel_status"), endpoint, notes);
    let kind = str_field(v, "applianceType").map(String::from);
    if kind.as_deref().is_some_and(is_network_extension) {
        // No public API tells whether an NE appliance is in an HA group.
        notes.add(
            fact("ha_group"),
            "no public API reports Network Extension HA groups (give the group's name, or none)",
        );
    }
    Appliance {
        id,
        name,
        kind,
        version,
        status: Some(status),
        message,
        tunnel_status: tunnel,
        update_available: APPLIANCE_UPDATE_KEYS.iter().find_map(|k| bool_field(v, k)),
        ha_group: None,
        attested: Default::default(),
    }
}

/// Whether an appliance type is Network Extension (`HCX-NET-EXT`, and variants such as `-EDGE`).
pub fn is_network_extension(kind: &str) -> bool {
    kind.to_ascii_uppercase().starts_with(NETWORK_EXTENSION_TYPE_PREFIX)
}

/// The appliances of one mesh, by `POST .../appliances/query` with the mesh's id; `Err`
/// is the errors entry, should the fallback fail too.
async fn appliances(api: &Api, mesh: &ServiceMesh) -> Result<Vec<Value>, String> {
    let Some(id) = &mesh.id else {
        return Err(format!(
            "{}: the mesh has no id (`serviceMeshId` or `id`) to query its appliances",
            label(&Method::GET, SERVICE_MESH)
        ));
    };
    let body = json!({"filter": {"serviceMeshId": id}});
    api.post(APPLIANCES_QUERY, None, &body)
        .await
        .and_then(|v| Ok(envelope::top_items(&v)?.to_vec()))
        .map_err(|e| format!("{}: {e}", label(&Method::POST, APPLIANCES_QUERY)))
}


/// Read all meshes and their appliances. Appliances are queried per mesh; where that
/// query fails, the full list (`GET .../interconnect/appliances`, both shapes are in
/// public client code) is read once and filtered by `serviceMeshId`.
pub async fn service_meshes(api: &Api, notes: &mut Notes) -> Option<Vec<ServiceMesh>> {
    let got = api
        .get(SERVICE_MESH)
        .await
        .and_then(|v| Ok(envelope::top_items(&v)?.to_vec()));
    let items = match got {
        Ok(items) => items,
        Err(e) => {
            notes.fetch("service_meshes", &label(&Method::GET, SERVICE_MESH), &e);
            return None;
        }
    };
    let mut meshes: Vec<ServiceMesh> = items.iter().map(|m| parse_mesh(m, notes)).collect();
    let found = join_all(meshes.iter().map(|m| appliances(api, m))).await;
    let all = if found.iter().any(Result::is_err) {
        Some(
            api.get(APPLIANCES)
                .await
                .and_then(|v| Ok(envelope::top_items(&v)?.to_vec())),
        )
    } else {
        None
    };
    for (mesh, result) in meshes.iter_mut().zip(found) {
        let who = facts::mesh_key(mesh);
        let fact = facts::mesh(&who, "appliances");
        let (raw, endpoint) = match (result, &all, &mesh.id) {
            (Ok(list), _, _) => (Some(list), label(&Method::POST, APPLIANCES_QUERY)),
            (Err(_), Some(Ok(all)), Some(id)) => (
                Some(
                all.iter()
                    .filter(|a| str_field(a, "serviceMeshId") == Some(id.as_str()))
                    .cloned()
                    .collect(),
                ),
                label(&Method::GET, APPLIANCES),
            ),
            (Err(why), fallback, _) => {
                notes.add(&fact, why);
                if let Some(Err(e2)) = fallback {
                    notes.fetch(&fact, &label(&Method::GET, APPLIANCES), e2);
                }
                (None, String::new())
            }
        };
        mesh.appliances = raw.map(|list| list.iter().map(|a| parse_appliance(a, &who, &endpoint, notes)).collect());
    }
    Some(meshes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(notes: Notes) -> Vec<String> {
        notes.into_errors("s").into_iter().map(|e| format!("{}: {}", e.fact, e.message)).collect()
    }

    #[test]
    fn mesh_fields() {
        let v = json!({"serviceMeshId": "sm-1", "name": "m", "state": "COMMITTED", "status": "HEALTHY",
            "backingApplianceType": "PHOTON", "updateAvailable": false, "services": [{"name": "INTERCONNECT"}, {"name": "VMOTION"}]});
        let m = parse_mesh(&v, &mut Notes::default());
        assert_eq!(m.status, Some(Status::Healthy));
        assert_eq!(m.services.unwrap(), vec!["INTERCONNECT", "VMOTION"]);
        let mut notes = Notes::default();
        let m = parse_mesh(&json!({"serviceMeshId": "x", "status": "SPARKLING"}), &mut notes);
        assert_eq!(m.status, Some(Status::Unknown));
        let e = errors(notes);
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("service_meshes.x.status: GET /hybridity/api/interconnect/serviceMesh"), "{e:?}");
    }

    #[test]
    fn mesh_id_under_either_key() {
        let n = &mut Notes::default();
        assert_eq!(parse_mesh(&json!({"id": "sm-9", "status": "HEALTHY"}), n).id.as_deref(), Some("sm-9"));
        assert_eq!(parse_mesh(&json!({"serviceMeshId": 7}), n).id.as_deref(), Some("7"));
        assert_eq!(parse_mesh(&json!({"meshId": "x"}), n).id, None);
    }

    #[test]
    fn mesh_status_object_is_healthy_only_when_every_service_is() {
        let obj = |services: Value| json!({"id": "sm-1", "name": "m", "status": {"timestamp": 1, "services": services}});
        let healthy = obj(json!([{"serviceName": "INTERCONNECT", "status": "HEALTHY", "reason": []},
            {"serviceName": "VMOTION", "status": "up", "reason": []}]));
        let m = parse_mesh(&healthy, &mut Notes::default());
        assert_eq!((m.status, m.message), (Some(Status::Healthy), None));

        let one_down = obj(json!([{"serviceName": "INTERCONNECT", "status": "HEALTHY"},
            {"serviceName": "NETWORK_EXTENSION", "status": "DOWN", "reason": ["NE tunnel down", "peer unreachable"]},
            {"serviceName": "VMOTION", "status": "DEGRADED"}]));
        let m = parse_mesh(&one_down, &mut Notes::default());
        assert_eq!(m.status, Some(Status::Unhealthy));
        assert_eq!(
            m.message.as_deref(),
            Some("NETWORK_EXTENSION: DOWN (NE tunnel down; peer unreachable), VMOTION: DEGRADED")
        );

        let mut notes = Notes::default();
        let odd = obj(json!([{"serviceName": "INTERCONNECT", "status": "HEALTHY"}, {"serviceName": "RAV", "status": "PENDING"}]));
        assert_eq!(parse_mesh(&odd, &mut notes).status, Some(Status::Unknown));
        assert!(errors(notes)[0].contains("`PENDING`"));
    }

    #[test]
    fn unrecognised_mesh_status_shapes_are_unknown_and_named_by_keys() {
        for (status, shape) in [
            (json!({"overall": "HEALTHY", "token": "s3cr3t"}), "keys [overall, token]"),
            (json!({"services": []}), "keys [services]"),
            (json!(["HEALTHY"]), "a list"),
            (json!(true), "a boolean"),
            (json!({"services": [{"serviceName": "IX", "status": {"word": "HEALTHY"}}]}), "keys [word]"),
        ] {
            let mut notes = Notes::default();
            let m = parse_mesh(&json!({"id": "sm-1", "status": status}), &mut notes);
            assert_eq!(m.status, Some(Status::Unknown), "{status}");
            let e = errors(notes).join("\n");
            assert!(e.contains("GET /hybridity/api/interconnect/serviceMesh") && e.contains(shape), "{e}");
            assert!(!e.contains("s3cr3t"));
        }
    }

    #[test]
    fn appliance_fields() {
        let v = json!({"applianceId": "a-1", "applianceName": "IX-1", "applianceType": "HCX-WAN-IX",
            "applianceVersion": {"major": 4, "minor": 10, "patch": 3, "build": "99"},
            "status": {"summary": {"overallStatus": "down", "reasons": ["disk full"]}}, "tunnelStatus": "UP", "updateAvailable": true});
        let a = parse_appliance(&v, "m", "POST x", &mut Notes::default());
        assert_eq!(a.version.unwrap().as_str(), "4.10.3");
        assert_eq!((a.status, a.message.as_deref()), (Some(Status::Unhealthy), Some("disk full")));
        assert_eq!(a.tunnel_status, Some(TunnelStatus::Up));
        assert_eq!(a.update_available, Some(true));
        assert_eq!(a.ha_group, None);
        let mut notes = Notes::default();
        let ne = json!({"applianceId": "n-1", "applianceName": "NE-1", "applianceType": "HCX-NET-EXT",
            "applianceVersion": "4.10.3", "status": {"summary": {"overallStatus": "up"}}, "tunnelStatus": "UP"});
        let a = parse_appliance(&ne, "m", "x", &mut notes);
        assert_eq!(a.ha_group, None);
        let ne_errors = notes.into_errors("s");
        assert_eq!(ne_errors.len(), 1);
        assert_eq!(ne_errors[0].fact, "service_meshes.m.appliances.NE-1.ha_group");
        let mut notes = Notes::default();
        let a = parse_appliance(&json!({"applianceId": "a", "applianceVersion": "x"}), "m", "POST x", &mut notes);
        assert_eq!((a.version, a.status, a.tunnel_status), (None, Some(Status::Unknown), None));
        let e = errors(notes);
        assert_eq!(e.len(), 3);
        assert!(e.iter().all(|e| e.starts_with("service_meshes.m.appliances.a.") && e.contains("POST x")), "{e:?}");
    }

    #[test]
    fn appliance_status_in_the_reference_shape() {
        let v = json!({"applianceId": "a-1", "applianceType": "HCX-WAN-IX-EDGE",
            "applianceStatus": {"state": "HEALTHY", "detailedMessage": ""}, "tunnelStatus": "UP"});
        let a = parse_appliance(&v, "m", "x", &mut Notes::default());
        assert_eq!((a.status, a.message, a.kind.as_deref()), (Some(Status::Healthy), None, Some("HCX-WAN-IX-EDGE")));
        let v = json!({"applianceStatus": {"state": "WARNING", "detailedMessage": "high latency"}});
        let a = parse_appliance(&v, "m", "x", &mut Notes::default());
        assert_eq!((a.status, a.message.as_deref()), (Some(Status::Degraded), Some("high latency")));
        // Both shapes: the worse one.
        let v = json!({"status": {"summary": {"overallStatus": "HEALTHY"}}, "applianceStatus": {"state": "DOWN"}});
        assert_eq!(parse_appliance(&v, "m", "x", &mut Notes::default()).status, Some(Status::Unhealthy));
        // Neither: unknown, named by keys.
        let mut notes = Notes::default();
        let v = json!({"applianceId": "a-2", "status": "HEALTHY", "applianceStatus": {"health": "HEALTHY"}});
        assert_eq!(parse_appliance(&v, "m", "x", &mut notes).status, Some(Status::Unknown));
        assert!(errors(notes).iter().any(|e| e.contains("status is a string")), "status as a bare word is not a documented shape");
    }

    #[test]
    fn tunnel_up_only_when_every_key_present_says_so() {
        let tunnel = |v: Value| parse_appliance(&v, "m", "x", &mut Notes::default()).tunnel_status;
        let metrics = |o: &str, e: &str, t: &[&str]| {
            json!({"metricsSummary": {"overallTransportStatus": o, "overallEncryptionTunnelStatus": e,
                "transportSummary": t.iter().map(|w| json!({"aggregatedTunnelStatus": w})).collect::<Vec<_>>(),
                "totalActiveTunnelCount": 2, "servicePipelineStatus": "UP", "systemState": "RUNNING"}})
        };
        assert_eq!(tunnel(metrics("UP", "UP", &["UP", "UP"])), Some(TunnelStatus::Up));
        assert_eq!(tunnel(metrics("UP", "UP", &["UP", "DOWN"])), Some(TunnelStatus::Down));
        assert_eq!(tunnel(metrics("UP", "SPARKLING", &["UP"])), Some(TunnelStatus::Unknown));
        assert_eq!(tunnel(json!({"overallTransportStatus": "UP"})), Some(TunnelStatus::Up));
        assert_eq!(tunnel(json!({"overallTransportStatus": "UP", "tunnelStatus": "DOWN"})), Some(TunnelStatus::Down));
        assert_eq!(tunnel(json!({"overallTransportStatus": 1})), Some(TunnelStatus::Unknown));
        assert_eq!(tunnel(json!({"transportSummary": [{"aggregatedTunnelStatus": "UP"}, {}]})), Some(TunnelStatus::Unknown));
        assert_eq!(tunnel(json!({"transportSummary": {"x": "UP"}})), Some(TunnelStatus::Unknown));
        // Only the keys the reference names count: a metrics summary without them says nothing.
        let mut notes = Notes::default();
        let a = parse_appliance(&json!({"metricsSummary": {"wanOptStatus": "UP"}}), "m", "x", &mut notes);
        assert_eq!(a.tunnel_status, None);
        assert!(errors(notes).iter().any(|e| e.contains("tunnel_status: x: no tunnel state")));
    }
}
