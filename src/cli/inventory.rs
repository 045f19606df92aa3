//! `hcx-preflight inventory check`: validate a fleet inventory, every problem at once.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;

use hcx_preflight::collect::ProcessEnv;
use hcx_preflight::inventory::{Inventory, InventoryError};

use super::{ExitStatus, Printer};

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Validate an inventory: every problem at once, each with its line.
    ///
    /// Exit codes: 0 valid, 1 problems found (all listed), 2 could not read it.
    Check {
        /// The inventory file (TOML).
        file: PathBuf,
    },
}

pub fn inventory(cmd: InventoryCommand, printer: &Printer) -> Result<ExitStatus> {
    match cmd {
        InventoryCommand::Check { file } => inventory_check(&file, printer),
    }
}

/// `inventory check FILE`: 0 valid, 1 problems (all listed on stdout), 2 unreadable.
fn inventory_check(file: &Path, printer: &Printer) -> Result<ExitStatus> {
    let inv = match Inventory::load(file) {
        Ok(inv) => inv,
        Err(e @ InventoryError::Io { .. }) => return Err(e.into()),
        Err(e) => {
            let problems = e.problems();
            let mut text = String::new();
            for p in &problems {
                text.push_str(&format!("{}: {p}\n", file.display()));
            }
            text.push_str(&format!("{}\n", hcx_preflight::text::plural(problems.len(), "problem", "problems")));
            printer.stdout(text.as_bytes())?;
            return Ok(ExitStatus::Denied);
        }
    };
    let mut text = String::new();
    for e in &inv.estates {
        let sites: Vec<&str> = e.sites.iter().map(|s| s.name.as_str()).collect();
        text.push_str(&format!(
            "{}: sites {}; tags {}; target {}; phase {}\n",
            e.name,
            sites.join(", "),
            hcx_preflight::report::fleet::tag_text(&e.tags),
            e.target.as_ref().map_or("from --target".to_string(), |t| t.to_string()),
            e.phase.map_or("from --phase", |p| p.as_str()),
        ));
    }
    let sites: usize = inv.estates.iter().map(|e| e.sites.len()).sum();
    text.push_str(&format!("ok: {} estates, {sites} sites\n", inv.estates.len()));
    printer.stdout(text.as_bytes())?;
    // Not an error: the inventory may be meant for another machine.
    for var in inv.unset_variables(&ProcessEnv) {
        printer.status(format_args!("note: credential variable {var} is not set here"));
    }
    Ok(ExitStatus::Allowed)
}
