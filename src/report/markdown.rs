//! `--format markdown`: the one-page approval record for a change board.
//!
//! It reads top-down in the order a board asks its questions: the decision and its
//! counts, the plan, the snapshot with its age, the policy set, config and tool with
//! their digests, and each site's current -> target version; then what blocks; then what
//! was assumed (attestations, waivers, and the config's changed thresholds, severity
//! overrides and disabled rules); the facts that were unknown; the advisories; and last
//! the outcome of every rule, passes and disabled rules included. Everything it states
//! comes from the decision record (`rests_on`) and the [`ReportContext`]; it decides
//! nothing. Text from the inputs is escaped, so that no `|` breaks a table and no `*`
//! or `<` changes the meaning of a line (GitLab, GitHub and wiki renderers agree).

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::DateTime;

use super::ReportContext;
use crate::text::plural;
use crate::findings::{Waiver, Decision, Finding, Severity, Verdict};
use crate::findings::rests_on::{AttestationStatus, RestsOn};

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

/// Text as a code span that is safe in a table cell: no backtick ends it early and a
/// `|` is escaped (GFM splits cells before it parses code spans).
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace('|', "\\|").replace(['\n', '\r'], " "))
}

/// An optional value in a cell, `-` when absent.
fn cell(s: Option<&str>) -> String {
    s.map(md).unwrap_or_else(|| "-".into())
}

/// Write the approval record of `d`.
pub fn render(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    let record = d.rests_on.as_ref();
    overview(d, ctx, record, out)?;
    sites(record, out)?;
    blocking(d, out)?;
    assumed(d, ctx, record, out)?;
    unknown_facts(record, out)?;
    advisories(d, out)?;
    rules(d, ctx, out)?;
    sources(ctx, record, out)
}

/// Does a warning block this decision (`--fail-on warn`)?
fn warn_blocks(d: &Decision) -> bool {
    d.plan.fail_on == crate::plan::FailOn::Warn
}

fn blocks(d: &Decision, f: &Finding) -> bool {
    !f.waived && (f.severity == Severity::Deny || (f.severity == Severity::Warn && warn_blocks(d)))
}

/// The decision with its counts, then what it was judged on.
fn overview(d: &Decision, ctx: &ReportContext, record: Option<&RestsOn>, out: &mut dyn Write) -> io::Result<()> {
    let verdict = match d.decision {
        Verdict::Allow => "ALLOW",
        Verdict::Deny => "DENY",
    };
    writeln!(out, "# HCX upgrade approval record\n")?;
    writeln!(
        out,
        "**{verdict}**: {} deny, {} warn, {} info, {} waived (fails on {}).\n",
        d.summary.deny,
        d.summary.warn,
        d.summary.info,
        d.summary.waived,
        md(d.plan.fail_on.as_str())
    )?;
    writeln!(out, "| | |\n| --- | --- |")?;
    writeln!(out, "| Decision | **{verdict}** |")?;
    writeln!(out, "| Target version | {} |", md(&d.plan.target_version))?;
    writeln!(out, "| Phase | {} |", md(d.plan.phase.as_str()))?;
    writeln!(out, "| Evaluated at | {} |", md(&d.plan.evaluated_at))?;
    let path = record.and_then(|r| r.snapshot.path.clone()).or(ctx.snapshot_path.clone());
    writeln!(out, "| Snapshot | {} |", path.as_deref().map(code).unwrap_or_else(|| "collected in this run".into()))?;
    if let Some(r) = record {
        writeln!(out, "| Collected at | {} ({}) |", md(&r.snapshot.collected_at), age(r.snapshot.age_seconds))?;
    }
    writeln!(out, "| Snapshot SHA-256 | `{}` |", d.snapshot_sha256)?;
    writeln!(out, "| Policy SHA-256 | `{}` |", d.policy_sha256)?;
    if let Some(r) = record {
        writeln!(out, "| Built-in policies SHA-256 | `{}` |", r.policies.builtin_sha256)?;
        let config = match &r.config {
            Some(c) => format!("{} (SHA-256 `{}`)", code(&c.path), c.sha256),
            None => "none".into(),
        };
        writeln!(out, "| Config | {config} |")?;
        writeln!(out, "| Tool | {} {}, regorus {} |", md(&r.tool.name), md(&r.tool.version), md(&r.tool.regorus_version))?;
    } else {
        writeln!(out, "| Tool | {} {} |", md(&d.tool.name), md(&d.tool.version))?;
        if !ctx.sites.is_empty() {
            writeln!(out, "| Sites | {} |", ctx.sites.iter().map(|s| md(s)).collect::<Vec<_>>().join(", "))?;
        }
    }
    writeln!(out)
}

/// How long before the evaluation the snapshot was collected, in the largest whole unit.
fn age(seconds: i64) -> String {
    let (n, when) = if seconds < 0 { (-seconds, "after") } else { (seconds, "before") };
    let amount = match n {
        n if n < 120 => plural(n as usize, "second", "seconds"),
        n if n < 2 * 3600 => plural((n / 60) as usize, "minute", "minutes"),
        n if n < 2 * 86400 => plural((n / 3600) as usize, "hour", "hours"),
        n => plural((n / 86400) as usize, "day", "days"),
    };
    format!("{amount} {when} the evaluation")
}

/// Each site with its role and its current -> target version.
fn sites(record: Option<&RestsOn>, out: &mut dyn Write) -> io::Result<()> {
    let Some(r) = record.filter(|r| !r.sites.is_empty()) else {
        return Ok(());
    };
    writeln!(out, "## Sites\n")?;
    writeln!(out, "| Site | Role | Current version | Target version |\n| --- | --- | --- | --- |")?;
    for s in &r.sites {
        let role = match (&s.role, &s.seen_through) {
            (Some(role), _) => serde_json::to_value(role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            (None, Some(via)) => format!("peer seen through {}", md(via)),
            (None, None) => "-".into(),
        };
        writeln!(
            out,
            "| {} | {role} | {} | {} |",
            md(&s.name),
            s.current_version.as_deref().map(md).unwrap_or_else(|| "unknown".into()),
            md(&s.target_version)
        )?;
    }
    writeln!(out)
}

/// The findings that decide a DENY.
fn blocking(d: &Decision, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<&Finding> = d.findings.iter().filter(|f| blocks(d, f)).collect();
    section_by_severity(out, "What blocks", "Nothing blocks.", &list)
}

/// A `##` section of findings, one `###` per severity present, or `empty` when there are none.
fn section_by_severity(out: &mut dyn Write, title: &str, empty: &str, list: &[&Finding]) -> io::Result<()> {
    writeln!(out, "## {title}\n")?;
    if list.is_empty() {
        return writeln!(out, "{empty}\n");
    }
    for sev in [Severity::Deny, Severity::Warn, Severity::Info] {
        let of: Vec<&Finding> = list.iter().copied().filter(|f| f.severity == sev).collect();
        if !of.is_empty() {
            writeln!(out, "### {} ({})\n", heading(sev), of.len())?;
            finding_list(out, &of)?;
        }
    }
    Ok(())
}

fn heading(sev: Severity) -> &'static str {
    match sev {
        Severity::Deny => "Deny",
        Severity::Warn => "Warn",
        Severity::Info => "Info",
    }
}

/// What the decision took on trust: operator statements, waivers and the config.
fn assumed(d: &Decision, ctx: &ReportContext, record: Option<&RestsOn>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## What was assumed\n")?;
    if let Some(r) = record {
        attestations(r, out)?;
    }
    waivers(d, ctx, out)?;
    if let Some(r) = record {
        config(d, r, out)?;
    }
    Ok(())
}

fn attestations(r: &RestsOn, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Attestations\n")?;
    if r.attestations.is_empty() {
        return writeln!(out, "No operator attestations.\n");
    }
    let lapsed = r.attestations.iter().filter(|a| a.status == AttestationStatus::Lapsed).count();
    let ignored = if lapsed > 0 { " A lapsed attestation is ignored: the rules read its fact as unknown." } else { "" };
    writeln!(
        out,
        "{} stated by operators: {} used, {lapsed} lapsed.{ignored}\n",
        plural(r.attestations.len(), "fact", "facts"),
        r.attestations.len() - lapsed
    )?;
    writeln!(out, "| Fact | Value | Attested by | Attested at | Evidence | Status |\n| --- | --- | --- | --- | --- | --- |")?;
    for a in &r.attestations {
        let status = match (&a.status, &a.lapsed_because) {
            (AttestationStatus::Used, _) => "used".to_string(),
            (AttestationStatus::Lapsed, Some(why)) => format!("lapsed: {}", md(why)),
            (AttestationStatus::Lapsed, None) => "lapsed".to_string(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {status} |",
            code(&a.fact),
            cell(a.value.as_deref()),
            cell(a.attested_by.as_deref()),
            cell(a.attested_at.as_deref()),
            cell(a.evidence.as_deref()),
        )?;
    }
    writeln!(out)
}

fn scope(w: &Waiver) -> String {
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

fn expired(w: &Waiver, evaluated_at: &str) -> bool {
    match (DateTime::parse_from_rfc3339(&w.expires), DateTime::parse_from_rfc3339(evaluated_at)) {
        (Ok(e), Ok(now)) => e <= now,
        _ => false,
    }
}

fn waivers(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Waivers\n")?;
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
                format!("applied to {}", plural(applied, "finding", "findings"))
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {status} |",
                code(&w.id),
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
        writeln!(out, "Waived findings:\n")?;
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
    Ok(())
}

/// The config as applied: thresholds changed from their defaults, severity overrides,
/// disabled rules.
fn config(d: &Decision, r: &RestsOn, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### Config\n")?;
    match &r.config {
        Some(c) => writeln!(out, "Config file {} (SHA-256 `{}`).\n", code(&c.path), c.sha256)?,
        None => writeln!(out, "No config file: every threshold and severity is the policy set's default.\n")?,
    }
    let changed: Vec<_> = r.thresholds.iter().filter(|(_, t)| t.changed).collect();
    if changed.is_empty() {
        writeln!(out, "Thresholds: all at their defaults.\n")?;
    } else {
        writeln!(out, "| Threshold changed | Value | Default |\n| --- | ---: | ---: |")?;
        for (name, t) in changed {
            writeln!(out, "| {} | {} | {} |", code(name), t.value, t.default)?;
        }
        writeln!(out)?;
    }
    if r.severity_overrides.is_empty() {
        writeln!(out, "Severity overrides: none.\n")?;
    } else {
        writeln!(out, "| Severity override | Default | Configured | Findings |\n| --- | --- | --- | ---: |")?;
        for o in &r.severity_overrides {
            let n = d.findings.iter().filter(|f| f.id == o.rule).count();
            writeln!(out, "| {} | {} | {} | {n} |", code(&o.rule), o.from.as_str(), o.to.as_str())?;
        }
        writeln!(out)?;
    }
    if r.disabled_rules.is_empty() {
        writeln!(out, "Disabled rules: none.\n")
    } else {
        let ids: Vec<String> = r.disabled_rules.iter().map(|id| code(id)).collect();
        writeln!(out, "Disabled rules: {}.\n", ids.join(", "))
    }
}

/// Facts the collector could not read, a rule found null, or whose attestation lapsed:
/// the rules failed closed on them.
fn unknown_facts(record: Option<&RestsOn>, out: &mut dyn Write) -> io::Result<()> {
    let Some(r) = record else { return Ok(()) };
    writeln!(out, "## Unknown facts\n")?;
    if r.unknown_facts.is_empty() {
        return writeln!(out, "No fact was unknown: none is missing from the snapshot, and no attestation lapsed.\n");
    }
    writeln!(out, "| Fact | Why it is unknown | Reported by |\n| --- | --- | --- |")?;
    for u in &r.unknown_facts {
        let by: Vec<String> = u.reported_by.iter().map(|id| code(id)).collect();
        writeln!(
            out,
            "| {} | {} | {} |",
            code(&u.fact),
            md(&u.message),
            if by.is_empty() { "-".to_string() } else { by.join(", ") }
        )?;
    }
    writeln!(out)
}

/// Unwaived findings that do not block: warnings (under `--fail-on deny`) and information.
fn advisories(d: &Decision, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<&Finding> = d.findings.iter().filter(|f| !f.waived && !blocks(d, f)).collect();
    section_by_severity(out, "Advisories", "No advisories.", &list)
}

/// Findings grouped by rule: one heading per rule, one line per finding (marked when
/// the config overrode its severity), the remediation and the KB link.
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
            let overridden = match f.default_severity {
                Some(from) => format!(" (severity {} by the config; default {})", f.severity.as_str(), from.as_str()),
                None => String::new(),
            };
            writeln!(out, "- **{place}**: {}{overridden}", md(&f.message))?;
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

/// Every rule with its effective severity and outcome, passes included.
fn rules(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Rules\n")?;
    writeln!(out, "| Rule | Severity | Outcome | Findings |\n| --- | --- | --- | ---: |")?;
    let overrides: BTreeMap<&str, Severity> = d
        .rests_on
        .iter()
        .flat_map(|r| r.severity_overrides.iter().map(|o| (o.rule.as_str(), o.from)))
        .collect();
    for id in ctx.rule_ids(d) {
        let findings: Vec<&Finding> = d.findings.iter().filter(|f| f.id == id).collect();
        let rule = ctx.rule(&id);
        let severity = rule.map(|r| r.severity).or(findings.first().map(|f| f.severity)).unwrap_or(Severity::Deny);
        let shown = match overrides.get(id.as_str()).filter(|from| **from != severity) {
            Some(from) => format!("{} (default {})", severity.as_str(), from.as_str()),
            None => severity.as_str().to_string(),
        };
        writeln!(
            out,
            "| {} | {shown} | {} | {} |",
            code(&id),
            outcome(rule.is_some_and(|r| r.disabled), &findings),
            findings.len()
        )?;
    }
    writeln!(out)
}

/// Where the policies came from: organisation directories with their digests, then every module.
fn sources(ctx: &ReportContext, record: Option<&RestsOn>, out: &mut dyn Write) -> io::Result<()> {
    let dirs = record.map(|r| r.policies.dirs.as_slice()).unwrap_or_default();
    if ctx.policy_sources.is_empty() && dirs.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Policy sources\n")?;
    for dir in dirs {
        writeln!(out, "- directory {} (SHA-256 `{}`)", code(&dir.path), dir.sha256)?;
    }
    for p in &ctx.policy_sources {
        writeln!(out, "- {}", code(p))?;
    }
    Ok(())
}
