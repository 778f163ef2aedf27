//! The expression editor against a real Prometheus: highlighting, bracket pairs, error marks and
//! Format (promql-parser's prettify, run in the parser worker).

use anyhow::Result;
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::serve_console;

/// A console on a Prometheus that scrapes itself (so `up` has a series), with the Graph page open.
async fn editor() -> Result<(Prometheus, Browser)> {
    let prom = Prometheus::start(&[], "", None).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.tab=1")).await?;
    b.find("[data-testid=expr]").await?;
    Ok((prom, b))
}

/// Query requests the page has sent so far (resource timing sees every fetch).
async fn queries_sent(b: &Browser) -> Result<u64> {
    let n = b
        .js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/query')).length;")
        .await?;
    Ok(n.as_u64().unwrap_or(0))
}

/// `(class, text)` of every span in the mirror.
async fn mirror_spans(b: &Browser) -> Result<Vec<(String, String)>> {
    let v = b
        .js("return [...document.querySelectorAll('[data-testid=mirror] span')].map(s => [s.className, s.textContent]);")
        .await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test]
async fn typing_highlights_functions_and_durations() -> Result<()> {
    let (_prom, b) = editor().await?;
    b.find("[data-testid=expr]").await?.send_keys("sum(rate(up[5m]))").await?;
    let spans = b
        .wait_for("the mirror to colour the text", || async {
            let spans = mirror_spans(&b).await?;
            Ok(spans.iter().any(|(c, t)| c == "tok-duration" && t == "5m").then_some(spans))
        })
        .await?;
    assert!(spans.iter().any(|(c, t)| c == "tok-function" && t == "rate"), "{spans:?}");
    assert!(spans.iter().any(|(c, t)| c == "tok-aggregation" && t == "sum"), "{spans:?}");
    assert!(spans.iter().any(|(c, t)| c == "tok-metric" && t == "up"), "{spans:?}");
    // The mirror holds exactly the textarea's text (plus the trailing filler space).
    let text = b.js("return document.querySelector('[data-testid=mirror]').textContent;").await?;
    assert_eq!(text.as_str(), Some("sum(rate(up[5m])) "));
    // The textarea's own text is invisible; the mirror's is what the user sees.
    let color = b.js("return getComputedStyle(document.querySelector('[data-testid=expr]')).color;").await?;
    assert_eq!(color.as_str(), Some("rgba(0, 0, 0, 0)"));
    b.close().await
}

#[tokio::test]
async fn an_unclosed_bracket_is_underlined_and_enter_sends_nothing() -> Result<()> {
    let (_prom, b) = editor().await?;
    let expr = b.find("[data-testid=expr]").await?;
    expr.send_keys("sum(up").await?;
    let err = b.wait_text("[data-testid=parse-error]", "Parse error").await?;
    assert!(err.len() > "Parse error: ".len(), "{err}");
    let mark = b.find("[data-testid=error-mark]").await?.text().await?;
    assert_eq!(mark, "(");
    let deco = b
        .js("return getComputedStyle(document.querySelector('[data-testid=error-mark]')).textDecorationStyle;")
        .await?;
    assert_eq!(deco.as_str(), Some("wavy"));

    let before = queries_sent(&b).await?;
    expr.send_keys("\u{E007}").await?; // Enter
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(queries_sent(&b).await?, before, "a query was sent");
    assert!(b.find_all("[data-testid=stats]").await?.is_empty());

    // Closing the bracket clears both.
    expr.send_keys(")").await?;
    b.wait_count("[data-testid=parse-error]", 0).await?;
    assert!(b.find_all("[data-testid=error-mark]").await?.is_empty());
    b.close().await
}

#[tokio::test]
async fn the_caret_after_a_bracket_marks_its_pair() -> Result<()> {
    let (_prom, b) = editor().await?;
    let expr = b.find("[data-testid=expr]").await?;
    expr.send_keys("sum(rate(up[5m]))").await?;
    // The caret is after the last `)`: it and the first `(` are marked.
    let marked = b
        .wait_for("a marked bracket pair", || async {
            let spans = mirror_spans(&b).await?;
            let marked: Vec<usize> =
                spans.iter().enumerate().filter(|(_, (c, _))| c.contains("match")).map(|(i, _)| i).collect();
            Ok((marked.len() == 2).then_some((spans, marked)))
        })
        .await?;
    let (spans, marked) = marked;
    assert_eq!(spans[marked[0]], ("tok-bracket match".to_string(), "(".to_string()));
    assert_eq!(spans[marked[1]], ("tok-bracket match".to_string(), ")".to_string()));
    assert_eq!(spans[marked[0] - 1].1, "sum", "{spans:?}");
    assert_eq!(marked[1], spans.len() - 1, "{spans:?}");

    // Left arrow: the caret sits between `)` and `)`, after the inner call's `)`.
    expr.send_keys("\u{E012}").await?;
    b.wait_for("the inner pair to be marked", || async {
        let spans = mirror_spans(&b).await?;
        let marked: Vec<usize> =
            spans.iter().enumerate().filter(|(_, (c, _))| c.contains("match")).map(|(i, _)| i).collect();
        Ok((marked.len() == 2 && spans.get(marked[0].wrapping_sub(1)).is_some_and(|s| s.1 == "rate"))
            .then_some(()))
    })
    .await?;
    b.close().await
}

#[tokio::test]
async fn format_prettifies_like_promql_parser_and_the_result_runs() -> Result<()> {
    let (_prom, b) = editor().await?;
    let input = "sum by(job)(rate(up[5m]))";
    let want = promql_parser::parser::parse(input).map_err(anyhow::Error::msg)?.prettify();
    assert_ne!(want, input);
    let expr = b.find("[data-testid=expr]").await?;
    expr.send_keys(input).await?;
    b.click("[data-testid=format]").await?;
    b.wait_for("the text to be formatted", || async {
        Ok((expr.prop("value").await?.as_deref() == Some(want.as_str())).then_some(()))
    })
    .await?;
    b.click("[data-testid=execute]").await?;
    let stats = b.wait_text("[data-testid=stats]", "Result series").await?;
    assert!(b.find_all("[data-testid=error]").await?.is_empty(), "{stats}");
    assert!(b.url().await?.contains("g0.expr="), "the formatted query is in the URL");

    // An invalid expression is left as it is, with the parse error shown.
    expr.clear().await?;
    expr.send_keys("sum by(job)(up").await?;
    b.click("[data-testid=format]").await?;
    b.wait_text("[data-testid=parse-error]", "Parse error").await?;
    assert_eq!(expr.prop("value").await?.as_deref(), Some("sum by(job)(up"));
    b.close().await
}
