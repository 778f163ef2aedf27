//! `ruler run`: loads the rule files, evaluates each group on its grid ("when"), sends alerts and
//! serves the API. One evaluation ("what") is [`Group::eval`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use promapi::rules::{self as api, rfc3339};
use promapi::ApiResponse;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;
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
/// SIGHUP and `POST /-/reload` reload the rule files; if any file is bad, the running rules stay.
pub async fn run(
    config: RunConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let groups = load_groups(&config.rule_files, &config.defaults)?;
    tracing::info!(groups = groups.len(), "rules loaded");
    let client = reqwest::Client::builder().build()?;
    let am_client = reqwest::Client::builder().timeout(config.send_timeout).build()?;
    let mut engine = Engine {
        querier: Arc::new(HttpQuerier::new(client, config.query_urls.clone())),
        alertmanagers: Arc::new(Alertmanagers::new(am_client, config.alertmanager_urls.clone())),
        published: Arc::default(),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::new()),
        running: BTreeMap::new(),
    };
    engine.metrics.reload_succeeded(now_ms());
    engine.start(groups);

    let (reload_tx, mut reload_rx) = mpsc::channel::<oneshot::Sender<Result<(), String>>>(4);
    let app = Router::new()
        .route("/api/v1/rules", get(rules_handler))
        .route("/api/v1/alerts", get(alerts_handler))
        .route("/-/healthy", get(|| async { "Thanos Rule is Healthy.\n" }))
        .route("/-/ready", get(|| async { "Thanos Rule is Ready.\n" }))
        .route("/-/reload", post(reload_handler))
        .route("/metrics", get(metrics_handler))
        .with_state(ApiState { published: engine.published.clone(), metrics: engine.metrics.clone(), reload: reload_tx });
    tracing::info!(address = %listener.local_addr()?, "serving HTTP");
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).with_graceful_shutdown(async { let _ = http_stopped.await; }).await
    });

    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(reply) = reload_rx.recv() => {
                let _ = reply.send(engine.reload().await);
            }
            _ = hangup.recv() => {
                let _ = engine.reload().await;
            }
        }
    }
    // Stop evaluating first, then the API.
    engine.stop();
    let _ = stop_http.send(());
    server.await??;
    Ok(())
}

/// The running groups and what they share.
struct Engine {
    querier: Arc<HttpQuerier>,
    alertmanagers: Arc<Alertmanagers>,
    published: Published,
    config: Arc<RunConfig>,
    metrics: Arc<Metrics>,
    /// By `file;name`: the group (shared with its task, so a reload can carry its alerts over).
    running: BTreeMap<String, (Arc<Mutex<Group>>, JoinHandle<()>)>,
}

impl Engine {
    fn start(&mut self, groups: Vec<Group>) {
        for group in groups {
            let k = key(&group);
            self.published.write().unwrap().insert(k.clone(), snapshot(&group));
            let group = Arc::new(Mutex::new(group));
            let shared = Shared {
                querier: self.querier.clone(),
                alertmanagers: self.alertmanagers.clone(),
                published: self.published.clone(),
                config: self.config.clone(),
                metrics: self.metrics.clone(),
            };
            let g = group.clone();
            let task = tokio::spawn(async move { group_loop(g, shared).await });
            self.running.insert(k, (group, task));
        }
    }

    /// Loads the rule files again; on success replaces the groups, keeping the alerts of groups that
    /// stay. On failure nothing changes, and the error is logged and returned.
    async fn reload(&mut self) -> Result<(), String> {
        let mut groups = match load_groups(&self.config.rule_files, &self.config.defaults) {
            Ok(g) => g,
            Err(e) => {
                let e = format!("{e:#}");
                tracing::error!(error = %e, "reload failed; the previous rules keep running");
                self.metrics.reload_successful.set(0);
                return Err(e);
            }
        };
        for g in &mut groups {
            if let Some((old, _)) = self.running.get(&key(g)) {
                g.copy_state(&*old.lock().await);
            }
        }
        self.stop();
        self.published.write().unwrap().clear();
        tracing::info!(groups = groups.len(), "rules reloaded");
        self.metrics.reload_succeeded(now_ms());
        self.start(groups);
        Ok(())
    }

    fn stop(&mut self) {
        for (_, (_, task)) in std::mem::take(&mut self.running) {
            task.abort();
        }
    }
}

/// What every group task shares.
struct Shared {
    querier: Arc<HttpQuerier>,
    alertmanagers: Arc<Alertmanagers>,
    published: Published,
    config: Arc<RunConfig>,
    metrics: Arc<Metrics>,
}

#[derive(Clone)]
struct ApiState {
    published: Published,
    metrics: Arc<Metrics>,
    reload: mpsc::Sender<oneshot::Sender<Result<(), String>>>,
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

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Evaluates `group` at each slot of its grid. A slot missed because evaluation ran long is counted
/// and skipped, not piled up.
async fn group_loop(group: Arc<Mutex<Group>>, s: Shared) {
    let (first, interval, labels) = {
        let g = group.lock().await;
        s.metrics.group_rules.get_or_create(&Metrics::group(&key(&g))).set(g.rules.len() as i64);
        (g.eval_timestamp(now_ms()) + g.interval_ms, g.interval_ms, Metrics::group(&key(&g)))
    };
    let mut next = first;
    let mut missed: u64 = 0;
    loop {
        let wait = next - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        let mut group = group.lock().await;
        let out = group.eval(next, &*s.querier, s.config.eval).await;
        let m = &s.metrics;
        m.iterations.get_or_create(&labels).inc();
        m.last_duration.get_or_create(&labels).set(group.eval_seconds);
        m.last_evaluation.get_or_create(&labels).set(next as f64 / 1000.0);
        for (rule, status) in &group.rules {
            m.evaluations.get_or_create(&labels).inc();
            if let Some(err) = &status.last_error {
                m.evaluation_failures.get_or_create(&labels).inc();
                tracing::warn!(group = %group.name, rule = rule.name(), error = %err, "rule evaluation failed");
            } else if !status.warnings.is_empty() {
                m.evaluations_with_warnings.get_or_create(&labels).inc();
                tracing::warn!(group = %group.name, rule = rule.name(), warnings = ?status.warnings, "query returned warnings");
            }
        }
        let alerts: Vec<_> = out.alerts.iter().map(|(a, expr)| s.config.notify.postable(a, expr)).collect();
        s.published.write().unwrap().insert(key(&group), snapshot(&group));
        let name = group.name.clone();
        // Sending is network I/O: not under the group's lock, which a reload waits for.
        drop(group);
        for (am, outcome) in s.alertmanagers.send(&alerts).await {
            let am = vec![("alertmanager".to_string(), am)];
            match outcome {
                Ok(()) => {
                    m.alerts_sent.get_or_create(&am).inc_by(alerts.len() as u64);
                }
                Err(e) => {
                    m.alert_send_errors.get_or_create(&am).inc();
                    tracing::warn!(group = %name, error = %e, "sending alerts failed");
                }
            }
        }
        let now = now_ms();
        next += interval;
        if now >= next {
            let skip = (now - next) / interval + 1;
            missed += skip as u64;
            s.metrics.iterations.get_or_create(&labels).inc_by(skip as u64);
            s.metrics.iterations_missed.get_or_create(&labels).inc_by(skip as u64);
            next += skip * interval;
            tracing::warn!(missed, "evaluation slower than the interval; iterations skipped");
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

async fn metrics_handler(State(s): State<ApiState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.encode())
}

async fn rules_handler(State(ApiState { published: p, .. }): State<ApiState>) -> Json<ApiResponse<api::RulesData>> {
    let groups = p.read().unwrap().values().cloned().collect();
    Json(ApiResponse::success(api::RulesData { groups }))
}

async fn alerts_handler(State(ApiState { published: p, .. }): State<ApiState>) -> Json<ApiResponse<api::AlertsData>> {
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
