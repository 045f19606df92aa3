//! `hcx-preflight collect`: one site pair to a snapshot file, or a fleet to a directory.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use hcx_preflight::collect::unknown::UnknownFacts;
use hcx_preflight::collect::{self, CollectOptions};
use hcx_preflight::snapshot::Snapshot;

use super::args::{CollectArgs, FleetArgs};
use super::{ExitStatus, Printer};

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

/// Collect from the sites of `opts` (the printer shows the warnings and the progress, and
/// asks for what the environment does not give).
pub fn collect_now(opts: &CollectOptions, printer: &Printer) -> Result<Snapshot> {
    printer.collect_warnings(opts);
    Ok(collect::collect_blocking(opts, printer.progress(), &printer.credentials())?)
}

pub fn collect(cmd: CollectCmd, printer: &Printer) -> Result<ExitStatus> {
    let opts = cmd.collect.options();
    if let (Some(inventory), Some(dir)) = (&cmd.inventory, &cmd.out_dir) {
        return super::fleet::collect(inventory, dir, &opts, &cmd.fleet, printer);
    }
    let Some(out) = &cmd.out else {
        bail!("name the snapshot file with --out FILE");
    };
    printer.collect_warnings(&opts);
    let snapshot = collect::run_collect_with(&opts, out, printer.progress(), &printer.credentials())?;
    printer.status(format_args!("wrote {}", out.display()));
    unknown_summary(&opts, &snapshot, printer)?;
    Ok(ExitStatus::Allowed)
}

/// The summary of what could not be read, per site with its `--attest` lines (shown even
/// with --quiet: each one denies until it is settled), and where --unknown-out wrote its form.
pub fn unknown_summary(opts: &CollectOptions, snapshot: &Snapshot, printer: &Printer) -> Result<()> {
    let unknown = UnknownFacts::from_snapshot(snapshot);
    if !unknown.is_empty() {
        let mut text = Vec::new();
        unknown.render(&mut text)?;
        printer.warn(String::from_utf8_lossy(&text).trim_end());
    }
    if let Some(path) = &opts.unknown_out {
        printer.status(format_args!(
            "wrote the form of unknown facts to {}: fill in value and evidence, then pass it to --attestations",
            path.display()
        ));
    }
    Ok(())
}
