//! The one Printer (uv's `Printer`, ripgrep's printers over `io::Write`): it owns stdout
//! and stderr, decides colour and progress once per run (`--color`, `NO_COLOR`,
//! `TERM=dumb`, whether each stream is a terminal), `--quiet` and `--verbose`, and the
//! table's width and characters. The library never prints: it returns data, renders into
//! a writer the printer gives it, or tells [`upgrade::Reporter`] events that the printer
//! renders here.

use std::fmt::Display;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;

use hcx_preflight::collect::{CollectOptions, CredentialSource, ProcessEnv};
use hcx_preflight::findings::Decision;
use hcx_preflight::policy::PolicySet;
use hcx_preflight::report::{self, Format, ReportContext};
use hcx_preflight::route::render::RouteFormat;
use hcx_preflight::route::Route;
use hcx_preflight::snapshot::Snapshot;
use hcx_preflight::text::RenderOptions;
use hcx_preflight::upgrade::{self, Event};

use super::GlobalArgs;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    #[default]
    Auto,
    Always,
    Never,
}

/// The width of a table when stdout is not a terminal (and `COLUMNS` is not set).
const DEFAULT_WIDTH: u16 = 80;

#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    stdout_color: bool,
    stderr_color: bool,
    /// Progress bars and spinners: stderr is a terminal and not `--quiet`.
    progress: bool,
    /// Someone can answer a question: stdin is a terminal.
    interactive: bool,
    width: u16,
    ascii: bool,
}

impl Printer {
    /// Every decision about the streams, made once.
    pub fn new(global: &GlobalArgs) -> Self {
        let stdout_terminal = io::stdout().is_terminal();
        let stderr_terminal = io::stderr().is_terminal();
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .or_else(|| stdout_terminal.then(|| terminal_size::terminal_size().map(|(w, _)| w.0)).flatten())
            .unwrap_or(DEFAULT_WIDTH)
            .max(40);
        Printer {
            quiet: global.quiet,
            verbose: global.verbose,
            stdout_color: wants_color(global.color, &io::stdout()),
            stderr_color: wants_color(global.color, &io::stderr()),
            progress: stderr_terminal && !global.quiet,
            interactive: io::stdin().is_terminal(),
            width,
            ascii: global.ascii || dumb,
        }
    }

    /// Whether a long run shows its progress on stderr.
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// How reports render: for stdout (colour where it goes to a terminal), or for a file.
    pub fn render_options(&self, to_file: bool) -> RenderOptions {
        RenderOptions {
            color: self.stdout_color && !to_file,
            width: self.width,
            ascii: self.ascii,
        }
    }

    /// Write the command's output to stdout. A closed pipe is an `Err`; `main` ends
    /// quietly on it.
    pub fn stdout(&self, bytes: &[u8]) -> Result<()> {
        Ok(write_stdout(bytes)?)
    }

    /// Write the command's output to a file (atomically), or to stdout.
    pub fn emit(&self, path: Option<&Path>, bytes: &[u8]) -> Result<()> {
        match path {
            Some(p) => {
                hcx_preflight::fsutil::write_atomic(p, bytes).with_context(|| format!("cannot write {}", p.display()))
            }
            None => self.stdout(bytes),
        }
    }

    /// A line about what was done (`wrote FILE`, a next step): hidden by `--quiet`.
    pub fn status(&self, line: impl Display) {
        if !self.quiet {
            self.stderr_line(&line.to_string());
        }
    }

    /// A line the operator must see even with `--quiet` (a warning, a denial, a failure).
    pub fn warn(&self, line: impl Display) {
        self.stderr_line(&line.to_string());
    }

    /// A line only `--verbose` shows.
    pub fn verbose(&self, line: impl Display) {
        if self.verbose && !self.quiet {
            self.stderr_line(&line.to_string());
        }
    }

    /// The error that ends the command.
    pub fn error(&self, error: &anyhow::Error) {
        let label = self.paint_stderr("error:", anstyle::AnsiColor::Red);
        self.stderr_line(&format!("{label} {}", error_text(error)));
    }

    fn paint_stderr(&self, text: &str, color: anstyle::AnsiColor) -> String {
        if self.stderr_color {
            let style = anstyle::Style::new().bold().fg_color(Some(color.into()));
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn stderr_line(&self, line: &str) {
        // Nothing sensible is left to do when stderr itself is gone.
        let _ = writeln!(io::stderr().lock(), "{line}");
    }

    /// What the collector says before it starts (`--insecure`).
    pub fn collect_warnings(&self, opts: &CollectOptions) {
        for w in hcx_preflight::collect::warnings(opts) {
            self.warn(w);
        }
    }

    /// The credentials: the environment, and questions when stdin is a terminal.
    pub fn credentials(&self) -> Terminal {
        Terminal { interactive: self.interactive }
    }

    /// The reporter of `upgrade`/`verify`: decisions in `format`, events on stderr.
    pub fn gate_reporter(&self, format: Format) -> GateReporter<'_> {
        GateReporter { printer: self, format }
    }

    /// Render one upgrade event.
    pub fn event(&self, event: &Event) {
        if event.is_progress() {
            self.status(event);
        } else {
            self.warn(event);
        }
    }
}

fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush())
}

/// Colour on `stream`: `--color always|never`, else anstream's reading of the
/// environment (a terminal; `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`).
fn wants_color<S: anstream::stream::RawStream>(choice: ColorChoice, stream: &S) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !matches!(anstream::AutoStream::choice(stream), anstream::ColorChoice::Never),
    }
}

/// The credential source of the binary: the process environment, and a question on the
/// terminal when stdin is one (a password is not echoed).
pub struct Terminal {
    interactive: bool,
}

impl CredentialSource for Terminal {
    fn var(&self, name: &str) -> Option<String> {
        ProcessEnv.var(name)
    }

    fn ask(&self, question: &str, hidden: bool) -> Option<io::Result<String>> {
        if !self.interactive {
            return None;
        }
        if hidden {
            return Some(rpassword::prompt_password(question));
        }
        Some(ask_line(question))
    }
}

fn ask_line(question: &str) -> io::Result<String> {
    let mut err = io::stderr().lock();
    write!(err, "{question}")?;
    err.flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line)
}

/// `upgrade`/`verify`'s reporter: see [`Printer::gate_reporter`].
pub struct GateReporter<'a> {
    printer: &'a Printer,
    format: Format,
}

impl upgrade::Reporter for GateReporter<'_> {
    fn event(&self, event: Event) {
        self.printer.event(&event);
    }

    fn decision(&self, decision: &Decision, snapshot: &Snapshot, policies: &PolicySet) -> io::Result<()> {
        let ctx = ReportContext::new(policies, snapshot, None);
        let mut buf = Vec::new();
        report::render(decision, self.format, self.printer.render_options(false), &ctx, &mut buf)?;
        write_stdout(&buf)
    }

    fn route(&self, route: &Route) -> io::Result<()> {
        let mut buf = Vec::new();
        hcx_preflight::route::render::render(route, RouteFormat::Table, &mut buf)?;
        write_stdout(&buf)
    }

    fn confirm(&self, question: &str) -> Option<io::Result<bool>> {
        if !self.printer.interactive {
            return None;
        }
        Some(ask_line(question).map(|a| matches!(a.trim(), "y" | "Y" | "yes")))
    }

    fn progress(&self) -> bool {
        self.printer.progress
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
