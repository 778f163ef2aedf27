//! Rules and their evaluation, mirroring Prometheus' `rules/`: what one evaluation at a timestamp does,
//! apart from when it happens (the scheduler calls [`group::Group::eval`]).

pub mod alerting;
pub mod group;

pub mod recording;
pub mod restore;

use promapi::Labels;

/// Prometheus' staleness marker: a NaN with this exact bit pattern.
pub const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// A sample a rule produced: a recording rule's output, or an `ALERTS` / `ALERTS_FOR_STATE` series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    /// Unix ms.
    pub t: i64,
    pub v: f64,
}

/// How a rule's last evaluation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    #[default]
    Unknown,
    Ok,
    Err,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Err => "err",
        }
    }
}

/// Why a rule evaluation failed (the query failing is [`crate::query::QueryError`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Query(#[from] crate::query::QueryError),
    #[error("vector contains metrics with the same labelset after applying rule labels")]
    DuplicateRecordingLabelSet,
    #[error("vector contains metrics with the same labelset after applying alert labels")]
    DuplicateAlertLabelSet,
    #[error("exceeded limit of {limit} with {got} series")]
    SeriesLimit { limit: usize, got: usize },
    #[error("exceeded limit of {limit} with {got} alerts")]
    AlertLimit { limit: usize, got: usize },
}
