//! The `hcx-preflight` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use cli::{run, Cli, ExitStatus};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; a usage error cannot decide anything.
            return if e.use_stderr() { ExitStatus::Error.into() } else { ExitCode::SUCCESS };
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        // The reader went away (`| head`): nothing left to say to anyone (ripgrep's way).
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitStatus::Error.into()
        }
    }
}

/// The error and its causes, each said once: many errors of the library already put their
/// cause in their own message (`cannot read config FILE: No such file ...`), and `{:#}`
/// would repeat it.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
