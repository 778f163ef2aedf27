//! The ruler: evaluates Prometheus recording and alerting rules against a Thanos Querier.
//!
//! # Layout
//! - [`rulefmt`]: the rule-file format (Prometheus' plus Thanos' `partial_response_strategy`), read
//!   from YAML and validated; every problem names file:line, group and rule.
//! - [`check`]: `ruler check rules`, promtool-style output over many files.
//!
//! Evaluation, Alertmanager, the HTTP API and storage come with issues 3 and 4.

pub mod check;
pub mod rulefmt;
