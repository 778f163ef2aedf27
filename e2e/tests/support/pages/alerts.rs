//! The Alerts page (`/alerts`): alerting rules with their state, their alerts, and the state and text
//! filters.

use anyhow::Result;

use super::badges;
use super::top_bar::TopBar;
use crate::support::browser::Browser;

pub struct AlertsPage<'a> {
    b: &'a Browser,
}

impl<'a> AlertsPage<'a> {
    /// Opens `{console}/alerts`.
    pub async fn open(b: &'a Browser, console: &str) -> Result<AlertsPage<'a>> {
        b.goto(&format!("{console}/alerts")).await?;
        Ok(AlertsPage { b })
    }

    /// The Alerts page the browser shows now (reached by a link).
    pub fn on(b: &'a Browser) -> AlertsPage<'a> {
        AlertsPage { b }
    }

    pub fn top_bar(&self) -> TopBar<'a> {
        TopBar::new(self.b)
    }

    /// Waits until the page lists exactly `n` alerting rules.
    pub async fn wait_rules(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=alert-rule]", n).await
    }

    /// The alerting rules' names.
    pub async fn rule_names(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=alert-rule-name]").await
    }

    /// Each alerting rule's state badge, lower-cased.
    pub async fn rule_states(&self) -> Result<Vec<String>> {
        badges(self.b, "[data-testid=alert-rule-state]").await
    }

    /// The queries shown (those of the unfolded rules).
    pub async fn queries(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=rule-expr]").await
    }

    /// Waits until exactly `n` queries are shown.
    pub async fn wait_queries(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=rule-expr]", n).await
    }

    /// Opens (or folds) the `i`th alerting rule.
    pub async fn toggle_rule(&self, i: usize) -> Result<()> {
        super::click_nth(self.b, "[data-testid=alert-rule] summary", i).await
    }

    /// The count shown next to the `state` filter (`inactive`, `pending`, `firing`).
    pub async fn state_count(&self, state: &str) -> Result<Vec<String>> {
        self.b.texts(&format!("[data-testid=count-{state}]")).await
    }

    /// Ticks or unticks showing rules in `state`.
    pub async fn toggle_state(&self, state: &str) -> Result<()> {
        self.b.click(&format!("[data-testid=show-{state}]")).await
    }

    /// Types `text` into the text filter.
    pub async fn filter(&self, text: &str) -> Result<()> {
        self.b.type_into("[data-testid=alerts-filter]", text).await
    }

    /// Waits until the page says there is nothing to show, with `needle` in its words.
    pub async fn wait_empty(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=empty]", needle).await
    }

    /// Waits until exactly `n` alerts are listed.
    pub async fn wait_alerts(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=alert]", n).await
    }

    /// How many alerts are listed now.
    pub async fn alert_count(&self) -> Result<usize> {
        self.b.count("[data-testid=alert]").await
    }

    /// Each alert's state badge, lower-cased.
    pub async fn alert_states(&self) -> Result<Vec<String>> {
        badges(self.b, "[data-testid=alert-state]").await
    }

    pub async fn alert_values(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=alert-value]").await
    }

    /// Since when each alert is active.
    pub async fn alert_active_since(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=alert-active-since]").await
    }

    pub async fn alert_labels(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=alert-labels]").await
    }

    pub async fn alert_annotations(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=alert-annotations]").await
    }
}
