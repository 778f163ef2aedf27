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

/// How alerts are turned into what Alertmanager receives.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// `--alert.label-drop`: removed before sending, so HA replicas send identical alerts.
    pub label_drop: Vec<String>,
    /// `--label`: set on every alert (overriding, as Thanos does), minus the dropped ones.
    pub external_labels: Labels,
    /// `--alert.query-url`: where `generatorURL` links point.
    pub query_url: String,
    /// `--alert.relabel-config(-file)`: applied last; it may drop an alert.
    pub relabel: Relabel,
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
        let expr: String = form_encode(expr);
        Some(PostableAlert {
            labels,
            annotations: alert.annotations.clone(),
            starts_at: rfc3339(starts),
            ends_at: rfc3339(ends),
            generator_url: format!("{}/graph?g0.expr={expr}&g0.tab=1", self.query_url.trim_end_matches('/')),
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
            relabel: Relabel::default(),
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
