//! The embed page (`/embed?g0.expr=…`): the URL's first panel alone, for an iframe, with a link to
//! open it in the full console.

use anyhow::Result;

use super::panel::Panel;
use crate::support::browser::Browser;

pub struct EmbedPage<'a> {
    b: &'a Browser,
}

impl<'a> EmbedPage<'a> {
    /// Opens `{console}/embed?{query}`.
    pub async fn open(b: &'a Browser, console: &str, query: &str) -> Result<EmbedPage<'a>> {
        b.goto(&format!("{console}/embed?{query}")).await?;
        Ok(EmbedPage { b })
    }

    /// The embedded panel.
    pub fn panel(&self) -> Panel<'a> {
        Panel::new(self.b, 0)
    }

    /// How many panels the page shows.
    pub async fn panel_count(&self) -> Result<usize> {
        self.b.count("section.panel").await
    }

    /// How many ways to navigate or edit it shows: the top bar, an expression field, adding or
    /// removing a panel.
    pub async fn navigation_and_editing_controls(&self) -> Result<usize> {
        self.b.count(".topbar, [data-testid=expr], [data-testid=add-panel], [data-testid=remove-panel]").await
    }

    /// The query shown as text (read-only).
    pub async fn expression_shown(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=embed-expr]").await
    }

    /// The header's time window (`last 15m`) and freshness (`12:00:03 UTC ⟳ 5s`).
    pub async fn window_and_updated(&self) -> Result<(String, String)> {
        let window = self.b.find("[data-testid=embed-window]").await?.text().await?;
        Ok((window, self.b.find("[data-testid=embed-updated]").await?.text().await?))
    }

    /// Waits until the header says when the panel last answered; returns that text.
    pub async fn wait_updated(&self) -> Result<String> {
        self.b.wait_text("[data-testid=embed-updated]", "UTC").await
    }

    /// The frame's inner height, the chart's top and bottom, and the page's height (px).
    pub async fn frame_and_chart(&self) -> Result<[f64; 4]> {
        let v = self
            .b
            .js("const r = document.querySelector('[data-testid=canvas]').getBoundingClientRect(); \
                 return [window.innerHeight, r.top, r.bottom, document.documentElement.scrollHeight];")
            .await?;
        Ok([0, 1, 2, 3].map(|i| v[i].as_f64().unwrap_or(f64::NAN)))
    }

    /// Where "Open in console" leads (the `href` as written, relative).
    pub async fn open_console_link(&self) -> Result<String> {
        Ok(self.b.find("[data-testid=open-console]").await?.attr("href").await?.unwrap_or_default())
    }
}
