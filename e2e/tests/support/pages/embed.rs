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

    /// Where "Open in console" leads (the `href` as written, relative).
    pub async fn open_console_link(&self) -> Result<String> {
        Ok(self.b.find("[data-testid=open-console]").await?.attr("href").await?.unwrap_or_default())
    }
}
