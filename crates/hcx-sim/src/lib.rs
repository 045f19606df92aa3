//! A simulated HCX Manager for tests, benchmarks and demos: real HTTPS servers on
//! 127.0.0.1 (ephemeral ports), one per API (443-API and 9443-API), with a certificate
//! chain generated at start, serving the documented paths, headers and envelopes from a
//! scenario file (`fixtures/sim/*.json`, see [`scenario`]), with faults injected per
//! endpoint and per server, and request counts per path.
//!
//! It is not an HCX emulator: it knows only what the collector reads (and the 9.x System
//! Upgrade), and it never listens beyond loopback.

mod certs;
pub mod fleet;
pub mod mesh_update;
mod routes;
pub mod scenario;
mod server;
pub mod shapes;
mod state;
mod upgrade;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use routes::Ctx;
pub use scenario::{CertMode, Fault, FaultKind, Flavour, Port, Scenario, Shapes, SiteScenario};
use state::SiteState;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("scenario {path}: {message}")]
    Scenario { path: String, message: String },
    #[error("certificate generation: {0}")]
    Tls(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Simulator settings that are not part of a scenario.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Latency added to every request; overrides the scenario's `latency_ms`.
    pub latency_ms: Option<u64>,
}

/// One running simulated manager.
pub struct SimSite {
    /// The scenario's site name.
    pub name: String,
    /// `https://127.0.0.1:PORT` of the HCX Manager API.
    pub api_url: String,
    /// `https://127.0.0.1:PORT` of appliance management (a closed port when the
    /// scenario has `appliance_management: false`).
    pub admin_url: String,
    state: Arc<SiteState>,
}

impl SimSite {
    /// The `--site` value for this manager (without a role: the collector reads it).
    pub fn site_arg(&self) -> String {
        format!("{}={},admin={}", self.name, self.api_url, self.admin_url)
    }

    /// Requests received for a path (any method, either listener).
    pub fn requests(&self, path: &str) -> u64 {
        self.state.requests(path)
    }

    /// All request counts by path.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts()
    }

    /// The version the manager reports now (changes after a simulated upgrade).
    pub fn current_version(&self) -> String {
        self.state.release().0
    }
}

/// A running simulator. Dropping it stops every listener.
pub struct Simulator {
    runtime: Option<tokio::runtime::Runtime>,
    sites: Vec<SimSite>,
    ca_pem: String,
}

impl Simulator {
    /// Read a scenario file.
    pub fn load_scenario(path: &Path) -> Result<Scenario, SimError> {
        let err = |message: String| SimError::Scenario {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(e.to_string()))
    }

    /// Start every site of the scenario on its own runtime (two worker threads).
    pub fn start(scenario: Scenario, opts: SimOptions) -> Result<Self, SimError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hcx-sim")
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let ca = certs::Authority::new()?;
        let latency = Duration::from_millis(opts.latency_ms.unwrap_or(scenario.latency_ms));
        let states: Vec<Arc<SiteState>> = scenario
            .sites
            .into_iter()
            .map(|site| Arc::new(SiteState::new(site, latency)))
            .collect();
        let estate = Arc::new(states.clone());
        let mut sites = Vec::new();
        for state in states {
            let tls = ca.server_config(state.scenario.certificate)?;
            let bind = || {
                runtime
                    .block_on(TcpListener::bind("127.0.0.1:0"))
                    .map_err(SimError::Listen)
            };
            let api = bind()?;
            let admin = bind()?;
            let url = |l: &TcpListener| {
                l.local_addr()
                    .map(|a| format!("https://127.0.0.1:{}", a.port()))
                    .map_err(SimError::Listen)
            };
            let (api_url, admin_url) = (url(&api)?, url(&admin)?);
            let api_router = routes::api_router(Arc::new(Ctx {
                site: state.clone(),
                port: Port::Api,
                estate: estate.clone(),
            }));
            runtime.spawn(server::serve(api, tls.clone(), api_router, state.clone()));
            if state.scenario.appliance_management {
                let admin_router = routes::admin_router(Arc::new(Ctx {
                    site: state.clone(),
                    port: Port::Admin,
                    estate: estate.clone(),
                }));
                runtime.spawn(server::serve(admin, tls, admin_router, state.clone()));
            } else {
                // Nothing listens there: connections are refused, as where a provider hides it.
                drop(admin);
            }
            sites.push(SimSite {
                name: state.scenario.name.clone(),
                api_url,
                admin_url,
                state,
            });
        }
        Ok(Self {
            runtime: Some(runtime),
            sites,
            ca_pem: ca.pem(),
        })
    }

    /// The CA certificate (PEM) that signed every site's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The running sites, in scenario order.
    pub fn sites(&self) -> &[SimSite] {
        &self.sites
    }

    /// A site by name.
    pub fn site(&self, name: &str) -> Option<&SimSite> {
        self.sites.iter().find(|s| s.name == name)
    }

    /// The operator's "Update" of the Service Mesh, started on site `from` (which must be
    /// the source site): every site's appliances converge to their manager's version, but
    /// for those the scenario leaves behind on the first update. Returns the appliances updated.
    pub fn update_service_mesh(&self, from: &str) -> Result<Vec<String>, mesh_update::MeshUpdateError> {
        let estate: Vec<Arc<SiteState>> = self.sites.iter().map(|s| s.state.clone()).collect();
        mesh_update::update_from(&estate, from)
    }

    /// Requests received by all sites together.
    pub fn total_requests(&self) -> u64 {
        self.sites.iter().flat_map(|s| s.counts().into_values()).sum()
    }

    /// Serve until Ctrl-C.
    pub fn wait_for_ctrl_c(&self) -> std::io::Result<()> {
        match &self.runtime {
            Some(rt) => rt.block_on(tokio::signal::ctrl_c()),
            None => Ok(()),
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
