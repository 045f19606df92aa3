//! `upgrade --to VERSION`: follow the route hop by hop.
//!
//! Every run starts from the live estate: it collects, plans the route from the versions
//! it finds (so a finished hop is never repeated, and a half-finished one continues with
//! the managers still below it) and takes the next step only:
//! - a Service Mesh that lags its managers (the previous hop's mesh step not done) stops
//!   the run before any managers hop, with the step to do and the mesh verify command;
//! - a managers hop on 4.x stops with the UI procedure (4.x has no upgrade API), after
//!   judging the hop on the live estate;
//! - a managers hop on 9.x runs `upgrade` for the hop's release (judged again on the
//!   live estate, never on a projection; confirmed; upgraded; verified) and stops at the
//!   Service Mesh step, which no public API starts, with the commands to continue.
//!
//! The audit log gets one line for the planned route and the lines of each hop.

use anyhow::Result;

use super::{run_upgrade_with, Audit, Event, GateOptions, GateResult, Reporter, Session, UpgradeOptions};
use crate::audit::AuditResult;
use crate::check::LoadedSnapshot;
use crate::collect::CredentialSource;
use crate::findings::Verdict;
use crate::plan;
use crate::route::{plan_route, Route, RouteRequest, Step};

/// `hcx-preflight upgrade --to VERSION` (`o.gate.target` is the final version).
pub fn run_route(o: &UpgradeOptions, src: &dyn CredentialSource, reporter: &dyn Reporter) -> Result<GateResult> {
    let g = &o.gate;
    let session = Session::start(&g.collect, src, reporter)?;
    let snapshot = session.collect(&session.args)?;
    let req = RouteRequest {
        target: g.target.clone(),
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
        collect: g.collect.clone(),
        policy_words: g.policy_words.clone(),
    };
    let route = plan_route(&LoadedSnapshot::from_snapshot(snapshot), &req, &g.policies)?;
    reporter.route(&route)?;
    let audit = |phase: &'static str, target: String, result: AuditResult, message: String| {
        Audit {
            log: &g.audit,
            command: "upgrade",
            target,
            phase,
            decision: None,
        }
        .record(None, result, Some(message))
    };
    let final_version = g.target.to_string();
    audit(
        "route",
        final_version.clone(),
        if o.dry_run { AuditResult::RouteDryRun } else { AuditResult::RoutePlanned },
        format!("{}; first step {}", route.summary(), verdict_word(route.decision)),
    )?;
    let continue_cmd = route.continue_command.clone();

    let Some(hop) = route.hops.first() else {
        reporter.event(Event::RouteComplete(final_version));
        return Ok(GateResult::Allowed);
    };
    if o.dry_run {
        reporter.event(Event::RouteDryRun(next_step(&route)));
        return Ok(if route.decision == Verdict::Allow { GateResult::Allowed } else { GateResult::Denied });
    }

    if hop.index == 0 {
        let mesh = &hop.steps[0];
        let more = route.hops.len() > 1;
        let text = format!(
            "the Service Mesh is not on {} yet ({}): {}.\nThen check it:\n  {}\n{}",
            hop.to,
            mesh.appliances.join("; "),
            mesh.action,
            hop.steps[1].commands.join("\n  "),
            if more { format!("and continue the route with:\n  {continue_cmd}") } else { "and the route is complete.".into() }
        );
        let result = if more { AuditResult::RefusedMeshLagging } else { AuditResult::MeshStepByHand };
        audit("service-mesh", hop.to.clone(), result, text.clone())?;
        reporter.event(Event::ByHand { refused: more, text });
        return Ok(if more { GateResult::Denied } else { GateResult::Allowed });
    }

    let managers = &hop.steps[0];
    let gate = managers.gate.as_ref().expect("a managers step is judged");
    let by_hand: Vec<String> = managers.managers.iter().filter(|m| m.method == "ui" || !m.collected).map(|m| format!("{} ({})", m.name, m.site)).collect();
    if !by_hand.is_empty() {
        // The route's first judgement is the live one: this hop judged on the estate as collected.
        if gate.decision == Verdict::Deny {
            audit("managers", hop.to.clone(), AuditResult::Denied, format!("hop {} to {}: denied on the live estate", hop.index, hop.to))?;
            reporter.event(Event::HopDenied { index: hop.index, to: hop.to.clone() });
            return Ok(GateResult::Denied);
        }
        let text = format!(
            "hop {} to {} goes through the HCX Manager UI for {}: 4.x has no upgrade API, so hcx-preflight does not start it. \
             In each HCX Manager UI: Administration > System Updates > Check for Updates, then Upgrade to {} (site-paired managers may go together). \
             Then verify:\n  {}\nthen do the Service Mesh step of this hop, and continue the route with:\n  {continue_cmd}",
            hop.index,
            hop.to,
            by_hand.join(", "),
            hop.to,
            hop.steps[1].commands.join("\n  ")
        );
        audit("managers", hop.to.clone(), AuditResult::UiRequired, text.clone())?;
        reporter.event(Event::ByHand { refused: false, text });
        return Ok(GateResult::Allowed);
    }

    reporter.event(Event::HopStarting { index: hop.index, to: hop.to.clone() });
    let hop_target = crate::version::HcxVersion::parse(&hop.to)?;
    let hop_opts = UpgradeOptions {
        gate: GateOptions {
            collect: g.collect.clone(),
            target: hop_target,
            fail_on: g.fail_on,
            policies: g.policies.clone(),
            poll_interval: g.poll_interval,
            audit: g.audit.clone(),
            policy_words: g.policy_words.clone(),
        },
        phase: plan::Phase::Managers,
        dry_run: false,
        yes: o.yes,
        parallel: o.parallel,
        decision: o.decision.clone(),
        decision_snapshot: o.decision_snapshot.clone(),
        decision_max_age: o.decision_max_age,
        return_timeout: o.return_timeout,
        upgrade_timeout: o.upgrade_timeout,
    };
    let outcome = run_upgrade_with(&hop_opts, &session)?;
    let result = match outcome {
        GateResult::Allowed => AuditResult::HopManagersDone,
        GateResult::Denied => AuditResult::HopDenied,
        GateResult::Failed => AuditResult::HopFailed,
    };
    audit("managers", hop.to.clone(), result, format!("hop {} to {}", hop.index, hop.to))?;
    if outcome == GateResult::Allowed {
        let mesh: Vec<&Step> = hop.steps.iter().filter(|s| matches!(s.phase, plan::Phase::ServiceMesh | plan::Phase::VerifyMesh)).collect();
        let todo: Vec<String> = mesh.iter().map(|s| format!("{}: {}\n  {}", s.phase, s.action, s.commands.join("\n  "))).collect();
        reporter.event(Event::HopDone {
            index: hop.index,
            to: hop.to.clone(),
            next: format!("{}\nthen continue the route with:\n  {continue_cmd}", todo.join("\n")),
        });
    }
    Ok(outcome)
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allowed",
        Verdict::Deny => "denied",
    }
}

/// The next step in words, for a dry run.
fn next_step(route: &Route) -> String {
    route
        .hops
        .first()
        .and_then(|h| h.steps.first().map(|s| format!("hop {} {}: {}", h.index, s.phase, s.action)))
        .unwrap_or_else(|| "none".into())
}
