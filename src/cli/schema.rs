//! `hcx-preflight schema`: the JSON Schema of the snapshot.

use anyhow::Result;

use super::{write_stdout, ExitStatus};

pub fn schema() -> Result<ExitStatus> {
    let mut text = serde_json::to_string_pretty(&hcx_preflight::snapshot::Snapshot::json_schema())?;
    text.push('\n');
    write_stdout(text.as_bytes())?;
    Ok(ExitStatus::Allowed)
}
