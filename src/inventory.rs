//! The fleet inventory (TOML): every estate (one site pair, or a connector with its
//! clouds) an organisation runs, with its sites, tags, an optional target and phase, and
//! the NAMES of the environment variables that hold its credentials (never a secret).
//!
//! Like the config, the file is parsed, then validated into an [`Inventory`]; validation
//! reports every problem at once, each with its line. `hcx-preflight inventory check`
//! prints them; `collect --inventory` and `check --inventory` refuse an invalid file.
//!
//! ```toml
//! [defaults]                      # optional: for estates that name none
//! target = "4.11.0"
//! phase = "managers"
//!
//! [[estate]]
//! name = "acme-prod"              # also the snapshot's file name: letters, digits, . _ -
//! tags = { region = "eu-west", customer = "acme", environment = "prod" }
//! credentials = { username = "ACME_HCX_USERNAME", password = "ACME_HCX_PASSWORD", admin_password = "ACME_HCX_ADMIN_PASSWORD" }
//! attestations = "acme-prod.attest.toml"  # optional: as `collect --attestations`, relative to this file
//!
//! [[estate.site]]
//! name = "source"
//! url = "https://hcx-connector.acme.example"
//! admin = "https://hcx-connector.acme.example:9443"   # optional (default: port 9443)
//! role = "connector"                                  # optional
//! credentials = { password = "ACME_SOURCE_PASSWORD" } # optional, per site
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::collect::{CredentialSource, SiteSpec};
use crate::config::{describe_toml_error, line_of};
use crate::plan::Phase;
use crate::version::HcxVersion;

/// Why an inventory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("inventory {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("inventory {path} has {}:\n{}", crate::text::plural(problems.len(), "problem", "problems"), problems.join("\n"))]
    Invalid { path: PathBuf, problems: Vec<String> },
}

impl InventoryError {
    /// Every problem, one per line (a syntax error is one problem).
    pub fn problems(&self) -> Vec<String> {
        match self {
            InventoryError::Invalid { problems, .. } => problems.clone(),
            InventoryError::Syntax { message, .. } => vec![message.clone()],
            InventoryError::Io { .. } => vec![self.to_string()],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    estate: Vec<Spanned<RawEstate>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    target: Option<Spanned<String>>,
    phase: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEstate {
    name: Spanned<String>,
    #[serde(default)]
    tags: BTreeMap<Spanned<String>, Spanned<String>>,
    target: Option<Spanned<String>>,
    phase: Option<Spanned<String>>,
    #[serde(default)]
    credentials: Option<Spanned<RawCredentials>>,
    attestations: Option<Spanned<String>>,
    #[serde(default)]
    site: Vec<Spanned<RawSite>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: Spanned<String>,
    url: Spanned<String>,
    admin: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    credentials: Option<Spanned<RawCredentials>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredentials {
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    admin_username: Option<Spanned<String>>,
    admin_password: Option<Spanned<String>>,
}

/// The environment variables that hold one site's credentials; `None`: the usual
/// variables of the contract (`HCX_<SITE>_PASSWORD`, then `HCX_PASSWORD`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CredentialNames {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

impl CredentialNames {
    /// The variable named for a contract suffix (`USERNAME`, `PASSWORD`, ...).
    fn for_suffix(&self, suffix: &str) -> Option<&str> {
        match suffix {
            "USERNAME" => self.username.as_deref(),
            "PASSWORD" => self.password.as_deref(),
            "ADMIN_USERNAME" => self.admin_username.as_deref(),
            "ADMIN_PASSWORD" => self.admin_password.as_deref(),
            _ => None,
        }
    }

    /// `username from VAR, password from VAR, ...` for the names that are set.
    pub fn describe(&self) -> String {
        self.entries()
            .iter()
        .filter_map(|(key, var)| var.as_ref().map(|v| format!("{key} from {v}")))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Each inventory key with the variable it names.
    fn entries(&self) -> [(&'static str, &Option<String>); 4] {
        [
            ("username", &self.username),
            ("password", &self.password),
            ("admin_username", &self.admin_username),
            ("admin_password", &self.admin_password),
        ]
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.entries().into_iter().filter_map(|(_, n)| n.as_deref())
    }

    /// `self` with the unset names taken from `base` (site over estate).
    fn or(&self, base: &CredentialNames) -> CredentialNames {
        CredentialNames {
            username: self.username.clone().or_else(|| base.username.clone()),
            password: self.password.clone().or_else(|| base.password.clone()),
            admin_username: self.admin_username.clone().or_else(|| base.admin_username.clone()),
            admin_password: self.admin_password.clone().or_else(|| base.admin_password.clone()),
        }
    }
}

/// One estate that passed validation.
#[derive(Debug, Clone)]
pub struct Estate {
    /// Unique in the inventory; the snapshot's file name (`<name>.json`).
    pub name: String,
    /// Free tags (region, customer, environment, ...), sorted by key.
    pub tags: BTreeMap<String, String>,
    /// The sites to collect, in inventory order.
    pub sites: Vec<SiteSpec>,
    /// The estate's own target (else the defaults', else `--target`).
    pub target: Option<HcxVersion>,
    /// The estate's own phase (else the defaults', else `--phase`).
    pub phase: Option<Phase>,
    /// Per site name: the variables its credentials come from.
    pub credentials: BTreeMap<String, CredentialNames>,
    /// The estate's attestation file (as `collect --attestations`), relative paths
    /// resolved against the inventory's folder.
    pub attestations: Option<PathBuf>,
}

impl Estate {
    /// Does the estate carry every `KEY=VALUE` of `filter` (one of the values, for a key given twice)?
    pub fn matches(&self, filter: &[(String, String)]) -> bool {
        tags_match(&self.tags, filter)
    }

    /// A credential source for this estate's sites over `base` (the process
    /// environment): a variable the inventory names replaces the contract's variables
    /// for that credential; nothing is ever prompted for.
    pub fn credential_source<'a>(&'a self, base: &'a dyn CredentialSource) -> EstateCredentials<'a> {
        EstateCredentials { estate: self, base }
    }
}

/// The credentials of one estate's sites: see [`Estate::credential_source`].
pub struct EstateCredentials<'a> {
    estate: &'a Estate,
    base: &'a dyn CredentialSource,
}

impl CredentialSource for EstateCredentials<'_> {
    fn var(&self, name: &str) -> Option<String> {
        // The collector asks for `HCX_<SITE>_<SUFFIX>` first, then `HCX_<SUFFIX>`.
        for (site, names) in &self.estate.credentials {
            let prefix = format!("HCX_{}_", crate::collect::env_site_name(site));
            if let Some(suffix) = name.strip_prefix(&prefix) {
                if let Some(var) = names.for_suffix(suffix) {
                    return self.base.var(var);
                }
            }
        }
        // A shared variable never stands in for one the inventory names (another
        // estate's credentials must not leak in when the named one is unset).
        if let Some(suffix) = name.strip_prefix("HCX_") {
            if self.estate.credentials.values().any(|n| n.for_suffix(suffix).is_some()) {
                return None;
            }
        }
        self.base.var(name)
    }
}

impl Estate {
    /// The variables this estate's inventory entry names that `env` does not set, as
    /// `VAR (credentials.KEY of site SITE)`: the estate cannot be collected without them.
    pub fn missing_variables(&self, env: &dyn CredentialSource) -> Vec<String> {
        let mut out = Vec::new();
        for (site, names) in &self.credentials {
            for (key, var) in names.entries() {
                if let Some(var) = var {
                    if env.var(var).is_none_or(|v| v.is_empty()) {
                        out.push(format!("{var} (credentials.{key} of site {site})"));
                    }
                }
            }
        }
        out
    }
}

/// A validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Where it was read from.
    pub path: PathBuf,
    /// Every estate, in file order.
    pub estates: Vec<Estate>,
}

impl Inventory {
    /// Read and validate an inventory file.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parse and validate inventory text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InventoryError> {
        let raw: RawInventory = toml::from_str(text).map_err(|e| InventoryError::Syntax {
            path: path.to_path_buf(),
            message: describe_toml_error(text, &e),
        })?;
        let mut v = Validator {
            text,
            problems: Vec::new(),
        };
        let default_target = raw.defaults.target.as_ref().and_then(|t| v.version(t));
        let default_phase = raw.defaults.phase.as_ref().and_then(|p| v.phase(p));
        if raw.estate.is_empty() {
            v.problems.push("line 1: no [[estate]]: the inventory lists no estate".into());
        }
        let mut names = BTreeSet::new();
        let mut estates = Vec::new();
        for e in &raw.estate {
            let line = v.line(e.span());
            let e = e.get_ref();
            let name = e.name.get_ref();
            if !valid_estate_name(name) {
                v.at(&e.name, format!("estate name `{name}` must be letters, digits, `.`, `_` or `-` (it names the snapshot file), not starting with `.`"));
            } else if name == "fleet" {
                v.at(&e.name, "estate name `fleet` is reserved for the manifest `fleet.json` of a snapshot directory".into());
            } else if !names.insert(name.clone()) {
                v.at(&e.name, format!("estate `{name}` is listed twice"));
            }
            let mut tags = BTreeMap::new();
            for (k, val) in &e.tags {
                if !valid_tag_key(k.get_ref()) {
                    v.at(k, format!("estate `{name}`: tag key `{}` must be letters, digits, `_` or `-`", k.get_ref()));
                } else if val.get_ref().trim().is_empty() {
                    v.at(val, format!("estate `{name}`: tag `{}` is empty", k.get_ref()));
                } else {
                    tags.insert(k.get_ref().clone(), val.get_ref().clone());
                }
            }
            let target = e.target.as_ref().and_then(|t| v.version(t)).or_else(|| default_target.clone());
            let phase = e.phase.as_ref().and_then(|p| v.phase(p)).or(default_phase);
            let estate_creds = e.credentials.as_ref().map(|c| v.credentials(name, c)).unwrap_or_default();
            if e.site.is_empty() {
                v.problems.push(format!("line {line}: estate `{name}` has no [[estate.site]]"));
            }
            let mut sites = Vec::new();
            let mut credentials = BTreeMap::new();
            let mut site_names = BTreeSet::new();
            for s in &e.site {
                let s = s.get_ref();
                let site_creds = s.credentials.as_ref().map(|c| v.credentials(name, c)).unwrap_or_default();
                if !site_names.insert(s.name.get_ref().clone()) {
                    v.at(&s.name, format!("estate `{name}`: site `{}` is listed twice", s.name.get_ref()));
                    continue;
                }
                if let Some(spec) = v.site(name, s) {
                    credentials.insert(spec.name.clone(), site_creds.or(&estate_creds));
                    sites.push(spec);
                }
            }
            let attestations = e.attestations.as_ref().and_then(|a| {
                if a.get_ref().trim().is_empty() {
                    v.at(a, format!("estate `{name}`: attestations names no file"));
                    return None;
                }
                let dir = path.parent().unwrap_or(Path::new(""));
                Some(dir.join(a.get_ref()))
            });
            estates.push(Estate {
                name: name.clone(),
                tags,
                sites,
                target,
                phase,
                credentials,
                attestations,
            });
        }
        if !v.problems.is_empty() {
            return Err(InventoryError::Invalid {
                path: path.to_path_buf(),
                problems: v.problems,
            });
        }
        Ok(Inventory {
            path: path.to_path_buf(),
            estates,
        })
    }

    /// The estates that carry the `--tag` filter (all when it is empty).
    pub fn select(&self, filter: &[(String, String)]) -> Vec<&Estate> {
        self.estates.iter().filter(|e| e.matches(filter)).collect()
    }

    /// Every variable the inventory names that `env` does not set (`inventory check`
    /// lists them: the inventory may be meant for another machine, so it is no error).
    pub fn unset_variables(&self, env: &dyn CredentialSource) -> BTreeSet<String> {
        self.estates
            .iter()
            .flat_map(|e| e.credentials.values())
            .flat_map(|c| c.names())
            .filter(|n| env.var(n).is_none_or(|v| v.is_empty()))
            .map(str::to_string)
            .collect()
    }
}

/// Do `tags` carry every `KEY=VALUE` of `filter` (one of the values, for a key given twice)?
pub fn tags_match(tags: &BTreeMap<String, String>, filter: &[(String, String)]) -> bool {
    let mut wanted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in filter {
        wanted.entry(k).or_default().push(v);
    }
    wanted
        .iter()
        .all(|(k, vs)| tags.get(*k).is_some_and(|t| vs.contains(&t.as_str())))
}

/// Parse a `--tag KEY=VALUE` argument.
pub fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if valid_tag_key(k) && !v.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not KEY=VALUE (key: letters, digits, `_` or `-`)")),
    }
}

fn valid_estate_name(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('.') && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn valid_tag_key(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
}

fn valid_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Collects every problem with its line.
struct Validator<'a> {
    text: &'a str,
    problems: Vec<String>,
}

impl Validator<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn at<T>(&mut self, item: &Spanned<T>, message: String) {
        let line = self.line(item.span());
        self.problems.push(format!("line {line}: {message}"));
    }

    fn version(&mut self, s: &Spanned<String>) -> Option<HcxVersion> {
        match HcxVersion::parse(s.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.at(s, format!("target `{}`: {e}", s.get_ref()));
                None
            }
        }
    }

    fn phase(&mut self, s: &Spanned<String>) -> Option<Phase> {
        match s.get_ref().parse::<Phase>() {
            Ok(p) => Some(p),
            Err(_) => {
                let known: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
                self.at(s, format!("phase `{}` is not one of {}", s.get_ref(), known.join(", ")));
                None
            }
        }
    }

    fn credentials(&mut self, estate: &str, c: &Spanned<RawCredentials>) -> CredentialNames {
        let mut name = |field: &Option<Spanned<String>>, key: &str| -> Option<String> {
            let f = field.as_ref()?;
            if valid_variable_name(f.get_ref()) {
                Some(f.get_ref().clone())
            } else {
                // Never repeat the value: it may be the secret itself.
                self.at(
                    f,
                    format!(
                        "estate `{estate}`: credentials.{key} must NAME an environment variable (letters, digits, `_`); \
                         put the secret in the environment, never in the inventory"
                    ),
                );
                None
            }
        };
        let raw = c.get_ref();
        CredentialNames {
            username: name(&raw.username, "username"),
            password: name(&raw.password, "password"),
            admin_username: name(&raw.admin_username, "admin_username"),
            admin_password: name(&raw.admin_password, "admin_password"),
        }
    }

    fn site(&mut self, estate: &str, s: &RawSite) -> Option<SiteSpec> {
        // The same syntax and checks as `--site`, so both accept the same sites.
        let mut spec = format!("{}={}", s.name.get_ref(), s.url.get_ref());
        for (key, value) in [("admin", &s.admin), ("role", &s.role)] {
            if let Some(v) = value {
                if v.get_ref().contains(',') {
                    self.at(v, format!("estate `{estate}`, site `{}`: {key} must not contain `,`", s.name.get_ref()));
                    return None;
                }
                spec.push_str(&format!(",{key}={}", v.get_ref()));
            }
        }
        match SiteSpec::parse(&spec) {
            Ok(spec) => Some(spec),
            Err(e) => {
                self.at(&s.name, format!("estate `{estate}`, site `{}`: {e}", s.name.get_ref()));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[defaults]
target = "4.11.0"

[[estate]]
name = "acme-prod"
tags = { region = "eu-west", customer = "acme" }
credentials = { username = "ACME_USER", password = "ACME_PASSWORD" }

[[estate.site]]
name = "source"
url = "https://hcx.acme.example"
credentials = { password = "ACME_SOURCE_PASSWORD" }

[[estate.site]]
name = "cloud"
url = "https://cloud.acme.example"
admin = "https://cloud.acme.example:9444"
role = "cloud"

[[estate]]
name = "beta"
phase = "service-mesh"
target = "4.10.3"
tags = { region = "us-east" }

[[estate.site]]
name = "source"
url = "https://hcx.beta.example"
"#;

    fn parse(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::parse(Path::new("fleet.toml"), text)
    }

    #[test]
    fn reads_estates_sites_tags_targets_and_credential_names() {
        let inv = parse(GOOD).unwrap();
        assert_eq!(inv.estates.len(), 2);
        let acme = &inv.estates[0];
        assert_eq!(acme.target.as_ref().unwrap().to_string(), "4.11.0");
        assert_eq!(acme.phase, None);
        assert_eq!(acme.sites[1].admin_url.as_str(), "https://cloud.acme.example:9444/");
        assert_eq!(acme.sites[0].admin_url.as_str(), "https://hcx.acme.example:9443/");
        assert_eq!(acme.credentials["source"].password.as_deref(), Some("ACME_SOURCE_PASSWORD"));
        assert_eq!(acme.credentials["cloud"].password.as_deref(), Some("ACME_PASSWORD"));
        assert_eq!(acme.credentials["source"].username.as_deref(), Some("ACME_USER"));
        let beta = &inv.estates[1];
        assert_eq!(beta.target.as_ref().unwrap().to_string(), "4.10.3");
        assert_eq!(beta.phase, Some(Phase::ServiceMesh));
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(inv.select(&[f("region", "us-east")]).len(), 1);
        assert_eq!(inv.select(&[f("region", "us-east"), f("region", "eu-west")]).len(), 2);
        assert_eq!(inv.select(&[f("region", "eu-west"), f("customer", "other")]).len(), 0);
        assert_eq!(inv.select(&[]).len(), 2);
    }

    #[test]
    fn every_problem_at_once_with_its_line() {
        let text = r#"[defaults]
phase = "later"

[[estate]]
name = "a b"
tags = { "bad key" = "x", ok = "" }
target = "four"
credentials = { password = "hunter2!" }

[[estate.site]]
name = "source"
url = "http://plain.example"

[[estate]]
name = "dup"

[[estate]]
name = "dup"

[[estate.site]]
name = "s"
url = "https://h.example"

[[estate.site]]
name = "s"
url = "https://h.example"
"#;
        let err = parse(text).unwrap_err();
        let problems = err.problems();
        let joined = problems.join("\n");
        for expected in [
            "line 2: phase `later`",
            "line 5: estate name `a b`",
            "line 6: estate `a b`: tag key `bad key`",
            "line 6: estate `a b`: tag `ok` is empty",
            "line 7: target `four`",
            "line 8: estate `a b`: credentials.password must NAME an environment variable",
            "line 11: estate `a b`, site `source`: URL `http://plain.example` must start with https://",
            "estate `dup` has no [[estate.site]]",
            "line 18: estate `dup` is listed twice",
            "line 25: estate `dup`: site `s` is listed twice",
        ] {
            assert!(joined.contains(expected), "missing `{expected}` in:\n{joined}");
        }
        assert_eq!(problems.len(), 10, "{joined}");
        assert!(!joined.contains("hunter2"), "a secret was echoed: {joined}");
    }

    #[test]
    fn syntax_and_unknown_keys_name_the_line() {
        let err = parse("[[estate]]\nname = \"a\"\npassword = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(parse("").unwrap_err().to_string().contains("no [[estate]]"));
    }

    #[test]
    fn credentials_come_from_the_named_variables_only() {
        let inv = parse(GOOD).unwrap();
        let env: BTreeMap<String, String> = [
            ("ACME_USER", "u"),
            ("ACME_PASSWORD", "shared"),
            ("ACME_SOURCE_PASSWORD", "src"),
            ("HCX_SOURCE_PASSWORD", "contract"),
            ("HCX_PASSWORD", "fallback"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let acme = inv.estates[0].credential_source(&env);
        assert_eq!(acme.var("HCX_SOURCE_PASSWORD").as_deref(), Some("src"));
        assert_eq!(acme.var("HCX_CLOUD_PASSWORD").as_deref(), Some("shared"));
        assert_eq!(acme.var("HCX_CLOUD_USERNAME").as_deref(), Some("u"));
        // A shared variable does not stand in for a named one; unnamed ones are the contract's.
        assert_eq!(acme.var("HCX_PASSWORD"), None);
        assert_eq!(acme.var("HCX_CLOUD_ADMIN_PASSWORD"), None);
        assert!(inv.estates[0].missing_variables(&env).is_empty());
        let beta = inv.estates[1].credential_source(&env);
        assert_eq!(beta.var("HCX_SOURCE_PASSWORD").as_deref(), Some("contract"));
        let unset = inv.unset_variables(&BTreeMap::<String, String>::new());
        assert_eq!(unset.len(), 3);
        assert!(parse_tag("region=eu").is_ok() && parse_tag("region").is_err() && parse_tag("=x").is_err());
    }
}
