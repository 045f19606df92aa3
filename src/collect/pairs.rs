//! Site pairs (`cloudConfigs`) and the manager's own endpoint (`inventory/cloud/list` with
//! the local filter), whose type tells connector from cloud where the word is known.
//! No API reports a site pair's health: each pair is `unknown` with an `errors` entry
//! unless an operator attests it.

use reqwest::Method;
use serde_json::{json, Value};

use super::envelope::{self, shape_excerpt, str_field, text_field};
use super::facts;
use super::http::{label, Api, FetchError};
use super::inferred::role_from_endpoint_type;
use super::notes::Notes;
use super::paths::{CLOUD_CONFIGS, CLOUD_LIST};
use crate::snapshot::{Role, SitePair, Status};
use crate::version::HcxVersion;

/// Fields of a site pair that the vendor's reference does not show (its example has only
/// `endpointId`, `cloudType`, `url`, `username`): each absent one is `null` with a reason.
const CLIENT_CODE_FIELDS: &[(&str, &str)] = &[
    ("cloudName", "remote_name"),
    ("version", "remote_version"),
    ("buildNumber", "remote_build"),
];

/// Parse the `cloudConfigs` items into site pairs (health unknown). A pair is named in
/// `errors` by its `cloudName`, else its `endpointId` (both are accepted by `--attest`).
pub fn parse_pairs(items: &[Value], notes: &mut Notes) -> Vec<SitePair> {
    let endpoint = label(&Method::GET, CLOUD_CONFIGS);
    items
        .iter()
        .map(|item| {
            let name = str_field(item, "cloudName").map(String::from);
            let who = name
                .clone()
                .or_else(|| text_field(item, "endpointId"))
                .unwrap_or_else(|| "?".into());
            for (key, fact) in CLIENT_CODE_FIELDS {
                if text_field(item, key).is_none() {
                    notes.add(
                        facts::site_pair(&who, fact),
                        format!(
                            "{endpoint}: the site pair has no `{key}` (the vendor's API reference does not list it; \
                             the pair is {}): unknown",
                            shape_excerpt(item)
                        ),
                    );
                }
            }
            let remote_version = text_field(item, "version").and_then(|t| match HcxVersion::parse(&t) {
                Ok(v) => Some(v),
                Err(e) => {
                    notes.add(facts::site_pair(&who, "remote_version"), format!("{endpoint}: {e}"));
                    None
                }
            });
            notes.add(facts::site_pair(&who, "status"), "unknown: no API reports a site pair's health");
            SitePair {
                endpoint_id: text_field(item, "endpointId"),
                remote_name: name,
                remote_url: str_field(item, "url").map(String::from),
                remote_version,
                remote_build: text_field(item, "buildNumber"),
                status: Some(Status::Unknown),
                message: Some("no API reports a site pair's health".into()),
                provenance: None,
                evidence: None,
                stamp: Default::default(),
            }
        })
        .collect()
}

/// Read the site pairs; `None` (with a note) when they cannot be read.
pub async fn site_pairs(api: &Api, notes: &mut Notes) -> Option<Vec<SitePair>> {
    let got = api
        .get(CLOUD_CONFIGS)
        .await
        .and_then(|v| Ok(envelope::data_items(&v)?.to_vec()));
    match got {
        Ok(items) => Some(parse_pairs(&items, notes)),
        Err(e) => {
            notes.fetch("site_pairs", &label(&Method::GET, CLOUD_CONFIGS), &e);
            None
        }
    }
}

/// The manager's own endpoint.
#[derive(Debug, Default, PartialEq)]
pub struct LocalEndpoint {
    /// The role its `endpointType` (or `cloudType`) names, when that word is known.
    pub role: Option<Role>,
    /// The raw type word, for messages.
    pub type_word: Option<String>,
    pub url: Option<String>,
}

/// Parse the local endpoint list.
pub fn parse_local(items: &[Value]) -> LocalEndpoint {
    let Some(item) = items.first() else {
        return LocalEndpoint::default();
    };
    let type_word = str_field(item, "endpointType").or_else(|| str_field(item, "cloudType"));
    LocalEndpoint {
        role: type_word.and_then(role_from_endpoint_type),
        type_word: type_word.map(String::from),
        url: str_field(item, "url").map(String::from),
    }
}

/// Read the local endpoint. An error is kept for the role message.
pub async fn local_endpoint(api: &Api) -> Result<LocalEndpoint, FetchError> {
    let body = json!({"filter": {"local": true, "remote": false}});
    let v = api.post(CLOUD_LIST, None, &body).await?;
    Ok(parse_local(envelope::data_items(&v)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_unknown_and_versions_checked() {
        let items = vec![
            json!({"cloudName": "east", "endpointId": "e-1", "url": "https://c", "version": "4.10.3", "buildNumber": 123}),
            json!({"cloudName": "west", "endpointId": "e-2", "version": "latest"}),
        ];
        let mut notes = Notes::default();
        let pairs = parse_pairs(&items, &mut notes);
        assert_eq!(pairs[0].remote_version.as_ref().unwrap().as_str(), "4.10.3");
        assert_eq!(pairs[0].remote_build.as_deref(), Some("123"));
        assert_eq!(pairs[0].status, Some(Status::Unknown));
        assert_eq!(pairs[1].remote_version, None);
        let errors = notes.into_errors("s");
        assert!(errors.iter().any(|e| e.fact == "site_pairs.west.remote_version"));
        assert!(errors.iter().any(|e| e.fact == "site_pairs.west.remote_build" && e.message.contains("no `buildNumber`")));
    }

    #[test]
    fn reference_pairs_without_name_version_build_say_why() {
        let items = vec![json!({"endpointId": "e-9", "cloudType": "HCX_CLOUD", "url": "https://c", "username": "secret-user@x"})];
        let mut notes = Notes::default();
        let pair = &parse_pairs(&items, &mut notes)[0];
        assert_eq!((pair.remote_name.as_deref(), pair.endpoint_id.as_deref()), (None, Some("e-9")));
        assert_eq!((&pair.remote_version, &pair.remote_build), (&None, &None));
        let errors = notes.into_errors("s");
        for (fact, key) in [("remote_name", "cloudName"), ("remote_version", "version"), ("remote_build", "buildNumber")] {
            let e = errors
                .iter()
                .find(|e| e.fact == format!("site_pairs.e-9.{fact}"))
                .unwrap_or_else(|| panic!("{fact}: {errors:?}"));
            assert!(e.message.contains(&format!("no `{key}`")) && e.message.contains("GET /hybridity/api/cloudConfigs"));
            assert!(!e.message.contains("secret-user"), "values never reach errors: {}", e.message);
        }
    }

    #[test]
    fn local_endpoint_role() {
        assert_eq!(
            parse_local(&[json!({"endpointType": "HCX_CLOUD"})]).role,
            Some(Role::Cloud)
        );
        assert_eq!(parse_local(&[json!({"endpointType": "mystery"})]).role, None);
        assert_eq!(parse_local(&[]), LocalEndpoint::default());
    }
}
