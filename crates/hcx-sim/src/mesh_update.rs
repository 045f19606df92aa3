//! The Service Mesh update, simulated: what the operator's "Update" under Service Mesh >
//! View Appliances on the SOURCE site's HCX Manager does (HCX 4.6 user guide, "Upgrading
//! the HCX Service Mesh Appliances"). Started only from the source site, it runs on both
//! sites: every appliance converges to its own manager's version (each appliance's peer
//! at the destination with it), except those the scenario leaves behind on the first
//! update (`mesh_update.left_behind`). While an appliance lags its manager, it and its
//! mesh carry `updateAvailable: true` (where the scenario's raw data has that key); OSAM
//! (SGW/SDR) appliances never show the flag, as the vendor says.
//!
//! No public API starts this update, so the trigger is ours: `POST` [`UPDATE_PATH`] on the
//! source site's HCX Manager API (with its session token), or
//! [`super::Simulator::update_service_mesh`] from a test.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::routes::Ctx;
use super::scenario::MeshData;
use super::state::SiteState;
use hcx_preflight::api::inferred::role_from_endpoint_type;
use hcx_preflight::snapshot::Role;

/// The simulator's own control path standing for the UI's "Update" (not an HCX path).
pub const UPDATE_PATH: &str = "/sim/control/service-mesh/update";

/// Appliance types that show no update flag by design (OSAM).
const NO_FLAG_TYPES: &[&str] = &["HCX-SGW", "HCX-SDR"];

/// Why an update could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshUpdateError {
    #[error("no simulated site named `{0}`")]
    NoSuchSite(String),
    #[error("site `{0}` is not the source site: the Service Mesh update is started from the source (connector) site only")]
    NotSource(String),
}

/// The raw version of an appliance as text (`applianceVersion` object or string).
fn raw_version(a: &Value) -> Option<String> {
    match a.get("applianceVersion")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            let parts: Vec<String> = ["major", "minor", "patch", "revision"]
                .iter()
                .map_while(|k| o.get(*k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect();
            Some(parts.join("."))
        }
        _ => None,
    }
}

/// Set an appliance's version in the form the scenario wrote it.
fn set_version(a: &mut Value, version: &str, build: &str) {
    let parts: Vec<u64> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    match a.get_mut("applianceVersion") {
        Some(Value::Object(o)) => {
            for (i, k) in ["major", "minor", "patch", "revision"].iter().enumerate() {
                match parts.get(i) {
                    Some(n) => {
                        o.insert((*k).to_string(), json!(n));
                    }
                    None => {
                        o.remove(*k);
                    }
                }
            }
            o.insert("build".into(), json!(build));
        }
        _ => {
            if let Some(obj) = a.as_object_mut() {
                obj.insert("applianceVersion".into(), json!(version));
            }
        }
    }
}

fn same_version(a: &str, b: &str) -> bool {
    let parts = |v: &str| {
        let mut p: Vec<u64> = v.split('.').filter_map(|x| x.parse().ok()).collect();
        p.resize(4, 0);
        p
    };
    parts(a) == parts(b)
}

fn shows_flag(a: &Value) -> bool {
    let kind = a.get("applianceType").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
    !NO_FLAG_TYPES.iter().any(|t| kind.starts_with(t))
}

/// The meshes as served: `updateAvailable` follows whether an appliance lags `release`.
pub fn with_flags(meshes: &[MeshData], release: &str) -> Vec<MeshData> {
    let mut out = meshes.to_vec();
    for mesh in &mut out {
        let mut any = false;
        for a in &mut mesh.appliances {
            let lags = shows_flag(a) && raw_version(a).is_some_and(|v| !same_version(&v, release));
            any |= lags;
            if let Some(flag) = a.get_mut("updateAvailable") {
                *flag = json!(lags);
            }
        }
        if let Some(flag) = mesh.raw.get_mut("updateAvailable") {
            *flag = json!(any);
        }
    }
    out
}

/// One site's part of an update: converge its appliances to its manager's release,
/// leaving behind those named (on the first update only). Returns the names updated.
pub fn converge(site: &SiteState) -> Vec<String> {
    let (version, build) = site.release();
    let first = site.count_mesh_update() == 1;
    let left = &site.scenario.mesh_update.left_behind;
    let mut updated = Vec::new();
    site.update_meshes(|meshes| {
        for a in meshes.iter_mut().flat_map(|m| m.appliances.iter_mut()) {
            let name = a.get("applianceName").and_then(Value::as_str).map(str::to_string);
            let id = a.get("applianceId").and_then(Value::as_str).map(str::to_string);
            let behind = first && left.iter().any(|l| Some(l) == name.as_ref() || Some(l) == id.as_ref());
            if !behind && raw_version(a).is_some_and(|v| !same_version(&v, &version)) {
                set_version(a, &version, &build);
                updated.push(name.or(id).unwrap_or_else(|| "?".into()));
            }
        }
    });
    updated
}

/// Start the update from `from` (must be the source site): every site's appliances converge.
pub fn update_from(estate: &[Arc<SiteState>], from: &str) -> Result<Vec<String>, MeshUpdateError> {
    let source = estate
        .iter()
        .find(|s| s.scenario.name == from)
        .ok_or_else(|| MeshUpdateError::NoSuchSite(from.to_string()))?;
    let role = source.scenario.manager.endpoint_type.as_deref().and_then(role_from_endpoint_type);
    if role != Some(Role::Connector) {
        return Err(MeshUpdateError::NotSource(from.to_string()));
    }
    Ok(estate.iter().flat_map(|s| converge(s)).collect())
}

/// `POST` [`UPDATE_PATH`]: the update, started on this site.
pub async fn handle(State(ctx): State<Arc<Ctx>>) -> Response {
    let answer = |status: StatusCode, v: Value| {
        (status, [(axum::http::header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
    };
    match update_from(&ctx.estate, &ctx.site.scenario.name) {
        Ok(updated) => answer(StatusCode::OK, json!({"updated": updated})),
        Err(e) => answer(StatusCode::CONFLICT, json!({"message": e.to_string()})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mesh(appliances: Vec<Value>) -> MeshData {
        MeshData {
            raw: serde_json::from_value(json!({"serviceMeshId": "m", "updateAvailable": false})).unwrap(),
            appliances,
        }
    }

    #[test]
    fn flags_follow_the_lag_but_osam_shows_none() {
        let m = mesh(vec![
            json!({"applianceName": "IX", "applianceType": "HCX-WAN-IX", "applianceVersion": {"major": 4, "minor": 10, "patch": 3}, "updateAvailable": false}),
            json!({"applianceName": "SGW", "applianceType": "HCX-SGW", "applianceVersion": "4.10.3", "updateAvailable": false}),
        ]);
        let served = with_flags(&[m.clone()], "4.11.0");
        assert_eq!(served[0].raw["updateAvailable"], json!(true));
        assert_eq!(served[0].appliances[0]["updateAvailable"], json!(true));
        assert_eq!(served[0].appliances[1]["updateAvailable"], json!(false));
        let served = with_flags(&[m], "4.10.3.0");
        assert_eq!(served[0].raw["updateAvailable"], json!(false));
    }

    #[test]
    fn versions_keep_their_form() {
        let mut a = json!({"applianceVersion": {"major": 9, "minor": 0, "patch": 0, "revision": 0, "build": "1"}});
        set_version(&mut a, "9.1.1.0", "25690219");
        assert_eq!(raw_version(&a).as_deref(), Some("9.1.1.0"));
        assert_eq!(a["applianceVersion"]["build"], json!("25690219"));
        let mut b = json!({"applianceVersion": "4.10.3"});
        set_version(&mut b, "4.11.0", "2");
        assert_eq!(b["applianceVersion"], json!("4.11.0"));
    }
}
