//! The only place that talks to the network: `config.json`, the query endpoints and `/api/v1/rules`.

use std::fmt;

use gloo_net::http::Request;
use promapi::{ApiResponse, QueryData, Status};
use web_sys::AbortSignal;

use crate::config::Config;
use crate::rules_view::{self, Rules};

/// Why a query has no result, in words for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    /// The request never got an answer (server down, CORS, DNS).
    Network(String),
    /// The API answered with its error envelope.
    Api { error_type: String, error: String },
    /// The answer was not the API's JSON.
    BadResponse { status: u16, detail: String },
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Network(e) => write!(f, "Cannot reach the query API: {e}"),
            QueryError::Api { error_type, error } => write!(f, "Query failed ({error_type}): {error}"),
            QueryError::BadResponse { status, detail } => {
                write!(f, "The query API sent an unreadable answer (HTTP {status}): {detail}")
            }
        }
    }
}

/// A successful query: its data and everything the server said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub data: QueryData,
    pub warnings: Vec<String>,
    pub elapsed_ms: f64,
    /// The server's clock from the `Date` header (whole seconds), when it could be read: for the
    /// clock warning. Cross-origin it needs `Access-Control-Expose-Headers: Date`, which Prometheus
    /// and Thanos send.
    pub server_ms: Option<i64>,
}

/// POSTs `pairs` form-encoded to `url`, as the Thanos UI does (no URL length limit, no CORS preflight).
pub async fn post_query(
    url: &str,
    pairs: &[(&'static str, String)],
    signal: Option<&AbortSignal>,
) -> Result<QueryOutcome, QueryError> {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let started = now_ms();
    let response = Request::post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .abort_signal(signal)
        .body(body)
        .map_err(|e| QueryError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| QueryError::Network(e.to_string()))?;
    let status = response.status();
    let server_ms = response.headers().get("date").and_then(|d| crate::clock::parse_http_date(&d));
    let text = response.text().await.map_err(|e| QueryError::Network(e.to_string()))?;
    let elapsed_ms = now_ms() - started;
    decode(status, &text).map(|(data, warnings)| QueryOutcome { data, warnings, elapsed_ms, server_ms })
}

/// Turns an HTTP answer into data or a [`QueryError`]; never panics on what a server sends.
pub fn decode(status: u16, body: &str) -> Result<(QueryData, Vec<String>), QueryError> {
    let parsed = serde_json::from_str(body).map_err(|e| unreadable(status, body, e))?;
    unwrap_envelope(status, parsed)
}

fn unreadable(status: u16, body: &str, e: serde_json::Error) -> QueryError {
    QueryError::BadResponse {
        status,
        detail: if body.trim().is_empty() { "empty body".into() } else { e.to_string() },
    }
}

/// The envelope's data and warnings (infos folded in), or its error.
fn unwrap_envelope<T>(status: u16, parsed: ApiResponse<T>) -> Result<(T, Vec<String>), QueryError> {
    match (parsed.status, parsed.data) {
        (Status::Success, Some(data)) => {
            let mut warnings = parsed.warnings;
            warnings.extend(parsed.infos.into_iter().map(|i| format!("PromQL info: {i}")));
            Ok((data, warnings))
        }
        (Status::Success, None) => {
            Err(QueryError::BadResponse { status, detail: "success without data".into() })
        }
        (Status::Error, _) => Err(QueryError::Api {
            error_type: parsed.error_type.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into()),
            error: parsed.error.unwrap_or_default(),
        }),
    }
}

/// GETs `/api/v1/rules` (Prometheus, the Thanos Querier and our ruler all serve it): the groups and the
/// envelope's warnings (a Querier's store that failed to answer).
pub async fn get_rules(url: &str) -> Result<(Rules, Vec<String>), QueryError> {
    let response = Request::get(url).send().await.map_err(|e| QueryError::Network(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| QueryError::Network(e.to_string()))?;
    let parsed = rules_view::decode_rules(&text).map_err(|e| unreadable(status, &text, e))?;
    unwrap_envelope(status, parsed)
}

/// Loads `config.json` from next to `index.html`. Absent means defaults; unreadable is reported.
pub async fn load_config() -> (Config, Option<String>) {
    let response = match Request::get("config.json").send().await {
        Ok(r) => r,
        Err(e) => return (Config::default(), Some(format!("config.json: {e}"))),
    };
    if response.status() == 404 {
        return (Config::default(), None);
    }
    match response.text().await {
        Ok(text) if response.ok() => match Config::from_json(&text) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e)),
        },
        Ok(_) => (Config::default(), Some(format!("config.json: HTTP {}", response.status()))),
        Err(e) => (Config::default(), Some(format!("config.json: {e}"))),
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
