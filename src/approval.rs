//! Approved decisions: a decision record made earlier (for a change board) that
//! `upgrade --decision FILE` accepts only while it still describes the estate.
//!
//! It is refused when it did not allow, when it is older than the allowed age, when
//! it was made for another target or phase, when the policy set differs, or when the
//! facts collected now differ from the ones it was made on (per-site digests of
//! everything the rules look at). When the snapshot the decision was judged on is at
//! hand (its digests prove it), the refusal names each changed fact: its RFC 6901
//! pointer into the snapshot collected now, the approved value and the value now.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::findings::{Decision, Verdict};
use crate::snapshot::Snapshot;

/// The facts behind a check of an approved decision: the snapshot collected now, and
/// the one the decision was judged on, when it is at hand.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub current: &'a Snapshot,
    pub approved: Option<&'a Snapshot>,
}

/// One fact that differs between the approved snapshot and the one collected now.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedFact {
    /// RFC 6901 pointer into the snapshot collected now (or the approved one, for a
    /// fact that is gone now).
    pub pointer: String,
    /// `null` when the fact was absent.
    pub approved: Value,
    /// `null` when the fact is absent now.
    pub now: Value,
}

impl std::fmt::Display for ChangedFact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} was {}, now {}", self.pointer, self.approved, self.now)
    }
}

/// The facts of site `name` that differ, leaf by leaf (attestation times aside, as in
/// the digests), with pointers under `/sites/INDEX` of the snapshot collected now.
pub fn changed_facts(approved: &Snapshot, current: &Snapshot, name: &str) -> Vec<ChangedFact> {
    let site_of = |s: &Snapshot| s.sites.iter().position(|x| x.name == name).map(|i| (i, crate::check::site_facts(&s.sites[i])));
    let mut out = Vec::new();
    match (site_of(approved), site_of(current)) {
        (Some((_, old)), Some((i, new))) => diff(&format!("/sites/{i}"), &old, &new, &mut out),
        (Some((i, old)), None) => diff(&format!("/sites/{i}"), &old, &Value::Null, &mut out),
        (None, Some((i, new))) => diff(&format!("/sites/{i}"), &Value::Null, &new, &mut out),
        (None, None) => {}
    }
    out
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn diff(pointer: &str, old: &Value, new: &Value, out: &mut Vec<ChangedFact>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                diff(&format!("{pointer}/{}", escape(k)), x, y, out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                diff(&format!("{pointer}/{i}"), a.get(i).unwrap_or(&Value::Null), b.get(i).unwrap_or(&Value::Null), out);
            }
        }
        (x, y) if x != y => out.push(ChangedFact {
            pointer: pointer.to_string(),
            approved: x.clone(),
            now: y.clone(),
        }),
        _ => {}
    }
}

/// Name the changed facts of `site` when the approved snapshot is at hand and its
/// digest for that site is the approved one; else say how to get them named.
fn changed_text(facts: Facts<'_>, approved: &Decision, site: &str) -> String {
    let proven = facts.approved.filter(|s| {
        crate::check::facts_digests(s).get(site).is_some_and(|d| approved.facts_sha256.get(site) == Some(d))
    });
    match proven {
        Some(old) => {
            let changes = changed_facts(old, facts.current, site);
            let shown: Vec<String> = changes.iter().take(MAX_NAMED).map(ToString::to_string).collect();
            let more = changes.len().saturating_sub(MAX_NAMED);
            format!(
                "{}{}",
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )
        }
        None => "give the snapshot it was judged on (check --save-snapshot) with --decision-snapshot FILE to name the changed facts".into(),
    }
}

/// At most this many changed facts are named per site (the rest are counted).
const MAX_NAMED: usize = 20;

/// Why an approved decision cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("cannot read decision record {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("decision record {path} is refused: {reasons}")]
    Refused { path: String, reasons: String },
}

/// Read a decision record (`check --format json` output).
pub fn load(path: &Path) -> Result<Decision, ApprovalError> {
    let text = std::fs::read(path).map_err(|e| ApprovalError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_slice(&text).map_err(|e| ApprovalError::Unreadable {
        path: path.display().to_string(),
        message: format!("line {} column {}: {e}", e.line(), e.column()),
    })
}

/// Check an approved decision against the decision made now on freshly collected facts.
/// Every reason to refuse is listed.
pub fn verify(
    approved: &Decision,
    current: &Decision,
    facts: Facts<'_>,
    now: DateTime<Utc>,
    max_age: Duration,
    path: &Path,
) -> Result<(), ApprovalError> {
    let mut reasons = Vec::new();
    if approved.decision != Verdict::Allow {
        reasons.push("it denied the upgrade".to_string());
    }
    match crate::plan::parse_time(&approved.plan.evaluated_at) {
        Ok(at) if now - at > max_age => reasons.push(format!(
            "it was made at {}, more than {} minutes ago",
            approved.plan.evaluated_at,
            max_age.num_minutes()
        )),
        Ok(at) if at > now + Duration::minutes(5) => reasons.push(format!("it was made in the future ({})", approved.plan.evaluated_at)),
        Ok(_) => {}
        Err(e) => reasons.push(format!("its evaluated_at is not a time: {e}")),
    }
    if approved.plan.target_version != current.plan.target_version {
        reasons.push(format!(
            "it is for target {}, not {}",
            approved.plan.target_version, current.plan.target_version
        ));
    }
    if approved.plan.phase != current.plan.phase {
        reasons.push(format!("it is for phase {}, not {}", approved.plan.phase, current.plan.phase));
    }
    if approved.policy_sha256 != current.policy_sha256 {
        reasons.push("it was made with another policy set or config (policy_sha256 differs)".to_string());
    }
    if approved.facts_sha256.is_empty() {
        reasons.push("it records no facts_sha256 to compare the estate with".to_string());
    }
    for (site, digest) in &current.facts_sha256 {
        match approved.facts_sha256.get(site) {
            None => reasons.push(format!("it has no facts of site {site}")),
            Some(d) if d != digest => reasons.push(format!(
                "the facts of site {site} collected now differ from the approved ones ({})",
                changed_text(facts, approved, site)
            )),
            Some(_) => {}
        }
    }
    for site in approved.facts_sha256.keys() {
        if !current.facts_sha256.contains_key(site) {
            reasons.push(format!("site {site} of the approved decision was not collected now"));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(ApprovalError::Refused {
            path: path.display().to_string(),
            reasons: reasons.join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{FailOn, Phase, Plan};

    fn decision(target: &str, phase: Phase, at: &str, facts: &[(&str, &str)]) -> Decision {
        let plan = Plan {
            target_version: target.parse().unwrap(),
            phase,
            evaluated_at: crate::plan::parse_time(at).unwrap(),
            fail_on: FailOn::Deny,
        };
        let mut d = Decision::new(vec![], &plan, "s".into(), "p".into());
        d.facts_sha256 = facts.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        d
    }

    fn snapshot(disk: f64, pairs: &[&str]) -> Snapshot {
        let pairs: Vec<Value> = pairs.iter().map(|p| serde_json::json!({"remote_name": p, "status": "healthy"})).collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "collected_at": "2026-11-29T09:00:00Z",
            "collector": {"name": "t", "version": "0"},
            "sites": [{"name": "source", "role": "connector", "manager": {"disk_common_used_percent": disk}, "site_pairs": pairs}],
            "errors": [],
        }))
        .expect("a snapshot")
    }

    fn empty() -> Snapshot {
        snapshot(0.0, &[])
    }

    fn no_facts(current: &Snapshot) -> Facts<'_> {
        Facts { current, approved: None }
    }

    #[test]
    fn a_refusal_names_each_changed_fact_with_its_pointer_and_values() {
        let (old, new) = (snapshot(40.0, &["cloud-east", "a/b~c"]), snapshot(55.0, &["cloud-east"]));
        let digest = |s: &Snapshot| crate::check::facts_digests(s)["source"].clone();
        let a = decision("4.4.0", Phase::Managers, "2026-11-29T09:00:00Z", &[("source", &digest(&old))]);
        let c = decision("4.4.0", Phase::Managers, "2026-11-29T10:00:00Z", &[("source", &digest(&new))]);
        let facts = Facts { current: &new, approved: Some(&old) };
        let msg = verify(&a, &c, facts, now(), Duration::hours(24), Path::new("d.json")).unwrap_err().to_string();
        assert!(msg.contains("the facts of site source collected now differ from the approved ones (/sites/0/manager/disk_common_used_percent was 40.0, now 55.0, "), "{msg}");
        // A site pair that is gone is named whole.
        assert!(msg.contains("/sites/0/site_pairs/1 was {") && msg.contains("\"remote_name\":\"a/b~c\"") && msg.ends_with("}, now null)"), "{msg}");
        // A snapshot that is not the approved one (another digest) is not used to name facts.
        let other = snapshot(41.0, &[]);
        let facts = Facts { current: &new, approved: Some(&other) };
        let msg = verify(&a, &c, facts, now(), Duration::hours(24), Path::new("d.json")).unwrap_err().to_string();
        assert!(msg.contains("with --decision-snapshot FILE to name the changed facts"), "{msg}");
        assert!(!msg.contains("was 41"), "{msg}");
        // Keys with `/` and `~` are escaped (RFC 6901).
        let mut out = Vec::new();
        diff("", &serde_json::json!({"a/b": 1, "c~d": [1]}), &serde_json::json!({"a/b": 2, "c~d": []}), &mut out);
        let pointers: Vec<&str> = out.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a~1b", "/c~0d/0"]);
    }

    fn now() -> DateTime<Utc> {
        crate::plan::parse_time("2026-11-29T10:00:00Z").unwrap()
    }

    #[test]
    fn a_fresh_matching_decision_is_accepted() {
        let a = decision("4.4.0", Phase::Managers, "2026-11-29T09:00:00Z", &[("source", "x")]);
        let c = decision("4.4.0", Phase::Managers, "2026-11-29T10:00:00Z", &[("source", "x")]);
        verify(&a, &c, no_facts(&empty()), now(), Duration::hours(24), Path::new("d.json")).unwrap();
    }

    #[test]
    fn stale_mismatched_or_changed_decisions_are_refused_with_every_reason() {
        let a = decision("4.4.0", Phase::Managers, "2026-11-27T09:00:00Z", &[("source", "x")]);
        let c = decision("4.4.2", Phase::ServiceMesh, "2026-11-29T10:00:00Z", &[("source", "y")]);
        let msg = verify(&a, &c, no_facts(&empty()), now(), Duration::hours(24), Path::new("d.json")).unwrap_err().to_string();
        assert!(msg.contains("more than 1440 minutes ago"), "{msg}");
        assert!(msg.contains("it is for target 4.4.0, not 4.4.2"), "{msg}");
        assert!(msg.contains("it is for phase managers, not service-mesh"), "{msg}");
        assert!(msg.contains("the facts of site source collected now differ"), "{msg}");
    }
}
