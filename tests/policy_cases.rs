//! The data-driven policy cases of `tests/cases/*.toml`, run by one generic runner:
//! each case patches a fixture, evaluates a plan (with an optional organisation
//! config) and checks the finding ids present, absent and waived, severities,
//! message fragments and the decision. A last test checks that every built-in
//! rule is seen both firing and not firing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hcx_preflight::check::{judge, LoadedSnapshot};
use hcx_preflight::findings::Verdict;
use hcx_preflight::plan::{parse_time, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::snapshot::Snapshot;
use serde::Deserialize;

use crate::common::root;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    pub(crate) name: String,
    snapshot: String,
    target: String,
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    fail_on: Option<String>,
    #[serde(default)]
    patch: Vec<Patch>,
    #[serde(default)]
    pub(crate) config: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    waived: Vec<String>,
    #[serde(default)]
    severities: BTreeMap<String, String>,
    #[serde(default)]
    messages: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    path: String,
    value: toml::Value,
}

pub(super) fn to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) if s == "__null__" => serde_json::Value::Null,
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        other => serde_json::to_value(other).expect("toml value to json"),
    }
}

pub(crate) fn load_cases() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/cases"))
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read case file");
        let parsed: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stem = f.file_stem().expect("stem").to_string_lossy().to_string();
        out.extend(parsed.case.into_iter().map(|c| (stem.clone(), c)));
    }
    out
}

struct Outcome {
    fired: BTreeSet<String>,
}

/// The snapshot (the fixture with the case's patches) and the plan of a case.
pub(crate) fn prepare(case: &Case) -> Result<(Snapshot, Plan), String> {
    let path = root().join("fixtures/snapshots").join(&case.snapshot);
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    for p in &case.patch {
        // An existing value is replaced; a missing key of an existing object is added
        // (optional fields such as an appliance's ha_group).
        let value = to_json(&p.value);
        match doc.pointer_mut(&p.path) {
            Some(slot) => *slot = value,
            None => {
                let (parent, key) = p.path.rsplit_once('/').ok_or_else(|| format!("patch path {} not found", p.path))?;
                let object = doc
                    .pointer_mut(parent)
                    .and_then(|v| v.as_object_mut())
                    .ok_or_else(|| format!("patch path {} not found", p.path))?;
                object.insert(key.to_string(), value);
            }
        }
    }
    let bytes = serde_json::to_vec(&doc).expect("json");
    let snapshot = Snapshot::from_slice(&bytes, &path).map_err(|e| e.to_string())?;
    let plan = Plan {
        target_version: case.target.parse().map_err(|e| format!("{e}"))?,
        phase: match case.phase.as_deref().unwrap_or("managers") {
            "managers" => Phase::Managers,
            "service-mesh" => Phase::ServiceMesh,
            "verify" => Phase::Verify,
            "verify-mesh" => Phase::VerifyMesh,
            other => return Err(format!("unknown phase {other}")),
        },
        evaluated_at: parse_time(case.now.as_deref().unwrap_or("2026-11-29T09:05:00Z"))?,
        fail_on: if case.fail_on.as_deref() == Some("warn") { FailOn::Warn } else { FailOn::Deny },
    };
    Ok((snapshot, plan))
}

/// The built-in policies with an organisation config given as TOML text.
pub(crate) fn builtin_with_config(text: &str) -> Result<PolicySet, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = dir.path().join("hcx-preflight.toml");
    std::fs::write(&cfg, text).map_err(|e| e.to_string())?;
    PolicySet::load(&LoadOptions {
        config: Some(cfg),
        ..Default::default()
    })
    .map_err(|e| e.to_string())
}

fn run_case(file: &str, case: &Case, builtin: &PolicySet) -> Result<Outcome, String> {
    let (snapshot, plan) = prepare(case)?;
    let owned;
    let policies = match &case.config {
        None => builtin,
        Some(text) => {
            owned = builtin_with_config(text)?;
            &owned
        }
    };
    let decision = judge(&LoadedSnapshot::from_snapshot(snapshot), &plan, policies).map_err(|e| e.to_string())?;
    let unwaived: BTreeSet<String> = decision.findings.iter().filter(|f| !f.waived).map(|f| f.id.clone()).collect();
    let waived: BTreeSet<String> = decision.findings.iter().filter(|f| f.waived).map(|f| f.id.clone()).collect();
    let mut problems = Vec::new();
    for id in &case.present {
        if !unwaived.contains(id) {
            problems.push(format!("expected {id} (unwaived)"));
        }
    }
    for id in &case.absent {
        if unwaived.contains(id) || waived.contains(id) {
            problems.push(format!("did not expect {id}"));
        }
    }
    for id in &case.waived {
        if !waived.contains(id) {
            problems.push(format!("expected {id} waived"));
        }
    }
    for (id, sev) in &case.severities {
        let seen: BTreeSet<&str> = decision.findings.iter().filter(|f| &f.id == id).map(|f| f.severity.as_str()).collect();
        if seen != BTreeSet::from([sev.as_str()]) {
            problems.push(format!("expected {id} with severity {sev}, saw {seen:?}"));
        }
    }
    for m in &case.messages {
        if !decision.findings.iter().any(|f| f.message.contains(m.as_str())) {
            problems.push(format!("no message contains {m:?}"));
        }
    }
    if let Some(want) = &case.decision {
        let got = match decision.decision {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        };
        if got != want {
            problems.push(format!("expected decision {want}, got {got}"));
        }
    }
    if problems.is_empty() {
        Ok(Outcome { fired: unwaived.union(&waived).cloned().collect() })
    } else {
        let seen: Vec<String> = decision.findings.iter().map(|f| format!("{} {} {:?}: {}", f.severity.as_str(), f.id, f.site, f.message)).collect();
        Err(format!("[{file}] {}: {}\n  findings:\n    {}", case.name, problems.join("; "), seen.join("\n    ")))
    }
}

#[test]
fn policy_cases() {
    let builtin = PolicySet::builtin().expect("built-in policies compile");
    let cases = load_cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut fired_somewhere = BTreeSet::new();
    let mut quiet_somewhere = BTreeSet::new();
    let ids: BTreeSet<String> = builtin.catalog().keys().cloned().collect();
    for (file, case) in &cases {
        match run_case(file, case, &builtin) {
            Ok(outcome) => {
                fired_somewhere.extend(outcome.fired.iter().cloned());
                quiet_somewhere.extend(ids.difference(&outcome.fired).cloned());
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let never_fired: Vec<_> = ids.difference(&fired_somewhere).collect();
    let never_quiet: Vec<_> = ids.difference(&quiet_somewhere).collect();
    assert!(never_fired.is_empty(), "rules never seen firing in a case: {never_fired:?}");
    assert!(never_quiet.is_empty(), "rules never seen quiet in a case: {never_quiet:?}");
}

#[test]
fn every_fixture_is_used_by_a_case() {
    let used: BTreeSet<String> = load_cases().into_iter().map(|(_, c)| c.snapshot).collect();
    for entry in std::fs::read_dir(root().join("fixtures/snapshots")).expect("fixtures") {
        let name = entry.expect("entry").file_name().to_string_lossy().to_string();
        assert!(used.contains(&name), "fixture {name} is used by no case in tests/cases");
    }
}
