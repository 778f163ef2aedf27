//! `ruler run`: loads the rule files, evaluates each group on its grid ("when"), sends alerts and
//! serves the API. One evaluation ("what") is [`Group::eval`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use promapi::rules::{self as api, rfc3339};
use promapi::ApiResponse;

use crate::notifier::{Alertmanagers, NotifyOptions};
use crate::query::http::HttpQuerier;
use crate::rulefmt;
use crate::rules::alerting::AlertState;
use crate::rules::group::{Defaults, EvalOptions, Group, Rule};

/// Everything `ruler run` needs, from the flags.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub rule_files: Vec<String>,
    pub query_urls: Vec<String>,
    pub alertmanager_urls: Vec<String>,
    pub send_timeout: Duration,
    pub defaults: Defaults,
    pub notify: NotifyOptions,
    pub eval: EvalOptions,
}

/// The groups' latest state, as the API shows it, by `file;name`.
type Published = Arc<RwLock<BTreeMap<String, api::RuleGroup>>>;

/// Expands the `--rule-file` globs (files named twice are read once) and loads every group.
pub fn load_groups(patterns: &[String], defaults: &Defaults) -> anyhow::Result<Vec<Group>> {
    let mut files = Vec::new();
    for p in patterns {
        let matches: Vec<PathBuf> = glob::glob(p).with_context(|| format!("--rule-file {p}"))?.filter_map(Result::ok).collect();
        for m in matches {
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        match rulefmt::load(f) {
            Ok(file) => groups.extend(file.groups.iter().map(|g| Group::new(f, g, defaults))),
            Err(p) => problems.extend(p.into_iter().map(|p| p.to_string())),
        }
    }
    if !problems.is_empty() {
        bail!("invalid rule files:\n{}", problems.join("\n"));
    }
    Ok(groups)
}

/// Runs until `shutdown` completes: every group on its own task, and the HTTP API on `listener`.
pub async fn run(
    config: RunConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let groups = load_groups(&config.rule_files, &config.defaults)?;
    tracing::info!(groups = groups.len(), "rules loaded");
    let client = reqwest::Client::builder().build()?;
    let querier = Arc::new(HttpQuerier::new(client.clone(), config.query_urls.clone()));
    let am_client = reqwest::Client::builder().timeout(config.send_timeout).build()?;
    let alertmanagers = Arc::new(Alertmanagers::new(am_client, config.alertmanager_urls.clone()));
    let published: Published = Arc::default();
    let config = Arc::new(config);

    let mut tasks = Vec::new();
    for group in groups {
        published.write().unwrap().insert(key(&group), snapshot(&group));
        let (querier, alertmanagers, published, config) =
            (querier.clone(), alertmanagers.clone(), published.clone(), config.clone());
        tasks.push(tokio::spawn(async move {
            group_loop(group, &*querier, &alertmanagers, &published, &config).await;
        }));
    }

    let app = Router::new()
        .route("/api/v1/rules", get(rules_handler))
        .route("/api/v1/alerts", get(alerts_handler))
        .route("/-/healthy", get(|| async { "Thanos Rule is Healthy.\n" }))
        .route("/-/ready", get(|| async { "Thanos Rule is Ready.\n" }))
        .with_state(published);
    tracing::info!(address = %listener.local_addr()?, "serving HTTP");
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    for t in tasks {
        t.abort();
    }
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Evaluates `group` at each slot of its grid. A slot missed because evaluation ran long is counted
/// and skipped, not piled up.
async fn group_loop(mut group: Group, querier: &HttpQuerier, alertmanagers: &Alertmanagers, published: &Published, config: &RunConfig) {
    let mut next = group.eval_timestamp(now_ms()) + group.interval_ms;
    let mut missed: u64 = 0;
    loop {
        let wait = next - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        let out = group.eval(next, querier, config.eval).await;
        let alerts: Vec<_> = out.alerts.iter().map(|(a, expr)| config.notify.postable(a, expr)).collect();
        if let Err(e) = alertmanagers.send(&alerts).await {
            tracing::warn!(group = %group.name, error = %e, "sending alerts failed");
        }
        for (rule, status) in &group.rules {
            if let Some(err) = &status.last_error {
                tracing::warn!(group = %group.name, rule = rule.name(), error = %err, "rule evaluation failed");
            }
        }
        published.write().unwrap().insert(key(&group), snapshot(&group));
        let now = now_ms();
        next += group.interval_ms;
        if now >= next {
            let skip = (now - next) / group.interval_ms + 1;
            missed += skip as u64;
            next += skip * group.interval_ms;
            tracing::warn!(group = %group.name, missed, "evaluation slower than the interval; iterations skipped");
        }
    }
}

fn key(g: &Group) -> String {
    format!("{};{}", g.file, g.name)
}

/// Before the first evaluation Prometheus shows Go's zero time.
fn eval_time(ms: Option<i64>) -> String {
    ms.map(rfc3339).unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
}

fn snapshot(g: &Group) -> api::RuleGroup {
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
                evaluation_time: status.eval_seconds,
                last_evaluation: eval_time(status.last_eval_ms),
            }),
            Rule::Alerting(r) => {
                let alerts: Vec<api::Alert> = r.active.values().filter(|a| a.state != AlertState::Inactive).map(api_alert).collect();
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
                    evaluation_time: status.eval_seconds,
                    last_evaluation: eval_time(status.last_eval_ms),
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

async fn rules_handler(State(p): State<Published>) -> Json<ApiResponse<api::RulesData>> {
    let groups = p.read().unwrap().values().cloned().collect();
    Json(ApiResponse::success(api::RulesData { groups }))
}

async fn alerts_handler(State(p): State<Published>) -> Json<ApiResponse<api::AlertsData>> {
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
