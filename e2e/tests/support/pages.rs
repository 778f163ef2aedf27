//! Page objects: what a user does on each page of the console and what they see there, named so.
//! The `data-testid` selectors live here (and the generic helpers in [`super::browser`]), not in the
//! scenarios.
//!
//! - [`graph::GraphPage`]: the graph page (`/graph?g0.expr=…`): its panels, adding one, the clock
//!   warning, the theme as it looks, the queries sent.
//! - [`panel::Panel`]: one panel (of the graph page or of an embed): expression editor, completion,
//!   tabs, table, legend and chart, stats and warnings, the Thanos switches, the expression tree.
//! - [`embed::EmbedPage`]: `/embed?g0.expr=…`, one panel alone.
//! - [`rules::RulesPage`], [`alerts::AlertsPage`], [`stores::StoresPage`], [`status::StatusPage`].
//! - [`top_bar::TopBar`]: the navigation and the theme choice every full page has.
//!
//! Methods wait as the browser helpers do (for what a user would see, never a fixed sleep); those
//! that read return what is shown now.

pub mod alerts;
pub mod embed;
pub mod graph;
pub mod panel;
pub mod rules;
pub mod status;
pub mod stores;
pub mod top_bar;

use anyhow::{Context, Result};

use super::browser::Browser;

/// Texts of badges, lower-cased: CSS upper-cases them, and WebDriver reads the rendered text.
async fn badges(b: &Browser, css: &str) -> Result<Vec<String>> {
    Ok(b.texts(css).await?.into_iter().map(|t| t.to_lowercase()).collect())
}

/// The attribute `name` of each element matching `css` (empty where missing), in document order.
async fn attrs(b: &Browser, css: &str, name: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in b.find_all(css).await? {
        out.push(e.attr(name).await?.unwrap_or_default());
    }
    Ok(out)
}

/// Clicks the `i`th element matching `css` (document order).
async fn click_nth(b: &Browser, css: &str, i: usize) -> Result<()> {
    let all = b.find_all(css).await?;
    all.get(i).with_context(|| format!("no {css} number {i} ({} found)", all.len()))?.click().await?;
    Ok(())
}
