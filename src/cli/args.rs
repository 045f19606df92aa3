//! The argument groups several commands share: where the policies come from, the plan
//! to judge, fleet mode, and what `upgrade` and `verify` share.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;

use hcx_preflight::collect::CollectArgs;
use hcx_preflight::plan::{self, FailOn, Phase, Plan};
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::report::Format;
use hcx_preflight::version::HcxVersion;

/// What fleet mode adds to `collect` and `check`.
#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    /// Fleet: collect at most N estates at a time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Fleet: only the estates tagged KEY=VALUE (repeatable: every key must match,
    /// one of the values of a key given twice).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = hcx_preflight::inventory::parse_tag)]
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
    pub engine: hcx_preflight::policy::engine::EngineChoice,
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
    #[arg(long, value_enum, default_value_t)]
    pub phase: Phase,
    /// Evaluation time (RFC 3339), to re-evaluate a past decision exactly; default: now.
    #[arg(long, value_name = "RFC3339", value_parser = plan::parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Which findings deny: `deny` only, or `warn` too.
    #[arg(long, value_enum, default_value_t)]
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

pub fn parse_version(s: &str) -> Result<HcxVersion, String> {
    HcxVersion::parse(s).map_err(|e| e.to_string())
}

/// What `upgrade` and `verify` share.
#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub collect: CollectArgs,
    /// The HCX version to upgrade to (upgrade), or that the managers must report (verify).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub target: Option<HcxVersion>,
    /// Which findings deny: `deny` only, or `warn` too.
    #[arg(long, value_enum, default_value_t)]
    pub fail_on: FailOn,
    /// How often to poll the upgrade status, or to try a manager again.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub poll_interval: Duration,
    /// The audit log (JSON lines, created owner-only).
    #[arg(long, value_name = "FILE", default_value = hcx_preflight::audit::DEFAULT_FILE)]
    pub audit_log: PathBuf,
    /// Output format of the decisions.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

impl GateArgs {
    /// The options, with the target given (`--to` of `upgrade`, else `--target`).
    pub fn options(&self, verb: &str, to: Option<HcxVersion>) -> Result<hcx_preflight::upgrade::GateOptions> {
        let Some(target) = to.or_else(|| self.target.clone()) else {
            bail!("{verb} needs --target VERSION{}", if verb == "upgrade" { " (one step) or --to VERSION (the whole route)" } else { "" });
        };
        let policy_words = self.policy.words();
        Ok(hcx_preflight::upgrade::GateOptions {
            policy_words,
            policies: self.policy.load()?,
            collect: self.collect.clone(),
            target,
            fail_on: self.fail_on,
            poll_interval: self.poll_interval,
            audit: hcx_preflight::audit::AuditLog::new(&self.audit_log),
        })
    }
}
