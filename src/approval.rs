//! Approved decisions: a decision record made earlier (for a change board) that
//! `upgrade --decision FILE` accepts only while it still describes the estate.
//!
//! It is refused when it did not allow, when it is older than the allowed age, when
//! it was made for another target or phase, when the policy set differs, or when the
//! facts collected now differ from the ones it was made on (per-site digests of
//! everything the rules look at).

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::findings::{Decision, Verdict};

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
pub fn verify(approved: &Decision, current: &Decision, now: DateTime<Utc>, max_age: Duration, path: &Path) -> Result<(), ApprovalError> {
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
            Some(d) if d != digest => reasons.push(format!("the facts of site {site} collected now differ from the approved ones")),
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

    fn now() -> DateTime<Utc> {
        crate::plan::parse_time("2026-11-29T10:00:00Z").unwrap()
    }

    #[test]
    fn a_fresh_matching_decision_is_accepted() {
        let a = decision("4.4.0", Phase::Managers, "2026-11-29T09:00:00Z", &[("source", "x")]);
        let c = decision("4.4.0", Phase::Managers, "2026-11-29T10:00:00Z", &[("source", "x")]);
        verify(&a, &c, now(), Duration::hours(24), Path::new("d.json")).unwrap();
    }

    #[test]
    fn stale_mismatched_or_changed_decisions_are_refused_with_every_reason() {
        let a = decision("4.4.0", Phase::Managers, "2026-11-27T09:00:00Z", &[("source", "x")]);
        let c = decision("4.4.2", Phase::ServiceMesh, "2026-11-29T10:00:00Z", &[("source", "y")]);
        let msg = verify(&a, &c, now(), Duration::hours(24), Path::new("d.json")).unwrap_err().to_string();
        assert!(msg.contains("more than 1440 minutes ago"), "{msg}");
        assert!(msg.contains("it is for target 4.4.0, not 4.4.2"), "{msg}");
        assert!(msg.contains("it is for phase managers, not service-mesh"), "{msg}");
        assert!(msg.contains("the facts of site source collected now differ"), "{msg}");
    }
}
