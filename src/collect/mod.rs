//! The collector: reads an HCX site pair through its two APIs and writes a [`Snapshot`].
//!
//! One file per resource family (`manager.rs`, `connections.rs`, `pairs.rs`, `mesh.rs`,
//! `operations.rs`); `session.rs` logs in, `http.rs` does timeouts, retries and body caps,
//! `envelope.rs` knows the answer shapes, `attest.rs` adds what an operator states. What it
//! shares with the simulated HCX Manager (paths, inferred words, the status-word mapping) is
//! in [`crate::api`].
//!
//! What it promises: a fact that cannot be read is `null` (or `unknown`) with an `errors`
//! entry naming the endpoint, never a guess and never `healthy`. What is not its job:
//! judging the facts (that is `check`), and anything that changes a manager.
//!
//! Concurrency: both sites in parallel; per site, the 443 and 9443 APIs in parallel; per
//! API, every call at once after the login. Only dependent calls wait: login before
//! everything, the interconnect `cmpId` before the vCenter inventory, the mesh list
//! before the per-mesh appliance queries.

mod options;
pub mod attest;
pub(crate) mod connections;
pub(crate) mod envelope;
mod error;
pub mod facts;
pub(crate) mod http;
pub(crate) mod manager;
pub(crate) mod mesh;
pub(crate) mod notes;
pub(crate) mod operations;
pub(crate) mod pairs;
mod secret;
mod session;
pub mod system_upgrade;
pub mod unknown;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use reqwest::Method;

pub use options::{CollectOptions, SiteSpec, DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS};
pub use attest::Attestation;
pub use error::CollectError;
pub use http::MAX_BODY_BYTES;
pub use secret::{env_site_name, CredentialSource, Credentials, ProcessEnv, Secret};
pub use crate::api::{map_status, map_tunnel, SSO_NOT_READY};
// The shared API modules under their collector names, for the resource-family files.
use crate::api::{inferred, paths};

use http::{label, Api, FetchError, HttpOptions};
use notes::Notes;
use secret::SiteCredentials;
use session::AdminAccess;

use crate::snapshot::{Collector, Manager, Role, Site, Snapshot, SCHEMA_VERSION};

/// Collect with credentials from `creds`, on a runtime of its own (`progress`: show a
/// spinner on stderr; the caller decides whether stderr is a terminal). Must not be called
/// from inside an async runtime; use [`collect_with`] there.
pub fn collect_blocking(args: &CollectOptions, progress: bool, creds: &dyn CredentialSource) -> Result<Snapshot, CollectError> {
    runtime().map_err(CollectError::Runtime)?.block_on(collect_with(args, progress, creds))
}

/// Collect and write the snapshot atomically to `out` (and the form of what could not be
/// read to `--unknown-out`); returns the snapshot. On any error nothing is written.
pub fn run_collect_with(args: &CollectOptions, out: &Path, progress: bool, creds: &dyn CredentialSource) -> Result<Snapshot, CollectError> {
    let snapshot = collect_blocking(args, progress, creds)?;
    crate::fsutil::write_atomic(out, snapshot.to_json_pretty().as_bytes()).map_err(|source| CollectError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    write_unknown_form(args, &snapshot)?;
    Ok(snapshot)
}

/// Write the form of what `snapshot` could not read to `--unknown-out`, when given.
pub fn write_unknown_form(args: &CollectOptions, snapshot: &Snapshot) -> Result<(), CollectError> {
    match &args.unknown_out {
        Some(path) => unknown::UnknownFacts::from_snapshot(snapshot)
            .write_form(path)
            .map_err(|source| CollectError::Write {
                path: path.clone(),
                source,
            }),
        None => Ok(()),
    }
}

/// What the operator must be told before a collection with `args` (the command layer
/// prints it): `--insecure`.
pub fn warnings(args: &CollectOptions) -> Vec<&'static str> {
    let mut out = Vec::new();
    if args.insecure {
        out.push(
            "WARNING: --insecure: TLS certificates are NOT verified; anyone on the network path can read the \
             credentials and forge every answer. The snapshot records collector.insecure_tls = true.",
        );
    }
    out
}

/// The one async runtime builder of every blocking entry point (collect, fleet, upgrade).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// Everything checked before the first request: site names, attestations, CA files.
pub(crate) fn prepare(args: &CollectOptions) -> Result<(Vec<Attestation>, HttpOptions), CollectError> {
    if args.sites.is_empty() {
        return Err(CollectError::Site("name at least one HCX Manager with --site NAME=URL".into()));
    }
    let mut names = std::collections::BTreeSet::new();
    for s in &args.sites {
        if !names.insert(s.name.as_str()) {
            return Err(CollectError::Site(format!("site name `{}` is given twice", s.name)));
        }
    }
    let attestations = read_attestations(args)?;
    let mut ca_pems = Vec::new();
    for path in &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| CollectError::CaCert {
            path: path.clone(),
            message: e.to_string(),
        })?;
        ca_pems.push((path.display().to_string(), pem));
    }
    let opts = HttpOptions {
        timeout: Duration::from_secs(args.timeout.max(1)),
        retries: args.retries,
        insecure: args.insecure,
        ca_pems,
        per_manager: args.max_requests_per_manager.map(usize::from),
    };
    Ok((attestations, opts))
}

/// The attestations of `--attest` and `--attestations`, parsed (not yet applied).
pub fn read_attestations(args: &CollectOptions) -> Result<Vec<attest::Attestation>, CollectError> {
    let mut attestations = args
        .attest
        .iter()
        .map(|a| attest::parse_cli(a))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(file) = &args.attestations {
        attestations.extend(attest::load_file(file)?);
    }
    Ok(attestations)
}

fn progress_bar(wanted: bool) -> indicatif::ProgressBar {
    if !wanted {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    let style =
        indicatif::ProgressStyle::with_template("{spinner} collecting: {pos} requests answered, last {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    pb.set_style(style);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Collect with credentials from `creds` (resolved now, `--password-stdin` read now).
pub async fn collect_with(
    args: &CollectOptions,
    progress: bool,
    creds: &dyn CredentialSource,
) -> Result<Snapshot, CollectError> {
    prepare(args)?;
    let credentials = Credentials::resolve(args, creds)?;
    collect_resolved(args, progress, &credentials).await
}

/// Collect with credentials resolved before. The core of every other entry point.
pub async fn collect_resolved(
    args: &CollectOptions,
    progress: bool,
    credentials: &Credentials,
) -> Result<Snapshot, CollectError> {
    let (attestations, opts) = prepare(args)?;
    let credentials = args
        .sites
        .iter()
        .map(|s| credentials.site(&s.name))
        .collect::<Result<Vec<_>, _>>()?;
    let client = http::build_client(&opts).map_err(|message| match args.ca_cert.first() {
        Some(path) => CollectError::CaCert {
            path: path.clone(),
            message,
        },
        None => CollectError::Client(message),
    })?;
    let pb = progress_bar(progress);
    let results = join_all(
        args.sites
            .iter()
            .zip(&credentials)
            .map(|(spec, c)| collect_site(&client, &opts, &pb, spec, c)),
    )
    .await;
    pb.finish_and_clear();
    let mut sites = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        let (site, notes) = r?;
        errors.extend(notes.into_errors(&site.name));
        sites.push(site);
    }
    let now = Utc::now();
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        collected_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
        collector: Collector {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            insecure_tls: args.insecure.then_some(true),
        },
        sites,
        errors,
        attestations: Vec::new(),
    };
    attest::apply(&mut snapshot, &attestations, now)?;
    snapshot.normalize();
    Ok(snapshot)
}

/// What the HCX Manager API (443) gave.
struct Hybridity {
    release: manager::Release,
    local: Result<pairs::LocalEndpoint, FetchError>,
    site_pairs: Option<Vec<crate::snapshot::SitePair>>,
    meshes: Option<Vec<crate::snapshot::ServiceMesh>>,
    inventory: Result<Vec<serde_json::Value>, (String, FetchError)>,
    operations: crate::snapshot::Operations,
    notes: Notes,
}

/// What appliance management (9443) gave.
struct Appliance {
    access: AdminAccess,
    configs: Option<connections::AdminConfigs>,
    network: manager::Network,
    notes: Notes,
}

async fn read_hybridity(api: &Api, spec: &SiteSpec, creds: &SiteCredentials) -> Result<Hybridity, CollectError> {
    let api = session::login(api, &spec.name, creds).await?;
    let (mut n1, mut n2, mut n3, mut n4) = (Notes::default(), Notes::default(), Notes::default(), Notes::default());
    let (release, local, site_pairs, meshes, inventory, operations) = tokio::join!(
        manager::release(&api, &mut n1),
        pairs::local_endpoint(&api),
        pairs::site_pairs(&api, &mut n2),
        mesh::service_meshes(&api, &mut n3),
        connections::vcenter_inventory(&api),
        operations::operations(&api, &mut n4),
    );
    for n in [n2, n3, n4] {
        n1.extend(n);
    }
    Ok(Hybridity {
        release,
        local,
        site_pairs,
        meshes,
        inventory,
        operations,
        notes: n1,
    })
}

async fn read_appliance(api: &Api, spec: &SiteSpec, creds: &SiteCredentials) -> Result<Appliance, CollectError> {
    let access = session::admin_login(api, &spec.name, creds).await?;
    let mut notes = Notes::default();
    let (configs, network) = match &access {
        AdminAccess::Ready(admin) => {
            let (configs, network) =
                tokio::join!(connections::admin_configs(admin), manager::network(admin, &mut notes));
            (Some(configs), network)
        }
        AdminAccess::NoPassword => {
            let why = format!(
                "appliance management (port 9443) not read: no password; set HCX_ADMIN_PASSWORD or HCX_{}_ADMIN_PASSWORD",
                secret::env_site_name(&spec.name)
            );
            for fact in ["connections", "manager.dns", "manager.appliance_management_reachable"] {
                notes.add(fact, why.clone());
            }
            (None, manager::Network::default())
        }
        AdminAccess::Unavailable(e) => {
            let endpoint = format!(
                "appliance management (port 9443) {}",
                label(&Method::POST, paths::ADMIN_SESSIONS)
            );
            for fact in ["connections", "manager.dns"] {
                notes.fetch(fact, &endpoint, e);
            }
            (None, manager::Network::default())
        }
    };
    Ok(Appliance {
        access,
        configs,
        network,
        notes,
    })
}

fn fqdn_from_url(url: &str) -> Option<String> {
    reqwest::Url::parse(url).ok()?.domain().map(str::to_string)
}

async fn collect_site(
    client: &reqwest::Client,
    opts: &HttpOptions,
    pb: &indicatif::ProgressBar,
    spec: &SiteSpec,
    creds: &SiteCredentials,
) -> Result<(Site, Notes), CollectError> {
    let limit = opts.per_manager.map(|n| std::sync::Arc::new(tokio::sync::Semaphore::new(n.max(1))));
    let api = Api::new(client.clone(), spec.url.clone(), opts, pb.clone()).with_limit(limit.clone());
    let admin = Api::new(client.clone(), spec.admin_url.clone(), opts, pb.clone()).with_limit(limit);
    let (h, a) = tokio::join!(read_hybridity(&api, spec, creds), read_appliance(&admin, spec, creds));
    let mut h = h?;
    let a = a?;
    let mut notes = std::mem::take(&mut h.notes);
    notes.extend(a.notes);

    let local = h.local.as_ref().ok();
    let paired = h.site_pairs.as_ref().is_some_and(|p| !p.is_empty());
    let role = match (spec.role, local.and_then(|l| l.role)) {
        (Some(r), _) | (None, Some(r)) => r,
        // Site pairs are registered on the source side (inferred): a manager that lists
        // them is the connector. No rule depends on the role; the inference is noted.
        (None, None) if paired => {
            notes.add(
                "role",
                "the local endpoint does not say which side this is; read as connector because it lists site pairs \
                 (inferred); give role= in --site to state it",
            );
            Role::Connector
        }
        (None, None) => {
            let detail = match &h.local {
                Ok(l) => match &l.type_word {
                    Some(w) => format!("its endpoint type `{w}` is not one we recognise"),
                    None => "its local endpoint names no endpoint type".into(),
                },
                Err(e) => format!("{}: {e}", label(&Method::POST, paths::CLOUD_LIST)),
            };
            return Err(CollectError::RoleUnknown {
                site: spec.name.clone(),
                detail,
            });
        }
    };
    let fqdn = a
        .network
        .fqdn
        .clone()
        .or_else(|| local.and_then(|l| l.url.as_deref()).and_then(fqdn_from_url));
    if fqdn.is_none() {
        notes.add(
            "manager.fqdn",
            "neither the appliance network settings nor the local endpoint name the manager's host name",
        );
    }
    let reachable = match &a.access {
        AdminAccess::Ready(_) => Some(true),
        AdminAccess::Unavailable(FetchError::Transport { .. }) => Some(false),
        AdminAccess::Unavailable(_) => Some(true),
        AdminAccess::NoPassword => None,
    };
    let connections = connections::assemble(role, a.configs.as_ref(), &h.inventory, &mut notes);
    notes.add(
        "manager.provider_managed",
        "no API says whether a cloud provider manages this HCX (true or false)",
    );
    notes.add("manager.disk_common_used_percent", "no API reports /common usage");
    notes.add(
        "backup",
        "no public API reports backup configuration or the last backup (give its time, RFC 3339)",
    );
    notes.add(
        "updates",
        "no public API lists the available updates; the offered versions are unknown",
    );
    let site = Site {
        name: spec.name.clone(),
        role,
        manager: Manager {
            fqdn,
            version: h.release.version,
            build: h.release.build,
            provider_managed: None,
            provider: None,
            appliance_management_reachable: reachable,
            dns: a.network.dns,
            disk_common_used_percent: None,
        },
        backup: None,
        connections,
        site_pairs: h.site_pairs,
        service_meshes: h.meshes,
        updates: None,
        operations: Some(h.operations),
    };
    Ok((site, notes))
}
