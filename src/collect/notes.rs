//! The reasons why facts stay `null` (or `unknown`), gathered while collecting one site and
//! turned into the snapshot's `errors` at the end.

use super::facts;
use super::http::FetchError;
use crate::snapshot::{FactError, Role};

/// Fact errors of one site, in the order they were noticed (the snapshot sorts them).
#[derive(Debug, Default)]
pub struct Notes(Vec<(String, String)>);

impl Notes {
    /// Record why `fact` is null or unknown.
    pub fn add(&mut self, fact: impl Into<String>, message: impl Into<String>) {
        self.0.push((fact.into(), message.into()));
    }

    /// Record a failed call: `GET /path: what happened[; what to do]`.
    pub fn fetch(&mut self, fact: impl Into<String>, endpoint: &str, err: &FetchError) {
        let hint = match err {
            FetchError::Transport { hint, .. } => hint.as_str(),
            _ => "",
        };
        self.add(fact, format!("{endpoint}: {err}{hint}"));
    }

    /// Take over another set of notes.
    pub fn extend(&mut self, other: Notes) {
        self.0.extend(other.0);
    }

    /// The snapshot entries for `site`. The message of a fact that one attestation
    /// settles ends with its `--attest` line, with the real site name
    /// ([`facts::attest_line`]); the summary ([`super::unknown`]) lists the rest.
    pub fn into_errors(self, site: &str) -> Vec<FactError> {
        self.0
            .into_iter()
            .map(|(fact, message)| {
                let message = match facts::attestable_for(&fact, Role::Connector).as_slice() {
                    [a] => format!("{message}; attest it with {}", facts::attest_line(site, &a.fact, a.proposed)),
                    _ => message,
                };
                FactError {
                    site: Some(site.to_string()),
                    fact,
                    message,
                }
            })
            .collect()
    }
}
