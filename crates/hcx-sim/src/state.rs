//! The mutable state of one simulated manager: request counts, fault hits, issued tokens,
//! the current release, the upgrade state and whether it is "rebooting". Locks are held
//! only for a few instructions, never across an await.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::scenario::{Fault, FaultKind, Flavour, MeshData, Port, SiteScenario};

/// Where an upgrade stands.
#[derive(Debug, Clone)]
pub struct UpgradeState {
    pub status: &'static str,
    pub message: String,
    pub progress: u8,
    pub target: Option<String>,
    pub sub_tasks: Vec<Value>,
}

impl Default for UpgradeState {
    fn default() -> Self {
        Self {
            status: "NOT_STARTED",
            message: String::new(),
            progress: 0,
            target: None,
            sub_tasks: Vec::new(),
        }
    }
}

/// One simulated manager.
pub struct SiteState {
    pub scenario: SiteScenario,
    pub latency: Duration,
    counts: Mutex<BTreeMap<String, u64>>,
    fault_hits: Mutex<Vec<u32>>,
    tokens: Mutex<HashSet<(Port, String)>>,
    token_seq: AtomicU64,
    down: AtomicBool,
    /// Bumped to close every open connection (the "reboot").
    pub epoch: tokio::sync::watch::Sender<u64>,
    release: Mutex<(String, String)>,
    pub upgrade: Mutex<UpgradeState>,
    /// The Service Mesh data as it is now (appliance versions change with a mesh update).
    meshes: Mutex<Vec<MeshData>>,
    mesh_updates: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data half-updated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn matches(fault: &Fault, port: Port, method: &str, path: &str) -> bool {
    fault.port.is_none_or(|p| p == port)
        && fault.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
        && match fault.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => fault.path == path,
        }
}

impl SiteState {
    /// State for a scenario site.
    pub fn new(scenario: SiteScenario, latency: Duration) -> Self {
        let release = (scenario.manager.version.clone(), scenario.manager.build.clone());
        let faults = scenario.faults.len();
        let meshes = Mutex::new(scenario.service_meshes.clone());
        Self {
            meshes,
            mesh_updates: AtomicU64::new(0),
            scenario,
            latency,
            counts: Mutex::new(BTreeMap::new()),
            fault_hits: Mutex::new(vec![0; faults]),
            tokens: Mutex::new(HashSet::new()),
            token_seq: AtomicU64::new(0),
            down: AtomicBool::new(false),
            epoch: tokio::sync::watch::Sender::new(0),
            release: Mutex::new(release),
            upgrade: Mutex::new(UpgradeState::default()),
        }
    }

    /// Count a request to `path`.
    pub fn count(&self, path: &str) {
        *lock(&self.counts).entry(path.to_string()).or_insert(0) += 1;
    }

    /// Requests seen for `path`.
    pub fn requests(&self, path: &str) -> u64 {
        lock(&self.counts).get(path).copied().unwrap_or(0)
    }

    /// All counts.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counts).clone()
    }

    /// The first fault that applies to this request, counting the hit.
    pub fn take_fault(&self, port: Port, method: &str, path: &str) -> Option<FaultKind> {
        let mut hits = lock(&self.fault_hits);
        for (i, f) in self.scenario.faults.iter().enumerate() {
            if matches(f, port, method, path) && f.times.is_none_or(|t| hits[i] < t) {
                hits[i] += 1;
                return Some(f.kind.clone());
            }
        }
        None
    }

    /// Issue a session token for a listener.
    pub fn issue_token(&self, port: Port) -> String {
        let token = match (&self.scenario.credentials.token, port) {
            (Some(t), Port::Api) => t.clone(),
            _ => {
                let n = self.token_seq.fetch_add(1, Ordering::Relaxed);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                let digest = Sha256::digest(format!("{}/{n}/{nanos}/{port:?}", self.scenario.name));
                digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
            }
        };
        lock(&self.tokens).insert((port, token.clone()));
        token
    }

    /// Whether a token was issued for that listener.
    pub fn token_valid(&self, port: Port, token: &str) -> bool {
        lock(&self.tokens).contains(&(port, token.to_string()))
    }

    /// Whether an `Authorization: Basic` header carries the admin credentials.
    pub fn basic_valid(&self, header: &str) -> bool {
        let Some(encoded) = header.strip_prefix("Basic ") else {
            return false;
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let c = &self.scenario.credentials;
        raw == format!("{}:{}", c.admin_username, c.admin_password).as_bytes()
    }

    /// Whether this site behaves like 9.x.
    pub fn is_v9(&self) -> bool {
        self.scenario.flavour == Flavour::V9
    }

    /// Current version and build.
    pub fn release(&self) -> (String, String) {
        lock(&self.release).clone()
    }

    /// Set the release (after an upgrade).
    pub fn set_release(&self, version: String, build: String) {
        *lock(&self.release) = (version, build);
    }

    /// The Service Mesh data as served now, update flags following the current release.
    pub fn service_meshes(&self) -> Vec<MeshData> {
        super::mesh_update::with_flags(&lock(&self.meshes), &self.release().0)
    }

    /// Change the Service Mesh data (a mesh update).
    pub fn update_meshes(&self, f: impl FnOnce(&mut Vec<MeshData>)) {
        f(&mut lock(&self.meshes));
    }

    /// Count one more mesh update on this site; returns how many there have been.
    pub fn count_mesh_update(&self) -> u64 {
        self.mesh_updates.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Whether the manager is "rebooting" (connections refused).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// Go down (closing every open connection) or come back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.epoch.send_modify(|e| *e += 1);
        }
    }

    /// Read the upgrade state.
    pub fn upgrade(&self) -> UpgradeState {
        lock(&self.upgrade).clone()
    }

    /// Change the upgrade state.
    pub fn update_upgrade(&self, f: impl FnOnce(&mut UpgradeState)) {
        f(&mut lock(&self.upgrade));
    }
}
