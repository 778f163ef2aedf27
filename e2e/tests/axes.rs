//! The graph's axes and the editor's dark theme against a real Prometheus 2.42: value labels with
//! the unit's prefixes, time labels on round instants, "No data" for an empty answer.

use anyhow::{Context, Result};
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::{serve_console, wait_scrapes};

/// Seconds since midnight of an axis label (`HH:MM`, `HH:MM:SS` or `MM-DD HH:MM`); `None` for a
/// date alone (`MM-DD`, always midnight).
fn seconds_of_day(label: &str) -> Option<u32> {
    let time = label.rsplit(' ').next()?;
    if label.len() == 5 && label.as_bytes()[2] == b'-' {
        return Some(0);
    }
    let parts: Vec<u32> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts[..] {
        [h, m] => Some(h * 3600 + m * 60),
        [h, m, s] => Some(h * 3600 + m * 60 + s),
        _ => None,
    }
}

/// Time labels fall on multiples of one wall-clock step, at least `min_step` seconds.
fn assert_round(labels: &[String], min_step: u32) {
    assert!(labels.len() >= 2, "too few time labels: {labels:?}");
    let secs: Vec<u32> =
        labels.iter().map(|l| seconds_of_day(l).unwrap_or_else(|| panic!("{l:?}"))).collect();
    let step = secs.windows(2).map(|w| (w[1] + 86_400 - w[0]) % 86_400).filter(|d| *d > 0).min().unwrap_or(0);
    assert!(step >= min_step, "step {step} s in {labels:?}");
    assert!(secs.iter().all(|s| s % step == 0), "not on round instants: {labels:?}");
}

/// Whether a value label is in the unit a case expects.
type LabelCheck = dyn Fn(&str) -> bool;

fn graph_url(expr: &str, range: &str) -> String {
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    format!("g0.expr={q}&g0.tab=0&g0.range_input={range}")
}

#[tokio::test]
async fn axes_label_bytes_seconds_and_large_values_on_round_instants() -> Result<()> {
    let prom = Prometheus::start(&[], "", None).await?;
    // Prometheus scrapes itself; three scrapes give every query below points (a rate needs two).
    wait_scrapes(&prom.url, 3).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;

    let cases: [(&str, &str, &LabelCheck); 4] = [
        ("process_resident_memory_bytes", "5m", &|l| l.ends_with("MiB") || l.ends_with("KiB")),
        ("rate(process_cpu_seconds_total[1m])", "5m", &|l| l == "0" || l.ends_with('s')),
        ("vector(24.5e9)", "1h", &|l| l.ends_with('G')),
        ("vector(2.5e-7)", "2d", &|l| l.ends_with('n')),
    ];
    for (expr, range, unit_ok) in cases {
        let panel = GraphPage::open(&b, &console, &graph_url(expr, range)).await?.panel(0);
        panel.wait_legend(1).await.with_context(|| format!("{expr} over {range}"))?;
        let (x, y) = panel.wait_axis_labels().await.with_context(|| format!("{expr} over {range}"))?;
        assert!(y.len() >= 2, "{expr}: {y:?}");
        assert!(y.iter().all(|l| unit_ok(l)), "{expr}: value labels {y:?}");
        let distinct: std::collections::BTreeSet<&String> = y.iter().collect();
        assert_eq!(distinct.len(), y.len(), "{expr}: repeated value labels {y:?}");
        match range {
            "5m" => assert_round(&x, 30),
            "1h" => assert_round(&x, 300),
            _ => {
                assert_round(&x, 6 * 3600);
                assert!(x.iter().any(|l| l.contains('-')), "2d: a date where the day changes: {x:?}");
            }
        }
    }

    let panel = GraphPage::open(&b, &console, &graph_url("no_such_metric_e2e", "1h")).await?.panel(0);
    let notice = panel.wait_no_data().await?;
    assert!(notice.contains(" to "), "the range is named: {notice}");
    assert!(panel.axis_labels().await?.1.is_empty(), "no made-up value scale");
    b.close().await
}

#[tokio::test]
async fn the_dark_editor_keeps_its_highlighting_and_a_visible_caret() -> Result<()> {
    let prom = Prometheus::start(&[], "", None).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &console, "g0.expr=rate(up%5B5m%5D)&g0.tab=1").await?;
    let (panel, top_bar) = (graph.panel(0), graph.top_bar());
    // The highlighting is drawn once the console has mounted and read the expression.
    let light_metric = b
        .wait_for("the highlighted expression", || async {
            Ok(panel.editor_style(".tok-metric", "color").await.ok())
        })
        .await?;
    top_bar.choose_theme("dark").await?;
    b.wait_for("a dark page", || async { Ok(top_bar.page_is_dark().await?.then_some(())) }).await?;

    // The field stays see-through over the highlighted layer; only its caret shows, in the text colour.
    assert_eq!(panel.editor_style("expr", "background-color").await?, "rgba(0, 0, 0, 0)");
    assert_eq!(panel.editor_style("expr", "color").await?, "rgba(0, 0, 0, 0)");
    let caret = panel.editor_style("expr", "caret-color").await?;
    let fg = b.js("return getComputedStyle(document.body).color").await?;
    assert_eq!(Some(caret.as_str()), fg.as_str(), "caret in the page's text colour");
    let dark_metric = panel.editor_style(".tok-metric", "color").await?;
    assert_ne!(dark_metric, light_metric, "tokens get dark-theme colours");
    let function = panel.editor_style(".tok-function", "color").await?;
    assert_ne!(function, dark_metric, "functions still stand out");

    // The field grows with its text, and the highlighted layer with it.
    let height = |css: &'static str| {
        let b = &b;
        async move {
            b.js(&format!("return document.querySelector('[data-testid=panel-0] {css}').clientHeight")).await
        }
    };
    let two_lines = height("[data-testid=expr]").await?.as_f64().unwrap_or(0.0);
    b.js("const e = document.querySelector('[data-testid=panel-0] [data-testid=expr]');
          e.value = 'sum(\\n  rate(up[5m])\\n)\\n+\\nsum(\\n  rate(up[5m])\\n)';
          e.dispatchEvent(new Event('input', {bubbles: true}));")
        .await?;
    let grown = b
        .wait_for("a taller editor", || async {
            let h = height("[data-testid=expr]").await?.as_f64().unwrap_or(0.0);
            Ok((h > two_lines * 2.0).then_some(h))
        })
        .await?;
    let mirror = height(".mirror").await?.as_f64().unwrap_or(0.0);
    assert!((mirror - grown).abs() <= 2.0, "the mirror follows: {mirror} vs {grown}");
    b.close().await
}
