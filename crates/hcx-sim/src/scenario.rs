//! The scenario file format of the simulator (`fixtures/sim/*.json`): per site the data an
//! HCX Manager would hold, in HCX's own raw field names where HCX has them, plus the
//! credentials it accepts and the faults it injects. The simulator wraps this data in the
//! envelopes each endpoint uses; the scenario never contains envelopes itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::shapes::Shapes;

/// A whole simulated installation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario is for (free text).
    #[serde(default)]
    pub description: String,
    /// Latency added to every request, in milliseconds (the command line can override it).
    #[serde(default)]
    pub latency_ms: u64,
    pub sites: Vec<SiteScenario>,
}

/// Which HCX generation a site behaves like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flavour {
    /// 4.x: appliance management with HTTP Basic only, no `/system/*`, no upgrade API.
    #[default]
    #[serde(rename = "4.x")]
    V4,
    /// 9.x: adds the appliance management session, `/system/network` and System Upgrade.
    #[serde(rename = "9.x")]
    V9,
}

/// The certificate a site presents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertMode {
    /// Signed by the simulator's CA for `localhost` and 127.0.0.1.
    #[default]
    Valid,
    /// Signed by the CA, but expired in 2021.
    Expired,
    /// Signed by the CA for another host name.
    WrongHost,
}

/// The credentials a site accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    #[serde(default = "default_admin")]
    pub admin_username: String,
    pub admin_password: String,
    /// The session token to hand out (generated when absent).
    #[serde(default)]
    pub token: Option<String>,
}

fn default_admin() -> String {
    "admin".into()
}

/// The manager's own endpoint and release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerData {
    pub version: String,
    pub build: String,
    /// Raw `endpointType` of the local endpoint.
    #[serde(default)]
    pub endpoint_type: Option<String>,
    #[serde(default)]
    pub endpoint_id: Option<String>,
    #[serde(default)]
    pub endpoint_name: Option<String>,
    /// Raw `url` of the local endpoint.
    #[serde(default)]
    pub url: Option<String>,
    /// `cmpId` of the interconnect context.
    #[serde(default)]
    pub vc_guid: Option<String>,
}

/// A Service Mesh: its raw fields plus its appliances (raw).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeshData {
    #[serde(flatten)]
    pub raw: serde_json::Map<String, Value>,
    #[serde(default)]
    pub appliances: Vec<Value>,
}

/// How the 9.x System Upgrade behaves after a start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeScenario {
    /// Time spent IN_PROGRESS before the reboot (ms).
    #[serde(default = "default_in_progress")]
    pub in_progress_ms: u64,
    /// Time both ports refuse connections while "rebooting" (ms).
    #[serde(default = "default_reboot")]
    pub reboot_ms: u64,
    #[serde(default)]
    pub outcome: UpgradeOutcome,
    /// Build number reported after a successful upgrade.
    #[serde(default)]
    pub target_build: Option<String>,
}

fn default_in_progress() -> u64 {
    300
}
fn default_reboot() -> u64 {
    1000
}

impl Default for UpgradeScenario {
    fn default() -> Self {
        Self {
            in_progress_ms: default_in_progress(),
            reboot_ms: default_reboot(),
            outcome: UpgradeOutcome::Success,
            target_build: None,
        }
    }
}

/// The end of an upgrade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeOutcome {
    /// Comes back on the target version.
    #[default]
    Success,
    /// Fails in pre-upgrade validation, without a reboot.
    Failed,
    /// Reboots and never answers again.
    NeverReturns,
}

/// Which listener a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Port {
    /// The HCX Manager API (443).
    Api,
    /// Appliance management (9443).
    Admin,
}

/// A fault injected on matching requests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// Only this listener (both when absent).
    #[serde(default)]
    pub port: Option<Port>,
    /// Only this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// The path, exactly, or a prefix ending in `*`.
    pub path: String,
    /// Apply to the first N matching requests only, then behave normally.
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status code (401, 403, 404, 500, 503, ...).
    Status { status: u16 },
    /// Wait this long before answering normally.
    Delay { ms: u64 },
    /// A JSON body cut in the middle.
    MalformedJson,
    /// The right data in the wrong envelope.
    WrongEnvelope,
    /// 200 with an empty body.
    EmptyBody,
    /// A body of this many bytes (default 20 MiB), streamed.
    HugeBody {
        #[serde(default)]
        bytes: Option<u64>,
    },
    /// The XML "SSO not ready" answer.
    SsoNotReady,
    /// Send half the answer, then close the connection.
    DropConnection,
}

/// One simulated HCX Manager.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteScenario {
    pub name: String,
    #[serde(default)]
    pub flavour: Flavour,
    /// Which family of answer shapes the manager speaks (`client-code` or `reference`).
    #[serde(default)]
    pub shapes: Shapes,
    pub credentials: Credentials,
    pub manager: ManagerData,
    /// `false`: nothing listens on the appliance management port (provider-managed).
    #[serde(default = "yes")]
    pub appliance_management: bool,
    #[serde(default)]
    pub certificate: CertMode,
    /// Raw `cloudConfigs` items (site pairs).
    #[serde(default)]
    pub cloud_configs: Vec<Value>,
    /// Raw 9443 `config` objects; absent means not registered.
    #[serde(default)]
    pub vcenter: Option<Value>,
    #[serde(default)]
    pub nsx: Option<Value>,
    #[serde(default)]
    pub lookup_service: Option<Value>,
    /// `result` of the app engine status.
    #[serde(default = "running")]
    pub appengine: String,
    /// Raw resource container items.
    #[serde(default)]
    pub vcenter_inventory: Vec<Value>,
    #[serde(default)]
    pub service_meshes: Vec<MeshData>,
    /// Raw migration items.
    #[serde(default)]
    pub migrations: Vec<Value>,
    /// `items` or `rows`: the list key of the migration answer.
    #[serde(default = "items_key")]
    pub migrations_key: String,
    /// Raw replication summary (default: zero counters).
    #[serde(default)]
    pub replications: Option<Value>,
    /// Raw `/system/network` answer (9.x; absent: 404).
    #[serde(default)]
    pub network: Option<Value>,
    /// Raw `/system/timesettings` answer (9.x; absent: 404).
    #[serde(default)]
    pub time_settings: Option<Value>,
    /// Raw job objects by id.
    #[serde(default)]
    pub jobs: BTreeMap<String, Value>,
    #[serde(default)]
    pub upgrade: UpgradeScenario,
    /// Raw `l2Extensions` items: networks extended over Network Extension.
    #[serde(default)]
    pub l2_extensions: Vec<Value>,
    /// How this site's appliances take a Service Mesh update.
    #[serde(default)]
    pub mesh_update: MeshUpdateScenario,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

impl Scenario {
    /// Every site answers in this family of shapes.
    pub fn with_shapes(mut self, shapes: Shapes) -> Self {
        for site in &mut self.sites {
            site.shapes = shapes;
        }
        self
    }
}

/// How a Service Mesh update (the operator's "Update" on the source site) goes for the
/// appliances of one site: each converges to its manager's version, except those named in
/// `left_behind`, which keep theirs on the first update (a failed appliance update); a
/// later update brings them along.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshUpdateScenario {
    /// `applianceName` or `applianceId` of appliances the first update leaves behind.
    #[serde(default)]
    pub left_behind: Vec<String>,
}

fn yes() -> bool {
    true
}
fn running() -> String {
    "RUNNING".into()
}
fn items_key() -> String {
    "items".into()
}
