//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards and archives.
//!
//! One run; the driver lists every catalog rule as a reporting descriptor (title,
//! when, remediation, KB link, default level from the effective severity, disabled
//! rules marked `enabled: false`). Each finding is a result with its rule, level and
//! message, located logically at its site (`kind: module`) and resource
//! (`kind: resource`, fully qualified as `site/resource`) and physically in the
//! snapshot file. Waived findings carry an accepted external suppression with the
//! waiver's justification, so dashboards hide them without losing them.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::ReportContext;
use crate::findings::{kb_url, Decision, Finding, Severity};
use crate::policy::sha256_hex;

/// The schema URI written in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the tool is documented: the package's `homepage` in Cargo.toml (one place). SARIF
/// makes `informationUri` optional: a build without a homepage leaves it out.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_HOMEPAGE");

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Deny => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(ctx: &ReportContext, id: &str, d: &Decision) -> Value {
    let Some(r) = ctx.rule(id) else {
        // A finding whose id the context does not know (a report built without the
        // catalog): describe it from the finding itself.
        let f = d.findings.iter().find(|f| f.id == id);
        return json!({
            "id": id,
            "shortDescription": { "text": f.map(|f| f.title.as_str()).unwrap_or(id) },
            "defaultConfiguration": { "level": f.map(|f| level(f.severity)).unwrap_or("error") },
        });
    };
    let mut v = json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.when.as_deref().unwrap_or(&r.title) },
        "help": { "text": r.remediation },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "severity": r.severity.as_str() },
    });
    if r.disabled {
        v["defaultConfiguration"]["enabled"] = json!(false);
    }
    if let Some(kb) = &r.kb {
        v["helpUri"] = json!(kb_url(kb));
        v["properties"]["kb"] = json!(kb);
    }
    v
}

fn result(f: &Finding, rule_index: usize, ctx: &ReportContext) -> Value {
    let mut logical = Vec::new();
    if let Some(site) = &f.site {
        logical.push(json!({ "name": site, "fullyQualifiedName": site, "kind": "module" }));
    }
    if let Some(resource) = &f.resource {
        let fqn = match &f.site {
            Some(site) => format!("{site}/{resource}"),
            None => resource.clone(),
        };
        logical.push(json!({ "name": resource, "fullyQualifiedName": fqn, "kind": "resource" }));
    }
    let mut location = json!({});
    if let Some(path) = &ctx.snapshot_path {
        location["physicalLocation"] = json!({ "artifactLocation": { "uri": path.replace('\\', "/") } });
    }
    if !logical.is_empty() {
        location["logicalLocations"] = json!(logical);
    }
    let identity = format!(
        "{}\0{}\0{}",
        f.id,
        f.site.as_deref().unwrap_or(""),
        f.resource.as_deref().unwrap_or("")
    );
    let mut v = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": f.message },
        "partialFingerprints": { "hcxPreflightFinding/v1": sha256_hex(identity.as_bytes()) },
    });
    if location.as_object().is_some_and(|o| !o.is_empty()) {
        v["locations"] = json!([location]);
    }
    if let Some(evidence) = f.evidence.as_ref().filter(|e| !e.is_empty()) {
        v["properties"] = json!({ "evidence": evidence });
    }
    if let Some(w) = &f.waiver {
        v["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (approved by {}, expires {})", w.reason, w.approved_by, w.expires),
        }]);
    }
    v
}

/// The SARIF log as a JSON value.
pub fn to_value(d: &Decision, ctx: &ReportContext) -> Value {
    let ids = ctx.rule_ids(d);
    let rules: Vec<Value> = ids.iter().map(|id| descriptor(ctx, id, d)).collect();
    let results: Vec<Value> = d
        .findings
        .iter()
        .map(|f| {
            let index = ids.iter().position(|id| *id == f.id).unwrap_or(0);
            result(f, index, ctx)
        })
        .collect();
    let mut driver = json!({
        "name": d.tool.name,
        "version": d.tool.version,
        "semanticVersion": d.tool.version,
        "rules": rules,
    });
    if !INFORMATION_URI.is_empty() {
        driver["informationUri"] = json!(INFORMATION_URI);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "results": results,
            "properties": {
                "decision": format!("{:?}", d.decision).to_lowercase(),
                "plan": d.plan,
                "summary": d.summary,
                "snapshot_sha256": d.snapshot_sha256,
                "policy_sha256": d.policy_sha256,
            },
        }],
    })
}

/// Write the SARIF 2.1.0 log of `d`.
pub fn render(d: &Decision, ctx: &ReportContext, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(d, ctx)).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
