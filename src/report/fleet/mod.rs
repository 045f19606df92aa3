//! Fleet report formats: the same formats as `check`, for many estates at once (one
//! file per format, each writing a [`FleetReport`] to any `io::Write`). An undecided
//! estate is always shown with its error, never left out.
//!
//! - `table`: a summary (estate, tags, sites and versions, decision, deny/warn counts,
//!   first blocker), then each estate's usual table.
//! - `json`: one document: `fleet` (header and summary) and `estates` (each with its
//!   decision record, exactly as `check --format json` writes it, or its error).
//! - `junit`: one test suite per estate; `sarif`: one run per estate.
//! - `markdown`: a fleet compliance report; `html`: one self-contained page ([`super::html`]).

use std::io::{self, Write};

use super::Format;
use crate::text::RenderOptions;
use crate::fleet::FleetReport;

pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

/// Render the fleet in `format`.
pub fn render(report: &FleetReport, format: Format, opts: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::render(report, opts, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
            out.write_all(b"\n")
        }
        Format::Junit => junit::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Html => super::html::render(report, out),
    }
}

/// `key=value` pairs of an estate's tags, comma-separated (`-` when none).
pub fn tag_text(tags: &std::collections::BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "-".into();
    }
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// `name version` of each site, comma-separated (`?` for an unknown version).
pub(crate) fn sites_text(e: &crate::fleet::EstateResult) -> String {
    if e.sites.is_empty() {
        return "-".into();
    }
    e.sites
        .iter()
        .map(|s| format!("{} {}", s.name, s.version.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}
