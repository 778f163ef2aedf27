//! Alerts to Alertmanager: the API v2 payload (`POST /api/v2/alerts`), external labels,
//! `--alert.label-drop` and `--alert.relabel-config` applied as `thanos rule` does; batches from a bounded queue per Alertmanager,
//! retried with backoff.

pub mod alertmanager;
pub mod fake;
pub mod queue;

use std::time::Instant;

use promapi::rules::rfc3339;
use promapi::Labels;
use serde::Serialize;

use crate::relabel::Relabel;
use crate::rules::alerting::Alert;
use crate::template::query_link;

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

/// Where the scheduler hands its alerts: Alertmanagers ([`alertmanager::Alertmanagers`]) or, in
/// tests, a recorder ([`fake::FakeNotifier`]).
pub trait Notifier: Send + Sync {
    /// Queues `alerts` for delivery; failed sends are retried until `retry_until`.
    fn send(&self, alerts: &[PostableAlert], retry_until: Instant);
}

/// `--alert.query-template`'s default: the Thanos UI's table view of the expression.
pub const DEFAULT_QUERY_TEMPLATE: &str = "/graph?g0.expr={{.Expr}}&g0.tab=1";

/// How alerts are turned into what Alertmanager receives.
#[derive(Debug, Clone)]
pub struct NotifyOptions {
    /// `--alert.label-drop`: removed before sending, so HA replicas send identical alerts.
    pub label_drop: Vec<String>,
    /// `--label`: set on every alert (overriding, as Thanos does), minus the dropped ones.
    pub external_labels: Labels,
    /// `--alert.query-url`: where `generatorURL` links point.
    pub query_url: String,
    /// `--alert.query-template`: the rest of the link, a Go template of the escaped `.Expr`.
    pub query_template: String,
    /// `--alert.relabel-config(-file)`: applied last; it may drop an alert.
    pub relabel: Relabel,
}

impl Default for NotifyOptions {
    fn default() -> Self {
        NotifyOptions {
            label_drop: Vec::new(),
            external_labels: Labels::new(),
            query_url: String::new(),
            query_template: DEFAULT_QUERY_TEMPLATE.into(),
            relabel: Relabel::default(),
        }
    }
}

impl NotifyOptions {
    /// What Alertmanager receives for `alert`; `None` when relabelling drops it.
    pub fn postable(&self, alert: &Alert, expr: &str) -> Option<PostableAlert> {
        let mut labels = alert.labels.clone();
        for (k, v) in &self.external_labels {
            labels.insert(k.clone(), v.clone());
        }
        for l in &self.label_drop {
            labels.remove(l);
        }
        let labels = self.relabel.apply(labels)?;
        let starts = alert.fired_at.unwrap_or(alert.active_at);
        let ends = alert.resolved_at.unwrap_or(alert.valid_until);
        // As Thanos: a template that fails (it was checked at start) leaves the link's base.
        let link = query_link(&self.query_template, &form_encode(expr)).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "--alert.query-template failed for an expression");
            String::new()
        });
        Some(PostableAlert {
            labels,
            annotations: alert.annotations.clone(),
            starts_at: rfc3339(starts),
            ends_at: rfc3339(ends),
            generator_url: format!("{}{link}", self.query_url.trim_end_matches('/')),
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerting::AlertState;

    fn firing(labels: Labels) -> Alert {
        Alert {
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
        }
    }

    #[test]
    fn label_drop_external_labels_times_and_link() {
        let labels: Labels = [("alertname", "Down"), ("rule_replica", "a"), ("cluster", "from-series")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let alert = firing(labels);
        let opts = NotifyOptions {
            label_drop: vec!["rule_replica".into()],
            external_labels: [
                ("cluster".to_string(), "eu1".to_string()),
                ("rule_replica".to_string(), "a".to_string()),
            ]
            .into(),
            query_url: "http://thanos:9090/".into(),
            ..Default::default()
        };
        let p = opts.postable(&alert, "up{job=\"x\"} == 0").unwrap();
        assert_eq!(p.labels.keys().collect::<Vec<_>>(), vec!["alertname", "cluster"]);
        assert_eq!(p.labels["cluster"], "eu1", "external labels override, as in Thanos");
        assert_eq!(p.starts_at, "2023-11-14T22:14:20.000Z");
        assert_eq!(p.ends_at, "2023-11-14T22:18:20.000Z");
        assert_eq!(
            p.generator_url,
            "http://thanos:9090/graph?g0.expr=up%7Bjob%3D%22x%22%7D+%3D%3D+0&g0.tab=1"
        );
    }

    /// `--alert.query-template`: `.Expr` is the query-escaped expression, as Thanos passes it.
    #[test]
    fn the_query_template_builds_the_link() {
        let alert = firing([("alertname".to_string(), "Down".to_string())].into());
        let opts = NotifyOptions {
            query_url: "https://grafana.example".into(),
            query_template: r#"/explore?left={"queries":[{"expr":"{{.Expr}}"}]}&orgId=1"#.into(),
            ..Default::default()
        };
        let p = opts.postable(&alert, "rate(x[5m]) > 0").unwrap();
        assert_eq!(
            p.generator_url,
            r#"https://grafana.example/explore?left={"queries":[{"expr":"rate%28x%5B5m%5D%29+%3E+0"}]}&orgId=1"#
        );
        let broken = NotifyOptions { query_template: "{{.Expr | nosuchfunc}}".into(), ..opts };
        assert_eq!(broken.postable(&alert, "x").unwrap().generator_url, "https://grafana.example");
    }

    #[test]
    fn relabelling_comes_after_label_drop_and_may_drop_the_alert() {
        let mut alert =
            firing([("alertname", "A"), ("severity", "info")].map(|(k, v)| (k.into(), v.into())).into());
        let relabel = Relabel::parse(
            "- source_labels: [rule_replica]\n  target_label: seen_replica\n\
             - source_labels: [severity]\n  regex: debug\n  action: drop",
        )
        .unwrap();
        let opts = NotifyOptions {
            label_drop: vec!["rule_replica".into()],
            external_labels: [("rule_replica".to_string(), "a".to_string())].into(),
            relabel,
            ..Default::default()
        };
        let p = opts.postable(&alert, "x").unwrap();
        assert!(!p.labels.contains_key("seen_replica"), "the dropped label is gone before relabelling");
        alert.labels.insert("severity".into(), "debug".into());
        assert_eq!(opts.postable(&alert, "x"), None);
    }
}
