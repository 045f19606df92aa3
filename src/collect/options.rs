//! What a collection reads and how ([`CollectOptions`]: the options of `collect`, and of
//! the commands that collect), and the `--site NAME=URL[,admin=URL][,role=...]` syntax.
//! No option carries a secret: credentials come from the environment (see `secret`).
//! The command line's `CollectOptions` (binary only) fills them in.

use std::path::PathBuf;

use reqwest::Url;

use crate::snapshot::Role;

/// The timeout of one HTTP request, in seconds, unless the user says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15;

/// How often a failed request is retried, unless the user says otherwise.
pub const DEFAULT_RETRIES: u32 = 3;

/// Where to collect from and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The HCX Managers (`--site`), one per site; at least one.
    pub sites: Vec<SiteSpec>,
    /// CA certificates (PEM files) to trust besides the system's (`--ca-cert`).
    pub ca_cert: Vec<PathBuf>,
    /// Do not verify TLS certificates (`--insecure`); recorded in the snapshot.
    pub insecure: bool,
    /// Read the HCX Manager password from stdin (one line) instead of `HCX_PASSWORD`.
    pub password_stdin: bool,
    /// Facts that no API reports, stated by the operator (`--attest`, `SITE.FACT=VALUE;evidence=TEXT`).
    pub attest: Vec<String>,
    /// A file of attestations (`--attestations`: JSON or TOML).
    pub attestations: Option<PathBuf>,
    /// Where to write the form of what could not be read (`--unknown-out`).
    pub unknown_out: Option<PathBuf>,
    /// The timeout of one HTTP request, in seconds.
    pub timeout: u64,
    /// How often a failed request is retried.
    pub retries: u32,
    /// At most this many requests in flight per HCX Manager; `None`: no bound.
    pub max_requests_per_manager: Option<u16>,
}

impl CollectOptions {
    /// Options for the given sites with every other option at its default.
    pub fn new(sites: Vec<SiteSpec>) -> Self {
        Self {
            sites,
            ca_cert: Vec::new(),
            insecure: false,
            password_stdin: false,
            attest: Vec::new(),
            attestations: None,
            unknown_out: None,
            timeout: DEFAULT_TIMEOUT_SECS,
            retries: DEFAULT_RETRIES,
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
