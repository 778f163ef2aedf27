//! The test kit: servers and processes the ruler's tests, the end-to-end tests and the local demo share.
//!
//! # Layout
//! - [`fixture`]: a Thanos Query API fixture (dedup, partial response) for what Prometheus cannot show.
//! - [`dedup`]: the penalty deduplication the fixture applies.
//! - [`console`]: serves the built console (`dist/`) with deep links and a `config.json`.
//! - [`process`]: free ports, child processes killed on drop, a real Prometheus, /proc readings.
//! - [`certs`]: a CA with server and client certificates, made with openssl.

pub mod certs;
pub mod console;
pub mod dedup;
pub mod fixture;
pub mod process;
