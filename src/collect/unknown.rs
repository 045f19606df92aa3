//! The facts a collection could not read, per site, and how to settle each: the data
//! behind the summary that `collect` and `check --site` end with, and the form that
//! `--unknown-out FILE` writes for the operator to fill in (value and evidence per fact)
//! and pass back with `--attestations FILE`. The loop: collect -> fill in -> check.
//!
//! Built from a snapshot's `errors` (after the attestations given were applied), so it
//! lists exactly what is still unknown. Rendering writes into any `io::Write`; the
//! command layer decides where it goes.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::facts::{self, Attestable};
use crate::snapshot::Snapshot;
use crate::text::plural;

/// One fact that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFact {
    pub site: String,
    /// The fact as the snapshot's `errors` names it.
    pub fact: String,
    /// Why it is unknown (the `errors` message, without its attest line).
    pub reason: String,
    /// The attestations that settle it; empty when it cannot be attested (collect again).
    pub attest: Vec<Attestable>,
}

impl UnknownFact {
    /// The ready-to-paste `--attest` lines, one per attestable fact.
    pub fn attest_lines(&self) -> Vec<String> {
        self.attest
            .iter()
            .map(|a| facts::attest_line(&self.site, &a.fact, a.proposed))
            .collect()
    }
}

/// Every fact a snapshot says it could not read, in the snapshot's order (by site).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownFacts(pub Vec<UnknownFact>);

impl UnknownFacts {
    /// What is still unknown in `snapshot`.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        let role = |name: &str| snapshot.sites.iter().find(|s| s.name == name).map(|s| s.role);
        let list = snapshot
            .errors
            .iter()
            .filter_map(|e| {
                let site = e.site.clone()?;
                let attest = role(&site)
                    .map(|r| facts::attestable_for(&e.fact, r))
                    .unwrap_or_default();
                let mut reason = e.message.clone();
                if let [a] = attest.as_slice() {
                    let suffix = format!("; attest it with {}", facts::attest_line(&site, &a.fact, a.proposed));
                    if let Some(stripped) = reason.strip_suffix(&suffix) {
                        reason = stripped.to_string();
                    }
                }
                Some(UnknownFact {
                    site,
                    fact: e.fact.clone(),
                    reason,
                    attest,
                })
            })
            .collect();
        Self(list)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The human summary: per site, each unknown fact, why, and its `--attest` lines (or
    /// that it cannot be attested).
    pub fn render(&self, w: &mut impl Write) -> io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let sites: std::collections::BTreeSet<&str> = self.0.iter().map(|u| u.site.as_str()).collect();
        writeln!(
            w,
            "could not read {} at {}: verify each where you can and attest it (fill in --unknown-out FILE and pass it to --attestations, or paste the lines):",
            plural(self.0.len(), "fact", "facts"),
            plural(sites.len(), "site", "sites"),
        )?;
        let mut current = None;
        for u in &self.0 {
            if current != Some(u.site.as_str()) {
                writeln!(w, "  site {}:", u.site)?;
                current = Some(u.site.as_str());
            }
            writeln!(w, "    {}: {}", u.fact, u.reason)?;
            if u.attest.is_empty() {
                writeln!(w, "      cannot be attested: collect again once the manager answers")?;
            }
            for (a, line) in u.attest.iter().zip(u.attest_lines()) {
                writeln!(w, "      {line}   ({})", a.accepted)?;
            }
        }
        Ok(())
    }

    /// The form for `--unknown-out`: one entry per attestable fact, value and evidence
    /// left empty for the operator.
    pub fn form(&self) -> UnknownForm {
        let unknown_facts = self
            .0
            .iter()
            .flat_map(|u| {
                u.attest.iter().map(|a| FormEntry {
                    site: u.site.clone(),
                    fact: a.fact.clone(),
                    why: u.reason.clone(),
                    accepted: a.accepted.to_string(),
                    value: serde_json::Value::String(String::new()),
                    evidence: String::new(),
                    by: None,
                    at: None,
                })
            })
            .collect();
        UnknownForm { unknown_facts }
    }

    /// Write [`Self::form`] to `path` atomically: TOML when the name ends in `.toml`, else JSON.
    pub fn write_form(&self, path: &Path) -> io::Result<()> {
        let form = self.form();
        let text = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            toml::to_string(&form).map_err(io::Error::other)?
        } else {
            let mut t = serde_json::to_string_pretty(&form).map_err(io::Error::other)?;
            t.push('\n');
            t
        };
        crate::fsutil::write_atomic(path, text.as_bytes())
    }
}

/// The fill-in form (`{"unknown_facts": [...]}` / `[[unknown_facts]]`), which
/// `--attestations` accepts beside its own format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownForm {
    pub unknown_facts: Vec<FormEntry>,
}

/// One fact to fill in. `why` and `accepted` are for the operator and ignored when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormEntry {
    pub site: String,
    pub fact: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub accepted: String,
    /// Empty until filled in.
    #[serde(default)]
    pub value: serde_json::Value,
    /// Empty until filled in.
    #[serde(default)]
    pub evidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl FormEntry {
    /// Whether the operator filled in both the value and the evidence.
    pub fn is_filled(&self) -> bool {
        let value = match &self.value {
            serde_json::Value::Null => false,
            serde_json::Value::String(s) => !s.trim().is_empty(),
            _ => true,
        };
        value && !self.evidence.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let error = |site: &str, fact: &str, message: String| serde_json::json!({"site": site, "fact": fact, "message": message});
        let tunnel = facts::appliance("mesh 1", "IX;1", "tunnel_status");
        let site = |name: &str, role: &str| serde_json::json!({"name": name, "role": role, "manager": {}});
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "collected_at": "2026-11-29T09:00:00Z",
            "collector": {"name": "t", "version": "0"},
            "sites": [site("source", "connector"), site("cloud", "cloud")],
            "errors": [
                error("source", "backup", format!("no API; attest it with {}", facts::attest_line("source", "backup.last_success_at", "TIME"))),
                error("source", "manager.version", "GET /x: 503".into()),
                error("cloud", &tunnel, "no tunnel state".into()),
                error("cloud", "connections", "appliance management not read".into()),
            ],
        }))
        .expect("a snapshot")
    }

    #[test]
    fn summary_per_site_with_quoted_lines() {
        let u = UnknownFacts::from_snapshot(&snapshot());
        assert_eq!(u.0[0].reason, "no API", "the attest line is not repeated in the reason");
        let mut out = Vec::new();
        u.render(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("could not read 4 facts at 2 sites"), "{text}");
        assert!(text.contains("  site source:\n    backup: no API\n      --attest 'source.backup.last_success_at=TIME;evidence=WHAT SHOWS IT'"), "{text}");
        assert!(text.contains("manager.version: GET /x: 503\n      cannot be attested"), "{text}");
        let line = &u.0[2].attest_lines()[0];
        let words = shlex::split(line).unwrap();
        assert_eq!(words[1], "cloud.service_meshes.mesh 1.appliances.IX;1.tunnel_status=up;evidence=WHAT SHOWS IT");
        // The whole connection list of a cloud site: one line per kind.
        assert_eq!(u.0[3].attest.len(), 5);
    }

    #[test]
    fn the_form_lists_attestable_facts_unfilled() {
        let form = UnknownFacts::from_snapshot(&snapshot()).form();
        assert_eq!(form.unknown_facts.len(), 1 + 1 + 5);
        assert!(form.unknown_facts.iter().all(|e| !e.is_filled()));
        let dir = tempfile::tempdir().unwrap();
        for name in ["u.json", "u.toml"] {
            let path = dir.path().join(name);
            UnknownFacts::from_snapshot(&snapshot()).write_form(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("backup.last_success_at"), "{text}");
        }
    }
}
