//! The HTTP layer under every collector call: one `reqwest` client (rustls, verified TLS
//! unless `--insecure`), a per-request timeout, bounded retries with exponential backoff
//! on connection errors, 5xx and the "SSO not ready" answer, and a cap on response
//! bodies, read in chunks. It returns JSON or a [`FetchError`] that says what went wrong
//! without a URL (ports are ephemeral in tests) and without any credential.

use std::error::Error as _;
use std::time::Duration;

use reqwest::{header, Method, StatusCode, Url};
use serde_json::Value;

use super::envelope::ShapeError;
use super::paths::TOKEN_HEADER;
use crate::api::SSO_NOT_READY;
use super::secret::Secret;

/// The largest response body read; a larger one is refused, not truncated.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// First wait before a retry; doubled for each further one.
const BACKOFF_START: Duration = Duration::from_millis(250);
/// Longest wait between two tries.
const BACKOFF_MAX: Duration = Duration::from_secs(4);


/// How one call failed (after its retries).
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// No HTTP answer: refused, reset, DNS, timeout, TLS.
    #[error("{detail}")]
    Transport {
        detail: String,
        /// The failure is a certificate or TLS problem.
        tls: bool,
        /// What the user can do, with a leading "; " (empty when nothing).
        hint: String,
    },
    /// An HTTP status other than success.
    #[error("HTTP {code}{}", if *.retried { " (after retries)" } else { "" })]
    Status { code: u16, retried: bool },
    /// The body was larger than [`MAX_BODY_BYTES`].
    #[error("the answer is larger than {} MiB; refused", MAX_BODY_BYTES / (1024 * 1024))]
    TooLarge,
    /// A success status with nothing in the body.
    #[error("the answer is empty")]
    Empty,
    /// The body is not JSON.
    #[error("the answer is not valid JSON: {0}")]
    Malformed(String),
    /// SSO was still not ready after all retries.
    #[error("SSO is not ready yet (the manager answered \"{SSO_NOT_READY}\")")]
    SsoNotReady,
    /// JSON, but not in the expected shape.
    #[error(transparent)]
    Shape(#[from] ShapeError),
}

/// How calls to one API authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials (the login call itself).
    None,
    /// A session token in `x-hm-authorization`.
    Token(Secret),
    /// HTTP Basic (appliance management on 4.x).
    Basic { user: String, password: Secret },
}

/// An HTTP answer with its body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Vec<u8>,
}

/// What the shared client needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub retries: u32,
    pub insecure: bool,
    /// Extra trust anchors (PEM), each with the file it came from.
    pub ca_pems: Vec<(String, Vec<u8>)>,
    /// At most this many requests in flight per manager (both of its APIs); `None`: no bound.
    pub per_manager: Option<usize>,
}

/// Build the one HTTPS client all calls share (connection pooling per host).
pub fn build_client(opts: &HttpOptions) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.timeout)
        .user_agent(concat!("hcx-preflight/", env!("CARGO_PKG_VERSION")));
    for (origin, pem) in &opts.ca_pems {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("{origin}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("{origin}: no certificate in the file"));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    if opts.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One API (443 or 9443) of one manager, with its authentication.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    base: Url,
    auth: Auth,
    timeout: Duration,
    retries: u32,
    progress: indicatif::ProgressBar,
    /// Shared by both APIs of one manager: the bound on its requests in flight.
    limit: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// `GET /path` as messages and errors name an endpoint.
pub fn label(method: &Method, path: &str) -> String {
    format!("{method} {path}")
}

impl Api {
    /// An API at `base`, not yet authenticated.
    pub fn new(client: reqwest::Client, base: Url, opts: &HttpOptions, progress: indicatif::ProgressBar) -> Self {
        Self {
            client,
            base,
            auth: Auth::None,
            timeout: opts.timeout,
            retries: opts.retries,
            progress,
            limit: None,
        }
    }

    /// The same API sharing `limit` (a manager's bound on requests in flight).
    pub fn with_limit(self, limit: Option<std::sync::Arc<tokio::sync::Semaphore>>) -> Self {
        Self { limit, ..self }
    }

    /// The same API with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Self {
        Self { auth, ..self.clone() }
    }

    /// The same API with another retry budget (0: one try; a poll has its own loop).
    pub fn with_retries(&self, retries: u32) -> Self {
        Self { retries, ..self.clone() }
    }

    /// The base URL (for messages that must name it).
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str, query: Option<&str>) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url.set_query(query);
        url
    }

    async fn once(&self, method: &Method, url: &Url, body: Option<&Value>) -> Result<Answer, FetchError> {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = match &self.limit {
            Some(l) => l.acquire().await.ok(),
            None => None,
        };
        let mut req = self
            .client
            .request(method.clone(), url.clone())
            .timeout(self.timeout)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json");
        req = match &self.auth {
            Auth::None => req,
            Auth::Token(t) => req.header(TOKEN_HEADER, t.expose()),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
        };
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let mut resp = req.send().await.map_err(|e| transport(&e, self.timeout))?;
        if resp.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(FetchError::TooLarge);
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e, self.timeout))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, headers, body })
    }

    /// One call with its retries. Returns any answer that is not worth retrying
    /// (2xx, 4xx); 5xx, connection errors and "SSO not ready" are retried with backoff.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Answer, FetchError> {
        let url = self.url(path, query);
        let mut attempt = 0;
        let result = loop {
            let outcome = self.once(&method, &url, body).await;
            let retryable = match &outcome {
                Ok(a) if a.status.is_server_error() => Some(FetchError::Status {
                    code: a.status.as_u16(),
                    retried: attempt > 0,
                }),
                Ok(a) if is_sso_not_ready(&a.body) => Some(FetchError::SsoNotReady),
                Ok(_) => None,
                Err(e @ FetchError::Transport { tls: false, .. }) => Some(e.clone()),
                Err(_) => None,
            };
            match retryable {
                Some(e) if attempt >= self.retries => break Err(e),
                Some(_) => {
                    let wait = BACKOFF_START.saturating_mul(1 << attempt.min(8)).min(BACKOFF_MAX);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => break outcome,
            }
        };
        self.progress.inc(1);
        self.progress.set_message(label(&method, path));
        result
    }

    /// A call whose answer must be 2xx JSON.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, FetchError> {
        let answer = self.call(method, path, query, body).await?;
        if !answer.status.is_success() {
            return Err(FetchError::Status {
                code: answer.status.as_u16(),
                retried: false,
            });
        }
        parse_json(&answer.body)
    }

    /// `GET path` as JSON.
    pub async fn get(&self, path: &str) -> Result<Value, FetchError> {
        self.json(Method::GET, path, None, None).await
    }

    /// `POST path` with a JSON body, answer as JSON.
    pub async fn post(&self, path: &str, query: Option<&str>, body: &Value) -> Result<Value, FetchError> {
        self.json(Method::POST, path, query, Some(body)).await
    }
}

/// Parse a body as JSON: empty and malformed bodies are their own errors.
pub fn parse_json(body: &[u8]) -> Result<Value, FetchError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FetchError::Empty);
    }
    serde_json::from_slice(body).map_err(|e| FetchError::Malformed(e.to_string()))
}

fn is_sso_not_ready(body: &[u8]) -> bool {
    body.len() < 64 * 1024 && String::from_utf8_lossy(body).contains(SSO_NOT_READY)
}

/// Turn a transport error into a message without the URL, and say whether it is TLS.
fn transport(err: &reqwest::Error, timeout: Duration) -> FetchError {
    if let Some(tls) = find_rustls(err) {
        let (detail, hint) = describe_tls(&tls);
        return FetchError::Transport {
            detail,
            tls: true,
            hint,
        };
    }
    if err.is_timeout() {
        return FetchError::Transport {
            detail: format!("no answer within {} s (timeout)", timeout.as_secs_f64()),
            tls: false,
            hint: "; check the address, or raise --timeout".into(),
        };
    }
    // The chain below reqwest's own message (which names the URL).
    let mut parts: Vec<String> = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        // rustls appends a documentation link to an unexpected EOF; the words suffice.
        let s = e.to_string().split(": https://").next().unwrap_or_default().to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    let mut detail = parts.join(": ");
    if detail.is_empty() {
        detail = if err.is_body() {
            "the connection broke while reading the answer".into()
        } else {
            "request failed".into()
        };
    } else if err.is_body() || err.is_decode() {
        detail = format!("the connection broke while reading the answer: {detail}");
    }
    // A certificate problem is not worth retrying; a connection closed early is.
    let tls = detail.to_ascii_lowercase().contains("certificate");
    let hint = if tls {
        "; use --ca-cert FILE, or --insecure".to_string()
    } else {
        String::new()
    };
    FetchError::Transport { detail, tls, hint }
}

fn find_rustls(err: &reqwest::Error) -> Option<rustls::Error> {
    // The TLS error sits inside io::Errors nested in io::Errors, whose `source()` skips
    // the wrapped error itself: look inside each with `get_ref`.
    fn inside(e: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r.clone());
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(r) = inside(inner) {
                return Some(r);
            }
        }
        e.source().and_then(inside)
    }
    inside(err)
}

fn describe_tls(err: &rustls::Error) -> (String, String) {
    use rustls::CertificateError as C;
    let untrusted = "; use --ca-cert FILE, or --insecure".to_string();
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => (
                "TLS: the certificate is not trusted (unknown issuer; HCX appliances usually present a self-signed certificate)".into(),
                untrusted,
            ),
            C::Expired | C::ExpiredContext { .. } => (
                "TLS: the certificate has expired".into(),
                "; renew the manager's certificate, or use --insecure (dangerous)".into(),
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => (
                "TLS: the certificate is not valid for this host name".into(),
                "; use the host name the certificate names, or --insecure (dangerous)".into(),
            ),
            other => (format!("TLS: invalid certificate ({other:?})"), untrusted),
        },
        other => (format!("TLS: {other}"), untrusted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_malformed_bodies() {
        assert!(matches!(parse_json(b""), Err(FetchError::Empty)));
        assert!(matches!(parse_json(b"  \n"), Err(FetchError::Empty)));
        assert!(matches!(parse_json(b"{\"a\":"), Err(FetchError::Malformed(_))));
        assert_eq!(parse_json(b"{\"a\":1}").unwrap()["a"], 1);
    }

    #[test]
    fn sso_not_ready_is_recognised() {
        let xml = format!("<error><message>{SSO_NOT_READY}</message></error>");
        assert!(is_sso_not_ready(xml.as_bytes()));
        assert!(!is_sso_not_ready(b"{}"));
    }
}
