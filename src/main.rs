//! The `hcx-preflight` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::FromArgMatches;
use cli::{run, Cli, ExitStatus, Printer};

fn main() -> ExitCode {
    let cli = match cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; a usage error cannot decide anything.
            return if e.use_stderr() { ExitStatus::Error.into() } else { ExitCode::SUCCESS };
        }
    };
    let printer = Printer::new(&cli.global);
    match run(cli, &printer) {
        Ok(status) => status.into(),
        // The reader went away (`| head`): nothing left to say to anyone (ripgrep's way).
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            printer.error(&e);
            ExitStatus::Error.into()
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
