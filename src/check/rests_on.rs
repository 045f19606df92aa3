//! Assembling what a decision rests on ([`RestsOn`], the `rests_on` object of the decision
//! record, issue #11) from the inputs of one judgement. Deterministic: every list is sorted
//! and nothing reads the clock (the age is measured at the plan's evaluation time, `--now`).
//!
//! Whether an attestation still holds is the policies' judgement
//! (`data.hcx.lib.attestation_lapse`); this module asks them through
//! `data.hcx.lib.attested_facts` rather than repeating the rules in Rust.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::LoadedSnapshot;
use crate::findings::rests_on::{
    AttestationBasis, AttestationStatus, FileDigest, PolicyBasis, RestsOn, SeverityOverride, SiteBasis, SnapshotBasis, Threshold, ToolBasis,
    UnknownFact,
};
use crate::findings::Finding;
use crate::plan::{format_time, Plan};
use crate::policy::entrypoint::text::ATTESTED_FACTS_RULE;
use crate::policy::{hex, sha256_hex, PolicyError, PolicySet};

/// Assemble what a decision on `loaded` under `plan` and `policies`, with `findings`, rests on.
pub fn assemble(loaded: &LoadedSnapshot, plan: &Plan, policies: &PolicySet, findings: &[Finding]) -> Result<RestsOn, PolicyError> {
    let snapshot = &loaded.snapshot;
    let config = policies.config();
    let attestations = attestations(loaded, plan, policies)?;
    let unknown_facts = unknown_facts(loaded, findings, &attestations);
    Ok(RestsOn {
        snapshot: SnapshotBasis {
            path: loaded.path.clone(),
            sha256: loaded.sha256.clone(),
            collected_at: format_time(&snapshot.collected_at),
            age_seconds: (plan.evaluated_at - snapshot.collected_at).num_seconds(),
        },
        policies: policy_basis(policies),
        config: config.source.as_ref().map(|(path, text)| FileDigest {
            path: path.display().to_string(),
            sha256: sha256_hex(text.as_bytes()),
        }),
        sites: sites(loaded, plan),
        thresholds: thresholds(policies),
        severity_overrides: config
            .severity
            .iter()
            .filter_map(|(rule, to)| {
                let from = policies.catalog().get(rule)?.severity;
                Some(SeverityOverride {
                    rule: rule.clone(),
                    from,
                    to: *to,
                })
            })
            .collect(),
        disabled_rules: config.disabled.clone(),
        attestations,
        unknown_facts,
        tool: ToolBasis {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            regorus_version: crate::REGORUS_VERSION.to_string(),
        },
    })
}

/// Mark each finding whose severity the config overrode with the catalog's severity.
pub fn mark_overrides(findings: &mut [Finding], policies: &PolicySet) {
    for f in findings {
        let Some(to) = policies.config().severity.get(&f.id) else {
            continue;
        };
        let from = policies.catalog().get(&f.id).map(|e| e.severity);
        if from.is_some_and(|from| from != *to) && f.severity == *to {
            f.default_severity = from;
        }
    }
}

fn policy_basis(policies: &PolicySet) -> PolicyBasis {
    let dirs = policies
        .policy_dirs()
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let prefix = format!("org-{}/", i + 1);
            let mut files: Vec<(&str, String)> = Vec::new();
            for m in policies.modules().iter().chain(policies.tests()) {
                if m.bundle_path.starts_with(&prefix) {
                    files.push((&m.bundle_path, m.text.clone()));
                }
            }
            for d in policies.data_files() {
                if d.bundle_path.starts_with(&prefix) {
                    files.push((&d.bundle_path, serde_json::to_string(&d.value).unwrap_or_default()));
                }
            }
            files.sort();
            FileDigest {
                path: dir.display().to_string(),
                sha256: files_digest(files.iter().map(|(p, t)| (*p, t.as_str()))),
            }
        })
        .collect();
    PolicyBasis {
        builtin_sha256: crate::policy::BUILTIN_SHA256.to_string(),
        dirs,
        sha256: policies.digest().to_string(),
    }
}

/// SHA-256 over (path, text) pairs, each framed by NULs so that no two sets collide by concatenation.
fn files_digest<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (path, text) in files {
        h.update(path.as_bytes());
        h.update(b"\0");
        h.update(text.as_bytes());
        h.update(b"\0");
    }
    hex(&h.finalize())
}

fn sites(loaded: &LoadedSnapshot, plan: &Plan) -> Vec<SiteBasis> {
    let target = plan.target_version.to_string();
    let collected: BTreeSet<&str> = loaded.snapshot.sites.iter().map(|s| s.name.as_str()).collect();
    let mut out: Vec<SiteBasis> = loaded
        .snapshot
        .sites
        .iter()
        .map(|s| SiteBasis {
            name: s.name.clone(),
            role: Some(s.role),
            current_version: s.manager.version.as_ref().map(|v| v.to_string()),
            target_version: target.clone(),
            seen_through: None,
        })
        .collect();
    let mut peers: BTreeMap<String, SiteBasis> = BTreeMap::new();
    for s in &loaded.snapshot.sites {
        for pair in s.site_pairs.iter().flatten() {
            let Some(name) = pair.remote_name.as_ref().filter(|n| !collected.contains(n.as_str())) else {
                continue;
            };
            peers.entry(name.clone()).or_insert_with(|| SiteBasis {
                name: name.clone(),
                role: None,
                current_version: pair.remote_version.as_ref().map(|v| v.to_string()),
                target_version: target.clone(),
                seen_through: Some(s.name.clone()),
            });
        }
    }
    out.extend(peers.into_values());
    out
}

fn thresholds(policies: &PolicySet) -> BTreeMap<String, Threshold> {
    let data = policies.data_document();
    let defaults = data.pointer("/hcx/params/thresholds").and_then(|t| t.as_object()).cloned().unwrap_or_default();
    let configured = &policies.config().thresholds;
    defaults
        .into_iter()
        .map(|(name, default)| {
            let value = configured.get(&name).cloned().unwrap_or_else(|| default.clone());
            let changed = !same_number(&value, &default);
            (name, Threshold { value, default, changed })
        })
        .collect()
}

/// `96` and `96.0` are the same threshold.
fn same_number(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// One attested fact of the snapshot: where it sits, its object, and (from the
/// policies) why it no longer holds.
struct AttestedFact {
    pointer: String,
    site: String,
    attested_at: Option<String>,
    attested_by: Option<String>,
    on_version: Option<String>,
    evidence: Option<String>,
    lapse: Option<String>,
}

/// Every object under `/sites/N` whose provenance is `attested`, as (site index, pointer, object).
fn attested_objects(doc: &serde_json::Value) -> Vec<(usize, String, &serde_json::Value)> {
    fn walk<'a>(v: &'a serde_json::Value, site: usize, pointer: String, out: &mut Vec<(usize, String, &'a serde_json::Value)>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.get("provenance").and_then(|p| p.as_str()) == Some("attested") {
                    out.push((site, pointer.clone(), v));
                }
                for (k, child) in map {
                    walk(child, site, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, site, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (i, site) in doc["sites"].as_array().into_iter().flatten().enumerate() {
        walk(site, i, format!("/sites/{i}"), &mut out);
    }
    out
}

/// The input of [`ATTESTED_FACTS_RULE`] for a snapshot document (as JSON) and a plan:
/// `{snapshot, plan, attested: [{site, pointer, fact}]}`, or `None` where nothing is attested.
pub fn attested_facts_input(doc: &serde_json::Value, plan: &Plan) -> Option<serde_json::Value> {
    let objects = attested_objects(doc);
    (!objects.is_empty()).then(|| attested_input(doc, plan, &objects))
}

fn attested_input(doc: &serde_json::Value, plan: &Plan, objects: &[(usize, String, &serde_json::Value)]) -> serde_json::Value {
    let mut input = serde_json::json!({ "snapshot": doc, "plan": plan });
    input["attested"] = objects
        .iter()
        .map(|(site, pointer, fact)| serde_json::json!({ "site": site, "pointer": pointer, "fact": fact }))
        .collect();
    input
}

/// The attested facts of the snapshot, each with the policies' verdict on whether it holds.
fn attested_facts(doc: &serde_json::Value, plan: &Plan, policies: &PolicySet) -> Result<Vec<AttestedFact>, PolicyError> {
    let objects = attested_objects(doc);
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let input = attested_input(doc, plan, &objects);
    let value = policies.evaluate_rule(ATTESTED_FACTS_RULE, regorus::Value::from(input))?;
    let lapses: BTreeMap<String, Option<String>> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["pointer"].as_str()?.to_string(), v["lapse"].as_str().map(str::to_string))))
        .collect();
    let text = |o: &serde_json::Value, key: &str| o.get(key).and_then(|v| v.as_str()).map(str::to_string);
    objects
        .into_iter()
        .map(|(site, pointer, o)| {
            let lapse = lapses
                .get(&pointer)
                .cloned()
                .ok_or_else(|| PolicyError::Eval(format!("{ATTESTED_FACTS_RULE} says nothing about {pointer}")))?;
            Ok(AttestedFact {
                site: doc["sites"][site]["name"].as_str().unwrap_or_default().to_string(),
                attested_at: text(o, "attested_at"),
                attested_by: text(o, "attested_by"),
                on_version: text(o, "attested_on_version"),
                evidence: text(o, "evidence"),
                lapse,
                pointer,
            })
        })
        .collect()
}

fn attestations(loaded: &LoadedSnapshot, plan: &Plan, policies: &PolicySet) -> Result<Vec<AttestationBasis>, PolicyError> {
    let snapshot = &loaded.snapshot;
    let doc = serde_json::to_value(snapshot).map_err(|e| PolicyError::Eval(e.to_string()))?;
    let facts = attested_facts(&doc, plan, policies)?;
    let same_time = |a: Option<&str>, b: Option<chrono::DateTime<chrono::Utc>>| match (a, b) {
        (Some(a), Some(b)) => crate::plan::parse_time(a).is_ok_and(|a| a == b),
        (None, None) => true,
        _ => false,
    };
    let names: Vec<String> = facts.iter().map(|f| dotted_name(&doc, &f.pointer)).collect();
    let mut matched = vec![false; facts.len()];
    let mut out = Vec::new();
    for r in &snapshot.attestations {
        // The stamp an attestation leaves on its fact: the object the fact belongs to
        // (the most specific one), stated by the same operator at the same time.
        let dotted = format!("{}.{}", r.site, r.fact);
        let fact = (0..facts.len())
            .filter(|&i| {
                let f = &facts[i];
                f.site == r.site
                    && (dotted == names[i] || dotted.starts_with(&format!("{}.", names[i])))
                    && same_time(f.attested_at.as_deref(), r.attested_at)
                    && f.attested_by.as_deref() == Some(r.by.as_str())
            })
            .max_by_key(|&i| names[i].len());
        if let Some(i) = fact {
            matched[i] = true;
        }
        let found = fact.map(|i| &facts[i]);
        out.push(AttestationBasis {
            fact: dotted,
            value: Some(r.value.clone()),
            attested_by: Some(r.by.clone()),
            attested_at: r.attested_at.as_ref().map(format_time),
            evidence: Some(r.evidence.clone()),
            on_version: found.and_then(|f| f.on_version.clone()),
            pointer: found.map(|f| f.pointer.clone()),
            status: status_of(found.and_then(|f| f.lapse.as_ref())),
            lapsed_because: found.and_then(|f| f.lapse.clone()),
        });
    }
    // Facts marked attested in the snapshot without a record (a hand-written snapshot).
    for ((f, name), _) in facts.iter().zip(names).zip(&matched).filter(|(_, m)| !**m) {
        let object = doc.pointer(&f.pointer);
        out.push(AttestationBasis {
            fact: name,
            value: object.and_then(stated_value),
            attested_by: f.attested_by.clone(),
            attested_at: f.attested_at.clone(),
            evidence: f.evidence.clone(),
            on_version: f.on_version.clone(),
            pointer: Some(f.pointer.clone()),
            status: status_of(f.lapse.as_ref()),
            lapsed_because: f.lapse.clone(),
        });
    }
    out.sort_by(|a, b| (&a.fact, &a.attested_at, &a.pointer).cmp(&(&b.fact, &b.attested_at, &b.pointer)));
    Ok(out)
}

fn status_of(lapse: Option<&String>) -> AttestationStatus {
    match lapse {
        Some(_) => AttestationStatus::Lapsed,
        None => AttestationStatus::Used,
    }
}

/// The value an attested object states: what the attestable facts with a provenance
/// hold (a status, or a backup's time).
fn stated_value(object: &serde_json::Value) -> Option<String> {
    ["status", "last_success_at"]
        .iter()
        .find_map(|k| object.get(*k).and_then(|v| v.as_str()))
        .map(str::to_string)
}

/// The dotted spelling of the object at `pointer` (`/sites/0/connections/1` ->
/// `source.connections.nsx`): list items by their kind, remote name or name.
fn dotted_name(doc: &serde_json::Value, pointer: &str) -> String {
    let mut node = doc;
    let mut parts: Vec<String> = Vec::new();
    for token in pointer.split('/').skip(1) {
        let next = match node {
            serde_json::Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            serde_json::Value::Object(map) => map.get(token),
            _ => None,
        };
        let Some(next) = next else {
            parts.push(token.to_string());
            continue;
        };
        match node {
            serde_json::Value::Array(_) => {
                let name = ["name", "kind", "remote_name", "id"].iter().find_map(|k| next.get(*k).and_then(|v| v.as_str()));
                parts.push(name.map(str::to_string).unwrap_or_else(|| token.to_string()));
            }
            _ if token == "sites" => {}
            _ => parts.push(token.to_string()),
        }
        node = next;
    }
    parts.join(".")
}

/// `sites[source].backup.last_success_at` (a rule's resource) -> `source.backup.last_success_at`.
fn dotted_fact(resource: &str) -> String {
    resource
        .strip_prefix("sites[")
        .and_then(|rest| rest.split_once("]."))
        .map(|(site, path)| format!("{site}.{path}"))
        .unwrap_or_else(|| resource.to_string())
}

/// The snapshot's `errors` entries, the null facts rules reported (`fact-missing`), and
/// the facts of lapsed attestations (the rules read them as unknown).
fn unknown_facts(loaded: &LoadedSnapshot, findings: &[Finding], attestations: &[AttestationBasis]) -> Vec<UnknownFact> {
    let mut out: BTreeMap<String, UnknownFact> = BTreeMap::new();
    for a in attestations.iter().filter(|a| a.status == AttestationStatus::Lapsed) {
        out.entry(a.fact.clone()).or_insert(UnknownFact {
            fact: a.fact.clone(),
            message: format!("its attestation lapsed: {}", a.lapsed_because.as_deref().unwrap_or("no longer holds")),
            reported_by: Vec::new(),
        });
    }
    for e in &loaded.snapshot.errors {
        let fact = match &e.site {
            Some(site) => format!("{site}.{}", e.fact),
            None => e.fact.clone(),
        };
        out.entry(fact.clone()).or_insert(UnknownFact {
            fact,
            message: e.message.clone(),
            reported_by: Vec::new(),
        });
    }
    for f in findings.iter().filter(|f| f.id == "fact-missing") {
        let Some(resource) = &f.resource else { continue };
        let fact = dotted_fact(resource);
        let entry = out.entry(fact.clone()).or_insert(UnknownFact {
            fact,
            message: f.message.clone(),
            reported_by: Vec::new(),
        });
        if !entry.reported_by.contains(&f.id) {
            entry.reported_by.push(f.id.clone());
            entry.reported_by.sort();
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    /// build.rs writes the built-in files' digest as this module frames it.
    #[test]
    fn the_builtin_digest_written_at_build_time_is_that_of_the_files() {
        assert_eq!(super::files_digest(crate::policy::BUILTIN_FILES.iter().copied()), crate::policy::BUILTIN_SHA256);
    }

    use super::*;

    #[test]
    fn rule_resources_take_the_dotted_spelling() {
        assert_eq!(dotted_fact("sites[source].backup.last_success_at"), "source.backup.last_success_at");
        assert_eq!(dotted_fact("sites[a.b].manager.version"), "a.b.manager.version");
        assert_eq!(dotted_fact("source.backup"), "source.backup");
    }

    #[test]
    fn pointers_name_list_items_by_their_names() {
        let doc = serde_json::json!({"sites": [{"name": "source", "connections": [{"kind": "vcenter"}, {"kind": "nsx"}],
            "service_meshes": [{"name": "mesh-1", "appliances": [{"name": "IX-1"}]}]}]});
        assert_eq!(dotted_name(&doc, "/sites/0/connections/1"), "source.connections.nsx");
        assert_eq!(dotted_name(&doc, "/sites/0/service_meshes/0/appliances/0"), "source.service_meshes.mesh-1.appliances.IX-1");
        assert_eq!(dotted_name(&doc, "/sites/0/backup"), "source.backup");
    }

    #[test]
    fn a_threshold_written_as_a_float_is_not_a_change() {
        assert!(same_number(&serde_json::json!(96), &serde_json::json!(96.0)));
        assert!(!same_number(&serde_json::json!(96), &serde_json::json!(24)));
    }
}
