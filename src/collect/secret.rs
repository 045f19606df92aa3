//! Credentials: where they come from (environment, one line on stdin, or a question the
//! command layer asks on a terminal; never argv), resolved once per run ([`Credentials`]),
//! and the [`Secret`] type that keeps them out of every `Debug`, `Display` and error
//! message. Nothing in this module writes anything anywhere.

use std::fmt;
use std::collections::BTreeMap;
use std::io::BufRead;

use super::error::CollectError;

/// A password or token. `Debug` and `Display` print `***`; only [`Secret::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where credentials come from: the process environment, in tests a fixed map, and in the
/// command layer the environment plus questions on a terminal.
pub trait CredentialSource: Send + Sync {
    /// The value of an environment variable.
    fn var(&self, name: &str) -> Option<String>;
    /// Ask the operator (`hidden`: a password, not echoed). `None`: nobody can be asked.
    fn ask(&self, _question: &str, _hidden: bool) -> Option<std::io::Result<String>> {
        None
    }
}

/// The real environment (asks nobody).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl CredentialSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl CredentialSource for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// The credentials of one site.
#[derive(Debug, Clone)]
pub struct SiteCredentials {
    /// vSphere SSO user for the HCX Manager API.
    pub username: String,
    pub password: Secret,
    /// Appliance management user (default `admin`).
    pub admin_username: String,
    /// `None`: no appliance management password was given; those facts stay unknown.
    pub admin_password: Option<Secret>,
}

/// The site part of per-site variables: `source` -> `SOURCE`, `cloud-east` -> `CLOUD_EAST`.
pub fn env_site_name(site: &str) -> String {
    site.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn lookup(src: &dyn CredentialSource, site: &str, suffix: &str) -> Option<String> {
    let per_site = format!("HCX_{}_{suffix}", env_site_name(site));
    src.var(&per_site)
        .or_else(|| src.var(&format!("HCX_{suffix}")))
        .filter(|v| !v.is_empty())
}

/// Read one line from stdin (the `--password-stdin` password), without its line end.
pub fn read_stdin_line() -> Result<Secret, CollectError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CollectError::Credentials(format!("cannot read the password from stdin: {e}")))?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(CollectError::Credentials(
            "--password-stdin: stdin gave an empty password".into(),
        ));
    }
    Ok(Secret(pw))
}

/// Ask `src`; `Ok(None)` when nobody can be asked.
fn ask(src: &dyn CredentialSource, question: &str, hidden: bool) -> Result<Option<String>, CollectError> {
    match src.ask(question, hidden) {
        None => Ok(None),
        Some(Ok(answer)) => Ok(Some(answer.trim_end_matches(['\n', '\r']).to_string())),
        Some(Err(e)) => Err(CollectError::Credentials(format!("cannot read from the terminal: {e}"))),
    }
}

/// The credentials of every site of a run, resolved once: a run that collects twice and
/// then logs in to appliance management (`upgrade`) reads stdin and asks only once.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    sites: BTreeMap<String, SiteCredentials>,
}

impl Credentials {
    /// Resolve the credentials of every `--site` (the `--password-stdin` line read here).
    pub fn resolve(args: &super::CollectOptions, src: &dyn CredentialSource) -> Result<Self, CollectError> {
        let stdin_password = if args.password_stdin { Some(read_stdin_line()?) } else { None };
        let sites = args
            .sites
            .iter()
            .map(|s| Ok((s.name.clone(), resolve(src, &s.name, stdin_password.as_ref())?)))
            .collect::<Result<_, CollectError>>()?;
        Ok(Credentials { sites })
    }

    /// The credentials of one site (resolved by [`Credentials::resolve`]).
    pub fn site(&self, name: &str) -> Result<&SiteCredentials, CollectError> {
        self.sites
            .get(name)
            .ok_or_else(|| CollectError::Credentials(format!("no credentials were resolved for site {name}")))
    }
}

/// Resolve the credentials of one site. Per-site variables (`HCX_<SITE>_PASSWORD`, ...)
/// win over `--password-stdin`, which wins over the shared variables; a prompt comes last.
pub fn resolve(
    src: &dyn CredentialSource,
    site: &str,
    stdin_password: Option<&Secret>,
) -> Result<SiteCredentials, CollectError> {
    let upper = env_site_name(site);
    let username = match lookup(src, site, "USERNAME") {
        Some(u) => u,
        None => ask(src, &format!("HCX Manager user (vSphere SSO) for site {site}: "), false)?
            .map(|u| u.trim().to_string())
            .unwrap_or_default(),
    };
    if username.is_empty() {
        return Err(CollectError::Credentials(format!(
            "no user name for site {site}: set HCX_USERNAME (or HCX_{upper}_USERNAME) to the vSphere SSO user"
        )));
    }
    let per_site_pw = src.var(&format!("HCX_{upper}_PASSWORD")).filter(|v| !v.is_empty());
    let password = match (per_site_pw, stdin_password) {
        (Some(p), _) => p,
        (None, Some(p)) => p.expose().to_string(),
        (None, None) => match src.var("HCX_PASSWORD").filter(|v| !v.is_empty()) {
            Some(p) => p,
            None => ask(src, &format!("Password of {username} for site {site}: "), true)?.unwrap_or_default(),
        },
    };
    if password.is_empty() {
        return Err(CollectError::Credentials(format!(
            "no password for site {site}: set HCX_PASSWORD (or HCX_{upper}_PASSWORD), or use --password-stdin"
        )));
    }
    let admin_username = lookup(src, site, "ADMIN_USERNAME").unwrap_or_else(|| "admin".to_string());
    let admin_password = match lookup(src, site, "ADMIN_PASSWORD") {
        Some(p) => Some(p),
        None => ask(
            src,
            &format!("Appliance management password of {admin_username} for site {site} (empty: skip port 9443): "),
            true,
        )?
        .filter(|p| !p.is_empty()),
    };
    Ok(SiteCredentials {
        username,
        password: Secret(password),
        admin_username,
        admin_password: admin_password.map(Secret),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        let c = SiteCredentials {
            username: "u".into(),
            password: s.clone(),
            admin_username: "admin".into(),
            admin_password: Some(s),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn per_site_variables_override_shared_ones() {
        let e = env(&[
            ("HCX_USERNAME", "u"),
            ("HCX_PASSWORD", "shared"),
            ("HCX_CLOUD_EAST_PASSWORD", "east"),
            ("HCX_ADMIN_PASSWORD", "adm"),
        ]);
        let c = resolve(&e, "cloud-east", None).unwrap();
        assert_eq!(c.password.expose(), "east");
        assert_eq!(c.admin_username, "admin");
        assert_eq!(c.admin_password.unwrap().expose(), "adm");
        let c = resolve(&e, "source", Some(&Secret::new("piped"))).unwrap();
        assert_eq!(c.password.expose(), "piped");
        let c = resolve(&e, "source", None).unwrap();
        assert_eq!(c.password.expose(), "shared");
    }

    #[test]
    fn missing_credentials_say_which_variable() {
        let msg = resolve(&env(&[]), "source", None).unwrap_err().to_string();
        assert!(msg.contains("HCX_USERNAME") && msg.contains("source"), "{msg}");
        let msg = resolve(&env(&[("HCX_USERNAME", "u")]), "source", None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("HCX_PASSWORD") && msg.contains("HCX_SOURCE_PASSWORD"),
            "{msg}"
        );
        let c = resolve(&env(&[("HCX_USERNAME", "u"), ("HCX_PASSWORD", "p")]), "s", None).unwrap();
        assert!(c.admin_password.is_none());
    }
}
