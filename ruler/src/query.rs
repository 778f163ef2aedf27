//! The querier the ruler evaluates against: an instant query at a timestamp, behind a narrow trait so
//! tests, backfill (answering from range queries, [`range`]) and the HTTP client share one evaluation
//! path.

pub mod fake;
pub mod http;
pub mod range;

use std::future::Future;

use promapi::Labels;

/// What a rule's query returned: an instant vector, and the warnings the querier attached.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryOutput {
    pub samples: Vec<(Labels, f64)>,
    pub warnings: Vec<String>,
}

/// Why a query has no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// Every endpoint failed to answer; the messages say why, one per endpoint.
    #[error("no query API server reachable: {}", .0.join("; "))]
    Unreachable(Vec<String>),
    /// An endpoint answered with the API's error envelope (`bad_data`, `execution`, …).
    #[error("{error_type}: {error}")]
    Api { error_type: String, error: String },
    /// No answer within the time allowed (the group's interval).
    #[error("query timed out after {0}")]
    Timeout(String),
    /// The result was neither a vector nor a scalar.
    #[error("rule result must be a vector or a scalar, got {0}")]
    ResultType(String),
}

/// Runs instant queries for rule evaluation.
pub trait Querier: Send + Sync {
    /// Evaluates `expr` at `ts_ms` (unix ms) with deduplication on, and `partial_response` as the
    /// group's strategy says. A scalar comes back as one sample without labels.
    fn query(
        &self,
        expr: &str,
        ts_ms: i64,
        partial_response: bool,
    ) -> impl Future<Output = Result<QueryOutput, QueryError>> + Send;

    /// A shell command that sends the same query the way [`Querier::query`] would first try it,
    /// with credentials as placeholders; `None` where there is no such command (fakes, backfill).
    fn command(&self, _expr: &str, _ts_ms: i64, _partial_response: bool) -> Option<String> {
        None
    }
}
