//! Integration tests of the `ruler` binary.
//!
//! - `check`: `ruler check rules` against `promtool check rules` (Prometheus 2.42) on the same files.
//! - `run`: `ruler run` against a real Prometheus and Alertmanager, beside Prometheus' own evaluation.
//! - `storage`: the data directory: kill -9 at any moment, read by a real Prometheus, alert restore.
//! - `grpc`: the gRPC API as a Thanos Querier calls it (Info, Series, LabelNames/Values, Rules)
//!   against a ruler started with a `thanos rule` StatefulSet's flags.
//! - `faults`: misbehaving querier, Alertmanager down then back, DNS discovery, SIGTERM.
//! - `secure`: TLS, basic auth and client certificates towards a real Prometheus and Alertmanager
//!   behind their web config, each mistake's error, and rotated secrets followed without a restart.
//! - `backfill`: `ruler backfill` against a real Prometheus: outputs equal instant queries, ALERTS,
//!   one block per window, accepted by promtool.
//! - `tsdb`: blocks from `ruler::tsdb` against promtool (byte-identical output, analyze, dump) and a real
//!   Prometheus.
//! - `upload`: blocks shipped to object storage: a FILESYSTEM bucket read back, a real S3-compatible
//!   server (moto), and `ruler run` uploading what it cuts.
//! - `wal`: the write-ahead log from `ruler::tsdb::wal` replayed by a real Prometheus and by promtool, and
//!   Prometheus' own WAL read back.

mod recording_bucket;
mod support;

mod backfill;
mod check;
mod faults;
mod grpc;
mod run;
mod secure;
mod storage;
mod tsdb;
mod upload;
mod wal;
