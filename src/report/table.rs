//! `--format table`: findings grouped by severity in tables as wide as the printer says
//! (80 columns unless the terminal is wider), KB links listed under each table, and one
//! closing line with the decision and counts. A word longer than its column (a path, an
//! `--attest` hint) widens the column rather than being split; ASCII borders on request.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width};

use crate::findings::{Decision, Finding, Severity, Verdict};
use crate::text::RenderOptions;

fn paint(text: &str, color: AnsiColor, opts: RenderOptions) -> String {
    if opts.color {
        let style = Style::new().bold().fg_color(Some(color.into()));
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// A table of the printer's width and characters.
pub(crate) fn new_table(opts: RenderOptions) -> Table {
    let mut table = Table::new();
    table
        .load_preset(if opts.ascii { ASCII_FULL_CONDENSED } else { UTF8_FULL_CONDENSED })
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width);
    table
}

/// Keep every word of column `index` whole: its column is at least as wide as its
/// longest word (comfy-table would split a longer word mid-way).
pub(crate) fn keep_words_whole(table: &mut Table, index: usize, cells: &[String]) {
    let longest = cells
        .iter()
        .flat_map(|c| c.split_whitespace())
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0);
    // What the column gets when the others take their content's width: each column has
    // one border and two characters of padding, and the table one more border.
    let width = usize::from(table.width().unwrap_or(80));
    let others: usize = table
        .column_max_content_widths()
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, w)| usize::from(*w) + 3)
        .sum();
    let available = width.saturating_sub(1 + others + 3);
    if longest > available {
        if let Some(column) = table.column_mut(index) {
            let fixed = u16::try_from(longest + 2).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(fixed)));
        }
    }
}

fn group(out: &mut dyn Write, heading: &str, color: AnsiColor, findings: &[&Finding], opts: RenderOptions) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "{} ({})", paint(heading, color, opts), findings.len())?;
    let mut table = new_table(opts);
    table.set_header(vec!["Rule", "Site", "Finding"]);
    let mut texts = Vec::new();
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
            Cell::new(&text),
        ]);
        texts.push(text);
    }
    keep_words_whole(&mut table, 2, &texts);
    writeln!(out, "{table}")?;
    for (id, (remediation, kb)) in notes {
        for line in wrap(&format!("{id}: {remediation}"), usize::from(opts.width).saturating_sub(4)) {
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

pub fn render(d: &Decision, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let of = |sev: Severity| -> Vec<&Finding> { d.findings.iter().filter(|f| !f.waived && f.severity == sev).collect() };
    let waived: Vec<&Finding> = d.findings.iter().filter(|f| f.waived).collect();
    writeln!(
        out,
        "hcx-preflight {}\ntarget {}, phase {}, evaluated at {}\n",
        d.tool.version, d.plan.target_version, d.plan.phase, d.plan.evaluated_at
    )?;
    group(out, "DENY", AnsiColor::Red, &of(Severity::Deny), opts)?;
    group(out, "WARN", AnsiColor::Yellow, &of(Severity::Warn), opts)?;
    group(out, "INFO", AnsiColor::Cyan, &of(Severity::Info), opts)?;
    group(out, "WAIVED", AnsiColor::Magenta, &waived, opts)?;
    if d.findings.is_empty() {
        writeln!(out, "No findings.\n")?;
    }
    writeln!(out, "{}", decision_line(d, opts))
}

/// The closing line: the decision and its counts (also what `check --output FILE` says
/// on stderr).
pub fn decision_line(d: &Decision, opts: RenderOptions) -> String {
    let (word, color) = match d.decision {
        Verdict::Allow => ("ALLOW", AnsiColor::Green),
        Verdict::Deny => ("DENY", AnsiColor::Red),
    };
    format!(
        "decision: {} ({} deny, {} warn, {} info, {} waived; fail on {})",
        paint(word, color, opts),
        d.summary.deny,
        d.summary.warn,
        d.summary.info,
        d.summary.waived,
        d.plan.fail_on
    )
}
