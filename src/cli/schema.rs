//! `hcx-preflight schema`: the JSON Schema of the snapshot.

use anyhow::Result;

use super::{ExitStatus, Printer};

pub fn schema(printer: &Printer) -> Result<ExitStatus> {
    let mut text = serde_json::to_string_pretty(&hcx_preflight::snapshot::Snapshot::json_schema())?;
    text.push('\n');
    printer.stdout(text.as_bytes())?;
    Ok(ExitStatus::Allowed)
}
