//! The Rules page (`/rules`): rule groups, their rules, health and query links, and what our ruler
//! adds (evaluation history, the query as a command, a failed reload).

use anyhow::Result;

use super::top_bar::TopBar;
use super::{attrs, badges};
use crate::support::browser::Browser;

pub struct RulesPage<'a> {
    b: &'a Browser,
}

impl<'a> RulesPage<'a> {
    /// Opens `{console}/rules`.
    pub async fn open(b: &'a Browser, console: &str) -> Result<RulesPage<'a>> {
        b.goto(&format!("{console}/rules")).await?;
        Ok(RulesPage { b })
    }

    pub fn top_bar(&self) -> TopBar<'a> {
        TopBar::new(self.b)
    }

    /// Waits until the page lists exactly `n` rules.
    pub async fn wait_rules(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=rule]", n).await
    }

    pub async fn group_names(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=group-name]").await
    }

    /// Waits until a group's name contains `needle`; returns it.
    pub async fn wait_group(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=group-name]", needle).await
    }

    /// Each group's file.
    pub async fn group_files(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=group-file]").await
    }

    /// Each group's health summary ("3 rules, all ok").
    pub async fn group_health(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=group-health]").await
    }

    /// Each group's interval and evaluation times.
    pub async fn group_meta(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=group-meta]").await
    }

    pub async fn rule_names(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=rule-name]").await
    }

    /// Each rule's health badge, lower-cased.
    pub async fn rule_health(&self) -> Result<Vec<String>> {
        badges(self.b, "[data-testid=rule-health]").await
    }

    /// Each rule's labels, for the rules that have some.
    pub async fn rule_labels(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=rule-labels]").await
    }

    /// Each rule's query, as the text of its link.
    pub async fn queries(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=rule-expr]").await
    }

    /// Where each rule's query link leads, as written (relative to the console's base).
    pub async fn query_links(&self) -> Result<Vec<String>> {
        attrs(self.b, "[data-testid=rule-expr]", "href").await
    }

    /// Waits for the first rule's query link; returns where it leads, resolved to an absolute URL.
    pub async fn first_query_url(&self) -> Result<Option<String>> {
        Ok(self.b.find("[data-testid=rule-expr]").await?.prop("href").await?)
    }

    /// Follows the `i`th rule's query link.
    pub async fn open_query(&self, i: usize) -> Result<()> {
        super::click_nth(self.b, "[data-testid=rule-expr]", i).await
    }

    /// Opens the `i`th rule's evaluation history (our ruler's); waits for its rows and returns them
    /// as text, newest first.
    pub async fn open_history(&self, i: usize) -> Result<Vec<String>> {
        super::click_nth(self.b, "[data-testid=rule-history] summary", i).await?;
        self.b
            .wait_for("evaluation rows", || async {
                let shown = self.b.texts("[data-testid=rule-history][open] [data-testid=evaluation]").await?;
                Ok((!shown.is_empty()).then_some(shown))
            })
            .await
    }

    /// The command that repeats the query of the rule whose history is open.
    pub async fn open_command(&self) -> Result<String> {
        self.b
            .find("[data-testid=rule-history][open] [data-testid=rule-command]")
            .await?
            .text()
            .await
            .map_err(Into::into)
    }

    /// The rules flagged as never matching anything.
    pub async fn never_matched(&self) -> Result<usize> {
        Ok(self.b.texts("[data-testid=rule-never-matched]").await?.len())
    }

    /// What the page says of a failed reload, if it says anything.
    pub async fn reload_failure(&self) -> Result<Option<String>> {
        Ok(self.b.texts("[data-testid=reload-failed]").await?.into_iter().next())
    }

    /// Waits until the page's error contains `needle`; returns it.
    pub async fn wait_error(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=error]", needle).await
    }
}
