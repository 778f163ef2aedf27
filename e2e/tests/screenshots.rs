//! Screenshots of every page in light and dark at 1440 and 800 px, for review, into
//! `target/screenshots/` (or `$SCREENSHOTS_DIR`), which CI keeps. At each size and theme the page
//! must not scroll sideways and its content must be drawn.

use std::path::PathBuf;

use anyhow::{ensure, Result};

use crate::pages::prometheus_with_rules;
use crate::support::browser::Browser;
use crate::support::pages::alerts::AlertsPage;
use crate::support::pages::embed::EmbedPage;
use crate::support::pages::graph::GraphPage;
use crate::support::pages::rules::RulesPage;
use crate::support::pages::status::StatusPage;
use crate::support::serve_console;

fn folder() -> Result<PathBuf> {
    let dir = std::env::var_os("SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[tokio::test]
async fn every_page_in_both_themes_at_1440_and_800_px() -> Result<()> {
    let (prom, _rules) = prometheus_with_rules().await?;
    crate::support::wait_scrapes(&prom.url, 3).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let dir = folder()?;
    let graph = "g0.expr=rate(prometheus_http_requests_total%5B1m%5D)&g0.tab=0&g0.range_input=5m";
    let mut taken = Vec::new();
    for theme in ["light", "dark"] {
        // The theme choice is kept in localStorage: set it once on the console's origin.
        b.goto(&format!("{console}/status")).await?;
        b.js(&format!("localStorage.setItem('theme', '{theme}')")).await?;
        for width in [1440u32, 800] {
            b.client.set_window_size(width, 900).await?;
            let shot = |page: &str| dir.join(format!("{page}-{theme}-{width}.png"));

            let panel = GraphPage::open(&b, &console, graph).await?.panel(0);
            panel.wait_legend_at_least(1).await?;
            take(&b, &shot("graph"), &mut taken).await?;
            let table = GraphPage::open(&b, &console, "g0.expr=up&g0.tab=1").await?.panel(0);
            table.wait_rows(1).await?;
            take(&b, &shot("table"), &mut taken).await?;
            RulesPage::open(&b, &console).await?.wait_rules(3).await?;
            take(&b, &shot("rules"), &mut taken).await?;
            AlertsPage::open(&b, &console).await?.wait_rules(2).await?;
            take(&b, &shot("alerts"), &mut taken).await?;
            StatusPage::open(&b, &console).await?.wait_sections(3).await?;
            take(&b, &shot("status"), &mut taken).await?;
            EmbedPage::open(&b, &console, graph).await?.panel().wait_legend_at_least(1).await?;
            take(&b, &shot("embed"), &mut taken).await?;
        }
    }
    ensure!(taken.len() == 24, "{} screenshots", taken.len());
    b.close().await
}

/// Saves a screenshot once the page is laid out, after checking it does not scroll sideways and is
/// in the theme asked for.
async fn take(b: &Browser, path: &std::path::Path, taken: &mut Vec<PathBuf>) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
    let overflow = b.js("return document.documentElement.scrollWidth - window.innerWidth").await?;
    ensure!(overflow.as_f64().unwrap_or(0.0) <= 0.0, "{name}: the page scrolls sideways by {overflow} px");
    let dark = b.js("return document.documentElement.classList.contains('dark')").await?;
    ensure!(dark.as_bool() == Some(name.contains("-dark-")), "{name}: the page is not in its theme");
    b.screenshot(&path.to_string_lossy()).await?;
    ensure!(std::fs::metadata(path)?.len() > 5_000, "{name}: an empty screenshot");
    taken.push(path.to_path_buf());
    Ok(())
}
