//! `--format markdown`: a compliance report for the change record.
//!
//! It states the plan, the decision, the tool and the digests of the snapshot and
//! policy set (so that the record can be checked against the inputs later), the
//! outcome of every rule including passes and disabled rules, the blocking and
//! warning findings grouped by severity with KB links, the informational advisories,
//! and every configured waiver with its status (applied, expired or unused).

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::DateTime;

use super::ReportContext;
use crate::findings::{AppliedWaiver, Decision, Finding, Severity, Verdict};

/// Escape Markdown punctuation that would change the meaning of plain text.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '<' | '>' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The outcome of one rule: `disabled`, `pass`, the severity of its most severe
/// unwaived finding, or `waived` when all its findings are waived.
fn outcome(disabled: bool, findings: &[&Finding]) -> &'static str {
    if let Some(f) = findings.iter().filter(|f| !f.waived).min_by_key(|f| f.severity) {
        return f.severity.as_str();
    }
    match (disabled, findings.is_empty()) {
        (true, true) => "disabled",
        (_, true) => "pass",
        (_, false) => "waived",
    }
}

fn finding_list(out: &mut dyn Write, findings: &[&Finding]) -> io::Result<()> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_rule.entry(f.id.as_str()).or_default().push(f);
    }
    for (id, list) in by_rule {
        let first = list[0];
        writeln!(out, "#### `{id}`: {}\n", md(&first.title))?;
        for f in &list {
            let place = match (&f.site, &f.resource) {
                (Some(s), Some(r)) => format!("{} / {}", md(s), md(r)),
                (Some(s), None) => md(s),
                (None, Some(r)) => format!("estate / {}", md(r)),
                (None, None) => "estate".into(),
            };
            writeln!(out, "- **{place}**: {}", md(&f.message))?;
            write!(out, "{}", super::evidence::evidence_lines(f))?;
        }
        writeln!(out, "\nRemediation: {}", md(&first.remediation))?;
        if let (Some(kb), Some(url)) = (&first.kb, &first.kb_url) {
            writeln!(out, "\nKB: [{kb}]({url})")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn scope(w: &AppliedWaiver) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &w.site {
        parts.push(format!("site {}", md(s)));
    }
    if let Some(r) = &w.resource {
        parts.push(format!("resource {}", md(r)));
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join(", ")
    }
}

fn expired(w: &AppliedWaiver, evaluated_at: &str) -> bool {
    match (DateTime::parse_from_rfc3339(&w.expires), DateTime::parse_from_rfc3339(evaluated_at)) {
        (Ok(e), Ok(now)) => e <= now,
        _ => false,
    }
}

/// Write the Markdown compliance report of `d`.
pub fn render(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    let verdict = match d.decision {
        Verdict::Allow => "ALLOW",
        Verdict::Deny => "DENY",
    };
    writeln!(out, "# HCX upgrade pre-flight report\n")?;
    writeln!(out, "| | |\n| --- | --- |")?;
    writeln!(
        out,
        "| Decision | **{verdict}** ({} deny, {} warn, {} info, {} waived) |",
        d.summary.deny, d.summary.warn, d.summary.info, d.summary.waived
    )?;
    writeln!(out, "| Target version | {} |", md(&d.plan.target_version))?;
    writeln!(out, "| Phase | {} |", md(&d.plan.phase))?;
    writeln!(out, "| Evaluated at | {} |", md(&d.plan.evaluated_at))?;
    writeln!(out, "| Fail on | {} |", md(&d.plan.fail_on))?;
    writeln!(out, "| Tool | {} {} |", md(&d.tool.name), md(&d.tool.version))?;
    if let Some(p) = &ctx.snapshot_path {
        writeln!(out, "| Snapshot | `{}` |", p.replace('`', "'"))?;
    }
    writeln!(out, "| Snapshot SHA-256 | `{}` |", d.snapshot_sha256)?;
    writeln!(out, "| Policy SHA-256 | `{}` |", d.policy_sha256)?;
    if !ctx.sites.is_empty() {
        writeln!(out, "| Sites | {} |", ctx.sites.iter().map(|s| md(s)).collect::<Vec<_>>().join(", "))?;
    }
    writeln!(out)?;

    writeln!(out, "## Rules\n")?;
    writeln!(out, "| Rule | Severity | Outcome | Findings |\n| --- | --- | --- | ---: |")?;
    for id in ctx.rule_ids(d) {
        let findings: Vec<&Finding> = d.findings.iter().filter(|f| f.id == id).collect();
        let rule = ctx.rule(&id);
        let severity = rule.map(|r| r.severity).or(findings.first().map(|f| f.severity)).unwrap_or(Severity::Deny);
        writeln!(
            out,
            "| `{id}` | {} | {} | {} |",
            severity.as_str(),
            outcome(rule.is_some_and(|r| r.disabled), &findings),
            findings.len()
        )?;
    }
    writeln!(out)?;

    writeln!(out, "## Findings\n")?;
    let of = |sev: Severity| -> Vec<&Finding> { d.findings.iter().filter(|f| !f.waived && f.severity == sev).collect() };
    let (deny, warn, info) = (of(Severity::Deny), of(Severity::Warn), of(Severity::Info));
    if deny.is_empty() && warn.is_empty() {
        writeln!(out, "No deny or warn findings.\n")?;
    }
    for (heading, list) in [("Deny", &deny), ("Warn", &warn)] {
        if !list.is_empty() {
            writeln!(out, "### {heading} ({})\n", list.len())?;
            finding_list(out, list)?;
        }
    }

    writeln!(out, "## Advisories\n")?;
    if info.is_empty() {
        writeln!(out, "No advisories.\n")?;
    } else {
        finding_list(out, &info)?;
    }

    writeln!(out, "## Waivers\n")?;
    if ctx.waivers.is_empty() {
        writeln!(out, "No waivers are configured.\n")?;
    } else {
        writeln!(out, "| Rule | Scope | Reason | Approved by | Expires | Status |\n| --- | --- | --- | --- | --- | --- |")?;
        for w in &ctx.waivers {
            let applied = d.findings.iter().filter(|f| f.waiver.as_ref() == Some(w)).count();
            let status = if expired(w, &d.plan.evaluated_at) {
                "expired".to_string()
            } else if applied == 0 {
                "unused".to_string()
            } else {
                format!("applied to {applied} finding(s)")
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {status} |",
                w.id,
                scope(w),
                md(&w.reason),
                md(&w.approved_by),
                md(&w.expires)
            )?;
        }
        writeln!(out)?;
    }
    let waived: Vec<&Finding> = d.findings.iter().filter(|f| f.waived).collect();
    if !waived.is_empty() {
        writeln!(out, "### Waived findings ({})\n", waived.len())?;
        for f in waived {
            let w = f.waiver.as_ref();
            writeln!(
                out,
                "- `{}` ({}) at **{}**: {} (waived: {}; approved by {}, expires {})",
                f.id,
                f.severity.as_str(),
                md(f.site.as_deref().unwrap_or("estate")),
                md(&f.message),
                md(w.map(|w| w.reason.as_str()).unwrap_or("-")),
                md(w.map(|w| w.approved_by.as_str()).unwrap_or("-")),
                md(w.map(|w| w.expires.as_str()).unwrap_or("-"))
            )?;
        }
        writeln!(out)?;
    }

    if !ctx.policy_sources.is_empty() {
        writeln!(out, "## Policy sources\n")?;
        for p in &ctx.policy_sources {
            writeln!(out, "- `{}`", p.replace('`', "'"))?;
        }
    }
    Ok(())
}
