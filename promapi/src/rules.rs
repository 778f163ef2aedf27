//! `/api/v1/rules` and `/api/v1/alerts`, as Prometheus serves them, plus Thanos' `partialResponseStrategy`.

use serde::{Deserialize, Serialize};

use crate::Labels;

/// `data` of `/api/v1/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesData {
    pub groups: Vec<RuleGroup>,
    /// How the last rule reload went: our ruler's addition, absent elsewhere.
    #[serde(default, rename = "lastReload", skip_serializing_if = "Option::is_none")]
    pub last_reload: Option<ReloadStatus>,
}

/// A reload of the rule files: when, and why it failed (the running rules then stayed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadStatus {
    pub success: bool,
    /// RFC 3339.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    pub name: String,
    pub file: String,
    pub rules: Vec<Rule>,
    /// Seconds.
    pub interval: f64,
    #[serde(default)]
    pub limit: u64,
    /// RFC 3339; `0001-01-01T00:00:00Z` before the first evaluation, as Prometheus.
    pub last_evaluation: String,
    /// Seconds.
    pub evaluation_time: f64,
    /// Thanos: `WARN` or `ABORT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_response_strategy: Option<String>,
}

/// A recording or alerting rule, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Rule {
    Alerting(AlertingRule),
    Recording(RecordingRule),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertingRule {
    /// `inactive`, `pending` or `firing`: the most severe of its alerts.
    pub state: String,
    pub name: String,
    pub query: String,
    /// `for`, in seconds.
    pub duration: f64,
    #[serde(default)]
    pub keep_firing_for: f64,
    // Prometheus leaves empty label and annotation sets out.
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub alerts: Vec<Alert>,
    pub health: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Warnings of the last evaluation's query (a store failed under `partial_response_strategy:
    /// warn`, …); our ruler's addition, absent elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub evaluation_time: f64,
    pub last_evaluation: String,
    #[serde(flatten)]
    pub insight: Insight,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingRule {
    pub name: String,
    pub query: String,
    #[serde(default)]
    pub labels: Labels,
    pub health: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Warnings of the last evaluation's query (a store failed under `partial_response_strategy:
    /// warn`, …); our ruler's addition, absent elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub evaluation_time: f64,
    pub last_evaluation: String,
    #[serde(flatten)]
    pub insight: Insight,
}

/// Why a rule did what it did: our ruler's additions to a rule, absent elsewhere (and ignored by
/// Prometheus' clients).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Insight {
    /// The last evaluations, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<Evaluation>,
    /// A shell command that sends the rule's last query as the ruler sent it, secrets left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_command: Option<String>,
    /// No series in a long run of successful evaluations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_matched: bool,
}

/// One evaluation of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// RFC 3339.
    pub time: String,
    /// Seconds.
    pub duration: f64,
    pub series_returned: u64,
    pub samples_written: u64,
    pub alerts_changed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An alert, in `/api/v1/alerts` and inside alerting rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<String>,
    /// The value as Prometheus formats it.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing_since: Option<String>,
}

/// `data` of `/api/v1/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsData {
    pub alerts: Vec<Alert>,
}

pub use crate::time::rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_prometheus_2_42_sends() {
        // Captured from a real Prometheus 2.42: a recording rule without labels has no `labels`.
        let body = include_str!("../../app/tests/data/prometheus-2.42-rules.json");
        let r: crate::ApiResponse<RulesData> = serde_json::from_str(body).unwrap();
        let groups = r.data.unwrap().groups;
        assert!(groups
            .iter()
            .flat_map(|g| &g.rules)
            .any(|r| matches!(r, Rule::Recording(x) if x.labels.is_empty())));
    }

    #[test]
    fn decodes_prometheus_rules_response() {
        // Shape served by Prometheus 2.42.
        let body = r#"{"groups":[{"name":"g","file":"/r.yaml","rules":[{"state":"firing","name":"A","query":"up == 0","duration":60,"labels":{"severity":"page"},"annotations":{},"alerts":[{"labels":{"alertname":"A"},"annotations":{},"state":"firing","activeAt":"2023-11-14T22:13:20Z","value":"0e+00"}],"health":"ok","evaluationTime":0.001,"lastEvaluation":"2023-11-14T22:14:20Z","type":"alerting"},{"name":"r","query":"sum(up)","health":"ok","evaluationTime":0.0005,"lastEvaluation":"2023-11-14T22:14:20Z","type":"recording","labels":{}}],"interval":15,"limit":0,"evaluationTime":0.002,"lastEvaluation":"2023-11-14T22:14:20Z"}]}"#;
        let d: RulesData = serde_json::from_str(body).unwrap();
        assert_eq!(d.groups[0].rules.len(), 2);
        let Rule::Alerting(a) = &d.groups[0].rules[0] else { panic!("not alerting") };
        assert_eq!(a.alerts[0].state, "firing");
        assert!(matches!(d.groups[0].rules[1], Rule::Recording(_)));
    }
}
