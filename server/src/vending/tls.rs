//! TLS for MQTT: the embedded broker's TLS listener, and the back end's
//! (and simulated machines') connections to `mqtts://` brokers. rustls
//! with the ring provider, named explicitly in every config: with two
//! providers compiled in, rustls cannot pick one for the process by
//! itself and panics when a config is built without one.

use std::{fmt, path::Path, sync::Arc};

use rustls::{
    ClientConfig, RootCertStore, ServerConfig,
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};
use tokio_rustls::TlsAcceptor;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's provider, for TLS clients built elsewhere
/// without one named (a second provider compiled in by some dependency
/// would otherwise leave them to panic). Another one installed first stays.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The embedded broker's TLS: the certificate chain in `cert`, its key in
/// `key` (both PEM).
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let chain = certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("cannot read the MQTT TLS key {}: {e}", key.display()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| anyhow::anyhow!("the MQTT TLS certificate and key do not go together: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let unreadable =
        |e: rustls::pki_types::pem::Error| anyhow::anyhow!("cannot read {}: {e}", path.display());
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if certificates.is_empty() {
        anyhow::bail!("{} holds no PEM certificate", path.display());
    }
    Ok(certificates)
}

/// How a client trusts a broker's certificate: a rustls client config,
/// built once.
#[derive(Clone)]
pub struct ClientTls(Arc<ClientConfig>);

impl ClientTls {
    /// Trusts the certificate authorities of the system's store.
    pub fn system_roots() -> anyhow::Result<Self> {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            anyhow::bail!(
                "no trusted certificate authority found in the system's store ({:?}); \
                 name one with AUTOMAT_MQTT_CA_FILE",
                found.errors
            );
        }
        Self::trusting(roots)
    }

    /// Trusts the certificates in the PEM file `path`: a private
    /// certificate authority, or a self-signed broker certificate itself.
    pub fn trusting_file(path: &Path) -> anyhow::Result<Self> {
        let mut roots = RootCertStore::empty();
        for certificate in certificates(path)? {
            roots
                .add(certificate)
                .map_err(|e| anyhow::anyhow!("cannot trust {}: {e}", path.display()))?;
        }
        Self::trusting(roots)
    }

    fn trusting(roots: RootCertStore) -> anyhow::Result<Self> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self(Arc::new(config)))
    }

    pub fn config(&self) -> Arc<ClientConfig> {
        self.0.clone()
    }
}

/// The same trust, built once: compared by identity.
impl PartialEq for ClientTls {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ClientTls {}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientTls")
    }
}
