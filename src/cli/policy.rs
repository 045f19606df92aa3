//! `hcx-preflight policy`: inspect, export, test and check the policy set. This file
//! parses the arguments and calls the library; `hcx_preflight::policy::render` writes
//! the output.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};

use hcx_preflight::config::did_you_mean;
use hcx_preflight::policy::{render, ENTRYPOINT};

use super::args::PolicyArgs;
use super::{ExitStatus, Printer};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List every rule: id, severity, KB, title and the file that emits it. With a
    /// config, the severity is the effective one (and `disabled` for a disabled rule).
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
    Test(TestArgs),
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

/// `policy test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Organisation policy directories to load and test (added to --policy-dir).
    dirs: Vec<PathBuf>,
    /// Only the tests whose full name (`data.pkg.test_x`) matches REGEX, as `opa test --run`.
    #[arg(long, value_name = "REGEX")]
    run: Option<regex::Regex>,
    /// List the lines that no test reached (`file:from-to`), not only the percentages.
    #[arg(long)]
    coverage: bool,
    /// Fail when the line coverage of the policies is under PCT percent.
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    coverage_threshold: Option<f64>,
    /// Output format (json: the tests, counts and coverage with the uncovered lines).
    #[arg(long, value_enum, default_value = "text")]
    format: TestFormat,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TestFormat {
    Text,
    Json,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

pub fn policy(cmd: PolicyCommand, printer: &Printer) -> Result<ExitStatus> {
    match cmd {
        PolicyCommand::List(args) => list(&args, printer),
        PolicyCommand::Explain { id, policy } => explain(&id, &policy, printer),
        PolicyCommand::Export { dir, policy } => export(&dir, &policy, printer),
        PolicyCommand::Test(args) => test(args, printer),
        PolicyCommand::Init { dir } => init(&dir, printer),
        PolicyCommand::Check(args) => check(&args, printer),
    }
}

fn list(args: &PolicyArgs, printer: &Printer) -> Result<ExitStatus> {
    let set = args.load()?;
    let mut out = Vec::new();
    render::list(&set, &set.rule_sources()?, printer.render_options(false), &mut out)?;
    printer.stdout(&out)?;
    Ok(ExitStatus::Allowed)
}

fn explain(id: &str, args: &PolicyArgs, printer: &Printer) -> Result<ExitStatus> {
    let set = args.load()?;
    let mut out = Vec::new();
    if !render::explain(&set, id, &set.rule_sources()?, &mut out)? {
        let hint = did_you_mean(id, set.catalog().keys().map(String::as_str));
        bail!("unknown rule id `{id}`{hint}; `hcx-preflight policy list` shows them all");
    }
    printer.stdout(&out)?;
    Ok(ExitStatus::Allowed)
}

fn export(dir: &std::path::Path, args: &PolicyArgs, printer: &Printer) -> Result<ExitStatus> {
    let set = args.load()?;
    let written = set.export(dir).with_context(|| format!("cannot write the bundle to {}", dir.display()))?;
    printer.status(format_args!(
        "wrote {} files to {}; evaluate with: opa eval -b {} -i INPUT.json '{ENTRYPOINT}'",
        written.len(),
        dir.display(),
        dir.display()
    ));
    Ok(ExitStatus::Allowed)
}

fn test(args: TestArgs, printer: &Printer) -> Result<ExitStatus> {
    let mut policy = args.policy;
    // A directory named both ways is loaded once (twice would define its catalog twice).
    for d in args.dirs {
        if !policy.policy_dirs.contains(&d) {
            policy.policy_dirs.push(d);
        }
    }
    let set = policy.load()?;
    let run = hcx_preflight::policy::test::run(&set, args.run.as_ref())?;
    let mut out = Vec::new();
    match args.format {
        TestFormat::Text => render::test_text(&run, args.coverage, &mut out)?,
        TestFormat::Json => render::test_json(&run, &mut out)?,
    }
    printer.stdout(&out)?;
    let mut status = if run.failed() > 0 { ExitStatus::Denied } else { ExitStatus::Allowed };
    if let Some(min) = args.coverage_threshold {
        if run.coverage_percent() < min {
            printer.warn(format_args!("coverage {:.1}% is under the threshold {min}%", run.coverage_percent()));
            status = ExitStatus::Denied;
        }
    }
    Ok(status)
}

fn init(dir: &std::path::Path, printer: &Printer) -> Result<ExitStatus> {
    let written = hcx_preflight::policy::init::init(dir)?;
    let mut text = String::new();
    for p in &written {
        text.push_str(&format!("{}\n", p.display()));
    }
    printer.stdout(text.as_bytes())?;
    printer.status(format_args!(
        "next: hcx-preflight policy test {d} && hcx-preflight check --policy-dir {d} --config {d}/hcx-preflight.toml ...",
        d = dir.display()
    ));
    Ok(ExitStatus::Allowed)
}

fn check(args: &PolicyArgs, printer: &Printer) -> Result<ExitStatus> {
    let report = hcx_preflight::policy::lint::check(&args.policy_dirs, args.config.clone())?;
    let mut out = Vec::new();
    render::check(&report, &mut out)?;
    printer.stdout(&out)?;
    Ok(if report.problems.is_empty() { ExitStatus::Allowed } else { ExitStatus::Denied })
}
