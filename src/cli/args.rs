//! The argument groups several commands share: where to collect from, where the policies
//! come from, the plan to judge, fleet mode, and what `upgrade` and `verify` share. Each
//! group gives the library its plain options.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;

use hcx_preflight::collect::{CollectOptions, SiteSpec, DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS};
use hcx_preflight::plan::{self, FailOn, Phase, Plan};
use hcx_preflight::policy::engine::EngineChoice;
use hcx_preflight::policy::{LoadOptions, PolicySet};
use hcx_preflight::report::Format;
use hcx_preflight::version::HcxVersion;

use super::values::{parser, EngineArg, FailOnArg, FormatArg, PhaseArg};

/// Where to collect from and how (`collect`, and `check`, `plan`, `upgrade`, `verify` when
/// they collect).
#[derive(Debug, Clone, Args)]
pub struct CollectArgs {
    /// An HCX Manager. URL is https://host or https://host:port (API on 443 by default);
    /// admin= is its appliance management interface (default: same host, port 9443); role=
    /// says which side it is when the API does not. Repeat for each site; at least one.
    #[arg(long = "site", value_name = "NAME=URL[,admin=URL][,role=connector|cloud]", value_parser = SiteSpec::parse)]
    pub sites: Vec<SiteSpec>,
    /// Trust the CA certificate(s) in this PEM file too (repeatable). TLS is always verified
    /// unless --insecure is given.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_cert: Vec<PathBuf>,
    /// Do not verify TLS certificates. Dangerous; recorded in the snapshot.
    #[arg(long)]
    pub insecure: bool,
    /// Read the HCX Manager password from stdin (one line) instead of HCX_PASSWORD.
    #[arg(long)]
    pub password_stdin: bool,
    /// State a fact that no API reports, with ;evidence=TEXT (required) and optionally ;by=WHO,
    /// e.g. source.backup.last_success_at=2026-11-29T02:00:00Z;evidence=backup job 4711. Repeatable.
    #[arg(long = "attest", value_name = "SITE.FACT=VALUE;evidence=TEXT")]
    pub attest: Vec<String>,
    /// Attestations from a JSON or TOML file: a list `attestations` of {site, fact, value, by,
    /// evidence}, or the form that --unknown-out wrote, filled in (value and evidence per fact).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
    /// Also write what could not be read, as a form to fill in (value and evidence per fact)
    /// for --attestations: JSON, or TOML when FILE ends in .toml (atomically).
    #[arg(long, value_name = "FILE")]
    pub unknown_out: Option<PathBuf>,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout: u64,
    /// How often a failed request is retried (connection errors, 5xx, SSO not ready).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    pub retries: u32,
    /// At most N requests in flight per HCX Manager (both its APIs); default: no bound
    /// (with --inventory: 4, so that a fleet run does not flood one manager).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_requests_per_manager: Option<u16>,
}

impl CollectArgs {
    /// The library's options of a collection.
    pub fn options(&self) -> CollectOptions {
        let c = self.clone();
        CollectOptions {
            sites: c.sites,
            ca_cert: c.ca_cert,
            insecure: c.insecure,
            password_stdin: c.password_stdin,
            attest: c.attest,
            attestations: c.attestations,
            unknown_out: c.unknown_out,
            timeout: c.timeout,
            retries: c.retries,
            max_requests_per_manager: c.max_requests_per_manager,
        }
    }
}

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
    #[arg(long, value_name = "SECS", default_value_t = hcx_preflight::policy::DEFAULT_TIMEOUT.as_secs_f64())]
    pub eval_timeout: f64,
    /// Which regorus engine evaluates: the compiled VM where it compiles the set (auto),
    /// the interpreter, or the compiled VM only (an error where it cannot compile).
    #[arg(long, value_parser = parser::<EngineArg, EngineChoice>(), default_value = "auto")]
    pub engine: EngineChoice,
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
    #[arg(long, value_parser = parser::<PhaseArg, Phase>(), default_value_t)]
    pub phase: Phase,
    /// Evaluation time (RFC 3339), to re-evaluate a past decision exactly; default: now.
    #[arg(long, value_name = "RFC3339", value_parser = plan::parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Which findings deny: `deny` only, or `warn` too.
    #[arg(long, value_parser = parser::<FailOnArg, FailOn>(), default_value_t)]
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
    #[arg(long, value_parser = parser::<FailOnArg, FailOn>(), default_value_t)]
    pub fail_on: FailOn,
    /// How often to poll the upgrade status, or to try a manager again.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub poll_interval: Duration,
    /// The audit log (JSON lines, created owner-only).
    #[arg(long, value_name = "FILE", default_value = hcx_preflight::audit::DEFAULT_FILE)]
    pub audit_log: PathBuf,
    /// Output format of the decisions.
    #[arg(long, value_parser = parser::<FormatArg, Format>(), default_value = "table")]
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
            collect: self.collect.options(),
            target,
            fail_on: self.fail_on,
            poll_interval: self.poll_interval,
            audit: hcx_preflight::audit::AuditLog::new(&self.audit_log),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        collect: CollectArgs,
    }

    #[test]
    fn collect_args_flatten_into_a_command_and_give_the_options() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "x",
            "--site",
            "source=https://hcx.corp.example",
            "--site",
            "cloud=https://c.example,role=cloud",
            "--ca-cert",
            "ca.pem",
            "--attest",
            "source.backup.supported=false;evidence=provider",
            "--timeout",
            "5",
        ])
        .unwrap();
        let opts = cli.collect.options();
        assert_eq!(opts.sites.len(), 2);
        assert_eq!((opts.timeout, opts.retries, opts.insecure), (5, DEFAULT_RETRIES, false));
        assert_eq!((opts.ca_cert.len(), opts.attest.len()), (1, 1));
        let err = Cli::try_parse_from(["x", "--site", "s=http://h"]).err().unwrap().to_string();
        assert!(err.contains("https://"), "{err}");
    }
}
