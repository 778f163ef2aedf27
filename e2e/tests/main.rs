//! End-to-end tests: the built console in headless Chromium.
//!
//! - `prometheus`: against a real Prometheus scraping values the test chooses.
//! - `thanos`: against the Thanos API fixture (dedup, partial response, request parameters).

mod support;

mod prometheus;
mod thanos;
