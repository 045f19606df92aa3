//! `hcx-preflight plan`: the whole route to a version, hop by hop, every hop gated.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use hcx_preflight::check::LoadedSnapshot;
use hcx_preflight::plan::{self, FailOn};
use hcx_preflight::route::render::RouteFormat;
use hcx_preflight::version::HcxVersion;

use super::args::{parse_version, CollectArgs, PolicyArgs};
use super::values::{parser, FailOnArg, RouteFormatArg};
use super::collect::collect_now;
use super::{ExitStatus, Printer};

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
    #[arg(long, value_parser = parser::<FailOnArg, FailOn>(), default_value_t)]
    pub fail_on: FailOn,
    /// Collect from the HCX Managers (instead of --snapshot).
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Output format.
    #[arg(long, value_parser = parser::<RouteFormatArg, RouteFormat>(), default_value = "table")]
    pub format: RouteFormat,
    /// Write the route atomically to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

pub fn plan_cmd(cmd: PlanCmd, printer: &Printer) -> Result<ExitStatus> {
    let collect = cmd.collect.options();
    let loaded = match &cmd.snapshot {
        Some(path) => {
            let loaded = LoadedSnapshot::from_path_or_stdin(path)?;
            for w in &loaded.warnings {
                printer.warn(format!("warning: {w}"));
            }
            loaded
        }
        None => LoadedSnapshot::from_snapshot(collect_now(&collect, printer)?),
    };
    let policies = cmd.policy.load()?;
    let req = hcx_preflight::route::RouteRequest {
        target: cmd.to,
        evaluated_at: cmd.now.unwrap_or_else(plan::now),
        fail_on: cmd.fail_on,
        collect,
        policy_words: cmd.policy.words(),
    };
    let route = hcx_preflight::route::plan_route(&loaded, &req, &policies)?;
    let mut buf = Vec::new();
    hcx_preflight::route::render::render(&route, cmd.format, &mut buf)?;
    printer.emit(cmd.output.as_deref(), &buf)?;
    Ok(route.decision.into())
}
