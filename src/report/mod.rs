//! Report formatters: one file per format, each writing a [`Decision`] to any
//! `io::Write`, so that tests render into a `Vec<u8>`. Printers decide nothing:
//! the decision and its exit code come from [`crate::findings`].

use std::io::{self, Write};

use crate::findings::Decision;

pub mod json;
pub mod table;

/// The output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables grouped by severity (80 columns).
    Table,
    /// The decision record (contract section 4).
    Json,
}

/// Options that affect rendering only.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// ANSI colour (only on a terminal, never with NO_COLOR).
    pub color: bool,
}

/// Render `decision` in `format`.
pub fn render(decision: &Decision, format: Format, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::render(decision, opts, out),
        Format::Json => json::render(decision, out),
    }
}

/// Colour on stdout: a terminal, and NO_COLOR unset or empty.
pub fn stdout_wants_color() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && io::stdout().is_terminal()
}
