//! The ruler's HTTP side: the Prometheus-compatible API ([`api`]) and `/federate` ([`federate`]),
//! behind `--http.config` ([`web_config`]: TLS through [`tls_listener`], basic auth, headers).

pub mod api;
pub mod federate;
pub mod tls_listener;
pub mod web_config;
