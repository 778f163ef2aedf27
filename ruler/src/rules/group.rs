//! A rule group: its rules evaluated in order at one timestamp ([`Group::eval`]), and where on the
//! interval grid its evaluations fall ([`Group::eval_timestamp`]). Scheduling lives elsewhere.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use promapi::Labels;

use super::alerting::{Alert, AlertingRule};
use super::recording::RecordingRule;
use super::{Health, RuleError, Sample, STALE_NAN};
use crate::config::rulefmt;
use crate::query::{Querier, QueryError, QueryOutput};
use crate::template::{expand_with, uses_query, Queries, TemplateData};

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Recording(RecordingRule),
    Alerting(AlertingRule),
}

impl Rule {
    pub fn name(&self) -> &str {
        match self {
            Rule::Recording(r) => &r.name,
            Rule::Alerting(r) => &r.name,
        }
    }

    pub fn expr(&self) -> &str {
        match self {
            Rule::Recording(r) => &r.expr,
            Rule::Alerting(r) => &r.expr,
        }
    }
}

/// How a rule's last evaluation went.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleStatus {
    pub health: Health,
    pub last_error: Option<String>,
    pub last_eval_ms: Option<i64>,
    pub eval_seconds: f64,
    /// Non-PromQL warnings of the last query (e.g. a store failed under `warn`).
    pub warnings: Vec<String>,
    /// When the rule last evaluated successfully.
    pub last_ok_ms: Option<i64>,
    /// The last [`HISTORY`] evaluations, newest first.
    pub history: VecDeque<Evaluation>,
    /// Successful evaluations in a row whose query returned no series.
    pub unmatched: u32,
    /// A shell command that sends the rule's last query as the ruler sent it (secrets left out).
    pub command: Option<String>,
    /// Series written by the last successful evaluation, to mark the ones that disappear stale.
    series: BTreeSet<Labels>,
}

/// Evaluations kept per rule.
pub const HISTORY: usize = 20;

impl RuleStatus {
    /// No series in a whole history's worth of successful evaluations: a selector that matches
    /// nothing (a typo, a renamed metric) looks like this.
    pub fn never_matched(&self) -> bool {
        self.unmatched as usize >= HISTORY
    }
}

/// One evaluation of a rule, for the API's history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub at_ms: i64,
    pub seconds: f64,
    /// Series the query returned.
    pub series: usize,
    /// Samples written: results, stale markers, `ALERTS` and `ALERTS_FOR_STATE`.
    pub samples: usize,
    /// Alerts that appeared, changed state or went away.
    pub alerts_changed: usize,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// How evaluations notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    pub resend_delay_ms: i64,
    /// `Some(tolerance)`: while a rule's query fails, keep resending its firing alerts for up to
    /// `tolerance` after its last success, and raise [`QUERY_UNAVAILABLE`] for the group. `None`:
    /// Prometheus' behaviour (nothing is sent, Alertmanager resolves the alerts after ~4 intervals).
    pub outage_tolerance_ms: Option<i64>,
}

/// The synthetic alert raised while a group's queries fail.
pub const QUERY_UNAVAILABLE: &str = "RulerQueryUnavailable";

/// Settings shared by every group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Defaults {
    pub interval_ms: i64,
    pub query_offset_ms: i64,
    pub external_labels: Labels,
    pub external_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub file: String,
    pub interval_ms: i64,
    pub query_offset_ms: i64,
    pub limit: usize,
    /// Thanos' `partial_response_strategy: warn`.
    pub partial_response: bool,
    pub external_labels: Labels,
    pub external_url: String,
    pub rules: Vec<(Rule, RuleStatus)>,
    pub last_eval_ms: Option<i64>,
    pub eval_seconds: f64,
    /// The [`QUERY_UNAVAILABLE`] alert while queries fail, until its resolution has been sent.
    pub unavailable: Option<Alert>,
}

/// What one evaluation produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupEval {
    /// Recording outputs, `ALERTS`, `ALERTS_FOR_STATE` and staleness markers.
    pub samples: Vec<Sample>,
    /// Alerts the notifier should send now, with their rule's expression.
    pub alerts: Vec<(Alert, String)>,
}

impl Group {
    /// Builds a group from its validated rule-file form.
    pub fn new(file: &Path, raw: &rulefmt::RuleGroup, defaults: &Defaults) -> Group {
        let dur = |s: &Option<String>, default: i64| {
            s.as_deref().and_then(promapi::parse_duration).unwrap_or(default)
        };
        let rules = raw
            .rules
            .iter()
            .map(|r| {
                let mut labels = raw.labels.clone();
                labels.extend(r.labels.clone());
                let rule = match (&r.record, &r.alert) {
                    (Some(name), _) => {
                        Rule::Recording(RecordingRule { name: name.clone(), expr: r.expr.clone(), labels })
                    }
                    (None, alert) => Rule::Alerting(AlertingRule::new(
                        alert.clone().unwrap_or_default(),
                        r.expr.clone(),
                        dur(&r.for_, 0),
                        dur(&r.keep_firing_for, 0),
                        labels,
                        r.annotations.clone(),
                    )),
                };
                (rule, RuleStatus::default())
            })
            .collect();
        Group {
            name: raw.name.clone(),
            file: file.display().to_string(),
            interval_ms: dur(&raw.interval, defaults.interval_ms).max(1),
            query_offset_ms: dur(&raw.query_offset, defaults.query_offset_ms),
            limit: raw.limit as usize,
            partial_response: raw
                .partial_response_strategy
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("warn")),
            external_labels: defaults.external_labels.clone(),
            external_url: defaults.external_url.clone(),
            rules,
            last_eval_ms: None,
            eval_seconds: 0.0,
            unavailable: None,
        }
    }

    /// The group's offset within its interval, from its file and name only, so that every replica of
    /// an HA pair evaluates at the same instants (Prometheus hashes labels in a build-dependent way).
    pub fn offset_ms(&self) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
        for b in self.file.bytes().chain([b';']).chain(self.name.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % self.interval_ms as u64) as i64
    }

    /// The most recent evaluation slot at or before `now_ms`: slots are `k × interval + offset`.
    pub fn eval_timestamp(&self, now_ms: i64) -> i64 {
        let off = self.offset_ms();
        let adjusted = now_ms - off;
        adjusted - adjusted.rem_euclid(self.interval_ms) + off
    }

    /// Evaluates every rule in order at `ts`, querying at `ts - query_offset`. A failing rule keeps its
    /// previous state and series (no stale markers), as in Prometheus; the others go on.
    pub async fn eval<Q: Querier>(&mut self, ts: i64, querier: &Q, opts: EvalOptions) -> GroupEval {
        let resend_delay_ms = opts.resend_delay_ms;
        let mut query_failure = None;
        let started = std::time::Instant::now();
        let query_t = ts - self.query_offset_ms;
        let mut out = GroupEval::default();
        let (limit, interval, partial) = (self.limit, self.interval_ms, self.partial_response);
        let (external_labels, external_url) = (&self.external_labels, &self.external_url);
        for (rule, status) in &mut self.rules {
            let rule_started = std::time::Instant::now();
            // A query may take at most the interval: the next evaluation is due then.
            let limit_ms = interval.max(1) as u64;
            let result = match tokio::time::timeout(
                Duration::from_millis(limit_ms),
                querier.query(rule.expr(), query_t, partial),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(QueryError::Timeout(promapi::format_duration(interval))),
            };
            let mut queries = Queries::default();
            if let (Ok(res), Rule::Alerting(r)) = (&result, &*rule) {
                template_queries(
                    r,
                    res,
                    querier,
                    query_t,
                    partial,
                    (external_labels, external_url),
                    &mut queries,
                )
                .await;
            }
            let queries = RefCell::new(queries);
            let returned = result.as_ref().map_or(0, |r| r.samples.len());
            let (alerts_before, written_before) = (alert_states(rule), out.samples.len());
            status.command = querier.command(rule.expr(), query_t, partial);
            let produced: Result<Vec<Sample>, RuleError> = result.map_err(RuleError::from).and_then(|res| {
                status.warnings = res.warnings.into_iter().filter(|w| !w.starts_with("PromQL ")).collect();
                match rule {
                    Rule::Recording(r) => r.apply(query_t, res.samples, limit),
                    Rule::Alerting(r) => {
                        let name = r.name.clone();
                        let render = |text: &str, labels: &Labels, value: f64| {
                            let data = TemplateData { labels, value, external_labels, external_url };
                            expand_with(&name, text, &data, &mut queries.borrow_mut())
                        };
                        r.apply(ts, query_t, res.samples, limit, &render)
                    }
                }
            });
            status.last_eval_ms = Some(ts);
            status.eval_seconds = rule_started.elapsed().as_secs_f64();
            match produced {
                Ok(samples) => {
                    let now: BTreeSet<Labels> = samples.iter().map(|s| s.labels.clone()).collect();
                    for gone in status.series.difference(&now) {
                        out.samples.push(Sample {
                            labels: gone.clone(),
                            t: query_t,
                            v: f64::from_bits(STALE_NAN),
                        });
                    }
                    status.series = now;
                    status.health = Health::Ok;
                    status.last_error = None;
                    status.last_ok_ms = Some(ts);
                    out.samples.extend(samples);
                    if let Rule::Alerting(r) = rule {
                        let expr = r.expr.clone();
                        out.alerts.extend(
                            r.alerts_to_send(ts, resend_delay_ms, interval)
                                .into_iter()
                                .map(|a| (a, expr.clone())),
                        );
                    }
                }
                Err(e) => {
                    status.health = Health::Err;
                    status.last_error = Some(e.to_string());
                    if let RuleError::Query(q) = &e {
                        query_failure = Some(q.to_string());
                        let within = |tol: i64| ts - status.last_ok_ms.unwrap_or(ts) <= tol;
                        if let (Some(tol), Rule::Alerting(r)) = (opts.outage_tolerance_ms, &mut *rule) {
                            if within(tol) {
                                let expr = r.expr.clone();
                                let resent = r.firing_to_resend(ts, resend_delay_ms, interval);
                                out.alerts.extend(resent.into_iter().map(|a| (a, expr.clone())));
                            }
                        }
                    }
                }
            }
            let ok = status.health == Health::Ok;
            if ok {
                status.unmatched = if returned == 0 { status.unmatched.saturating_add(1) } else { 0 };
            }
            let alerts_changed = changes(&alerts_before, &alert_states(rule));
            status.history.push_front(Evaluation {
                at_ms: ts,
                seconds: status.eval_seconds,
                series: returned,
                samples: out.samples.len() - written_before,
                alerts_changed,
                error: if ok { None } else { status.last_error.clone() },
                warnings: if ok { status.warnings.clone() } else { Vec::new() },
            });
            status.history.truncate(HISTORY);
        }
        if opts.outage_tolerance_ms.is_some() {
            if let Some(a) = self.query_unavailable(ts, query_failure, resend_delay_ms) {
                out.alerts.push((a, String::new()));
            }
        }
        self.last_eval_ms = Some(ts);
        self.eval_seconds = started.elapsed().as_secs_f64();
        out
    }
}

type AlertStates = Vec<(Labels, super::alerting::AlertState)>;

/// An alerting rule's alerts and their states, sorted (the map's order), to count what an
/// evaluation changed; nothing for a recording rule.
fn alert_states(rule: &Rule) -> AlertStates {
    match rule {
        Rule::Alerting(r) => r.active.iter().map(|(l, a)| (l.clone(), a.state)).collect(),
        Rule::Recording(_) => Vec::new(),
    }
}

/// Alerts in `after` that are new or in another state, plus those of `before` gone from it.
fn changes(before: &AlertStates, after: &AlertStates) -> usize {
    let old: BTreeMap<&Labels, _> = before.iter().map(|(l, s)| (l, s)).collect();
    let new: BTreeMap<&Labels, _> = after.iter().map(|(l, s)| (l, s)).collect();
    new.iter().filter(|(l, s)| old.get(*l) != Some(*s)).count()
        + old.keys().filter(|l| !new.contains_key(*l)).count()
}

/// Runs the queries `rule`'s templates make for the alerts of `res`, into `queries`: render, run
/// what was missing, render again, up to three rounds (a query may depend on another's result).
async fn template_queries<Q: Querier>(
    rule: &AlertingRule,
    res: &QueryOutput,
    querier: &Q,
    query_t: i64,
    partial: bool,
    (external_labels, external_url): (&Labels, &str),
    queries: &mut Queries,
) {
    let templates: Vec<&String> =
        rule.labels.values().chain(rule.annotations.values()).filter(|t| uses_query(t)).collect();
    if templates.is_empty() {
        return;
    }
    for _ in 0..3 {
        for (labels, value) in &res.samples {
            let data = TemplateData { labels, value: *value, external_labels, external_url };
            for t in &templates {
                expand_with(&rule.name, t, &data, queries);
            }
        }
        let missing = std::mem::take(&mut queries.missing);
        if missing.is_empty() {
            return;
        }
        for q in missing {
            let out = querier.query(&q, query_t, partial).await;
            queries.results.insert(q, out.map(|o| o.samples).map_err(|e| e.to_string()));
        }
    }
}

impl Group {
    /// Advances the group's [`QUERY_UNAVAILABLE`] alert: firing while `failure` is set, resolved (and
    /// sent once more) when queries work again. Returns the alert if it is due to be sent.
    fn query_unavailable(&mut self, ts: i64, failure: Option<String>, resend_delay_ms: i64) -> Option<Alert> {
        match failure {
            Some(error) => {
                let a = self.unavailable.get_or_insert_with(|| Alert {
                    labels: [
                        ("alertname".to_string(), QUERY_UNAVAILABLE.to_string()),
                        ("rule_group".to_string(), self.name.clone()),
                        ("severity".to_string(), "critical".to_string()),
                    ]
                    .into(),
                    annotations: Labels::new(),
                    value: 1.0,
                    state: super::alerting::AlertState::Firing,
                    active_at: ts,
                    fired_at: Some(ts),
                    resolved_at: None,
                    last_sent_at: None,
                    valid_until: 0,
                    keep_firing_since: None,
                });
                a.annotations = [
                    ("summary".to_string(), format!("The ruler cannot query for group {:?}.", self.name)),
                    ("description".to_string(), error),
                ]
                .into();
                a.needs_sending(ts, resend_delay_ms).then(|| {
                    a.last_sent_at = Some(ts);
                    a.valid_until = ts + 4 * resend_delay_ms.max(self.interval_ms);
                    a.clone()
                })
            }
            None => {
                let mut a = self.unavailable.take()?;
                a.state = super::alerting::AlertState::Inactive;
                a.resolved_at = Some(ts);
                Some(a)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::fake::FakeQuerier;
    use crate::query::QueryError;

    fn group(text: &str) -> Group {
        let file = rulefmt::parse(Path::new("rules.yaml"), text).unwrap();
        let defaults = Defaults { interval_ms: 60_000, query_offset_ms: 0, ..Default::default() };
        Group::new(Path::new("rules.yaml"), &file.groups[0], &defaults)
    }

    /// Prometheus' behaviour: nothing sent while queries fail.
    const PROMETHEUS: EvalOptions = EvalOptions { resend_delay_ms: 60_000, outage_tolerance_ms: None };

    const RULES: &str = "groups:
  - name: g
    interval: 10s
    query_offset: 1s
    partial_response_strategy: warn
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        labels: {severity: page}
        annotations: {summary: '{{ $labels.job }} down, value {{ $value }}'}
";

    #[test]
    fn offsets_are_deterministic_and_on_the_grid() {
        let g = group(RULES);
        assert_eq!(g.offset_ms(), group(RULES).offset_ms(), "same file and name, same offset");
        assert!((0..10_000).contains(&g.offset_ms()));
        let mut other = group(RULES);
        other.name = "h".into();
        assert_ne!(g.offset_ms(), other.offset_ms());
        for now in [0, 1, 9_999, 123_456_789, 1_700_000_000_123] {
            let ts = g.eval_timestamp(now);
            assert!(ts <= now && now - ts < 10_000, "{now} → {ts}");
            assert_eq!((ts - g.offset_ms()).rem_euclid(10_000), 0);
        }
    }

    #[tokio::test]
    async fn templates_query_the_querier_at_the_rule_time() {
        let mut g = group(
            "groups:\n- name: g\n  rules:\n  - alert: Full\n    expr: disk_used > 0.9\n    annotations:\n      summary: '{{ with printf \"disk_size{host=\\\"%s\\\"}\" $labels.host | query }}{{ . | first | value | humanize1024 }}B{{ end }}'\n",
        );
        let q = FakeQuerier::default();
        q.set("disk_used > 0.9", &[(&[("host", "a")], 0.95)]);
        q.set("disk_size{host=\"a\"}", &[(&[("host", "a")], 1024.0 * 1024.0)]);
        let out = g.eval(100_000, &q, PROMETHEUS).await;
        assert_eq!(out.alerts[0].0.annotations["summary"], "1MiB", "{:?}", q.calls());
        let calls: Vec<(String, i64)> = q.calls().into_iter().map(|(e, t, _)| (e, t)).collect();
        assert_eq!(
            calls,
            vec![("disk_used > 0.9".into(), 100_000), ("disk_size{host=\"a\"}".into(), 100_000)]
        );
    }

    #[tokio::test]
    async fn a_query_slower_than_the_interval_fails_the_rule() {
        struct Slow;
        impl Querier for Slow {
            async fn query(&self, _: &str, _: i64, _: bool) -> Result<QueryOutput, QueryError> {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(QueryOutput::default())
            }
        }
        let mut g =
            group("groups:\n- name: g\n  interval: 50ms\n  rules:\n  - record: r\n    expr: vector(1)\n");
        g.eval(100_000, &Slow, PROMETHEUS).await;
        assert_eq!(g.rules[0].1.health, Health::Err);
        assert_eq!(g.rules[0].1.last_error.as_deref(), Some("query timed out after 50ms"));
    }

    #[tokio::test]
    async fn evaluates_rules_in_order_with_offset_and_strategy() {
        let mut g = group(RULES);
        let q = FakeQuerier::default();
        q.set("sum by (job) (up)", &[(&[("job", "api")], 2.0)]);
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "api")], 0.0)]);
        let out = g.eval(100_000, &q, PROMETHEUS).await;
        assert_eq!(
            q.calls(),
            vec![("sum by (job) (up)".into(), 99_000, true), ("up == 0".into(), 99_000, true)]
        );
        let names: Vec<&str> = out.samples.iter().map(|s| s.labels["__name__"].as_str()).collect();
        assert_eq!(names, vec!["job:up:sum", "ALERTS", "ALERTS_FOR_STATE"]);
        assert!(out.samples.iter().all(|s| s.t == 99_000));
        // for: 0 → firing at once, and sent with its rendered annotation.
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].0.annotations["summary"], "api down, value 0");
        assert_eq!(out.alerts[0].1, "up == 0");
        assert!(g.rules.iter().all(|(_, s)| s.health == Health::Ok));
    }

    /// Each evaluation leaves an entry: what came back, what was written, which alerts changed, and
    /// why it failed; the newest first, at most [`HISTORY`]. A rule that matches nothing for a whole
    /// history is flagged, and one match clears the flag.
    #[tokio::test]
    async fn each_evaluation_is_kept_in_the_rule_s_history() {
        let mut g = group(RULES);
        let q = FakeQuerier::default();
        q.set("sum by (job) (up)", &[(&[("job", "a")], 1.0), (&[("job", "b")], 1.0)]);
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "db")], 0.0)]);
        g.eval(10_000, &q, PROMETHEUS).await;
        let (record, alert) = (&g.rules[0].1.history[0], &g.rules[1].1.history[0]);
        assert_eq!((record.at_ms, record.series, record.samples, record.alerts_changed), (10_000, 2, 2, 0));
        // One alert, firing at once (no `for`): ALERTS and ALERTS_FOR_STATE.
        assert_eq!((alert.series, alert.samples, alert.alerts_changed), (1, 2, 1));

        q.set("sum by (job) (up)", &[(&[("job", "a")], 1.0)]);
        q.set("up == 0", &[]);
        g.eval(20_000, &q, PROMETHEUS).await;
        let (record, alert) = (&g.rules[0].1.history[0], &g.rules[1].1.history[0]);
        assert_eq!((record.series, record.samples), (1, 2), "one result and one stale marker");
        assert_eq!((alert.series, alert.alerts_changed), (0, 1), "resolved");
        assert_eq!(g.rules[0].1.history.len(), 2);

        q.fail("sum by (job) (up)", QueryError::Unreachable(vec!["q:9090: connection refused".into()]));
        g.eval(30_000, &q, PROMETHEUS).await;
        let failed = &g.rules[0].1.history[0];
        assert!(failed.error.as_deref().is_some_and(|e| e.contains("connection refused")), "{failed:?}");
        assert_eq!((failed.series, failed.samples), (0, 0));

        for k in 0..HISTORY as i64 {
            g.eval(40_000 + k * 10_000, &q, PROMETHEUS).await;
        }
        let (record, alert) = (&g.rules[0].1, &g.rules[1].1);
        assert_eq!(record.history.len(), HISTORY);
        assert!(record.history[0].at_ms > record.history[1].at_ms, "newest first");
        assert!(!record.never_matched(), "failures are not evidence of matching nothing");
        assert!(alert.never_matched(), "{} empty answers in a row", alert.unmatched);
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "db")], 0.0)]);
        g.eval(1_000_000, &q, PROMETHEUS).await;
        assert!(!g.rules[1].1.never_matched());
    }

    #[tokio::test]
    async fn vanished_series_get_stale_markers_and_failures_keep_state() {
        let mut g = group(RULES);
        let q = FakeQuerier::default();
        q.set("sum by (job) (up)", &[(&[("job", "a")], 1.0), (&[("job", "b")], 1.0)]);
        g.eval(10_000, &q, PROMETHEUS).await;

        q.set("sum by (job) (up)", &[(&[("job", "a")], 1.0)]);
        let out = g.eval(20_000, &q, PROMETHEUS).await;
        let stale: Vec<&Sample> = out.samples.iter().filter(|s| s.v.to_bits() == STALE_NAN).collect();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].labels["job"], "b");

        q.fail("sum by (job) (up)", QueryError::Unreachable(vec!["q:9090: connection refused".into()]));
        let out = g.eval(30_000, &q, PROMETHEUS).await;
        assert!(
            out.samples.iter().all(|s| s.labels["__name__"] != "job:up:sum"),
            "no output and no stale markers"
        );
        let (_, status) = &g.rules[0];
        assert_eq!(status.health, Health::Err);
        assert!(status.last_error.as_deref().unwrap().contains("connection refused"));

        q.set("sum by (job) (up)", &[]);
        let out = g.eval(40_000, &q, PROMETHEUS).await;
        assert_eq!(
            out.samples.iter().filter(|s| s.v.to_bits() == STALE_NAN).count(),
            1,
            "job a goes stale after recovery"
        );
    }

    #[tokio::test]
    async fn a_querier_outage_keeps_firing_alerts_and_raises_a_synthetic_alert() {
        const MIN: i64 = 60_000;
        let opts = EvalOptions { resend_delay_ms: MIN, outage_tolerance_ms: Some(10 * MIN) };
        let down = || QueryError::Unreachable(vec!["q:9090: connection refused".into()]);
        let mut g = group(RULES);
        g.interval_ms = MIN;
        let q = FakeQuerier::default();
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "api")], 0.0)]);
        let sent = |out: &GroupEval| {
            out.alerts.iter().map(|(a, _)| (a.labels["alertname"].clone(), a.state)).collect::<Vec<_>>()
        };
        use crate::rules::alerting::AlertState::*;
        assert_eq!(sent(&g.eval(0, &q, opts).await), vec![("Down".into(), Firing)]);

        q.fail("up == 0", down());
        q.fail("sum by (job) (up)", down());
        // Within the resend delay nothing is due, but the synthetic alert goes out at once.
        let out = g.eval(MIN / 2, &q, opts).await;
        assert_eq!(sent(&out), vec![(QUERY_UNAVAILABLE.into(), Firing)]);
        assert!(out.alerts[0].0.annotations["description"].contains("connection refused"));
        // After the resend delay the firing alert is resent with its last known state (the synthetic
        // alert, sent half a minute ago, is not due).
        let out = g.eval(MIN, &q, opts).await;
        assert_eq!(sent(&out), vec![("Down".into(), Firing)]);
        assert_eq!(out.alerts[0].0.valid_until, 5 * MIN);
        // Past the tolerance it is no longer resent; the synthetic alert still is.
        let out = g.eval(11 * MIN, &q, opts).await;
        assert_eq!(sent(&out), vec![(QUERY_UNAVAILABLE.into(), Firing)]);

        // Recovery: the synthetic alert resolves, once.
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "api")], 0.0)]);
        q.set("sum by (job) (up)", &[]);
        let out = g.eval(12 * MIN, &q, opts).await;
        assert!(sent(&out).contains(&(QUERY_UNAVAILABLE.into(), Inactive)), "{:?}", sent(&out));
        assert!(g
            .eval(13 * MIN, &q, opts)
            .await
            .alerts
            .iter()
            .all(|(a, _)| a.labels["alertname"] != QUERY_UNAVAILABLE));

        // Without the option (Prometheus): nothing at all is sent during the outage.
        let mut g = group(RULES);
        q.set("up == 0", &[(&[("__name__", "up"), ("job", "api")], 0.0)]);
        g.eval(0, &q, PROMETHEUS).await;
        q.fail("up == 0", down());
        assert!(g.eval(2 * MIN, &q, PROMETHEUS).await.alerts.is_empty());
    }
}
