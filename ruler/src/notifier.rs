//! Alerts to Alertmanager: the API v2 payload (`POST /api/v2/alerts`), `--alert.label-drop` and
//! external labels applied as `thanos rule` does; batches from a bounded queue per Alertmanager,
//! retried with backoff.

pub mod queue;

use std::sync::Arc;
use std::time::{Duration, Instant};

use promapi::rules::rfc3339;
use promapi::Labels;
use serde::Serialize;

use tokio::task::JoinHandle;

use crate::discovery::Endpoints;
use crate::metrics::Metrics;
use crate::rules::alerting::Alert;
use queue::{Queue, Queued};

/// One alert as Alertmanager's API v2 takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
}

/// How alerts are turned into what Alertmanager receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifyOptions {
    /// `--alert.label-drop`: removed before sending, so HA replicas send identical alerts.
    pub label_drop: Vec<String>,
    /// `--label`: set on every alert (overriding, as Thanos does), minus the dropped ones.
    pub external_labels: Labels,
    /// `--alert.query-url`: where `generatorURL` links point.
    pub query_url: String,
}

impl NotifyOptions {
    pub fn postable(&self, alert: &Alert, expr: &str) -> PostableAlert {
        let mut labels = alert.labels.clone();
        for (k, v) in &self.external_labels {
            labels.insert(k.clone(), v.clone());
        }
        for l in &self.label_drop {
            labels.remove(l);
        }
        let starts = alert.fired_at.unwrap_or(alert.active_at);
        let ends = alert.resolved_at.unwrap_or(alert.valid_until);
        let expr: String = form_encode(expr);
        PostableAlert {
            labels,
            annotations: alert.annotations.clone(),
            starts_at: rfc3339(starts),
            ends_at: rfc3339(ends),
            generator_url: format!("{}/graph?g0.expr={expr}&g0.tab=1", self.query_url.trim_end_matches('/')),
        }
    }
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Alerts to every configured Alertmanager: one bounded [`Queue`] and one sending task each, so a
/// slow or dead Alertmanager holds back only its own alerts.
pub struct Notifier {
    queues: Vec<(String, Arc<Queue>)>,
    metrics: Arc<Metrics>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

/// Alerts per `POST /api/v2/alerts`.
pub const BATCH: usize = 100;

impl Notifier {
    /// Starts a sending task per address of `endpoints`; `names` label each address in metrics.
    pub fn start(
        client: reqwest::Client,
        endpoints: Arc<Endpoints>,
        names: &[String],
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Notifier {
        let mut queues = Vec::new();
        let mut tasks = Vec::new();
        for (index, name) in names.iter().enumerate().take(endpoints.len()) {
            let queue = Arc::new(Queue::new(capacity));
            metrics.queue_capacity.get_or_create(&am(name)).set(capacity as i64);
            let target =
                Target { index, name: name.clone(), endpoints: endpoints.clone(), client: client.clone() };
            tasks.push(tokio::spawn(target.deliver(queue.clone(), metrics.clone())));
            queues.push((name.clone(), queue));
        }
        Notifier { queues, metrics, tasks: std::sync::Mutex::new(tasks) }
    }

    /// Queues `alerts` for every Alertmanager; failed sends are retried until `retry_until`.
    pub fn send(&self, alerts: &[PostableAlert], retry_until: Instant) {
        if alerts.is_empty() {
            return;
        }
        for (name, queue) in &self.queues {
            let dropped = queue.push(alerts.iter().map(|a| Queued { alert: a.clone(), retry_until }));
            let labels = am(name);
            self.metrics.queue_pushed.get_or_create(&labels).inc_by(alerts.len() as u64);
            self.metrics.queue_dropped.get_or_create(&labels).inc_by(dropped as u64);
            self.metrics.queue_length.get_or_create(&labels).set(queue.len() as i64);
            if dropped > 0 {
                tracing::warn!(alertmanager = %name, dropped, "alert queue full; oldest alerts dropped");
            }
        }
    }

    /// Takes no more alerts, sends what is queued (one attempt each) and waits for that, at most
    /// `timeout`.
    pub async fn drain(&self, timeout: Duration) {
        for (_, q) in &self.queues {
            q.close();
        }
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap());
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(timeout, all).await.is_err() {
            tracing::warn!("alerts still queued at shutdown were not all delivered in time");
        }
    }
}

fn am(name: &str) -> Vec<(String, String)> {
    vec![("alertmanager".to_string(), name.to_string())]
}

/// One configured Alertmanager: whatever its address resolves to now.
struct Target {
    index: usize,
    name: String,
    endpoints: Arc<Endpoints>,
    client: reqwest::Client,
}

impl Target {
    /// Sends batches until the queue is closed and empty. A batch goes to every resolved address at
    /// once and is delivered when one accepts it (they form a cluster). When none does, it is
    /// retried with backoff until its alerts' next resend, then dropped (counted): the resend
    /// carries fresher state.
    async fn deliver(self, queue: Arc<Queue>, metrics: Arc<Metrics>) {
        let labels = am(&self.name);
        while let Some(batch) = queue.pop(BATCH).await {
            metrics.queue_popped.get_or_create(&labels).inc_by(batch.len() as u64);
            metrics.queue_length.get_or_create(&labels).set(queue.len() as i64);
            let retry_until = batch.iter().map(|q| q.retry_until).min().unwrap_or_else(Instant::now);
            let alerts: Vec<PostableAlert> = batch.into_iter().map(|q| q.alert).collect();
            let mut backoff = Duration::from_millis(250);
            loop {
                match self.send_once(&alerts, &metrics).await {
                    Ok(()) => break,
                    Err(e) if queue.is_closed() || Instant::now() + backoff > retry_until => {
                        metrics.sender_dropped.get_or_create(&labels).inc_by(alerts.len() as u64);
                        tracing::warn!(alertmanager = %self.name, error = %e, alerts = alerts.len(), "giving up on a batch of alerts");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(alertmanager = %self.name, error = %e, retry_in = ?backoff, "sending alerts failed");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
        }
    }

    async fn send_once(&self, alerts: &[PostableAlert], metrics: &Metrics) -> Result<(), String> {
        let addresses = self.endpoints.of(self.index);
        if addresses.is_empty() {
            return Err("no address resolved".into());
        }
        let sends = addresses.iter().map(|base| async move {
            let url = format!("{base}/api/v2/alerts");
            let outcome = match self.client.post(&url).json(alerts).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("{url}: HTTP {}", r.status())),
                Err(e) => Err(format!("{url}: {e}")),
            };
            let labels = am(base);
            match &outcome {
                Ok(()) => metrics.alerts_sent.get_or_create(&labels).inc_by(alerts.len() as u64),
                Err(_) => metrics.alert_send_errors.get_or_create(&labels).inc(),
            };
            outcome
        });
        let outcomes = futures::future::join_all(sends).await;
        if outcomes.iter().any(Result::is_ok) {
            return Ok(());
        }
        Err(outcomes.into_iter().filter_map(Result::err).collect::<Vec<_>>().join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerting::AlertState;

    #[test]
    fn label_drop_external_labels_times_and_link() {
        let labels: Labels = [("alertname", "Down"), ("rule_replica", "a"), ("cluster", "from-series")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let alert = Alert {
            labels,
            annotations: Labels::new(),
            value: 0.0,
            state: AlertState::Firing,
            active_at: 1_700_000_000_000,
            fired_at: Some(1_700_000_060_000),
            resolved_at: None,
            last_sent_at: None,
            valid_until: 1_700_000_300_000,
            keep_firing_since: None,
        };
        let opts = NotifyOptions {
            label_drop: vec!["rule_replica".into()],
            external_labels: [
                ("cluster".to_string(), "eu1".to_string()),
                ("rule_replica".to_string(), "a".to_string()),
            ]
            .into(),
            query_url: "http://thanos:9090/".into(),
        };
        let p = opts.postable(&alert, "up{job=\"x\"} == 0");
        assert_eq!(p.labels.keys().collect::<Vec<_>>(), vec!["alertname", "cluster"]);
        assert_eq!(p.labels["cluster"], "eu1", "external labels override, as in Thanos");
        assert_eq!(p.starts_at, "2023-11-14T22:14:20.000Z");
        assert_eq!(p.ends_at, "2023-11-14T22:18:20.000Z");
        assert_eq!(
            p.generator_url,
            "http://thanos:9090/graph?g0.expr=up%7Bjob%3D%22x%22%7D+%3D%3D+0&g0.tab=1"
        );
    }
}
