//! What the Rules and Alerts pages show of `/api/v1/rules`: filters by alert state and text, counts per
//! state, links to a rule's query, and times in words.
//!
//! The same response comes from Prometheus, the Thanos Querier and our ruler, so the Alerts page reads
//! alerts from the alerting rules (as the Prometheus UI does) instead of asking `/api/v1/alerts` too.
//!
//! The response is read into the flat, lenient types below rather than `promapi::rules`, which are
//! strict: Prometheus 2.42 leaves `labels` out of a recording rule without labels, and older Thanos
//! wrote empty lists as `null`. Patching the JSON before decoding into those types cost about 10 KB
//! more gzipped wasm on the first screen than these types (their `type`-tagged enum also makes serde
//! buffer every rule).

use promapi::{ApiResponse, Labels};
use serde::{Deserialize, Deserializer};

use crate::time::{format_duration, format_time, parse_time};

/// `data` of `/api/v1/rules`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rules {
    #[serde(deserialize_with = "or_default")]
    pub groups: Vec<Group>,
    /// Our ruler's: how the last reload of the rule files went.
    pub last_reload: Option<Reload>,
}

/// A reload of the rule files (our ruler's `lastReload`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Reload {
    pub success: bool,
    /// RFC 3339.
    pub time: String,
    pub error: Option<String>,
}

/// One evaluation of a rule (our ruler's `evaluations`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Evaluation {
    /// RFC 3339.
    pub time: String,
    /// Seconds.
    pub duration: f64,
    pub series_returned: u64,
    pub samples_written: u64,
    pub alerts_changed: u64,
    pub error: Option<String>,
    #[serde(deserialize_with = "or_default")]
    pub warnings: Vec<String>,
}

/// A rule group, as every server sends it (`partialResponseStrategy` from Thanos only).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    pub name: String,
    pub file: String,
    #[serde(deserialize_with = "or_default")]
    pub rules: Vec<Rule>,
    /// Seconds.
    pub interval: f64,
    pub limit: u64,
    /// RFC 3339; Go's zero time before the first evaluation.
    pub last_evaluation: String,
    /// Seconds.
    pub evaluation_time: f64,
    pub partial_response_strategy: Option<String>,
}

/// A recording or alerting rule (`type`); the alerting fields stay empty for a recording rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rule {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub query: String,
    #[serde(deserialize_with = "or_default")]
    pub labels: Labels,
    pub health: String,
    pub last_error: Option<String>,
    /// Our ruler's: warnings of the last evaluation's query.
    #[serde(deserialize_with = "or_default")]
    pub warnings: Vec<String>,
    /// Seconds.
    pub evaluation_time: f64,
    pub last_evaluation: String,
    /// Alerting: `inactive`, `pending` or `firing`, the most severe of its alerts.
    pub state: String,
    /// Alerting: `for`, seconds.
    pub duration: f64,
    /// Alerting: seconds.
    pub keep_firing_for: f64,
    #[serde(deserialize_with = "or_default")]
    pub annotations: Labels,
    #[serde(deserialize_with = "or_default")]
    pub alerts: Vec<Alert>,
    /// Our ruler's: the last evaluations, newest first.
    #[serde(deserialize_with = "or_default")]
    pub evaluations: Vec<Evaluation>,
    /// Our ruler's: a curl that sends the rule's query as the ruler sent it.
    pub query_command: Option<String>,
    /// Our ruler's: no series in a long run of evaluations.
    pub never_matched: bool,
}

impl Rule {
    pub fn is_alerting(&self) -> bool {
        self.kind == "alerting"
    }
}

/// An alert of an alerting rule; annotations as the server rendered them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Alert {
    #[serde(deserialize_with = "or_default")]
    pub labels: Labels,
    #[serde(deserialize_with = "or_default")]
    pub annotations: Labels,
    pub state: String,
    pub active_at: Option<String>,
    /// As the server formats it (`1e+00`).
    pub value: String,
}

/// `null` read as the empty value (a missing field already is, by `#[serde(default)]`).
fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads a `/api/v1/rules` answer (data or error envelope); never panics on what a server sends.
pub fn decode_rules(body: &str) -> Result<ApiResponse<Rules>, serde_json::Error> {
    serde_json::from_str(body)
}

/// State of an alert, and of an alerting rule (its most severe alert).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [AlertState::Inactive, AlertState::Pending, AlertState::Firing];

    /// `None` for a state this console does not know (shown, never filtered out).
    pub fn parse(s: &str) -> Option<AlertState> {
        match s {
            "inactive" => Some(AlertState::Inactive),
            "pending" => Some(AlertState::Pending),
            "firing" => Some(AlertState::Firing),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            AlertState::Inactive => "Inactive",
            AlertState::Pending => "Pending",
            AlertState::Firing => "Firing",
        }
    }
}

/// Which states the Alerts page shows (all by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateFilter {
    pub inactive: bool,
    pub pending: bool,
    pub firing: bool,
}

impl Default for StateFilter {
    fn default() -> Self {
        StateFilter { inactive: true, pending: true, firing: true }
    }
}

impl StateFilter {
    pub fn shows(&self, state: AlertState) -> bool {
        match state {
            AlertState::Inactive => self.inactive,
            AlertState::Pending => self.pending,
            AlertState::Firing => self.firing,
        }
    }

    pub fn set(&mut self, state: AlertState, on: bool) {
        match state {
            AlertState::Inactive => self.inactive = on,
            AlertState::Pending => self.pending = on,
            AlertState::Firing => self.firing = on,
        }
    }

    /// Whether a state as the API writes it is shown; unknown states always are.
    fn shows_str(&self, state: &str) -> bool {
        AlertState::parse(state).is_none_or(|s| self.shows(s))
    }
}

/// Alerting rules per state, for the Alerts page's header (as the Prometheus UI counts them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub inactive: usize,
    pub pending: usize,
    pub firing: usize,
}

impl Counts {
    pub fn of(&self, state: AlertState) -> usize {
        match state {
            AlertState::Inactive => self.inactive,
            AlertState::Pending => self.pending,
            AlertState::Firing => self.firing,
        }
    }
}

pub fn counts(data: &Rules) -> Counts {
    let mut c = Counts::default();
    for rule in alerting_rules(data) {
        match AlertState::parse(&rule.state) {
            Some(AlertState::Inactive) => c.inactive += 1,
            Some(AlertState::Pending) => c.pending += 1,
            Some(AlertState::Firing) => c.firing += 1,
            None => {}
        }
    }
    c
}

fn alerting_rules(data: &Rules) -> impl Iterator<Item = &Rule> {
    data.groups.iter().flat_map(|g| g.rules.iter()).filter(|r| r.is_alerting())
}

/// Free-text filter: whitespace-separated terms, each of which must occur (case-insensitively) in a
/// rule's name, group name, expression, labels or annotations, or in one of its alerts' labels or
/// annotations. Labels match as `name="value"` and `name=value`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextFilter {
    terms: Vec<String>,
}

impl TextFilter {
    pub fn new(text: &str) -> TextFilter {
        TextFilter { terms: text.split_whitespace().map(str::to_ascii_lowercase).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn all_in(&self, haystacks: &[&str]) -> bool {
        self.terms.iter().all(|t| haystacks.iter().any(|h| h.contains(t.as_str())))
    }
}

/// Lower-cased searchable text of a rule and its group.
fn rule_text(group: &Group, rule: &Rule) -> String {
    let mut s = format!("{}\n{}\n{}\n", group.name, rule.name, rule.query);
    push_labels(&mut s, &rule.labels);
    push_labels(&mut s, &rule.annotations);
    // ASCII only: Unicode case tables would cost the page about 10 KB of wasm.
    s.to_ascii_lowercase()
}

fn alert_text(alert: &Alert) -> String {
    let mut s = String::new();
    push_labels(&mut s, &alert.labels);
    push_labels(&mut s, &alert.annotations);
    s.to_ascii_lowercase()
}

fn push_labels(s: &mut String, labels: &Labels) {
    for (k, v) in labels {
        s.push_str(&format!("{k}=\"{v}\"\n{k}={v}\n"));
    }
}

/// The Rules page: groups with the rules the text matches (all of a group's rules when its name
/// matches every term). Groups left without rules are dropped, unless nothing is filtered.
pub fn filter_rules(data: &Rules, text: &TextFilter) -> Vec<Group> {
    if text.is_empty() {
        return data.groups.clone();
    }
    data.groups
        .iter()
        .filter_map(|g| {
            let rules: Vec<Rule> =
                g.rules.iter().filter(|r| text.all_in(&[&rule_text(g, r)])).cloned().collect();
            (!rules.is_empty()).then(|| Group { rules, ..g.clone() })
        })
        .collect()
}

/// The Alerts page: alerting rules in a shown state, with their alerts in a shown state, that the
/// text matches. A rule the text matches keeps all those alerts; otherwise it keeps the alerts that,
/// together with the rule, match every term. Groups left without rules are dropped.
pub fn filter_alerts(data: &Rules, states: StateFilter, text: &TextFilter) -> Vec<Group> {
    data.groups
        .iter()
        .filter_map(|g| {
            let rules: Vec<Rule> = g
                .rules
                .iter()
                .filter(|r| r.is_alerting() && states.shows_str(&r.state))
                .filter_map(|r| {
                    let shown = r.alerts.iter().filter(|a| states.shows_str(&a.state));
                    let own = if text.is_empty() { String::new() } else { rule_text(g, r) };
                    let alerts: Vec<Alert> = if text.is_empty() || text.all_in(&[&own]) {
                        shown.cloned().collect()
                    } else {
                        let alerts: Vec<Alert> =
                            shown.filter(|a| text.all_in(&[&own, &alert_text(a)])).cloned().collect();
                        if alerts.is_empty() {
                            return None;
                        }
                        alerts
                    };
                    Some(Rule { alerts, ..r.clone() })
                })
                .collect();
            (!rules.is_empty()).then(|| Group { rules, ..g.clone() })
        })
        .collect()
}

/// Rules in a group by health: `(ok, err, unknown)`.
pub fn health_counts(group: &Group) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for r in &group.rules {
        match r.health.as_str() {
            "ok" => c.0 += 1,
            "err" => c.1 += 1,
            _ => c.2 += 1,
        }
    }
    c
}

/// A group's health in a few words: `3 rules, all ok` or `3 rules: 1 error, 1 not yet evaluated`.
pub fn health_summary(group: &Group) -> String {
    let total = group.rules.len();
    let noun = if total == 1 { "rule" } else { "rules" };
    let (ok, err, unknown) = health_counts(group);
    if ok == total {
        return if total == 0 { "no rules".into() } else { format!("{total} {noun}, all ok") };
    }
    let mut parts = Vec::new();
    if err > 0 {
        parts.push(format!("{err} {}", if err == 1 { "error" } else { "errors" }));
    }
    if unknown > 0 {
        parts.push(format!("{unknown} not yet evaluated"));
    }
    format!("{total} {noun}: {}", parts.join(", "))
}

/// The console's own graph page running `expr` as a table, relative to the current page (the Thanos
/// UI's link format, as `--alert.query-url` writes it). The encoder is the one `url_state` uses.
pub fn graph_link(expr: &str) -> String {
    let mut query = form_urlencoded::Serializer::for_suffix(String::from("graph?"), "graph?".len());
    query.append_pair("g0.expr", expr).append_pair("g0.tab", "1");
    query.finish()
}

/// An RFC 3339 instant from the API as unix ms; `None` for Go's zero time (`0001-01-01T00:00:00Z`,
/// "never evaluated") and anything unreadable.
pub fn instant(rfc3339: &str) -> Option<i64> {
    parse_time(rfc3339).filter(|t| *t > 0)
}

/// How long ago `then_ms` was, in two units at most: `12s ago`, `3m12s ago`, `2h5m ago`, `1d2h ago`.
/// Up to a second ahead (clocks differ) is `just now`.
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let d = now_ms - then_ms;
    if d.abs() < 1000 {
        return "just now".into();
    }
    let words = coarse(d.abs());
    if d > 0 {
        format!("{words} ago")
    } else {
        format!("in {words}")
    }
}

/// `ms` as a Prometheus duration cut to its two largest units.
fn coarse(ms: i64) -> String {
    const S: i64 = 1000;
    let unit = match ms {
        ms if ms >= 7 * 86_400 * S => 86_400 * S,
        ms if ms >= 86_400 * S => 3_600 * S,
        ms if ms >= 3_600 * S => 60 * S,
        _ => S,
    };
    format_duration(ms - ms % unit)
}

/// `last evaluation` of a group or rule: `3s ago`, or `never` before the first evaluation.
pub fn last_evaluation(now_ms: i64, rfc3339: &str) -> String {
    instant(rfc3339).map(|t| ago(now_ms, t)).unwrap_or_else(|| "never".into())
}

/// `active since` of an alert: the UTC time and how long ago, e.g. `2023-11-14 22:13:20 UTC (5m3s ago)`.
pub fn active_since(now_ms: i64, active_at: Option<&str>) -> String {
    match active_at.and_then(instant) {
        Some(t) => format!("{} UTC ({})", format_time(t), ago(now_ms, t)),
        None => "—".into(),
    }
}

/// Why the rules shown may be old: the last reload failed (when, and the error), if it did.
pub fn reload_failure(now_ms: i64, rules: &Rules) -> Option<String> {
    let r = rules.last_reload.as_ref().filter(|r| !r.success)?;
    let when = last_evaluation(now_ms, &r.time);
    let why = r.error.as_deref().unwrap_or("no reason given");
    Some(format!(
        "The last reload of the rule files ({when}) failed, so these are the rules loaded before it. {why}"
    ))
}

/// An evaluation's row: when, how long, series returned, samples written, alerts changed.
pub fn evaluation_cells(now_ms: i64, e: &Evaluation) -> [String; 5] {
    [
        active_since(now_ms, Some(&e.time)),
        seconds_short(e.duration),
        e.series_returned.to_string(),
        e.samples_written.to_string(),
        e.alerts_changed.to_string(),
    ]
}

/// An evaluation time in seconds, short: `336.838µs`, `1.144ms`, `2.064s`.
pub fn seconds_short(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".into();
    }
    let (v, unit) = if secs < 1e-3 {
        (secs * 1e6, "µs")
    } else if secs < 1.0 {
        (secs * 1e3, "ms")
    } else {
        (secs, "s")
    };
    let s = format!("{v:.3}");
    format!("{}{unit}", s.trim_end_matches('0').trim_end_matches('.'))
}

/// A rule's `for`, `keep_firing_for` or a group's interval (seconds) as a Prometheus duration.
pub fn seconds_duration(secs: f64) -> String {
    format_duration((secs * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::url_state::{self, Tab};

    /// `/api/v1/rules` of a real Prometheus 2.42: group `demo` (a recording rule; `AlwaysFiring` with
    /// HTML in a label and an annotation; `WaitsLong` pending with `for: 1h`, `keep_firing_for: 5m`;
    /// `NeverFires`; `Broken`, whose evaluation fails) and group `hourly`, not evaluated yet.
    const PROMETHEUS: &str = include_str!("../../tests/data/prometheus-2.42-rules.json");
    /// `2026-11-23T01:04:12.5Z`, ten seconds after the capture's last evaluation.
    const NOW: i64 = 1_795_395_852_500;

    fn captured() -> Rules {
        decode_rules(PROMETHEUS).unwrap().data.unwrap()
    }

    /// Our ruler's additions, as `promapi` (the ruler's side) writes them, read by this page's types.
    #[test]
    fn reads_our_ruler_s_history_command_and_reload() {
        use promapi::rules as ruler;
        let evaluation = ruler::Evaluation {
            time: "2026-11-23T01:04:02.5Z".into(),
            duration: 0.0012,
            series_returned: 3,
            samples_written: 4,
            alerts_changed: 1,
            error: None,
            warnings: vec!["store b: timeout".into()],
        };
        let rule = ruler::Rule::Recording(ruler::RecordingRule {
            name: "job:up:sum".into(),
            query: "sum by (job) (up)".into(),
            labels: Labels::new(),
            health: "ok".into(),
            last_error: None,
            warnings: vec![],
            evaluation_time: 0.0012,
            last_evaluation: "2026-11-23T01:04:02.5Z".into(),
            insight: ruler::Insight {
                evaluations: vec![evaluation],
                query_command: Some("curl -sS 'http://q/api/v1/query'".into()),
                never_matched: true,
            },
        });
        let data = ruler::RulesData {
            groups: vec![ruler::RuleGroup {
                name: "g".into(),
                file: "f.yaml".into(),
                rules: vec![rule],
                interval: 10.0,
                limit: 0,
                last_evaluation: "2026-11-23T01:04:02.5Z".into(),
                evaluation_time: 0.0012,
                partial_response_strategy: Some("ABORT".into()),
            }],
            last_reload: Some(ruler::ReloadStatus {
                success: false,
                time: "2026-11-23T01:03:52.5Z".into(),
                error: Some("rules.yaml:5:15: could not parse expression".into()),
            }),
        };
        let body = serde_json::to_string(&promapi::ApiResponse::success(data)).unwrap();
        let got = decode_rules(&body).unwrap().data.unwrap();
        let r = &got.groups[0].rules[0];
        assert!(r.never_matched);
        assert_eq!(r.query_command.as_deref(), Some("curl -sS 'http://q/api/v1/query'"));
        assert_eq!(
            evaluation_cells(NOW, &r.evaluations[0]),
            ["2026-11-23 01:04:02 UTC (10s ago)", "1.2ms", "3", "4", "1"].map(String::from)
        );
        assert_eq!(r.evaluations[0].warnings, vec!["store b: timeout"]);
        let failure = reload_failure(NOW, &got).unwrap();
        assert!(failure.starts_with("The last reload of the rule files (20s ago) failed"), "{failure}");
        assert!(failure.ends_with("rules.yaml:5:15: could not parse expression"), "{failure}");
        assert_eq!(reload_failure(NOW, &captured()), None, "Prometheus says nothing of reloads");
    }

    #[test]
    fn decodes_what_prometheus_and_thanos_send() {
        let data = captured();
        assert_eq!(data.groups.len(), 2);
        let r = &data.groups[1].rules[0];
        assert_eq!((r.kind.as_str(), r.name.as_str()), ("recording", "instance:up:max"));
        assert!(r.labels.is_empty(), "Prometheus leaves out empty labels of a recording rule");
        let a = &data.groups[0].rules[1];
        assert!(a.is_alerting());
        assert_eq!(a.labels["payload"], "<script>alert(1)</script>");
        assert_eq!(a.alerts[0].annotations["summary"], "value 1 <img src=x onerror=alert(2)>");
        assert_eq!(a.alerts[0].value, "1e+00");
        let w = &data.groups[0].rules[2];
        assert_eq!((w.state.as_str(), w.duration, w.keep_firing_for), ("pending", 3600.0, 300.0));

        // Older Thanos Querier: empty lists as null, plus its partial response strategy.
        let thanos = r#"{"status":"success","data":{"groups":[{"name":"g","file":"f.yaml","rules":[
            {"type":"alerting","state":"inactive","name":"A","query":"up == 0","duration":0,"labels":null,
             "annotations":null,"alerts":null,"health":"unknown","evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}],
            "interval":60,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","partialResponseStrategy":"WARN"},
            {"name":"empty","file":"f.yaml","rules":null,"interval":60,"evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z"}]},
            "warnings":["no rules from one store"]}"#;
        let r = decode_rules(thanos).unwrap();
        assert_eq!(r.warnings, vec!["no rules from one store"]);
        let d = r.data.unwrap();
        assert_eq!(d.groups[0].partial_response_strategy.as_deref(), Some("WARN"));
        assert!(d.groups[0].rules[0].labels.is_empty() && d.groups[0].rules[0].alerts.is_empty());
        assert!(d.groups[1].rules.is_empty());

        // The error envelope, and things that are not the API's JSON, never panic.
        let e =
            decode_rules(r#"{"status":"error","errorType":"bad_data","error":"invalid parameter"}"#).unwrap();
        assert_eq!(e.error.as_deref(), Some("invalid parameter"));
        let wrong_types = [
            r#"{"status":"success","data":{"groups":[1]}}"#,
            r#"{"status":"success","data":{"groups":[{"rules":[{"name":2}]}]}}"#,
        ];
        for bad in ["", "<html>502</html>", "null", "[]"].into_iter().chain(wrong_types) {
            assert!(decode_rules(bad).is_err(), "{bad:?}");
        }
    }

    /// `["group: rule, rule", …]`.
    fn names(groups: &[Group]) -> Vec<String> {
        let rules = |g: &Group| g.rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
        groups.iter().map(|g| format!("{}: {}", g.name, rules(g))).collect()
    }

    fn rule_names(groups: &[Group]) -> Vec<Vec<String>> {
        groups.iter().map(|g| g.rules.iter().map(|r| r.name.clone()).collect()).collect()
    }

    #[test]
    fn counts_alerting_rules_per_state() {
        let c = counts(&captured());
        assert_eq!(c, Counts { inactive: 2, pending: 1, firing: 1 });
        assert_eq!(c.of(AlertState::Pending), 1);
    }

    #[test]
    fn state_filter_hides_rules_and_alerts() {
        let data = captured();
        let all = filter_alerts(&data, StateFilter::default(), &TextFilter::default());
        assert_eq!(names(&all), vec!["demo: AlwaysFiring, WaitsLong, NeverFires, Broken"]);
        assert_eq!(all[0].rules[0].alerts.len(), 1);

        let mut no_firing = StateFilter::default();
        no_firing.set(AlertState::Firing, false);
        let shown = filter_alerts(&data, no_firing, &TextFilter::default());
        assert_eq!(names(&shown), vec!["demo: WaitsLong, NeverFires, Broken"]);

        let only_inactive = StateFilter { inactive: true, pending: false, firing: false };
        let shown = filter_alerts(&data, only_inactive, &TextFilter::default());
        assert_eq!(names(&shown), vec!["demo: NeverFires, Broken"]);

        let none = StateFilter { inactive: false, pending: false, firing: false };
        assert!(filter_alerts(&data, none, &TextFilter::default()).is_empty(), "empty groups are dropped");
    }

    #[test]
    fn a_firing_rule_hides_its_pending_alerts_when_pending_is_unticked() {
        let mut data = captured();
        let a = &mut data.groups[0].rules[1];
        let mut pending = a.alerts[0].clone();
        pending.state = "pending".into();
        pending.labels.insert("instance".into(), "b".into());
        a.alerts.push(pending);
        let firing_only = StateFilter { inactive: false, pending: false, firing: true };
        let shown = filter_alerts(&data, firing_only, &TextFilter::default());
        assert_eq!(shown[0].rules[0].alerts.len(), 1);
        assert_eq!(shown[0].rules[0].alerts[0].state, "firing");
    }

    #[test]
    fn unknown_states_are_never_filtered_out() {
        let mut data = captured();
        let a = &mut data.groups[0].rules[1];
        a.state = "unknown".into();
        let none = StateFilter { inactive: false, pending: false, firing: false };
        assert_eq!(names(&filter_alerts(&data, none, &TextFilter::default())), vec!["demo: AlwaysFiring"]);
    }

    #[test]
    fn text_matches_name_group_expression_labels_and_annotations() {
        let data = captured();
        let f = |t: &str| names(&filter_alerts(&data, StateFilter::default(), &TextFilter::new(t)));
        assert_eq!(f("alwaysfiring"), vec!["demo: AlwaysFiring"], "case-insensitive name");
        assert_eq!(f("vector(2)"), vec!["demo: WaitsLong"], "expression");
        assert_eq!(f("severity=ticket"), vec!["demo: WaitsLong"], "label without quotes");
        assert_eq!(f(r#"severity="page""#), vec!["demo: AlwaysFiring"], "label as PromQL writes it");
        assert_eq!(f("<img"), vec!["demo: AlwaysFiring"], "annotation");
        assert_eq!(f("DEMO"), vec!["demo: AlwaysFiring, WaitsLong, NeverFires, Broken"], "group name");
        assert_eq!(f("demo never"), vec!["demo: NeverFires"], "every term must match");
        assert!(f("nothing-matches-this").is_empty());
        assert_eq!(f("  "), f(""), "blank text filters nothing");
    }

    #[test]
    fn text_matching_only_an_alert_keeps_just_that_alert() {
        let mut data = captured();
        let a = &mut data.groups[0].rules[1];
        let mut other = a.alerts[0].clone();
        other.labels.insert("instance".into(), "host-b".into());
        a.alerts.push(other);
        let shown =
            filter_alerts(&data, StateFilter::default(), &TextFilter::new("alwaysfiring instance=host-b"));
        assert_eq!(shown[0].rules[0].alerts.len(), 1);
        assert_eq!(shown[0].rules[0].alerts[0].labels["instance"], "host-b");
        // The rule's own text matching keeps every alert.
        let shown = filter_alerts(&data, StateFilter::default(), &TextFilter::new("alwaysfiring"));
        assert_eq!(shown[0].rules[0].alerts.len(), 2);
        // The rendered annotation (`value 1`) is the alert's, not the rule's template.
        let shown = filter_alerts(&data, StateFilter::default(), &TextFilter::new("value 1"));
        assert_eq!(names(&shown), vec!["demo: AlwaysFiring"]);
    }

    #[test]
    fn rules_page_filter_keeps_recording_rules_and_drops_empty_groups() {
        let data = captured();
        assert_eq!(filter_rules(&data, &TextFilter::default()), data.groups, "no filter, every group");
        assert_eq!(rule_names(&filter_rules(&data, &TextFilter::new("job:up"))), vec![vec!["job:up:sum"]]);
        assert_eq!(
            rule_names(&filter_rules(&data, &TextFilter::new("source=capture"))),
            vec![vec!["job:up:sum"]]
        );
        assert_eq!(
            rule_names(&filter_rules(&data, &TextFilter::new("hourly"))),
            vec![vec!["instance:up:max"]]
        );
        assert!(filter_rules(&data, &TextFilter::new("zzz")).is_empty());
    }

    #[test]
    fn group_health_in_words() {
        let data = captured();
        assert_eq!(health_counts(&data.groups[0]), (4, 1, 0));
        assert_eq!(health_summary(&data.groups[0]), "5 rules: 1 error");
        assert_eq!(health_summary(&data.groups[1]), "1 rule: 1 not yet evaluated");
        let mut ok = data.groups[0].clone();
        ok.rules.retain(|r| r.health == "ok");
        assert_eq!(health_summary(&ok), "4 rules, all ok");
        ok.rules.clear();
        assert_eq!(health_summary(&ok), "no rules");
    }

    #[test]
    fn broken_rule_keeps_its_error() {
        let data = captured();
        let b = &data.groups[0].rules[4];
        assert_eq!(b.health, "err");
        assert_eq!(b.last_error.as_deref(), Some("invalid regular expression in label_replace(): ("));
    }

    #[test]
    fn graph_link_opens_the_query_as_a_table() {
        let expr = r#"sum by (job) (rate(x{a="b&c"}[5m])) > 0 # 100%"#;
        let link = graph_link(expr);
        assert_eq!(graph_link("vector(1) > 0"), "graph?g0.expr=vector%281%29+%3E+0&g0.tab=1");
        let query = link.strip_prefix("graph?").unwrap();
        let panels = url_state::decode(query, &Default::default());
        assert_eq!(panels.len(), 1);
        assert_eq!(panels[0].expr, expr);
        assert_eq!(panels[0].tab, Tab::Table);
    }

    #[test]
    fn times_in_words() {
        let data = captured();
        let g = &data.groups[0];
        assert_eq!(last_evaluation(NOW, &g.last_evaluation), "10s ago");
        assert_eq!(last_evaluation(NOW, &data.groups[1].last_evaluation), "never", "Go's zero time");
        assert_eq!(last_evaluation(NOW, "garbage"), "never");
        let a = &g.rules[1];
        assert_eq!(active_since(NOW, a.alerts[0].active_at.as_deref()), "2026-11-23 01:03:51 UTC (21s ago)");
        assert_eq!(active_since(NOW, None), "—");

        assert_eq!(ago(NOW, NOW + 400), "just now");
        assert_eq!(ago(NOW, NOW + 5_000), "in 5s");
        assert_eq!(ago(NOW, NOW - 192_000), "3m12s ago");
        assert_eq!(ago(NOW, NOW - (2 * 3600 + 5 * 60 + 7) * 1000), "2h5m ago");
        assert_eq!(ago(NOW, NOW - (26 * 3600 + 59) * 1000), "1d2h ago");
        assert_eq!(ago(NOW, NOW - 10 * 86_400_000 - 3_600_000), "1w3d ago");
    }

    #[test]
    fn durations_short() {
        assert_eq!(seconds_short(0.000336838), "336.838µs");
        assert_eq!(seconds_short(0.001144434), "1.144ms");
        assert_eq!(seconds_short(2.0637), "2.064s");
        assert_eq!(seconds_short(0.0), "0µs");
        assert_eq!(seconds_short(f64::NAN), "—");
        assert_eq!(seconds_duration(3600.0), "1h");
        assert_eq!(seconds_duration(300.0), "5m");
        assert_eq!(seconds_duration(0.5), "500ms");
    }
}
