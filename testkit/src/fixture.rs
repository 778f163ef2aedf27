//! A Thanos Query API fixture. **This is not Thanos**: it is a small server that answers
//! `/api/v1/query` and `/api/v1/query_range` the way a Thanos Querier would for a fixed data set, so
//! the console's Thanos behaviour can be tested where no Thanos binary exists. Semantics follow
//! Thanos' documentation and code (summarised in `promapi/THANOS-API.md`):
//!
//! - Data: `fixture_up{job="api", instance="api-1"|"api-2"}`, each scraped by two Prometheus replicas
//!   (`replica="a"|"b"`) every 15 s. Replica `a` scrapes on the 15 s grid but misses minutes 3–5 of
//!   every 10 (a gap); replica `b` scrapes 1 s later. Values: `1` from replica a, `2` from replica b,
//!   so a dedup'd series shows which replica it follows.
//! - Dedup (`dedup`, default true) applies only with replica labels (`replicaLabels[]`, else the
//!   querier's `--query.replica-label`, here `replica`): the labels are dropped and replicas merged
//!   with the penalty algorithm ([`crate::dedup`]). Otherwise series pass through with their labels.
//! - A failing store (`FixtureOptions::failing_store`): with `partial_response=true` (default) the
//!   answer carries a `fetch series for …` warning; with `false` the query fails, `internal` (500) for
//!   instant and `execution` (422) for range queries, as Thanos maps storage errors.
//! - Stores (`/api/v1/stores`): each replica is a sidecar ([`SIDECAR_A`], [`SIDECAR_B`]) and the
//!   failing store is a `store` ([`FAILING_STORE`], with its `lastError` while it fails). `storeMatch[]`
//!   selectors `{__address__="…"}` (several are ORed, as in Thanos) limit a query to those endpoints:
//!   their series, and the failure only if the failing store is among them.
//! - Engine analysis: with `engine=thanos` and `analyze=true` (or `1`, the only values Thanos reads)
//!   `data` also has an `analysis` operator tree; with the Prometheus engine, the warning Thanos gives.
//!   `/api/v1/query[_range]_explain` answer an operator tree with `engine=thanos`, else `bad_data`.
//! - Build information (`/api/v1/status/buildinfo`): a Thanos version ([`FIXTURE_VERSION`]).
//! - Every query ignores its expression and selects all fixture series (this is a fixture).
//! - Every request is recorded; `GET /__fixture/requests` returns them (path and form pairs).

#![allow(clippy::result_large_err)] // axum `Response` errors are built once per request; boxing them buys nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use promapi::stores::{StoreStatus, StoresData};
use promapi::{ApiResponse, ErrorType, InstantSample, Labels, QueryData, RangeSeries, SamplePair};
use serde::Serialize;

use crate::dedup::dedup;

/// Scrape interval of the fixture's replicas (ms).
pub const SCRAPE_MS: i64 = 15_000;
/// How far back an instant query looks for a sample (PromQL's default lookback delta).
const LOOKBACK_MS: i64 = 5 * 60_000;
/// The text of the failing store's warning, as Thanos' proxy writes it.
pub const STORE_FAILURE: &str =
    "fetch series for {region=\"eu\"} 127.0.0.1:19091: rpc error: code = Unavailable desc = connection refused";

/// The Thanos version `/api/v1/status/buildinfo` names.
pub const FIXTURE_VERSION: &str = "0.35.1";

/// The sidecars in front of replicas `a` and `b`, and the store that fails when asked to.
pub const SIDECAR_A: &str = "127.0.0.1:19090";
pub const SIDECAR_B: &str = "127.0.0.1:19092";
pub const FAILING_STORE: &str = "127.0.0.1:19091";

/// How the fixture behaves.
#[derive(Debug, Clone)]
pub struct FixtureOptions {
    /// The querier's `--query.replica-label`.
    pub replica_label: String,
    /// Whether one of the stores is down.
    pub failing_store: bool,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        FixtureOptions { replica_label: "replica".into(), failing_store: false }
    }
}

/// One request the fixture received.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Recorded {
    pub path: String,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    /// All values of form field `key`.
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

#[derive(Clone)]
struct AppState {
    options: FixtureOptions,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// The fixture's routes.
pub fn router(options: FixtureOptions) -> Router {
    let state = AppState { options, requests: Arc::default() };
    Router::new()
        .route("/api/v1/query", get(query).post(query))
        .route("/api/v1/query_range", get(query_range).post(query_range))
        .route("/api/v1/stores", get(stores))
        .route("/api/v1/status/buildinfo", get(buildinfo))
        .route("/api/v1/query_explain", get(explain).post(explain))
        .route("/api/v1/query_range_explain", get(explain).post(explain))
        .route("/__fixture/requests", get(requests))
        .route("/-/ready", get(|| async { "ready" }))
        .fallback(post(|| async { StatusCode::NOT_FOUND }))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(state)
}

/// Starts the fixture on a free port of 127.0.0.1; it runs until the runtime ends.
pub async fn spawn(options: FixtureOptions) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(options);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// A Thanos Querier's build information (its version is Thanos', 0.x; the shape is Prometheus').
async fn buildinfo() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "success", "data": {
        "version": FIXTURE_VERSION, "revision": "fixture", "branch": "HEAD", "buildUser": "fixture",
        "buildDate": "20240101-00:00:00", "goVersion": "go1.22.0",
    }}))
}

async fn requests(State(s): State<AppState>) -> Json<Vec<Recorded>> {
    Json(s.requests.lock().unwrap().clone())
}

/// Form pairs from the query string and a form-encoded body, as Go's `r.Form` merges them.
fn form(raw: Option<String>, body: &Bytes) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    pairs.extend(form_urlencoded::parse(body).into_owned());
    pairs
}

/// The parameters every query endpoint reads.
struct Params {
    dedup: bool,
    partial_response: bool,
    replica_labels: Vec<String>,
    /// Endpoint addresses `storeMatch[]` chose; `None` = all.
    stores: Option<Vec<String>>,
}

impl Params {
    fn asks(&self, address: &str) -> bool {
        self.stores.as_ref().is_none_or(|s| s.iter().any(|a| a == address))
    }
}

/// The address an `{__address__="…"}` selector names (the only form this fixture reads).
fn address_matcher(selector: &str) -> Option<String> {
    let inner = selector.trim().strip_prefix('{')?.strip_suffix('}')?;
    let (key, value) = inner.split_once('=')?;
    let quoted = value.trim().strip_prefix('"')?.strip_suffix('"')?;
    (key.trim() == "__address__").then(|| quoted.replace("\\\"", "\"").replace("\\\\", "\\"))
}

fn param<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Go's `strconv.ParseBool`, which Thanos uses for `dedup` and `partial_response`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn parse_time(v: &str, name: &str) -> Result<i64, Response> {
    v.parse::<f64>().ok().filter(|t| t.is_finite()).map(|t| (t * 1000.0).round() as i64).ok_or_else(|| {
        bad_data(format!("invalid parameter \"{name}\": cannot parse \"{v}\" to a valid timestamp"))
    })
}

fn bad_data(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(ApiResponse::<()>::error(ErrorType::BadData, msg))).into_response()
}

fn params(options: &FixtureOptions, form: &[(String, String)]) -> Result<Params, Response> {
    if param(form, "query").unwrap_or("").is_empty() {
        return Err(bad_data("invalid parameter \"query\": empty query".into()));
    }
    let flag = |name: &str| -> Result<bool, Response> {
        match param(form, name) {
            None | Some("") => Ok(true),
            Some(v) => parse_bool(v).ok_or_else(|| bad_data(format!("cannot parse parameter '{name}'"))),
        }
    };
    let mut replica_labels: Vec<String> =
        form.iter().filter(|(k, _)| k == "replicaLabels[]").map(|(_, v)| v.clone()).collect();
    if replica_labels.is_empty() {
        replica_labels.push(options.replica_label.clone());
    }
    let selectors: Vec<&str> =
        form.iter().filter(|(k, _)| k == "storeMatch[]").map(|(_, v)| v.as_str()).collect();
    let stores = if selectors.is_empty() {
        None
    } else {
        let parsed: Option<Vec<String>> = selectors.iter().map(|s| address_matcher(s)).collect();
        Some(parsed.ok_or_else(|| {
            bad_data(format!("fixture reads only {{__address__=\"…\"}} store matchers, got {selectors:?}"))
        })?)
    };
    Ok(Params { dedup: flag("dedup")?, partial_response: flag("partial_response")?, replica_labels, stores })
}

/// Samples of one raw replica series in `[from, to]`.
fn replica_samples(replica: &str, from: i64, to: i64) -> Vec<(i64, f64)> {
    let (offset, value) = if replica == "a" { (0, 1.0) } else { (1000, 2.0) };
    let first = (from - offset).div_euclid(SCRAPE_MS) * SCRAPE_MS + offset;
    (0..)
        .map(|k| first + k * SCRAPE_MS)
        .skip_while(|t| *t < from)
        .take_while(|t| *t <= to)
        .filter(|t| replica != "a" || !(3..6).contains(&(t.div_euclid(60_000) % 10)))
        .map(|t| (t, value))
        .collect()
}

/// The series a selection over `[from, to]` returns, deduplicated or not.
fn select(p: &Params, from: i64, to: i64) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut raw = Vec::new();
    for instance in ["api-1", "api-2"] {
        for (replica, sidecar) in [("a", SIDECAR_A), ("b", SIDECAR_B)] {
            if !p.asks(sidecar) {
                continue;
            }
            let labels: Labels =
                [("__name__", "fixture_up"), ("instance", instance), ("job", "api"), ("replica", replica)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
            raw.push((labels, replica_samples(replica, from, to)));
        }
    }
    if !p.dedup || p.replica_labels.is_empty() {
        return raw;
    }
    let mut groups: BTreeMap<Labels, Vec<Vec<(i64, f64)>>> = BTreeMap::new();
    for (mut labels, samples) in raw {
        for l in &p.replica_labels {
            labels.remove(l);
        }
        groups.entry(labels).or_default().push(samples);
    }
    groups.into_iter().map(|(labels, replicas)| (labels, dedup(&replicas))).collect()
}

/// What a failing store does to the answer: a warning, or an error.
fn store_failure(s: &AppState, p: &Params, range: bool) -> Result<Vec<String>, Response> {
    if !s.options.failing_store || !p.asks(FAILING_STORE) {
        return Ok(vec![]);
    }
    if p.partial_response {
        return Ok(vec![STORE_FAILURE.to_string()]);
    }
    let (code, kind) = if range {
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorType::Execution)
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, ErrorType::Internal)
    };
    Err((code, Json(ApiResponse::<()>::error(kind, STORE_FAILURE))).into_response())
}

/// `/api/v1/stores`: the two sidecars and the store, as a Querier lists its endpoints.
async fn stores(State(s): State<AppState>) -> Json<ApiResponse<StoresData>> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let labels = |pairs: &[(&str, &str)]| -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let status =
        |name: &str, label_sets: Vec<Labels>, last_error: Option<String>, min_time: i64| StoreStatus {
            name: name.into(),
            last_check: Some(promapi::time::rfc3339(now)),
            last_error,
            label_sets,
            min_time,
            max_time: i64::MAX,
        };
    let failure = s
        .options
        .failing_store
        .then(|| "rpc error: code = Unavailable desc = connection refused".to_string());
    let data = StoresData::from([
        (
            "sidecar".to_string(),
            vec![
                status(
                    SIDECAR_A,
                    vec![labels(&[("region", "eu"), ("replica", "a")])],
                    None,
                    now - 86_400_000,
                ),
                status(
                    SIDECAR_B,
                    vec![labels(&[("region", "eu"), ("replica", "b")])],
                    None,
                    now - 86_400_000,
                ),
            ],
        ),
        (
            "store".to_string(),
            vec![status(FAILING_STORE, vec![labels(&[("region", "eu")])], failure, i64::MIN)],
        ),
    ]);
    Json(ApiResponse::success(data))
}

/// The operator tree the fixture's "engine" reports, with times when `analyzed`.
fn operators(analyzed: bool) -> serde_json::Value {
    let time = |t: &str| if analyzed { serde_json::json!(t) } else { serde_json::Value::Null };
    let mut tree = serde_json::json!({
        "name": "[dedup]", "executionTime": time("1.25ms"),
        "children": [{ "name": "[vectorSelector] {[__name__=\"fixture_up\"]}", "executionTime": time("830µs") }]
    });
    if !analyzed {
        strip_nulls(&mut tree);
    }
    tree
}

fn strip_nulls(v: &mut serde_json::Value) {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
        for x in o.values_mut() {
            strip_nulls(x);
        }
    } else if let Some(a) = v.as_array_mut() {
        a.iter_mut().for_each(strip_nulls);
    }
}

/// Whether the request asks for the analysis: `analyze=true|1` exactly, as Thanos reads it.
fn analyze(form: &[(String, String)]) -> bool {
    matches!(param(form, "analyze"), Some("true" | "1"))
}

fn thanos_engine(form: &[(String, String)]) -> bool {
    param(form, "engine") == Some("thanos")
}

/// A query answer, with the analysis or the Prometheus engine's refusal when one was asked for.
fn answer(form: &[(String, String)], r: ApiResponse<QueryData>) -> Response {
    if !analyze(form) {
        return Json(r).into_response();
    }
    let mut r = r;
    if !thanos_engine(form) {
        r.warnings.push("Query not analyzable; change engine to 'thanos'.".into());
        return Json(r).into_response();
    }
    let mut v = serde_json::to_value(&r).unwrap_or_default();
    if let Some(data) = v.get_mut("data").and_then(|d| d.as_object_mut()) {
        data.insert("analysis".into(), operators(true));
    }
    Json(v).into_response()
}

async fn explain(
    State(s): State<AppState>,
    uri: axum::http::Uri,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let form = form(raw, &body);
    record(&s, uri.path(), &form);
    if !thanos_engine(&form) {
        return bad_data("engine type must be 'thanos'".into());
    }
    Json(serde_json::json!({ "status": "success", "data": operators(false) })).into_response()
}

fn record(s: &AppState, path: &str, form: &[(String, String)]) {
    s.requests.lock().unwrap().push(Recorded { path: path.into(), form: form.to_vec() });
}

async fn query(State(s): State<AppState>, RawQuery(raw): RawQuery, body: Bytes) -> Response {
    let form = form(raw, &body);
    record(&s, "/api/v1/query", &form);
    let p = match params(&s.options, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let t = match param(&form, "time") {
        None | Some("") => now,
        Some(v) => match parse_time(v, "time") {
            Ok(t) => t,
            Err(r) => return r,
        },
    };
    let warnings = match store_failure(&s, &p, false) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let vector = select(&p, t - LOOKBACK_MS, t)
        .into_iter()
        .filter_map(|(metric, samples)| {
            let (_, v) = *samples.last()?;
            Some(InstantSample {
                metric,
                value: Some(SamplePair::new(t as f64 / 1000.0, v)),
                histogram: None,
            })
        })
        .collect();
    let mut r = ApiResponse::success(QueryData::Vector(vector));
    r.warnings = warnings;
    answer(&form, r)
}

async fn query_range(State(s): State<AppState>, RawQuery(raw): RawQuery, body: Bytes) -> Response {
    let form = form(raw, &body);
    record(&s, "/api/v1/query_range", &form);
    let p = match params(&s.options, &form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let bounds = (|| {
        let start = parse_time(param(&form, "start").unwrap_or(""), "start")?;
        let end = parse_time(param(&form, "end").unwrap_or(""), "end")?;
        let step = parse_time(param(&form, "step").unwrap_or(""), "step")?;
        if end < start {
            return Err(bad_data(
                "invalid parameter \"end\": end timestamp must not be before start time".into(),
            ));
        }
        if step <= 0 {
            return Err(bad_data(
                "invalid parameter \"step\": zero or negative query resolution step widths are not accepted"
                    .into(),
            ));
        }
        if (end - start) / step > 11_000 {
            return Err(bad_data("exceeded maximum resolution of 11,000 points per timeseries".into()));
        }
        Ok((start, end, step))
    })();
    let (start, end, step) = match bounds {
        Ok(b) => b,
        Err(r) => return r,
    };
    let warnings = match store_failure(&s, &p, true) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let matrix = select(&p, start - LOOKBACK_MS, end)
        .into_iter()
        .map(|(metric, samples)| {
            // At each step, the latest sample within the lookback window, as PromQL selects.
            let mut values = Vec::new();
            let mut t = start;
            while t <= end {
                let i = samples.partition_point(|(st, _)| *st <= t);
                if let Some((st, v)) = i.checked_sub(1).map(|j| samples[j]) {
                    if t - st <= LOOKBACK_MS {
                        values.push(SamplePair::new(t as f64 / 1000.0, v));
                    }
                }
                t += step;
            }
            RangeSeries { metric, values, histograms: vec![] }
        })
        .filter(|s| !s.values.is_empty())
        .collect();
    let mut r = ApiResponse::success(QueryData::Matrix(matrix));
    r.warnings = warnings;
    answer(&form, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(dedup: bool, labels: &[&str]) -> Params {
        Params {
            dedup,
            partial_response: true,
            replica_labels: labels.iter().map(|s| s.to_string()).collect(),
            stores: None,
        }
    }

    #[test]
    fn store_matchers_choose_the_replicas_queried() {
        assert_eq!(address_matcher(&promapi::stores::store_selector(SIDECAR_A)).as_deref(), Some(SIDECAR_A));
        assert_eq!(address_matcher(r#"{ __address__ = "x\"y" }"#).as_deref(), Some("x\"y"));
        assert_eq!(address_matcher(r#"{job="x"}"#), None);
        let mut only_a = p(false, &["replica"]);
        only_a.stores = Some(vec![SIDECAR_A.into()]);
        let series = select(&only_a, 0, 600_000);
        assert_eq!(series.len(), 2);
        assert!(series.iter().all(|(l, _)| l["replica"] == "a"));
        only_a.stores = Some(vec![FAILING_STORE.into()]);
        assert!(select(&only_a, 0, 600_000).is_empty());
    }

    #[test]
    fn replica_a_has_a_gap_and_b_does_not() {
        // Minute 3 to 6 of each 10 is missing on replica a.
        let a = replica_samples("a", 0, 600_000);
        let b = replica_samples("b", 0, 600_000);
        assert!(a.iter().all(|(t, _)| !(180_000..360_000).contains(t)));
        assert_eq!(a.len(), 41 - 12);
        assert_eq!(b.len(), 40);
        assert_eq!(b[0], (1000, 2.0));
    }

    #[test]
    fn dedup_drops_the_replica_label_and_fills_the_gap_from_b() {
        let merged = select(&p(true, &["replica"]), 0, 600_000);
        assert_eq!(merged.len(), 2);
        assert!(merged.iter().all(|(l, _)| !l.contains_key("replica")));
        let values: Vec<f64> = merged[0].1.iter().map(|(_, v)| *v).collect();
        assert!(values.contains(&1.0) && values.contains(&2.0), "switches to b in a's gap and stays");
        assert_eq!(select(&p(false, &["replica"]), 0, 600_000).len(), 4);
        assert_eq!(select(&p(true, &[]), 0, 600_000).len(), 4, "no replica labels: no dedup");
    }
}
