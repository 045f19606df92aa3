//! The gate in action: `upgrade` and `verify`.
//!
//! `upgrade` collects, judges and, only when the gate allows (and an approved decision,
//! if given, still matches the estate), asks for confirmation and starts the 9.x System
//! Upgrade on each manager that is below the target, one after the other or together
//! (`--parallel`, as the procedure allows for site-paired managers). It then follows
//! each manager down and back up (up to `--return-timeout`, five minutes by default as
//! in the vendor's procedure) and runs the `verify` phase by itself. `verify` alone is
//! for upgrades done in the UI. Every run appends to the audit log.
//!
//! Nothing here prints: what happens is told to a [`Reporter`] (the command layer's
//! printer) as [`Event`]s, decisions and questions. Failures are `anyhow` errors with
//! context (the command layer makes them exit code 2); a denial is a [`GateResult`].
//! `upgrade --to` follows a planned route hop by hop ([`route`]).

pub mod route;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::approval;
use crate::audit::{self, AuditLog, AuditResult, Entry};
use crate::check::{judge, LoadedSnapshot};
use crate::collect::attest::Attestation;
use crate::collect::system_upgrade::{self, Poll, Probe, StartOutcome, UpgradeClient, UpgradeState, UpgradeStatus};
use crate::collect::{self, CollectOptions, CollectError, CredentialSource, Credentials, SiteSpec};
use crate::findings::{Decision, Verdict};
use crate::meshstep::{self, CommandBase};
use crate::plan::{self, FailOn, Phase, Plan};
use crate::policy::{sha256_hex, PolicySet};
use crate::route::Route;
use crate::snapshot::Snapshot;
use crate::version::HcxVersion;

/// How an `upgrade`, `upgrade --to` or `verify` run ended (the command layer maps it to
/// an exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateResult {
    /// Allowed (and, for an upgrade, done and verified; or a dry run, or the gate alone).
    Allowed,
    /// Denied by policy: nothing was sent to HCX (or verify found problems).
    Denied,
    /// Could not be done or could not be decided.
    Failed,
}

/// Who hears what a run does: the command layer's printer.
pub trait Reporter {
    /// Something happened (progress, a manager's end, the run's conclusion).
    fn event(&self, event: Event);
    /// A judgement (the gate, the verify), to render in the run's format.
    fn decision(&self, decision: &Decision, snapshot: &Snapshot, policies: &PolicySet) -> io::Result<()>;
    /// The route `upgrade --to` follows.
    fn route(&self, route: &Route) -> io::Result<()>;
    /// Ask the operator to confirm; `None`: nobody can be asked (not a terminal).
    fn confirm(&self, question: &str) -> Option<io::Result<bool>>;
    /// Whether a collection shows its progress (stderr is a terminal, not `--quiet`).
    fn progress(&self) -> bool;
}

/// What a gated run tells its [`Reporter`] while it works. `Display` is its line.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The managers do not answer (yet): the run waits up to `wait`.
    Waiting { wait: Duration, error: String },
    /// The approved decision still matches the estate collected now.
    ApprovedDecisionMatches(PathBuf),
    /// The gate denied: nothing was sent to HCX.
    Denied,
    /// The gate allowed the Service Mesh phase, which no public API starts: the steps.
    MeshByHand(String),
    /// The managers that will be upgraded (the plan, as the audit log keeps it).
    Plan(String),
    /// The operator did not confirm: nothing was sent.
    Cancelled,
    /// A manager accepted the upgrade.
    Started { site: String, target: String },
    /// A manager does not answer (it reboots).
    Down { site: String, detail: String },
    /// A manager answers again after its reboot.
    Back { site: String, after: Duration },
    /// A manager's upgrade status changed.
    Status { site: String, status: UpgradeStatus },
    /// A manager's upgrade did not succeed (the text says why and what to do).
    SiteFailed { site: String, text: String },
    /// A manager was not started because an earlier one did not finish.
    NotStarted { site: String },
    /// Every manager is upgraded: the verify phase follows.
    Verifying,
    /// A dry run's read-only probe of one manager.
    Probed { site: String, text: String },
    /// The dry run's end.
    DryRunDone { all_offered: bool },
    /// The verify allowed.
    Verified { phase: Phase, target: HcxVersion, next: String },
    /// The verify found problems (in the findings).
    VerifyProblems(Phase),
    /// `upgrade --to`: every manager and appliance is on the final version.
    RouteComplete(String),
    /// `upgrade --to --dry-run`: the step the run would take.
    RouteDryRun(String),
    /// `upgrade --to`: the route stops here; what to do by hand (`refused`: the Service
    /// Mesh lags, so no managers hop).
    ByHand { refused: bool, text: String },
    /// `upgrade --to`: the live estate denies the hop.
    HopDenied { index: usize, to: String },
    /// `upgrade --to`: the hop's managers are upgraded now.
    HopStarting { index: usize, to: String },
    /// `upgrade --to`: the hop's managers are done; the Service Mesh steps follow by hand.
    HopDone { index: usize, to: String, next: String },
}

impl Event {
    /// Progress (hidden by `--quiet`), as opposed to a failure or the run's conclusion.
    pub fn is_progress(&self) -> bool {
        matches!(
            self,
            Event::Waiting { .. }
                | Event::ApprovedDecisionMatches(_)
                | Event::Plan(_)
                | Event::Started { .. }
                | Event::Down { .. }
                | Event::Back { .. }
                | Event::Status { .. }
                | Event::Verifying
                | Event::Probed { .. }
                | Event::HopStarting { .. }
        )
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Waiting { wait, error } => {
                write!(f, "waiting up to {} for the managers to answer: {error}", humantime::format_duration(*wait))
            }
            Event::ApprovedDecisionMatches(path) => {
                write!(f, "the approved decision {} matches the estate collected now", path.display())
            }
            Event::Denied => f.write_str("denied: no change was sent to HCX"),
            Event::MeshByHand(steps) => {
                write!(f, "allowed: no public API starts the Service Mesh upgrade, so hcx-preflight does not:\n{steps}")
            }
            Event::Plan(text) => f.write_str(text.trim_end()),
            Event::Cancelled => f.write_str("cancelled: nothing was sent to HCX"),
            Event::Started { site, target } => write!(f, "{site}: upgrade to {target} started"),
            Event::Down { site, detail } => write!(f, "{site}: the manager is down (rebooting): {detail}"),
            Event::Back { site, after } => write!(f, "{site}: the manager is back after {}s", after.as_secs()),
            Event::Status { site, status } => {
                let tasks: Vec<String> = status.sub_tasks.iter().map(|t| format!("{} {}", t.state, t.status)).collect();
                let percent = status.progress.map(|p| format!(" {p}%")).unwrap_or_default();
                write!(f, "{site}: {}{percent} {}", status.status, tasks.join(", "))
            }
            Event::SiteFailed { site, text } => write!(f, "{site}: {text}"),
            Event::NotStarted { site } => {
                write!(f, "{site}: not started, because an earlier manager did not finish its upgrade")
            }
            Event::Verifying => f.write_str("\nverifying (phase verify) ..."),
            Event::Probed { text, .. } => f.write_str(text),
            Event::DryRunDone { all_offered } => write!(
                f,
                "dry run: nothing was sent to HCX; the real run would {}",
                if *all_offered { "start the upgrade" } else { "exit 2 (see above)" }
            ),
            Event::Verified { phase: Phase::VerifyMesh, target, .. } => write!(
                f,
                "verified: every Service Mesh appliance is on its manager's version {target} with its tunnel up: \
                 the upgrade to {target} is complete."
            ),
            Event::Verified { target, next, .. } => write!(
                f,
                "verified: the managers report {target} with healthy registered systems and site pairs.\n{next}"
            ),
            Event::VerifyProblems(phase) => write!(f, "verify ({}) found problems: see the findings above", phase.as_str()),
            Event::RouteComplete(version) => {
                write!(f, "the route is complete: every manager and appliance is on {version}")
            }
            Event::RouteDryRun(next) => write!(f, "dry run: nothing was sent to HCX; the next step would be {next}"),
            Event::ByHand { refused: true, text } => {
                write!(f, "refused: no managers hop while the Service Mesh lags its managers; {text}")
            }
            Event::ByHand { text, .. } => f.write_str(text),
            Event::HopDenied { index, to } => write!(
                f,
                "denied: hop {index} to {to} is blocked (see its gate above); no change was sent to HCX"
            ),
            Event::HopStarting { index, to } => write!(f, "hop {index} of the route: upgrading the managers to {to}"),
            Event::HopDone { index, to, next } => write!(
                f,
                "\nhop {index} managers are on {to}. Next, by hand (no public API starts the Service Mesh upgrade):\n{next}"
            ),
        }
    }
}

/// What `upgrade` and `verify` share: where, what to, how to judge, the log.
pub struct GateOptions {
    pub collect: CollectOptions,
    pub target: HcxVersion,
    pub fail_on: FailOn,
    pub policies: PolicySet,
    /// How often to poll a status or try a manager again.
    pub poll_interval: Duration,
    pub audit: AuditLog,
    /// The policy options as given (`--policy-dir`, `--config`), for the commands we print.
    pub policy_words: Vec<String>,
}

impl GateOptions {
    /// The base of the follow-up commands printed for this run.
    fn commands(&self) -> CommandBase<'_> {
        CommandBase {
            collect: &self.collect,
            target: &self.target,
            policy_words: &self.policy_words,
        }
    }
}

/// Everything `upgrade` needs.
pub struct UpgradeOptions {
    pub gate: GateOptions,
    pub phase: Phase,
    pub dry_run: bool,
    pub yes: bool,
    pub parallel: bool,
    pub decision: Option<PathBuf>,
    /// The snapshot the approved decision was judged on, to name the changed facts.
    pub decision_snapshot: Option<PathBuf>,
    pub decision_max_age: Duration,
    pub return_timeout: Duration,
    pub upgrade_timeout: Duration,
}

/// Everything `verify` needs.
pub struct VerifyOptions {
    pub gate: GateOptions,
    /// `Verify` (after the managers) or `VerifyMesh` (after the Service Mesh).
    pub phase: Phase,
    /// How long to wait for the managers to answer (0: try once).
    pub wait: Duration,
}

/// What a run holds from its start: the async runtime, the collector's arguments (stdin
/// already read) and the credentials, resolved once for the run's collections and logins.
pub(crate) struct Session<'a> {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) args: CollectOptions,
    pub(crate) creds: Credentials,
    pub(crate) reporter: &'a dyn Reporter,
}

impl<'a> Session<'a> {
    /// Resolve the credentials of `args` from `src` (once) and start the runtime.
    pub(crate) fn start(args: &CollectOptions, src: &dyn CredentialSource, reporter: &'a dyn Reporter) -> Result<Self> {
        let creds = Credentials::resolve(args, src)?;
        let mut args = args.clone();
        args.password_stdin = false;
        Ok(Session {
            rt: collect::runtime()?,
            args,
            creds,
            reporter,
        })
    }

    /// Collect once with the run's credentials.
    pub(crate) fn collect(&self, args: &CollectOptions) -> Result<Snapshot, CollectError> {
        self.rt.block_on(collect::collect_resolved(args, self.reporter.progress(), &self.creds))
    }

    /// Collect, retrying while a manager does not answer (rebooting) until `wait` has passed.
    /// A non-zero `wait` bounds the whole collection, each attempt included (its HTTP timeouts
    /// and retries would otherwise run past it); zero tries once.
    fn collect_waiting(&self, args: &CollectOptions, wait: Duration, poll: Duration) -> Result<Snapshot> {
        let deadline = Instant::now() + wait;
        let mut said = false;
        loop {
            let attempt = collect::collect_resolved(args, self.reporter.progress(), &self.creds);
            let result = if wait.is_zero() {
                self.rt.block_on(attempt)
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.rt.block_on(async { tokio::time::timeout(left, attempt).await }) {
                    Ok(r) => r,
                    Err(_) => bail!(
                        "the managers did not answer within {} (the wait bounds the whole verification)",
                        humantime::format_duration(wait)
                    ),
                }
            };
            match result {
                Ok(s) => return Ok(s),
                Err(e @ (CollectError::Unreachable { .. } | CollectError::Login { .. })) if Instant::now() < deadline => {
                    if !said {
                        self.reporter.event(Event::Waiting { wait, error: e.to_string() });
                        said = true;
                    }
                    std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
                    if Instant::now() >= deadline {
                        return Err(anyhow::Error::from(e)
                            .context(format!("the managers did not answer within {}", humantime::format_duration(wait))));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The attestations a snapshot was judged with, as stated then: the verify after an
/// upgrade applies them with their time and the version they were made on, so that the
/// policies see they no longer hold for the upgraded manager (and say how to attest again).
fn pinned_attestations(snapshot: &Snapshot) -> Vec<Attestation> {
    snapshot
        .attestations
        .iter()
        .map(|r| Attestation {
            site: r.site.clone(),
            fact: r.fact.clone(),
            value: serde_json::Value::String(r.value.clone()),
            by: Some(r.by.clone()),
            evidence: Some(r.evidence.clone()),
            at: r.attested_at,
            on_version: snapshot
                .sites
                .iter()
                .find(|s| s.name == r.site)
                .and_then(|s| s.manager.version.as_ref())
                .map(|v| v.to_string()),
        })
        .collect()
}

/// What the operator does where a release has no System Upgrade API.
fn not_offered_text(code: u16) -> String {
    format!(
        "this release does not offer the System Upgrade API (HTTP {code}); upgrade it in the HCX Manager UI: \
         Administration > System Updates > Check for Updates, then Upgrade"
    )
}

fn decision_digest(d: &Decision) -> String {
    sha256_hex(&serde_json::to_vec(d).unwrap_or_default())
}

/// One run's audit context: each `record` appends one line.
pub(crate) struct Audit<'a> {
    pub(crate) log: &'a AuditLog,
    pub(crate) command: &'static str,
    pub(crate) target: String,
    pub(crate) phase: &'static str,
    pub(crate) decision: Option<&'a Decision>,
}

impl Audit<'_> {
    pub(crate) fn record(&self, site: Option<&str>, result: AuditResult, message: Option<String>) -> Result<()> {
        let entry = Entry {
            at: plan::format_time(&plan::now()),
            who: audit::who(),
            command: self.command.into(),
            site: site.map(str::to_string),
            target: self.target.clone(),
            phase: self.phase.into(),
            decision: self.decision.map(Decision::verdict),
            decision_sha256: self.decision.map(decision_digest),
            result,
            message,
        };
        self.log
            .append(&entry)
            .with_context(|| format!("cannot append to the audit log {}", self.log.path().display()))
    }

    /// Pass `r` through; an error (a manager that cannot be reached, a policy that does
    /// not evaluate, no confirmation, ...) gets its line first, as `result`: a step that
    /// failed or was refused is on the record too.
    pub(crate) fn on_error<T, E: Into<anyhow::Error>>(&self, result: AuditResult, r: std::result::Result<T, E>) -> Result<T> {
        let r = r.map_err(Into::into);
        // An invalid command line (no --site, ...) is not a step: nothing was tried.
        let invalid = |e: &anyhow::Error| matches!(e.downcast_ref::<CollectError>(), Some(CollectError::Site(_)));
        if let Err(e) = &r {
            if !invalid(e) {
                self.record(None, result, Some(format!("{e:#}")))?;
            }
        }
        r
    }
}

/// What happened to one manager's upgrade.
enum SiteResult {
    Success(UpgradeStatus),
    Failed(UpgradeStatus),
    NotOffered(u16),
    NotBack(Duration),
    TimedOut,
    Error(String),
}

impl SiteResult {
    /// The audit result, and the text for the operator and the log.
    fn describe(&self, o: &UpgradeOptions) -> (AuditResult, Option<String>) {
        match self {
            SiteResult::Success(s) => (AuditResult::Success, s.current_version.as_ref().map(|v| format!("current version {v}"))),
            SiteResult::Failed(s) => {
                let failed: Vec<String> = s
                    .failed_sub_tasks()
                    .iter()
                    .map(|t| format!("{} {}{}", t.state, t.status, t.message.as_ref().map(|m| format!(": {m}")).unwrap_or_default()))
                    .collect();
                let text = format!(
                    "the upgrade FAILED: {}{}",
                    s.message.clone().unwrap_or_default(),
                    if failed.is_empty() { String::new() } else { format!(" (subtask {})", failed.join("; ")) }
                );
                (AuditResult::Failed, Some(text))
            }
            SiteResult::NotOffered(code) => (AuditResult::NotOffered, Some(not_offered_text(*code))),
            SiteResult::NotBack(waited) => (
                AuditResult::NotBack,
                Some(format!(
                    "the manager did not return within {} after going down ({}s): the procedure says to contact VMware Support",
                    humantime::format_duration(o.return_timeout),
                    waited.as_secs()
                )),
            ),
            SiteResult::TimedOut => (
                AuditResult::TimedOut,
                Some(format!("the upgrade did not finish within {}", humantime::format_duration(o.upgrade_timeout))),
            ),
            SiteResult::Error(e) => (AuditResult::Error, Some(e.clone())),
        }
    }
}

/// Start one manager's upgrade and follow it down, back up and to its end.
async fn upgrade_one(c: &UpgradeClient, target: &str, o: &UpgradeOptions, reporter: &dyn Reporter) -> SiteResult {
    let site = || c.site.clone();
    match c.start(target).await {
        Ok(StartOutcome::Started) => reporter.event(Event::Started { site: site(), target: target.into() }),
        Ok(StartOutcome::NotOffered(code)) => return SiteResult::NotOffered(code),
        Err(e) => return SiteResult::Error(e.to_string()),
    }
    let started = Instant::now();
    let mut down_since: Option<Instant> = None;
    let mut last: Option<UpgradeStatus> = None;
    loop {
        tokio::time::sleep(o.gate.poll_interval).await;
        match c.status().await {
            Ok(Poll::Down(detail)) => {
                let since = *down_since.get_or_insert_with(|| {
                    reporter.event(Event::Down { site: site(), detail });
                    Instant::now()
                });
                if since.elapsed() > o.return_timeout {
                    return SiteResult::NotBack(since.elapsed());
                }
            }
            Ok(Poll::Status(s)) => {
                if let Some(since) = down_since.take() {
                    reporter.event(Event::Back { site: site(), after: since.elapsed() });
                }
                if last.as_ref() != Some(&s) {
                    reporter.event(Event::Status { site: site(), status: s.clone() });
                    last = Some(s.clone());
                }
                match s.status {
                    UpgradeState::Success => return SiteResult::Success(s),
                    UpgradeState::Failed => return SiteResult::Failed(s),
                    _ => {}
                }
            }
            Err(e) => return SiteResult::Error(e.to_string()),
        }
        if started.elapsed() > o.upgrade_timeout {
            return SiteResult::TimedOut;
        }
    }
}

/// `hcx-preflight upgrade` (credentials from `src`, asked for at most once).
pub fn run_upgrade(o: &UpgradeOptions, src: &dyn CredentialSource, reporter: &dyn Reporter) -> Result<GateResult> {
    let session = Session::start(&o.gate.collect, src, reporter)?;
    run_upgrade_with(o, &session)
}

/// `upgrade` in a started session: `upgrade --to` runs it for one hop of a route.
pub(crate) fn run_upgrade_with(o: &UpgradeOptions, session: &Session) -> Result<GateResult> {
    let g = &o.gate;
    let reporter = session.reporter;
    // 1. Collect and judge the live estate (a failure is on the record, before any decision).
    let before = Audit {
        log: &g.audit,
        command: "upgrade",
        target: g.target.to_string(),
        phase: o.phase.as_str(),
        decision: None,
    };
    let snapshot = before.on_error(AuditResult::Failed, session.collect(&session.args))?;
    let plan = Plan {
        target_version: g.target.clone(),
        phase: o.phase,
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
    };
    let judged = judge(&LoadedSnapshot::from_snapshot(snapshot.clone()), &plan, &g.policies);
    let decision = before.on_error(AuditResult::Failed, judged)?;
    reporter.decision(&decision, &snapshot, &g.policies)?;
    let audit = Audit {
        log: &g.audit,
        command: "upgrade",
        target: g.target.to_string(),
        phase: o.phase.as_str(),
        decision: Some(&decision),
    };
    // 2. The approved decision, when given, must still match it.
    if let Some(path) = &o.decision {
        let approved = approved_snapshot(o, path)?;
        let facts = approval::Facts {
            current: &snapshot,
            approved: approved.as_ref(),
        };
        check_approved(path, &decision, facts, plan.evaluated_at, o.decision_max_age, &audit)?;
        reporter.event(Event::ApprovedDecisionMatches(path.clone()));
    }
    // 3. The gate.
    if decision.verdict() == Verdict::Deny {
        for site in &snapshot.sites {
            audit.record(Some(&site.name), AuditResult::Denied, None)?;
        }
        reporter.event(Event::Denied);
        return Ok(GateResult::Denied);
    }
    if o.phase != Phase::Managers {
        audit.record(None, AuditResult::Allowed, Some("gate only: no public API upgrades the Service Mesh".into()))?;
        reporter.event(Event::MeshByHand(meshstep::update_then_verify(&snapshot, &g.commands())));
        return Ok(GateResult::Allowed);
    }
    // 4. The plan: the managers below the target, in the order given.
    let todo = below_target(&g.collect.sites, &snapshot, &g.target);
    if todo.is_empty() {
        let why = format!("no manager is below the target {}; nothing to upgrade", g.target);
        audit.record(None, AuditResult::Refused, Some(why.clone()))?;
        bail!(why);
    }
    let plan_text = plan_text(&todo, &snapshot, &g.target, o.parallel);
    reporter.event(Event::Plan(plan_text.clone()));
    if o.dry_run {
        return dry_run(session, &todo, &audit, plan_text);
    }
    // 5. Confirmation, then the upgrade of each manager.
    if !o.yes && !audit.on_error(AuditResult::Refused, confirmed(reporter, todo.len(), &g.target))? {
        audit.record(None, AuditResult::Cancelled, None)?;
        reporter.event(Event::Cancelled);
        return Ok(GateResult::Failed);
    }
    if !upgrade_managers(o, session, &todo, &audit)? {
        return Ok(GateResult::Failed);
    }
    // 6. The verify. The attestations given for the gate were stated before the upgrade:
    // pinned to that time and version, never restated by the verify.
    reporter.event(Event::Verifying);
    let pinned = pinned_attestations(&snapshot);
    let mut verify_args = session.args.clone();
    verify_args.attest.clear();
    verify_args.attestations = None;
    verify_now(session, &verify_args, &pinned, g, o.return_timeout, Phase::Verify, "upgrade")
}

/// The snapshot an approved decision was judged on, to name the facts that changed:
/// `--decision-snapshot FILE`, else the path its record rests on when that file exists.
fn approved_snapshot(o: &UpgradeOptions, path: &std::path::Path) -> Result<Option<Snapshot>> {
    let recorded = approval::load(path)
        .ok()
        .and_then(|d| d.rests_on)
        .and_then(|r| r.snapshot.path)
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    match o.decision_snapshot.clone().or(recorded) {
        Some(p) => Ok(Some(
            Snapshot::load(&p).with_context(|| format!("cannot read the approved snapshot {}", p.display()))?,
        )),
        None => Ok(None),
    }
}

fn check_approved(
    path: &std::path::Path,
    decision: &Decision,
    facts: approval::Facts<'_>,
    now: chrono::DateTime<chrono::Utc>,
    max_age: Duration,
    audit: &Audit,
) -> Result<()> {
    let approved = approval::load(path)?;
    let max_age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    if let Err(e) = approval::verify(&approved, decision, facts, now, max_age, path) {
        audit.record(None, AuditResult::DecisionRefused, Some(e.to_string()))?;
        return Err(e.into());
    }
    Ok(())
}

/// The sites whose manager is below `target`, in the order given.
fn below_target(sites: &[SiteSpec], snapshot: &Snapshot, target: &HcxVersion) -> Vec<SiteSpec> {
    sites
        .iter()
        .filter(|spec| {
            snapshot
                .sites
                .iter()
                .find(|s| s.name == spec.name)
                .and_then(|s| s.manager.version.as_ref())
                .is_some_and(|v| v < target)
        })
        .cloned()
        .collect()
}

fn plan_text(todo: &[SiteSpec], snapshot: &Snapshot, target: &HcxVersion, parallel: bool) -> String {
    let mut text = format!("\nupgrade plan ({}):\n", if parallel { "in parallel" } else { "one after the other" });
    for spec in todo {
        let site = snapshot.sites.iter().find(|s| s.name == spec.name);
        let current = site.and_then(|s| s.manager.version.as_ref()).map(|v| v.to_string()).unwrap_or_default();
        let fqdn = site.and_then(|s| s.manager.fqdn.clone()).unwrap_or_else(|| spec.url.to_string());
        text.push_str(&format!("  {}: {fqdn} {current} -> {target} via {}\n", spec.name, spec.admin_url));
    }
    text
}

/// Whether the operator confirms the upgrade; an error where nobody can be asked.
fn confirmed(reporter: &dyn Reporter, managers: usize, target: &HcxVersion) -> Result<bool> {
    match reporter.confirm(&format!("Start the upgrade of {managers} manager(s) to {target}? [y/N] ")) {
        None => bail!("refusing to start an upgrade without confirmation: run it on a terminal, or pass --yes"),
        Some(answer) => Ok(answer.context("cannot read the confirmation")?),
    }
}

/// Upgrade the managers of `todo` (together with `--parallel`, else one after the other,
/// stopping at the first that does not succeed); every end is reported and logged.
/// `true` when every manager succeeded.
fn upgrade_managers(o: &UpgradeOptions, session: &Session, todo: &[SiteSpec], audit: &Audit) -> Result<bool> {
    let reporter = session.reporter;
    let mut upgrade_args = session.args.clone();
    upgrade_args.sites = todo.to_vec();
    let clients = session.rt.block_on(system_upgrade::connect(&upgrade_args, &session.creds))?;
    let target = o.gate.target.to_string();
    let results: Vec<SiteResult> = if o.parallel {
        session
            .rt
            .block_on(futures::future::join_all(clients.iter().map(|c| upgrade_one(c, &target, o, reporter))))
    } else {
        let mut out = Vec::new();
        for c in &clients {
            let r = session.rt.block_on(upgrade_one(c, &target, o, reporter));
            let stop = !matches!(r, SiteResult::Success(_));
            out.push(r);
            if stop {
                break; // do not upgrade the peer when one manager did not make it
            }
        }
        out
    };
    let mut all_ok = results.len() == clients.len();
    for (c, r) in clients.iter().zip(&results) {
        let (result, message) = r.describe(o);
        if result != AuditResult::Success {
            all_ok = false;
            reporter.event(Event::SiteFailed {
                site: c.site.clone(),
                text: message.clone().unwrap_or_default(),
            });
        }
        audit.record(Some(&c.site), result, message)?;
    }
    for c in clients.iter().skip(results.len()) {
        audit.record(Some(&c.site), AuditResult::NotStarted, Some("an earlier manager did not finish its upgrade".into()))?;
        reporter.event(Event::NotStarted { site: c.site.clone() });
    }
    Ok(all_ok)
}

/// The dry run: probe, read-only, what the real run would call on each manager, and end
/// as the real run would (exit 2 where a manager cannot be upgraded by the API).
fn dry_run(session: &Session, todo: &[SiteSpec], audit: &Audit, plan_text: String) -> Result<GateResult> {
    let mut probe_args = session.args.clone();
    probe_args.sites = todo.to_vec();
    let clients = match session.rt.block_on(system_upgrade::connect(&probe_args, &session.creds)) {
        Ok(c) => c,
        Err(e) => {
            audit.record(None, AuditResult::DryRun, Some(format!("{}\nthe real run would fail: {e}", plan_text.trim())))?;
            return Err(anyhow::Error::from(e).context("dry run: the real run could not connect to appliance management"));
        }
    };
    let mut lines = Vec::new();
    let mut all_offered = true;
    for c in &clients {
        let line = match session.rt.block_on(c.probe()) {
            Ok(Probe::Offered(status)) => format!(
                "{}: the System Upgrade API answers (status {status}): the real run would start the upgrade",
                c.site
            ),
            Ok(Probe::NotOffered(code)) => {
                all_offered = false;
                format!("{}: {}; the real run would not upgrade it and would exit 2", c.site, not_offered_text(code))
            }
            Err(e) => {
                all_offered = false;
                format!("{}: {e}; the real run would exit 2", c.site)
            }
        };
        session.reporter.event(Event::Probed { site: c.site.clone(), text: line.clone() });
        lines.push(line);
    }
    audit.record(None, AuditResult::DryRun, Some(format!("{}\n{}", plan_text.trim(), lines.join("\n"))))?;
    session.reporter.event(Event::DryRunDone { all_offered });
    Ok(if all_offered { GateResult::Allowed } else { GateResult::Failed })
}

fn verify_now(
    session: &Session,
    args: &CollectOptions,
    pinned: &[Attestation],
    g: &GateOptions,
    wait: Duration,
    phase: Phase,
    command: &'static str,
) -> Result<GateResult> {
    let target = &g.target;
    // A failure before the decision (a manager that cannot be reached) is on the record too.
    let before = Audit {
        log: &g.audit,
        command,
        target: target.to_string(),
        phase: phase.as_str(),
        decision: None,
    };
    let mut snapshot = before.on_error(AuditResult::Failed, session.collect_waiting(args, wait, g.poll_interval))?;
    if !pinned.is_empty() {
        before.on_error(AuditResult::Failed, collect::attest::apply(&mut snapshot, pinned, plan::now()))?;
        snapshot.normalize();
    }
    let plan = Plan {
        target_version: target.clone(),
        phase,
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
    };
    let judged = judge(&LoadedSnapshot::from_snapshot(snapshot.clone()), &plan, &g.policies);
    let decision = before.on_error(AuditResult::Failed, judged)?;
    session.reporter.decision(&decision, &snapshot, &g.policies)?;
    let audit = Audit {
        log: &g.audit,
        command,
        target: target.to_string(),
        phase: phase.as_str(),
        decision: Some(&decision),
    };
    let allowed = decision.verdict() == Verdict::Allow;
    for site in &snapshot.sites {
        audit.record(Some(&site.name), if allowed { AuditResult::Verified } else { AuditResult::VerifyDenied }, None)?;
    }
    session.reporter.event(if allowed {
        Event::Verified {
            phase,
            target: target.clone(),
            next: meshstep::after_managers(&snapshot, &g.commands()),
        }
    } else {
        Event::VerifyProblems(phase)
    });
    Ok(if allowed { GateResult::Allowed } else { GateResult::Denied })
}

/// `hcx-preflight verify` (credentials from `src`).
pub fn run_verify(o: &VerifyOptions, src: &dyn CredentialSource, reporter: &dyn Reporter) -> Result<GateResult> {
    let session = Session::start(&o.gate.collect, src, reporter)?;
    verify_now(&session, &session.args, &[], &o.gate, o.wait, o.phase, "verify")
}

/// Parse a duration such as `300s`, `5m` or `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration such as 300s or 5m: {e}"))
}
