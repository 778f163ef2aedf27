//! The Prometheus/Thanos HTTP query API as a [`Querier`]: `/api/v1/query` (POST form-encoded by
//! default, or GET), with the parameters `thanos rule` sends (`dedup=true`, `partial_response` per
//! group). Endpoints (as discovery last resolved them) are tried in turn until one answers, each
//! group of them through its own [`Client`] (credentials, TLS).

use std::sync::Arc;

use promapi::{ApiResponse, InstantQuery, QueryData, Status, ThanosParams};

use crate::client::{curl, describe, Client};
use crate::discovery::Endpoints;

use super::{Querier, QueryError, QueryOutput};

/// Queries the first endpoint that answers, in order.
#[derive(Debug, Clone)]
pub struct HttpQuerier {
    /// One per group of `endpoints`.
    clients: Vec<Client>,
    endpoints: Arc<Endpoints>,
    method: Method,
}

/// `--query.http-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    #[value(name = "POST")]
    Post,
    #[value(name = "GET")]
    Get,
}

impl HttpQuerier {
    /// `clients[i]` talks to the `i`th group of `endpoints`.
    pub fn new(clients: Vec<Client>, endpoints: Arc<Endpoints>, method: Method) -> Self {
        debug_assert_eq!(clients.len(), endpoints.len());
        HttpQuerier { clients, endpoints, method }
    }

    async fn query_one(
        &self,
        client: &Client,
        base: &str,
        form: &[(&'static str, String)],
    ) -> Result<QueryOutput, EndpointError> {
        let url = format!("{}/{}", base.trim_end_matches('/'), InstantQuery::PATH);
        let transport = |e: String| EndpointError::Transport(format!("{url}: {e}"));
        let request = match self.method {
            Method::Post => client.request(reqwest::Method::POST, &url).map(|r| r.form(form)),
            Method::Get => client.request(reqwest::Method::GET, &url).map(|r| r.query(form)),
        }
        .map_err(|e| transport(e.to_string()))?;
        let resp =
            request.header("User-Agent", "thanos-rule").send().await.map_err(|e| transport(describe(&e)))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| transport(describe(&e)))?;
        let parsed: ApiResponse<QueryData> =
            serde_json::from_str(&body).map_err(|e| transport(unreadable(status, &body, &e)))?;
        if parsed.status == Status::Error {
            return Err(EndpointError::Api(QueryError::Api {
                error_type: parsed.error_type.map(|t| t.to_string()).unwrap_or_default(),
                error: parsed.error.unwrap_or_default(),
            }));
        }
        let samples = match parsed.data {
            Some(QueryData::Vector(v)) => {
                v.into_iter().filter_map(|s| Some((s.metric, s.value?.value()?))).collect()
            }
            Some(QueryData::Scalar(p)) => vec![(Default::default(), p.value().unwrap_or(f64::NAN))],
            Some(other) => {
                return Err(EndpointError::Api(QueryError::ResultType(other.result_type().into())))
            }
            None => return Err(EndpointError::Transport(format!("{url}: success without data"))),
        };
        Ok(QueryOutput { samples, warnings: parsed.warnings })
    }
}

/// What came back instead of the API's JSON: `HTTP 401 Unauthorized: Unauthorized` from an
/// authenticating proxy, or the parse error when the body looked like JSON.
pub fn unreadable(status: reqwest::StatusCode, body: &str, e: &serde_json::Error) -> String {
    let first = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.starts_with('{') || first.is_empty() {
        format!("HTTP {status}: unreadable answer: {e}")
    } else {
        let cut: String = first.chars().take(120).collect();
        format!("HTTP {status}: not the query API's JSON: {cut}")
    }
}

/// How one endpoint failed: unreachable or unreadable, or an answer in the API's error envelope.
enum EndpointError {
    Transport(String),
    Api(QueryError),
}

/// The query `thanos rule` sends for a rule.
fn rule_query(expr: &str, ts_ms: i64, partial_response: bool) -> InstantQuery {
    InstantQuery {
        query: expr.to_string(),
        time: Some(ts_ms as f64 / 1000.0),
        thanos: ThanosParams { dedup: true, partial_response, ..Default::default() },
    }
}

impl Querier for HttpQuerier {
    async fn query(&self, expr: &str, ts_ms: i64, partial_response: bool) -> Result<QueryOutput, QueryError> {
        let form = rule_query(expr, ts_ms, partial_response).form_pairs();
        // As thanos rule: any failure moves on to the next endpoint; the evaluation fails only when all have.
        let mut failures = Vec::new();
        let mut api_error = None;
        let endpoints: Vec<(&Client, String)> = (0..self.endpoints.len())
            .flat_map(|g| self.endpoints.of(g).into_iter().map(move |base| (&self.clients[g], base)))
            .collect();
        if endpoints.is_empty() {
            return Err(QueryError::Unreachable(vec!["no query API address resolved".into()]));
        }
        for (client, base) in &endpoints {
            match self.query_one(client, base, &form).await {
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

    /// Against the first endpoint: the one each evaluation tries first.
    fn command(&self, expr: &str, ts_ms: i64, partial_response: bool) -> Option<String> {
        let (group, base) = (0..self.endpoints.len())
            .find_map(|g| self.endpoints.of(g).into_iter().next().map(|b| (g, b)))?;
        let url = format!("{}/{}", base.trim_end_matches('/'), InstantQuery::PATH);
        let form = rule_query(expr, ts_ms, partial_response).form_pairs();
        Some(curl::command(&self.clients[group], self.method == Method::Get, &url, &form))
    }
}
