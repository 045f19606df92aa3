//! The command layer (binary only): the command line (clap derive), one file per
//! command, and the one [`ExitStatus`]. Every command returns an [`ExitStatus`]; errors
//! of the tool are `Err` and become exit code 2 in `main`, never "allowed". The library
//! (`hcx_preflight`) knows nothing of these argument types or of exit codes.

mod args;
mod check;
mod collect;
mod completions;
mod exit;
mod fleet;
mod inventory;
mod plan;
mod policy;
mod printer;
mod schema;
mod upgrade;
mod values;
mod verify;

use anyhow::Result;
use clap::{Args, CommandFactory, Parser, Subcommand};

pub use exit::ExitStatus;
pub use printer::Printer;

/// Policy-as-code pre-flight checks for VMware HCX upgrades.
///
/// Exit codes: 0 allowed, 1 denied by policy, 2 the tool could not decide.
#[derive(Debug, Parser)]
#[command(name = "hcx-preflight", version, propagate_version = true, about, long_about = None, max_term_width = 100)]
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
    #[command(after_help = EXIT_CODES)]
    Check(check::CheckArgs),
    /// Collect a snapshot from the HCX Managers of a site pair.
    Collect(collect::CollectCmd),
    /// Plan the whole route to a version, hop by hop, every hop gated.
    #[command(after_help = "Exit codes: 0 the first step is allowed (or nothing to do), 1 it is denied, 2 the tool could not decide.")]
    Plan(plan::PlanCmd),
    /// Gate and start the upgrade of the managers, wait for their return, verify.
    #[command(after_help = "Exit codes: 0 allowed (and done and verified, or a dry run that would start), 1 denied by policy \
                            (nothing was sent to HCX), 2 the upgrade failed or the tool could not decide.")]
    Upgrade(upgrade::UpgradeCmd),
    /// The checks after an upgrade: of the managers (phase verify, e.g. after an upgrade
    /// done in the UI) or, with --phase mesh, of the Service Mesh (phase verify-mesh).
    #[command(after_help = "Exit codes: 0 verified, 1 problems found (see the findings), 2 the tool could not decide.")]
    Verify(verify::VerifyCmd),
    /// Print the JSON Schema of the snapshot.
    Schema,
    /// Inspect, export and test the policy set.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Work with a fleet inventory (the estates of `collect/check --inventory`).
    #[command(subcommand)]
    Inventory(inventory::InventoryCommand),
    /// Print the shell completions (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsCmd),
    /// Print the man page (or write every command's page with --out-dir).
    Man(completions::ManCmd),
}

/// The exit codes of `check`, in its `--help`.
const EXIT_CODES: &str = "Exit codes:
  0  allowed: no finding blocks the upgrade
  1  denied by policy (a deny finding; with --fail-on warn, a warn finding too)
  2  the tool could not decide (unreadable snapshot, collection or evaluation error, usage error)";

/// The command line as clap sees it. `--version` (and `-V`, on every command) says the
/// regorus version and the digest of the built-in policy set (the `policy_sha256` of a
/// decision made without `--policy-dir`/`--config`); the set is compiled for it only when
/// the version was asked for.
pub fn command() -> clap::Command {
    let cmd = Cli::command();
    if std::env::args_os().skip(1).any(|a| a == "--version" || a == "-V") {
        cmd.version(version_text())
    } else {
        cmd
    }
}

fn version_text() -> String {
    let digest = hcx_preflight::policy::PolicySet::builtin_digest()
        .unwrap_or_else(|e| format!("unavailable: {e}"));
    format!(
        "{} (regorus {}; built-in policy set sha256 {digest})",
        env!("CARGO_PKG_VERSION"),
        env!("HCX_REGORUS_VERSION")
    )
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
        Command::Policy(cmd) => policy::policy(cmd, printer),
        Command::Completions(cmd) => completions::completions(cmd, printer),
        Command::Man(cmd) => completions::man(cmd, printer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own consistency checks of every command and argument.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
