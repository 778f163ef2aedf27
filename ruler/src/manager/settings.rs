//! Everything `ruler run` needs, gathered from the flags ([`crate::cli::flags`]).

use std::path::PathBuf;
use std::time::Duration;

use crate::client::config::EndpointGroup;
use crate::notifier::NotifyOptions;
use crate::query::http::Method;
use crate::rules::alerting::RestoreOptions;
use crate::rules::group::{Defaults, EvalOptions};
use crate::storage::StorageOptions;

/// The gRPC server's settings (`--grpc-*`, `--store.limits.*`).
#[derive(Debug, Clone, Default)]
pub struct GrpcConfig {
    pub grace: Duration,
    pub tls: Option<crate::grpc::server::TlsFiles>,
    pub limits: crate::grpc::store::Limits,
}

/// Everything `ruler run` needs, from the flags.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub data_dir: PathBuf,
    pub storage: StorageOptions,
    pub restore: RestoreOptions,
    pub rule_files: Vec<String>,
    /// How often the rule files are checked for changes; zero: never.
    pub rule_watch_interval: Duration,
    /// `--query` values, or `--query.config` entries.
    pub queriers: Vec<EndpointGroup>,
    pub query_method: Method,
    pub query_dns_interval: Duration,
    /// DNS server for lookups instead of the system's.
    pub nameserver: Option<std::net::SocketAddr>,
    /// `--alertmanagers.url` values, or `--alertmanagers.config` entries.
    pub alertmanagers: Vec<EndpointGroup>,
    pub alertmanager_dns_interval: Duration,
    pub send_timeout: Duration,
    pub resend_delay: Duration,
    pub defaults: Defaults,
    pub notify: NotifyOptions,
    pub eval: EvalOptions,
    /// Where blocks are uploaded (`--objstore.config*`), if anywhere.
    pub bucket: Option<crate::objstore::BucketConfig>,
    /// Prometheus' web configuration for the HTTP port (`--http.config`), if any.
    pub http_config: Option<PathBuf>,
    /// The built console to serve at `/` (`--web.console-dir`), if any.
    pub console_dir: Option<PathBuf>,
    pub grpc: GrpcConfig,
}
