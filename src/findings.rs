//! Findings and the decision: the result model of an evaluation.
//!
//! Findings are data (a policy that denies is a normal result); the decision and
//! the exit code are derived from them here, in one place, never in a printer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{FailOn, Phase, Plan};

pub mod rests_on;

mod kb;

pub use kb::KB_URL_PREFIX;

/// The link to KB article `kb`, as findings carry it in `kb_url`.
pub fn kb_url(kb: &str) -> String {
    format!("{KB_URL_PREFIX}{kb}")
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the upgrade.
    Deny,
    /// Advisory; blocks under `--fail-on warn`.
    Warn,
    /// Information for the change record.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// A waiver of the organisation's config (validated by the `config` module), and the
/// one that applied to a finding: one type for both.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Waiver {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
    pub approved_by: String,
    /// RFC 3339, UTC.
    pub expires: String,
}

/// One finding (contract section 4), as the policies produce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub site: Option<String>,
    pub kb: Option<String>,
    pub title: String,
    pub message: String,
    pub remediation: String,
    pub resource: Option<String>,
    pub waived: bool,
    /// Link to the KB article when `kb` is set.
    #[serde(default)]
    pub kb_url: Option<String>,
    /// The waiver, when `waived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
    /// The facts the rule read to reach the finding (contract section 4), when the
    /// policy says: RFC 6901 pointers into the snapshot with their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<Evidence>>,
    /// The catalog's severity, when the organisation config overrode it (`severity`
    /// is then the override); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_severity: Option<Severity>,
}

/// One fact a finding rests on: a snapshot fact (`pointer`), or an input that is not one
/// (`param`: a plan field, a threshold, a path table row, a waiver).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// RFC 6901 JSON pointer into the snapshot as judged (`/sites/0/connections/1/status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The name of an input that is not a snapshot fact: `plan.target_version`,
    /// `thresholds.backup_max_age_hours`, `upgrade_path`, `config.waivers[0]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The value found there.
    pub value: serde_json::Value,
    /// For an attested fact: who stated it, when, and on which evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<serde_json::Value>,
}

impl Finding {
    /// The order of every report: severity, then rule id, site, resource, message.
    fn sort_key(&self) -> (Severity, &str, &Option<String>, &Option<String>, &str) {
        (self.severity, &self.id, &self.site, &self.resource, &self.message)
    }

    /// Does this finding count against the gate?
    pub fn blocks(&self, fail_on: FailOn) -> bool {
        !self.waived
            && match fail_on {
                FailOn::Deny => self.severity == Severity::Deny,
                FailOn::Warn => matches!(self.severity, Severity::Deny | Severity::Warn),
            }
    }
}

/// Sort findings into report order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
}

/// Counts of unwaived findings per severity, and of waived ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub deny: usize,
    pub warn: usize,
    pub info: usize,
    pub waived: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut s = Summary::default();
        for f in findings {
            match (f.waived, f.severity) {
                (true, _) => s.waived += 1,
                (false, Severity::Deny) => s.deny += 1,
                (false, Severity::Warn) => s.warn += 1,
                (false, Severity::Info) => s.info += 1,
            }
        }
        s
    }
}

/// The plan as recorded in a decision (phase and fail-on as their enums: a record read back
/// with another word is refused, not compared as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub target_version: String,
    pub phase: Phase,
    pub evaluated_at: String,
    pub fail_on: FailOn,
}

impl From<&Plan> for PlanRecord {
    fn from(p: &Plan) -> Self {
        PlanRecord {
            target_version: p.target_version.to_string(),
            phase: p.phase,
            evaluated_at: crate::plan::format_time(&p.evaluated_at),
            fail_on: p.fail_on,
        }
    }
}

/// The tool that made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolRecord {
    pub name: String,
    pub version: String,
}

impl ToolRecord {
    pub fn this() -> Self {
        ToolRecord {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A decision record: `check --format json` (contract section 4, extended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: Verdict,
    pub plan: PlanRecord,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub tool: ToolRecord,
    /// SHA-256 of the snapshot document judged (its canonical JSON form).
    pub snapshot_sha256: String,
    /// SHA-256 over every policy source, data document and the organisation config.
    pub policy_sha256: String,
    /// SHA-256 of each site's facts (the snapshot's site object), by site name, so that
    /// an approved decision can be checked against facts collected later.
    #[serde(default)]
    pub facts_sha256: BTreeMap<String, String>,
    /// What the decision rests on (issue #11): the inputs, their digests and ages,
    /// the config as applied, the attestations and the unknown facts. Absent in
    /// records written before it existed (they stay readable for `--decision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rests_on: Option<rests_on::RestsOn>,
}

impl Decision {
    /// Build a decision from findings: sorts them and derives verdict and summary.
    pub fn new(mut findings: Vec<Finding>, plan: &Plan, snapshot_sha256: String, policy_sha256: String) -> Self {
        sort_findings(&mut findings);
        let verdict = if findings.iter().any(|f| f.blocks(plan.fail_on)) {
            Verdict::Deny
        } else {
            Verdict::Allow
        };
        Decision {
            decision: verdict,
            plan: PlanRecord::from(plan),
            summary: Summary::of(&findings),
            findings,
            tool: ToolRecord::this(),
            snapshot_sha256,
            policy_sha256,
            facts_sha256: BTreeMap::new(),
            rests_on: None,
        }
    }

    /// Whether the gate allows (the command layer maps it to an exit code).
    pub fn verdict(&self) -> Verdict {
        self.decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, severity: Severity, waived: bool) -> Finding {
        Finding {
            id: id.into(),
            severity,
            site: None,
            kb: None,
            title: String::new(),
            message: String::new(),
            remediation: String::new(),
            resource: None,
            waived,
            kb_url: None,
            waiver: None,
            evidence: None,
            default_severity: None,
        }
    }

    fn plan(fail_on: FailOn) -> Plan {
        Plan {
            target_version: "4.4.0".parse().unwrap(),
            phase: crate::plan::Phase::Managers,
            evaluated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            fail_on,
        }
    }

    #[test]
    fn waived_denials_do_not_block() {
        let d = Decision::new(vec![f("a", Severity::Deny, true), f("b", Severity::Warn, false)], &plan(FailOn::Deny), String::new(), String::new());
        assert_eq!(d.decision, Verdict::Allow);
        assert_eq!(d.summary, Summary { deny: 0, warn: 1, info: 0, waived: 1 });
        let d = Decision::new(vec![f("b", Severity::Warn, false)], &plan(FailOn::Warn), String::new(), String::new());
        assert_eq!(d.decision, Verdict::Deny);
        assert_eq!(d.verdict(), Verdict::Deny);
    }

    #[test]
    fn findings_are_sorted_by_severity_then_id() {
        let d = Decision::new(
            vec![f("z", Severity::Info, false), f("b", Severity::Deny, false), f("a", Severity::Warn, false), f("a", Severity::Deny, false)],
            &plan(FailOn::Deny),
            String::new(),
            String::new(),
        );
        let ids: Vec<_> = d.findings.iter().map(|f| (f.severity, f.id.as_str())).collect();
        assert_eq!(ids, vec![(Severity::Deny, "a"), (Severity::Deny, "b"), (Severity::Warn, "a"), (Severity::Info, "z")]);
    }
}
