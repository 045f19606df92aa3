//! Findings without evidence: a warning of `policy check` (issue #11). Every finding
//! should name the facts its rule read (contract section 4); a `violation` rule of a
//! rules package (`data.hcx.rules.*`) that neither wraps its finding in
//! `lib.with_evidence` nor writes an `"evidence"` field emits findings without it.
//! A warning, not a problem: such a rule still judges correctly.

use std::collections::BTreeSet;

use crate::policy::ast::{self, Module};

use super::{resolve, Problem};

/// The helper that attaches evidence to a finding (policies/hcx/lib/estate.rego).
const WITH_EVIDENCE: &str = "data.hcx.lib.with_evidence";

/// Does the rule attach evidence: a call of `lib.with_evidence`, or an object literal
/// with an `"evidence"` key?
fn gives_evidence(m: &Module, rule: &serde_json::Value) -> bool {
    if ast::calls(rule).iter().any(|c| resolve(m, &c.path) == WITH_EVIDENCE) {
        return true;
    }
    let mut found = false;
    ast::walk(rule, &mut |key, v| {
        if key == "Object" {
            found |= v["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f.get(1).and_then(|k| k.get("String")).and_then(|s| s["value"].as_str()) == Some("evidence"));
        }
    });
    found
}

/// One warning per `violation` rule definition (outside test files) that gives no evidence.
pub fn findings_without_evidence(parsed: &[Module], test_files: &BTreeSet<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    for m in parsed.iter().filter(|m| !test_files.contains(m.origin.as_str()) && m.package.starts_with("data.hcx.rules.")) {
        for r in m.rules.iter().filter(|r| r.name == "violation" && !gives_evidence(m, &r.ast)) {
            out.push(Problem {
                file: m.origin.clone(),
                line: Some(r.line),
                message: "this rule emits findings without evidence: wrap the finding as lib.with_evidence(lib.finding(...), [lib.evidence_at([\"sites\", i, ...]), ...]) so that each finding names the facts it read (contract section 4)".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyFile;

    fn warnings(text: &str) -> Vec<Option<u64>> {
        let file = PolicyFile {
            bundle_path: "org/x.rego".into(),
            origin: "org/x.rego".into(),
            text: text.into(),
        };
        let modules = ast::parse(&[file]).expect("parses");
        findings_without_evidence(&modules, &BTreeSet::new()).into_iter().map(|p| p.line).collect()
    }

    #[test]
    fn a_rule_without_evidence_is_named_by_its_line() {
        let text = "package hcx.rules.org\n\nimport data.hcx.lib\n\nviolation contains lib.finding(\"org-x\", null, null, \"m\") if {\n\tinput.plan.phase == \"managers\"\n}\n";
        assert_eq!(warnings(text), vec![Some(5)]);
    }

    #[test]
    fn with_evidence_or_an_evidence_field_is_enough() {
        let helper = "package hcx.rules.org\n\nimport data.hcx.lib\n\nviolation contains lib.with_evidence(lib.finding(\"org-x\", null, null, \"m\"), [lib.evidence_at([\"collected_at\"])]) if {\n\ttrue\n}\n";
        assert_eq!(warnings(helper), Vec::<Option<u64>>::new());
        let literal = "package hcx.rules.org\n\nviolation contains {\"id\": \"org-x\", \"message\": \"m\", \"evidence\": []} if {\n\ttrue\n}\n";
        assert_eq!(warnings(literal), Vec::<Option<u64>>::new());
    }

    #[test]
    fn only_rules_packages_and_not_tests() {
        let other = "package acme.helpers\n\nviolation contains {\"id\": \"x\"} if {\n\ttrue\n}\n";
        assert_eq!(warnings(other), Vec::<Option<u64>>::new());
    }

    #[test]
    fn every_built_in_rule_gives_evidence() {
        let (modules, tests) = crate::policy::PolicySet::read_rego(&[]).expect("built-in files");
        let parsed = ast::parse(&modules).expect("built-in modules parse");
        let test_files: BTreeSet<&str> = tests.iter().map(|t| t.origin.as_str()).collect();
        assert_eq!(findings_without_evidence(&parsed, &test_files), Vec::<Problem>::new());
        assert!(parsed.iter().filter(|m| m.package.starts_with("data.hcx.rules.")).count() >= 7);
    }
}
