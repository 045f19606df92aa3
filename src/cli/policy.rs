//! `hcx-preflight policy`: inspect, export, test and check the policy set.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use hcx_preflight::policy::{PolicySet, ENTRYPOINT};

use super::args::PolicyArgs;
use super::{write_stdout, ExitStatus};

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

pub fn policy(cmd: PolicyCommand) -> Result<ExitStatus> {
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
                text.push_str(&format!("kb:          {kb} {}\n", hcx_preflight::findings::kb_url(kb)));
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
            let run = hcx_preflight::policy::test::run(&set)?;
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
            let written = hcx_preflight::policy::init::init(&dir)?;
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
            let report = hcx_preflight::policy::lint::check(&args.policy_dirs, args.config.clone())?;
            let mut text = String::new();
            for p in &report.problems {
                text.push_str(&format!("{p}\n"));
            }
            for w in &report.warnings {
                text.push_str(&format!("warning: {w}\n"));
            }
            if report.problems.is_empty() {
                text.push_str(&format!(
                    "ok: {} modules, {} test modules, {} catalog ids\n",
                    report.modules, report.tests, report.catalog_ids
                ));
            } else {
                text.push_str(&format!("{}\n", hcx_preflight::report::plural(report.problems.len(), "problem", "problems")));
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
