//! Fleet `--format table`: the summary table, then each estate's usual table (or its
//! error), then one closing line with the fleet's counts.

use std::io::{self, Write};


use super::{sites_text, tag_text};
use super::{FleetReport, Outcome};
use crate::text::RenderOptions;

/// The summary table has seven columns: wider than one estate's table.
const WIDTH: u16 = 120;

pub fn render(r: &FleetReport, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.fleet;
    writeln!(
        out,
        "hcx-preflight {} fleet: {} estates; target {}, phase {} (unless an estate says otherwise), evaluated at {}\n",
        h.tool.version, h.summary.estates, h.target_version, h.phase, h.evaluated_at
    )?;
    let mut table = crate::report::table::new_table(opts);
    table
        .set_width(WIDTH.max(opts.width))
        .set_header(vec!["Estate", "Tags", "Sites", "Decision", "Deny", "Warn", "First blocker"]);
    for e in &r.estates {
        let (deny, warn) = e.decision.as_ref().map_or(("-".into(), "-".into()), |d| (d.summary.deny.to_string(), d.summary.warn.to_string()));
        table.add_row(vec![
            e.name.clone(),
            tag_text(&e.tags),
            sites_text(e),
            e.outcome.as_str().to_uppercase(),
            deny,
            warn,
            e.blocker_text(),
        ]);
    }
    writeln!(out, "{table}\n")?;
    for e in &r.estates {
        writeln!(out, "=== estate {} ({}) ===", e.name, e.outcome.as_str())?;
        match (&e.decision, &e.error) {
            (Some(d), _) => crate::report::table::render(d, opts, out)?,
            (None, Some(err)) => writeln!(out, "not decided: {} failed: {}", err.stage.as_str(), err.message)?,
            (None, None) => {}
        }
        writeln!(out)?;
    }
    let s = &h.summary;
    let undecided = r.estates.iter().filter(|e| e.outcome == Outcome::Undecided).map(|e| e.name.as_str()).collect::<Vec<_>>();
    write!(
        out,
        "fleet: {} estates: {} allow, {} deny, {} undecided ({} deny, {} warn findings; fail on {})",
        s.estates, s.allow, s.deny, s.undecided, s.deny_findings, s.warn_findings, h.fail_on
    )?;
    if !undecided.is_empty() {
        write!(out, "; not decided: {}", undecided.join(", "))?;
    }
    writeln!(out)
}
