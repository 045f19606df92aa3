//! The two families of answer shapes the simulator can speak (the scenario's `shapes`):
//! `client-code`, the shapes seen in public client code, in which scenario files are
//! written; and `reference`, the shapes of the vendor's API reference (hcx-facts.md,
//! "Shapes documented by the vendor's API reference"), derived here from the same data so
//! that one scenario serves both and the collector must read the same facts from either.
//!
//! What `reference` changes: the mesh id is `id`; a mesh status word becomes the object of
//! per-service statuses; an appliance's `status.summary{overallStatus, reasons}` becomes
//! `applianceStatus{state, detailedMessage}` and its `tunnelStatus` the metrics-summary
//! keys; site pairs lose `cloudName`, `version` and `buildNumber`. Data already in another
//! shape (e.g. a status object written in the scenario) passes through unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use hcx_preflight::api::inferred::APPLIANCE_METRICS_KEY;
use hcx_preflight::api::{map_status, map_tunnel};
use hcx_preflight::snapshot::{Status, TunnelStatus};

/// Which family of answer shapes a simulated manager speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Shapes {
    /// The shapes of public client code (PowerCLI, Terraform provider, AVS scripts).
    #[default]
    ClientCode,
    /// The shapes of the vendor's API reference.
    Reference,
}

/// The time stamp the reference's mesh status carries (fixed: answers are deterministic).
const STATUS_TIMESTAMP: u64 = 1_764_403_200_000;

/// A Service Mesh item as this family answers it.
pub fn mesh(raw: &Map<String, Value>, shapes: Shapes) -> Value {
    let mut m = raw.clone();
    if shapes == Shapes::Reference {
        if let Some(id) = m.remove("serviceMeshId") {
            m.entry("id").or_insert(id);
        }
        if let Some(Value::String(word)) = m.get("status") {
            let status = service_statuses(word, &m);
            m.insert("status".into(), status);
        }
    }
    Value::Object(m)
}

/// `{timestamp, services: [{serviceName, status, reason[]}]}`: every service of the mesh
/// reports the mesh's word, with a reason when it is not a healthy one.
fn service_statuses(word: &str, mesh: &Map<String, Value>) -> Value {
    let mut names: Vec<String> = mesh
        .get("services")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|s| s["name"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    if names.is_empty() {
        names.push("INTERCONNECT".into());
    }
    let healthy = map_status(word) == Status::Healthy;
    let services: Vec<Value> = names
        .iter()
        .map(|n| {
            let reason: Vec<String> = if healthy { vec![] } else { vec![format!("{n} reports {word}")] };
            json!({"serviceName": n, "status": word, "reason": reason})
        })
        .collect();
    json!({"timestamp": STATUS_TIMESTAMP, "services": services})
}

/// A Service Mesh appliance as this family answers it.
pub fn appliance(raw: &Value, shapes: Shapes) -> Value {
    let (Shapes::Reference, Value::Object(a)) = (shapes, raw) else {
        return raw.clone();
    };
    let mut a = a.clone();
    let summary = a.get("status").and_then(|s| s.get("summary")).cloned();
    if let Some(state) = summary.as_ref().and_then(|s| s.get("overallStatus")).cloned() {
        let reasons: Vec<&str> = summary
            .as_ref()
            .and_then(|s| s["reasons"].as_array())
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        a.remove("status");
        a.insert(
            "applianceStatus".into(),
            json!({"state": state, "detailedMessage": reasons.join("; ")}),
        );
    }
    if let Some(Value::String(word)) = a.get("tunnelStatus").cloned() {
        a.remove("tunnelStatus");
        let up = map_tunnel(&word) == TunnelStatus::Up;
        a.insert(
            APPLIANCE_METRICS_KEY.into(),
            json!({
                "overallTransportStatus": word,
                "overallEncryptionTunnelStatus": word,
                "transportSummary": [{"transportName": "uplink-1", "aggregatedTunnelStatus": word}],
                "totalActiveTunnelCount": u8::from(up),
                "servicePipelineStatus": word,
                "wanOptStatus": "NOT_APPLICABLE",
                "systemState": "RUNNING"
            }),
        );
    }
    Value::Object(a)
}

/// A `cloudConfigs` item (site pair) as this family answers it: the reference's example
/// has only `endpointId`, `cloudType`, `url`, `username`.
pub fn cloud_config(raw: &Value, shapes: Shapes) -> Value {
    let mut c = raw.clone();
    if let (Shapes::Reference, Value::Object(o)) = (shapes, &mut c) {
        for k in ["cloudName", "version", "buildNumber"] {
            o.remove(k);
        }
    }
    c
}

/// The id of a scenario mesh, whichever key holds it.
pub fn mesh_id(raw: &Map<String, Value>) -> Option<&str> {
    ["serviceMeshId", "id"].iter().find_map(|k| raw.get(*k).and_then(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_code_is_served_as_written() {
        let m = json!({"serviceMeshId": "sm-1", "status": "HEALTHY"});
        assert_eq!(mesh(m.as_object().unwrap(), Shapes::ClientCode), m);
        let a = json!({"status": {"summary": {"overallStatus": "HEALTHY"}}, "tunnelStatus": "UP"});
        assert_eq!(appliance(&a, Shapes::ClientCode), a);
        let c = json!({"cloudName": "c", "version": "4.10.3"});
        assert_eq!(cloud_config(&c, Shapes::ClientCode), c);
    }

    #[test]
    fn reference_shapes() {
        let m = json!({"serviceMeshId": "sm-1", "status": "DOWN", "services": [{"name": "INTERCONNECT"}, {"name": "VMOTION"}]});
        let r = mesh(m.as_object().unwrap(), Shapes::Reference);
        assert_eq!(r["id"], "sm-1");
        assert!(r.get("serviceMeshId").is_none());
        assert_eq!(r["status"]["services"][1], json!({"serviceName": "VMOTION", "status": "DOWN", "reason": ["VMOTION reports DOWN"]}));
        let a = json!({"status": {"summary": {"overallStatus": "WARNING", "reasons": ["a", "b"]}}, "tunnelStatus": "UP"});
        let r = appliance(&a, Shapes::Reference);
        assert_eq!(r["applianceStatus"], json!({"state": "WARNING", "detailedMessage": "a; b"}));
        assert_eq!(r["metricsSummary"]["transportSummary"][0]["aggregatedTunnelStatus"], "UP");
        assert!(r.get("status").is_none() && r.get("tunnelStatus").is_none());
        let c = cloud_config(&json!({"cloudName": "c", "version": "4", "buildNumber": "1", "endpointId": "e"}), Shapes::Reference);
        assert_eq!(c, json!({"endpointId": "e"}));
    }
}
