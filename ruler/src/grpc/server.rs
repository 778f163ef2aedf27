//! The gRPC server: Info, Store and Rules, plus gRPC health and server reflection as every Thanos
//! gRPC server registers them (for `grpcurl` and Kubernetes gRPC probes). Plain HTTP/2 by default, as
//! Queriers dial; TLS with `--grpc-server-tls-cert/-key`, client certificates required once
//! `--grpc-server-tls-client-ca` is given. The three files are followed as they rotate (a
//! cert-manager renewal), as the HTTP port's are.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use super::info::Identity as RulerIdentity;
use super::proto::thanos::info::info_server::InfoServer;
use super::proto::thanos::rules_server::RulesServer;
use super::proto::thanos::store_server::StoreServer;
use super::proto::FILE_DESCRIPTOR_SET;
use super::rules::RulesApi;
use super::store::StoreApi;
use crate::server_tls::listener::TlsListener;
use crate::server_tls::{self, Reloading, ServerFiles};

/// `--grpc-server-tls-*`: the server's certificate and key, and the CA client certificates must be
/// signed by (none: clients are not asked for one).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// Why the gRPC server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{flag} {}: {source}", path.display())]
    Read { flag: &'static str, path: PathBuf, source: std::io::Error },
    #[error("gRPC TLS: {0}")]
    Tls(String),
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC listener: {0}")]
    Io(#[from] std::io::Error),
}

impl TlsFiles {
    /// The server's TLS, rebuilt when a file changes; gRPC needs HTTP/2, so ALPN offers only `h2`.
    fn reloading(&self) -> Result<Reloading, ServeError> {
        let flags =
            [("--grpc-server-tls-cert", Some(&self.cert)), ("--grpc-server-tls-key", Some(&self.key))];
        for (flag, path) in
            flags.into_iter().chain([("--grpc-server-tls-client-ca", self.client_ca.as_ref())])
        {
            if let Some(path) = path {
                std::fs::File::open(path).map_err(|source| ServeError::Read {
                    flag,
                    path: path.clone(),
                    source,
                })?;
            }
        }
        let files = self.clone();
        let build = move || {
            server_tls::server_config(&ServerFiles {
                cert: &files.cert,
                key: &files.key,
                client_ca: files.client_ca.as_deref().map(|ca| (ca, true)),
                versions: rustls::ALL_VERSIONS,
                alpn: &[b"h2"],
            })
        };
        let watched = [Some(&self.cert), Some(&self.key), self.client_ca.as_ref()];
        let watched = watched.into_iter().flatten().cloned().collect();
        Reloading::new("gRPC", watched, Box::new(build)).map_err(ServeError::Tls)
    }
}

/// What the server serves.
pub struct Services {
    pub identity: RulerIdentity,
    pub store: StoreApi,
    pub rules: RulesApi,
}

/// Serves on `listener` until `shutdown` completes, then lets calls in progress finish.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    tls: Option<&TlsFiles>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<StoreServer<StoreApi>>().await;
    health.set_serving::<RulesServer<RulesApi>>().await;
    health.set_serving::<InfoServer<RulerIdentity>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    // Frames stay near 1 MiB; the limit only keeps tonic's 4 MiB default from refusing a larger one.
    let router = Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(InfoServer::new(services.identity))
        .add_service(StoreServer::new(services.store).max_encoding_message_size(usize::MAX))
        .add_service(RulesServer::new(services.rules).max_encoding_message_size(usize::MAX));
    match tls {
        None => router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown).await?,
        Some(files) => {
            let tls = Arc::new(files.reloading()?);
            let listener = TlsListener::new(listener, Arc::new(move || Some(tls.current())))?;
            router.serve_with_incoming_shutdown(listener.incoming(), shutdown).await?
        }
    }
    Ok(())
}
