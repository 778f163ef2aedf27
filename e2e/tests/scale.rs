//! The console at scale: 5,000 series × 200 points (a million points) from a query API that answers
//! every query with them. The chart draws (decimated per pixel column), the legend and table render
//! their first entries with a "show all" escape, decoding and drawing are split into slices with the
//! page free in between, and the page keeps answering.

use anyhow::{ensure, Result};
use axum::routing::post;
use axum::Router;

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::{big_answer, serve_api, serve_console};

const SERIES: usize = 5_000;
const POINTS: usize = 200;

#[tokio::test]
async fn a_million_points_draw_and_the_lists_cap_with_show_all() -> Result<()> {
    let (instant, range) =
        (big_answer("big", SERIES, POINTS, false), big_answer("big", SERIES, POINTS, true));
    let api = serve_api(
        Router::new()
            .route(
                "/api/v1/query",
                post(move || async move { ([("content-type", "application/json")], instant) }),
            )
            .route(
                "/api/v1/query_range",
                post(move || async move { ([("content-type", "application/json")], range) }),
            ),
    )
    .await?;
    let console = serve_console(&api).await?;
    let b = Browser::start().await?;

    let panel = GraphPage::open(&b, &console, "g0.expr=big&g0.tab=0&g0.range_input=1h").await?.panel(0);
    b.wait_mark("console:drawn").await?;
    panel.wait_legend(500).await?;
    let (decode, draw) = (b.marks("console:decode-slice").await?, b.marks("console:draw-slice").await?);
    // The decode always pauses once before drawing; more pauses mean more slices.
    assert!(
        decode >= 2 && draw >= 1,
        "a million points decoded and drawn in slices: {decode} and {draw} pauses"
    );
    let started = std::time::Instant::now();
    b.js("return 1").await?;
    ensure!(started.elapsed().as_millis() < 1_000, "the page answers at once once drawn");
    panel.show_whole_legend().await?;
    panel.wait_legend(SERIES).await?;

    panel.show_table().await?;
    panel.wait_rows(1_000).await?;
    panel.show_all_rows().await?;
    panel.wait_rows(SERIES).await?;
    b.close().await
}
