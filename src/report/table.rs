//! `--format table`: findings grouped by severity in tables that fit 80 columns,
//! KB links listed under each table, and one closing line with the decision and counts.

use std::collections::BTreeMap;
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
    // Remediation and KB links once per rule, under the table.
    let mut notes = BTreeMap::new();
    for f in findings {
        let mut rule = f.id.clone();
        if let Some(kb) = &f.kb {
            rule.push_str(&format!("\nKB {kb}"));
        }
        notes.entry(f.id.clone()).or_insert_with(|| (f.remediation.clone(), f.kb.clone().zip(f.kb_url.clone())));
        let mut text = f.message.clone();
        if let Some(w) = &f.waiver {
            text.push_str(&format!(
                "\nwaived: {} (approved by {}, expires {})",
                w.reason, w.approved_by, w.expires
            ));
        }
        table.add_row(vec![
            Cell::new(rule),
            Cell::new(f.site.as_deref().unwrap_or("-")),
            Cell::new(text),
        ]);
    }
    writeln!(out, "{table}")?;
    for (id, (remediation, kb)) in notes {
        for line in wrap(&format!("{id}: {remediation}"), WIDTH as usize - 4) {
            writeln!(out, "  {line}")?;
        }
        if let Some((kb, url)) = kb {
            writeln!(out, "    KB {kb}: {url}")?;
        }
    }
    writeln!(out)
}

/// Greedy word wrap; continuation lines are indented by two spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("at least one line");
        if !line.trim().is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("  {word}"));
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

pub fn render(d: &Decision, opts: super::RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let color = opts.color;
    let of = |sev: Severity| -> Vec<&Finding> { d.findings.iter().filter(|f| !f.waived && f.severity == sev).collect() };
    let waived: Vec<&Finding> = d.findings.iter().filter(|f| f.waived).collect();
    writeln!(
        out,
        "hcx-preflight {}\ntarget {}, phase {}, evaluated at {}\n",
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
