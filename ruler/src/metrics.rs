//! `/metrics`: the ruler's own metrics in the Prometheus text format, named as Prometheus
//! (`prometheus_rule_*`, `prometheus_config_*`) and Thanos (`thanos_rule_*`, `thanos_alert_*`) name theirs.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric the ruler exports.
#[derive(Debug, Default)]
pub struct Metrics {
    registry: Registry,
    pub evaluations: Family<Labels, Counter>,
    pub evaluation_failures: Family<Labels, Counter>,
    pub evaluations_with_warnings: Family<Labels, Counter>,
    pub iterations: Family<Labels, Counter>,
    pub iterations_missed: Family<Labels, Counter>,
    pub last_duration: Family<Labels, FloatGauge>,
    pub last_evaluation: Family<Labels, FloatGauge>,
    pub group_rules: Family<Labels, Gauge>,
    pub group_never_matched: Family<Labels, Gauge>,
    pub alerts_sent: Family<Labels, Counter>,
    pub alert_send_errors: Family<Labels, Counter>,
    pub sender_dropped: Family<Labels, Counter>,
    pub queue_capacity: Family<Labels, Gauge>,
    pub queue_length: Family<Labels, Gauge>,
    pub queue_pushed: Family<Labels, Counter>,
    pub queue_popped: Family<Labels, Counter>,
    pub queue_dropped: Family<Labels, Counter>,
    pub samples_appended: Counter,
    pub append_failures: Counter,
    pub compactions: Counter,
    pub compactions_failed: Counter,
    pub shipper_uploads: Counter,
    pub shipper_upload_failures: Counter,
    pub dns_lookups: Family<Labels, Counter>,
    pub dns_failures: Family<Labels, Counter>,
    pub dns_results: Family<Labels, Gauge>,
    pub reload_successful: Gauge,
    pub reload_success_time: FloatGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics::default();
        let r = &mut m.registry;
        r.register("prometheus_rule_evaluations", "Rule evaluations.", m.evaluations.clone());
        r.register(
            "prometheus_rule_evaluation_failures",
            "Rule evaluations that failed.",
            m.evaluation_failures.clone(),
        );
        r.register(
            "thanos_rule_evaluation_with_warnings",
            "Rule evaluations whose query returned warnings (e.g. a store failed under partial_response_strategy warn).",
            m.evaluations_with_warnings.clone(),
        );
        r.register(
            "prometheus_rule_group_iterations",
            "Scheduled group evaluations, missed ones included.",
            m.iterations.clone(),
        );
        r.register(
            "prometheus_rule_group_iterations_missed",
            "Group evaluations skipped because the previous one ran too long.",
            m.iterations_missed.clone(),
        );
        r.register(
            "prometheus_rule_group_last_duration_seconds",
            "Duration of the last group evaluation.",
            m.last_duration.clone(),
        );
        r.register(
            "prometheus_rule_group_last_evaluation_timestamp_seconds",
            "Timestamp of the last group evaluation.",
            m.last_evaluation.clone(),
        );
        r.register("prometheus_rule_group_rules", "Rules in the group.", m.group_rules.clone());
        r.register(
            "ruler_rule_group_rules_never_matched",
            "Rules of the group whose query returned no series in their last 20 successful evaluations.",
            m.group_never_matched.clone(),
        );
        r.register("thanos_alert_sender_alerts_sent", "Alerts sent, by Alertmanager.", m.alerts_sent.clone());
        r.register(
            "thanos_alert_sender_errors",
            "Failed sends, by Alertmanager.",
            m.alert_send_errors.clone(),
        );
        r.register(
            "thanos_alert_sender_alerts_dropped",
            "Alerts given up on after retrying until their next resend, by configured Alertmanager.",
            m.sender_dropped.clone(),
        );
        r.register(
            "thanos_alert_queue_capacity",
            "Capacity of the alert queue, by configured Alertmanager.",
            m.queue_capacity.clone(),
        );
        r.register(
            "thanos_alert_queue_length",
            "Alerts waiting in the queue, by configured Alertmanager.",
            m.queue_length.clone(),
        );
        r.register(
            "thanos_alert_queue_alerts_pushed",
            "Alerts queued, by configured Alertmanager.",
            m.queue_pushed.clone(),
        );
        r.register(
            "thanos_alert_queue_alerts_popped",
            "Alerts taken from the queue to send.",
            m.queue_popped.clone(),
        );
        r.register(
            "thanos_alert_queue_alerts_dropped",
            "Alerts dropped because the queue was full.",
            m.queue_dropped.clone(),
        );
        r.register(
            "prometheus_tsdb_head_samples_appended",
            "Samples written to the log and head.",
            m.samples_appended.clone(),
        );
        r.register(
            "ruler_storage_append_failures",
            "Group results that could not be stored.",
            m.append_failures.clone(),
        );
        r.register("prometheus_tsdb_compactions", "Blocks cut from the head.", m.compactions.clone());
        r.register(
            "prometheus_tsdb_compactions_failed",
            "Failed attempts to cut a block.",
            m.compactions_failed.clone(),
        );
        r.register("thanos_shipper_uploads", "Blocks uploaded to object storage.", m.shipper_uploads.clone());
        r.register(
            "thanos_shipper_upload_failures",
            "Failed block uploads (retried on the next pass), and failures to list the data directory or write the shipper file.",
            m.shipper_upload_failures.clone(),
        );
        r.register(
            "thanos_rule_dns_lookups",
            "DNS lookups of --query and --alertmanagers.url addresses.",
            m.dns_lookups.clone(),
        );
        r.register("thanos_rule_dns_failures", "Failed DNS lookups.", m.dns_failures.clone());
        r.register(
            "thanos_rule_dns_provider_results",
            "Addresses the last lookup found.",
            m.dns_results.clone(),
        );
        r.register(
            "prometheus_config_last_reload_successful",
            "Whether the last rule reload succeeded.",
            m.reload_successful.clone(),
        );
        r.register(
            "prometheus_config_last_reload_success_timestamp_seconds",
            "Timestamp of the last successful rule reload.",
            m.reload_success_time.clone(),
        );
        m
    }

    /// Records a successful (re)load of the rule files at `now_ms`.
    pub fn reload_succeeded(&self, now_ms: i64) {
        self.reload_successful.set(1);
        self.reload_success_time.set(now_ms as f64 / 1000.0);
    }

    /// The `rule_group="file;name"` label set.
    pub fn group(key: &str) -> Labels {
        vec![("rule_group".into(), key.into())]
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_the_prometheus_names() {
        let m = Metrics::new();
        m.evaluations.get_or_create(&Metrics::group("r.yaml;g")).inc_by(3);
        m.reload_successful.set(1);
        let text = m.encode();
        assert!(text.contains("prometheus_rule_evaluations_total{rule_group=\"r.yaml;g\"} 3"), "{text}");
        assert!(text.contains("prometheus_config_last_reload_successful 1"), "{text}");
    }
}
