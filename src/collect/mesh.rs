//! Service meshes (`interconnect/serviceMesh`) and, for each mesh, its appliances
//! (`interconnect/appliances/query`, all meshes concurrently; the full
//! `interconnect/appliances` list where a query fails). Status words go through
//! [`super::status`]: an unrecognised or missing word is `unknown`, never `healthy`.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use super::envelope::{self, bool_field, str_field, text_field};
use super::http::{label, Api};
use super::inferred::{APPLIANCE_TUNNEL_KEYS, APPLIANCE_UPDATE_KEYS, NETWORK_EXTENSION_TYPE_PREFIX};
use super::notes::Notes;
use super::paths::{APPLIANCES, APPLIANCES_QUERY, SERVICE_MESH};
use super::status::{map_status, map_tunnel};
use crate::snapshot::{Appliance, ServiceMesh, Status};
use crate::version::HcxVersion;

/// Read a status word; a missing or unrecognised one is `unknown` and noted.
fn status_of(word: Option<&str>, fact: String, notes: &mut Notes) -> Status {
    match word {
        Some(w) => {
            let s = map_status(w);
            if s == Status::Unknown {
                notes.add(
                    fact,
                    format!("status word `{w}` is not one we recognise: read as unknown"),
                );
            }
            s
        }
        None => {
            notes.add(fact, "no status in the answer: unknown");
            Status::Unknown
        }
    }
}

/// Parse one mesh (without its appliances).
pub fn parse_mesh(v: &Value, notes: &mut Notes) -> ServiceMesh {
    let id = text_field(v, "serviceMeshId");
    let name = str_field(v, "name").map(String::from);
    let who = name.clone().or_else(|| id.clone()).unwrap_or_else(|| "?".into());
    let status = status_of(str_field(v, "status"), format!("service_meshes[{who}].status"), notes);
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
        backing: str_field(v, "backingApplianceType").map(String::from),
        update_available: bool_field(v, "updateAvailable"),
        services,
        appliances: None,
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

/// Parse one appliance.
pub fn parse_appliance(v: &Value, mesh: &str, notes: &mut Notes) -> Appliance {
    let id = text_field(v, "applianceId");
    let name = str_field(v, "applianceName").map(String::from);
    let fact = format!(
        "service_meshes[{mesh}].appliances[{}]",
        name.clone().or_else(|| id.clone()).unwrap_or_else(|| "?".into())
    );
    let word = v
        .get("status")
        .and_then(|s| s.get("summary"))
        .and_then(|s| str_field(s, "overallStatus"));
    let status = status_of(word, format!("{fact}.status"), notes);
    let version = match appliance_version(v) {
        Some(Ok(ver)) => Some(ver),
        Some(Err(e)) => {
            notes.add(format!("{fact}.version"), e);
            None
        }
        None => {
            notes.add(format!("{fact}.version"), "no `applianceVersion` in the answer");
            None
        }
    };
    let tunnel = APPLIANCE_TUNNEL_KEYS
        .iter()
        .find_map(|k| str_field(v, k))
        .map(map_tunnel);
    if tunnel.is_none() {
        notes.add(
            format!("{fact}.tunnel_status"),
            "no tunnel state in the answer (the API field is not public)",
        );
    }
    let kind = str_field(v, "applianceType").map(String::from);
    if kind.as_deref().is_some_and(is_network_extension) {
        // No public API tells whether an NE appliance is in an HA group.
        let who = name.clone().or_else(|| id.clone()).unwrap_or_else(|| "?".into());
        notes.add(
            format!("service_meshes.{mesh}.appliances.{who}.ha_group"),
            format!(
                "no public API reports Network Extension HA groups: attest it as \
                 service_meshes.{mesh}.appliances.{who}.ha_group=GROUP (or =none)"
            ),
        );
    }
    Appliance {
        id,
        name,
        kind,
        version,
        status: Some(status),
        tunnel_status: tunnel,
        update_available: APPLIANCE_UPDATE_KEYS.iter().find_map(|k| bool_field(v, k)),
        ha_group: None,
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
        return Err("the mesh has no serviceMeshId to query its appliances".into());
    };
    let body = json!({"filter": {"serviceMeshId": id}});
    api.post(APPLIANCES_QUERY, None, &body)
        .await
        .and_then(|v| Ok(envelope::top_items(&v)?.to_vec()))
        .map_err(|e| format!("{}: {e}", label(&Method::POST, APPLIANCES_QUERY)))
}

fn mesh_name(mesh: &ServiceMesh) -> String {
    mesh.name.clone().or_else(|| mesh.id.clone()).unwrap_or_else(|| "?".into())
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
        let who = mesh_name(mesh);
        let raw = match (result, &all, &mesh.id) {
            (Ok(list), _, _) => Some(list),
            (Err(_), Some(Ok(all)), Some(id)) => Some(
                all.iter()
                    .filter(|a| str_field(a, "serviceMeshId") == Some(id.as_str()))
                    .cloned()
                    .collect(),
            ),
            (Err(why), fallback, _) => {
                notes.add(format!("service_meshes[{who}].appliances"), why);
                if let Some(Err(e2)) = fallback {
                    notes.fetch(format!("service_meshes[{who}].appliances"), &label(&Method::GET, APPLIANCES), e2);
                }
                None
            }
        };
        mesh.appliances = raw.map(|list| list.iter().map(|a| parse_appliance(a, &who, notes)).collect());
    }
    Some(meshes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::TunnelStatus;

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
        assert_eq!(notes.into_errors("s").len(), 1);
    }

    #[test]
    fn appliance_fields() {
        let v = json!({"applianceId": "a-1", "applianceName": "IX-1", "applianceType": "HCX-WAN-IX",
            "applianceVersion": {"major": 4, "minor": 10, "patch": 3, "build": "99"},
            "status": {"summary": {"overallStatus": "down"}}, "tunnelStatus": "UP", "updateAvailable": true});
        let a = parse_appliance(&v, "m", &mut Notes::default());
        assert_eq!(a.version.unwrap().as_str(), "4.10.3");
        assert_eq!(a.status, Some(Status::Unhealthy));
        assert_eq!(a.tunnel_status, Some(TunnelStatus::Up));
        assert_eq!(a.update_available, Some(true));
        assert_eq!(a.ha_group, None);
        let mut notes = Notes::default();
        let ne = json!({"applianceId": "n-1", "applianceName": "NE-1", "applianceType": "HCX-NET-EXT",
            "applianceVersion": "4.10.3", "status": {"summary": {"overallStatus": "up"}}, "tunnelStatus": "UP"});
        let a = parse_appliance(&ne, "m", &mut notes);
        assert_eq!(a.ha_group, None);
        let errors = notes.into_errors("s");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].fact, "service_meshes.m.appliances.NE-1.ha_group");
        let mut notes = Notes::default();
        let a = parse_appliance(&json!({"applianceId": "a", "applianceVersion": "x"}), "m", &mut notes);
        assert_eq!(
            (a.version, a.status, a.tunnel_status),
            (None, Some(Status::Unknown), None)
        );
        assert_eq!(notes.into_errors("s").len(), 3);
    }
}
