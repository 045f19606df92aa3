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
use crate::route::{plan_route, Hop, Route, RouteRequest, Step};

/// `hcx-preflight upgrade --to VERSION` (`o.gate.target` is the final version).
pub fn run_route(o: &UpgradeOptions, src: &dyn CredentialSource, reporter: &dyn Reporter) -> Result<GateResult> {
    let g = &o.gate;
    let session = Session::start(&g.collect, src, reporter)?;
    let route = plan_from_the_live_estate(g, &session)?;
    reporter.route(&route)?;
    let follow = Follow {
        o,
        reporter,
        continue_cmd: &route.continue_command,
    };
    let final_version = g.target.to_string();
    follow.audit(
        "route",
        final_version.clone(),
        if o.dry_run { AuditResult::RouteDryRun } else { AuditResult::RoutePlanned },
        format!("{}; first step {}", route.summary(), verdict_word(route.decision)),
    )?;

    let Some(hop) = route.hops.first() else {
        reporter.event(Event::RouteComplete(final_version));
        return Ok(GateResult::Allowed);
    };
    if o.dry_run {
        reporter.event(Event::RouteDryRun(next_step(&route)));
        return Ok(if route.decision == Verdict::Allow { GateResult::Allowed } else { GateResult::Denied });
    }
    if hop.index == 0 {
        return follow.mesh_first(hop, route.hops.len() > 1);
    }
    let by_hand = managers_by_hand(&hop.steps[0]);
    if !by_hand.is_empty() {
        return follow.managers_by_hand(hop, &by_hand);
    }
    follow.managers_by_api(hop, &session)
}

/// Collect the estate as it is now and plan the route from it.
fn plan_from_the_live_estate(g: &GateOptions, session: &Session) -> Result<Route> {
    let snapshot = session.collect(&session.args)?;
    let req = RouteRequest {
        target: g.target.clone(),
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
        collect: g.collect.clone(),
        policy_words: g.policy_words.clone(),
    };
    Ok(plan_route(&LoadedSnapshot::from_snapshot(snapshot), &req, &g.policies)?)
}

/// The managers of a managers step that hcx-preflight cannot upgrade: on 4.x (the UI
/// only), or not collected; as `name (site)`.
fn managers_by_hand(managers: &Step) -> Vec<String> {
    managers
        .managers
        .iter()
        .filter(|m| m.method == "ui" || !m.collected)
        .map(|m| format!("{} ({})", m.name, m.site))
        .collect()
}

/// Taking the route's next step: the run's options, where its events go, and the command
/// that continues the route.
struct Follow<'a> {
    o: &'a UpgradeOptions,
    reporter: &'a dyn Reporter,
    continue_cmd: &'a str,
}

impl Follow<'_> {
    /// One line of the audit log for the route.
    fn audit(&self, phase: &'static str, target: String, result: AuditResult, message: String) -> Result<()> {
        Audit {
            log: &self.o.gate.audit,
            command: "upgrade",
            target,
            phase,
            decision: None,
        }
        .record(None, result, Some(message))
    }

    /// Hop 0: the Service Mesh lags its managers. Its step is done by hand; the run stops
    /// (refused when a managers hop is still to come).
    fn mesh_first(&self, hop: &Hop, more: bool) -> Result<GateResult> {
        let mesh = &hop.steps[0];
        let text = format!(
            "the Service Mesh is not on {} yet ({}): {}.\nThen check it:\n  {}\n{}",
            hop.to,
            mesh.appliances.join("; "),
            mesh.action,
            hop.steps[1].commands.join("\n  "),
            if more { format!("and continue the route with:\n  {}", self.continue_cmd) } else { "and the route is complete.".into() }
        );
        let result = if more { AuditResult::RefusedMeshLagging } else { AuditResult::MeshStepByHand };
        self.audit("service-mesh", hop.to.clone(), result, text.clone())?;
        self.reporter.event(Event::ByHand { refused: more, text });
        Ok(if more { GateResult::Denied } else { GateResult::Allowed })
    }

    /// A managers hop that goes through the HCX Manager UI (`by_hand`): the procedure,
    /// once the hop's live judgement allows it.
    fn managers_by_hand(&self, hop: &Hop, by_hand: &[String]) -> Result<GateResult> {
        let gate = hop.steps[0].gate.as_ref().expect("a managers step is judged");
        // The route's first judgement is the live one: this hop judged on the estate as collected.
        if gate.decision == Verdict::Deny {
            self.audit("managers", hop.to.clone(), AuditResult::Denied, format!("hop {} to {}: denied on the live estate", hop.index, hop.to))?;
            self.reporter.event(Event::HopDenied { index: hop.index, to: hop.to.clone() });
            return Ok(GateResult::Denied);
        }
        let text = format!(
            "hop {} to {} goes through the HCX Manager UI for {}: 4.x has no upgrade API, so hcx-preflight does not start it. \
             In each HCX Manager UI: Administration > System Updates > Check for Updates, then Upgrade to {} (site-paired managers may go together). \
             Then verify:\n  {}\nthen do the Service Mesh step of this hop, and continue the route with:\n  {}",
            hop.index,
            hop.to,
            by_hand.join(", "),
            hop.to,
            hop.steps[1].commands.join("\n  "),
            self.continue_cmd
        );
        self.audit("managers", hop.to.clone(), AuditResult::UiRequired, text.clone())?;
        self.reporter.event(Event::ByHand { refused: false, text });
        Ok(GateResult::Allowed)
    }

    /// A managers hop on 9.x: `upgrade` to the hop's release (judged again on the live
    /// estate, confirmed, upgraded, verified); then the Service Mesh steps to do by hand.
    fn managers_by_api(&self, hop: &Hop, session: &Session) -> Result<GateResult> {
        self.reporter.event(Event::HopStarting { index: hop.index, to: hop.to.clone() });
        let outcome = run_upgrade_with(&self.hop_options(hop)?, session)?;
        let result = match outcome {
            GateResult::Allowed => AuditResult::HopManagersDone,
            GateResult::Denied => AuditResult::HopDenied,
            GateResult::Failed => AuditResult::HopFailed,
        };
        self.audit("managers", hop.to.clone(), result, format!("hop {} to {}", hop.index, hop.to))?;
        if outcome == GateResult::Allowed {
            let mesh = hop.steps.iter().filter(|s| matches!(s.phase, plan::Phase::ServiceMesh | plan::Phase::VerifyMesh));
            let todo: Vec<String> = mesh.map(|s| format!("{}: {}\n  {}", s.phase, s.action, s.commands.join("\n  "))).collect();
            self.reporter.event(Event::HopDone {
                index: hop.index,
                to: hop.to.clone(),
                next: format!("{}\nthen continue the route with:\n  {}", todo.join("\n"), self.continue_cmd),
            });
        }
        Ok(outcome)
    }

    /// The run's options for the managers phase of `hop`, with the hop's release as target.
    fn hop_options(&self, hop: &Hop) -> Result<UpgradeOptions> {
        let (o, g) = (self.o, &self.o.gate);
        Ok(UpgradeOptions {
            gate: GateOptions {
                collect: g.collect.clone(),
                target: crate::version::HcxVersion::parse(&hop.to)?,
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
        })
    }
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
