//! The ruler's HTTP side: the Prometheus-compatible API ([`api`]) and `/federate` ([`federate`]),
//! behind `--http.config` ([`web_config`]: TLS through [`crate::server_tls`], basic auth, headers).

pub mod api;
pub mod federate;
pub mod web_config;
