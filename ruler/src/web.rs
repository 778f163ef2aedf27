//! The ruler's HTTP side: the Prometheus-compatible API ([`api`]) and `/federate` ([`federate`]).

pub mod api;
pub mod federate;
