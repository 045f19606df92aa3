//! The route planner: from the estate's current versions to a final version, hop by
//! hop, every hop gated (`hcx-preflight plan`, and `upgrade --to` which follows it).
//!
//! The hops come from the upgrade path table, `data.hcx.params.upgrade_path_table`, read
//! from the same policy data documents that the rules read (so an organisation's
//! `--policy-dir` changes the route, never Rust): a row with `via` forces an
//! intermediate release, a row with `direct: true` vouches for a jump, a row with
//! `method` is a note on how a jump may be done. The older list
//! `data.hcx.params.upgrade_paths` (rows with `via`) still applies. The bounds of a row
//! mean exactly what `path_applies` in `policies/hcx/rules/versions.rego` means.
//!
//! Each hop has four steps in the vendor's order: managers, verify, service-mesh,
//! verify-mesh. The managers and service-mesh steps are judged by the policies: the very
//! first judgement on the snapshot as it is, every later one on a projection (versions
//! moved forward by the earlier steps, everything else as collected) whose findings are
//! marked `projected`. The planner decides nothing the policies decide; it only orders
//! the steps and says which path the data does not vouch for.
//!
//! Rendering is in [`render`]. Following the route (`upgrade --to`) is the gate's work, in
//! `upgrade::route`, above this planner.

pub mod render;

use serde::{Deserialize, Serialize};

use crate::check::{judge, LoadedSnapshot};
use crate::collect::{CollectOptions, SiteSpec};
use crate::meshstep::CommandBase;
use crate::findings::{Decision, Finding, Summary, Verdict};
use crate::plan::{FailOn, Phase, Plan};
use crate::policy::{PolicyError, PolicySet};
use crate::snapshot::{Role, Snapshot};
use crate::version::HcxVersion;

/// The version of the route document's format (`plan --format json`).
pub const ROUTE_FORMAT_VERSION: u32 = 1;

/// More hops than this means the path table loops (every real route has a handful).
const MAX_HOPS: usize = 16;

/// Why no route can be planned.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("the upgrade path table (data.hcx.params.upgrade_path_table) is not valid:\n  {}", .0.join("\n  "))]
    Table(Vec<String>),
    #[error("cannot plan a route: these versions are unknown (collect them again, or attest them): {}", .0.join("; "))]
    UnknownVersions(Vec<String>),
    #[error("cannot plan a route to {target}: HCX does not downgrade, and already newer than it: {}", .ahead.join(", "))]
    Downgrade { target: String, ahead: Vec<String> },
    #[error("the upgrade path table loops: the route from {from} to {target} does not end within {MAX_HOPS} hops ({hops})")]
    Loop { from: String, target: String, hops: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// One row of the upgrade path table (bounds: from in [from_at_least, from_below), to in
/// [to_at_least, to_below); a missing bound does not limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    /// The row's key in the table (`legacy-N` for rows of the older list).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub from_at_least: Option<HcxVersion>,
    #[serde(default)]
    pub from_below: Option<HcxVersion>,
    #[serde(default)]
    pub to_at_least: Option<HcxVersion>,
    #[serde(default)]
    pub to_below: Option<HcxVersion>,
    /// The release to go to first.
    #[serde(default)]
    pub via: Option<HcxVersion>,
    /// The row vouches for the direct jump.
    #[serde(default)]
    pub direct: bool,
    /// A note on an upgrade method (e.g. the :9443 bundle upgrade).
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub kb: Option<String>,
    /// Where the row comes from (release notes, KB, the organisation's standard).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl PathRow {
    /// Does the row apply to the jump `from` -> `to`?
    pub fn applies(&self, from: &HcxVersion, to: &HcxVersion) -> bool {
        self.from_at_least.as_ref().is_none_or(|b| from >= b)
            && self.from_below.as_ref().is_none_or(|b| from < b)
            && self.to_at_least.as_ref().is_none_or(|b| to >= b)
            && self.to_below.as_ref().is_none_or(|b| to < b)
    }
}

/// The path table and the release boundary of the System Upgrade API, as the policies see them.
#[derive(Debug, Clone)]
pub struct PathTable {
    pub rows: Vec<PathRow>,
    /// Managers on this release or later upgrade through the appliance management
    /// System Upgrade API (9.x); below it, through the HCX Manager UI.
    pub api_from: HcxVersion,
}

impl PathTable {
    /// Read and validate the table from the policy set's data; every problem at once.
    pub fn from_policies(policies: &PolicySet) -> Result<Self, RouteError> {
        Self::from_data(&policies.data_document())
    }

    /// Read and validate the table from a `data` document.
    pub fn from_data(data: &serde_json::Value) -> Result<Self, RouteError> {
        let params = data.pointer("/hcx/params").cloned().unwrap_or_default();
        let mut problems = Vec::new();
        let mut rows = Vec::new();
        let mut read = |id: String, value: &serde_json::Value, problems: &mut Vec<String>| {
            match serde_json::from_value::<PathRow>(value.clone()) {
                Ok(mut row) => {
                    row.id = id;
                    problems.extend(row_problems(&row));
                    rows.push(row);
                }
                Err(e) => problems.push(format!("row `{id}`: {e}")),
            }
        };
        match params.get("upgrade_path_table") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(table)) => {
                for (id, value) in table {
                    read(id.clone(), value, &mut problems);
                }
            }
            Some(_) => problems.push("upgrade_path_table must be an object of rows keyed by row id".into()),
        }
        match params.get("upgrade_paths") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Array(list)) => {
                for (i, value) in list.iter().enumerate() {
                    read(format!("legacy-{i}"), value, &mut problems);
                }
            }
            Some(_) => problems.push("upgrade_paths must be a list of rows".into()),
        }
        let api_from = match params.pointer("/boundaries/system_upgrade_api").and_then(|v| v.as_str()) {
            Some(text) => HcxVersion::parse(text).unwrap_or_else(|e| {
                problems.push(format!("boundaries.system_upgrade_api: {e}"));
                HcxVersion::parse("9.0.0.0").expect("a valid version")
            }),
            None => {
                problems.push("boundaries.system_upgrade_api is missing".into());
                HcxVersion::parse("9.0.0.0").expect("a valid version")
            }
        };
        if !problems.is_empty() {
            return Err(RouteError::Table(problems));
        }
        Ok(PathTable { rows, api_from })
    }

    /// The release the jump `from` -> `to` must go through first, if a row forces one
    /// (the lowest, when several do), with the row that forces it.
    fn forced_via(&self, from: &HcxVersion, to: &HcxVersion) -> Option<(&HcxVersion, &PathRow)> {
        self.rows
            .iter()
            .filter(|r| r.applies(from, to))
            .filter_map(|r| r.via.as_ref().filter(|v| *v > from && *v < to).map(|v| (v, r)))
            .min_by(|a, b| a.0.cmp(b.0))
    }

    /// The rows that vouch for the direct jump.
    fn vouching(&self, from: &HcxVersion, to: &HcxVersion) -> Vec<&PathRow> {
        self.rows.iter().filter(|r| r.direct && r.applies(from, to)).collect()
    }
}

fn row_problems(row: &PathRow) -> Vec<String> {
    let mut out = Vec::new();
    let kinds = [row.via.is_some(), row.direct, row.method.is_some()].iter().filter(|k| **k).count();
    if kinds != 1 {
        out.push(format!("row `{}` must have exactly one of `via`, `direct: true` or `method`", row.id));
    }
    if let (Some(via), Some(below)) = (&row.via, &row.from_below) {
        if via < below {
            out.push(format!(
                "row `{}`: via {via} is below from_below {below}, so the row would apply again after the hop",
                row.id
            ));
        }
    }
    for (lo, hi, what) in [(&row.from_at_least, &row.from_below, "from"), (&row.to_at_least, &row.to_below, "to")] {
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo >= hi {
                out.push(format!("row `{}`: {what}_at_least {lo} is not below {what}_below {hi}", row.id));
            }
        }
    }
    out
}

/// One HCX Manager of the estate: collected, or seen only through a site pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagerAt {
    /// The site name (collected) or the pair's remote name.
    pub site: String,
    /// The FQDN, else the pair's URL, else the site name.
    pub name: String,
    pub role: Option<Role>,
    pub version: HcxVersion,
    /// `false` for a manager seen only through a site pair of `seen_from`.
    pub collected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_from: Option<String>,
}

/// One Service Mesh appliance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplianceAt {
    pub site: String,
    pub mesh: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub version: HcxVersion,
}

/// Every version of the estate, or the list of what is unknown.
#[derive(Debug, Clone)]
pub struct Estate {
    pub managers: Vec<ManagerAt>,
    pub appliances: Vec<ApplianceAt>,
    /// The connector site (where the Service Mesh upgrade is started), when collected.
    pub source_site: Option<String>,
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    host_port.split(':').next().unwrap_or(host_port)
}

impl Estate {
    /// Read the versions of every manager (collected, and every paired manager that is not
    /// itself a site of the snapshot) and every appliance; any unknown one is an error.
    pub fn of(snapshot: &Snapshot) -> Result<Self, RouteError> {
        let mut unknown = Vec::new();
        let mut managers = Vec::new();
        let mut peers: Vec<ManagerAt> = Vec::new();
        let mut appliances = Vec::new();
        let collected = |name: &Option<String>, url: &Option<String>| {
            snapshot.sites.iter().any(|s| {
                name.as_deref() == Some(s.name.as_str())
                    || match (url, &s.manager.fqdn) {
                        (Some(u), Some(f)) => host_of(u).eq_ignore_ascii_case(f.trim_end_matches('.')),
                        _ => false,
                    }
            })
        };
        for site in &snapshot.sites {
            let name = site.manager.fqdn.clone().unwrap_or_else(|| site.name.clone());
            match &site.manager.version {
                Some(v) => managers.push(ManagerAt {
                    site: site.name.clone(),
                    name,
                    role: Some(site.role),
                    version: v.clone(),
                    collected: true,
                    seen_from: None,
                }),
                None => unknown.push(format!("the manager {name} (site {})", site.name)),
            }
            for pair in site.site_pairs.iter().flatten() {
                if collected(&pair.remote_name, &pair.remote_url) {
                    continue;
                }
                let remote = pair.remote_name.clone().or_else(|| pair.remote_url.clone()).unwrap_or_else(|| "?".into());
                if peers.iter().any(|m| m.site == remote) {
                    continue; // the same peer paired with two collected sites
                }
                match &pair.remote_version {
                    Some(v) => peers.push(ManagerAt {
                        site: remote.clone(),
                        name: pair.remote_url.as_deref().map(|u| host_of(u).to_string()).unwrap_or_else(|| remote.clone()),
                        role: None,
                        version: v.clone(),
                        collected: false,
                        seen_from: Some(site.name.clone()),
                    }),
                    None => unknown.push(format!("the paired manager {remote} (site pair of {}; not collected)", site.name)),
                }
            }
            for mesh in site.service_meshes.iter().flatten() {
                let mesh_name = mesh.name.clone().or_else(|| mesh.id.clone()).unwrap_or_else(|| "?".into());
                for a in mesh.appliances.iter().flatten() {
                    let name = a.name.clone().or_else(|| a.id.clone()).unwrap_or_else(|| "?".into());
                    match &a.version {
                        Some(v) => appliances.push(ApplianceAt {
                            site: site.name.clone(),
                            mesh: mesh_name.clone(),
                            name,
                            kind: a.kind.clone(),
                            version: v.clone(),
                        }),
                        None => unknown.push(format!("the appliance {mesh_name}/{name} (site {})", site.name)),
                    }
                }
            }
            let meshes_unknown = site.service_meshes.is_none();
            if meshes_unknown {
                unknown.push(format!("the Service Mesh appliances of site {} (not read)", site.name));
            }
        }
        if !unknown.is_empty() {
            return Err(RouteError::UnknownVersions(unknown));
        }
        // Collected managers in snapshot order, then those seen only through a site pair.
        managers.extend(peers);
        let source_site = snapshot.sites.iter().find(|s| s.role == Role::Connector).map(|s| s.name.clone());
        Ok(Estate {
            managers,
            appliances,
            source_site,
        })
    }

    fn lowest_manager(&self) -> Option<&HcxVersion> {
        self.managers.iter().map(|m| &m.version).min()
    }

    /// All managers are on `v`.
    fn managers_all_on(&self, v: &HcxVersion) -> bool {
        self.managers.iter().all(|m| &m.version == v)
    }

    /// The appliances below `v`.
    fn appliances_below(&self, v: &HcxVersion) -> Vec<&ApplianceAt> {
        self.appliances.iter().filter(|a| &a.version < v).collect()
    }
}

/// How the route was asked for.
#[derive(Debug, Clone)]
pub struct RouteRequest {
    pub target: HcxVersion,
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    pub fail_on: FailOn,
    /// The collection options to repeat in the commands (`--site`, `--ca-cert`, ...); with
    /// no `--site`, the commands name each collected site by its FQDN.
    pub collect: CollectOptions,
    /// `--policy-dir`/`--config` as given, repeated in the commands.
    pub policy_words: Vec<String>,
}

/// Whether the path table vouches for a hop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathCheck {
    /// `true` when a row vouches for the jump from every manager's version to the hop.
    pub verified: bool,
    /// The rows that vouch for it, or forced it (`via`), or add a method note.
    pub rows: Vec<String>,
    /// Why the hop exists (a `via` row) or what the data does not say.
    pub notes: Vec<String>,
}

/// The judgement of one step (findings of later steps are projected).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub phase: Phase,
    pub target_version: String,
    /// `false` only for the route's first judgement, made on the snapshot as it is.
    pub projected: bool,
    pub decision: Verdict,
    pub summary: Summary,
    pub findings: Vec<RouteFinding>,
}

/// A finding of a route step: the decision record's finding, marked when projected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub projected: bool,
}

/// A manager of a managers step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagerMove {
    pub site: String,
    pub name: String,
    pub from: String,
    pub to: String,
    /// `api` (System Upgrade on appliance management, 9.x) or `ui` (System Updates, 4.x).
    pub method: String,
    pub collected: bool,
    /// Whether the hop's target is among the manager's available updates: `null` when the
    /// list is unknown; on later hops it is the list as collected.
    pub offered: Option<bool>,
    /// Method notes of the path table that apply to this manager's jump.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One step of a hop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// `managers`, `verify`, `service-mesh` or `verify-mesh`.
    pub phase: Phase,
    /// What to do, in words.
    pub action: String,
    /// The managers it upgrades (managers step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<ManagerMove>,
    /// The appliances it upgrades (service-mesh step), as `site: mesh/name (type) version`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appliances: Vec<String>,
    /// Commands to run, in order (pasteable).
    pub commands: Vec<String>,
    /// The judgement of this step (managers and service-mesh steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// Why the step waits for a later hop, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<String>,
}

/// One hop: every manager to `to`, then the meshes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hop {
    /// 1-based; 0 for a Service Mesh that must first catch up with its managers.
    pub index: usize,
    pub to: String,
    pub path: PathCheck,
    pub steps: Vec<Step>,
}

/// The planned route (the JSON document of `plan --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub route_format: u32,
    pub target_version: String,
    pub evaluated_at: String,
    /// The first judgement's decision (the exit code follows it); `allow` when nothing is left to do.
    pub decision: Verdict,
    pub managers: Vec<ManagerAt>,
    pub appliances: Vec<ApplianceAt>,
    pub hops: Vec<Hop>,
    /// What the data does not vouch for, and where it is conservative.
    pub notes: Vec<String>,
    pub snapshot_sha256: String,
    pub policy_sha256: String,
    pub tool: crate::findings::ToolRecord,
    /// `hcx-preflight upgrade --to TARGET ...` with the run's options (not part of the document).
    #[serde(skip)]
    pub continue_command: String,
}

impl Route {
    /// The versions in order: `4.2.1 -> 4.4.2 -> 4.10.3`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(low) = self.managers.iter().map(|m| &m.version).min() {
            parts.push(low.to_string());
        }
        for h in &self.hops {
            if parts.last() != Some(&h.to) {
                parts.push(h.to.clone());
            }
        }
        parts.join(" -> ")
    }
}

/// The hop versions from `from` to `target` along the path table.
pub fn waypoints(table: &PathTable, from: &HcxVersion, target: &HcxVersion) -> Result<Vec<(HcxVersion, Option<PathRow>)>, RouteError> {
    let mut out: Vec<(HcxVersion, Option<PathRow>)> = Vec::new();
    let mut cur = from.clone();
    while &cur < target {
        if out.len() >= MAX_HOPS {
            return Err(RouteError::Loop {
                from: from.to_string(),
                target: target.to_string(),
                hops: out.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>().join(" -> "),
            });
        }
        let mut next = target.clone();
        let mut why = None;
        // The nearest forced release first: a row may force one below another's.
        while let Some((via, row)) = table.forced_via(&cur, &next) {
            next = via.clone();
            why = Some(row.clone());
        }
        out.push((next.clone(), why));
        cur = next;
    }
    Ok(out)
}

/// The pasteable commands of the route (quoted; every option the run was given).
struct Commands {
    collect: CollectOptions,
    policy_words: Vec<String>,
}

impl Commands {
    fn new(req: &RouteRequest, snapshot: &Snapshot) -> Self {
        let mut collect = req.collect.clone();
        if collect.sites.is_empty() {
            collect.sites = snapshot
                .sites
                .iter()
                .filter_map(|s| SiteSpec::parse(&format!("{}=https://{}", s.name, s.manager.fqdn.as_deref()?)).ok())
                .collect();
        }
        Commands {
            collect,
            policy_words: req.policy_words.clone(),
        }
    }

    /// `hcx-preflight VERB ARGS... --target TO ...`.
    fn at(&self, to: &HcxVersion, verb_and_args: &[&str]) -> String {
        CommandBase {
            collect: &self.collect,
            target: to,
            policy_words: &self.policy_words,
        }
        .command(verb_and_args)
    }

    /// `hcx-preflight upgrade --to FINAL ...`: follow (or resume) the route.
    fn follow(&self, target: &HcxVersion) -> String {
        self.at(target, &["upgrade"]).replacen(" --target ", " --to ", 1)
    }
}

/// Move every manager (collected, and seen through a site pair) below `to` up to `to`.
pub fn project_managers(snapshot: &Snapshot, to: &HcxVersion) -> Snapshot {
    let mut s = snapshot.clone();
    for site in &mut s.sites {
        if let Some(v) = &mut site.manager.version {
            if &*v < to {
                *v = to.clone();
            }
        }
        for pair in site.site_pairs.iter_mut().flatten() {
            if let Some(v) = &mut pair.remote_version {
                if &*v < to {
                    *v = to.clone();
                }
            }
        }
    }
    s
}

/// Move every Service Mesh appliance below `to` up to `to` (its mesh no longer offers an update).
pub fn project_appliances(snapshot: &Snapshot, to: &HcxVersion) -> Snapshot {
    let mut s = snapshot.clone();
    for site in &mut s.sites {
        for mesh in site.service_meshes.iter_mut().flatten() {
            let mut moved = false;
            for a in mesh.appliances.iter_mut().flatten() {
                if let Some(v) = &mut a.version {
                    if &*v < to {
                        *v = to.clone();
                        moved = true;
                        if a.update_available.is_some() {
                            a.update_available = Some(false);
                        }
                    }
                }
            }
            if moved && mesh.update_available.is_some() {
                mesh.update_available = Some(false);
            }
        }
    }
    s
}

struct Judge<'a> {
    policies: &'a PolicySet,
    req: &'a RouteRequest,
    snapshot_sha256: String,
    first: bool,
}

impl Judge<'_> {
    fn gate(&mut self, snapshot: &Snapshot, phase: Phase, target: &HcxVersion) -> Result<Gate, RouteError> {
        let plan = Plan {
            target_version: target.clone(),
            phase,
            evaluated_at: self.req.evaluated_at,
            fail_on: self.req.fail_on,
        };
        let loaded = if self.first {
            LoadedSnapshot {
                snapshot: snapshot.clone(),
                sha256: self.snapshot_sha256.clone(),
                path: None,
                warnings: Vec::new(),
            }
        } else {
            LoadedSnapshot::from_snapshot(snapshot.clone())
        };
        let decision: Decision = judge(&loaded, &plan, self.policies)?;
        let projected = !self.first;
        self.first = false;
        Ok(Gate {
            phase,
            target_version: target.to_string(),
            projected,
            decision: decision.decision,
            summary: decision.summary,
            findings: decision
                .findings
                .into_iter()
                .map(|finding| RouteFinding { finding, projected })
                .collect(),
        })
    }
}

fn describe_appliance(a: &ApplianceAt) -> String {
    format!(
        "{}: {}/{}{} {}",
        a.site,
        a.mesh,
        a.name,
        a.kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default(),
        a.version
    )
}

/// Plan the route from `loaded` to `req.target`, judging every step.
pub fn plan_route(loaded: &LoadedSnapshot, req: &RouteRequest, policies: &PolicySet) -> Result<Route, RouteError> {
    let table = PathTable::from_policies(policies)?;
    let estate = Estate::of(&loaded.snapshot)?;
    let target = &req.target;
    let ahead: Vec<String> = estate
        .managers
        .iter()
        .filter(|m| &m.version > target)
        .map(|m| format!("{} ({}) on {}", m.name, m.site, m.version))
        .collect();
    if !ahead.is_empty() {
        return Err(RouteError::Downgrade {
            target: target.to_string(),
            ahead,
        });
    }
    let sites = Commands::new(req, &loaded.snapshot);
    let mut judge = Judge {
        policies,
        req,
        snapshot_sha256: loaded.sha256.clone(),
        first: true,
    };
    let mut hops = Vec::new();
    let mut notes = Vec::new();
    let mut snapshot = loaded.snapshot.clone();
    let mut estate_now = estate.clone();
    let source = estate.source_site.clone();

    // A Service Mesh still behind its (same-version) managers is finished first.
    if let Some(low) = estate.lowest_manager().cloned() {
        if estate.managers_all_on(&low) && !estate.appliances_below(&low).is_empty() {
            let (steps, after) = mesh_steps(&mut judge, &snapshot, &estate_now, &low, &sites, source.as_deref())?;
            snapshot = after;
            estate_now = Estate::of(&snapshot)?;
            hops.push(Hop {
                index: 0,
                to: low.to_string(),
                path: PathCheck {
                    verified: true,
                    rows: Vec::new(),
                    notes: vec![format!(
                        "the managers are on {low} but Service Mesh appliances are not: the mesh upgrade of the previous hop comes first"
                    )],
                },
                steps,
            });
        }
    }

    let from = estate_now.lowest_manager().cloned();
    let points = match &from {
        Some(f) => waypoints(&table, f, target)?,
        None => Vec::new(),
    };
    for (i, (to, why)) in points.iter().enumerate() {
        let movers: Vec<&ManagerAt> = estate_now.managers.iter().filter(|m| &m.version < to).collect();
        let mut path = PathCheck {
            verified: true,
            rows: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(row) = why {
            path.rows.push(row.id.clone());
            path.notes.push(format!(
                "hop forced by row `{}`{}: {}",
                row.id,
                row.source.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
                row.note.as_deref().unwrap_or("go through this release first")
            ));
        }
        let mut moves = Vec::new();
        for m in &movers {
            let vouching = table.vouching(&m.version, to);
            if vouching.is_empty() {
                path.verified = false;
            }
            for r in vouching {
                if !path.rows.contains(&r.id) {
                    path.rows.push(r.id.clone());
                }
            }
            let method_notes: Vec<String> = table
                .rows
                .iter()
                .filter(|r| r.method.is_some() && r.applies(&m.version, to))
                .map(|r| {
                    if !path.rows.contains(&r.id) {
                        path.rows.push(r.id.clone());
                    }
                    r.note.clone().unwrap_or_else(|| format!("method {}", r.method.as_deref().unwrap_or("?")))
                })
                .collect();
            let offered = if m.collected {
                loaded
                    .snapshot
                    .sites
                    .iter()
                    .find(|s| s.name == m.site)
                    .and_then(|s| s.updates.as_ref())
                    .and_then(|u| u.available.as_ref())
                    .map(|list| list.iter().any(|u| &u.version == to))
            } else {
                None
            };
            moves.push(ManagerMove {
                site: m.site.clone(),
                name: m.name.clone(),
                from: m.version.to_string(),
                to: to.to_string(),
                method: if m.version >= table.api_from { "api" } else { "ui" }.to_string(),
                collected: m.collected,
                offered,
                notes: method_notes,
            });
        }
        if !path.verified {
            let crosses_major = movers.iter().any(|m| m.version.parts().first() != to.parts().first());
            path.notes.push(format!(
                "path not verified by the data: no row of the upgrade path table vouches for {} -> {to}; read the release notes of {to} for its supported upgrade paths{}",
                movers.iter().map(|m| m.version.to_string()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", "),
                if crosses_major {
                    " (the facts say nothing about paths between 4.x and 9.x: the data stays conservative, adds no hop of its own and vouches for none)"
                } else {
                    ""
                }
            ));
        }

        // Managers, then verify.
        let gate = judge.gate(&snapshot, Phase::Managers, to)?;
        let all_api = moves.iter().all(|m| m.method == "api" || !m.collected);
        let names: Vec<String> = moves.iter().map(|m| format!("{} ({} {})", m.name, m.site, m.from)).collect();
        let mut commands = vec![sites.at(to, &["check", "--phase", "managers"])];
        let action = if all_api {
            commands.push(sites.at(to, &["upgrade"]));
            format!(
                "back up every HCX Manager and take vSphere snapshots, then upgrade {} to {to} through the appliance management System Upgrade API (site-paired managers may go together: --parallel)",
                names.join(", ")
            )
        } else {
            format!(
                "back up every HCX Manager and take vSphere snapshots, then upgrade {} to {to} in each HCX Manager UI: Administration > System Updates > Check for Updates, then Upgrade (4.x has no upgrade API; site-paired managers may be upgraded at the same time)",
                names.join(", ")
            )
        };
        let uncollected: Vec<&ManagerMove> = moves.iter().filter(|m| !m.collected).collect();
        let action = if uncollected.is_empty() {
            action
        } else {
            format!(
                "{action}; {} not collected: upgrade it at its own site (or ask its provider), then collect it with --site",
                uncollected.iter().map(|m| m.site.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        let mut steps = vec![
            Step {
                phase: Phase::Managers,
                action,
                managers: moves,
                appliances: Vec::new(),
                commands,
                gate: Some(gate),
                deferred: None,
            },
            Step {
                phase: Phase::Verify,
                action: format!("every manager reports {to}, with healthy registered systems and site pairs"),
                managers: Vec::new(),
                appliances: Vec::new(),
                commands: vec![sites.at(to, &["verify"])],
                gate: None,
                deferred: None,
            },
        ];
        snapshot = project_managers(&snapshot, to);
        estate_now = Estate::of(&snapshot)?;

        // The Service Mesh, when the site-paired managers are now on the same version.
        let ahead: Vec<String> = estate_now
            .managers
            .iter()
            .filter(|m| &m.version != to)
            .map(|m| format!("{} ({}) is on {}", m.name, m.site, m.version))
            .collect();
        if ahead.is_empty() {
            let (mesh, after) = mesh_steps(&mut judge, &snapshot, &estate_now, to, &sites, source.as_deref())?;
            steps.extend(mesh);
            snapshot = after;
            estate_now = Estate::of(&snapshot)?;
        } else {
            let why = format!(
                "the Service Mesh upgrade needs every site-paired manager on the same version, and {}: the meshes follow at a later hop",
                ahead.join(", ")
            );
            for phase in [Phase::ServiceMesh, Phase::VerifyMesh] {
                steps.push(Step {
                    phase,
                    action: format!("deferred: {why}"),
                    managers: Vec::new(),
                    appliances: Vec::new(),
                    commands: Vec::new(),
                    gate: None,
                    deferred: Some(why.clone()),
                });
            }
        }
        hops.push(Hop {
            index: i + 1,
            to: to.to_string(),
            path,
            steps,
        });
    }

    for h in &hops {
        if !h.path.verified {
            notes.push(format!("hop {} to {}: path not verified by the data", h.index, h.to));
        }
    }
    if hops.iter().any(|h| !h.path.verified) {
        notes.push(
            "only the 4.9 rows of the built-in path table are sourced (HCX 4.9 release notes); a hop the data does not vouch for is planned straight to its release, never through invented ones; an organisation adds rows to data.hcx.params.upgrade_path_table when it knows a path"
                .into(),
        );
    }
    if hops.is_empty() {
        notes.push(format!("every manager and appliance is already on {target}: nothing to do"));
    }
    let decision = hops
        .iter()
        .flat_map(|h| h.steps.iter())
        .find_map(|s| s.gate.as_ref())
        .map_or(Verdict::Allow, |g| g.decision);
    Ok(Route {
        route_format: ROUTE_FORMAT_VERSION,
        target_version: target.to_string(),
        evaluated_at: crate::plan::format_time(&req.evaluated_at),
        decision,
        managers: estate.managers,
        appliances: estate.appliances,
        hops,
        notes,
        snapshot_sha256: loaded.sha256.clone(),
        policy_sha256: policies.digest().to_string(),
        tool: crate::findings::ToolRecord::this(),
        continue_command: sites.follow(target),
    })
}

/// The service-mesh and verify-mesh steps to `to`, and the snapshot after them.
fn mesh_steps(
    judge: &mut Judge<'_>,
    snapshot: &Snapshot,
    estate: &Estate,
    to: &HcxVersion,
    sites: &Commands,
    source: Option<&str>,
) -> Result<(Vec<Step>, Snapshot), RouteError> {
    let behind: Vec<String> = estate.appliances_below(to).into_iter().map(describe_appliance).collect();
    let gate = judge.gate(snapshot, Phase::ServiceMesh, to)?;
    let from_site = source.map_or("the source (connector) site".to_string(), |s| format!("the source site {s}"));
    // The vendor starts the mesh update from the source site only; each peer follows.
    let action = if behind.is_empty() {
        format!("no Service Mesh appliance is below {to}; redeploy the SGW if OSAM is in use, then confirm every tunnel is up")
    } else {
        format!(
            "upgrade the Service Mesh appliances to {to} from the HCX Manager UI of {from_site} (Interconnect > Service Mesh > View Appliances > Update Appliance; each peer follows); no public API starts it"
        )
    };
    // The mesh verify is judged on the projection after the mesh step (appliances on
    // `to`, tunnels as collected): what would still block it shows before the route starts.
    let after = project_appliances(snapshot, to);
    let verify = judge.gate(&after, Phase::VerifyMesh, to)?;
    let steps = vec![
        Step {
            phase: Phase::ServiceMesh,
            action,
            managers: Vec::new(),
            appliances: behind,
            commands: vec![sites.at(to, &["check", "--phase", "service-mesh"])],
            gate: Some(gate),
            deferred: None,
        },
        Step {
            phase: Phase::VerifyMesh,
            action: format!("every appliance (and its peer) reports {to} and its tunnels are up"),
            managers: Vec::new(),
            appliances: Vec::new(),
            commands: vec![sites.at(to, &["verify", "--phase", "mesh"])],
            gate: Some(verify),
            deferred: None,
        },
    ];
    Ok((steps, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> HcxVersion {
        HcxVersion::parse(s).unwrap()
    }

    fn builtin() -> PathTable {
        PathTable::from_policies(&PolicySet::builtin().unwrap()).unwrap()
    }

    #[test]
    fn below_4_4_goes_through_4_4_2() {
        let hops: Vec<String> = waypoints(&builtin(), &v("4.2.1"), &v("4.10.3")).unwrap().into_iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(hops, ["4.4.2", "4.10.3"]);
        let one: Vec<String> = waypoints(&builtin(), &v("4.3.2"), &v("4.4.2")).unwrap().into_iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(one, ["4.4.2"]);
    }

    #[test]
    fn only_the_4_9_rows_vouch() {
        let t = builtin();
        assert!(!t.vouching(&v("4.4.2"), &v("4.9.1")).is_empty());
        assert!(t.vouching(&v("4.4.2"), &v("4.10.0")).is_empty());
        assert!(t.vouching(&v("4.9.0"), &v("9.0.0.0")).is_empty());
        assert!(t.vouching(&v("4.3.2"), &v("4.9.0")).is_empty());
    }

    #[test]
    fn a_table_that_loops_or_is_malformed_is_refused_with_every_problem() {
        let data = serde_json::json!({"hcx": {"params": {
            "boundaries": {"system_upgrade_api": "9.0.0.0"},
            "upgrade_path_table": {
                "back": {"from_below": "4.4.0", "to_at_least": "4.5.0", "via": "4.3.0"},
                "both": {"to_at_least": "4.5.0", "via": "4.4.0", "direct": true},
                "bad": {"to_at_least": "four"}
            }
        }}});
        let Err(RouteError::Table(problems)) = PathTable::from_data(&data) else { panic!("accepted") };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn row_bounds_match_the_rego_reading() {
        let row = PathRow {
            id: "r".into(),
            from_at_least: Some(v("4.4.0")),
            from_below: None,
            to_at_least: Some(v("4.9.0")),
            to_below: Some(v("4.10.0")),
            via: None,
            direct: true,
            method: None,
            kb: None,
            source: None,
            note: None,
        };
        assert!(row.applies(&v("4.4.0"), &v("4.9.0")));
        assert!(row.applies(&v("4.8.2"), &v("4.9.99")));
        assert!(!row.applies(&v("4.3.9"), &v("4.9.0")));
        assert!(!row.applies(&v("4.4.0"), &v("4.10.0")));
    }
}
