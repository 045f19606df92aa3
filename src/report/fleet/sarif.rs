//! Fleet `--format sarif`: one SARIF 2.1.0 log with one run per estate (the run of
//! `check --format sarif`, with `automationDetails.id` = `hcx-preflight/ESTATE/` and the
//! estate's tags in its properties: `tags` as `KEY=VALUE` strings, `estate_tags` as an object); an undecided estate is a run whose invocation
//! failed, with its error as a notification, and no results.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::FleetReport;
use crate::report::sarif::{to_value, SCHEMA};

pub fn to_fleet_value(r: &FleetReport) -> Value {
    let runs: Vec<Value> = r
        .estates
        .iter()
        .map(|e| {
            let mut run = match (&e.decision, &e.context) {
                (Some(d), Some(ctx)) => to_value(d, ctx)["runs"][0].take(),
                _ => {
                    let (stage, message) = e.error.as_ref().map_or(("evaluate".to_string(), "no decision".to_string()), |err| {
                        (err.stage.as_str().to_string(), err.message.clone())
                    });
                    json!({
                        "tool": { "driver": { "name": r.fleet.tool.name, "version": r.fleet.tool.version, "semanticVersion": r.fleet.tool.version } },
                        "results": [],
                        "invocations": [{
                            "executionSuccessful": false,
                            "toolExecutionNotifications": [{ "level": "error", "message": { "text": format!("{stage} failed: {message}") } }],
                        }],
                        "properties": { "decision": "undecided" },
                    })
                }
            };
            run["automationDetails"] = json!({ "id": format!("hcx-preflight/{}/", e.name) });
            run["properties"]["estate"] = json!(e.name);
            // SARIF reserves `tags` in a property bag for a list of strings.
            run["properties"]["tags"] = json!(e.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>());
            run["properties"]["estate_tags"] = json!(e.tags);
            run["properties"]["outcome"] = json!(e.outcome);
            run
        })
        .collect();
    json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": runs })
}

pub fn render(r: &FleetReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_fleet_value(r)).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
