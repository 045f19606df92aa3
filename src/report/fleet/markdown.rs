//! Fleet `--format markdown`: a fleet compliance report. First the plan and the counts,
//! then the summary table, then the blocked estates with every blocker (and the
//! undecided ones with their error), then each estate's own compliance report (the
//! report of `check --format markdown`, its headings two levels down).

use std::io::{self, Write};

use super::{sites_text, tag_text};
use super::{EstateResult, FleetReport, Outcome};
use crate::findings::Finding;
use crate::report::markdown::md;

fn blockers(e: &EstateResult) -> Vec<&Finding> {
    let Some(d) = &e.decision else { return Vec::new() };
    let fail_on = crate::report::junit::fail_on(d);
    d.findings.iter().filter(|f| f.blocks(fail_on)).collect()
}

pub fn render(r: &FleetReport, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.fleet;
    let s = &h.summary;
    writeln!(out, "# HCX fleet upgrade readiness report\n")?;
    writeln!(out, "| | |\n| --- | --- |")?;
    writeln!(out, "| Estates | {} |", s.estates)?;
    writeln!(out, "| Ready (allow) | {} |", s.allow)?;
    writeln!(out, "| Blocked (deny) | {} |", s.deny)?;
    writeln!(out, "| Not decided | {} |", s.undecided)?;
    writeln!(out, "| Findings | {} deny, {} warn |", s.deny_findings, s.warn_findings)?;
    writeln!(out, "| Default target | {} |", md(&h.target_version))?;
    writeln!(out, "| Default phase | {} |", md(h.phase.as_str()))?;
    writeln!(out, "| Evaluated at | {} |", md(&h.evaluated_at))?;
    writeln!(out, "| Fail on | {} |", md(h.fail_on.as_str()))?;
    writeln!(out, "| Tool | {} {} |", md(&h.tool.name), md(&h.tool.version))?;
    writeln!(out, "| Policy SHA-256 | `{}` |\n", h.policy_sha256)?;

    writeln!(out, "## Estates\n")?;
    writeln!(out, "| Estate | Tags | Sites | Target | Phase | Decision | Deny | Warn | First blocker |")?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | ---: | ---: | --- |")?;
    for e in &r.estates {
        let (deny, warn) = e.decision.as_ref().map_or(("-".into(), "-".into()), |d| (d.summary.deny.to_string(), d.summary.warn.to_string()));
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | **{}** | {deny} | {warn} | {} |",
            md(&e.name),
            md(&tag_text(&e.tags)),
            md(&sites_text(e)),
            md(&e.target_version),
            md(e.phase.as_str()),
            e.outcome.as_str().to_uppercase(),
            md(&e.blocker_text())
        )?;
    }
    writeln!(out)?;

    writeln!(out, "## Blocked estates\n")?;
    let blocked: Vec<_> = r.estates.iter().filter(|e| e.outcome != Outcome::Allow).collect();
    if blocked.is_empty() {
        writeln!(out, "None: every estate is ready.\n")?;
    }
    for e in blocked {
        writeln!(out, "### {} ({})\n", md(&e.name), e.outcome.as_str())?;
        if let Some(err) = &e.error {
            writeln!(out, "- not decided: {} failed: {}", err.stage.as_str(), md(&err.message))?;
        }
        for f in blockers(e) {
            writeln!(
                out,
                "- `{}` ({}) at **{}**: {}",
                f.id,
                f.severity.as_str(),
                md(f.site.as_deref().unwrap_or("estate")),
                md(&f.message)
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Each estate\n")?;
    for e in &r.estates {
        writeln!(out, "### Estate {}\n", md(&e.name))?;
        match (&e.decision, &e.context) {
            (Some(d), Some(ctx)) => {
                let mut buf = Vec::new();
                crate::report::markdown::render(d, ctx, &mut buf)?;
                // Nest the estate's report: its headings go two levels down. Every
                // heading of that report starts a line with `#`; no other line does
                // (text lines start with `|`, `-` or a word, and `md` escapes nothing else).
                for line in String::from_utf8_lossy(&buf).lines() {
                    if line.starts_with('#') {
                        writeln!(out, "##{line}")?;
                    } else {
                        writeln!(out, "{line}")?;
                    }
                }
                writeln!(out)?;
            }
            _ => writeln!(out, "Not decided: {}\n", md(&e.blocker_text()))?,
        }
    }
    Ok(())
}
