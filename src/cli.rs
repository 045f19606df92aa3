//! The command line: argument definitions (clap derive) and the commands that tie
//! the pipeline stages together. Every command returns an [`ExitStatus`]; errors of
//! the tool are `Err` and become exit code 2 in `main`, never "allowed".

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use std::io::IsTerminal;

use crate::check::{judge_traced, EngineUse, LoadedSnapshot};
use crate::collect::{self, CollectArgs};
use crate::snapshot::Snapshot;
use crate::plan::{self, FailOn, Phase, Plan};
use crate::policy::{LoadOptions, PolicySet, ENTRYPOINT};
use crate::report::{self, Format, RenderOptions, ReportContext};
use crate::version::HcxVersion;

/// The process outcome, mapped to an exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: allowed (or a command that succeeded).
    Allowed,
    /// 1: denied by policy (or policy tests failed).
    Denied,
    /// 2: the tool could not decide.
    Error,
}

impl ExitStatus {
    /// The status of an exit code (anything but 0 and 1 is an error).
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => ExitStatus::Allowed,
            1 => ExitStatus::Denied,
            _ => ExitStatus::Error,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Allowed => 0,
            ExitStatus::Denied => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// Policy-as-code pre-flight checks for VMware HCX upgrades.
///
/// Exit codes: 0 allowed, 1 denied by policy, 2 the tool could not decide.
#[derive(Debug, Parser)]
#[command(name = "hcx-preflight", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge a snapshot against a target version and gate the upgrade.
    Check(CheckArgs),
    /// Collect a snapshot from the HCX Managers of a site pair.
    Collect(CollectCmd),
    /// Plan the whole route to a version, hop by hop, every hop gated.
    Plan(PlanCmd),
    /// Gate and start the upgrade of the managers, wait for their return, verify.
    Upgrade(UpgradeCmd),
    /// The checks after an upgrade: of the managers (phase verify, e.g. after an upgrade
    /// done in the UI) or, with --phase mesh, of the Service Mesh (phase verify-mesh).
    Verify(VerifyCmd),
    /// Print the JSON Schema of the snapshot.
    Schema,
    /// Inspect, export and test the policy set.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Work with a fleet inventory (the estates of `collect/check --inventory`).
    #[command(subcommand)]
    Inventory(InventoryCommand),
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Validate an inventory: every problem at once, each with its line.
    ///
    /// Exit codes: 0 valid, 1 problems found (all listed), 2 could not read it.
    Check {
        /// The inventory file (TOML).
        file: PathBuf,
    },
}

/// What fleet mode adds to `collect` and `check`.
#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    /// Fleet: collect at most N estates at a time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Fleet: only the estates tagged KEY=VALUE (repeatable: every key must match,
    /// one of the values of a key given twice).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = crate::inventory::parse_tag)]
    pub tags: Vec<(String, String)>,
}

/// Where the policies come from (shared by `check` and `policy`).
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// An organisation policy directory (Rego modules and data.json/data.yaml files); repeatable.
    #[arg(long = "policy-dir", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,
    /// The organisation config (default: ./hcx-preflight.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Wall-clock limit of one policy evaluation, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub eval_timeout: f64,
    /// Which regorus engine evaluates: the compiled VM where it compiles the set (auto),
    /// the interpreter, or the compiled VM only (an error where it cannot compile).
    #[arg(long, value_enum, default_value = "auto")]
    pub engine: crate::engine::EngineChoice,
}

impl PolicyArgs {
    /// `--policy-dir`/`--config` as given, as words for a printed command.
    pub fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        for dir in &self.policy_dirs {
            words.extend(["--policy-dir".to_string(), dir.display().to_string()]);
        }
        if let Some(config) = &self.config {
            words.extend(["--config".to_string(), config.display().to_string()]);
        }
        words
    }

    pub fn load(&self) -> Result<PolicySet> {
        if !(self.eval_timeout.is_finite() && self.eval_timeout > 0.0) {
            bail!("--eval-timeout must be a positive number of seconds");
        }
        Ok(PolicySet::load(&LoadOptions {
            policy_dirs: self.policy_dirs.clone(),
            config: self.config.clone(),
            discover_config: true,
            timeout: Some(Duration::from_secs_f64(self.eval_timeout)),
            engine: self.engine,
        })?)
    }
}

/// The plan to judge (contract section 2).
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The HCX version to upgrade to (4.10.3, 9.0.0.0).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub target: HcxVersion,
    /// Which phase of the upgrade to judge.
    #[arg(long, value_enum, default_value = "managers")]
    pub phase: Phase,
    /// Evaluation time (RFC 3339), to re-evaluate a past decision exactly; default: now.
    #[arg(long, value_name = "RFC3339", value_parser = plan::parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Which findings deny: `deny` only, or `warn` too.
    #[arg(long, value_enum, default_value = "deny")]
    pub fail_on: FailOn,
}

impl PlanArgs {
    pub fn plan(&self) -> Plan {
        Plan {
            target_version: self.target.clone(),
            phase: self.phase,
            evaluated_at: self.now.unwrap_or_else(plan::now),
            fail_on: self.fail_on,
        }
    }
}

fn parse_version(s: &str) -> Result<HcxVersion, String> {
    HcxVersion::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to judge (or collect one with --site).
    #[arg(long, value_name = "FILE", required_unless_present_any = ["sites", "inventory", "snapshot_dir"], conflicts_with = "sites")]
    pub snapshot: Option<PathBuf>,
    /// Fleet: judge every estate of this inventory (collected now, or read from --snapshot-dir).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshot", "sites", "dump_input"])]
    pub inventory: Option<PathBuf>,
    /// Fleet: judge every snapshot in DIR (as `collect --inventory --out-dir` writes it).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["snapshot", "sites", "dump_input", "out_dir"])]
    pub snapshot_dir: Option<PathBuf>,
    /// Fleet: with --inventory, also write each snapshot and the manifest to DIR.
    #[arg(long, value_name = "DIR", requires = "inventory")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Collect from the HCX Managers (instead of --snapshot).
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Also write the judged snapshot to FILE (atomically): the collected one with --site, or
    /// the --snapshot with the attestations of --attest/--attestations applied.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the exact Rego input document instead of judging.
    #[arg(long)]
    pub dump_input: bool,
    /// Say on stderr which engine evaluated, and why not the compiled VM if it did not.
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct PlanCmd {
    /// The snapshot to plan from (or collect one with --site).
    #[arg(long, value_name = "FILE", required_unless_present = "sites", conflicts_with = "sites")]
    pub snapshot: Option<PathBuf>,
    /// The final HCX version (4.10.3, 9.0.0.0).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub to: HcxVersion,
    /// Evaluation time (RFC 3339) of every judgement; default: now.
    #[arg(long, value_name = "RFC3339", value_parser = plan::parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Which findings deny: `deny` only, or `warn` too.
    #[arg(long, value_enum, default_value = "deny")]
    pub fail_on: FailOn,
    /// Collect from the HCX Managers (instead of --snapshot).
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::route::render::RouteFormat,
    /// Write the route atomically to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct CollectCmd {
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Where to write the snapshot (atomically; nothing is written on error).
    #[arg(long, value_name = "FILE", required_unless_present = "inventory", conflicts_with = "inventory")]
    pub out: Option<PathBuf>,
    /// Fleet: collect every estate of this inventory, one snapshot per estate in --out-dir.
    #[arg(long, value_name = "FILE", requires = "out_dir", conflicts_with = "sites")]
    pub inventory: Option<PathBuf>,
    /// Fleet: where to write `<estate>.json` and the manifest `fleet.json`.
    #[arg(long, value_name = "DIR", requires = "inventory")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// The phases `upgrade` gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpgradePhase {
    /// Upgrade the HCX Managers (System Upgrade API), then verify.
    Managers,
    /// Gate the Service Mesh upgrade (started in the UI: no public API).
    ServiceMesh,
}

/// What `upgrade` and `verify` share.
#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub collect: CollectArgs,
    /// The HCX version to upgrade to (upgrade), or that the managers must report (verify).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub target: Option<HcxVersion>,
    #[arg(long, value_enum, default_value = "deny")]
    pub fail_on: FailOn,
    /// How often to poll the upgrade status, or to try a manager again.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::upgrade::parse_duration)]
    pub poll_interval: Duration,
    /// The audit log (JSON lines, created owner-only).
    #[arg(long, value_name = "FILE", default_value = crate::audit::DEFAULT_FILE)]
    pub audit_log: PathBuf,
    /// Output format of the decisions.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

impl GateArgs {
    /// The options, with the target given (`--to` of `upgrade`, else `--target`).
    fn options(self, verb: &str, to: Option<HcxVersion>) -> Result<crate::upgrade::GateOptions> {
        if self.collect.sites.is_empty() {
            bail!("name the HCX Managers to {verb} with --site NAME=URL");
        }
        let Some(target) = to.or(self.target) else {
            bail!("{verb} needs --target VERSION{}", if verb == "upgrade" { " (one step) or --to VERSION (the whole route)" } else { "" });
        };
        let policy_words = self.policy.words();
        Ok(crate::upgrade::GateOptions {
            policy_words,
            policies: self.policy.load()?,
            collect: self.collect,
            target,
            fail_on: self.fail_on,
            format: self.format,
            poll_interval: self.poll_interval,
            audit: crate::audit::AuditLog::new(&self.audit_log),
        })
    }
}

#[derive(Debug, Args)]
pub struct UpgradeCmd {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Follow the whole route to VERSION hop by hop (see `plan`), resuming from the live
    /// versions; instead of --target.
    #[arg(long, value_name = "VERSION", value_parser = parse_version, conflicts_with_all = ["target", "phase"])]
    pub to: Option<HcxVersion>,
    #[arg(long, value_enum, default_value = "managers")]
    pub phase: UpgradePhase,
    /// Judge and show the plan, send nothing to HCX.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Upgrade site-paired managers at the same time (the procedure allows it).
    #[arg(long)]
    pub parallel: bool,
    /// An approved decision record (check --format json) that must still match the estate.
    #[arg(long, value_name = "FILE")]
    pub decision: Option<PathBuf>,
    /// The oldest an approved decision may be.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::upgrade::parse_duration)]
    pub decision_max_age: Duration,
    /// How long a manager may stay down after its reboot (the procedure: five minutes).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::upgrade::parse_duration)]
    pub return_timeout: Duration,
    /// How long the whole upgrade of one manager may take.
    #[arg(long, value_name = "DURATION", default_value = "90m", value_parser = crate::upgrade::parse_duration)]
    pub upgrade_timeout: Duration,
}

/// What `verify` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyPhase {
    /// After the managers' upgrade (phase verify): the managers on the target, healthy.
    Managers,
    /// After the Service Mesh upgrade (phase verify-mesh): every appliance on its
    /// manager's version, tunnels up.
    Mesh,
}

#[derive(Debug, Args)]
pub struct VerifyCmd {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Which upgrade to verify: the managers', or the Service Mesh's.
    #[arg(long, value_enum, default_value = "managers")]
    pub phase: VerifyPhase,
    /// Wait up to this long for the managers to answer (e.g. 5m after starting an upgrade).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = crate::upgrade::parse_duration)]
    pub wait: Duration,
}

fn outcome(o: crate::upgrade::Outcome) -> ExitStatus {
    match o {
        crate::upgrade::Outcome::Allowed => ExitStatus::Allowed,
        crate::upgrade::Outcome::Denied => ExitStatus::Denied,
        crate::upgrade::Outcome::Failed => ExitStatus::Error,
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List every rule: id, severity, KB, title and the file that emits it.
    List(PolicyArgs),
    /// Explain one rule: when it fires, its severity, KB and remediation.
    Explain {
        /// The rule id (see `policy list`).
        id: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Write the exact policy set that `check` loads as an OPA bundle directory.
    Export {
        /// The directory to write (created if missing).
        dir: PathBuf,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Run the Rego unit tests (`test_*` rules in `*_test.rego`) and report line coverage.
    ///
    /// Exit codes: 0 all passed, 1 a test failed or coverage is under the threshold,
    /// 2 the tests could not run.
    Test {
        /// Organisation policy directories to load and test (added to --policy-dir).
        dirs: Vec<PathBuf>,
        /// Fail when the line coverage of the policies is under PCT percent.
        #[arg(long, value_name = "PCT", value_parser = parse_percent)]
        coverage_threshold: Option<f64>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Write an example organisation policy folder (rule, tests, catalog, params, config).
    Init {
        /// The folder to write; existing files are never overwritten.
        dir: PathBuf,
    },
    /// Check the policy set: it compiles, calls only known functions, and every
    /// emitted finding id is in the catalog.
    ///
    /// Exit codes: 0 no problems, 1 problems found (all listed), 2 could not run.
    Check(PolicyArgs),
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Plan(cmd) => plan_cmd(cmd),
        Command::Upgrade(cmd) => {
            let route = cmd.to.is_some();
            let opts = crate::upgrade::UpgradeOptions {
                gate: cmd.gate.options("upgrade", cmd.to)?,
                phase: match cmd.phase {
                    UpgradePhase::Managers => Phase::Managers,
                    UpgradePhase::ServiceMesh => Phase::ServiceMesh,
                },
                dry_run: cmd.dry_run,
                yes: cmd.yes,
                parallel: cmd.parallel,
                decision: cmd.decision,
                decision_max_age: cmd.decision_max_age,
                return_timeout: cmd.return_timeout,
                upgrade_timeout: cmd.upgrade_timeout,
            };
            if route {
                return Ok(outcome(crate::route::execute::run_route(&opts)?));
            }
            Ok(outcome(crate::upgrade::run_upgrade(&opts)?))
        }
        Command::Verify(cmd) => {
            let opts = crate::upgrade::VerifyOptions {
                gate: cmd.gate.options("verify", None)?,
                phase: match cmd.phase {
                    VerifyPhase::Managers => Phase::Verify,
                    VerifyPhase::Mesh => Phase::VerifyMesh,
                },
                wait: cmd.wait,
            };
            Ok(outcome(crate::upgrade::run_verify(&opts)?))
        }
        Command::Collect(cmd) => {
            if let (Some(inventory), Some(dir)) = (&cmd.inventory, &cmd.out_dir) {
                return crate::fleet::command::collect(inventory, dir, &cmd.collect, &cmd.fleet);
            }
            let Some(out) = &cmd.out else {
                bail!("name the snapshot file with --out FILE");
            };
            if cmd.collect.sites.is_empty() {
                bail!("name at least one HCX Manager with --site NAME=URL");
            }
            collect::run_collect(&cmd.collect, out)?;
            eprintln!("wrote {}", out.display());
            Ok(ExitStatus::Allowed)
        }
        Command::Inventory(InventoryCommand::Check { file }) => crate::fleet::command::inventory_check(&file),
        Command::Schema => {
            let mut text = serde_json::to_string_pretty(&crate::snapshot::Snapshot::json_schema())?;
            text.push('\n');
            write_stdout(text.as_bytes())?;
            Ok(ExitStatus::Allowed)
        }
        Command::Policy(cmd) => policy(cmd),
    }
}

/// Collect from the sites of `args`, with progress on stderr when it is a terminal.
pub fn collect_now(args: &CollectArgs) -> Result<Snapshot> {
    if args.sites.is_empty() {
        bail!("name at least one HCX Manager with --site NAME=URL");
    }
    let progress = std::io::stderr().is_terminal();
    Ok(collect::collect_blocking(args, progress)?)
}

/// The collector's options that mean nothing for a snapshot read from a file: refused,
/// never ignored.
fn collector_only_flags(c: &CollectArgs) -> Vec<&'static str> {
    let defaults = CollectArgs::new(Vec::new());
    let mut given = Vec::new();
    if c.insecure {
        given.push("--insecure");
    }
    if !c.ca_cert.is_empty() {
        given.push("--ca-cert");
    }
    if c.password_stdin {
        given.push("--password-stdin");
    }
    if c.timeout != defaults.timeout {
        given.push("--timeout");
    }
    if c.retries != defaults.retries {
        given.push("--retries");
    }
    given
}

fn save_snapshot(path: Option<&Path>, snapshot: &Snapshot) -> Result<()> {
    if let Some(p) = path {
        crate::fsutil::write_atomic(p, snapshot.to_json_pretty().as_bytes())
            .with_context(|| format!("cannot write the snapshot to {}", p.display()))?;
    }
    Ok(())
}

fn check(args: CheckArgs) -> Result<ExitStatus> {
    if args.inventory.is_some() || args.snapshot_dir.is_some() {
        return crate::fleet::command::check(&args);
    }
    let (loaded, snapshot_path) = match &args.snapshot {
        Some(path) => {
            let flags = collector_only_flags(&args.collect);
            if !flags.is_empty() {
                bail!(
                    "refusing {} with --snapshot {}: collector options apply only when collecting with --site",
                    flags.join(", "),
                    path.display()
                );
            }
            let loaded = LoadedSnapshot::from_file(path)?;
            let attestations = collect::read_attestations(&args.collect)?;
            if attestations.is_empty() && args.save_snapshot.is_none() {
                (loaded, Some(path.as_path()))
            } else {
                // Attested at the evaluation time, so that a re-evaluation (--now) is exact; the
                // decision's digest is that of the snapshot with them (as --save-snapshot writes it).
                let mut snapshot = loaded.snapshot;
                collect::attest::apply(&mut snapshot, &attestations, args.plan.now.unwrap_or_else(plan::now))?;
                save_snapshot(args.save_snapshot.as_deref(), &snapshot)?;
                (LoadedSnapshot::from_snapshot(snapshot).with_path(Some(path)), args.save_snapshot.as_deref())
            }
        }
        None => {
            let snapshot = collect_now(&args.collect)?;
            save_snapshot(args.save_snapshot.as_deref(), &snapshot)?;
            let saved = args.save_snapshot.as_deref();
            (LoadedSnapshot::from_snapshot(snapshot).with_path(saved), saved)
        }
    };
    // Evaluated after the collection (and the attestations made during it).
    let plan = args.plan.plan();
    if args.dump_input {
        let mut text = serde_json::to_string_pretty(&plan::input_document(&loaded.snapshot, &plan))?;
        text.push('\n');
        emit(args.output.as_deref(), text.as_bytes())?;
        return Ok(ExitStatus::Allowed);
    }
    let policies = args.policy.load()?;
    let (decision, used) = judge_traced(&loaded, &plan, &policies)?;
    if args.verbose {
        eprintln!("{}", engine_line(&policies, &used));
    }
    let ctx = ReportContext::new(&policies, &loaded.snapshot, snapshot_path);
    let mut buf = Vec::new();
    let color = args.output.is_none() && report::stdout_wants_color();
    report::render(&decision, args.format, RenderOptions { color }, &ctx, &mut buf)?;
    emit(args.output.as_deref(), &buf)?;
    Ok(if decision.exit_code() == 0 { ExitStatus::Allowed } else { ExitStatus::Denied })
}

/// What `check --verbose` says about the engine: the path, and why not the RVM.
fn engine_line(policies: &PolicySet, used: &EngineUse) -> String {
    let modules = policies.modules().len();
    match &used.fallback {
        None => format!("engine: {} ({modules} modules compiled to one RVM program)", used.path.as_str()),
        Some(reason) => format!("engine: {} (fallback from the RVM: {reason})", used.path.as_str()),
    }
}

fn plan_cmd(cmd: PlanCmd) -> Result<ExitStatus> {
    let loaded = match &cmd.snapshot {
        Some(path) => LoadedSnapshot::from_file(path)?,
        None => LoadedSnapshot::from_snapshot(collect_now(&cmd.collect)?),
    };
    let policies = cmd.policy.load()?;
    let req = crate::route::RouteRequest {
        target: cmd.to,
        evaluated_at: cmd.now.unwrap_or_else(plan::now),
        fail_on: cmd.fail_on,
        collect: cmd.collect.clone(),
        policy_words: cmd.policy.words(),
    };
    let route = crate::route::plan_route(&loaded, &req, &policies)?;
    let mut buf = Vec::new();
    crate::route::render::render(&route, cmd.format, &mut buf)?;
    emit(cmd.output.as_deref(), &buf)?;
    Ok(if route.exit_code() == 0 { ExitStatus::Allowed } else { ExitStatus::Denied })
}

fn policy(cmd: PolicyCommand) -> Result<ExitStatus> {
    match cmd {
        PolicyCommand::List(args) => {
            let set = args.load()?;
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(100)
                .set_header(vec!["id", "severity", "kb", "title", "source"]);
            for (id, entry) in set.catalog() {
                table.add_row(vec![
                    id.clone(),
                    entry.severity.as_str().to_string(),
                    entry.kb.clone().unwrap_or_else(|| "-".into()),
                    entry.title.clone(),
                    rule_sources(&set, id).join("\n"),
                ]);
            }
            write_stdout(format!("{table}\n").as_bytes())?;
            Ok(ExitStatus::Allowed)
        }
        PolicyCommand::Explain { id, policy } => {
            let set = policy.load()?;
            let Some(e) = set.catalog().get(&id) else {
                bail!("unknown rule id `{id}`; `hcx-preflight policy list` shows them all");
            };
            let severity = set.config().severity.get(&id).copied().unwrap_or(e.severity);
            let mut text = format!("{id}: {}\n\n", e.title);
            text.push_str(&format!("severity:    {}", severity.as_str()));
            if severity != e.severity {
                text.push_str(&format!(" (default {}, overridden by the config)", e.severity.as_str()));
            }
            text.push('\n');
            if let Some(kb) = &e.kb {
                text.push_str(&format!("kb:          {kb} https://knowledge.broadcom.com/external/article?legacyId={kb}\n"));
            }
            if let Some(when) = &e.when {
                text.push_str(&format!("when:        {when}\n"));
            }
            text.push_str(&format!("remediation: {}\n", e.remediation));
            for (i, r) in e.references.iter().enumerate() {
                text.push_str(&format!("{}{r}\n", if i == 0 { "references:  " } else { "             " }));
            }
            text.push_str(&format!("source:      {}\n", rule_sources(&set, &id).join(", ")));
            if set.config().disabled.contains(&id) {
                text.push_str("status:      disabled by the config\n");
            }
            write_stdout(text.as_bytes())?;
            Ok(ExitStatus::Allowed)
        }
        PolicyCommand::Export { dir, policy } => {
            let set = policy.load()?;
            let written = set.export(&dir).with_context(|| format!("cannot write the bundle to {}", dir.display()))?;
            eprintln!(
                "wrote {} files to {}; evaluate with: opa eval -b {} -i INPUT.json '{ENTRYPOINT}'",
                written.len(),
                dir.display(),
                dir.display()
            );
            Ok(ExitStatus::Allowed)
        }
        PolicyCommand::Test {
            dirs,
            coverage_threshold,
            mut policy,
        } => {
            // A directory named both ways is loaded once (twice would define its catalog twice).
            for d in dirs {
                if !policy.policy_dirs.contains(&d) {
                    policy.policy_dirs.push(d);
                }
            }
            let set = policy.load()?;
            let run = crate::policytest::run(&set)?;
            let mut buf = Vec::new();
            run.render(&mut buf)?;
            write_stdout(&buf)?;
            let mut status = if run.failed() > 0 { ExitStatus::Denied } else { ExitStatus::Allowed };
            if let Some(min) = coverage_threshold {
                if run.coverage_percent() < min {
                    eprintln!("coverage {:.1}% is under the threshold {min}%", run.coverage_percent());
                    status = ExitStatus::Denied;
                }
            }
            Ok(status)
        }
        PolicyCommand::Init { dir } => {
            let written = crate::policyinit::init(&dir)?;
            let mut text = String::new();
            for p in &written {
                text.push_str(&format!("{}\n", p.display()));
            }
            write_stdout(text.as_bytes())?;
            eprintln!(
                "next: hcx-preflight policy test {d} && hcx-preflight check --policy-dir {d} --config {d}/hcx-preflight.toml ...",
                d = dir.display()
            );
            Ok(ExitStatus::Allowed)
        }
        PolicyCommand::Check(args) => {
            let report = crate::policycheck::check(&args.policy_dirs, args.config.clone())?;
            let mut text = String::new();
            for p in &report.problems {
                text.push_str(&format!("{p}\n"));
            }
            if report.problems.is_empty() {
                text.push_str(&format!(
                    "ok: {} modules, {} test modules, {} catalog ids\n",
                    report.modules, report.tests, report.catalog_ids
                ));
            } else {
                text.push_str(&format!("{} problem(s)\n", report.problems.len()));
            }
            write_stdout(text.as_bytes())?;
            Ok(if report.problems.is_empty() { ExitStatus::Allowed } else { ExitStatus::Denied })
        }
    }
}

/// The Rego files whose text emits `id` (a `"id"` literal in a rules module).
pub fn rule_sources(set: &PolicySet, id: &str) -> Vec<String> {
    let needle = format!("\"{id}\"");
    set
        .modules()
        .iter()
        .filter(|m| m.text.contains(&needle))
        .map(|m| m.origin.clone())
        .collect()
}

/// Write to a file atomically, or to stdout.
pub fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => crate::fsutil::write_atomic(p, bytes).with_context(|| format!("cannot write {}", p.display())),
        None => write_stdout(bytes),
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a message.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}
