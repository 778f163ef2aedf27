//! The ruler: evaluates Prometheus recording and alerting rules against a Thanos Querier.
//!
//! # Layout
//! - [`rulefmt`]: the rule-file format (Prometheus' plus Thanos' `partial_response_strategy`), read
//!   from YAML and validated; every problem names file:line, group and rule.
//! - [`check`]: `ruler check rules`, promtool-style output over many files.
//! - [`flags`]: `ruler run` flags (`thanos rule` names), grouped by component.
//! - [`query`]: the [`query::Querier`] trait (instant query at a timestamp), its HTTP client and a fake.
//! - [`template`]: Go-template rendering of alert labels and annotations, with Prometheus' functions.
//! - [`rules`]: recording and alerting rules, alert states, one evaluation of a group at a timestamp.
//! - [`metrics`]: `/metrics` (evaluations, failures, missed iterations, sends, reloads).
//! - [`notifier`]: alerts to Alertmanager (API v2), with `--alert.label-drop` and external labels.
//! - [`run`]: `ruler run`: scheduling on each group's grid, and the HTTP API.
//!
//! Still to come (issues 3 and 4): DNS discovery, a bounded retrying alert queue,
//! storage (TSDB blocks), restore.

pub mod check;
pub mod flags;
pub mod metrics;
pub mod notifier;
pub mod query;
pub mod rulefmt;
pub mod template;
pub mod rules;
pub mod run;
