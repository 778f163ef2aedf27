//! The ruler: evaluates Prometheus recording and alerting rules against a Thanos Querier.
//!
//! # Layout
//! - [`rulefmt`]: the rule-file format (Prometheus' plus Thanos' `partial_response_strategy`), read
//!   from YAML and validated; every problem names file:line, group and rule.
//! - [`check`]: `ruler check rules`, promtool-style output over many files.
//! - [`query`]: the [`query::Querier`] trait (instant query at a timestamp), its HTTP client and a fake.
//! - [`template`]: Go-template rendering of alert labels and annotations, with Prometheus' functions.
//! - [`rules`]: recording and alerting rules, alert states, one evaluation of a group at a timestamp.
//!
//! Scheduling, Alertmanager, the HTTP API and storage come with issues 3 and 4.

pub mod check;
pub mod query;
pub mod rulefmt;
pub mod template;
pub mod rules;
