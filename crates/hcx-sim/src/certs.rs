//! Certificates for the simulator, generated at start with rcgen: one CA (whose PEM the
//! tests pass as `--ca-cert`) and a leaf per [`CertMode`]: valid for `localhost` and
//! 127.0.0.1, expired, or issued for another host name. Nothing is read from disk.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::scenario::CertMode;
use super::SimError;

/// The simulator's CA.
pub struct Authority {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn tls(e: impl std::fmt::Display) -> SimError {
    SimError::Tls(e.to_string())
}

impl Authority {
    /// A fresh CA.
    pub fn new() -> Result<Self, SimError> {
        let key = KeyPair::generate().map_err(tls)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "hcx-sim test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(tls)?;
        Ok(Self { cert, key })
    }

    /// The CA certificate in PEM form.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A TLS server configuration presenting a leaf of the given kind.
    pub fn server_config(&self, mode: CertMode) -> Result<Arc<rustls::ServerConfig>, SimError> {
        let names: Vec<String> = match mode {
            CertMode::Valid | CertMode::Expired => vec!["localhost".into(), "127.0.0.1".into()],
            CertMode::WrongHost => vec!["wrong-host.invalid".into()],
        };
        let key = KeyPair::generate().map_err(tls)?;
        let mut params = CertificateParams::new(names).map_err(tls)?;
        params.distinguished_name.push(DnType::CommonName, "hcx-sim manager");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if mode == CertMode::Expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let leaf = params.signed_by(&key, &self.cert, &self.key).map_err(tls)?;
        let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), self.cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(tls)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
