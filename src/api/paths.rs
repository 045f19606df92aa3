//! The HCX API paths the collector calls and the simulator serves, each seen in public
//! client code or documentation (hcx-facts.md). One list, so that client and simulator
//! cannot drift apart. Paths that no public source shows live in [`super::inferred`].

/// The header that carries the session token, in both directions.
pub const TOKEN_HEADER: &str = "x-hm-authorization";

/// HCX Manager API (port 443): session login, JSON `{username, password}`.
pub const SESSIONS: &str = "/hybridity/api/sessions";
/// Local endpoints with their versions: `data.localEndpoints[].endpoint.version`.
pub const SUPPORT: &str = "/hybridity/api/metainfo/context/support";
/// `[0].cloudManagementPlatforms[0].cmpId`: the vCenter GUID for later calls.
pub const INTERCONNECT_CONTEXT: &str = "/hybridity/api/metainfo/context/interconnect";
/// Site pairs, `data.items[]`.
pub const CLOUD_CONFIGS: &str = "/hybridity/api/cloudConfigs";
/// Endpoint inventory (POST, filter local/remote), `data.items[]`.
pub const CLOUD_LIST: &str = "/hybridity/api/service/inventory/cloud/list";
/// vCenter inventory (POST), `data.items[]`.
pub const RESOURCE_CONTAINER_LIST: &str = "/hybridity/api/service/inventory/resourcecontainer/list";
/// Service meshes, top-level `items[]`.
pub const SERVICE_MESH: &str = "/hybridity/api/interconnect/serviceMesh";
/// All Service Mesh appliances, top-level `items[]`.
pub const APPLIANCES: &str = "/hybridity/api/interconnect/appliances";
/// Appliances of one mesh (POST `{"filter":{"serviceMeshId":...}}`), top-level `items[]`.
pub const APPLIANCES_QUERY: &str = "/hybridity/api/interconnect/appliances/query";
/// Migrations (POST with `?action=query`), `items[]` or `rows[]`.
pub const MIGRATIONS: &str = "/hybridity/api/migrations";
/// Replications (POST with `?action=query`, body `{"type":"summary"}`).
pub const REPLICATIONS: &str = "/hybridity/api/replications";
/// The query string both operation queries take.
pub const ACTION_QUERY: &str = "action=query";
/// Network extensions (L2 extensions), top-level `items[]` of `{stretchId, operationStatus{state},
/// sourceNetwork{networkName,...}}` (terraform-provider-hcx `hcx/l2_extension.go`).
pub const L2_EXTENSIONS: &str = "/hybridity/api/l2Extensions";
/// A job (flat object: `isDone`, `didFail`, `percentComplete`); append the job id.
pub const JOBS: &str = "/hybridity/api/jobs/";

/// Appliance management (port 9443), 9.x only: session login returning a token.
pub const ADMIN_SESSIONS: &str = "/api/admin/v1/sessions";
/// Registered vCenter: `{data:{items:[{config:{...}}]}}`.
pub const ADMIN_VCENTER: &str = "/api/admin/global/config/vcenter";
/// SSO / lookup service configuration.
pub const ADMIN_LOOKUP_SERVICE: &str = "/api/admin/global/config/lookupservice";
/// NSX configuration.
pub const ADMIN_NSX: &str = "/api/admin/global/config/nsx";
/// App engine service: `{"result":"RUNNING"|"STOPPED"}`.
pub const ADMIN_APPENGINE: &str = "/components/appengine/status";
/// Host name and DNS (9.x, documented).
pub const ADMIN_NETWORK: &str = "/system/network";
/// NTP servers (9.x).
pub const ADMIN_TIME_SETTINGS: &str = "/system/timesettings";
