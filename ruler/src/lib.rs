//! The ruler: evaluates Prometheus recording and alerting rules against a Thanos Querier.
//!
//! # Layout
//! From the command line down:
//! - [`cli`]: `ruler run` flags (`thanos rule` names, by component) and command, `ruler check rules`.
//! - [`config`]: the rule-file format (Prometheus' plus Thanos' `partial_response_strategy`), validated
//!   with every problem at file:line, and `--rule-file` globs loaded into groups.
//! - [`manager`]: `ruler run`'s wiring and ordered shutdown, the per-group scheduler ("when"), the
//!   housekeeping loops (blocks, retention, upload, DNS) and the scheduler's clock.
//! - [`backfill`]: `ruler backfill`: the same evaluations over a past range, from range queries, into
//!   one block per 2h window.
//! - [`rules`]: recording and alerting rules, alert states, one evaluation of a group at a timestamp
//!   ("what": [`rules::group::Group::eval`]).
//! - [`template`]: Go-template rendering of alert labels and annotations, with Prometheus' functions.
//!
//! External systems, each behind a narrow trait with a fake beside it where the scheduler uses it:
//! - [`query`]: the [`query::Querier`] (instant query at a timestamp), its HTTP client, range answers
//!   for backfill, and a fake.
//! - [`notifier`]: the [`notifier::Notifier`]: Alertmanagers (API v2) with `--alert.label-drop`,
//!   external labels and relabelling ([`relabel`]), a bounded retrying queue per Alertmanager, and a
//!   fake.
//! - [`discovery`]: `--query` / `--alertmanagers.url` addresses, plain or looked up in DNS, and the
//!   file SD files of configuration entries.
//! - [`client`]: outbound HTTP as Thanos' `http_config` describes it (auth, TLS, proxy), secrets
//!   re-read as they rotate, and the `--query.config` / `--alertmanagers.config` formats.
//! - [`objstore`] and [`shipper`]: the Thanos object-storage configuration, and uploads as Thanos'
//!   shipper does (meta.json last, a shipper file).
//!
//! Storage and serving:
//! - [`storage`]: the data directory: write-ahead log, head, blocks, retention, alert state kept for
//!   restarts.
//! - [`tsdb`]: Prometheus TSDB blocks and WAL: writers byte-identical to Prometheus', strict readers
//!   (formats in `src/tsdb/FORMAT.md`).
//! - [`grpc`]: the gRPC API Thanos Queriers use: discovery (Info), fresh results from the head and
//!   blocks (StoreAPI `Series`, `LabelNames`, `LabelValues`) and rules (Rules API).
//! - [`web`]: the HTTP API (`/api/v1/rules`, `/api/v1/alerts`, reload, the console) and `/federate`.
//! - [`server_tls`]: TLS on both ports: certificates followed as they rotate, handshakes off the
//!   accepting task.
//! - [`stamp`]: whether files changed (secrets, web configuration), by a `stat` each.
//! - [`metrics`]: `/metrics` (evaluations, failures, missed iterations, sends, reloads).

pub mod backfill;
pub mod cli;
pub mod client;
pub mod config;
pub mod discovery;
pub mod grpc;
pub mod manager;
pub mod metrics;
pub mod notifier;
pub mod objstore;
pub mod query;
pub mod relabel;
pub mod rules;
pub mod server_tls;
pub mod shipper;
pub mod stamp;
pub mod storage;
pub mod template;
pub mod tsdb;
pub mod web;
