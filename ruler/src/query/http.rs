//! The Prometheus/Thanos HTTP query API as a [`Querier`]: `POST /api/v1/query`, form-encoded, with the
//! parameters `thanos rule` sends (`dedup=true`, `partial_response` per group). Endpoints are tried in
//! turn until one answers.

use promapi::{ApiResponse, InstantQuery, QueryData, Status, ThanosParams};

use super::{QueryError, QueryOutput, Querier};

/// Queries the first endpoint that answers, in order.
#[derive(Debug, Clone)]
pub struct HttpQuerier {
    client: reqwest::Client,
    /// Base URLs (`http://host:port/prefix/`).
    endpoints: Vec<String>,
}

impl HttpQuerier {
    pub fn new(client: reqwest::Client, endpoints: Vec<String>) -> Self {
        HttpQuerier { client, endpoints }
    }

    async fn query_one(&self, base: &str, form: &[(&'static str, String)]) -> Result<QueryOutput, EndpointError> {
        let url = format!("{}/{}", base.trim_end_matches('/'), InstantQuery::PATH);
        let resp = self
            .client
            .post(&url)
            .header("User-Agent", "thanos-rule")
            .form(form)
            .send()
            .await
            .map_err(|e| EndpointError::Transport(format!("{url}: {e}")))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| EndpointError::Transport(format!("{url}: {e}")))?;
        let parsed: ApiResponse<QueryData> = serde_json::from_str(&body)
            .map_err(|e| EndpointError::Transport(format!("{url}: HTTP {status}: unreadable answer: {e}")))?;
        if parsed.status == Status::Error {
            return Err(EndpointError::Api(QueryError::Api {
                error_type: parsed.error_type.map(|t| t.to_string()).unwrap_or_default(),
                error: parsed.error.unwrap_or_default(),
            }));
        }
        let samples = match parsed.data {
            Some(QueryData::Vector(v)) => v
                .into_iter()
                .filter_map(|s| Some((s.metric, s.value?.value()?)))
                .collect(),
            Some(QueryData::Scalar(p)) => vec![(Default::default(), p.value().unwrap_or(f64::NAN))],
            Some(other) => return Err(EndpointError::Api(QueryError::ResultType(other.result_type().into()))),
            None => return Err(EndpointError::Transport(format!("{url}: success without data"))),
        };
        Ok(QueryOutput { samples, warnings: parsed.warnings })
    }
}

/// How one endpoint failed: unreachable or unreadable, or an answer in the API's error envelope.
enum EndpointError {
    Transport(String),
    Api(QueryError),
}

impl Querier for HttpQuerier {
    async fn query(&self, expr: &str, ts_ms: i64, partial_response: bool) -> Result<QueryOutput, QueryError> {
        let q = InstantQuery {
            query: expr.to_string(),
            time: Some(ts_ms as f64 / 1000.0),
            thanos: ThanosParams { dedup: true, partial_response, ..Default::default() },
        };
        let form = q.form_pairs();
        // As thanos rule: any failure moves on to the next endpoint; the evaluation fails only when all have.
        let mut failures = Vec::new();
        let mut api_error = None;
        for base in &self.endpoints {
            match self.query_one(base, &form).await {
                Ok(out) => return Ok(out),
                Err(EndpointError::Api(e)) => {
                    failures.push(format!("{base}: {e}"));
                    api_error = Some(e);
                }
                Err(EndpointError::Transport(e)) => failures.push(e),
            }
        }
        Err(api_error.unwrap_or(QueryError::Unreachable(failures)))
    }
}
