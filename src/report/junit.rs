//! `--format junit`: JUnit XML for CI test reports (Jenkins, GitLab, Azure DevOps).
//!
//! One `<testsuite>` per site (in snapshot order) and a last one named `estate` for
//! findings without a site; in each, one `<testcase>` per catalog rule id (classname:
//! the site), so that passes show too. A test case fails when one of its findings
//! blocks the gate (deny, or warn under `--fail-on warn`); it is skipped when all its
//! findings are waived, or when the rule is disabled; otherwise it passes, and any
//! warn/info findings are in its `<system-out>`. The element and attribute set is the
//! common subset of the Ant and Jenkins JUnit schemas.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::ReportContext;
use crate::findings::{Decision, Finding};
use crate::plan::FailOn;

/// The suite of findings that have no site.
pub const ESTATE: &str = "estate";

/// What one test case reports.
enum Outcome<'a> {
    Pass,
    Failure { failing: Vec<&'a Finding> },
    Skipped { message: String },
}

struct Case<'a> {
    rule: String,
    outcome: Outcome<'a>,
    out: Vec<&'a Finding>,
}

/// `--fail-on` as recorded in the decision.
pub(crate) fn fail_on(d: &Decision) -> FailOn {
    if d.plan.fail_on == crate::plan::FailOn::Warn {
        FailOn::Warn
    } else {
        FailOn::Deny
    }
}

/// Site names in report order: the snapshot's, then any other a finding names
/// (sorted), then [`ESTATE`].
pub(crate) fn suites(d: &Decision, ctx: &ReportContext) -> Vec<String> {
    let mut names = ctx.sites.clone();
    let extra: BTreeSet<&String> = d.findings.iter().filter_map(|f| f.site.as_ref()).filter(|s| !ctx.sites.contains(s)).collect();
    names.extend(extra.into_iter().cloned());
    names.push(ESTATE.to_string());
    names
}

fn case<'a>(rule: &str, findings: &[&'a Finding], fail_on: FailOn, disabled: bool) -> Case<'a> {
    let failing: Vec<&Finding> = findings.iter().copied().filter(|f| f.blocks(fail_on)).collect();
    let out: Vec<&Finding> = findings.iter().copied().filter(|f| !f.blocks(fail_on)).collect();
    let outcome = if !failing.is_empty() {
        Outcome::Failure { failing }
    } else if findings.is_empty() && disabled {
        Outcome::Skipped {
            message: "disabled by the config".into(),
        }
    } else if !findings.is_empty() && findings.iter().all(|f| f.waived) {
        let reasons: BTreeSet<&str> = findings.iter().filter_map(|f| f.waiver.as_ref()).map(|w| w.reason.as_str()).collect();
        Outcome::Skipped {
            message: format!("waived: {}", reasons.into_iter().collect::<Vec<_>>().join("; ")),
        }
    } else {
        Outcome::Pass
    };
    let out = if matches!(outcome, Outcome::Skipped { .. }) { Vec::new() } else { out };
    Case {
        rule: rule.to_string(),
        outcome,
        out,
    }
}

/// Escape text for XML content and attribute values; drop characters XML 1.0 forbids.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Element text: as [`xml_escape`], but new lines stay new lines.
fn text(s: &str) -> String {
    xml_escape(s).replace("&#10;", "\n")
}

fn line(f: &Finding) -> String {
    let mut s = format!("[{}] {}: {}", f.severity.as_str(), f.resource.as_deref().unwrap_or("-"), f.message);
    if let Some(w) = &f.waiver {
        s.push_str(&format!(" (waived: {}; approved by {}, expires {})", w.reason, w.approved_by, w.expires));
    }
    s
}

fn failure_body(failing: &[&Finding]) -> String {
    failing
        .iter()
        .map(|f| {
            let mut s = line(f);
            for ev in super::evidence::lines(f) {
                s.push_str(&format!("\nevidence: {ev}"));
            }
            s.push_str(&format!("\nfix: {}", f.remediation));
            if let (Some(kb), Some(url)) = (&f.kb, &f.kb_url) {
                s.push_str(&format!("\nKB {kb}: {url}"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Every test case of `d`, per suite (site) in report order.
fn site_cases<'a>(d: &'a Decision, ctx: &ReportContext) -> Vec<(String, Vec<Case<'a>>)> {
    let fail_on = fail_on(d);
    let ids = ctx.rule_ids(d);
    let mut by_cell: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &d.findings {
        by_cell.entry((f.site.as_deref().unwrap_or(ESTATE), f.id.as_str())).or_default().push(f);
    }
    suites(d, ctx)
        .into_iter()
        .map(|site| {
            let cases = ids
                .iter()
                .map(|id| {
                    let findings = by_cell.get(&(site.as_str(), id.as_str())).cloned().unwrap_or_default();
                    let disabled = ctx.rule(id).is_some_and(|r| r.disabled);
                    case(id, &findings, fail_on, disabled)
                })
                .collect();
            (site, cases)
        })
        .collect()
}

/// Tests, failures and skipped test cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub tests: usize,
    pub failures: usize,
    pub skipped: usize,
}

impl Counts {
    fn of<'a>(cases: impl IntoIterator<Item = &'a Case<'a>>) -> Self {
        let mut c = Counts::default();
        for case in cases {
            c.tests += 1;
            match case.outcome {
                Outcome::Failure { .. } => c.failures += 1,
                Outcome::Skipped { .. } => c.skipped += 1,
                Outcome::Pass => {}
            }
        }
        c
    }
}

/// The decision's properties, as every suite of it carries them.
fn properties(d: &Decision) -> Vec<(String, String)> {
    [
        ("decision", format!("{:?}", d.decision).to_lowercase()),
        ("target_version", d.plan.target_version.clone()),
        ("phase", d.plan.phase.to_string()),
        ("evaluated_at", d.plan.evaluated_at.clone()),
        ("fail_on", d.plan.fail_on.to_string()),
        ("tool_version", d.tool.version.clone()),
        ("snapshot_sha256", d.snapshot_sha256.clone()),
        ("policy_sha256", d.policy_sha256.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `<testsuite ...>` with its properties, indented by two spaces.
pub(crate) fn open_suite(out: &mut dyn Write, name: &str, c: Counts, errors: usize, properties: &[(String, String)]) -> io::Result<()> {
    writeln!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{errors}" skipped="{}">"#,
        xml_escape(name),
        c.tests,
        c.failures,
        c.skipped
    )?;
    writeln!(out, "    <properties>")?;
    for (name, value) in properties {
        writeln!(out, r#"      <property name="{}" value="{}"/>"#, xml_escape(name), xml_escape(value))?;
    }
    writeln!(out, "    </properties>")
}

fn write_case(out: &mut dyn Write, classname: &str, c: &Case) -> io::Result<()> {
    let open = format!(r#"    <testcase name="{}" classname="{}""#, xml_escape(&c.rule), xml_escape(classname));
    if matches!(c.outcome, Outcome::Pass) && c.out.is_empty() {
        return writeln!(out, "{open}/>");
    }
    writeln!(out, "{open}>")?;
    match &c.outcome {
        Outcome::Pass => {}
        Outcome::Skipped { message } => writeln!(out, r#"      <skipped message="{}"/>"#, xml_escape(message))?,
        Outcome::Failure { failing } => {
            let message = match failing.as_slice() {
                [one] => one.message.clone(),
                many => format!("{} findings: {}", many.len(), many[0].title),
            };
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                xml_escape(&message),
                failing[0].severity.as_str(),
                text(&failure_body(failing))
            )?;
        }
    }
    if !c.out.is_empty() {
        let body: Vec<String> = c.out.iter().map(|f| line(f)).collect();
        writeln!(out, "      <system-out>{}</system-out>", text(&body.join("\n")))?;
    }
    writeln!(out, "    </testcase>")
}

/// Write the JUnit XML report of `d`.
pub fn render(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    let suites = site_cases(d, ctx);
    let total = Counts::of(suites.iter().flat_map(|(_, c)| c.iter()));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="hcx-preflight" tests="{}" failures="{}" errors="0" skipped="{}">"#,
        total.tests, total.failures, total.skipped
    )?;
    let properties = properties(d);
    for (site, cases) in &suites {
        open_suite(out, site, Counts::of(cases), 0, &properties)?;
        for c in cases {
            write_case(out, site, c)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Fleet mode: ONE `<testsuite>` for a whole estate, named after it, with every site's
/// test cases (classname `ESTATE.SITE`) and the estate's tags as extra properties.
/// Returns the suite's counts for the enclosing `<testsuites>`.
pub(crate) fn write_estate_suite(
    out: &mut dyn Write,
    estate: &str,
    extra: &[(String, String)],
    d: &Decision,
    ctx: &ReportContext,
) -> io::Result<Counts> {
    let suites = site_cases(d, ctx);
    let counts = Counts::of(suites.iter().flat_map(|(_, c)| c.iter()));
    let mut props = properties(d);
    props.extend(extra.iter().cloned());
    open_suite(out, estate, counts, 0, &props)?;
    for (site, cases) in &suites {
        let classname = format!("{estate}.{site}");
        for c in cases {
            write_case(out, &classname, c)?;
        }
    }
    writeln!(out, "  </testsuite>")?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(xml_escape("a<b>&\"c'\n\u{1}d"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;d");
    }
}
