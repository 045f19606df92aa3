//! `hcx-preflight collect`: one site pair to a snapshot file, or a fleet to a directory.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use hcx_preflight::collect::unknown::UnknownFacts;
use hcx_preflight::collect::{self, CollectArgs};
use hcx_preflight::snapshot::Snapshot;

use super::args::FleetArgs;
use super::ExitStatus;

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

/// Collect from the sites of `args`, with progress on stderr when it is a terminal.
pub fn collect_now(args: &CollectArgs) -> Result<Snapshot> {
    if args.sites.is_empty() {
        bail!("name at least one HCX Manager with --site NAME=URL");
    }
    let progress = std::io::stderr().is_terminal();
    Ok(collect::collect_blocking(args, progress)?)
}

pub fn collect(cmd: CollectCmd) -> Result<ExitStatus> {
    if let (Some(inventory), Some(dir)) = (&cmd.inventory, &cmd.out_dir) {
        return super::fleet::collect(inventory, dir, &cmd.collect, &cmd.fleet);
    }
    let Some(out) = &cmd.out else {
        bail!("name the snapshot file with --out FILE");
    };
    if cmd.collect.sites.is_empty() {
        bail!("name at least one HCX Manager with --site NAME=URL");
    }
    let snapshot = collect::run_collect(&cmd.collect, out)?;
    eprintln!("wrote {}", out.display());
    unknown_summary(&cmd.collect, &snapshot)?;
    Ok(ExitStatus::Allowed)
}

/// The summary of what could not be read, per site with its `--attest` lines, on stderr
/// (and where --unknown-out wrote its form). Printed here until the Printer owns stderr.
pub fn unknown_summary(args: &CollectArgs, snapshot: &Snapshot) -> Result<()> {
    let unknown = UnknownFacts::from_snapshot(snapshot);
    let mut err = std::io::stderr().lock();
    unknown.render(&mut err)?;
    if let Some(path) = &args.unknown_out {
        writeln!(err, "wrote the form of unknown facts to {}: fill in value and evidence, then pass it to --attestations", path.display())?;
    }
    Ok(())
}
