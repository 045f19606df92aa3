//! The `hcx-preflight` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use hcx_preflight::cli::{run, Cli, ExitStatus};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; a usage error cannot decide anything.
            return ExitCode::from(if e.use_stderr() { ExitStatus::Error.code() } else { 0 });
        }
    };
    match run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(ExitStatus::Error.code())
        }
    }
}
