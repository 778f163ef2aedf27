//! The Stores page and the panels' store filter against the Thanos API fixture (two sidecars, one
//! failing store).

use anyhow::{ensure, Result};
use testkit::fixture::{self, FixtureOptions, Recorded, FAILING_STORE, SIDECAR_A, SIDECAR_B};

use crate::support::browser::Browser;
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
    b.goto(&format!("{console}/stores")).await?;
    b.wait_count("[data-testid=store]", 3).await?;
    ensure!(b.texts("[data-testid=store-type-name]").await? == ["sidecar", "store"]);
    ensure!(b.texts("[data-testid=store-name]").await? == [SIDECAR_A, SIDECAR_B, FAILING_STORE]);
    let status: Vec<String> =
        b.texts("[data-testid=store-status]").await?.iter().map(|s| s.to_uppercase()).collect();
    ensure!(status == ["UP", "UP", "DOWN"], "{status:?}");
    let labels = b.texts("[data-testid=store-labels]").await?;
    ensure!(labels[0] == r#"{region="eu", replica="a"}"#, "{labels:?}");
    let errors = b.texts("[data-testid=store-error]").await?;
    ensure!(errors[0].is_empty() && errors[2].contains("connection refused"), "{errors:?}");
    ensure!(b.texts("[data-testid=store-min-time]").await?[2] == "-∞");
    ensure!(b.texts("[data-testid=store-max-time]").await?[0] == "+∞");
    b.close().await
}

#[tokio::test]
async fn choosing_a_store_sends_store_match_and_keeps_it_in_the_url() -> Result<()> {
    let (api, console) = stack().await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=fixture_up&g0.tab=1&g0.deduplicate=0")).await?;
    b.wait_count("[data-testid=series-row]", 4).await?;
    b.find("[data-testid=partial-notice]").await?;

    // Only sidecar a: its replica's series, and no failure from the store that was not asked.
    b.click("[data-testid=store-filter] summary").await?;
    b.wait_count("[data-testid=store-choice]", 3).await?;
    b.click(&format!("[data-testid=store-choice][value='{SIDECAR_A}']")).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    let names = b.texts("[data-testid=series-name]").await?;
    ensure!(names.iter().all(|n| n.contains(r#"replica="a""#)), "{names:?}");
    ensure!(b.find_all("[data-testid=partial-notice]").await?.is_empty(), "the failing store was not asked");
    let sent = last_request(&api).await?.map(|r| r.values("storeMatch[]").join(" ")).unwrap_or_default();
    ensure!(sent == format!(r#"{{__address__="{SIDECAR_A}"}}"#), "{sent}");
    let url = b.url().await?;
    ensure!(url.contains("g0.store_matches=%5B%7B%22name%22%3A%22127.0.0.1%3A19090%22%7D%5D"), "{url}");

    // The link brings the choice back.
    b.goto(&url).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    b.wait_text("[data-testid=store-filter] summary", "1 chosen").await?;
    b.close().await
}
