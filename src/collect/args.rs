//! The options of `collect` (and of `check` when it collects): [`CollectArgs`], flattened
//! into the CLI's subcommands, and the `--site NAME=URL[,admin=URL][,role=...]` syntax.
//! No option carries a secret: credentials come from the environment (see `secret`).

use std::path::PathBuf;

use reqwest::Url;

use crate::snapshot::Role;

/// Where to collect from and how.
#[derive(Debug, Clone, clap::Args)]
pub struct CollectArgs {
    /// An HCX Manager. URL is https://host or https://host:port (API on 443 by default);
    /// admin= is its appliance management interface (default: same host, port 9443); role=
    /// says which side it is when the API does not. Repeat for each site; at least one.
    #[arg(long = "site", value_name = "NAME=URL[,admin=URL][,role=connector|cloud]", value_parser = SiteSpec::parse)]
    pub sites: Vec<SiteSpec>,
    /// Trust the CA certificate(s) in this PEM file too (repeatable). TLS is always verified
    /// unless --insecure is given.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_cert: Vec<PathBuf>,
    /// Do not verify TLS certificates. Dangerous; recorded in the snapshot.
    #[arg(long)]
    pub insecure: bool,
    /// Read the HCX Manager password from stdin (one line) instead of HCX_PASSWORD.
    #[arg(long)]
    pub password_stdin: bool,
    /// State a fact that no API reports, with ;evidence=TEXT (required) and optionally ;by=WHO,
    /// e.g. source.backup.last_success_at=2026-11-29T02:00:00Z;evidence=backup job 4711. Repeatable.
    #[arg(long = "attest", value_name = "SITE.FACT=VALUE;evidence=TEXT")]
    pub attest: Vec<String>,
    /// Attestations from a JSON or TOML file: a list `attestations` of {site, fact, value, by,
    /// evidence}, or the form that --unknown-out wrote, filled in (value and evidence per fact).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
    /// Also write what could not be read, as a form to fill in (value and evidence per fact)
    /// for --attestations: JSON, or TOML when FILE ends in .toml (atomically).
    #[arg(long, value_name = "FILE")]
    pub unknown_out: Option<PathBuf>,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    pub timeout: u64,
    /// How often a failed request is retried (connection errors, 5xx, SSO not ready).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// At most N requests in flight per HCX Manager (both its APIs); default: no bound
    /// (with --inventory: 4, so that a fleet run does not flood one manager).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_requests_per_manager: Option<u16>,
}

impl CollectArgs {
    /// Arguments for the given sites with every other option at its default.
    pub fn new(sites: Vec<SiteSpec>) -> Self {
        Self {
            sites,
            ca_cert: Vec::new(),
            insecure: false,
            password_stdin: false,
            attest: Vec::new(),
            attestations: None,
            unknown_out: None,
            timeout: 15,
            retries: 3,
            max_requests_per_manager: None,
        }
    }
}

/// One `--site` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    /// The operator's name for the site; unique.
    pub name: String,
    /// The HCX Manager API base (`https://host[:port]`).
    pub url: Url,
    /// The appliance management base (default: same host, port 9443).
    pub admin_url: Url,
    /// The side of the pair, when the user says it.
    pub role: Option<Role>,
}

fn base_url(text: &str, what: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{what} `{text}` is not a URL: {e}"))?;
    if url.scheme() != "https" {
        return Err(format!("{what} `{text}` must start with https://"));
    }
    if url.host_str().is_none() {
        return Err(format!("{what} `{text}` has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{what} must not carry credentials; use the environment variables"
        ));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(format!(
            "{what} `{text}` must be a base URL such as https://host[:port], without a path"
        ));
    }
    Ok(url)
}

impl SiteSpec {
    /// Parse `NAME=URL[,admin=URL][,role=connector|cloud]`.
    pub fn parse(text: &str) -> Result<SiteSpec, String> {
        let (name, rest) = text
            .split_once('=')
            .ok_or_else(|| "expected NAME=URL[,admin=URL][,role=connector|cloud]".to_string())?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
            return Err(format!("site name `{name}` must be letters, digits, `-` or `_`"));
        }
        let mut parts = rest.split(',');
        let url = base_url(parts.next().unwrap_or_default().trim(), "URL")?;
        let mut admin_url = None;
        let mut role = None;
        for part in parts {
            match part.trim().split_once('=') {
                Some(("admin", v)) => admin_url = Some(base_url(v.trim(), "admin URL")?),
                Some(("role", v)) => {
                    role = Some(match v.trim() {
                        "connector" => Role::Connector,
                        "cloud" => Role::Cloud,
                        other => return Err(format!("role `{other}` must be connector or cloud")),
                    })
                }
                _ => {
                    return Err(format!(
                        "unknown part `{part}`: expected admin=URL or role=connector|cloud"
                    ))
                }
            }
        }
        let admin_url = match admin_url {
            Some(u) => u,
            None => {
                let mut u = url.clone();
                u.set_port(Some(9443))
                    .map_err(|()| "cannot derive the admin URL".to_string())?;
                u
            }
        };
        Ok(SiteSpec {
            name: name.to_string(),
            url,
            admin_url,
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        collect: CollectArgs,
    }

    #[test]
    fn flattens_into_a_command() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "x",
            "--site",
            "source=https://hcx.corp.example",
            "--site",
            "cloud=https://c.example,role=cloud",
            "--ca-cert",
            "ca.pem",
            "--attest",
            "source.backup.supported=false;evidence=provider",
            "--timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(cli.collect.sites.len(), 2);
        assert_eq!((cli.collect.timeout, cli.collect.retries, cli.collect.insecure), (5, 3, false));
        let err = Cli::try_parse_from(["x", "--site", "s=http://h"]).err().unwrap().to_string();
        assert!(err.contains("https://"), "{err}");
    }

    #[test]
    fn defaults_to_port_9443_for_admin() {
        let s = SiteSpec::parse("source=https://hcx.corp.example").unwrap();
        assert_eq!(s.url.port_or_known_default(), Some(443));
        assert_eq!(s.admin_url.as_str(), "https://hcx.corp.example:9443/");
        assert_eq!(s.role, None);
    }

    #[test]
    fn admin_and_role() {
        let s = SiteSpec::parse("cloud-east=https://h:8443,admin=https://a:9999,role=cloud").unwrap();
        assert_eq!(s.name, "cloud-east");
        assert_eq!(s.url.port(), Some(8443));
        assert_eq!(s.admin_url.as_str(), "https://a:9999/");
        assert_eq!(s.role, Some(Role::Cloud));
    }

    #[test]
    fn refuses_bad_values() {
        for bad in [
            "noequals",
            "=https://h",
            "a b=https://h",
            "s=http://h",
            "s=https://u:p@h",
            "s=https://h/path",
            "s=https://h,role=primary",
            "s=https://h,other=1",
            "s=not a url",
        ] {
            assert!(SiteSpec::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
