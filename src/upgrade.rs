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
//! Failures are `anyhow` errors with context (the command layer makes them exit code 2);
//! a denial is a [`GateResult`], not an error.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::approval;
use crate::audit::{self, AuditLog, Entry};
use crate::check::{judge, LoadedSnapshot};
use crate::collect::attest::Attestation;
use crate::collect::system_upgrade::{self, Poll, Probe, StartOutcome, UpgradeClient, UpgradeStatus};
use crate::collect::{self, CollectArgs, CollectError};
use crate::findings::{Decision, Verdict};
use crate::meshstep::{self, CommandBase};
use crate::plan::{self, FailOn, Phase, Plan};
use crate::policy::{sha256_hex, PolicySet};
use crate::report::{self, Format, RenderOptions, ReportContext};
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

/// What `upgrade` and `verify` share: where, what to, how to judge and report, the log.
pub struct GateOptions {
    pub collect: CollectArgs,
    pub target: HcxVersion,
    pub fail_on: FailOn,
    pub policies: PolicySet,
    pub format: Format,
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

/// Credentials resolved once for the whole run (the run collects twice): the `HCX_*`
/// environment, the `--password-stdin` line, and prompts on a terminal.
pub(crate) fn credentials(args: &CollectArgs) -> Result<BTreeMap<String, String>> {
    let mut map: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("HCX_")).collect();
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            bail!("--password-stdin: stdin gave an empty password");
        }
        map.insert("HCX_PASSWORD".into(), line);
    }
    if std::io::stdin().is_terminal() {
        let asks = [
            ("HCX_PASSWORD", "HCX Manager password (vSphere SSO user HCX_USERNAME): "),
            ("HCX_ADMIN_PASSWORD", "Appliance management password (user HCX_ADMIN_USERNAME, default admin): "),
        ];
        for (var, question) in asks {
            let per_site = args.sites.iter().all(|s| {
                let key = var.replacen("HCX_", &format!("HCX_{}_", collect::env_site_name(&s.name)), 1);
                map.contains_key(&key)
            });
            if !map.contains_key(var) && !per_site {
                let v = rpassword::prompt_password(question).context("cannot read a password from the terminal")?;
                map.insert(var.into(), v);
            }
        }
    }
    Ok(map)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Collect, retrying while a manager does not answer (rebooting) until `wait` has passed.
/// A non-zero `wait` bounds the whole collection, each attempt included (its HTTP timeouts
/// and retries would otherwise run past it); zero tries once.
fn collect_waiting(
    rt: &tokio::runtime::Runtime,
    args: &CollectArgs,
    creds: &BTreeMap<String, String>,
    wait: Duration,
    poll: Duration,
) -> Result<Snapshot> {
    let deadline = Instant::now() + wait;
    let mut said = false;
    loop {
        let attempt = collect::collect_with(args, std::io::stderr().is_terminal(), creds);
        let result = if wait.is_zero() {
            rt.block_on(attempt)
        } else {
            let left = deadline.saturating_duration_since(Instant::now());
            match rt.block_on(async { tokio::time::timeout(left, attempt).await }) {
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
                    eprintln!("waiting up to {} for the managers to answer: {e}", humantime::format_duration(wait));
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

pub(crate) fn render(decision: &Decision, snapshot: &Snapshot, policies: &PolicySet, format: Format) -> Result<()> {
    let ctx = ReportContext::new(policies, snapshot, None);
    let mut buf = Vec::new();
    report::render(decision, format, RenderOptions { color: report::stdout_wants_color() }, &ctx, &mut buf)?;
    write_stdout(&buf)
}

/// The reports go to stdout; an error writing them (a closed pipe too) is returned.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush())?;
    Ok(())
}

fn decision_digest(d: &Decision) -> String {
    sha256_hex(&serde_json::to_vec(d).unwrap_or_default())
}

/// The snapshot an approved decision was judged on, to name the facts that changed:
/// `--decision-snapshot FILE`, else the path its record rests on when that file exists.
fn approved_snapshot(o: &UpgradeOptions, approved: &Decision) -> Result<Option<Snapshot>> {
    let recorded = approved
        .rests_on
        .as_ref()
        .and_then(|r| r.snapshot.path.as_deref())
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    match o.decision_snapshot.clone().or(recorded) {
        Some(p) => Ok(Some(Snapshot::load(&p).with_context(|| format!("cannot read the approved snapshot {}", p.display()))?)),
        None => Ok(None),
    }
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
    pub(crate) fn record(&self, site: Option<&str>, result: &str, message: Option<String>) -> Result<()> {
        let entry = Entry {
            at: plan::format_time(&plan::now()),
            who: audit::who(),
            command: self.command.into(),
            site: site.map(str::to_string),
            target: self.target.clone(),
            phase: self.phase.into(),
            decision: self.decision.map(|d| match d.decision {
                Verdict::Allow => "allow".to_string(),
                Verdict::Deny => "deny".to_string(),
            }),
            decision_sha256: self.decision.map(decision_digest),
            result: result.into(),
            message,
        };
        self.log
            .append(&entry)
            .with_context(|| format!("cannot append to the audit log {}", self.log.path().display()))
    }

    /// Pass `r` through; an error (a manager that cannot be reached, a policy that does
    /// not evaluate, ...) gets its line first: a step that failed is on the record too.
    pub(crate) fn on_error<T>(&self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            self.record(None, "failed", Some(format!("{e:#}")))?;
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

async fn upgrade_one(c: &UpgradeClient, target: &str, o: &UpgradeOptions) -> SiteResult {
    match c.start(target).await {
        Ok(StartOutcome::Started) => eprintln!("{}: upgrade to {target} started", c.site),
        Ok(StartOutcome::NotOffered(code)) => return SiteResult::NotOffered(code),
        Err(e) => return SiteResult::Error(e.to_string()),
    }
    let started = Instant::now();
    let mut down_since: Option<Instant> = None;
    let mut last = String::new();
    loop {
        tokio::time::sleep(o.gate.poll_interval).await;
        match c.status().await {
            Ok(Poll::Down(detail)) => {
                let since = *down_since.get_or_insert_with(|| {
                    eprintln!("{}: the manager is down (rebooting): {detail}", c.site);
                    Instant::now()
                });
                if since.elapsed() > o.return_timeout {
                    return SiteResult::NotBack(since.elapsed());
                }
            }
            Ok(Poll::Status(s)) => {
                if let Some(since) = down_since.take() {
                    eprintln!("{}: the manager is back after {}s", c.site, since.elapsed().as_secs());
                }
                let tasks: Vec<String> = s.sub_tasks.iter().map(|t| format!("{} {}", t.state, t.status)).collect();
                let line = format!(
                    "{}: {}{} {}",
                    c.site,
                    s.status,
                    s.progress.map(|p| format!(" {p}%")).unwrap_or_default(),
                    tasks.join(", ")
                );
                if line != last {
                    eprintln!("{line}");
                    last = line;
                }
                match s.status.as_str() {
                    "SUCCESS" => return SiteResult::Success(s),
                    "FAILED" => return SiteResult::Failed(s),
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

/// `hcx-preflight upgrade`.
pub fn run_upgrade(o: &UpgradeOptions) -> Result<GateResult> {
    let creds = credentials(&o.gate.collect)?;
    let mut args = o.gate.collect.clone();
    args.password_stdin = false;
    let rt = runtime()?;
    run_upgrade_with(o, &rt, &args, &creds)
}

/// `upgrade` with the runtime, the arguments (stdin already read) and the credentials
/// resolved once: `upgrade --to` runs it for one hop of a route.
pub(crate) fn run_upgrade_with(
    o: &UpgradeOptions,
    rt: &tokio::runtime::Runtime,
    args: &CollectArgs,
    creds: &BTreeMap<String, String>,
) -> Result<GateResult> {
    let g = &o.gate;
    let before = Audit {
        log: &g.audit,
        command: "upgrade",
        target: g.target.to_string(),
        phase: o.phase.as_str(),
        decision: None,
    };
    let collected = rt.block_on(collect::collect_with(args, std::io::stderr().is_terminal(), creds));
    let snapshot = before.on_error(collected.map_err(anyhow::Error::from))?;
    let plan = Plan {
        target_version: g.target.clone(),
        phase: o.phase,
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
    };
    let loaded = LoadedSnapshot::from_snapshot(snapshot.clone());
    let decision = before.on_error(judge(&loaded, &plan, &g.policies).map_err(anyhow::Error::from))?;
    render(&decision, &snapshot, &g.policies, g.format)?;
    let audit = Audit {
        log: &g.audit,
        command: "upgrade",
        target: g.target.to_string(),
        phase: o.phase.as_str(),
        decision: Some(&decision),
    };

    if let Some(path) = &o.decision {
        let approved = approval::load(path)?;
        let max_age = chrono::Duration::from_std(o.decision_max_age).unwrap_or(chrono::Duration::MAX);
        let approved_snapshot = approved_snapshot(o, &approved)?;
        let facts = approval::Facts {
            current: &snapshot,
            approved: approved_snapshot.as_ref(),
        };
        if let Err(e) = approval::verify(&approved, &decision, facts, plan.evaluated_at, max_age, path) {
            audit.record(None, "decision-refused", Some(e.to_string()))?;
            return Err(e.into());
        }
        eprintln!("the approved decision {} matches the estate collected now", path.display());
    }

    if decision.decision == Verdict::Deny {
        for site in &snapshot.sites {
            audit.record(Some(&site.name), "denied", None)?;
        }
        eprintln!("denied: no change was sent to HCX");
        return Ok(GateResult::Denied);
    }

    if o.phase != Phase::Managers {
        audit.record(None, "allowed", Some("gate only: no public API upgrades the Service Mesh".into()))?;
        eprintln!(
            "allowed: no public API starts the Service Mesh upgrade, so hcx-preflight does not:\n{}",
            meshstep::update_then_verify(&snapshot, &g.commands())
        );
        return Ok(GateResult::Allowed);
    }

    // The managers below the target, in the order given.
    let todo: Vec<_> = g
        .collect
        .sites
        .iter()
        .filter(|spec| {
            snapshot
                .sites
                .iter()
                .find(|s| s.name == spec.name)
                .and_then(|s| s.manager.version.as_ref())
                .is_some_and(|v| *v < g.target)
        })
        .cloned()
        .collect();
    let mut plan_text = format!("\nupgrade plan ({}):\n", if o.parallel { "in parallel" } else { "one after the other" });
    for spec in &todo {
        let site = snapshot.sites.iter().find(|s| s.name == spec.name);
        let current = site.and_then(|s| s.manager.version.as_ref()).map(|v| v.to_string()).unwrap_or_default();
        let fqdn = site.and_then(|s| s.manager.fqdn.clone()).unwrap_or_else(|| spec.url.to_string());
        plan_text.push_str(&format!("  {}: {fqdn} {current} -> {} via {}\n", spec.name, g.target, spec.admin_url));
    }
    if todo.is_empty() {
        let why = format!("no manager is below the target {}; nothing to upgrade", g.target);
        audit.record(None, "refused", Some(why.clone()))?;
        bail!(why);
    }
    eprint!("{plan_text}");
    if o.dry_run {
        return dry_run(&rt, &args, &todo, &creds, &audit, plan_text);
    }
    if !o.yes {
        if !std::io::stdin().is_terminal() {
            let why = "refusing to start an upgrade without confirmation: run it on a terminal, or pass --yes";
            audit.record(None, "refused", Some(why.into()))?;
            bail!(why);
        }
        eprint!("Start the upgrade of {} manager(s) to {}? [y/N] ", todo.len(), g.target);
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).context("cannot read the confirmation")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            audit.record(None, "cancelled", None)?;
            eprintln!("cancelled: nothing was sent to HCX");
            return Ok(GateResult::Failed);
        }
    }

    let mut upgrade_args = args.clone();
    upgrade_args.sites = todo.clone();
    let clients = rt.block_on(system_upgrade::connect(&upgrade_args, creds))?;
    let target = g.target.to_string();
    let results: Vec<SiteResult> = if o.parallel {
        rt.block_on(futures::future::join_all(clients.iter().map(|c| upgrade_one(c, &target, o))))
    } else {
        let mut out = Vec::new();
        for c in &clients {
            let r = rt.block_on(upgrade_one(c, &target, o));
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
        let (result, message) = match r {
            SiteResult::Success(s) => ("success", s.current_version.as_ref().map(|v| format!("current version {v}"))),
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
                eprintln!("{}: {text}", c.site);
                ("failed", Some(text))
            }
            SiteResult::NotOffered(code) => {
                let text = not_offered_text(*code);
                eprintln!("{}: {text}", c.site);
                ("not-offered", Some(text))
            }
            SiteResult::NotBack(waited) => {
                let text = format!(
                    "the manager did not return within {} after going down ({}s): the procedure says to contact VMware Support",
                    humantime::format_duration(o.return_timeout),
                    waited.as_secs()
                );
                eprintln!("{}: {text}", c.site);
                ("not-back", Some(text))
            }
            SiteResult::TimedOut => {
                let text = format!("the upgrade did not finish within {}", humantime::format_duration(o.upgrade_timeout));
                eprintln!("{}: {text}", c.site);
                ("timed-out", Some(text))
            }
            SiteResult::Error(e) => {
                eprintln!("{}: {e}", c.site);
                ("error", Some(e.clone()))
            }
        };
        all_ok &= result == "success";
        audit.record(Some(&c.site), result, message)?;
    }
    for c in clients.iter().skip(results.len()) {
        audit.record(Some(&c.site), "not-started", Some("an earlier manager did not finish its upgrade".into()))?;
        eprintln!("{}: not started, because an earlier manager did not finish its upgrade", c.site);
    }
    if !all_ok {
        return Ok(GateResult::Failed);
    }

    eprintln!("\nverifying (phase verify) ...");
    // The attestations given for the gate were stated before the upgrade: pinned to that time
    // and version, never restated by the verify.
    let pinned = pinned_attestations(&snapshot);
    let mut verify_args = args.clone();
    verify_args.attest.clear();
    verify_args.attestations = None;
    verify_now(rt, &verify_args, &pinned, creds, g, o.return_timeout, Phase::Verify, "upgrade")
}

/// The dry run: probe, read-only, what the real run would call on each manager, and end
/// as the real run would (exit 2 where a manager cannot be upgraded by the API).
fn dry_run(
    rt: &tokio::runtime::Runtime,
    args: &CollectArgs,
    todo: &[collect::SiteSpec],
    creds: &BTreeMap<String, String>,
    audit: &Audit,
    plan_text: String,
) -> Result<GateResult> {
    let mut probe_args = args.clone();
    probe_args.sites = todo.to_vec();
    let clients = match rt.block_on(system_upgrade::connect(&probe_args, creds)) {
        Ok(c) => c,
        Err(e) => {
            audit.record(None, "dry-run", Some(format!("{}\nthe real run would fail: {e}", plan_text.trim())))?;
            return Err(anyhow::Error::from(e).context("dry run: the real run could not connect to appliance management"));
        }
    };
    let mut lines = Vec::new();
    let mut all_offered = true;
    for c in &clients {
        let line = match rt.block_on(c.probe()) {
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
        eprintln!("{line}");
        lines.push(line);
    }
    let outcome = if all_offered { GateResult::Allowed } else { GateResult::Failed };
    audit.record(None, "dry-run", Some(format!("{}\n{}", plan_text.trim(), lines.join("\n"))))?;
    eprintln!(
        "dry run: nothing was sent to HCX; the real run would {}",
        if all_offered { "start the upgrade" } else { "exit 2 (see above)" }
    );
    Ok(outcome)
}

fn verify_now(
    rt: &tokio::runtime::Runtime,
    args: &CollectArgs,
    pinned: &[Attestation],
    creds: &BTreeMap<String, String>,
    g: &GateOptions,
    wait: Duration,
    phase: Phase,
    command: &'static str,
) -> Result<GateResult> {
    let target = &g.target;
    let before = Audit {
        log: &g.audit,
        command,
        target: target.to_string(),
        phase: phase.as_str(),
        decision: None,
    };
    let mut snapshot = before.on_error(collect_waiting(rt, args, creds, wait, g.poll_interval))?;
    if !pinned.is_empty() {
        before.on_error(collect::attest::apply(&mut snapshot, pinned, plan::now()).map_err(anyhow::Error::from))?;
        snapshot.normalize();
    }
    let plan = Plan {
        target_version: target.clone(),
        phase,
        evaluated_at: plan::now(),
        fail_on: g.fail_on,
    };
    let judged = judge(&LoadedSnapshot::from_snapshot(snapshot.clone()), &plan, &g.policies);
    let decision = before.on_error(judged.map_err(anyhow::Error::from))?;
    render(&decision, &snapshot, &g.policies, g.format)?;
    let audit = Audit {
        log: &g.audit,
        command,
        target: target.to_string(),
        phase: phase.as_str(),
        decision: Some(&decision),
    };
    let allowed = decision.decision == Verdict::Allow;
    for site in &snapshot.sites {
        audit.record(Some(&site.name), if allowed { "verified" } else { "verify-denied" }, None)?;
    }
    match (allowed, phase) {
        (true, Phase::VerifyMesh) => eprintln!(
            "verified: every Service Mesh appliance is on its manager's version {target} with its tunnel up: \
             the upgrade to {target} is complete."
        ),
        (true, _) => eprintln!(
            "verified: the managers report {target} with healthy registered systems and site pairs.\n{}",
            meshstep::after_managers(&snapshot, &g.commands())
        ),
        (false, _) => eprintln!("verify ({}) found problems: see the findings above", phase.as_str()),
    }
    Ok(if allowed { GateResult::Allowed } else { GateResult::Denied })
}

/// `hcx-preflight verify`.
pub fn run_verify(o: &VerifyOptions) -> Result<GateResult> {
    let creds = credentials(&o.gate.collect)?;
    let mut args = o.gate.collect.clone();
    args.password_stdin = false;
    let rt = runtime()?;
    verify_now(&rt, &args, &[], &creds, &o.gate, o.wait, o.phase, "verify")
}

/// Parse a duration such as `300s`, `5m` or `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration such as 300s or 5m: {e}"))
}

/// The default audit log path.
pub fn default_audit_log() -> PathBuf {
    PathBuf::from(audit::DEFAULT_FILE)
}
