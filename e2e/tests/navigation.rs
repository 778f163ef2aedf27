//! Moving around the graph against a real Prometheus 2.42: the tooltip beside the pointer (nothing
//! below it moves), Back after a zoom and after a new query, zoom out and ◀ / ▶, an empty Range.

use anyhow::Result;
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::{serve_console, wait_scrapes};

#[tokio::test]
async fn the_tooltip_follows_the_pointer_and_back_undoes_zooms_and_queries() -> Result<()> {
    let prom = Prometheus::start(&[], "", None).await?;
    wait_scrapes(&prom.url, 2).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &console, "g0.expr=vector(1)&g0.tab=0&g0.range_input=1h").await?;
    let panel = graph.panel(0);
    panel.wait_legend(1).await?;

    // The tooltip sits beside the pointer, on the side with room, and the legend stays put.
    let legend_top = panel.legend_top().await?;
    for fx in [0.25, 0.9] {
        let (tip, chart) = b
            .wait_for("the tooltip", || async {
                panel.hover_at(fx).await?;
                panel.tooltip_and_chart().await
            })
            .await?;
        let x = chart[0] + (chart[1] - chart[0]) * fx;
        if fx < 0.5 {
            assert!(tip[0] > x && tip[0] < x + 40.0, "right of the pointer at {x}: {tip:?}");
        } else {
            assert!(tip[1] < x && tip[1] > x - 40.0, "left of the pointer at {x}: {tip:?}");
        }
        assert!(tip[2] >= chart[2] && tip[3] <= chart[3] + 1.0, "inside the chart: {tip:?} {chart:?}");
        assert_eq!(panel.legend_top().await?, legend_top, "the legend moved");
    }

    // A zoom is a history entry: Back returns to the hour.
    let entries = b.js("return history.length").await?.as_u64().unwrap_or(0);
    panel.drag(0.5, 0.75).await?;
    let (zoomed, end) = b
        .wait_for("a zoomed range", || async {
            let got = panel.range_and_end().await?;
            Ok((got.0 != "1h").then_some(got))
        })
        .await?;
    assert!(!end.is_empty(), "a zoom fixes the end");
    assert_eq!(b.js("return history.length").await?.as_u64().unwrap_or(0), entries + 1, "zoom: {zoomed}");
    b.js("history.back()").await?;
    assert_eq!(panel.wait_range("1h").await?.1, "", "Back: the hour up to now again");
    b.wait_url("range_input=1h", true).await?;

    // A new query is an entry too, and Back brings the expression back into the editor.
    panel.execute("count(up)").await?; // a new query
    b.wait_url("count", true).await?;
    b.js("history.back()").await?;
    b.wait_url("count", false).await?;
    b.wait_for("the editor to show up again", || async {
        let text = panel.input().await?.value().await?;
        Ok((text == "vector(1)").then_some(()))
    })
    .await?;

    // Zoom out doubles the range; ◀ fixes the end half a range back; ▶ returns to now.
    panel.zoom_out().await?;
    panel.wait_range("2h").await?;
    panel.step_earlier().await?;
    let (_, end) = b
        .wait_for("an end an hour back", || async {
            let got = panel.range_and_end().await?;
            Ok((!got.1.is_empty()).then_some(got))
        })
        .await?;
    assert!(end.starts_with("20"), "{end}");
    panel.step_later().await?;
    b.wait_for("the end back at now", || async {
        Ok(panel.range_and_end().await?.1.is_empty().then_some(()))
    })
    .await?;

    // An empty Range means the default hour, not an error: the axis is redrawn for it.
    let two_hours = panel.axis_labels().await?.0;
    panel.set_range("5m").await?;
    let five_minutes = panel.wait_time_labels_other_than(&two_hours).await?;
    panel.set_range("").await?;
    panel.wait_time_labels_other_than(&five_minutes).await?;
    assert!(!panel.shows_error().await?, "an empty range is an error");
    assert_eq!(panel.range_and_end().await?.0, "");
    b.close().await
}
