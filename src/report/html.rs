//! `--format html`: one self-contained page for a fleet (or for one estate): no external
//! asset (inline CSS, inline script, no font, no image), readable without JavaScript.
//!
//! The page has the fleet's counts, a summary table, the readiness matrix (estates x
//! rules, each cell coloured by its outcome: deny, warn, info, pass, waived, disabled,
//! or unknown for an estate that could not be decided) and each estate's findings with
//! their evidence. With JavaScript, a tag filter (one selector per tag key) hides the
//! estates that do not match, everywhere on the page; without it the filter stays
//! hidden and everything is shown.
//!
//! The markup is well-formed XML (void elements closed, the script in CDATA), so that
//! tests can check its structure with an XML reader.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::fleet::{sites_text, tag_text, EstateResult, FleetReport};
use crate::findings::{Finding, Severity};

/// The outcome of one matrix cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Deny,
    Warn,
    Info,
    Pass,
    /// Every finding of the rule is waived.
    Waived,
    /// Disabled by the config (and no finding).
    Disabled,
    /// The estate could not be decided: nothing is known of the rule.
    Unknown,
}

impl Cell {
    /// CSS class suffix and the word shown in the cell.
    pub fn word(self) -> &'static str {
        match self {
            Cell::Deny => "deny",
            Cell::Warn => "warn",
            Cell::Info => "info",
            Cell::Pass => "pass",
            Cell::Waived => "waived",
            Cell::Disabled => "disabled",
            Cell::Unknown => "unknown",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Cell::Deny => "\u{2716}",
            Cell::Warn => "!",
            Cell::Info => "i",
            Cell::Pass => "\u{2713}",
            Cell::Waived => "W",
            Cell::Disabled => "\u{2013}",
            Cell::Unknown => "?",
        }
    }

    /// The outcome of `rule` for estate `e`: the most severe unwaived finding, else
    /// waived when every finding is, else disabled or pass.
    pub fn of(e: &EstateResult, rule: &str, disabled: bool) -> Cell {
        let Some(d) = &e.decision else { return Cell::Unknown };
        let findings: Vec<&Finding> = d.findings.iter().filter(|f| f.id == rule).collect();
        match findings.iter().filter(|f| !f.waived).map(|f| f.severity).min() {
            Some(Severity::Deny) => Cell::Deny,
            Some(Severity::Warn) => Cell::Warn,
            Some(Severity::Info) => Cell::Info,
            None if !findings.is_empty() => Cell::Waived,
            None if disabled => Cell::Disabled,
            None => Cell::Pass,
        }
    }
}

/// Escape text for HTML content and attribute values (the XML escaping of the JUnit
/// report suits HTML too, and keeps the page well-formed XML).
fn esc(s: &str) -> String {
    super::junit::xml_escape(s)
}

/// The tags as a JSON object, for the filter (`data-tags`).
fn data_tags(tags: &BTreeMap<String, String>) -> String {
    esc(&serde_json::to_string(tags).unwrap_or_default())
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
.counts span { display: inline-block; padding: 0.4em 0.8em; margin-right: 0.5em; border-radius: 4px; font-weight: bold; }
.d-allow, .o-pass { background: #c8f0c8; } .d-deny, .o-deny { background: #f4b4b4; }
.d-undecided, .o-unknown { background: #c9c9c9; background-image: repeating-linear-gradient(45deg, transparent 0 4px, #ffffff88 4px 8px); }
.o-warn { background: #ffe39a; } .o-info { background: #cfe3ff; } .o-waived { background: #e3d0f5; } .o-disabled { background: #f4f4f4; color: #777; }
table.matrix td.cell { text-align: center; min-width: 1.6em; }
table.matrix th.rule { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: normal; }
.legend span { display: inline-block; padding: 0.1em 0.5em; margin-right: 0.3em; border: 1px solid #bbb; }
.evidence { font-family: monospace; font-size: 0.9em; }
.hidden { display: none; }
#filters label { margin-right: 1em; }
"#;

const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('filters');
  if (!form) { return; }
  form.hidden = false;
  var selects = form.querySelectorAll('select');
  function apply() {
    var wanted = [];
    selects.forEach(function (s) { if (s.value !== '') { wanted.push([s.name, s.value]); } });
    var shown = 0;
    document.querySelectorAll('[data-estate]').forEach(function (el) {
      var tags = JSON.parse(el.getAttribute('data-tags') || '{}');
      var ok = wanted.every(function (w) { return tags[w[0]] === w[1]; });
      el.classList.toggle('hidden', !ok);
      if (ok && el.tagName === 'SECTION') { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + (shown === 1 ? ' estate shown' : ' estates shown');
  }
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  apply();
})();
"#;

fn estate_row_attrs(e: &EstateResult) -> String {
    format!(r#"data-estate="{}" data-tags="{}""#, esc(&e.name), data_tags(&e.tags))
}

/// Write the page of `r`.
pub fn render(r: &FleetReport, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.fleet;
    let s = &h.summary;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="en"><head><meta charset="utf-8"/>"#)?;
    writeln!(out, r#"<meta name="viewport" content="width=device-width, initial-scale=1"/>"#)?;
    let estates = crate::text::plural(s.estates, "estate", "estates");
    writeln!(out, "<title>HCX upgrade readiness: {estates}</title>")?;
    writeln!(out, "<style>{STYLE}</style></head><body>")?;
    writeln!(out, "<h1>HCX upgrade readiness: {estates}</h1>")?;
    writeln!(
        out,
        r#"<p class="counts"><span class="d-allow">{} ready (allow)</span><span class="d-deny">{} blocked (deny)</span><span class="d-undecided">{} not decided</span></p>"#,
        s.allow, s.deny, s.undecided
    )?;
    writeln!(
        out,
        "<p>Default target <b>{}</b>, phase <b>{}</b>, evaluated at {}, fail on {}; {} deny and {} warn findings. {} {}, policy SHA-256 <code>{}</code>.</p>",
        esc(&h.target_version),
        esc(h.phase.as_str()),
        esc(&h.evaluated_at),
        esc(h.fail_on.as_str()),
        s.deny_findings,
        s.warn_findings,
        esc(&h.tool.name),
        esc(&h.tool.version),
        esc(&h.policy_sha256)
    )?;

    // The tag filter: hidden until the script shows it.
    let mut values: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for e in &r.estates {
        for (k, v) in &e.tags {
            values.entry(k).or_default().insert(v);
        }
    }
    if !values.is_empty() {
        write!(out, r#"<form id="filters" hidden="hidden"><b>Filter by tag:</b> "#)?;
        for (k, vs) in &values {
            write!(out, r#"<label>{} <select name="{}"><option value="">any</option>"#, esc(k), esc(k))?;
            for v in vs {
                write!(out, r#"<option value="{}">{}</option>"#, esc(v), esc(v))?;
            }
            write!(out, "</select></label>")?;
        }
        writeln!(out, r#"<span id="shown"></span></form>"#)?;
    }

    writeln!(out, r#"<h2 id="summary">Estates</h2>"#)?;
    writeln!(out, r#"<table class="summary"><thead><tr><th>Estate</th><th>Tags</th><th>Sites</th><th>Target</th><th>Phase</th><th>Decision</th><th>Deny</th><th>Warn</th><th>First blocker</th></tr></thead><tbody>"#)?;
    for e in &r.estates {
        let (deny, warn) = e.decision.as_ref().map_or(("-".into(), "-".into()), |d| (d.summary.deny.to_string(), d.summary.warn.to_string()));
        writeln!(
            out,
            r##"<tr {}><td><a href="#estate-{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="decision d-{}">{}</td><td>{deny}</td><td>{warn}</td><td>{}</td></tr>"##,
            estate_row_attrs(e),
            esc(&e.name),
            esc(&e.name),
            esc(&tag_text(&e.tags)),
            esc(&sites_text(e)),
            esc(&e.target_version),
            esc(e.phase.as_str()),
            e.outcome.as_str(),
            e.outcome.as_str().to_uppercase(),
            esc(&e.blocker_text())
        )?;
    }
    writeln!(out, "</tbody></table>")?;

    writeln!(out, r#"<h2 id="matrix">Readiness matrix</h2>"#)?;
    write!(out, r#"<p class="legend">"#)?;
    for c in [Cell::Deny, Cell::Warn, Cell::Info, Cell::Pass, Cell::Waived, Cell::Disabled, Cell::Unknown] {
        write!(out, r#"<span class="o-{}">{} {}</span>"#, c.word(), c.symbol(), c.word())?;
    }
    writeln!(out, "</p>")?;
    write!(out, r#"<table class="matrix"><thead><tr><th>Estate</th>"#)?;
    for rule in &r.rules {
        write!(out, r#"<th class="rule" title="{}">{}</th>"#, esc(&rule.title), esc(&rule.id))?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    for e in &r.estates {
        write!(out, r##"<tr {}><th><a href="#estate-{}">{}</a> <span class="d-{}">{}</span></th>"##, estate_row_attrs(e), esc(&e.name), esc(&e.name), e.outcome.as_str(), e.outcome.as_str())?;
        for rule in &r.rules {
            let c = Cell::of(e, &rule.id, rule.disabled);
            write!(
                out,
                r#"<td class="cell o-{w}" title="{} / {}: {w}">{}<span class="hidden"> {w}</span></td>"#,
                esc(&e.name),
                esc(&rule.id),
                c.symbol(),
                w = c.word()
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table>")?;

    writeln!(out, r#"<h2 id="estates">Findings per estate</h2>"#)?;
    for e in &r.estates {
        estate_section(e, out)?;
    }
    writeln!(out, "<script>//<![CDATA[{SCRIPT}//]]></script>")?;
    writeln!(out, "</body></html>")
}

fn estate_section(e: &EstateResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, r#"<section id="estate-{}" {}>"#, esc(&e.name), estate_row_attrs(e))?;
    writeln!(
        out,
        r#"<h3>{} <span class="d-{}">{}</span></h3><p>Tags: {}. Sites: {}. Target {}, phase {}.{}</p>"#,
        esc(&e.name),
        e.outcome.as_str(),
        e.outcome.as_str().to_uppercase(),
        esc(&tag_text(&e.tags)),
        esc(&sites_text(e)),
        esc(&e.target_version),
        esc(e.phase.as_str()),
        e.snapshot.as_ref().map(|p| format!(" Snapshot <code>{}</code>.", esc(p))).unwrap_or_default()
    )?;
    if let Some(err) = &e.error {
        writeln!(out, r#"<p class="o-unknown">Not decided: {} failed: {}</p>"#, err.stage.as_str(), esc(&err.message))?;
    }
    let Some(d) = &e.decision else {
        return writeln!(out, "</section>");
    };
    if d.findings.is_empty() {
        writeln!(out, "<p>No findings.</p>")?;
        return writeln!(out, "</section>");
    }
    writeln!(out, "<table class=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Site</th><th>Finding</th><th>Evidence</th><th>Remediation</th></tr></thead><tbody>")?;
    for f in &d.findings {
        let class = if f.waived { "waived" } else { f.severity.as_str() };
        let mut what = esc(&f.message);
        if let Some(r) = &f.resource {
            what.push_str(&format!("<br/><small>resource: {}</small>", esc(r)));
        }
        if let Some(w) = &f.waiver {
            what.push_str(&format!(
                "<br/><small>waived: {} (approved by {}, expires {})</small>",
                esc(&w.reason),
                esc(&w.approved_by),
                esc(&w.expires)
            ));
        }
        let evidence = match &f.evidence {
            Some(list) if !list.is_empty() => list
                .iter()
                .map(|ev| esc(&super::evidence::evidence_line(ev)))
                .collect::<Vec<_>>()
                .join("<br/>"),
            _ => "-".into(),
        };
        let mut fix = esc(&f.remediation);
        if let (Some(kb), Some(url)) = (&f.kb, &f.kb_url) {
            fix.push_str(&format!(r#"<br/><a href="{}">KB {}</a>"#, esc(url), esc(kb)));
        }
        writeln!(
            out,
            r#"<tr><td class="o-{class}">{}</td><td><code>{}</code></td><td>{}</td><td>{what}</td><td class="evidence">{evidence}</td><td>{fix}</td></tr>"#,
            if f.waived { format!("{} (waived)", f.severity.as_str()) } else { f.severity.as_str().to_string() },
            esc(&f.id),
            esc(f.site.as_deref().unwrap_or("estate")),
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

/// The page of one decision (`check --format html` on one snapshot): a fleet of one.
pub fn render_single(d: &crate::findings::Decision, ctx: &super::ReportContext, out: &mut dyn Write) -> io::Result<()> {
    let name = ctx
        .snapshot_path
        .as_deref()
        .and_then(|p| std::path::Path::new(p).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "estate".into());
    let report = FleetReport::single(name, d.clone(), ctx.clone());
    render(&report, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Decision, Evidence};
    use crate::plan::{FailOn, Phase, Plan};

    fn finding(id: &str, severity: Severity, waived: bool, evidence: Option<Vec<Evidence>>) -> Finding {
        Finding {
            id: id.into(),
            severity,
            site: Some("source".into()),
            kb: None,
            title: "t".into(),
            message: format!("<{id}> & more"),
            remediation: "fix it".into(),
            resource: None,
            waived,
            kb_url: None,
            waiver: None,
            evidence,
            default_severity: None,
        }
    }

    fn report() -> FleetReport {
        let plan = Plan {
            target_version: "4.11.0".parse().unwrap(),
            phase: Phase::Managers,
            evaluated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            fail_on: FailOn::Deny,
        };
        let evidence = vec![Evidence {
            pointer: Some("/sites/0/connections/1/status".into()),
            param: None,
            value: serde_json::json!("unhealthy"),
            attestation: None,
        }];
        let d = Decision::new(
            vec![
                finding("connection-unhealthy", Severity::Deny, false, Some(evidence)),
                finding("backup-missing", Severity::Deny, true, None),
                finding("backup-missing", Severity::Deny, true, None),
            ],
            &plan,
            String::new(),
            String::new(),
        );
        let rule = |id: &str, disabled: bool| crate::report::RuleInfo {
            id: id.into(),
            title: id.into(),
            severity: Severity::Deny,
            kb: None,
            when: None,
            remediation: String::new(),
            disabled,
        };
        let ctx = crate::report::ReportContext {
            rules: vec![rule("backup-missing", false), rule("connection-unhealthy", false), rule("disk-space", true), rule("version-skew", false)],
            sites: vec!["source".into()],
            ..Default::default()
        };
        FleetReport::single("estate".into(), d, ctx)
    }

    #[test]
    fn cells_tell_deny_waived_disabled_pass_and_unknown_apart() {
        let r = report();
        let e = &r.estates[0];
        assert_eq!(Cell::of(e, "connection-unhealthy", false), Cell::Deny);
        assert_eq!(Cell::of(e, "backup-missing", false), Cell::Waived);
        assert_eq!(Cell::of(e, "disk-space", true), Cell::Disabled);
        assert_eq!(Cell::of(e, "version-skew", false), Cell::Pass);
        let mut undecided = e.clone();
        undecided.decision = None;
        assert_eq!(Cell::of(&undecided, "version-skew", false), Cell::Unknown);
    }

    #[test]
    fn findings_show_their_evidence_escaped() {
        let mut buf = Vec::new();
        render(&report(), &mut buf).unwrap();
        let html = String::from_utf8(buf).unwrap();
        assert!(html.contains(r#"<td class="evidence">/sites/0/connections/1/status = &quot;unhealthy&quot;</td>"#), "{html}");
        assert!(html.contains("&lt;connection-unhealthy&gt; &amp; more"));
        assert!(!html.contains("<connection-unhealthy>"));
        assert!(html.contains(r#"<td class="cell o-disabled""#) && html.contains(r#"<td class="cell o-waived""#));
    }
}
