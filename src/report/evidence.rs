//! Evidence as the text reports show it: one line per fact a finding rests on
//! (`/sites/0/backup/last_success_at = "2026-11-28T02:00:00Z"`, attested facts with who,
//! when and on what). JSON and SARIF carry the items as data; JUnit, Markdown and HTML
//! use these lines.

use crate::findings::{Evidence, Finding};

/// `POINTER = VALUE`, or `param NAME = VALUE`, with the attestation when there is one.
pub fn evidence_line(ev: &Evidence) -> String {
    let subject = match (&ev.pointer, &ev.param) {
        (Some(pointer), _) => pointer.clone(),
        (None, Some(param)) => format!("param {param}"),
        (None, None) => "(no pointer)".into(),
    };
    let mut line = format!("{subject} = {}", ev.value);
    if let Some(a) = &ev.attestation {
        let field = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
        line.push_str(&format!(
            " (attested by {} at {}: {})",
            field("attested_by"),
            field("attested_at"),
            field("evidence")
        ));
    }
    line
}

/// Every evidence line of a finding (none when the rule gave no evidence).
pub fn lines(f: &Finding) -> Vec<String> {
    f.evidence.iter().flatten().map(evidence_line).collect()
}

/// Markdown: the evidence of a finding as a nested list under its bullet, each fact in
/// code spans; empty when the rule gave none. (The approval record calls this.)
pub fn evidence_lines(f: &Finding) -> String {
    lines(f)
        .iter()
        .map(|l| format!("  - evidence: `{}`\n", l.replace('`', "'")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(pointer: Option<&str>, param: Option<&str>, value: serde_json::Value, attestation: Option<serde_json::Value>) -> Evidence {
        Evidence {
            pointer: pointer.map(str::to_string),
            param: param.map(str::to_string),
            value,
            attestation,
        }
    }

    #[test]
    fn lines_name_the_pointer_or_param_and_the_attestation() {
        let att = json!({"attested_by": "ops", "attested_at": "2026-11-29T08:00:00Z", "evidence": "backup job 4711"});
        assert_eq!(
            evidence_line(&item(Some("/sites/0/backup/last_success_at"), None, json!("2026-11-29T02:00:00Z"), Some(att))),
            r#"/sites/0/backup/last_success_at = "2026-11-29T02:00:00Z" (attested by ops at 2026-11-29T08:00:00Z: backup job 4711)"#
        );
        assert_eq!(
            evidence_line(&item(None, Some("thresholds.backup_max_age_hours"), json!(24), None)),
            "param thresholds.backup_max_age_hours = 24"
        );
    }

    #[test]
    fn markdown_lines_nest_under_the_finding_and_keep_code_spans_closed() {
        let mut f: Finding = serde_json::from_value(json!({
            "id": "x", "severity": "warn", "site": null, "kb": null, "title": "t", "message": "m",
            "remediation": "r", "resource": null, "waived": false,
        }))
        .unwrap();
        assert_eq!(evidence_lines(&f), "");
        f.evidence = Some(vec![item(Some("/collected_at"), None, json!("a`b"), None)]);
        assert_eq!(evidence_lines(&f), "  - evidence: `/collected_at = \"a'b\"`\n");
    }
}
