//! The command layer (binary only): the command line (clap derive), one file per
//! command, and the one [`ExitStatus`]. Every command returns an [`ExitStatus`]; errors
//! of the tool are `Err` and become exit code 2 in `main`, never "allowed". The library
//! (`hcx_preflight`) knows nothing of these argument types or of exit codes.

mod args;
mod check;
mod collect;
mod exit;
mod fleet;
mod inventory;
mod plan;
mod policy;
mod printer;
mod schema;
mod upgrade;
mod verify;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

pub use exit::ExitStatus;
pub use printer::Printer;

/// Policy-as-code pre-flight checks for VMware HCX upgrades.
///
/// Exit codes: 0 allowed, 1 denied by policy, 2 the tool could not decide.
#[derive(Debug, Parser)]
#[command(name = "hcx-preflight", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The options of every command (given before or after the command's name).
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Say more on stderr (`check`: which engine evaluated, and why not the compiled VM).
    #[arg(long, short, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Say nothing on stderr but warnings and errors (no progress, no `wrote FILE`).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to colour the output: on a terminal (auto: not with NO_COLOR or TERM=dumb),
    /// always, or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: printer::ColorChoice,
    /// Draw tables with ASCII characters only (also when TERM=dumb).
    #[arg(long, global = true)]
    pub ascii: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge a snapshot against a target version and gate the upgrade.
    Check(check::CheckArgs),
    /// Collect a snapshot from the HCX Managers of a site pair.
    Collect(collect::CollectCmd),
    /// Plan the whole route to a version, hop by hop, every hop gated.
    Plan(plan::PlanCmd),
    /// Gate and start the upgrade of the managers, wait for their return, verify.
    Upgrade(upgrade::UpgradeCmd),
    /// The checks after an upgrade: of the managers (phase verify, e.g. after an upgrade
    /// done in the UI) or, with --phase mesh, of the Service Mesh (phase verify-mesh).
    Verify(verify::VerifyCmd),
    /// Print the JSON Schema of the snapshot.
    Schema,
    /// Inspect, export and test the policy set.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Work with a fleet inventory (the estates of `collect/check --inventory`).
    #[command(subcommand)]
    Inventory(inventory::InventoryCommand),
}

/// Run a parsed command line.
pub fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus> {
    match cli.command {
        Command::Check(args) => check::check(args, printer),
        Command::Plan(cmd) => plan::plan_cmd(cmd, printer),
        Command::Upgrade(cmd) => upgrade::upgrade(cmd, printer),
        Command::Verify(cmd) => verify::verify(cmd, printer),
        Command::Collect(cmd) => collect::collect(cmd, printer),
        Command::Inventory(cmd) => inventory::inventory(cmd, printer),
        Command::Schema => schema::schema(printer),
        Command::Policy(cmd) => policy::policy(cmd),
    }
}

/// Write to stdout (for the `policy` commands, until they take the [`Printer`]).
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    Printer::write_stdout(bytes)
}
