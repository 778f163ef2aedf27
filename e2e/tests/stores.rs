//! The Stores page and the panels' store filter against the Thanos API fixture (two sidecars, one
//! failing store).

use anyhow::{ensure, Result};
use testkit::fixture::{self, FixtureOptions, Recorded, FAILING_STORE, SIDECAR_A, SIDECAR_B};

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::pages::stores::StoresPage;
use crate::support::serve_console;

async fn stack() -> Result<(String, String)> {
    let addr = fixture::spawn(FixtureOptions { failing_store: true, ..Default::default() }).await?;
    let api = format!("http://{addr}");
    let console = serve_console(&api).await?;
    Ok((api, console))
}

async fn last_request(api: &str) -> Result<Option<Recorded>> {
    let all: Vec<Recorded> = reqwest::get(format!("{api}/__fixture/requests")).await?.json().await?;
    Ok(all.into_iter().last())
}

#[tokio::test]
async fn the_stores_page_lists_each_endpoint_with_its_health() -> Result<()> {
    let (_api, console) = stack().await?;
    let b = Browser::start().await?;
    let stores = StoresPage::open(&b, &console).await?;
    stores.wait_stores(3).await?;
    ensure!(stores.types().await? == ["sidecar", "store"]);
    ensure!(stores.names().await? == [SIDECAR_A, SIDECAR_B, FAILING_STORE]);
    let status = stores.statuses().await?;
    ensure!(status == ["up", "up", "down"], "{status:?}");
    let labels = stores.labels().await?;
    ensure!(labels[0] == r#"{region="eu", replica="a"}"#, "{labels:?}");
    let errors = stores.errors().await?;
    ensure!(errors[0].is_empty() && errors[2].contains("connection refused"), "{errors:?}");
    ensure!(stores.min_times().await?[2] == "-∞");
    ensure!(stores.max_times().await?[0] == "+∞");
    b.close().await
}

#[tokio::test]
async fn choosing_a_store_sends_store_match_and_keeps_it_in_the_url() -> Result<()> {
    let (api, console) = stack().await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=fixture_up&g0.tab=1&g0.deduplicate=0").await?.panel(0);
    panel.wait_rows(4).await?;
    panel.wait_partial_notice().await?;

    // Only sidecar a: its replica's series, and no failure from the store that was not asked.
    panel.open_store_filter().await?;
    panel.wait_store_choices(3).await?;
    panel.choose_store(SIDECAR_A).await?;
    panel.wait_rows(2).await?;
    let names = panel.series_names().await?;
    ensure!(names.iter().all(|n| n.contains(r#"replica="a""#)), "{names:?}");
    ensure!(!panel.shows_partial_notice().await?, "the failing store was not asked");
    let sent = last_request(&api).await?.map(|r| r.values("storeMatch[]").join(" ")).unwrap_or_default();
    ensure!(sent == format!(r#"{{__address__="{SIDECAR_A}"}}"#), "{sent}");
    let url = b.url().await?;
    ensure!(url.contains("g0.store_matches=%5B%7B%22name%22%3A%22127.0.0.1%3A19090%22%7D%5D"), "{url}");

    // The link brings the choice back.
    b.goto(&url).await?;
    panel.wait_rows(2).await?;
    panel.wait_store_filter("1 chosen").await?;
    b.close().await
}
