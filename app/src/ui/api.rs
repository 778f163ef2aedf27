//! The only place that talks to the network: `config.json`, the query endpoints, `/api/v1/rules`,
//! `/api/v1/stores` and `/api/v1/status/*`.

use std::collections::BTreeMap;
use std::fmt;

use gloo_net::http::{Request, Response};
use promapi::analysis::{Analyzed, Operator};
use promapi::stores::StoresData;
use promapi::{ApiResponse, QueryData, Status};
use serde::de::DeserializeOwned;
use web_sys::AbortSignal;

use crate::config::{page_base, Config};
use crate::pages::rules::{self, Rules};
use crate::pages::stores;
use crate::query::answer::MatrixAnswer;
use crate::query::backend::{self, Backend, Probe};
use crate::query::request::PanelRequest;
use crate::ui::schedule::{mark, now_ms, sliced, yield_now};

/// The URL of API path `path` (`api/v1/query`) for this page: `config.json`'s `apiUrl`, else the
/// directory the console is served from.
pub fn api_url(config: &Config, path: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let (origin, pathname) = location
        .map(|l| (l.origin().unwrap_or_default(), l.pathname().unwrap_or_default()))
        .unwrap_or_default();
    config.api_endpoint(&page_base(&origin, &pathname), path)
}

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
    /// The Thanos engine's analysis, when it was asked for (`analyze=true`).
    pub analysis: Option<Operator>,
    /// The server's clock from the `Date` header (whole seconds), when it could be read: for the
    /// clock warning. Cross-origin it needs `Access-Control-Expose-Headers: Date`, which Prometheus
    /// and Thanos send.
    pub server_ms: Option<i64>,
}

/// POSTs `req` form-encoded to `url` (its path under the API base), as the Thanos UI does (no URL
/// length limit, no CORS preflight).
pub async fn post_query(
    url: &str,
    req: &PanelRequest,
    signal: Option<&AbortSignal>,
) -> Result<QueryOutcome, QueryError> {
    let started = now_ms();
    let response = post_form(url, &req.pairs, signal).await?;
    let head = Head::of(&response);
    let server_ms = response.headers().get("date").and_then(|d| crate::query::clock::parse_http_date(&d));
    let bytes = response.binary().await.map_err(|e| QueryError::Network(e.to_string()))?;
    let elapsed_ms = now_ms() - started;
    mark("console:response");
    let analyze = req.analyzes();
    // Some servers start JSON with a byte-order mark; text decoding used to drop it.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let sliced_answer = (req.range.is_some() && !analyze && body.len() >= SLICED_DECODE_BYTES)
        .then(|| MatrixAnswer::split(body))
        .flatten();
    let decoded = match sliced_answer {
        Some(mut answer) => {
            // A newer query or a removed panel aborts this one: stop decoding what nobody will see.
            let aborted = || signal.is_some_and(AbortSignal::aborted);
            sliced("console:decode-slice", || {
                if aborted() {
                    return Err(QueryError::Network("the query was cancelled".into()));
                }
                answer.step(SERIES_PER_STEP).map_err(|e| unreadable(&head, body, e))
            })
            .await?;
            // The chart is drawn in a task of its own.
            yield_now("console:decode-slice").await;
            unwrap_envelope(head.status, answer.finish())
        }
        None => decode(&head, body),
    };
    let analysis = analyze
        .then(|| serde_json::from_slice::<ApiResponse<Analyzed>>(body).ok())
        .flatten()
        .and_then(|r| r.data)
        .and_then(|d| d.analysis);
    mark("console:decoded");
    decoded.map(|(data, warnings)| QueryOutcome { data, warnings, elapsed_ms, analysis, server_ms })
}

/// Answers at least this large are decoded a slice at a time ([`MatrixAnswer`]); smaller ones take
/// the page a few milliseconds.
const SLICED_DECODE_BYTES: usize = 1 << 20;
/// Series decoded between two looks at the clock.
const SERIES_PER_STEP: usize = 20;

/// POSTs an explain request ([`PanelRequest::explain`]): the operator tree the Thanos engine would run.
pub async fn post_explain(url: &str, req: &PanelRequest) -> Result<Operator, QueryError> {
    let response = post_form(url, &req.pairs, None).await?;
    let head = Head::of(&response);
    data(&head, &body(response).await?)
}

async fn post_form(
    url: &str,
    pairs: &[(&'static str, String)],
    signal: Option<&AbortSignal>,
) -> Result<Response, QueryError> {
    let form = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Request::post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .abort_signal(signal)
        .body(form)
        .map_err(|e| QueryError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| QueryError::Network(e.to_string()))
}

async fn get(url: &str) -> Result<Response, QueryError> {
    Request::get(url).send().await.map_err(|e| QueryError::Network(e.to_string()))
}

async fn body(response: Response) -> Result<String, QueryError> {
    response.text().await.map_err(|e| QueryError::Network(e.to_string()))
}

/// An answer's `data` (its warnings aside), or the error it is.
fn data<T: DeserializeOwned>(head: &Head, text: &str) -> Result<T, QueryError> {
    let parsed = serde_json::from_str(text).map_err(|e| unreadable(head, text, e))?;
    unwrap_envelope(head.status, parsed).map(|(data, _)| data)
}

/// Turns an HTTP answer into data or a [`QueryError`]; never panics on what a server sends.
pub fn decode(head: &Head, body: &[u8]) -> Result<(QueryData, Vec<String>), QueryError> {
    let parsed = serde_json::from_slice(body).map_err(|e| unreadable(head, body, e))?;
    unwrap_envelope(head.status, parsed)
}

fn unreadable(head: &Head, body: impl AsRef<[u8]>, e: serde_json::Error) -> QueryError {
    QueryError::BadResponse {
        status: head.status,
        detail: crate::query::unreadable::describe(head.content_type.as_deref(), body.as_ref(), &e),
    }
}

/// What an answer's status line and headers say, for errors about its body.
pub struct Head {
    pub status: u16,
    pub content_type: Option<String>,
}

impl Head {
    fn of(response: &Response) -> Head {
        Head { status: response.status(), content_type: response.headers().get("content-type") }
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
    let response = get(url).await?;
    let head = Head::of(&response);
    let text = body(response).await?;
    let parsed = rules::decode_rules(&text).map_err(|e| unreadable(&head, &text, e))?;
    unwrap_envelope(head.status, parsed)
}

/// GETs a Thanos Querier's `/api/v1/stores`. Prometheus has none: that is a 404, said in words.
pub async fn get_stores(url: &str) -> Result<StoresData, QueryError> {
    get_offered(url, "this API has no /api/v1/stores: it is not a Thanos Querier").await
}

/// GETs one of `/api/v1/status/*`: its `data` object. A 404 says the API does not offer it.
pub async fn get_status(url: &str) -> Result<BTreeMap<String, serde_json::Value>, QueryError> {
    get_offered(url, "not offered by this API").await
}

/// GETs an endpoint only some APIs have: a 404 is `missing`, said as the error.
async fn get_offered<T: DeserializeOwned>(url: &str, missing: &str) -> Result<T, QueryError> {
    let response = get(url).await?;
    let head = Head::of(&response);
    if head.status == 404 {
        return Err(QueryError::BadResponse { status: 404, detail: missing.into() });
    }
    data(&head, &body(response).await?)
}

/// Finds out what the API is ([`backend`](crate::query::backend)): buildinfo first, then
/// `/api/v1/stores` only where buildinfo leaves it open.
/// A Querier's store addresses come with the verdict, for the store filter.
pub async fn probe_backend(config: &Config) -> Backend {
    let buildinfo = get_offered::<BuildInfo>(&api_url(config, "api/v1/status/buildinfo"), "").await;
    let buildinfo = probe(buildinfo.map(|b| b.version));
    if let Some(known) = backend::from_buildinfo(&buildinfo) {
        return known;
    }
    let stores = get_stores(&api_url(config, "api/v1/stores")).await;
    backend::with_stores(&buildinfo, &probe(stores.map(|d| stores::addresses(&d))))
}

/// How a look-up ended, for [`backend`]: a 404 says the API lacks the endpoint.
fn probe<T>(answer: Result<T, QueryError>) -> Probe<T> {
    match answer {
        Ok(v) => Probe::Answered(v),
        Err(QueryError::BadResponse { status: 404, .. }) => Probe::Missing,
        Err(e) => Probe::Failed(e.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct BuildInfo {
    version: String,
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

/// GETs a list of strings (`/api/v1/labels`, `/api/v1/label/<name>/values`) for autocomplete;
/// `matcher` adds `match[]=<metric>` to scope it to one metric.
pub async fn get_names(url: &str, matcher: Option<&str>) -> Result<Vec<String>, QueryError> {
    let url = match matcher {
        Some(m) => {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("match[]", m).finish();
            format!("{url}?{query}")
        }
        None => url.to_string(),
    };
    let response = get(&url).await?;
    let head = Head::of(&response);
    data(&head, &body(response).await?)
}

/// The path of a label's values, the name percent-encoded.
pub fn label_values_path(label: &str) -> String {
    let name: String = form_urlencoded::byte_serialize(label.as_bytes()).collect();
    format!("/api/v1/label/{name}/values")
}
