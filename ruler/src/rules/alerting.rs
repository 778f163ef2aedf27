//! Alerting rules and their alerts' lifecycle, with Prometheus' semantics:
//! inactive → pending (`active_at`) → firing once `for` has passed; a firing alert whose series
//! disappears stays firing for `keep_firing_for`, then resolves and is kept (and resent) for 15 minutes.

use std::collections::BTreeMap;

use promapi::Labels;

use super::{RuleError, Sample};

/// How long resolved alerts are kept, and resent, after they resolve (ms).
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Resolved: the condition no longer holds.
    Inactive,
    /// The condition holds, for less than `for`.
    Pending,
    /// The condition has held for `for`.
    Firing,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of a rule, identified by its label set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: Labels,
    pub value: f64,
    pub state: AlertState,
    pub active_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub last_sent_at: Option<i64>,
    pub valid_until: i64,
    pub keep_firing_since: Option<i64>,
}

impl Alert {
    /// Whether the notifier should send this alert at `ts` (Prometheus' `needsSending`).
    pub fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        // A resolved alert not sent since it resolved goes out at once.
        if let (Some(resolved), Some(sent)) = (self.resolved_at, self.last_sent_at) {
            if resolved > sent {
                return true;
            }
        }
        match self.last_sent_at {
            None => true,
            Some(sent) => sent + resend_delay_ms <= ts,
        }
    }
}

/// Renders label and annotation templates of an alert: `(template, series labels, value) → text`.
pub type Render<'a> = &'a dyn Fn(&str, &Labels, f64) -> String;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertingRule {
    pub name: String,
    pub expr: String,
    pub for_ms: i64,
    pub keep_firing_for_ms: i64,
    pub labels: Labels,
    pub annotations: Labels,
    /// Alerts by label set.
    pub active: BTreeMap<Labels, Alert>,
}

impl AlertingRule {
    pub fn new(
        name: String,
        expr: String,
        for_ms: i64,
        keep_firing_for_ms: i64,
        labels: Labels,
        annotations: Labels,
    ) -> Self {
        AlertingRule { name, expr, for_ms, keep_firing_for_ms, labels, annotations, active: BTreeMap::new() }
    }

    /// Advances the alerts with the query result at `ts` and returns the `ALERTS` and
    /// `ALERTS_FOR_STATE` samples, stamped `sample_t` (the query time, `ts - query_offset`).
    /// `limit` 0 means no limit; over it, every alert of the rule is dropped and this is an error.
    pub fn apply(
        &mut self,
        ts: i64,
        sample_t: i64,
        result: Vec<(Labels, f64)>,
        limit: usize,
        render: Render<'_>,
    ) -> Result<Vec<Sample>, RuleError> {
        // The alerts the result describes, with their rendered labels and annotations.
        let mut current: BTreeMap<Labels, (Labels, f64)> = BTreeMap::new();
        for (series, value) in result {
            let mut labels = series.clone();
            labels.remove("__name__");
            for (k, tmpl) in &self.labels {
                let v = render(tmpl, &series, value);
                if v.is_empty() {
                    labels.remove(k);
                } else {
                    labels.insert(k.clone(), v);
                }
            }
            labels.insert("alertname".into(), self.name.clone());
            let annotations: Labels =
                self.annotations.iter().map(|(k, t)| (k.clone(), render(t, &series, value))).collect();
            if current.insert(labels, (annotations, value)).is_some() {
                return Err(RuleError::DuplicateAlertLabelSet);
            }
        }

        for (labels, (annotations, value)) in &current {
            match self.active.get_mut(labels) {
                Some(a) if a.state != AlertState::Inactive => {
                    a.value = *value;
                    a.annotations = annotations.clone();
                }
                _ => {
                    self.active.insert(
                        labels.clone(),
                        Alert {
                            labels: labels.clone(),
                            annotations: annotations.clone(),
                            value: *value,
                            state: AlertState::Pending,
                            active_at: ts,
                            fired_at: None,
                            resolved_at: None,
                            last_sent_at: None,
                            valid_until: 0,
                            keep_firing_since: None,
                        },
                    );
                }
            }
        }

        let mut active_or_pending = 0;
        let mut samples = Vec::new();
        let mut gone = Vec::new();
        for (key, a) in self.active.iter_mut() {
            if !current.contains_key(key) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && self.keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < self.keep_firing_for_ms;
                }
                if a.state == AlertState::Pending
                    || a.resolved_at.is_some_and(|r| ts - r > RESOLVED_RETENTION_MS)
                {
                    gone.push(key.clone());
                }
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep_firing {
                    continue;
                }
            } else {
                a.keep_firing_since = None;
            }
            active_or_pending += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= self.for_ms {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            samples.push(alerts_sample(a, sample_t));
            samples.push(for_state_sample(a, sample_t));
        }
        for key in gone {
            self.active.remove(&key);
        }
        if limit > 0 && active_or_pending > limit {
            self.active.clear();
            return Err(RuleError::AlertLimit { limit, got: active_or_pending });
        }
        Ok(samples)
    }

    /// Alerts the notifier should send at `ts`; marks them sent and sets how long they stay valid.
    pub fn alerts_to_send(&mut self, ts: i64, resend_delay_ms: i64, interval_ms: i64) -> Vec<Alert> {
        self.due(ts, resend_delay_ms, interval_ms, false)
    }

    /// While the querier is unreachable: the firing alerts due for a resend, with their last known
    /// state, so that Alertmanager does not resolve them (Prometheus sends nothing then).
    pub fn firing_to_resend(&mut self, ts: i64, resend_delay_ms: i64, interval_ms: i64) -> Vec<Alert> {
        self.due(ts, resend_delay_ms, interval_ms, true)
    }

    fn due(&mut self, ts: i64, resend_delay_ms: i64, interval_ms: i64, firing_only: bool) -> Vec<Alert> {
        let valid_until = ts + 4 * resend_delay_ms.max(interval_ms);
        let mut out = Vec::new();
        for a in self.active.values_mut() {
            if firing_only && a.state != AlertState::Firing {
                continue;
            }
            if a.needs_sending(ts, resend_delay_ms) {
                // Set before sending, whatever the outcome, as Prometheus does.
                a.last_sent_at = Some(ts);
                a.valid_until = valid_until;
                out.push(a.clone());
            }
        }
        out
    }
}

/// `ALERTS{alertname, alertstate, <alert labels>} 1`.
/// How restoring alert state after a restart behaves (`--for-outage-tolerance`, `--for-grace-period`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestoreOptions {
    pub outage_tolerance_ms: i64,
    pub grace_period_ms: i64,
}

impl AlertingRule {
    /// Gives the rule's pending alerts back the `active_at` their last `ALERTS_FOR_STATE` sample
    /// (`(labels, sample time, active_at seconds)`) recorded before a restart at `now`. As
    /// Prometheus: the downtime is not counted towards `for`, and an alert with less than the grace
    /// period left waits that long. Beyond Prometheus (prometheus#15175): an alert that was firing
    /// fires again at once whatever its `for`, rather than starting over. Returns how many were restored.
    pub fn restore(&mut self, states: &[(Labels, i64, f64)], now: i64, opts: RestoreOptions) -> usize {
        let mut restored = 0;
        for (labels, down_at, value) in states {
            if value.to_bits() == super::STALE_NAN || now - down_at > opts.outage_tolerance_ms {
                continue;
            }
            let mut key = labels.clone();
            key.remove("__name__");
            let Some(a) = self.active.get_mut(&key) else { continue };
            if a.state != AlertState::Pending {
                continue;
            }
            let was_active = (*value * 1000.0) as i64;
            let remaining = self.for_ms - (down_at - was_active);
            a.active_at = if remaining <= 0 {
                was_active
            } else if remaining < opts.grace_period_ms {
                now + opts.grace_period_ms - self.for_ms
            } else {
                was_active + (now - down_at)
            };
            if remaining <= 0 {
                a.state = AlertState::Firing;
                // About when it fired first: Alertmanager keeps the earlier start anyway.
                a.fired_at = Some(was_active + self.for_ms);
            }
            restored += 1;
        }
        restored
    }
}

impl AlertingRule {
    /// Firing alerts kept firing by `keep_firing_for` after their condition stopped: state that
    /// `ALERTS_FOR_STATE` cannot carry, so the ruler saves it aside (prometheus#13957).
    pub fn kept_firing(&self) -> Vec<Alert> {
        self.active
            .values()
            .filter(|a| a.state == AlertState::Firing && a.keep_firing_since.is_some())
            .cloned()
            .collect()
    }

    /// After a restart: alerts that were kept firing and whose condition still does not hold go on
    /// firing until `keep_firing_for` after it stopped, as if the ruler had not restarted.
    pub fn restore_kept_firing(&mut self, kept: &[Alert], now: i64) -> usize {
        let mut restored = 0;
        for a in kept {
            let Some(since) = a.keep_firing_since else { continue };
            if self.active.contains_key(&a.labels) || now - since >= self.keep_firing_for_ms {
                continue;
            }
            self.active.insert(a.labels.clone(), a.clone());
            restored += 1;
        }
        restored
    }
}

fn alerts_sample(a: &Alert, t: i64) -> Sample {
    let mut labels = a.labels.clone();
    labels.insert("__name__".into(), "ALERTS".into());
    labels.insert("alertstate".into(), a.state.as_str().into());
    Sample { labels, t, v: 1.0 }
}

/// `ALERTS_FOR_STATE{alertname, <alert labels>} <active_at in unix seconds>`, for restoring after a restart.
fn for_state_sample(a: &Alert, t: i64) -> Sample {
    let mut labels = a.labels.clone();
    labels.insert("__name__".into(), "ALERTS_FOR_STATE".into());
    Sample { labels, t, v: (a.active_at / 1000) as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn plain(t: &str, _: &Labels, _: f64) -> String {
        t.to_string()
    }

    const MIN: i64 = 60_000;

    /// Evaluates `rule` at each minute with the series present or not, returning the state after each.
    fn run(rule: &mut AlertingRule, present: &[bool]) -> Vec<Option<AlertState>> {
        present
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let ts = i as i64 * MIN;
                let result = if p { vec![(l(&[("__name__", "up"), ("job", "x")]), 0.0)] } else { vec![] };
                rule.apply(ts, ts, result, 0, &plain).unwrap();
                rule.active.values().next().map(|a| a.state)
            })
            .collect()
    }

    use AlertState::*;

    #[test]
    fn restore_keeps_active_at_discounts_downtime_and_keeps_firing() {
        let opts = RestoreOptions { outage_tolerance_ms: 60 * MIN, grace_period_ms: 10 * MIN };
        let state = |id: &str, down_at: i64, active_s: i64| {
            (l(&[("__name__", "ALERTS_FOR_STATE"), ("alertname", "A"), ("id", id)]), down_at, active_s as f64)
        };
        let now = 1000 * MIN;
        let mut rule = AlertingRule::new("A".into(), "x".into(), 30 * MIN, 0, Labels::new(), Labels::new());
        let result: Vec<(Labels, f64)> =
            ["firing", "long", "short", "old"].iter().map(|id| (l(&[("id", id)]), 1.0)).collect();
        rule.apply(now, now, result, 0, &|t, _, _| t.to_string()).unwrap();
        let states = vec![
            // Active 40 min before going down at now-5m: was firing (for is 30m).
            state("firing", now - 5 * MIN, (now - 45 * MIN) / 1000),
            // Active 5 min before going down 20 min ago: 25 min left, more than the grace period.
            state("long", now - 20 * MIN, (now - 25 * MIN) / 1000),
            // Active 25 min before going down: 5 min left, less than the grace period.
            state("short", now - MIN, (now - 26 * MIN) / 1000),
            // Down longer than the outage tolerance: starts over.
            state("old", now - 61 * MIN, (now - 100 * MIN) / 1000),
        ];
        assert_eq!(rule.restore(&states, now, opts), 3);
        let get = |id: &str| rule.active[&l(&[("alertname", "A"), ("id", id)])].clone();
        assert_eq!((get("firing").state, get("firing").active_at), (Firing, now - 45 * MIN));
        assert_eq!((get("long").state, get("long").active_at), (Pending, now - 25 * MIN + 20 * MIN));
        assert_eq!(get("short").active_at, now + 10 * MIN - 30 * MIN, "fires after the grace period");
        assert_eq!(get("old").active_at, now);
    }

    #[test]
    fn kept_firing_alerts_come_back_until_keep_firing_for_ends() {
        let mut rule = AlertingRule::new("A".into(), "x".into(), 0, 10 * MIN, Labels::new(), Labels::new());
        let plain = |t: &str, _: &Labels, _: f64| t.to_string();
        rule.apply(0, 0, vec![(l(&[("id", "1")]), 1.0)], 0, &plain).unwrap();
        rule.apply(MIN, MIN, vec![], 0, &plain).unwrap();
        let kept = rule.kept_firing();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].keep_firing_since, Some(MIN));

        let mut restarted =
            AlertingRule::new("A".into(), "x".into(), 0, 10 * MIN, Labels::new(), Labels::new());
        assert_eq!(restarted.restore_kept_firing(&kept, 5 * MIN), 1);
        restarted.apply(6 * MIN, 6 * MIN, vec![], 0, &plain).unwrap();
        assert_eq!(
            restarted.active.values().next().map(|a| a.state),
            Some(Firing),
            "still within keep_firing_for"
        );
        restarted.apply(11 * MIN, 11 * MIN, vec![], 0, &plain).unwrap();
        assert_eq!(
            restarted.active.values().next().map(|a| a.state),
            Some(Inactive),
            "resolved when it ends"
        );
        let mut late = AlertingRule::new("A".into(), "x".into(), 0, 10 * MIN, Labels::new(), Labels::new());
        assert_eq!(late.restore_kept_firing(&kept, 12 * MIN), 0, "past keep_firing_for: nothing to restore");
    }

    #[test]
    fn state_machine() {
        // (for, keep_firing_for, presence per minute, expected state per minute)
        type Case = (i64, i64, Vec<bool>, Vec<Option<AlertState>>);
        let cases: Vec<Case> = vec![
            // for: 2m — pending until two minutes have passed, then firing; resolves when gone.
            (
                2 * MIN,
                0,
                vec![true, true, true, false, false],
                vec![Some(Pending), Some(Pending), Some(Firing), Some(Inactive), Some(Inactive)],
            ),
            // for: 0 fires at once.
            (0, 0, vec![true, false], vec![Some(Firing), Some(Inactive)]),
            // A pending alert whose series disappears is dropped, and starts over.
            (
                2 * MIN,
                0,
                vec![true, false, true, true, true],
                vec![Some(Pending), None, Some(Pending), Some(Pending), Some(Firing)],
            ),
            // keep_firing_for: 2m keeps it firing through a short gap, then resolves.
            (
                0,
                2 * MIN,
                vec![true, false, false, false],
                vec![Some(Firing), Some(Firing), Some(Firing), Some(Inactive)],
            ),
            // ... and coming back within the window resets the clock.
            (
                0,
                2 * MIN,
                vec![true, false, true, false, false, false],
                vec![Some(Firing), Some(Firing), Some(Firing), Some(Firing), Some(Firing), Some(Inactive)],
            ),
        ];
        for (i, (for_ms, keep, present, want)) in cases.into_iter().enumerate() {
            let mut rule =
                AlertingRule::new("A".into(), "up == 0".into(), for_ms, keep, Labels::new(), Labels::new());
            assert_eq!(run(&mut rule, &present), want, "case {i}");
        }
    }

    #[test]
    fn resolved_alerts_are_kept_for_fifteen_minutes_then_dropped() {
        let mut rule = AlertingRule::new("A".into(), "x".into(), 0, 0, Labels::new(), Labels::new());
        let mut present = vec![true];
        present.extend(std::iter::repeat_n(false, 17));
        let states = run(&mut rule, &present);
        assert_eq!(states[1], Some(Inactive));
        assert_eq!(states[16], Some(Inactive), "resolved at 1m, kept through 16m");
        assert_eq!(states[17], None, "more than 15m after resolving");
    }

    #[test]
    fn labels_annotations_and_series() {
        let render = |t: &str, labels: &Labels, v: f64| {
            t.replace("$job", &labels["job"]).replace("$value", &v.to_string())
        };
        let mut rule = AlertingRule::new(
            "Down".into(),
            "up == 0".into(),
            MIN,
            0,
            l(&[("severity", "page"), ("who", "$job")]),
            l(&[("summary", "$job is down ($value)")]),
        );
        let series = vec![(l(&[("__name__", "up"), ("job", "api")]), 0.0)];
        let samples = rule.apply(120_000, 110_000, series, 0, &render).unwrap();
        let a = rule.active.values().next().unwrap();
        assert_eq!(
            a.labels,
            l(&[("alertname", "Down"), ("job", "api"), ("severity", "page"), ("who", "api")])
        );
        assert_eq!(a.annotations, l(&[("summary", "api is down (0)")]));
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].labels["__name__"], "ALERTS");
        assert_eq!(samples[0].labels["alertstate"], "pending");
        assert_eq!((samples[0].t, samples[0].v), (110_000, 1.0));
        assert_eq!(samples[1].labels["__name__"], "ALERTS_FOR_STATE");
        assert!(!samples[1].labels.contains_key("alertstate"));
        assert_eq!(samples[1].v, 120.0, "active_at in seconds");
    }

    #[test]
    fn sending_follows_resend_delay_and_resolution() {
        let mut rule = AlertingRule::new("A".into(), "x".into(), 0, 0, Labels::new(), Labels::new());
        let s = vec![(Labels::new(), 1.0)];
        rule.apply(0, 0, s.clone(), 0, &plain).unwrap();
        let sent = rule.alerts_to_send(0, MIN, 15_000);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].valid_until, 4 * MIN);
        rule.apply(30_000, 30_000, s.clone(), 0, &plain).unwrap();
        assert!(rule.alerts_to_send(30_000, MIN, 15_000).is_empty(), "within the resend delay");
        rule.apply(60_000, 60_000, s, 0, &plain).unwrap();
        assert_eq!(rule.alerts_to_send(60_000, MIN, 15_000).len(), 1, "resent after the delay");
        rule.apply(75_000, 75_000, vec![], 0, &plain).unwrap();
        let resolved = rule.alerts_to_send(75_000, MIN, 15_000);
        assert_eq!(resolved.len(), 1, "resolution is sent at once");
        assert_eq!(resolved[0].resolved_at, Some(75_000));
    }

    #[test]
    fn pending_alerts_are_not_sent_and_limits_clear() {
        let mut rule = AlertingRule::new("A".into(), "x".into(), MIN, 0, Labels::new(), Labels::new());
        rule.apply(0, 0, vec![(Labels::new(), 1.0)], 0, &plain).unwrap();
        assert!(rule.alerts_to_send(0, MIN, MIN).is_empty());
        let two = vec![(l(&[("i", "1")]), 1.0), (l(&[("i", "2")]), 1.0)];
        assert_eq!(rule.apply(MIN, MIN, two, 1, &plain), Err(RuleError::AlertLimit { limit: 1, got: 2 }));
        assert!(rule.active.is_empty());
        let dup = vec![(l(&[("__name__", "a")]), 1.0), (l(&[("__name__", "b")]), 1.0)];
        assert_eq!(rule.apply(MIN, MIN, dup, 0, &plain), Err(RuleError::DuplicateAlertLabelSet));
    }
}
