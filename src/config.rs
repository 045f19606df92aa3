//! The organisation's config (`hcx-preflight.toml`): thresholds, per-rule severity
//! overrides and disabling, and waivers.
//!
//! The file is parsed, then validated against the policy catalog into a
//! [`ValidConfig`]; validation reports every problem at once, each with its line.
//! The valid config becomes the data document `data.hcx.config`, so that the
//! policies (and OPA on an exported bundle) apply it themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use crate::findings::Severity;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "hcx-preflight.toml";

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config {path} has {} problem(s):\n{}", problems.len(), problems.join("\n"))]
    Invalid { path: PathBuf, problems: Vec<String> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    thresholds: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disabled: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: Spanned<String>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    reason: String,
    approved_by: String,
    expires: Spanned<toml::Value>,
}

/// A waiver that passed validation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiver {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
    pub approved_by: String,
    /// RFC 3339, UTC.
    pub expires: String,
}

/// A config that passed validation against a catalog.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ValidConfig {
    pub thresholds: BTreeMap<String, serde_json::Value>,
    pub severity: BTreeMap<String, Severity>,
    pub disabled: Vec<String>,
    pub waivers: Vec<Waiver>,
    /// Where it came from, for messages and digests.
    #[serde(skip)]
    pub source: Option<(PathBuf, String)>,
}

/// A config file's text, parsed but not yet validated.
pub struct ConfigFile {
    path: PathBuf,
    text: String,
    raw: RawConfig,
}

impl ConfigFile {
    /// Read `path`; syntax errors name the line.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, text)
    }

    /// Parse config text; `path` is only used in messages.
    pub fn parse(path: &Path, text: String) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: describe_toml_error(&text, &e),
        })?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            text,
            raw,
        })
    }

    /// Find the config to use: `--config FILE`, else `hcx-preflight.toml` here, else none.
    pub fn discover(explicit: Option<&Path>) -> Result<Option<Self>, ConfigError> {
        match explicit {
            Some(p) => Self::load(p).map(Some),
            None => {
                let p = Path::new(DEFAULT_FILE);
                if p.is_file() {
                    Self::load(p).map(Some)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Validate against the rule ids of the catalog and the known thresholds.
    /// Every problem is reported, each with its line.
    pub fn validate(
        &self,
        rule_ids: &BTreeSet<String>,
        thresholds: &BTreeMap<String, serde_json::Value>,
    ) -> Result<ValidConfig, ConfigError> {
        let mut problems = Vec::new();
        let line = |span: Range<usize>| line_of(&self.text, span.start);
        let mut out = ValidConfig {
            source: Some((self.path.clone(), self.text.clone())),
            ..Default::default()
        };

        for (name, value) in &self.raw.thresholds {
            if !thresholds.contains_key(name.get_ref()) {
                problems.push(format!(
                    "line {}: unknown threshold `{}` (known: {})",
                    line(name.span()),
                    name.get_ref(),
                    thresholds.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
            let number = match value.get_ref() {
                toml::Value::Integer(i) if *i >= 0 => serde_json::Value::from(*i),
                toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => serde_json::Value::from(*f),
                _ => {
                    problems.push(format!(
                        "line {}: threshold `{}` must be a number of at least 0",
                        line(value.span()),
                        name.get_ref()
                    ));
                    continue;
                }
            };
            out.thresholds.insert(name.get_ref().clone(), number);
        }

        let check_id = |id: &Spanned<String>, what: &str, problems: &mut Vec<String>| {
            if rule_ids.contains(id.get_ref()) {
                true
            } else {
                problems.push(format!(
                    "line {}: {what} names unknown rule id `{}` (see `hcx-preflight policy list`)",
                    line(id.span()),
                    id.get_ref()
                ));
                false
            }
        };

        for id in &self.raw.rules.disabled {
            if check_id(id, "rules.disabled", &mut problems) {
                out.disabled.push(id.get_ref().clone());
            }
        }
        out.disabled.sort();
        out.disabled.dedup();

        for (id, sev) in &self.raw.rules.severity {
            if !check_id(id, "rules.severity", &mut problems) {
                continue;
            }
            match sev.get_ref().as_str() {
                "deny" => out.severity.insert(id.get_ref().clone(), Severity::Deny),
                "warn" => out.severity.insert(id.get_ref().clone(), Severity::Warn),
                "info" => out.severity.insert(id.get_ref().clone(), Severity::Info),
                other => {
                    problems.push(format!(
                        "line {}: severity `{other}` for `{}` is not deny, warn or info",
                        line(sev.span()),
                        id.get_ref()
                    ));
                    None
                }
            };
        }

        for w in &self.raw.waivers {
            let at = line(w.span());
            let raw = w.get_ref();
            if !check_id(&raw.id, "waiver", &mut problems) {
                continue;
            }
            if raw.reason.trim().is_empty() || raw.approved_by.trim().is_empty() {
                problems.push(format!(
                    "line {at}: the waiver for `{}` needs a reason and approved_by",
                    raw.id.get_ref()
                ));
                continue;
            }
            let expires = match parse_expiry(raw.expires.get_ref()) {
                Ok(t) => crate::plan::format_time(&t),
                Err(e) => {
                    problems.push(format!("line {}: waiver expires: {e}", line(raw.expires.span())));
                    continue;
                }
            };
            out.waivers.push(Waiver {
                id: raw.id.get_ref().clone(),
                site: raw.site.clone(),
                resource: raw.resource.clone(),
                reason: raw.reason.clone(),
                approved_by: raw.approved_by.clone(),
                expires,
            });
        }

        if problems.is_empty() {
            Ok(out)
        } else {
            Err(ConfigError::Invalid {
                path: self.path.clone(),
                problems,
            })
        }
    }
}

impl ValidConfig {
    /// The data document `data.hcx.config`.
    pub fn to_data(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("config serializes")
    }
}

/// A waiver's expiry: a TOML date-time or date, or an RFC 3339 string. A bare date
/// means the end of that day in UTC.
fn parse_expiry(v: &toml::Value) -> Result<DateTime<Utc>, String> {
    let text = match v {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => return Err("must be a date (2026-12-31) or an RFC 3339 time".into()),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        let end = d.and_hms_opt(23, 59, 59).expect("valid time of day");
        return Ok(end.and_utc());
    }
    Err(format!("`{text}` is not a date (2026-12-31) or an RFC 3339 time with an offset"))
}

/// The 1-based line of a byte offset (shared with the inventory's messages).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// A TOML parse error with its line (shared with the inventory's messages).
pub(crate) fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("line {}: {msg}", line_of(text, span.start)),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> BTreeSet<String> {
        ["backup-missing", "version-skew"].iter().map(|s| s.to_string()).collect()
    }

    fn thresholds() -> BTreeMap<String, serde_json::Value> {
        [("backup_max_age_hours".to_string(), serde_json::json!(24))].into_iter().collect()
    }

    fn validate(text: &str) -> Result<ValidConfig, ConfigError> {
        ConfigFile::parse(Path::new("org.toml"), text.to_string())?.validate(&ids(), &thresholds())
    }

    #[test]
    fn a_full_config_validates() {
        let c = validate(
            "[thresholds]\nbackup_max_age_hours = 12\n[rules]\ndisabled = [\"version-skew\"]\n[rules.severity]\nbackup-missing = \"warn\"\n[[waivers]]\nid = \"backup-missing\"\nsite = \"source\"\nreason = \"r\"\napproved_by = \"cab\"\nexpires = 2026-12-31\n",
        )
        .unwrap();
        assert_eq!(c.thresholds["backup_max_age_hours"], serde_json::json!(12));
        assert_eq!(c.waivers[0].expires, "2026-12-31T23:59:59Z");
        assert_eq!(c.severity["backup-missing"], Severity::Warn);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let e = validate("[rules]\ndisabled = [\"nope\"]\n\n[[waivers]]\nid = \"also-nope\"\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2026-01-01\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 2: rules.disabled names unknown rule id `nope`"), "{msg}");
        assert!(msg.contains("line 5: waiver names unknown rule id `also-nope`"), "{msg}");
    }

    #[test]
    fn malformed_entries_name_the_line() {
        let msg = validate("[[waivers]]\nid = \"backup-missing\"\nreason = \"r\"\n").unwrap_err().to_string();
        assert!(msg.contains("line 1") && msg.contains("approved_by"), "{msg}");
        let msg = validate("[thresholds]\nbackup_max_age_hours = \"x\"\n").unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
    }
}
