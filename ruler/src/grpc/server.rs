//! The gRPC server: Info, Store and Rules, plus gRPC health and server reflection as every Thanos
//! gRPC server registers them (for `grpcurl` and Kubernetes gRPC probes). Plain HTTP/2 by default, as
//! Queriers dial; TLS with `--grpc-server-tls-cert/-key`, client certificates required once
//! `--grpc-server-tls-client-ca` is given.

use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use super::info::Identity as RulerIdentity;
use super::proto::thanos::info::info_server::InfoServer;
use super::proto::thanos::rules_server::RulesServer;
use super::proto::thanos::store_server::StoreServer;
use super::proto::FILE_DESCRIPTOR_SET;
use super::rules::RulesApi;
use super::store::StoreApi;

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
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

fn read(flag: &'static str, path: &PathBuf) -> Result<Vec<u8>, ServeError> {
    std::fs::read(path).map_err(|source| ServeError::Read { flag, path: path.clone(), source })
}

impl TlsFiles {
    fn config(&self) -> Result<ServerTlsConfig, ServeError> {
        let identity = Identity::from_pem(
            read("--grpc-server-tls-cert", &self.cert)?,
            read("--grpc-server-tls-key", &self.key)?,
        );
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            config = config.client_ca_root(Certificate::from_pem(read("--grpc-server-tls-client-ca", ca)?));
        }
        Ok(config)
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
    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls.config()?)?;
    }
    // Frames stay near 1 MiB; the limit only keeps tonic's 4 MiB default from refusing a larger one.
    builder
        .add_service(health_service)
        .add_service(reflection)
        .add_service(InfoServer::new(services.identity))
        .add_service(StoreServer::new(services.store).max_encoding_message_size(usize::MAX))
        .add_service(RulesServer::new(services.rules).max_encoding_message_size(usize::MAX))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
