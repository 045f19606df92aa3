//! `hcx-preflight verify`: the checks after the managers' or the Service Mesh's upgrade.

use std::time::Duration;

use anyhow::Result;
use clap::Args;

use hcx_preflight::plan::Phase;

use super::args::GateArgs;
use super::{ExitStatus, Printer};

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
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = hcx_preflight::upgrade::parse_duration)]
    pub wait: Duration,
}

pub fn verify(cmd: VerifyCmd, printer: &Printer) -> Result<ExitStatus> {
    let opts = hcx_preflight::upgrade::VerifyOptions {
        gate: cmd.gate.options("verify", None)?,
        phase: match cmd.phase {
            VerifyPhase::Managers => Phase::Verify,
            VerifyPhase::Mesh => Phase::VerifyMesh,
        },
        wait: cmd.wait,
    };
    printer.collect_warnings(&opts.gate.collect);
    let (creds, reporter) = (printer.credentials(), printer.gate_reporter(cmd.gate.format));
    Ok(hcx_preflight::upgrade::run_verify(&opts, &creds, &reporter)?.into())
}
