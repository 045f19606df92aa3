//! Why a collection failed as a whole. These are failures of the tool or of its input
//! (the CLI exits 2 and writes no snapshot); a single fact that cannot be read is not an
//! error here but a `null` plus an entry in the snapshot's `errors`.

use std::path::PathBuf;

/// A collection that could not produce a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A `--site` value, or the set of them, is not usable.
    #[error("invalid --site: {0}")]
    Site(String),
    /// Credentials are missing or unreadable (the message names the variables to set).
    #[error("{0}")]
    Credentials(String),
    /// The manager answered 401 to a login.
    #[error(
        "credentials rejected by {endpoint} for site {site}: check {hint} (or the per-site HCX_{env_site}_* variables)"
    )]
    CredentialsRejected {
        site: String,
        endpoint: String,
        hint: &'static str,
        env_site: String,
    },
    /// The manager could not be reached: connection refused, DNS, timeout, TLS.
    #[error("site {site}: cannot reach the HCX Manager at {url}: {detail}{hint}")]
    Unreachable {
        site: String,
        url: String,
        detail: String,
        /// What to do, with a leading separator (empty when there is nothing to add).
        hint: String,
    },
    /// The login answered, but not with a session.
    #[error("site {site}: login to {url} failed: {detail}")]
    Login { site: String, url: String, detail: String },
    /// Neither the user nor the API said which side of the pair a site is.
    #[error("site {site}: cannot tell whether it is the connector or the cloud side ({detail}); add role=connector or role=cloud to its --site")]
    RoleUnknown { site: String, detail: String },
    /// `--ca-cert` could not be used.
    #[error("--ca-cert {path}: {message}")]
    CaCert { path: PathBuf, message: String },
    /// An `--attest` value or the `--attestations` file is not valid.
    #[error("attestation {origin}: {message}")]
    Attestation { origin: String, message: String },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTPS client: {0}")]
    Client(String),
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The snapshot could not be written.
    #[error("cannot write the snapshot to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
