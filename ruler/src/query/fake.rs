//! A querier with answers set by the test, for rule evaluation tests.

use std::collections::HashMap;
use std::sync::Mutex;

use promapi::Labels;

use super::{Querier, QueryError, QueryOutput};

/// Answers each expression with what [`FakeQuerier::set`] gave it (empty vector if nothing), and
/// records every call.
#[derive(Debug, Default)]
pub struct FakeQuerier {
    answers: Mutex<HashMap<String, Result<QueryOutput, QueryError>>>,
    calls: Mutex<Vec<(String, i64, bool)>>,
}

impl FakeQuerier {
    pub fn set(&self, expr: &str, samples: &[(&[(&str, &str)], f64)]) {
        let samples = samples
            .iter()
            .map(|(labels, v)| {
                (labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Labels>(), *v)
            })
            .collect();
        self.answers.lock().unwrap().insert(expr.into(), Ok(QueryOutput { samples, warnings: vec![] }));
    }

    pub fn fail(&self, expr: &str, error: QueryError) {
        self.answers.lock().unwrap().insert(expr.into(), Err(error));
    }

    pub fn calls(&self) -> Vec<(String, i64, bool)> {
        self.calls.lock().unwrap().clone()
    }
}

impl Querier for FakeQuerier {
    async fn query(&self, expr: &str, ts_ms: i64, partial_response: bool) -> Result<QueryOutput, QueryError> {
        self.calls.lock().unwrap().push((expr.into(), ts_ms, partial_response));
        self.answers.lock().unwrap().get(expr).cloned().unwrap_or_else(|| Ok(QueryOutput::default()))
    }
}
