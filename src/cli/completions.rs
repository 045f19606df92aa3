//! `hcx-preflight completions SHELL` and `hcx-preflight man`: shell completions
//! (clap_complete) and the man pages (clap_mangen), generated from the command line's
//! clap definitions, so they never disagree with it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{ExitStatus, Printer};

#[derive(Debug, Args)]
pub struct CompletionsCmd {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManCmd {
    /// Write one page per command (`hcx-preflight.1`, `hcx-preflight-check.1`, ...) to DIR
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn completions(cmd: CompletionsCmd, printer: &Printer) -> Result<ExitStatus> {
    let mut buf = Vec::new();
    clap_complete::generate(cmd.shell, &mut super::command(), "hcx-preflight", &mut buf);
    printer.stdout(&buf)?;
    Ok(ExitStatus::Allowed)
}

pub fn man(cmd: ManCmd, printer: &Printer) -> Result<ExitStatus> {
    let Some(dir) = cmd.out_dir else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(super::command()).render(&mut buf)?;
        printer.stdout(&buf)?;
        return Ok(ExitStatus::Allowed);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(super::command(), &dir).with_context(|| format!("cannot write the man pages to {}", dir.display()))?;
    printer.status(format_args!("wrote the man pages to {}", dir.display()));
    Ok(ExitStatus::Allowed)
}
