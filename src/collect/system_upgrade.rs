//! The 9.x appliance management "System Upgrade" API (start, status), used by the
//! `upgrade` command after the gate allowed. The operations and fields are documented;
//! the paths are not public and live in [`super::inferred::upgrade_api`]. A release
//! without that API (4.x) answers 404/405 to the start: [`StartOutcome::NotOffered`].
//!
//! During the upgrade the manager reboots: calls then fail at the transport level, which
//! [`UpgradeClient::status`] reports as [`Poll::Down`] rather than as an error, and a
//! session that the reboot invalidated is renewed once on a 401.

use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::error::CollectError;
use super::http::{self, Api, FetchError};
use super::inferred::upgrade_api;
use super::secret::SiteCredentials;
use super::session::{self, AdminAccess};
use super::{prepare, CollectOptions, Credentials, SiteSpec};

/// The state word of an upgrade, as the API spells it (upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeState {
    NotStarted,
    Queued,
    InProgress,
    Success,
    Failed,
    /// A word this tool does not know, kept as given (upper-cased).
    Other(String),
}

impl UpgradeState {
    fn parse(word: &str) -> Self {
        match word.to_ascii_uppercase().as_str() {
            "NOT_STARTED" => UpgradeState::NotStarted,
            "QUEUED" => UpgradeState::Queued,
            "IN_PROGRESS" => UpgradeState::InProgress,
            "SUCCESS" => UpgradeState::Success,
            "FAILED" => UpgradeState::Failed,
            other => UpgradeState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            UpgradeState::NotStarted => "NOT_STARTED",
            UpgradeState::Queued => "QUEUED",
            UpgradeState::InProgress => "IN_PROGRESS",
            UpgradeState::Success => "SUCCESS",
            UpgradeState::Failed => "FAILED",
            UpgradeState::Other(word) => word,
        }
    }
}

impl std::fmt::Display for UpgradeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of an upgrade as the manager reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeStatus {
    pub status: UpgradeState,
    pub message: Option<String>,
    pub progress: Option<f64>,
    pub current_version: Option<String>,
    pub sub_tasks: Vec<SubTask>,
}

/// One step of an upgrade (e.g. PRE_UPGRADE_VALIDATION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubTask {
    pub state: String,
    pub status: String,
    pub message: Option<String>,
}

impl UpgradeStatus {
    fn from_json(v: &Value) -> Option<Self> {
        let text = |v: &Value| v.as_str().map(str::to_string).filter(|s| !s.is_empty());
        Some(UpgradeStatus {
            status: UpgradeState::parse(v.get("status").and_then(|s| s.as_str())?),
            message: v.get("message").and_then(text),
            progress: v.get("progress").and_then(|p| p.as_f64()),
            current_version: v.get("currentVersion").and_then(text),
            sub_tasks: v
                .get("subTasks")
                .and_then(|s| s.as_array())
                .map(|a| {
                    a.iter()
                        .map(|t| SubTask {
                            state: t.get("state").and_then(text).unwrap_or_else(|| "?".into()),
                            status: t.get("status").and_then(text).unwrap_or_else(|| "?".into()),
                            message: t.get("message").and_then(text),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The sub-tasks that failed, for messages.
    pub fn failed_sub_tasks(&self) -> Vec<&SubTask> {
        self.sub_tasks.iter().filter(|t| UpgradeState::parse(&t.status) == UpgradeState::Failed).collect()
    }
}

/// What a start request achieved.
/// What the read-only probe of a dry run found: whether `start` would be accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// The System Upgrade API answers (its current state).
    Offered(UpgradeState),
    /// This release has no System Upgrade API (HTTP status): upgrade in the UI.
    NotOffered(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StartOutcome {
    /// The manager accepted the upgrade.
    Started,
    /// This release has no System Upgrade API (HTTP status of the start request).
    NotOffered(u16),
}

/// One poll of the status.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// The manager answered.
    Status(UpgradeStatus),
    /// The manager does not answer (rebooting): the transport error.
    Down(String),
}

/// Why an upgrade call failed.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error("site {site}: appliance management (port 9443) is needed to upgrade, but {detail}")]
    NoAdmin { site: String, detail: String },
    #[error("site {site}: {call} failed: {detail}")]
    Call { site: String, call: String, detail: String },
}

/// The System Upgrade API of one manager.
pub struct UpgradeClient {
    pub site: String,
    base: Api,
    creds: SiteCredentials,
    admin: Mutex<Api>,
}

/// Log in to appliance management of every site (with the run's resolved credentials).
pub async fn connect(args: &CollectOptions, creds: &Credentials) -> Result<Vec<UpgradeClient>, UpgradeError> {
    let (_, opts) = prepare(args)?;
    let client = http::build_client(&opts).map_err(CollectError::Client)?;
    let mut out = Vec::new();
    for spec in &args.sites {
        let c = creds.site(&spec.name)?.clone();
        let base = Api::new(client.clone(), spec.admin_url.clone(), &opts, indicatif::ProgressBar::hidden());
        let admin = login(&base, spec, &c).await?;
        out.push(UpgradeClient {
            site: spec.name.clone(),
            base,
            creds: c,
            admin: Mutex::new(admin),
        });
    }
    Ok(out)
}

async fn login(base: &Api, spec: &SiteSpec, creds: &SiteCredentials) -> Result<Api, UpgradeError> {
    match session::admin_login(base, &spec.name, creds).await? {
        AdminAccess::Ready(api) => Ok(api),
        AdminAccess::NoPassword => Err(UpgradeError::NoAdmin {
            site: spec.name.clone(),
            detail: format!(
                "no password: set HCX_ADMIN_PASSWORD or HCX_{}_ADMIN_PASSWORD",
                super::env_site_name(&spec.name)
            ),
        }),
        AdminAccess::Unavailable(e) => Err(UpgradeError::NoAdmin {
            site: spec.name.clone(),
            detail: format!("{} does not answer: {e}", spec.admin_url),
        }),
    }
}

impl UpgradeClient {
    /// Start the upgrade to `target` with the vendor's safe defaults: the manager takes
    /// its VM snapshot and config backup and runs its own pre-upgrade validation.
    pub async fn start(&self, target: &str) -> Result<StartOutcome, UpgradeError> {
        let body = json!({
            "targetVersion": target,
            "upgradePolicy": {"skipVmSnapshot": false, "skipUpgradeValidation": false, "skipConfigBackup": false},
        });
        let api = self.admin.lock().await.clone();
        let call = http::label(&Method::POST, upgrade_api::START);
        let answer = api
            .call(Method::POST, upgrade_api::START, None, Some(&body))
            .await
            .map_err(|e| UpgradeError::Call {
                site: self.site.clone(),
                call: call.clone(),
                detail: e.to_string(),
            })?;
        match answer.status.as_u16() {
            200..=299 => Ok(StartOutcome::Started),
            404 | 405 | 501 => Ok(StartOutcome::NotOffered(answer.status.as_u16())),
            code => Err(UpgradeError::Call {
                site: self.site.clone(),
                call,
                detail: format!("HTTP {code}: {}", String::from_utf8_lossy(&answer.body).chars().take(300).collect::<String>()),
            }),
        }
    }

    /// Read the status once; a manager that does not answer is [`Poll::Down`].
    /// Read-only: does this manager offer the System Upgrade API that `start` would call?
    /// The same status endpoint the real run polls, and the same "not offered" answers.
    pub async fn probe(&self) -> Result<Probe, UpgradeError> {
        let api = self.admin.lock().await.clone();
        let call = http::label(&Method::GET, upgrade_api::STATUS);
        let failed = |detail: String| UpgradeError::Call {
            site: self.site.clone(),
            call: call.clone(),
            detail,
        };
        let answer = api
            .call(Method::GET, upgrade_api::STATUS, None, None)
            .await
            .map_err(|e| failed(e.to_string()))?;
        match answer.status.as_u16() {
            200..=299 => {
                let v = http::parse_json(&answer.body).map_err(|e| failed(e.to_string()))?;
                let status = UpgradeStatus::from_json(&v).ok_or_else(|| failed("the answer has no `status`".into()))?;
                Ok(Probe::Offered(status.status))
            }
            404 | 405 | 501 => Ok(Probe::NotOffered(answer.status.as_u16())),
            code => Err(failed(format!("HTTP {code}"))),
        }
    }

    pub async fn status(&self) -> Result<Poll, UpgradeError> {
        for attempt in 0..2 {
            // One try per poll: retries would hide the reboot from the caller's loop.
            let api = self.admin.lock().await.with_retries(0);
            match api.call(Method::GET, upgrade_api::STATUS, None, None).await {
                Err(FetchError::Transport { detail, .. }) => return Ok(Poll::Down(detail)),
                // 5xx while it starts services again: still on its way back.
                Err(FetchError::Status { code, .. }) if code >= 500 => return Ok(Poll::Down(format!("HTTP {code}"))),
                Err(e) => {
                    return Err(UpgradeError::Call {
                        site: self.site.clone(),
                        call: http::label(&Method::GET, upgrade_api::STATUS),
                        detail: e.to_string(),
                    })
                }
                Ok(a) if a.status.as_u16() == 401 && attempt == 0 => {
                    // The reboot ended the session: log in again, once.
                    let spec_like = SiteSpec {
                        name: self.site.clone(),
                        url: self.base.base().clone(),
                        admin_url: self.base.base().clone(),
                        role: None,
                    };
                    match login(&self.base, &spec_like, &self.creds).await {
                        Ok(api) => *self.admin.lock().await = api,
                        Err(UpgradeError::NoAdmin { detail, .. }) => return Ok(Poll::Down(detail)),
                        Err(e) => return Err(e),
                    }
                }
                Ok(a) if a.status.is_success() => {
                    let v = http::parse_json(&a.body).map_err(|e| UpgradeError::Call {
                        site: self.site.clone(),
                        call: http::label(&Method::GET, upgrade_api::STATUS),
                        detail: e.to_string(),
                    })?;
                    return UpgradeStatus::from_json(&v).map(Poll::Status).ok_or_else(|| UpgradeError::Call {
                        site: self.site.clone(),
                        call: http::label(&Method::GET, upgrade_api::STATUS),
                        detail: "the answer has no `status`".into(),
                    });
                }
                Ok(a) => {
                    return Err(UpgradeError::Call {
                        site: self.site.clone(),
                        call: http::label(&Method::GET, upgrade_api::STATUS),
                        detail: format!("HTTP {}", a.status.as_u16()),
                    })
                }
            }
        }
        Err(UpgradeError::Call {
            site: self.site.clone(),
            call: http::label(&Method::GET, upgrade_api::STATUS),
            detail: "the session was refused again after logging in anew".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_answers_are_read_with_their_sub_tasks() {
        let v = json!({"status": "failed", "message": "Pre-upgrade validation failed", "progress": 10,
            "currentVersion": "9.0.0.0", "subTasks": [{"state": "PRE_UPGRADE_VALIDATION", "status": "FAILED", "message": "disk"}]});
        let s = UpgradeStatus::from_json(&v).unwrap();
        assert_eq!(s.status, UpgradeState::Failed);
        assert_eq!(s.failed_sub_tasks()[0].state, "PRE_UPGRADE_VALIDATION");
        assert_eq!(UpgradeStatus::from_json(&json!({"progress": 1})), None);
    }
}
