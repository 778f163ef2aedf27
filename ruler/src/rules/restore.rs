//! Alert state carried across restarts and reloads, in one place: what a restart reads back
//! ([`Restore`]: `ALERTS_FOR_STATE` samples and the alerts kept firing), how a group takes it
//! ([`Group::restore`], [`Group::restore_kept_firing`]) and how a reloaded group takes over the
//! running one's alerts ([`Group::copy_state`]). Each alert's own rules are in [`super::alerting`].

use std::collections::BTreeMap;

use promapi::Labels;

use super::alerting::{Alert, RestoreOptions};
use super::group::{Group, Rule};

/// The alerts kept firing by `keep_firing_for`, by group key (`file;name`), then rule name.
pub type KeptFiring = BTreeMap<String, Vec<(String, Alert)>>;

/// Alert state from before a restart, and how to restore it.
pub struct Restore {
    pub opts: RestoreOptions,
    /// `ALERTS_FOR_STATE` samples: labels, sample time, `active_at` in seconds.
    pub states: Vec<(Labels, i64, f64)>,
    pub kept_firing: KeptFiring,
}

impl Restore {
    /// Gives `group` (known as `key`) its alerts' state back at `now`, after its first evaluation
    /// (which creates the alerts); returns how many alerts were restored.
    pub fn apply(&self, group: &mut Group, key: &str, now: i64) -> usize {
        let mut restored = group.restore(&self.states, now, self.opts);
        if let Some(kept) = self.kept_firing.get(key) {
            restored += group.restore_kept_firing(kept, now);
        }
        restored
    }
}

impl Group {
    /// After a restart: gives alerts back their state from `ALERTS_FOR_STATE` samples (see
    /// [`super::alerting::AlertingRule::restore`]). Call after the first evaluation, which creates the alerts.
    pub fn restore(&mut self, states: &[(Labels, i64, f64)], now: i64, opts: RestoreOptions) -> usize {
        let mut restored = 0;
        for (rule, _) in &mut self.rules {
            if let Rule::Alerting(r) = rule {
                let mine: Vec<(Labels, i64, f64)> =
                    states.iter().filter(|(l, _, _)| l.get("alertname") == Some(&r.name)).cloned().collect();
                restored += r.restore(&mine, now, opts);
            }
        }
        restored
    }

    /// The alerts kept firing by `keep_firing_for`, by rule name (saved aside for restarts).
    pub fn kept_firing(&self) -> Vec<(String, Alert)> {
        let mut out = Vec::new();
        for (rule, _) in &self.rules {
            if let Rule::Alerting(r) = rule {
                out.extend(r.kept_firing().into_iter().map(|a| (r.name.clone(), a)));
            }
        }
        out
    }

    /// After a restart: brings back alerts that were kept firing (see [`super::alerting::AlertingRule::restore_kept_firing`]).
    pub fn restore_kept_firing(&mut self, kept: &[(String, Alert)], now: i64) -> usize {
        let mut restored = 0;
        for (rule, _) in &mut self.rules {
            if let Rule::Alerting(r) = rule {
                let mine: Vec<Alert> =
                    kept.iter().filter(|(n, _)| *n == r.name).map(|(_, a)| a.clone()).collect();
                restored += r.restore_kept_firing(&mine, now);
            }
        }
        restored
    }

    /// After a reload: takes over the alerts (and staleness bookkeeping) of `old`'s rules of the same
    /// name, so a reload neither re-notifies nor restarts `for`.
    pub fn copy_state(&mut self, old: &Group) {
        for (rule, status) in &mut self.rules {
            let Some((old_rule, old_status)) = old.rules.iter().find(|(r, _)| r.name() == rule.name()) else {
                continue;
            };
            status.clone_from(old_status);
            if let (Rule::Alerting(new), Rule::Alerting(prev)) = (rule, old_rule) {
                new.active = prev.active.clone();
            }
        }
        self.unavailable = old.unavailable.clone();
        self.last_eval_ms = old.last_eval_ms;
    }
}
