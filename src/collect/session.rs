//! Logging in. The HCX Manager API (443) takes `POST /hybridity/api/sessions` and answers
//! with a token in the `x-hm-authorization` response header; without it nothing else can
//! be read, so its failures end the collection with a [`CollectError`]. Appliance
//! management (9443) takes HTTP Basic on 4.x and offers a token session on 9.x: one
//! request to the 9.x session path, carrying the Basic header too, tells which one
//! applies without a second round trip (a 401 there is checked once more with Basic on a
//! 4.x path before the credentials are called wrong). 9443 is optional (a provider may
//! hide it).

use reqwest::Method;
use serde_json::json;

use super::error::CollectError;
use super::http::{label, Answer, Api, Auth, FetchError};
use super::paths::{ADMIN_APPENGINE, ADMIN_SESSIONS, SESSIONS, TOKEN_HEADER};
use super::secret::{env_site_name, Secret, SiteCredentials};

fn token(answer: &Answer) -> Option<Secret> {
    answer
        .headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Secret::new)
}

fn endpoint(api: &Api, path: &str) -> String {
    let mut url = api.base().clone();
    url.set_path(path);
    format!("POST {url}")
}

/// Log in to the HCX Manager API; the returned API sends the session token.
pub async fn login(api: &Api, site: &str, creds: &SiteCredentials) -> Result<Api, CollectError> {
    let body = json!({"username": creds.username, "password": creds.password.expose()});
    let url = api.base().to_string();
    match api.call(Method::POST, SESSIONS, None, Some(&body)).await {
        Ok(answer) if matches!(answer.status.as_u16(), 200 | 202) => match token(&answer) {
            Some(t) => Ok(api.with_auth(Auth::Token(t))),
            None => Err(CollectError::Login {
                site: site.into(),
                url,
                detail: format!(
                    "the answer ({}) carries no {TOKEN_HEADER} header",
                    answer.status.as_u16()
                ),
            }),
        },
        Ok(answer) if matches!(answer.status.as_u16(), 401 | 403) => Err(CollectError::CredentialsRejected {
            site: site.into(),
            endpoint: endpoint(api, SESSIONS),
            hint: "HCX_USERNAME/HCX_PASSWORD (a vSphere SSO user with a role in HCX)",
            env_site: env_site_name(site),
        }),
        Ok(answer) => Err(CollectError::Login {
            site: site.into(),
            url,
            detail: format!(
                "{} answered HTTP {}",
                label(&Method::POST, SESSIONS),
                answer.status.as_u16()
            ),
        }),
        Err(FetchError::Transport { detail, hint, .. }) => Err(CollectError::Unreachable {
            site: site.into(),
            url,
            detail,
            hint,
        }),
        Err(e @ FetchError::SsoNotReady) => Err(CollectError::Login {
            site: site.into(),
            url,
            detail: format!("{e}; wait until the manager has finished starting, then collect again"),
        }),
        Err(e) => Err(CollectError::Login {
            site: site.into(),
            url,
            detail: format!("{}: {e}", label(&Method::POST, SESSIONS)),
        }),
    }
}

/// What became of the appliance management login.
#[derive(Debug)]
pub enum AdminAccess {
    /// Logged in (token on 9.x, Basic on 4.x).
    Ready(Api),
    /// No password was given: the 9443 facts are not read.
    NoPassword,
    /// 9443 did not answer (or not usably): the 9443 facts are unknown.
    Unavailable(FetchError),
}

/// Log in to appliance management: the 9.x session if offered, HTTP Basic otherwise.
pub async fn admin_login(api: &Api, site: &str, creds: &SiteCredentials) -> Result<AdminAccess, CollectError> {
    let Some(password) = &creds.admin_password else {
        return Ok(AdminAccess::NoPassword);
    };
    let basic = api.with_auth(Auth::Basic {
        user: creds.admin_username.clone(),
        password: password.clone(),
    });
    let body = json!({"username": creds.admin_username, "password": password.expose()});
    let rejected = |path: &str| CollectError::CredentialsRejected {
        site: site.into(),
        endpoint: endpoint(api, path),
        hint: "HCX_ADMIN_USERNAME/HCX_ADMIN_PASSWORD (the appliance management user, default admin)",
        env_site: env_site_name(site),
    };
    match basic.call(Method::POST, ADMIN_SESSIONS, None, Some(&body)).await {
        // A 4.x manager may refuse the unknown session path itself: before calling the
        // credentials wrong, ask a path that 4.x has, with Basic alone.
        Ok(answer) if matches!(answer.status.as_u16(), 401 | 403) => {
            match basic.call(Method::GET, ADMIN_APPENGINE, None, None).await {
                Ok(probe) if probe.status.is_success() => Ok(AdminAccess::Ready(basic)),
                Ok(_) => Err(rejected(ADMIN_SESSIONS)),
                Err(e) => Ok(AdminAccess::Unavailable(e)),
            }
        }
        Ok(answer) if answer.status.is_success() => Ok(AdminAccess::Ready(match token(&answer) {
            Some(t) => api.with_auth(Auth::Token(t)),
            None => basic,
        })),
        // 404/405 and the like: no 9.x session API, so 4.x with Basic.
        Ok(_) => Ok(AdminAccess::Ready(basic)),
        Err(e) => Ok(AdminAccess::Unavailable(e)),
    }
}
