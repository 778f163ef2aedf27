//! A rustls client configuration from `tls_config`: the CA file (or the system's roots), a client
//! certificate, `server_name` and `insecure_skip_verify`, HTTP/2 offered by ALPN.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::config::TlsConfig;
use super::ClientError;

/// The client configuration `tls` describes.
pub fn client_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    if tls.ca_file.is_empty() {
        for cert in rustls_native_certs::load_native_certs().certs {
            // A system root rustls cannot parse is skipped, as Go skips it.
            let _ = roots.add(cert);
        }
    } else {
        for cert in certificates("ca_file", &tls.ca_file)? {
            roots.add(cert).map_err(|e| pem("ca_file", &tls.ca_file, e))?;
        }
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| ClientError::Tls(format!("ca_file {}: {e}", tls.ca_file)))?;
    let server_name = match tls.server_name.as_str() {
        "" => None,
        name => Some(
            ServerName::try_from(name.to_string())
                .map_err(|e| ClientError::Tls(format!("server_name {name:?}: {e}")))?,
        ),
    };
    let verifier =
        Arc::new(Verifier { inner, server_name, skip: tls.insecure_skip_verify, provider: provider.clone() });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (tls.cert_file.as_str(), tls.key_file.as_str()) {
        ("", "") => builder.with_no_client_auth(),
        ("", _) | (_, "") => {
            return Err(ClientError::Tls("cert_file and key_file must be given together".into()));
        }
        (cert, key) => {
            let chain = certificates("cert_file", cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem("key_file", key, e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ClientError::Tls(format!("cert_file {cert}: {e}")))?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn certificates(field: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    read_certificates(std::path::Path::new(path)).map_err(|e| pem(field, path, e))
}

/// Every certificate of a PEM file; one at least (the server's TLS takes its files with this too).
pub fn read_certificates(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(certs)
}

fn pem(field: &'static str, path: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Tls(format!("{field} {path}: {e}"))
}

/// WebPKI verification against `server_name` instead of the URL's host when one is set, or none at
/// all with `insecure_skip_verify` (handshake signatures are still checked).
#[derive(Debug)]
struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
    server_name: Option<ServerName<'static>>,
    skip: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.skip {
            return Ok(ServerCertVerified::assertion());
        }
        let name = self.server_name.as_ref().unwrap_or(server_name);
        self.inner.verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
