//! Registered systems: vCenter, NSX and the SSO lookup service as appliance management
//! (9443) lists them, the app engine service state (9443), and the vCenter inventory of
//! the HCX Manager API (443; it needs the vCenter GUID from the interconnect context).
//!
//! No API reports whether a connection is healthy. A connection gets `derived` health
//! only from an observation that needs it to work, named in `evidence`: the vCenter when
//! the manager's vCenter inventory lists it, the lookup service when the SSO login went
//! through it; both only while the app engine reports RUNNING. Everything else is
//! `unknown` with an `errors` entry (attest it). vCenter is mandatory: an empty vCenter
//! registration is unknown, never "not in use". Cloud Director and RabbitMQ have no known
//! config path: on a cloud site they are present as `unknown` (with an `errors` entry)
//! until an operator attests them healthy or `not_in_use`; on a connector site they do
//! not apply.

use reqwest::Method;
use serde_json::Value;

use super::envelope::{self, str_field, text_field, ShapeError};
use super::facts;
use super::http::{label, Api, FetchError};
use super::inferred::{resource_container_body, VC_GUID_PARAM};
use super::notes::Notes;
use super::paths::{
    ADMIN_APPENGINE, ADMIN_LOOKUP_SERVICE, ADMIN_NSX, ADMIN_VCENTER, INTERCONNECT_CONTEXT, RESOURCE_CONTAINER_LIST,
    SESSIONS,
};
use crate::snapshot::{Connection, ConnectionKind, Provenance, Role, Status};

/// What appliance management says about registered systems.
#[derive(Debug)]
pub struct AdminConfigs {
    pub vcenter: Result<Option<Value>, FetchError>,
    pub nsx: Result<Option<Value>, FetchError>,
    pub lookup: Result<Option<Value>, FetchError>,
    pub appengine: Result<String, FetchError>,
}

async fn config(admin: &Api, path: &str) -> Result<Option<Value>, FetchError> {
    let v = admin.get(path).await?;
    Ok(envelope::admin_config(&v)?.cloned())
}

/// Parse `{"result": "RUNNING"|"STOPPED"}`.
pub fn parse_appengine(v: &Value) -> Result<String, ShapeError> {
    envelope::flat(v)?;
    str_field(v, "result")
        .map(String::from)
        .ok_or_else(|| ShapeError("no `result` word".into()))
}

/// Read the three configurations and the app engine state, concurrently.
pub async fn admin_configs(admin: &Api) -> AdminConfigs {
    let appengine = async {
        let v = admin.get(ADMIN_APPENGINE).await?;
        Ok(parse_appengine(&v)?)
    };
    let (vcenter, nsx, lookup, appengine) = tokio::join!(
        config(admin, ADMIN_VCENTER),
        config(admin, ADMIN_NSX),
        config(admin, ADMIN_LOOKUP_SERVICE),
        appengine
    );
    AdminConfigs {
        vcenter,
        nsx,
        lookup,
        appengine,
    }
}

/// Parse `[0].cloudManagementPlatforms[0].cmpId`.
pub fn parse_vc_guid(v: &Value) -> Result<String, ShapeError> {
    v.get(0)
        .and_then(|c| c.get("cloudManagementPlatforms"))
        .and_then(|p| p.get(0))
        .and_then(|p| str_field(p, "cmpId"))
        .map(String::from)
        .ok_or_else(|| ShapeError("no `[0].cloudManagementPlatforms[0].cmpId`".into()))
}

/// The manager's vCenter inventory: interconnect context -> `cmpId` -> resource container list.
pub async fn vcenter_inventory(api: &Api) -> Result<Vec<Value>, (String, FetchError)> {
    let ctx = api
        .get(INTERCONNECT_CONTEXT)
        .await
        .and_then(|v| parse_vc_guid(&v).map_err(FetchError::from))
        .map_err(|e| (label(&Method::GET, INTERCONNECT_CONTEXT), e))?;
    let query = format!("{VC_GUID_PARAM}={}", form_escape(&ctx));
    let listed = api
        .post(RESOURCE_CONTAINER_LIST, Some(&query), &resource_container_body())
        .await
        .and_then(|v| Ok(envelope::data_items(&v)?.to_vec()))
        .map_err(|e| (label(&Method::POST, RESOURCE_CONTAINER_LIST), e))?;
    Ok(listed)
}

/// Percent-encode a query value (GUIDs are plain, but the server controls them).
fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url).ok()?.host_str().map(str::to_ascii_lowercase)
}

fn connection(kind: ConnectionKind, url: Option<String>, version: Option<String>) -> Connection {
    Connection {
        kind,
        url,
        version,
        status: Some(Status::Unknown),
        message: None,
        provenance: None,
        evidence: None,
        stamp: Default::default(),
    }
}

/// Why a connection's health cannot be derived, or `None` when it can.
type Derivation = Result<String, String>;

fn vcenter_evidence(cfg: &Value, inventory: &Result<Vec<Value>, (String, FetchError)>) -> Derivation {
    let listed = match inventory {
        Ok(items) => items,
        Err((endpoint, e)) => return Err(format!("the vCenter inventory could not be read ({endpoint}: {e})")),
    };
    let uuid = text_field(cfg, "vcuuid");
    let host = str_field(cfg, "url").and_then(host_of);
    let hit = listed.iter().find(|item| {
        let same_uuid = uuid.is_some() && text_field(item, "vcuuid") == uuid;
        let same_host = host.is_some() && str_field(item, "url").and_then(host_of) == host;
        same_uuid || same_host
    });
    match hit {
        Some(item) => Ok(format!(
            "{} answered and lists this vCenter ({})",
            label(&Method::POST, RESOURCE_CONTAINER_LIST),
            text_field(item, "vcuuid")
                .or_else(|| text_field(item, "url"))
                .unwrap_or_default()
        )),
        None => Err("the manager's vCenter inventory does not list the registered vCenter".into()),
    }
}

/// Turn what was read into the connection list. `configs` is `None` when appliance
/// management could not be used; then the list is unknown (`None`).
pub fn assemble(
    role: Role,
    configs: Option<&AdminConfigs>,
    inventory: &Result<Vec<Value>, (String, FetchError)>,
    notes: &mut Notes,
) -> Option<Vec<Connection>> {
    let configs = configs?;
    let engine = app_engine_running(configs);
    let mut out = Vec::new();
    let sources = [
        (ConnectionKind::Vcenter, ADMIN_VCENTER, &configs.vcenter),
        (ConnectionKind::Nsx, ADMIN_NSX, &configs.nsx),
        (ConnectionKind::LookupService, ADMIN_LOOKUP_SERVICE, &configs.lookup),
    ];
    for (kind, path, read) in sources {
        match read {
            Ok(Some(cfg)) => out.push(registered(kind, cfg, inventory, &engine, notes)),
            // vCenter is mandatory: an empty registration is a problem to look at, not "not in use".
            Ok(None) if kind == ConnectionKind::Vcenter => out.push(no_vcenter(path, notes)),
            Ok(None) => {} // not registered: not in use
            // Unknown, not absent: an unreadable registration must not look unused.
            Err(e) => out.push(unreadable(kind, path, e, notes)),
        }
    }
    if role == Role::Cloud {
        out.extend(cloud_only(notes));
    }
    Some(out)
}

/// `Ok` when the app engine service is RUNNING: no connection is derived healthy otherwise.
fn app_engine_running(configs: &AdminConfigs) -> Result<(), String> {
    match &configs.appengine {
        Ok(word) if word.eq_ignore_ascii_case("RUNNING") => Ok(()),
        Ok(word) => Err(format!("the app engine service is {word}")),
        Err(e) => Err(format!(
            "the app engine state could not be read ({}: {e})",
            label(&Method::GET, ADMIN_APPENGINE)
        )),
    }
}

/// A registered connection: healthy (derived, with its evidence) when its evidence holds
/// and the app engine runs; else unknown, with why.
fn registered(
    kind: ConnectionKind,
    cfg: &Value,
    inventory: &Result<Vec<Value>, (String, FetchError)>,
    engine: &Result<(), String>,
    notes: &mut Notes,
) -> Connection {
    let (url, version, derivation) = match kind {
        ConnectionKind::Vcenter => (
            str_field(cfg, "url"),
            text_field(cfg, "version"),
            vcenter_evidence(cfg, inventory),
        ),
        ConnectionKind::LookupService => (
            str_field(cfg, "lookupServiceUrl"),
            None,
            Ok(format!(
                "the SSO login {} went through this lookup service",
                label(&Method::POST, SESSIONS)
            )),
        ),
        _ => (
            str_field(cfg, "url"),
            text_field(cfg, "version"),
            Err("no API reports the health of this connection".to_string()),
        ),
    };
    let mut c = connection(kind, url.map(String::from), version);
    match derivation.and_then(|evidence| engine.clone().map(|()| evidence)) {
        Ok(evidence) => {
            c.status = Some(Status::Healthy);
            c.provenance = Some(Provenance::Derived);
            c.evidence = Some(format!("{evidence}; the app engine service is RUNNING"));
        }
        Err(why) => {
            notes.add(facts::connection_status(kind), format!("unknown: {why}"));
            c.message = Some(why);
        }
    }
    c
}

/// vCenter with no registration: unknown, to register or attest.
fn no_vcenter(path: &str, notes: &mut Notes) -> Connection {
    let kind = ConnectionKind::Vcenter;
    let why = format!("appliance management ({}) lists no vCenter Server registration", label(&Method::GET, path));
    notes.add(facts::connection_status(kind), format!("unknown: {why}; register it, or attest it"));
    let mut c = connection(kind, None, None);
    c.message = Some(why);
    c
}

/// A registration that could not be read: unknown, with the failed request.
fn unreadable(kind: ConnectionKind, path: &str, e: &FetchError, notes: &mut Notes) -> Connection {
    let mut c = connection(kind, None, None);
    c.message = Some(format!(
        "configuration could not be read: {}: {e}",
        label(&Method::GET, path)
    ));
    notes.fetch(facts::connection_status(kind), &label(&Method::GET, path), e);
    c
}

/// A cloud site's Cloud Director and RMQ connections: no public API says whether they
/// are used, so they are unknown.
fn cloud_only(notes: &mut Notes) -> Vec<Connection> {
    [ConnectionKind::CloudDirector, ConnectionKind::Rmq]
        .into_iter()
        .map(|kind| {
            let why = "no public API reports whether it is used, nor its health";
            notes.add(facts::connection_status(kind), format!("unknown: {why} (healthy, or not_in_use)"));
            let mut c = connection(kind, None, None);
            c.message = Some(why.into());
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configs(appengine: &str) -> AdminConfigs {
        AdminConfigs {
            vcenter: Ok(Some(
                json!({"url": "https://vc01.corp.example", "version": "8.0.3", "vcuuid": "vc-1"}),
            )),
            nsx: Ok(Some(json!({"url": "https://nsx01.corp.example", "version": "4.1.2"}))),
            lookup: Ok(None),
            appengine: Ok(appengine.into()),
        }
    }

    #[test]
    fn vcenter_is_derived_healthy_only_with_evidence() {
        let inv = Ok(vec![json!({"vcuuid": "vc-1", "url": "https://vc01.corp.example"})]);
        let mut notes = Notes::default();
        let c = assemble(Role::Connector, Some(&configs("RUNNING")), &inv, &mut notes).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].status, Some(Status::Healthy));
        assert_eq!(c[0].provenance, Some(Provenance::Derived));
        assert!(c[0].evidence.as_deref().unwrap().contains("vc-1"));
        // NSX: no evidence, so unknown with a note.
        assert_eq!(c[1].status, Some(Status::Unknown));
        assert!(notes
            .into_errors("s")
            .iter()
            .any(|e| e.fact == "connections.nsx.status"));
    }

    #[test]
    fn no_inventory_or_stopped_engine_means_unknown() {
        let err = Err((
            "GET x".to_string(),
            FetchError::Status {
                code: 500,
                retried: true,
            },
        ));
        let c = assemble(Role::Connector, Some(&configs("RUNNING")), &err, &mut Notes::default()).unwrap();
        assert_eq!(c[0].status, Some(Status::Unknown));
        let inv = Ok(vec![json!({"vcuuid": "vc-1"})]);
        let c = assemble(Role::Connector, Some(&configs("STOPPED")), &inv, &mut Notes::default()).unwrap();
        assert_eq!(c[0].status, Some(Status::Unknown));
        assert!(assemble(Role::Connector, None, &inv, &mut Notes::default()).is_none());
    }

    #[test]
    fn an_empty_vcenter_registration_is_unknown_not_unused() {
        let mut cfg = configs("RUNNING");
        cfg.vcenter = Ok(None);
        let mut notes = Notes::default();
        let c = assemble(Role::Connector, Some(&cfg), &Ok(vec![]), &mut notes).unwrap();
        assert_eq!((c[0].kind, c[0].status), (ConnectionKind::Vcenter, Some(Status::Unknown)));
        let errors = notes.into_errors("src.example");
        let e = errors.iter().find(|e| e.fact == "connections.vcenter.status").expect("an errors line");
        assert!(e.message.contains("lists no vCenter Server registration"), "{}", e.message);
        assert!(e.message.contains("--attest 'src.example.connections.vcenter.status=healthy;"), "{}", e.message);
    }

    #[test]
    fn cloud_director_and_rmq_are_unknown_on_a_cloud_site_only() {
        let inv = Ok(vec![json!({"vcuuid": "vc-1"})]);
        let mut notes = Notes::default();
        let c = assemble(Role::Cloud, Some(&configs("RUNNING")), &inv, &mut notes).unwrap();
        let kinds: Vec<_> = c.iter().map(|c| (c.kind, c.status)).collect();
        assert!(kinds.contains(&(ConnectionKind::CloudDirector, Some(Status::Unknown))), "{kinds:?}");
        assert!(kinds.contains(&(ConnectionKind::Rmq, Some(Status::Unknown))), "{kinds:?}");
        let errors = notes.into_errors("cloud-east");
        assert!(errors.iter().any(|e| e.fact == "connections.rmq.status" && e.message.contains("--attest 'cloud-east.connections.rmq.status=healthy;")));
        let c = assemble(Role::Connector, Some(&configs("RUNNING")), &inv, &mut Notes::default()).unwrap();
        assert!(c.iter().all(|c| !matches!(c.kind, ConnectionKind::CloudDirector | ConnectionKind::Rmq)));
    }

    #[test]
    fn vc_guid() {
        assert_eq!(
            parse_vc_guid(&json!([{"cloudManagementPlatforms": [{"cmpId": "g"}]}])).unwrap(),
            "g"
        );
        assert!(parse_vc_guid(&json!({"items": []})).is_err());
    }
}
