//! The ruler: evaluates Prometheus recording and alerting rules against a Thanos Querier.
//!
//! # Layout
//! - [`rulefmt`]: the rule-file format (Prometheus' plus Thanos' `partial_response_strategy`), read
//!   from YAML and validated; every problem names file:line, group and rule.
//! - [`check`]: `ruler check rules`, promtool-style output over many files.
//! - [`flags`]: `ruler run` flags (`thanos rule` names), grouped by component.
//! - [`discovery`]: `--query` / `--alertmanagers.url` addresses, plain or looked up in DNS.
//! - [`query`]: the [`query::Querier`] trait (instant query at a timestamp), its HTTP client and a fake.
//! - [`template`]: Go-template rendering of alert labels and annotations, with Prometheus' functions.
//! - [`rules`]: recording and alerting rules, alert states, one evaluation of a group at a timestamp.
//! - [`metrics`]: `/metrics` (evaluations, failures, missed iterations, sends, reloads).
//! - [`notifier`]: alerts to Alertmanager (API v2), with `--alert.label-drop` and external labels,
//!   through a bounded, retrying queue per Alertmanager.
//! - [`objstore`]: the Thanos object-storage configuration, opened as a bucket.
//! - [`shipper`]: uploads blocks to the bucket as Thanos' shipper does (meta.json last, a shipper file).
//! - [`sink`]: where results go ([`sink::Sink`]); the latest samples in memory, on `/federate`.
//! - [`tsdb`]: Prometheus TSDB blocks: a writer byte-identical to Prometheus' and a strict reader.
//! - [`storage`]: the data directory: write-ahead log, head, blocks, retention.
//! - [`run`]: `ruler run`: scheduling on each group's grid, reload, ordered shutdown.
//! - [`backfill`]: `ruler backfill`: the same evaluations over a past range, from range queries, into
//!   one block per 2h window.
//! - [`api`]: the HTTP API.

pub mod api;
pub mod backfill;
pub mod check;
pub mod discovery;
pub mod flags;
pub mod metrics;
pub mod notifier;
pub mod objstore;
pub mod query;
pub mod rulefmt;
pub mod rules;
pub mod run;
pub mod shipper;
pub mod sink;
pub mod storage;
pub mod template;
pub mod tsdb;
