//! `hcx-preflight upgrade`: gate, start, follow and verify the managers' upgrade (one
//! step with --target, the whole route with --to).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use hcx_preflight::plan::Phase;
use hcx_preflight::version::HcxVersion;

use super::args::{parse_version, GateArgs};
use super::{ExitStatus, Printer};

/// The phases `upgrade` gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpgradePhase {
    /// Upgrade the HCX Managers (System Upgrade API), then verify.
    Managers,
    /// Gate the Service Mesh upgrade (started in the UI: no public API).
    ServiceMesh,
}

#[derive(Debug, Args)]
pub struct UpgradeCmd {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Follow the whole route to VERSION hop by hop (see `plan`), resuming from the live
    /// versions; instead of --target.
    #[arg(long, value_name = "VERSION", value_parser = parse_version, conflicts_with_all = ["target", "phase"])]
    pub to: Option<HcxVersion>,
    /// Which upgrade to gate: the managers' (then started, followed and verified), or the
    /// Service Mesh's (gated only: no public API starts it).
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
    /// The snapshot the approved decision was judged on (check --save-snapshot), so that a
    /// refusal names each changed fact with its old and new value (default: the snapshot
    /// path the record rests on, when that file exists).
    #[arg(long, value_name = "FILE", requires = "decision")]
    pub decision_snapshot: Option<PathBuf>,
    /// The oldest an approved decision may be.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub decision_max_age: Duration,
    /// How long a manager may stay down after its reboot (the procedure: five minutes).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub return_timeout: Duration,
    /// How long the whole upgrade of one manager may take.
    #[arg(long, value_name = "DURATION", default_value = "90m", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub upgrade_timeout: Duration,
}

pub fn upgrade(cmd: UpgradeCmd, printer: &Printer) -> Result<ExitStatus> {
    let route = cmd.to.is_some();
    let opts = hcx_preflight::upgrade::UpgradeOptions {
        gate: cmd.gate.options("upgrade", cmd.to)?,
        phase: match cmd.phase {
            UpgradePhase::Managers => Phase::Managers,
            UpgradePhase::ServiceMesh => Phase::ServiceMesh,
        },
        dry_run: cmd.dry_run,
        yes: cmd.yes,
        parallel: cmd.parallel,
        decision: cmd.decision,
        decision_snapshot: cmd.decision_snapshot,
        decision_max_age: cmd.decision_max_age,
        return_timeout: cmd.return_timeout,
        upgrade_timeout: cmd.upgrade_timeout,
    };
    printer.collect_warnings(&opts.gate.collect);
    let (creds, reporter) = (printer.credentials(), printer.gate_reporter(cmd.gate.format));
    let result = if route {
        hcx_preflight::upgrade::route::run_route(&opts, &creds, &reporter)?
    } else {
        hcx_preflight::upgrade::run_upgrade(&opts, &creds, &reporter)?
    };
    Ok(result.into())
}
