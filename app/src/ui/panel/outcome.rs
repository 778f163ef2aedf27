//! What a panel shows of its query: nothing yet, an answer, or why there is none.

use crate::ui::api::QueryOutcome;

/// The last answer a panel got.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Idle,
    Done { outcome: QueryOutcome, range: Option<(i64, i64, i64)> },
    Failed(String),
}
