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

pub use crate::findings::Waiver;
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
    #[error("config {path} has {}:\n{}", count(problems), lines(problems))]
    Invalid { path: PathBuf, problems: Vec<ConfigProblem> },
}

/// One problem of a config file: its line and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigProblem {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `1 problem`, `2 problems` (the config sits below `report`, whose `plural` it cannot use).
fn count(problems: &[ConfigProblem]) -> String {
    match problems.len() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    }
}

fn lines(problems: &[ConfigProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
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

    /// Validate against the rule ids of the catalog and the known thresholds (their
    /// defaults, from `data.hcx.params.thresholds`). Every problem is reported, each
    /// with its line.
    pub fn validate(
        &self,
        rule_ids: &BTreeSet<String>,
        thresholds: &BTreeMap<String, serde_json::Value>,
    ) -> Result<ValidConfig, ConfigError> {
        let mut v = Validation {
            text: &self.text,
            rule_ids,
            problems: Vec::new(),
        };
        let mut out = ValidConfig {
            thresholds: v.thresholds(&self.raw.thresholds, thresholds),
            disabled: v.disabled(&self.raw.rules.disabled),
            severity: v.severities(&self.raw.rules.severity),
            waivers: v.waivers(&self.raw.waivers),
            source: None,
        };
        if !v.problems.is_empty() {
            v.problems.sort();
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                problems: v.problems,
            });
        }
        out.source = Some((self.path.clone(), self.text.clone()));
        Ok(out)
    }
}

/// One validation of a config: what it checks against, and the problems found so far.
struct Validation<'a> {
    text: &'a str,
    rule_ids: &'a BTreeSet<String>,
    problems: Vec<ConfigProblem>,
}

impl Validation<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problems.push(ConfigProblem {
            line: line_of(self.text, span.start),
            message,
        });
    }

    /// `[thresholds]`: known names, numbers of at least 0.
    fn thresholds(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
        known: &BTreeMap<String, serde_json::Value>,
    ) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        for (name, value) in raw {
            if !known.contains_key(name.get_ref()) {
                let names: Vec<&str> = known.keys().map(String::as_str).collect();
                let message = format!("unknown threshold `{}`{} (known: {})", name.get_ref(), did_you_mean(name.get_ref(), names.iter().copied()), names.join(", "));
                self.problem(name.span(), message);
                continue;
            }
            match value.get_ref() {
                toml::Value::Integer(i) if *i >= 0 => {
                    out.insert(name.get_ref().clone(), serde_json::Value::from(*i));
                }
                toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => {
                    out.insert(name.get_ref().clone(), serde_json::Value::from(*f));
                }
                _ => self.problem(value.span(), format!("threshold `{}` must be a number of at least 0", name.get_ref())),
            }
        }
        out
    }

    /// Whether `id` is a rule id of the catalog; a problem (with a suggestion) if not.
    fn known_rule(&mut self, id: &Spanned<String>, what: &str) -> bool {
        if self.rule_ids.contains(id.get_ref()) {
            return true;
        }
        let hint = did_you_mean(id.get_ref(), self.rule_ids.iter().map(String::as_str));
        self.problem(
            id.span(),
            format!("{what} names unknown rule id `{}`{hint} (see `hcx-preflight policy list`)", id.get_ref()),
        );
        false
    }

    /// `rules.disabled`: known ids, sorted, once each.
    fn disabled(&mut self, raw: &[Spanned<String>]) -> Vec<String> {
        let mut out: Vec<String> = raw
            .iter()
            .filter(|id| self.known_rule(id, "rules.disabled"))
            .map(|id| id.get_ref().clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `[rules.severity]`: known ids, each with deny, warn or info.
    fn severities(&mut self, raw: &BTreeMap<Spanned<String>, Spanned<String>>) -> BTreeMap<String, Severity> {
        let mut out = BTreeMap::new();
        for (id, sev) in raw {
            if !self.known_rule(id, "rules.severity") {
                continue;
            }
            match severity_of(sev.get_ref()) {
                Some(s) => {
                    out.insert(id.get_ref().clone(), s);
                }
                None => self.problem(
                    sev.span(),
                    format!("severity `{}` for `{}` is not deny, warn or info", sev.get_ref(), id.get_ref()),
                ),
            }
        }
        out
    }

    /// `[[waivers]]`: a known id, a reason and approver, an expiry.
    fn waivers(&mut self, raw: &[Spanned<RawWaiver>]) -> Vec<Waiver> {
        let mut out = Vec::new();
        for w in raw {
            let r = w.get_ref();
            if !self.known_rule(&r.id, "waiver") {
                continue;
            }
            if r.reason.trim().is_empty() || r.approved_by.trim().is_empty() {
                self.problem(w.span(), format!("the waiver for `{}` needs a reason and approved_by", r.id.get_ref()));
                continue;
            }
            let expires = match parse_expiry(r.expires.get_ref()) {
                Ok(t) => crate::plan::format_time(&t),
                Err(e) => {
                    self.problem(r.expires.span(), format!("waiver expires: {e}"));
                    continue;
                }
            };
            out.push(Waiver {
                id: r.id.get_ref().clone(),
                site: r.site.clone(),
                resource: r.resource.clone(),
                reason: r.reason.clone(),
                approved_by: r.approved_by.clone(),
                expires,
            });
        }
        out
    }
}

fn severity_of(name: &str) -> Option<Severity> {
    match name {
        "deny" => Some(Severity::Deny),
        "warn" => Some(Severity::Warn),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

/// ` (did you mean `x`?)` for the known name closest to `unknown`, when one is close
/// enough to be a likely typo; empty otherwise.
pub fn did_you_mean<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), k))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
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
    fn problems_are_values_with_their_line_and_suggest_the_closest_id() {
        let Err(ConfigError::Invalid { problems, .. }) = validate("[rules]\ndisabled = [\"backup-mising\", \"zzz\"]\n[thresholds]\nbackup_max_age_hour = 1\n") else {
            panic!("invalid config accepted");
        };
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "rules.disabled names unknown rule id `backup-mising` (did you mean `backup-missing`?) (see `hcx-preflight policy list`)"),
                (2, "rules.disabled names unknown rule id `zzz` (see `hcx-preflight policy list`)"),
                (4, "unknown threshold `backup_max_age_hour` (did you mean `backup_max_age_hours`?) (known: backup_max_age_hours)"),
            ]
        );
        assert_eq!(problems[0].to_string(), format!("line 2: {}", problems[0].message));
    }

    #[test]
    fn malformed_entries_name_the_line() {
        let msg = validate("[[waivers]]\nid = \"backup-missing\"\nreason = \"r\"\n").unwrap_err().to_string();
        assert!(msg.contains("line 1") && msg.contains("approved_by"), "{msg}");
        let msg = validate("[thresholds]\nbackup_max_age_hours = \"x\"\n").unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
    }
}
