//! `--format table`: findings grouped by severity in tables that fit 80 columns,
//! KB links listed under each table, and one closing line with the decision and counts.

use std::collections::BTreeSet;
use std::io::{self, Write};

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};

use crate::findings::{Decision, Finding, Severity, Verdict};

const WIDTH: u16 = 80;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn group(out: &mut dyn Write, heading: &str, code: &str, findings: &[&Finding], color: bool) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "{} ({})", paint(heading, code, color), findings.len())?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(vec!["Rule", "Site", "Finding"]);
    let mut kbs = BTreeSet::new();
    for f in findings {
        let mut rule = f.id.clone();
        if let Some(kb) = &f.kb {
            rule.push_str(&format!("\nKB {kb}"));
            if let Some(url) = &f.kb_url {
                kbs.insert((kb.clone(), url.clone()));
            }
        }
        let mut text = f.message.clone();
        if let Some(w) = &f.waiver {
            text.push_str(&format!(
                "\nwaived: {} (approved by {}, expires {})",
                w.reason, w.approved_by, w.expires
            ));
        } else if f.severity != Severity::Info {
            text.push_str(&format!("\nfix: {}", f.remediation));
        }
        table.add_row(vec![
            Cell::new(rule),
            Cell::new(f.site.as_deref().unwrap_or("-")),
            Cell::new(text),
        ]);
    }
    writeln!(out, "{table}")?;
    for (kb, url) in kbs {
        writeln!(out, "  KB {kb}: {url}")?;
    }
    writeln!(out)
}

pub fn render(d: &Decision, opts: super::RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let color = opts.color;
    let of = |sev: Severity| -> Vec<&Finding> { d.findings.iter().filter(|f| !f.waived && f.severity == sev).collect() };
    let waived: Vec<&Finding> = d.findings.iter().filter(|f| f.waived).collect();
    writeln!(
        out,
        "hcx-preflight {}: target {}, phase {}, evaluated at {}\n",
        d.tool.version, d.plan.target_version, d.plan.phase, d.plan.evaluated_at
    )?;
    group(out, "DENY", "1;31", &of(Severity::Deny), color)?;
    group(out, "WARN", "1;33", &of(Severity::Warn), color)?;
    group(out, "INFO", "1;36", &of(Severity::Info), color)?;
    group(out, "WAIVED", "1;35", &waived, color)?;
    if d.findings.is_empty() {
        writeln!(out, "No findings.\n")?;
    }
    let (word, code) = match d.decision {
        Verdict::Allow => ("ALLOW", "1;32"),
        Verdict::Deny => ("DENY", "1;31"),
    };
    writeln!(
        out,
        "decision: {} ({} deny, {} warn, {} info, {} waived; fail on {})",
        paint(word, code, color),
        d.summary.deny,
        d.summary.warn,
        d.summary.info,
        d.summary.waived,
        d.plan.fail_on
    )
}
