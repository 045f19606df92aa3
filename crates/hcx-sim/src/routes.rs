//! The HTTP side of a simulated manager: both APIs as axum routers with the documented
//! paths and envelopes, and one middleware that counts requests, adds latency, injects
//! the scenario's faults and checks authentication (token on 443; Basic, or the 9.x
//! session token, on 9443), answering 401 without valid credentials.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::scenario::{FaultKind, Port};
use super::shapes;
use super::state::SiteState;
use super::upgrade;
use hcx_preflight::api::inferred::upgrade_api;
use hcx_preflight::api::paths::*;
use hcx_preflight::api::SSO_NOT_READY;

/// What a handler knows: its site, which listener it serves, and every site of the
/// scenario (a site pair reports its peer's release; a mesh update runs on both sides).
pub struct Ctx {
    pub site: Arc<SiteState>,
    pub port: Port,
    pub estate: Arc<Vec<Arc<SiteState>>>,
}

type Shared = State<Arc<Ctx>>;

fn json_response(status: StatusCode, v: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn ok(v: Value) -> Response {
    json_response(StatusCode::OK, &v)
}

fn data_envelope(items: Vec<Value>) -> Value {
    json!({"success": true, "completed": true, "time": 1764403200000u64, "version": "1.0", "data": {"items": items}})
}

fn config_envelope(config: Option<&Value>) -> Value {
    let items: Vec<Value> = config.map(|c| json!({"config": c})).into_iter().collect();
    json!({"data": {"items": items}})
}

fn body_json(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"error": "not found"}))
}

fn unauthorized() -> Response {
    json_response(StatusCode::UNAUTHORIZED, &json!({"error": "unauthorized"}))
}

async fn login(State(ctx): Shared, body: Bytes) -> Response {
    let b = body_json(&body);
    let c = &ctx.site.scenario.credentials;
    let (user, pass) = match ctx.port {
        Port::Api => (&c.username, &c.password),
        Port::Admin => (&c.admin_username, &c.admin_password),
    };
    if b["username"].as_str() != Some(user.as_str()) || b["password"].as_str() != Some(pass.as_str()) {
        return unauthorized();
    }
    let token = ctx.site.issue_token(ctx.port);
    let mut r = ok(json!({"success": true}));
    if let Ok(v) = HeaderValue::from_str(&token) {
        r.headers_mut().insert(TOKEN_HEADER, v);
    }
    r
}

async fn support(State(ctx): Shared) -> Response {
    let (version, build) = ctx.site.release();
    let m = &ctx.site.scenario.manager;
    ok(
        json!({"success": true, "completed": true, "data": {"localEndpoints": [{"endpoint": {
            "version": version, "buildNumber": build, "endpointId": m.endpoint_id, "name": m.endpoint_name, "url": m.url
        }}]}}),
    )
}

async fn interconnect(State(ctx): Shared) -> Response {
    let guid = &ctx.site.scenario.manager.vc_guid;
    ok(json!([{"cloudManagementPlatforms": [{"cmpId": guid}]}]))
}

/// Site pairs, in the site's family of shapes; a pair whose `cloudName` is a simulated
/// site reports that site's release now (where the scenario gives a `version` at all), so
/// that it follows an upgrade.
fn live_cloud_configs(ctx: &Ctx) -> Vec<Value> {
    let mut items = ctx.site.scenario.cloud_configs.clone();
    for item in &mut items {
        let peer = item
            .get("cloudName")
            .and_then(Value::as_str)
            .and_then(|n| ctx.estate.iter().find(|s| s.scenario.name == n));
        if let (Some(peer), Some(obj)) = (peer, item.as_object_mut()) {
            let (version, build) = peer.release();
            if obj.contains_key("version") {
                obj.insert("version".into(), json!(version));
            }
            if obj.contains_key("buildNumber") {
                obj.insert("buildNumber".into(), json!(build));
            }
        }
    }
    let family = ctx.site.scenario.shapes;
    items.iter().map(|c| shapes::cloud_config(c, family)).collect()
}

async fn cloud_configs(State(ctx): Shared) -> Response {
    ok(data_envelope(live_cloud_configs(&ctx)))
}

async fn cloud_list(State(ctx): Shared, body: Bytes) -> Response {
    let b = body_json(&body);
    let s = &ctx.site.scenario;
    let items = if b["filter"]["local"] == json!(true) {
        vec![
            json!({"endpointId": s.manager.endpoint_id, "name": s.manager.endpoint_name,
            "url": s.manager.url, "endpointType": s.manager.endpoint_type}),
        ]
    } else {
        live_cloud_configs(&ctx)
    };
    ok(data_envelope(items))
}

async fn resource_containers(State(ctx): Shared, uri: axum::http::Uri) -> Response {
    let s = &ctx.site.scenario;
    let wanted = s.manager.vc_guid.as_deref().map(|g| format!("vcGuid={g}"));
    let items = match (uri.query(), wanted) {
        (Some(q), Some(w)) if q.split('&').any(|p| p == w) => s.vcenter_inventory.clone(),
        _ => Vec::new(),
    };
    ok(data_envelope(items))
}

async fn meshes(State(ctx): Shared) -> Response {
    let items: Vec<Value> = ctx
        .site
        .service_meshes()
        .into_iter()
        .map(|m| shapes::mesh(&m.raw, ctx.site.scenario.shapes))
        .collect();
    ok(json!({"items": items}))
}

fn appliances_of(ctx: &Ctx, mesh_id: Option<&str>) -> Vec<Value> {
    ctx.site
        .service_meshes()
        .into_iter()
        .filter(|m| mesh_id.is_none_or(|id| shapes::mesh_id(&m.raw) == Some(id)))
        .flat_map(|m| m.appliances.into_iter().map(|a| shapes::appliance(&a, ctx.site.scenario.shapes)))
        .collect()
}

async fn all_appliances(State(ctx): Shared) -> Response {
    ok(json!({"items": appliances_of(&ctx, None)}))
}

async fn query_appliances(State(ctx): Shared, body: Bytes) -> Response {
    let b = body_json(&body);
    match b["filter"]["serviceMeshId"].as_str() {
        Some(id) => ok(json!({"items": appliances_of(&ctx, Some(id))})),
        None => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "filter.serviceMeshId is required"}),
        ),
    }
}

async fn migrations(State(ctx): Shared) -> Response {
    let s = &ctx.site.scenario;
    let mut obj = serde_json::Map::new();
    obj.insert(s.migrations_key.clone(), Value::Array(s.migrations.clone()));
    ok(Value::Object(obj))
}

async fn replications(State(ctx): Shared) -> Response {
    let zero = json!({"activeReplicationCnt": {"outgoing": 0, "incoming": 0}});
    ok(ctx.site.scenario.replications.clone().unwrap_or(zero))
}

async fn l2_extensions(State(ctx): Shared) -> Response {
    ok(json!({"items": ctx.site.scenario.l2_extensions}))
}

async fn job(State(ctx): Shared, Path(id): Path<String>) -> Response {
    match ctx.site.scenario.jobs.get(&id) {
        Some(j) => ok(j.clone()),
        None => not_found(),
    }
}

async fn admin_config(ctx: &Ctx, which: fn(&super::scenario::SiteScenario) -> Option<&Value>) -> Response {
    ok(config_envelope(which(&ctx.site.scenario)))
}

async fn vcenter(State(ctx): Shared) -> Response {
    admin_config(&ctx, |s| s.vcenter.as_ref()).await
}
async fn nsx(State(ctx): Shared) -> Response {
    admin_config(&ctx, |s| s.nsx.as_ref()).await
}
async fn lookup(State(ctx): Shared) -> Response {
    admin_config(&ctx, |s| s.lookup_service.as_ref()).await
}

async fn appengine(State(ctx): Shared) -> Response {
    ok(json!({"result": ctx.site.scenario.appengine}))
}

async fn network(State(ctx): Shared) -> Response {
    match &ctx.site.scenario.network {
        Some(n) => ok(n.clone()),
        None => not_found(),
    }
}

async fn time_settings(State(ctx): Shared) -> Response {
    match &ctx.site.scenario.time_settings {
        Some(n) => ok(n.clone()),
        None => not_found(),
    }
}

/// The HCX Manager API (443).
pub fn api_router(ctx: Arc<Ctx>) -> Router {
    Router::new()
        .route(SESSIONS, post(login))
        .route(SUPPORT, get(support))
        .route(INTERCONNECT_CONTEXT, get(interconnect))
        .route(CLOUD_CONFIGS, get(cloud_configs))
        .route(CLOUD_LIST, post(cloud_list))
        .route(RESOURCE_CONTAINER_LIST, post(resource_containers))
        .route(SERVICE_MESH, get(meshes))
        .route(APPLIANCES, get(all_appliances))
        .route(APPLIANCES_QUERY, post(query_appliances))
        .route(MIGRATIONS, post(migrations))
        .route(REPLICATIONS, post(replications))
        .route(L2_EXTENSIONS, get(l2_extensions))
        .route(super::mesh_update::UPDATE_PATH, post(super::mesh_update::handle))
        .route(&format!("{JOBS}{{id}}"), get(job))
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(ctx.clone(), guard))
        .with_state(ctx)
}

/// Appliance management (9443); the session and System Upgrade only on 9.x.
pub fn admin_router(ctx: Arc<Ctx>) -> Router {
    let mut r = Router::new()
        .route(ADMIN_VCENTER, get(vcenter))
        .route(ADMIN_NSX, get(nsx))
        .route(ADMIN_LOOKUP_SERVICE, get(lookup))
        .route(ADMIN_APPENGINE, get(appengine));
    if ctx.site.is_v9() {
        r = r
            .route(ADMIN_SESSIONS, post(login))
            .route(ADMIN_NETWORK, get(network))
            .route(ADMIN_TIME_SETTINGS, get(time_settings))
            .route(upgrade_api::START, post(upgrade::start))
            .route(upgrade_api::STATUS, get(upgrade::status));
    }
    r.fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(ctx.clone(), guard))
        .with_state(ctx)
}

fn authorized(ctx: &Ctx, req: &Request) -> bool {
    let path = req.uri().path();
    let header_str = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match ctx.port {
        Port::Api => path == SESSIONS || header_str(TOKEN_HEADER).is_some_and(|t| ctx.site.token_valid(Port::Api, t)),
        Port::Admin => {
            (ctx.site.is_v9() && path == ADMIN_SESSIONS)
                || header_str(header::AUTHORIZATION.as_str()).is_some_and(|h| ctx.site.basic_valid(h))
                || (ctx.site.is_v9() && header_str(TOKEN_HEADER).is_some_and(|t| ctx.site.token_valid(Port::Admin, t)))
        }
    }
}

fn huge_body(bytes: u64) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(b"0,".repeat(CHUNK / 2));
    let head = Bytes::from_static(b"{\"items\":[");
    let n = (bytes as usize).div_ceil(CHUNK);
    let stream = futures::stream::iter(
        std::iter::once(head)
            .chain(std::iter::repeat_n(chunk, n))
            .map(Ok::<Bytes, std::io::Error>),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn body_of(resp: Response) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    (parts, bytes)
}

fn with_body(mut parts: axum::http::response::Parts, body: Body) -> Response {
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// Count, delay, inject faults, authenticate.
async fn guard(State(ctx): Shared, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    ctx.site.count(&path);
    if !ctx.site.latency.is_zero() {
        tokio::time::sleep(ctx.site.latency).await;
    }
    let fault = ctx.site.take_fault(ctx.port, req.method().as_str(), &path);
    match &fault {
        Some(FaultKind::Status { status }) => {
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return json_response(code, &json!({"error": format!("simulated {status}")}));
        }
        Some(FaultKind::SsoNotReady) => {
            let xml = format!("<?xml version=\"1.0\"?><error><message>{SSO_NOT_READY}</message></error>");
            return (StatusCode::OK, [(header::CONTENT_TYPE, "application/xml")], xml).into_response();
        }
        Some(FaultKind::EmptyBody) => {
            return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "").into_response();
        }
        Some(FaultKind::HugeBody { bytes }) => return huge_body(bytes.unwrap_or(20 * 1024 * 1024)),
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        _ => {}
    }
    if !authorized(&ctx, &req) {
        return unauthorized();
    }
    let resp = next.run(req).await;
    match fault {
        Some(FaultKind::MalformedJson) => {
            let (parts, bytes) = body_of(resp).await;
            let mut cut = bytes.slice(..bytes.len() / 2).to_vec();
            cut.extend_from_slice(b",,]");
            with_body(parts, Body::from(cut))
        }
        Some(FaultKind::WrongEnvelope) => {
            let (parts, bytes) = body_of(resp).await;
            let wrapped = json!({"payload": body_json(&bytes)}).to_string();
            with_body(parts, Body::from(wrapped))
        }
        Some(FaultKind::DropConnection) => {
            let (parts, bytes) = body_of(resp).await;
            let half = bytes.slice(..bytes.len() / 2);
            let stream = futures::stream::iter(vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated drop",
                )),
            ]);
            with_body(parts, Body::from_stream(stream))
        }
        _ => resp,
    }
}
