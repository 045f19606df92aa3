//! The manager itself: its version and build (`metainfo/context/support`, port 443) and,
//! on 9.x, its host name and DNS (`/system/network`, port 9443). Provider management and
//! `/common` usage are in no API: they stay `null` unless attested.

use serde_json::Value;

use super::envelope::{self, str_field, ShapeError};
use super::http::{label, Api, FetchError};
use super::inferred::SUPPORT_BUILD_KEYS;
use super::notes::Notes;
use super::paths::{ADMIN_NETWORK, SUPPORT};
use crate::snapshot::Dns;
use crate::version::HcxVersion;
use reqwest::Method;

/// Version and build as the manager reports them.
#[derive(Debug, Default, PartialEq)]
pub struct Release {
    pub version: Option<HcxVersion>,
    pub build: Option<String>,
}

/// Parse `data.localEndpoints[].endpoint.{version, buildNumber}` (first endpoint with a version).
pub fn parse_support(v: &Value, notes: &mut Notes) -> Result<Release, ShapeError> {
    let endpoints = v
        .get("data")
        .and_then(|d| d.get("localEndpoints"))
        .and_then(Value::as_array)
        .ok_or_else(|| ShapeError("no `data.localEndpoints` list".into()))?;
    let endpoint = endpoints
        .iter()
        .filter_map(|e| e.get("endpoint"))
        .find(|e| e.get("version").is_some())
        .ok_or_else(|| ShapeError("no local endpoint with a `version`".into()))?;
    let version = match envelope::text_field(endpoint, "version") {
        Some(text) => match HcxVersion::parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                notes.add("manager.version", format!("{}: {e}", label(&Method::GET, SUPPORT)));
                None
            }
        },
        None => {
            notes.add(
                "manager.version",
                format!("{}: `version` is empty", label(&Method::GET, SUPPORT)),
            );
            None
        }
    };
    let build = envelope::first_text(endpoint, SUPPORT_BUILD_KEYS);
    if build.is_none() {
        notes.add(
            "manager.build",
            format!("{}: no build number next to the version", label(&Method::GET, SUPPORT)),
        );
    }
    Ok(Release { version, build })
}

/// Read the manager's version and build.
pub async fn release(api: &Api, notes: &mut Notes) -> Release {
    let got = api
        .get(SUPPORT)
        .await
        .and_then(|v| parse_support(&v, notes).map_err(FetchError::from));
    got.unwrap_or_else(|e| {
        notes.fetch("manager.version", &label(&Method::GET, SUPPORT), &e);
        Release::default()
    })
}

/// Host name and DNS settings from appliance management.
#[derive(Debug, Default, PartialEq)]
pub struct Network {
    pub fqdn: Option<String>,
    pub dns: Option<Dns>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Parse `{hostName, domainName, dns{ipv4Dns[], ipv6Dns[], domainList}}`.
pub fn parse_network(v: &Value) -> Result<Network, ShapeError> {
    envelope::flat(v)?;
    let host = str_field(v, "hostName");
    let domain = str_field(v, "domainName");
    let fqdn = match (host, domain) {
        (Some(h), _) if h.contains('.') => Some(h.to_string()),
        (Some(h), Some(d)) => Some(format!("{h}.{d}")),
        _ => None,
    };
    let dns = match v.get("dns") {
        Some(d @ Value::Object(_)) => {
            let mut servers = strings(d.get("ipv4Dns"));
            servers.extend(strings(d.get("ipv6Dns")));
            // domainList is one comma-separated string (documented); accept a list too.
            let search = match d.get("domainList") {
                Some(Value::String(s)) => Some(
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect::<Vec<_>>(),
                ),
                Some(list @ Value::Array(_)) => Some(strings(Some(list))),
                _ => None,
            };
            Some(Dns {
                domain: domain.map(String::from),
                search_domains: search,
                servers: Some(servers),
            })
        }
        Some(other) => return Err(ShapeError(format!("`dns` is {}", envelope::kind(other)))),
        None => None,
    };
    Ok(Network { fqdn, dns })
}

/// Read host name and DNS from appliance management.
pub async fn network(admin: &Api, notes: &mut Notes) -> Network {
    let got = admin
        .get(ADMIN_NETWORK)
        .await
        .and_then(|v| parse_network(&v).map_err(FetchError::from));
    match got {
        Ok(n) => {
            if n.dns.is_none() {
                notes.add(
                    "manager.dns",
                    format!("{}: no `dns` object", label(&Method::GET, ADMIN_NETWORK)),
                );
            }
            n
        }
        Err(e) => {
            notes.fetch("manager.dns", &label(&Method::GET, ADMIN_NETWORK), &e);
            Network::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn support_gives_version_and_build() {
        let v = json!({"success": true, "data": {"localEndpoints": [{"endpoint": {"version": "9.0.0.0", "buildNumber": 24597083}}]}});
        let mut n = Notes::default();
        let r = parse_support(&v, &mut n).unwrap();
        assert_eq!(r.version.unwrap().as_str(), "9.0.0.0");
        assert_eq!(r.build.as_deref(), Some("24597083"));
    }

    #[test]
    fn an_invalid_version_is_null_with_a_note() {
        let v = json!({"data": {"localEndpoints": [{"endpoint": {"version": "4.x-beta"}}]}});
        let mut n = Notes::default();
        let r = parse_support(&v, &mut n).unwrap();
        assert_eq!(r.version, None);
        let errors = n.into_errors("s");
        assert!(errors
            .iter()
            .any(|e| e.fact == "manager.version" && e.message.contains("4.x-beta")));
        assert!(parse_support(&json!({"items": []}), &mut Notes::default()).is_err());
    }

    #[test]
    fn network_gives_fqdn_and_dns() {
        let v = json!({"hostName": "hcx01", "domainName": "corp.local",
            "dns": {"ipv4Dns": ["10.0.0.2"], "ipv6Dns": [], "domainList": "corp.local, lab.local"}});
        let n = parse_network(&v).unwrap();
        assert_eq!(n.fqdn.as_deref(), Some("hcx01.corp.local"));
        let dns = n.dns.unwrap();
        assert_eq!(dns.search_domains.unwrap(), vec!["corp.local", "lab.local"]);
        assert_eq!(dns.servers.unwrap(), vec!["10.0.0.2"]);
        assert!(parse_network(&json!([1])).is_err());
    }
}
