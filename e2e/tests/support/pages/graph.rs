//! The graph page (`/graph?g0.expr=…`): its panels, the clock warning above them, how the theme
//! looks, and the queries the page has sent.

use anyhow::{Context, Result};

use super::panel::Panel;
use super::top_bar::TopBar;
use crate::support::browser::Browser;

pub struct GraphPage<'a> {
    b: &'a Browser,
}

/// How dark the page looks: the `dark` class on `<html>`, the first panel's chart background (a
/// corner pixel), and the theme chosen in the top bar.
#[derive(Debug)]
pub struct Looks {
    pub page_dark: bool,
    pub chart_dark: bool,
    pub theme: String,
}

impl<'a> GraphPage<'a> {
    /// Opens `{console}/graph`, with `query` (`g0.expr=…&g0.tab=1`) when it is not empty.
    pub async fn open(b: &'a Browser, console: &str, query: &str) -> Result<GraphPage<'a>> {
        let url =
            if query.is_empty() { format!("{console}/graph") } else { format!("{console}/graph?{query}") };
        b.goto(&url).await?;
        Ok(GraphPage { b })
    }

    /// The graph page the browser shows now (reached by a link or a reload).
    pub fn on(b: &'a Browser) -> GraphPage<'a> {
        GraphPage { b }
    }

    /// The `index`th panel (`g{index}`).
    pub fn panel(&self, index: usize) -> Panel<'a> {
        Panel::new(self.b, index)
    }

    pub fn top_bar(&self) -> TopBar<'a> {
        TopBar::new(self.b)
    }

    /// Clicks "Add panel".
    pub async fn add_panel(&self) -> Result<()> {
        self.b.click("[data-testid=add-panel]").await
    }

    /// Waits until the caret is in panel `i`'s editor; fails after the patience if it never is.
    pub async fn wait_editor_focused(&self, i: usize) -> Result<()> {
        let script = format!(
            "return document.activeElement === document.querySelector('[data-testid=panel-{i}] [data-testid=expr]')"
        );
        self.b
            .wait_for(&format!("panel {i}'s editor to have the focus"), || async {
                Ok(self.b.js(&script).await?.as_bool().unwrap_or(false).then_some(()))
            })
            .await
    }

    /// Waits until the page has exactly `n` panels.
    pub async fn wait_panels(&self, n: usize) -> Result<()> {
        self.b.wait_count("section.panel", n).await
    }

    /// Whether the page says it could not read `config.json`.
    pub async fn shows_config_error(&self) -> Result<bool> {
        Ok(self.b.count("[data-testid=config-error]").await? > 0)
    }

    /// Waits until the warning about the server's clock contains `needle`; returns it.
    pub async fn wait_clock_warning(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=clock-warning]", needle).await
    }

    pub async fn shows_clock_warning(&self) -> Result<bool> {
        Ok(self.b.count("[data-testid=clock-warning]").await? > 0)
    }

    /// Waits until the clock warning is gone.
    pub async fn wait_clock_warning_gone(&self) -> Result<()> {
        self.b.wait_count("[data-testid=clock-warning]", 0).await
    }

    /// How dark the page and the first panel's chart look, and the theme chosen.
    pub async fn looks(&self) -> Result<Looks> {
        let v = self
            .b
            .js(r#"const c = document.querySelector('[data-testid=panel-0] [data-testid=canvas]');
                   const p = c.getContext('2d').getImageData(2, 2, 1, 1).data;
                   return [document.documentElement.classList.contains('dark'), p[0] + p[1] + p[2] < 200,
                           document.querySelector('[data-testid=theme]').value];"#)
            .await?;
        Ok(Looks {
            page_dark: v[0].as_bool().context("the page's class")?,
            chart_dark: v[1].as_bool().context("the chart's background")?,
            theme: v[2].as_str().unwrap_or_default().to_string(),
        })
    }

    /// How many query requests (instant and range) the page has sent so far (resource timing sees
    /// every fetch).
    pub async fn queries_sent(&self) -> Result<u64> {
        self.requests_sent("/api/v1/query").await
    }

    /// How many range queries the page has sent so far.
    pub async fn range_queries_sent(&self) -> Result<u64> {
        self.requests_sent("query_range").await
    }

    async fn requests_sent(&self, path: &str) -> Result<u64> {
        let script = format!(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes({path:?})).length;"
        );
        Ok(self.b.js(&script).await?.as_u64().unwrap_or(0))
    }
}
