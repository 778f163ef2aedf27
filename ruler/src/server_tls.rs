//! TLS on the ruler's own ports (HTTP behind `--http.config`, gRPC behind `--grpc-server-tls-*`): a
//! rustls server configuration built from PEM files ([`server_config`]), one that follows its files
//! as they rotate ([`Reloading`]), and a listener handing out connections whose handshake succeeded
//! ([`listener::TlsListener`]).

pub mod listener;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use rustls::{ServerConfig, SupportedProtocolVersion};

use crate::client::tls::read_certificates;
use crate::stamp::Stamp;

/// What a server configuration is built from.
pub struct ServerFiles<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
    /// The CA client certificates must be signed by, and whether a client must present one.
    pub client_ca: Option<(&'a Path, bool)>,
    pub versions: &'a [&'static SupportedProtocolVersion],
    pub alpn: &'a [&'a [u8]],
}

/// A rustls server configuration (ring) from `files`; the error names the file at fault.
pub fn server_config(files: &ServerFiles<'_>) -> Result<ServerConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(files.versions)
        .map_err(|e| e.to_string())?;
    let builder = match files.client_ca {
        None => builder.with_no_client_auth(),
        Some((ca, required)) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(ca)? {
                roots.add(cert).map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if required { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| e.to_string())?)
        }
    };
    let chain = certificates(files.cert)?;
    let key = PrivateKeyDer::from_pem_file(files.key).map_err(|e| format!("{}: {e}", files.key.display()))?;
    let mut config =
        builder.with_single_cert(chain, key).map_err(|e| format!("{}: {e}", files.cert.display()))?;
    config.alpn_protocols = files.alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

fn certificates(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    read_certificates(path).map_err(|e| format!("{}: {e}", path.display()))
}

type Build = Box<dyn Fn() -> Result<ServerConfig, String> + Send + Sync>;

/// A server configuration that is built again when one of its files changes (a `stat` each per
/// connection); a rebuild that fails keeps the last good one, and is logged once.
pub struct Reloading {
    what: &'static str,
    files: Vec<PathBuf>,
    build: Build,
    current: Mutex<(Stamp, Arc<ServerConfig>)>,
}

impl Reloading {
    /// Builds the first configuration: an error stops the start.
    pub fn new(what: &'static str, files: Vec<PathBuf>, build: Build) -> Result<Reloading, String> {
        let stamp = Stamp::of(&files);
        let config = Arc::new(build()?);
        Ok(Reloading { what, files, build, current: Mutex::new((stamp, config)) })
    }

    pub fn current(&self) -> Arc<ServerConfig> {
        let mut current = self.current.lock().unwrap();
        let now = Stamp::of(&self.files);
        if now != current.0 {
            match (self.build)() {
                Ok(config) => {
                    tracing::info!(what = self.what, "TLS certificates changed: reloaded");
                    current.1 = Arc::new(config);
                }
                Err(e) => {
                    tracing::error!(what = self.what, error = %e, "TLS certificates not reloaded; the last good ones stay");
                }
            }
            current.0 = now;
        }
        current.1.clone()
    }
}
