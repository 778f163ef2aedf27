//! The expression editor against a real Prometheus: highlighting, bracket pairs, error marks and
//! Format (promql-parser's prettify, run in the parser worker).

use anyhow::Result;
use testkit::process::Prometheus;

use crate::support::browser::{keys, Browser};
use crate::support::pages::graph::GraphPage;
use crate::support::serve_console;

/// A console on a Prometheus that scrapes itself (so `up` has a series), with the Graph page open.
async fn editor() -> Result<(Prometheus, Browser)> {
    let prom = Prometheus::start(&[], "", None).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    GraphPage::open(&b, &console, "g0.tab=1").await?.panel(0).input().await?;
    Ok((prom, b))
}

/// The indexes of the highlighted spans marked as a bracket pair.
fn marked(spans: &[(String, String)]) -> Vec<usize> {
    spans.iter().enumerate().filter(|(_, (c, _))| c.contains("match")).map(|(i, _)| i).collect()
}

#[tokio::test]
async fn typing_highlights_functions_and_durations() -> Result<()> {
    let (_prom, b) = editor().await?;
    let panel = GraphPage::on(&b).panel(0);
    panel.input().await?.type_keys("sum(rate(up[5m]))").await?;
    let spans = b
        .wait_for("the mirror to colour the text", || async {
            let spans = panel.highlighted().await?;
            Ok(spans.iter().any(|(c, t)| c == "tok-duration" && t == "5m").then_some(spans))
        })
        .await?;
    assert!(spans.iter().any(|(c, t)| c == "tok-function" && t == "rate"), "{spans:?}");
    assert!(spans.iter().any(|(c, t)| c == "tok-aggregation" && t == "sum"), "{spans:?}");
    assert!(spans.iter().any(|(c, t)| c == "tok-metric" && t == "up"), "{spans:?}");
    // The mirror holds exactly the textarea's text (plus the trailing filler space).
    assert_eq!(panel.highlighted_text().await?, "sum(rate(up[5m])) ");
    // The textarea's own text is invisible; the mirror's is what the user sees.
    assert_eq!(panel.input_text_colour().await?, "rgba(0, 0, 0, 0)");
    b.close().await
}

#[tokio::test]
async fn an_unclosed_bracket_is_underlined_and_enter_sends_nothing() -> Result<()> {
    let (_prom, b) = editor().await?;
    let graph = GraphPage::on(&b);
    let panel = graph.panel(0);
    let expr = panel.input().await?;
    expr.type_keys("sum(up").await?;
    let err = panel.wait_parse_error("Parse error").await?;
    assert!(err.len() > "Parse error: ".len(), "{err}");
    assert_eq!(panel.error_mark().await?, "(");
    assert_eq!(panel.error_mark_style().await?, "wavy");

    let before = graph.queries_sent().await?;
    expr.type_keys(keys::ENTER).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(graph.queries_sent().await?, before, "a query was sent");
    assert!(!panel.shows_stats().await?);

    // Closing the bracket clears both.
    expr.type_keys(")").await?;
    panel.wait_parse_error_gone().await?;
    assert!(!panel.shows_error_mark().await?);
    b.close().await
}

#[tokio::test]
async fn a_live_parse_error_waits_for_a_pause_moves_nothing_and_marks_the_result_stale() -> Result<()> {
    let (_prom, b) = editor().await?;
    let panel = GraphPage::on(&b).panel(0);
    let expr = panel.input().await?;
    let top = panel.tabs_top().await?;
    // Typed a key at a time, a valid query is incomplete at almost every key: no error shows while
    // typing goes on, and nothing below the editor moves.
    for c in r#"sum(rate(up{job="prometheus"}[5m]))"#.chars() {
        expr.type_keys(&c.to_string()).await?;
        let typed = std::time::Instant::now();
        let shown = panel.shows_parse_error().await?;
        // Only a look within the pause tells: on a slow machine the pause may have passed.
        if typed.elapsed() < std::time::Duration::from_millis(300) {
            assert!(!shown, "an error showed while typing, at {c:?}");
        }
        assert_eq!(panel.tabs_top().await?, top, "the tabs moved at {c:?}");
    }
    panel.press_execute().await?;
    panel.wait_stats("Result series").await?;

    // A pause on broken text shows its error, still without moving anything, and the result below
    // is marked as the previous expression's.
    expr.type_keys(" +").await?;
    panel.wait_parse_error("Parse error").await?;
    assert_eq!(panel.tabs_top().await?, top, "the error moved the tabs");
    let note = panel.wait_stale_note().await?;
    assert!(note.contains(r#"sum(rate(up{job="prometheus"}[5m]))"#), "{note}");
    expr.type_keys(" 1").await?;
    panel.wait_parse_error_gone().await?;
    panel.wait_stale_note_gone().await?;
    b.close().await
}

#[tokio::test]
async fn the_caret_after_a_bracket_marks_its_pair() -> Result<()> {
    let (_prom, b) = editor().await?;
    let panel = GraphPage::on(&b).panel(0);
    let expr = panel.input().await?;
    expr.type_keys("sum(rate(up[5m]))").await?;
    // The caret is after the last `)`: it and the first `(` are marked.
    let marked_pair = b
        .wait_for("a marked bracket pair", || async {
            let spans = panel.highlighted().await?;
            let marked = marked(&spans);
            Ok((marked.len() == 2).then_some((spans, marked)))
        })
        .await?;
    let (spans, marked_at) = marked_pair;
    assert_eq!(spans[marked_at[0]], ("tok-bracket match".to_string(), "(".to_string()));
    assert_eq!(spans[marked_at[1]], ("tok-bracket match".to_string(), ")".to_string()));
    assert_eq!(spans[marked_at[0] - 1].1, "sum", "{spans:?}");
    assert_eq!(marked_at[1], spans.len() - 1, "{spans:?}");

    // Left arrow: the caret sits between `)` and `)`, after the inner call's `)`.
    expr.type_keys(keys::ARROW_LEFT).await?;
    b.wait_for("the inner pair to be marked", || async {
        let spans = panel.highlighted().await?;
        let marked = marked(&spans);
        Ok((marked.len() == 2 && spans.get(marked[0].wrapping_sub(1)).is_some_and(|s| s.1 == "rate"))
            .then_some(()))
    })
    .await?;
    b.close().await
}

#[tokio::test]
async fn format_prettifies_like_promql_parser_and_the_result_runs() -> Result<()> {
    let (_prom, b) = editor().await?;
    let panel = GraphPage::on(&b).panel(0);
    let input = "sum by(job)(rate(up[5m]))";
    let want = promql_parser::parser::parse(input).map_err(anyhow::Error::msg)?.prettify();
    assert_ne!(want, input);
    let expr = panel.input().await?;
    expr.type_keys(input).await?;
    panel.format().await?;
    b.wait_for("the text to be formatted", || async { Ok((expr.value().await? == want).then_some(())) })
        .await?;
    // Ctrl+Z undoes Format, and Ctrl+Shift+Z… is the browser's: one undo step is the whole Format.
    expr.type_keys(&format!("{}z{}", keys::CONTROL, keys::RELEASE)).await?;
    b.wait_for("Format to be undone", || async { Ok((expr.value().await? == input).then_some(())) }).await?;
    panel.format().await?;
    b.wait_for("the text to be formatted again", || async {
        Ok((expr.value().await? == want).then_some(()))
    })
    .await?;
    panel.press_execute().await?;
    let stats = panel.wait_stats("Result series").await?;
    assert!(!panel.shows_error().await?, "{stats}");
    assert!(b.url().await?.contains("g0.expr="), "the formatted query is in the URL");

    // An invalid expression is left as it is, with the parse error shown.
    expr.clear().await?;
    expr.type_keys("sum by(job)(up").await?;
    panel.format().await?;
    panel.wait_parse_error("Parse error").await?;
    assert_eq!(expr.value().await?, "sum by(job)(up");
    b.close().await
}
