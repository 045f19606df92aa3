//! The route planner's cases of `tests/routes/*.toml`, run by one generic runner: each
//! case takes a fixture (every version optionally set to one value, then patched with
//! JSON pointers), an optional organisation path table, and a final version, plans the
//! route with the built-in policies and checks the hops, which hops the data vouches
//! for, who moves how, what each hop's judgements report, deferred mesh steps, notes,
//! the decision, or the error.

use std::collections::BTreeSet;
use std::path::Path;

use hcx_preflight::check::LoadedSnapshot;
use hcx_preflight::findings::Verdict;
use hcx_preflight::plan::{parse_time, FailOn};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::route::{plan_route, Route, RouteRequest};
use hcx_preflight::snapshot::Snapshot;
use serde::Deserialize;

use super::policy_cases::to_json;
use crate::common::root;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    snapshot: String,
    /// Every manager, paired manager and appliance version set to this first.
    #[serde(default)]
    all_versions: Option<String>,
    #[serde(default)]
    patch: Vec<Patch>,
    to: String,
    /// Rows added to data.hcx.params.upgrade_path_table by an organisation --policy-dir.
    #[serde(default)]
    org_rows: Option<toml::Table>,
    /// The hop versions in order; a Service Mesh catch-up hop is written `mesh:VERSION`.
    #[serde(default)]
    hops: Option<Vec<String>>,
    /// Hops (by version) the data does not vouch for; every other hop is verified.
    #[serde(default)]
    unverified: Option<Vec<String>>,
    #[serde(default)]
    movers: Vec<Movers>,
    #[serde(default)]
    findings: Vec<HopFindings>,
    /// Hop indexes whose Service Mesh steps wait for a later hop.
    #[serde(default)]
    deferred: Vec<usize>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    decision: Option<String>,
    /// A fragment of the error, when no route can be planned.
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    path: String,
    value: toml::Value,
}

/// Who the managers step of a hop upgrades, and how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Movers {
    hop: usize,
    sites: Vec<String>,
    method: String,
}

/// Finding ids over every judgement of a hop.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HopFindings {
    hop: usize,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

fn load_cases() -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/routes"))
        .expect("tests/routes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("read");
            toml::from_str::<CaseFile>(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display())).case
        })
        .collect()
}

fn set_all_versions(doc: &mut serde_json::Value, v: &str) {
    for site in doc["sites"].as_array_mut().into_iter().flatten() {
        site["manager"]["version"] = v.into();
        for p in site["site_pairs"].as_array_mut().into_iter().flatten() {
            p["remote_version"] = v.into();
        }
        for m in site["service_meshes"].as_array_mut().into_iter().flatten() {
            for a in m["appliances"].as_array_mut().into_iter().flatten() {
                a["version"] = v.into();
            }
        }
    }
}

fn snapshot_of(case: &Case) -> Result<LoadedSnapshot, String> {
    let path = root().join("fixtures/snapshots").join(&case.snapshot);
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    if let Some(v) = &case.all_versions {
        set_all_versions(&mut doc, v);
    }
    for p in &case.patch {
        *doc.pointer_mut(&p.path).ok_or_else(|| format!("patch path {} not found", p.path))? = to_json(&p.value);
    }
    let snapshot = Snapshot::from_slice(&serde_json::to_vec(&doc).expect("json"), &path).map_err(|e| e.to_string())?;
    Ok(LoadedSnapshot::from_snapshot(snapshot))
}

fn org_policies(rows: &toml::Table, dir: &Path) -> Result<PolicySet, String> {
    let params = dir.join("hcx/params");
    std::fs::create_dir_all(&params).map_err(|e| e.to_string())?;
    let doc = serde_json::json!({"upgrade_path_table": to_json(&toml::Value::Table(rows.clone()))});
    std::fs::write(params.join("data.json"), doc.to_string()).map_err(|e| e.to_string())?;
    PolicySet::load(&LoadOptions {
        policy_dirs: vec![dir.to_path_buf()],
        ..Default::default()
    })
    .map_err(|e| e.to_string())
}

fn hop_name(index: usize, to: &str) -> String {
    if index == 0 {
        format!("mesh:{to}")
    } else {
        to.to_string()
    }
}

fn check(case: &Case, route: &Route) -> Vec<String> {
    let mut problems = Vec::new();
    let hops: Vec<String> = route.hops.iter().map(|h| hop_name(h.index, &h.to)).collect();
    if let Some(want) = &case.hops {
        if &hops != want {
            problems.push(format!("hops {hops:?}, expected {want:?}"));
        }
    }
    if let Some(want) = &case.unverified {
        let got: Vec<String> = route.hops.iter().filter(|h| !h.path.verified).map(|h| h.to.clone()).collect();
        if &got != want {
            problems.push(format!("unverified hops {got:?}, expected {want:?}"));
        }
    }
    for m in &case.movers {
        let Some(step) = route.hops.iter().find(|h| h.index == m.hop).and_then(|h| h.steps.iter().find(|s| s.phase == hcx_preflight::plan::Phase::Managers)) else {
            problems.push(format!("hop {} has no managers step", m.hop));
            continue;
        };
        let sites: Vec<&str> = step.managers.iter().map(|x| x.site.as_str()).collect();
        if sites != m.sites {
            problems.push(format!("hop {} moves {sites:?}, expected {:?}", m.hop, m.sites));
        }
        if let Some(x) = step.managers.iter().find(|x| x.collected && x.method != m.method) {
            problems.push(format!("hop {}: {} goes by {}, expected {}", m.hop, x.site, x.method, m.method));
        }
    }
    for f in &case.findings {
        let ids: BTreeSet<&str> = route
            .hops
            .iter()
            .filter(|h| h.index == f.hop)
            .flat_map(|h| h.steps.iter().filter_map(|s| s.gate.as_ref()))
            .flat_map(|g| g.findings.iter().map(|x| x.finding.id.as_str()))
            .collect();
        for id in &f.present {
            if !ids.contains(id.as_str()) {
                problems.push(format!("hop {}: expected {id}, saw {ids:?}", f.hop));
            }
        }
        for id in &f.absent {
            if ids.contains(id.as_str()) {
                problems.push(format!("hop {}: did not expect {id}", f.hop));
            }
        }
    }
    let deferred: Vec<usize> = route.hops.iter().filter(|h| h.steps.iter().any(|s| s.deferred.is_some())).map(|h| h.index).collect();
    if deferred != case.deferred {
        problems.push(format!("deferred mesh steps at hops {deferred:?}, expected {:?}", case.deferred));
    }
    let text = serde_json::to_string(route).expect("json");
    for n in &case.notes {
        if !text.contains(n.as_str()) {
            problems.push(format!("the route does not say {n:?}"));
        }
    }
    if let Some(want) = &case.decision {
        let got = if route.decision == Verdict::Allow { "allow" } else { "deny" };
        if got != want {
            problems.push(format!("decision {got}, expected {want}"));
        }
    }
    // Invariants of every route: the first judgement is real, every later one projected,
    // and each planned hop ends with the mesh verify (or says why the mesh waits).
    let gates: Vec<bool> = route.hops.iter().flat_map(|h| h.steps.iter().filter_map(|s| s.gate.as_ref().map(|g| g.projected))).collect();
    if gates.first() == Some(&true) || gates.iter().skip(1).any(|p| !p) {
        problems.push(format!("projection flags {gates:?}: only the first judgement is on the snapshot as it is"));
    }
    for h in &route.hops {
        let phases: Vec<&str> = h.steps.iter().map(|s| s.phase.as_str()).collect();
        let want: &[&str] = if h.index == 0 { &["service-mesh", "verify-mesh"] } else { &["managers", "verify", "service-mesh", "verify-mesh"] };
        if phases != want {
            problems.push(format!("hop {} steps {phases:?}", h.index));
        }
        let last = h.steps.last().expect("steps");
        if last.deferred.is_none() && !last.commands.iter().any(|c| c.starts_with("hcx-preflight verify --phase mesh --target")) {
            problems.push(format!("hop {} does not end with the mesh verify command", h.index));
        }
    }
    problems
}

#[test]
fn route_cases() {
    let builtin = PolicySet::builtin().expect("built-in policies");
    let cases = load_cases();
    assert!(cases.len() >= 10, "only {} route cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let outcome = (|| -> Result<Vec<String>, String> {
            let owned;
            let policies = match &case.org_rows {
                Some(rows) => {
                    owned = org_policies(rows, dir.path())?;
                    &owned
                }
                None => &builtin,
            };
            let req = RouteRequest {
                target: case.to.parse().map_err(|e| format!("{e}"))?,
                evaluated_at: parse_time("2026-11-29T09:05:00Z")?,
                fail_on: FailOn::Deny,
                collect: hcx_preflight::collect::CollectOptions::new(Vec::new()),
                policy_words: Vec::new(),
            };
            match (plan_route(&snapshot_of(case)?, &req, policies), &case.error) {
                (Ok(route), None) => Ok(check(case, &route)),
                (Ok(route), Some(e)) => Ok(vec![format!("expected the error {e:?}, planned {}", route.summary())]),
                (Err(err), Some(e)) if err.to_string().contains(e.as_str()) => Ok(Vec::new()),
                (Err(err), _) => Ok(vec![format!("error: {err}")]),
            }
        })();
        match outcome {
            Ok(p) if p.is_empty() => {}
            Ok(p) => failures.push(format!("{}: {}", case.name, p.join("; "))),
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{} of {} route cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
