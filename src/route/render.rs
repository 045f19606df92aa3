//! The route's output formats: a table for a terminal, the JSON document (README,
//! "The route document"), and Markdown a change request can carry (the route as one
//! numbered list of steps with their commands). Each writes to any `io::Write`.

use std::io::{self, Write};

use crate::findings::Verdict;
use crate::plan::Phase;

use super::{Gate, Hop, ManagerMove, Route, Step};

/// The output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteFormat {
    /// The route, hop by hop, with each step's judgement.
    Table,
    /// The route document (stable; see the README).
    Json,
    /// A numbered list of steps with commands, for a change request.
    Markdown,
}

/// Write `route` in `format`.
pub fn render(route: &Route, format: RouteFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        RouteFormat::Table => table(route, out),
        RouteFormat::Json => {
            let mut text = serde_json::to_string_pretty(route).map_err(io::Error::other)?;
            text.push('\n');
            out.write_all(text.as_bytes())
        }
        RouteFormat::Markdown => markdown(route, out),
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allow",
        Verdict::Deny => "deny",
    }
}

fn basis(g: &Gate) -> &'static str {
    if g.projected {
        "projected"
    } else {
        "on the snapshot as it is"
    }
}

fn phase_title(phase: Phase) -> &'static str {
    match phase {
        Phase::Managers => "Managers",
        Phase::Verify => "Verify the managers",
        Phase::ServiceMesh => "Service Mesh",
        Phase::VerifyMesh => "Verify the Service Mesh",
    }
}

fn offered(m: &ManagerMove) -> &'static str {
    match m.offered {
        Some(true) => "offered",
        Some(false) => "not among the available updates",
        None => "offer unknown",
    }
}

fn move_line(m: &ManagerMove) -> String {
    let mut line = format!(
        "{} ({}): {} -> {} via {}, {}",
        m.name,
        m.site,
        m.from,
        m.to,
        if m.method == "api" { "the System Upgrade API" } else { "the UI" },
        offered(m)
    );
    if !m.collected {
        line.push_str(", not collected");
    }
    for n in &m.notes {
        line.push_str(&format!("; {n}"));
    }
    line
}

fn header(route: &Route) -> String {
    let hops = route.hops.iter().filter(|h| h.index > 0).count();
    format!("route to {}: {} ({hops} hop{})", route.target_version, route.summary(), if hops == 1 { "" } else { "s" })
}

fn table(route: &Route, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(route))?;
    for m in &route.managers {
        let seen = m.seen_from.as_deref().map(|s| format!(", seen through a site pair of {s}")).unwrap_or_default();
        writeln!(out, "  manager {} ({}) {}{seen}", m.name, m.site, m.version)?;
    }
    let mut n = 0;
    for hop in &route.hops {
        writeln!(out)?;
        writeln!(out, "{}", hop_title(hop))?;
        for note in &hop.path.notes {
            writeln!(out, "  ! {note}")?;
        }
        for step in &hop.steps {
            n += 1;
            writeln!(out, "  {n}. {}: {}", step.phase, step.action)?;
            for m in &step.managers {
                writeln!(out, "     - {}", move_line(m))?;
            }
            for a in &step.appliances {
                writeln!(out, "     - {a}")?;
            }
            if let Some(g) = &step.gate {
                writeln!(
                    out,
                    "     gate {} {} ({}): {} ({} deny, {} warn, {} info, {} waived)",
                    g.phase,
                    g.target_version,
                    basis(g),
                    verdict(g.decision).to_uppercase(),
                    g.summary.deny,
                    g.summary.warn,
                    g.summary.info,
                    g.summary.waived
                )?;
                for f in &g.findings {
                    let site = f.finding.site.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
                    let waived = if f.finding.waived { " (waived)" } else { "" };
                    writeln!(out, "       {:<4} {}{site}{waived}: {}", f.finding.severity.as_str(), f.finding.id, f.finding.message)?;
                }
            }
            for c in &step.commands {
                writeln!(out, "     $ {c}")?;
            }
        }
    }
    if !route.notes.is_empty() {
        writeln!(out)?;
        for note in &route.notes {
            writeln!(out, "note: {note}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", closing(route))
}

fn hop_title(hop: &Hop) -> String {
    let verified = if hop.path.verified { "" } else { " (path not verified by the data)" };
    if hop.index == 0 {
        format!("hop 0: finish the Service Mesh on {}", hop.to)
    } else {
        format!("hop {}: to {}{verified}", hop.index, hop.to)
    }
}

fn closing(route: &Route) -> String {
    if route.hops.is_empty() {
        return format!("decision: ALLOW (nothing to do: the estate is on {})", route.target_version);
    }
    format!(
        "decision: {} (the first step, judged on the snapshot as it is; later judgements are projected)",
        verdict(route.decision).to_uppercase()
    )
}

fn gate_md(g: &Gate, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "   - Gate `{}` {} ({}): **{}**: {} deny, {} warn, {} info, {} waived",
        g.phase,
        g.target_version,
        basis(g),
        verdict(g.decision),
        g.summary.deny,
        g.summary.warn,
        g.summary.info,
        g.summary.waived
    )?;
    for f in &g.findings {
        let site = f.finding.site.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
        let waived = if f.finding.waived { ", waived" } else { "" };
        writeln!(
            out,
            "     - {} `{}`{site}{waived}{}: {}",
            f.finding.severity.as_str(),
            f.finding.id,
            if f.projected { ", projected" } else { "" },
            f.finding.message.replace('|', "\\|")
        )?;
    }
    Ok(())
}

fn step_md(n: usize, step: &Step, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{n}. **{}** ({}): {}", phase_title(step.phase), step.phase, step.action)?;
    for m in &step.managers {
        writeln!(out, "   - {}", move_line(m))?;
    }
    for a in &step.appliances {
        writeln!(out, "   - {a}")?;
    }
    if let Some(g) = &step.gate {
        gate_md(g, out)?;
    }
    if !step.commands.is_empty() {
        writeln!(out)?;
        writeln!(out, "   ```sh")?;
        for c in &step.commands {
            writeln!(out, "   {c}")?;
        }
        writeln!(out, "   ```")?;
    }
    Ok(())
}

fn markdown(route: &Route, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# HCX upgrade route to {}", route.target_version)?;
    writeln!(out)?;
    writeln!(out, "- Route: {}", route.summary())?;
    writeln!(out, "- Decision of the first step: **{}**", verdict(route.decision))?;
    writeln!(out, "- Evaluated at: {}", route.evaluated_at)?;
    writeln!(out, "- Snapshot SHA-256: `{}`", route.snapshot_sha256)?;
    writeln!(out, "- Policy SHA-256: `{}`", route.policy_sha256)?;
    writeln!(out, "- Tool: {} {}", route.tool.name, route.tool.version)?;
    writeln!(out)?;
    writeln!(out, "| site | manager | version | collected |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for m in &route.managers {
        writeln!(out, "| {} | {} | {} | {} |", m.site, m.name, m.version, if m.collected { "yes" } else { "through a site pair" })?;
    }
    let mut n = 0;
    for hop in &route.hops {
        writeln!(out)?;
        writeln!(out, "## {}", capitalise(&hop_title(hop)))?;
        writeln!(out)?;
        for note in &hop.path.notes {
            writeln!(out, "> {note}")?;
            writeln!(out)?;
        }
        for step in &hop.steps {
            n += 1;
            step_md(n, step, out)?;
        }
    }
    if !route.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Notes")?;
        writeln!(out)?;
        for note in &route.notes {
            writeln!(out, "- {note}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", closing(route))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}
