//! The HTTP API: `/api/v1/rules` and `/api/v1/alerts` in Prometheus' format (plus Thanos'
//! `partialResponseStrategy`), health, readiness, reload and `/metrics`. Errors use the Prometheus
//! envelope. With `--web.console-dir`, the console is served at `/` (deep links get `index.html`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use promapi::rules::{self as api, rfc3339};
use promapi::{ApiResponse, ErrorType};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::rules::alerting::AlertState;
use crate::rules::group::{Group, Rule, RuleStatus};
use crate::web::federate::{MemorySink, Selector};

/// The groups' latest state, as the API shows it, by `file;name`.
pub type Published = Arc<RwLock<BTreeMap<String, api::RuleGroup>>>;

/// How the last reload went; `None` until the first one.
pub type LastReload = Arc<RwLock<Option<api::ReloadStatus>>>;

/// A reload request, answered with its outcome.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// What the handlers read.
#[derive(Clone)]
pub struct ApiState {
    pub published: Published,
    pub last_reload: LastReload,
    pub metrics: Arc<Metrics>,
    pub reload: mpsc::Sender<ReloadRequest>,
    pub sink: Arc<MemorySink>,
    pub external_labels: promapi::Labels,
    pub console_dir: Option<std::path::PathBuf>,
}

/// The API's routes, and the console's files when there is a console directory.
pub fn router(state: ApiState) -> Router {
    let console = state.console_dir.clone();
    let api = Router::new()
        .route("/api/v1/rules", get(rules_handler))
        .route("/api/v1/alerts", get(alerts_handler))
        .route("/-/healthy", get(|| async { "Thanos Rule is Healthy.\n" }))
        .route("/-/ready", get(|| async { "Thanos Rule is Ready.\n" }))
        .route("/-/reload", post(reload_handler))
        .route("/metrics", get(metrics_handler))
        .route("/federate", get(federate_handler))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .with_state(state);
    match console {
        Some(dir) => {
            let index = dir.join("index.html");
            api.fallback_service(
                tower_http::services::ServeDir::new(dir)
                    .fallback(tower_http::services::ServeFile::new(index)),
            )
        }
        None => api.fallback(not_found),
    }
}

async fn not_found() -> Response {
    api_error(StatusCode::NOT_FOUND, ErrorType::NotFound, "no such endpoint")
}

async fn reload_handler(State(s): State<ApiState>) -> (StatusCode, String) {
    let (tx, rx) = oneshot::channel();
    if s.reload.send(tx).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    }
    match rx.await {
        Ok(Ok(())) => (StatusCode::OK, String::new()),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("failed to reload config: {e}\n")),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into()),
    }
}

/// Before the first evaluation Prometheus shows Go's zero time.
fn eval_time(ms: Option<i64>) -> String {
    ms.map(rfc3339).unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
}

pub fn snapshot(g: &Group) -> api::RuleGroup {
    let rules = g
        .rules
        .iter()
        .map(|(rule, status)| match rule {
            Rule::Recording(r) => api::Rule::Recording(api::RecordingRule {
                name: r.name.clone(),
                query: r.expr.clone(),
                labels: r.labels.clone(),
                health: status.health.as_str().into(),
                last_error: status.last_error.clone(),
                warnings: status.warnings.clone(),
                evaluation_time: status.eval_seconds,
                last_evaluation: eval_time(status.last_eval_ms),
                insight: insight(status),
            }),
            Rule::Alerting(r) => {
                let alerts: Vec<api::Alert> =
                    r.active.values().filter(|a| a.state != AlertState::Inactive).map(api_alert).collect();
                let state = if r.active.values().any(|a| a.state == AlertState::Firing) {
                    "firing"
                } else if r.active.values().any(|a| a.state == AlertState::Pending) {
                    "pending"
                } else {
                    "inactive"
                };
                api::Rule::Alerting(api::AlertingRule {
                    state: state.into(),
                    name: r.name.clone(),
                    query: r.expr.clone(),
                    duration: r.for_ms as f64 / 1000.0,
                    keep_firing_for: r.keep_firing_for_ms as f64 / 1000.0,
                    labels: r.labels.clone(),
                    annotations: r.annotations.clone(),
                    alerts,
                    health: status.health.as_str().into(),
                    last_error: status.last_error.clone(),
                    warnings: status.warnings.clone(),
                    evaluation_time: status.eval_seconds,
                    last_evaluation: eval_time(status.last_eval_ms),
                    insight: insight(status),
                })
            }
        })
        .collect();
    api::RuleGroup {
        name: g.name.clone(),
        file: g.file.clone(),
        rules,
        interval: g.interval_ms as f64 / 1000.0,
        limit: g.limit as u64,
        last_evaluation: eval_time(g.last_eval_ms),
        evaluation_time: g.eval_seconds,
        partial_response_strategy: Some(if g.partial_response { "WARN" } else { "ABORT" }.into()),
    }
}

fn insight(status: &RuleStatus) -> api::Insight {
    api::Insight {
        evaluations: status
            .history
            .iter()
            .map(|e| api::Evaluation {
                time: rfc3339(e.at_ms),
                duration: e.seconds,
                series_returned: e.series as u64,
                samples_written: e.samples as u64,
                alerts_changed: e.alerts_changed as u64,
                error: e.error.clone(),
                warnings: e.warnings.clone(),
            })
            .collect(),
        query_command: status.command.clone(),
        never_matched: status.never_matched(),
    }
}

fn api_alert(a: &crate::rules::alerting::Alert) -> api::Alert {
    api::Alert {
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        state: a.state.as_str().into(),
        active_at: Some(rfc3339(a.active_at)),
        value: promapi::query::format_value(a.value),
        keep_firing_since: a.keep_firing_since.map(rfc3339),
    }
}

async fn metrics_handler(State(s): State<ApiState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.encode())
}

/// `/federate?match[]=…`: the latest sample of each selected series the rules produced.
async fn federate_handler(State(s): State<ApiState>, RawQuery(query): RawQuery) -> Response {
    let mut selectors = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        if k == "match[]" {
            match Selector::parse(&v) {
                Ok(sel) => selectors.push(sel),
                Err(e) => return (StatusCode::BAD_REQUEST, format!("bad match[]: {e}\n")).into_response(),
            }
        }
    }
    if selectors.is_empty() {
        return (StatusCode::BAD_REQUEST, "federate needs at least one match[] selector\n").into_response();
    }
    let body = s.sink.federate(&selectors, &s.external_labels);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

fn api_error(status: StatusCode, kind: ErrorType, msg: impl Into<String>) -> Response {
    (status, Json(ApiResponse::<()>::error(kind, msg))).into_response()
}

/// `/api/v1/rules` filters, as Prometheus and Thanos read them.
#[derive(Debug, Default, PartialEq)]
pub struct RulesFilter {
    /// `type`: only alerting (`alert`) or recording (`record`) rules.
    pub kind: Option<&'static str>,
    pub rule_names: Vec<String>,
    pub rule_groups: Vec<String>,
    pub files: Vec<String>,
}

impl RulesFilter {
    pub fn parse(query: &str) -> Result<RulesFilter, String> {
        let mut f = RulesFilter::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "type" => {
                    f.kind = match &*v {
                        "alert" => Some("alert"),
                        "record" => Some("record"),
                        "" => None,
                        other => return Err(format!("unsupported type {other:?}: use alert or record")),
                    }
                }
                "rule_name[]" => f.rule_names.push(v.into_owned()),
                "rule_group[]" => f.rule_groups.push(v.into_owned()),
                "file[]" => f.files.push(v.into_owned()),
                _ => {}
            }
        }
        Ok(f)
    }

    /// Keeps what the filter selects; when rules are filtered, groups left without rules go too.
    pub fn apply(&self, groups: impl Iterator<Item = api::RuleGroup>) -> Vec<api::RuleGroup> {
        let wanted = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        let filters_rules = self.kind.is_some() || !self.rule_names.is_empty();
        groups
            .filter(|g| wanted(&self.rule_groups, &g.name) && wanted(&self.files, &g.file))
            .filter_map(|mut g| {
                g.rules.retain(|r| {
                    let (kind, name) = match r {
                        api::Rule::Alerting(a) => ("alert", &a.name),
                        api::Rule::Recording(r) => ("record", &r.name),
                    };
                    self.kind.is_none_or(|k| k == kind) && wanted(&self.rule_names, name)
                });
                (!filters_rules || !g.rules.is_empty()).then_some(g)
            })
            .collect()
    }
}

async fn rules_handler(State(s): State<ApiState>, RawQuery(query): RawQuery) -> Response {
    let filter = match RulesFilter::parse(query.as_deref().unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, ErrorType::BadData, e),
    };
    let groups = filter.apply(s.published.read().unwrap().values().cloned());
    let last_reload = s.last_reload.read().unwrap().clone();
    Json(ApiResponse::success(api::RulesData { groups, last_reload })).into_response()
}

async fn alerts_handler(
    State(ApiState { published: p, .. }): State<ApiState>,
) -> Json<ApiResponse<api::AlertsData>> {
    let alerts = p
        .read()
        .unwrap()
        .values()
        .flat_map(|g| g.rules.iter())
        .filter_map(|r| match r {
            api::Rule::Alerting(a) => Some(a.alerts.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    Json(ApiResponse::success(api::AlertsData { alerts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<api::RuleGroup> {
        let rule = |kind: &str, name: &str| {
            let extra = if kind == "alerting" {
                r#","duration":0,"alerts":[],"state":"inactive","annotations":{}"#
            } else {
                ""
            };
            format!(
                r#"{{"type":"{kind}","name":"{name}","query":"up","labels":{{}},"health":"ok","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"{extra}}}"#
            )
        };
        let group = |name: &str, file: &str, rules: &[String]| {
            format!(
                r#"{{"name":"{name}","file":"{file}","rules":[{}],"interval":60,"limit":0,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}}"#,
                rules.join(",")
            )
        };
        let json = format!(
            "[{},{}]",
            group("a", "one.yaml", &[rule("recording", "r1"), rule("alerting", "A1")]),
            group("b", "two.yaml", &[rule("recording", "r2")])
        );
        serde_json::from_str(&json).unwrap()
    }

    fn shown(query: &str) -> Vec<(String, Vec<String>)> {
        let f = RulesFilter::parse(query).unwrap();
        f.apply(groups().into_iter())
            .into_iter()
            .map(|g| {
                let names = g
                    .rules
                    .iter()
                    .map(|r| match r {
                        api::Rule::Alerting(a) => a.name.clone(),
                        api::Rule::Recording(r) => r.name.clone(),
                    })
                    .collect();
                (g.name, names)
            })
            .collect()
    }

    #[test]
    fn rules_filters_as_prometheus_reads_them() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(shown(""), vec![("a".into(), s(&["r1", "A1"])), ("b".into(), s(&["r2"]))]);
        assert_eq!(shown("type=alert"), vec![("a".into(), s(&["A1"]))], "groups left empty go");
        assert_eq!(shown("type=record&rule_group%5B%5D=b"), vec![("b".into(), s(&["r2"]))]);
        assert_eq!(
            shown("rule_name[]=r1&rule_name[]=r2"),
            vec![("a".into(), s(&["r1"])), ("b".into(), s(&["r2"]))]
        );
        assert_eq!(shown("file[]=two.yaml"), vec![("b".into(), s(&["r2"]))]);
        assert!(RulesFilter::parse("type=alerts").unwrap_err().contains("unsupported type"));
    }
}
