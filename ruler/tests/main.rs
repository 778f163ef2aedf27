//! Integration tests of the `ruler` binary.
//!
//! - `check`: `ruler check rules` against `promtool check rules` (Prometheus 2.42) on the same files.
//! - `run`: `ruler run` against a real Prometheus and Alertmanager, beside Prometheus' own evaluation.
//! - `faults`: misbehaving querier, Alertmanager down then back, DNS discovery, SIGTERM.
//! - `tsdb`: blocks from `ruler::tsdb` against promtool (byte-identical output, analyze, dump) and a real
//!   Prometheus.

mod support;

mod check;
mod faults;
mod run;
mod tsdb;
