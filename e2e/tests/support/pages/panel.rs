//! One query panel, as on the graph page (`panel(i)`) or alone in an embed: the expression editor and
//! its completion, the tabs, the table, the legend and chart, the query's stats, warnings and errors,
//! the Thanos switches and the expression tree. Every selector is scoped to the panel's section.

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use serde_json::Value;

use crate::support::browser::Browser;

/// A panel, found by its position on the page (`g0` is panel 0).
pub struct Panel<'a> {
    b: &'a Browser,
    /// The panel's section: `[data-testid=panel-N]`.
    root: String,
}

/// The chart's pixels: a fingerprint that changes whenever anything drawn changes, how many are
/// strongly coloured (axes and grid are grey, the background plain), and how many differ from the
/// background at all (pale fills included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartPixels {
    pub fingerprint: u64,
    pub coloured: u64,
    pub painted: u64,
}

/// The expression editor's text field, kept across steps as a user keeps the focus in it.
pub struct ExpressionInput(Element);

impl ExpressionInput {
    /// Types `keys` at the caret ([`crate::support::browser::keys`] has Enter, Tab, the arrows…).
    pub async fn type_keys(&self, keys: &str) -> Result<()> {
        Ok(self.0.send_keys(keys).await?)
    }

    pub async fn clear(&self) -> Result<()> {
        Ok(self.0.clear().await?)
    }

    /// The text in the field.
    pub async fn value(&self) -> Result<String> {
        Ok(self.0.prop("value").await?.unwrap_or_default())
    }
}

/// The chart's pixels, read from the canvas `c`.
const PIXELS: &str = r#"const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, n = 0, p = 0;
    for (let i = 0; i < d.length; i += 4) {
      h = (h * 31 + d[i] * 3 + d[i+1] * 5 + d[i+2] * 7) % 4294967291;
      if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 60) n++;
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i+1] - d[1]) + Math.abs(d[i+2] - d[2]) > 24) p++;
    }
    return [h, n, p];"#;

impl<'a> Panel<'a> {
    pub(super) fn new(b: &'a Browser, index: usize) -> Panel<'a> {
        Panel { b, root: format!("[data-testid=panel-{index}]") }
    }

    /// The selector of the element with test id `id` in this panel.
    fn css(&self, id: &str) -> String {
        format!("{} [data-testid={id}]", self.root)
    }

    /// Waits until the panel is on the page.
    pub async fn wait_shown(&self) -> Result<()> {
        self.b.find(&self.root).await.map(drop)
    }

    // The expression editor.

    /// Waits for the expression field and returns it, to type into.
    pub async fn input(&self) -> Result<ExpressionInput> {
        Ok(ExpressionInput(self.b.find(&self.css("expr")).await?))
    }

    /// Replaces the expression with `expr` and runs it with Enter.
    pub async fn execute(&self, expr: &str) -> Result<()> {
        self.b.type_into(&self.css("expr"), &format!("{expr}\n")).await
    }

    /// Clicks Execute: runs the expression as it stands.
    pub async fn press_execute(&self) -> Result<()> {
        self.b.click(&self.css("execute")).await
    }

    /// Clicks Format.
    pub async fn format(&self) -> Result<()> {
        self.b.click(&self.css("format")).await
    }

    /// Waits until the parse error shown contains `needle`; returns it.
    pub async fn wait_parse_error(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("parse-error"), needle).await
    }

    /// Waits until no parse error is shown.
    pub async fn wait_parse_error_gone(&self) -> Result<()> {
        self.b.wait_count(&self.css("parse-error"), 0).await
    }

    pub async fn shows_parse_error(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("parse-error")).await? > 0)
    }

    /// Waits for the wavy mark under the text at a parse error; returns the text it marks.
    pub async fn error_mark(&self) -> Result<String> {
        Ok(self.b.find(&self.css("error-mark")).await?.text().await?)
    }

    /// The error mark's computed `text-decoration-style`.
    pub async fn error_mark_style(&self) -> Result<String> {
        let script = format!(
            "return getComputedStyle(document.querySelector({:?})).textDecorationStyle;",
            self.css("error-mark")
        );
        self.b.js(&script).await?.as_str().map(String::from).context("no error mark")
    }

    pub async fn shows_error_mark(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("error-mark")).await? > 0)
    }

    /// `(class, text)` of every span of the highlighted text (the mirror behind the field).
    pub async fn highlighted(&self) -> Result<Vec<(String, String)>> {
        let script = format!(
            "return [...document.querySelectorAll({:?})].map(s => [s.className, s.textContent]);",
            format!("{} span", self.css("mirror"))
        );
        Ok(serde_json::from_value(self.b.js(&script).await?)?)
    }

    /// All the highlighted text (the mirror's).
    pub async fn highlighted_text(&self) -> Result<String> {
        let script = format!("return document.querySelector({:?}).textContent;", self.css("mirror"));
        self.b.js(&script).await?.as_str().map(String::from).context("no highlighted text")
    }

    /// The computed colour of the field's own text.
    pub async fn input_text_colour(&self) -> Result<String> {
        let script =
            format!("return getComputedStyle(document.querySelector({:?})).color;", self.css("expr"));
        self.b.js(&script).await?.as_str().map(String::from).context("no expression field")
    }

    // Completion.

    /// The labels of the completion list's entries.
    pub async fn completion_labels(&self) -> Result<Vec<String>> {
        let script = format!(
            "return [...document.querySelectorAll({:?})].map(e => e.textContent);",
            format!("{} .c-label", self.css("completion-item"))
        );
        Ok(serde_json::from_value(self.b.js(&script).await?)?)
    }

    /// The labels of the list's entries, once it offers one labelled `want`.
    pub async fn wait_offered(&self, want: &str) -> Result<Vec<String>> {
        self.b
            .wait_for(&format!("the list to offer {want}"), || async {
                let labels = self.completion_labels().await?;
                Ok(labels.iter().any(|l| l == want).then_some(labels))
            })
            .await
    }

    /// The completion entries' whole texts (label, kind, signature, doc).
    pub async fn completion_entries(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("completion-item")).await
    }

    pub async fn shows_completion(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("completion")).await? > 0)
    }

    /// Waits until the completion list is closed.
    pub async fn wait_completion_closed(&self) -> Result<()> {
        self.b.wait_count(&self.css("completion"), 0).await
    }

    /// Whether the completion list is longer than its view, and whether its selected entry shows.
    pub async fn completion_scroll(&self) -> Result<(bool, bool)> {
        let script = format!(
            "const l = document.querySelector({:?});
             const s = l.querySelector('.selected').getBoundingClientRect(), r = l.getBoundingClientRect();
             return [l.scrollHeight > l.clientHeight + 40, s.top >= r.top - 0.5 && s.bottom <= r.bottom + 0.5];",
            self.css("completion")
        );
        Ok(serde_json::from_value(self.b.js(&script).await?)?)
    }

    // Panel actions and tabs.

    pub async fn duplicate(&self) -> Result<()> {
        self.b.click(&self.css("duplicate-panel")).await
    }

    pub async fn remove(&self) -> Result<()> {
        self.b.click(&self.css("remove-panel")).await
    }

    pub async fn show_table(&self) -> Result<()> {
        self.b.click(&self.css("tab-table")).await
    }

    pub async fn show_graph(&self) -> Result<()> {
        self.b.click(&self.css("tab-graph")).await
    }

    /// Clicks the Table tab from the page itself at the first frame after the chart has drawn its
    /// first slice of lines (checked at every frame, which the page paints between two slices).
    pub async fn show_table_once_drawing_starts(&self) -> Result<()> {
        let script = format!(
            "const tick = () => performance.getEntriesByName('console:draw-slice').length
                 ? document.querySelector({:?}).click()
                 : requestAnimationFrame(tick);
             requestAnimationFrame(tick);",
            self.css("tab-table")
        );
        self.b.js(&script).await.map(drop)
    }

    // The table.

    /// Waits until the table shows exactly `n` rows.
    pub async fn wait_rows(&self, n: usize) -> Result<()> {
        self.b.wait_count(&self.css("series-row"), n).await
    }

    pub async fn row_count(&self) -> Result<usize> {
        self.b.count(&self.css("series-row")).await
    }

    /// The series names of the table's rows.
    pub async fn series_names(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("series-name")).await
    }

    /// The table's rows as `(series name, value)`, in page order.
    pub async fn table(&self) -> Result<Vec<(String, String)>> {
        let names = self.series_names().await?;
        let values = self.b.texts(&self.css("series-value")).await?;
        Ok(names.into_iter().zip(values).collect())
    }

    /// Clicks the table's "Show all".
    pub async fn show_all_rows(&self) -> Result<()> {
        self.b.click(&self.css("show-all")).await
    }

    // What the query returned: stats, warnings, errors.

    /// The stats line(s) under the expression.
    pub async fn stats(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("stats")).await
    }

    /// Waits until the stats contain `needle`; returns them.
    pub async fn wait_stats(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("stats"), needle).await
    }

    pub async fn shows_stats(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("stats")).await? > 0)
    }

    /// Waits until a warning contains `needle`; returns it.
    pub async fn wait_warning(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("warning"), needle).await
    }

    /// Waits for the "partial result" notice; returns its text.
    pub async fn wait_partial_notice(&self) -> Result<String> {
        Ok(self.b.find(&self.css("partial-notice")).await?.text().await?)
    }

    pub async fn shows_partial_notice(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("partial-notice")).await? > 0)
    }

    /// Waits until the query's error contains `needle`; returns it.
    pub async fn wait_error(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("error"), needle).await
    }

    pub async fn shows_error(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("error")).await? > 0)
    }

    /// The Execute button's label (`Execute`, or `Cancel` while a query runs).
    pub async fn execute_label(&self) -> Result<String> {
        Ok(self.b.find(&self.css("execute")).await?.text().await?)
    }

    /// How far down the page the tabs are (px): what moves when something above them changes size.
    pub async fn tabs_top(&self) -> Result<f64> {
        let script =
            format!("return document.querySelector({:?}).getBoundingClientRect().top", self.css("tab-table"));
        Ok(self.b.js(&script).await?.as_f64().unwrap_or(f64::NAN))
    }

    /// Waits for the note that the result shown is the previous expression's; returns it.
    pub async fn wait_stale_note(&self) -> Result<String> {
        self.b.wait_text(&self.css("stale-result"), "the last expression that ran").await
    }

    pub async fn wait_stale_note_gone(&self) -> Result<()> {
        self.b.wait_count(&self.css("stale-result"), 0).await
    }

    /// The heatmap's read-out of the cell under the pointer, if one shows.
    pub async fn heat_hover(&self) -> Result<Option<String>> {
        Ok(self.b.texts(&self.css("heat-hover")).await?.into_iter().next())
    }

    /// The heatmap's colour scale: its top value.
    pub async fn heat_scale_max(&self) -> Result<String> {
        Ok(self.b.find(&self.css("heat-max")).await?.text().await?)
    }

    /// The End field's label and value.
    pub async fn end_field(&self) -> Result<(String, String)> {
        let field = self.b.find(&self.css("end")).await?;
        let value = field.prop("value").await?.unwrap_or_default();
        let script = format!("return document.querySelector({:?}).parentElement.innerText", self.css("end"));
        Ok((self.b.js(&script).await?.as_str().unwrap_or_default().trim().to_string(), value))
    }

    /// Types `text` into the End field (replacing it) and leaves the field.
    pub async fn set_end(&self, text: &str) -> Result<()> {
        let field = self.b.find(&self.css("end")).await?;
        field.clear().await?;
        field.send_keys(&format!("{text}\t")).await?;
        Ok(())
    }

    // The Thanos switches.

    /// Waits for the one-line reason the Thanos switches are off.
    pub async fn wait_thanos_only_note(&self) -> Result<String> {
        self.b.wait_text(&self.css("thanos-only"), "Thanos only").await
    }

    pub async fn shows_thanos_only_note(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("thanos-only")).await? > 0)
    }

    /// Whether the Thanos control with this test id (`dedup`, `engine`, `explain`, …) can be used.
    pub async fn control_enabled(&self, testid: &str) -> Result<bool> {
        Ok(self.b.find(&self.css(testid)).await?.is_enabled().await?)
    }

    pub async fn toggle_dedup(&self) -> Result<()> {
        self.b.click(&self.css("dedup")).await
    }

    pub async fn toggle_partial_response(&self) -> Result<()> {
        self.b.click(&self.css("partial-response")).await
    }

    /// Types the replica labels and leaves the field.
    pub async fn set_replica_labels(&self, labels: &str) -> Result<()> {
        self.b.type_into(&self.css("replica-labels"), &format!("{labels}\t")).await
    }

    /// Picks a max source resolution (`5m`, `1h`, …).
    pub async fn choose_resolution(&self, value: &str) -> Result<()> {
        Ok(self.b.find(&self.css("resolution")).await?.select_by_value(value).await?)
    }

    /// Picks the query engine (`prometheus`, `thanos`).
    pub async fn choose_engine(&self, value: &str) -> Result<()> {
        Ok(self.b.find(&self.css("engine")).await?.select_by_value(value).await?)
    }

    pub async fn shows_analyze_switch(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("analyze")).await? > 0)
    }

    /// Opens the engine's analysis under the result.
    pub async fn open_analysis(&self) -> Result<()> {
        self.b.click(&format!("{} summary", self.css("analysis"))).await
    }

    /// The operator names of the engine's analysis.
    pub async fn analysis_operators(&self) -> Result<Vec<String>> {
        self.b.texts(&format!("{} [data-testid=operator-name]", self.css("analysis"))).await
    }

    /// Waits for the analysis; returns all its text.
    pub async fn analysis_text(&self) -> Result<String> {
        Ok(self.b.find(&self.css("analysis")).await?.text().await?)
    }

    /// Clicks Explain.
    pub async fn explain(&self) -> Result<()> {
        self.b.click(&self.css("explain")).await
    }

    /// Waits until the explain tree shows exactly `n` operators.
    pub async fn wait_explained_operators(&self, n: usize) -> Result<()> {
        self.b.wait_count(&format!("{} [data-testid=operator]", self.css("explain-tree")), n).await
    }

    /// Waits until the Explain button is gone.
    pub async fn wait_explain_gone(&self) -> Result<()> {
        self.b.wait_count(&self.css("explain"), 0).await
    }

    /// Opens the store filter.
    pub async fn open_store_filter(&self) -> Result<()> {
        self.b.click(&format!("{} summary", self.css("store-filter"))).await
    }

    /// Waits until the store filter offers exactly `n` stores.
    pub async fn wait_store_choices(&self, n: usize) -> Result<()> {
        self.b.wait_count(&self.css("store-choice"), n).await
    }

    /// Ticks the store at `address` in the (open) store filter.
    pub async fn choose_store(&self, address: &str) -> Result<()> {
        self.b.click(&format!("{}[value='{address}']", self.css("store-choice"))).await
    }

    /// Waits until the store filter's summary contains `needle`.
    pub async fn wait_store_filter(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&format!("{} summary", self.css("store-filter")), needle).await
    }

    // The expression tree.

    pub async fn toggle_tree(&self) -> Result<()> {
        self.b.click(&self.css("tree-toggle")).await
    }

    /// Waits until the tree shows exactly `n` nodes.
    pub async fn wait_tree_nodes(&self, n: usize) -> Result<()> {
        self.b.wait_count(&self.css("tree-node"), n).await
    }

    /// Each node's expression, in tree order.
    pub async fn tree_expressions(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("node-expr")).await
    }

    /// Each node's explanation in words, for the nodes that have one.
    /// The names and operators the tree's explanations show as code.
    pub async fn tree_code_words(&self) -> Result<Vec<String>> {
        self.b.texts(&format!("{} code", self.css("node-words"))).await
    }

    pub async fn tree_explanations(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("node-words")).await
    }

    /// Clicks Run on the `i`th node (tree order).
    pub async fn run_tree_node(&self, i: usize) -> Result<()> {
        super::click_nth(self.b, &self.css("node-run"), i).await
    }

    /// Waits until a node's result contains `needle`; returns it.
    pub async fn wait_tree_result(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("node-result"), needle).await
    }

    // The graph: time controls, options, legend, chart, hover.

    /// Types the step (seconds) and leaves the field.
    pub async fn set_step(&self, step: &str) -> Result<()> {
        self.b.type_into(&self.css("step"), &format!("{step}\t")).await
    }

    /// Types the range (empty: clears it) and leaves the field.
    pub async fn set_range(&self, range: &str) -> Result<()> {
        self.b.type_into(&self.css("range"), &format!("{range}\t")).await
    }

    /// The Range and End fields' texts.
    pub async fn range_and_end(&self) -> Result<(String, String)> {
        let value = |id: &str| format!("document.querySelector({:?}).value", self.css(id));
        let script = format!("return [{}, {}];", value("range"), value("end"));
        Ok(serde_json::from_value(self.b.js(&script).await?)?)
    }

    /// Waits until the Range field reads `range`.
    pub async fn wait_range(&self, range: &str) -> Result<(String, String)> {
        self.b
            .wait_for(&format!("range {range}"), || async {
                let got = self.range_and_end().await?;
                Ok((got.0 == range).then_some(got))
            })
            .await
    }

    pub async fn zoom_out(&self) -> Result<()> {
        self.b.click(&self.css("zoom-out")).await
    }

    pub async fn step_earlier(&self) -> Result<()> {
        self.b.click(&self.css("step-earlier")).await
    }

    pub async fn step_later(&self) -> Result<()> {
        self.b.click(&self.css("step-later")).await
    }

    /// The top of the legend, in page px: what must not move while the pointer is over the chart.
    pub async fn legend_top(&self) -> Result<f64> {
        let script =
            format!("return document.querySelector({:?}).getBoundingClientRect().top;", self.css("legend"));
        self.b.js(&script).await?.as_f64().context("no legend")
    }

    /// The hover tooltip's box and the chart's, as `[left, right, top, bottom]` in page px; `None`
    /// while the tooltip is hidden.
    pub async fn tooltip_and_chart(&self) -> Result<Option<([f64; 4], [f64; 4])>> {
        let script = format!(
            "const t = document.querySelector({:?}), c = document.querySelector({:?});
             if (!t || getComputedStyle(t).display === 'none') return null;
             const b = e => {{ const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }};
             return [b(t), b(c)];",
            self.css("tooltip"),
            self.css("canvas")
        );
        Ok(serde_json::from_value(self.b.js(&script).await?)?)
    }

    pub async fn toggle_stacked(&self) -> Result<()> {
        self.b.click(&self.css("opt-stacked")).await
    }

    pub async fn toggle_log_scale(&self) -> Result<()> {
        self.b.click(&self.css("opt-log")).await
    }

    pub async fn toggle_zero_baseline(&self) -> Result<()> {
        self.b.click(&self.css("opt-zero")).await
    }

    /// Picks the display (`lines`, `heatmap`).
    pub async fn choose_display(&self, value: &str) -> Result<()> {
        self.b.choose(&self.css("opt-heatmap"), value).await
    }

    /// How many histograms the heatmap offers to pick from.
    pub async fn heatmap_choice_count(&self) -> Result<u64> {
        let script = format!(
            "return document.querySelectorAll({:?}).length",
            format!("{} option", self.css("heatmap-pick"))
        );
        Ok(self.b.js(&script).await?.as_u64().unwrap_or(0))
    }

    /// The names of the histograms the heatmap offers.
    pub async fn heatmap_choices(&self) -> Result<Vec<String>> {
        self.b.texts(&format!("{} option", self.css("heatmap-pick"))).await
    }

    /// Picks the histogram the heatmap draws (`value` is its position, "0", "1", …).
    pub async fn choose_heatmap(&self, value: &str) -> Result<()> {
        self.b.choose(&self.css("heatmap-pick"), value).await
    }

    /// Whether the heatmap says there is no histogram to draw.
    pub async fn shows_heatmap_empty(&self) -> Result<bool> {
        Ok(self.b.count(&self.css("heatmap-empty")).await? > 0)
    }

    /// Waits until the legend lists exactly `n` series.
    /// Waits until the legend has at least `n` entries; returns how many.
    pub async fn wait_legend_at_least(&self, n: usize) -> Result<usize> {
        let css = self.css("legend-item");
        self.b
            .wait_for(&format!("at least {n} legend entries"), || async {
                let shown = self.b.count(&css).await?;
                Ok((shown >= n).then_some(shown))
            })
            .await
    }

    pub async fn wait_legend(&self, n: usize) -> Result<()> {
        self.b.wait_count(&self.css("legend-item"), n).await
    }

    /// The legend's entries, in order.
    pub async fn legend(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("legend-item")).await
    }

    /// Clicks the `i`th legend entry (shows that series alone, or all again).
    pub async fn click_legend(&self, i: usize) -> Result<()> {
        super::click_nth(self.b, &self.css("legend-item"), i).await
    }

    /// Ctrl-clicks the `i`th legend entry (adds it to the series shown).
    pub async fn ctrl_click_legend(&self, i: usize) -> Result<()> {
        let script = format!(
            "document.querySelectorAll({:?})[{i}].dispatchEvent(new MouseEvent('click', {{ctrlKey: true, bubbles: true}}));",
            self.css("legend-item")
        );
        self.b.js(&script).await.map(drop)
    }

    /// Waits until exactly `n` legend entries are shown as visible.
    /// Focuses the `i`th legend entry and presses `key` on it (a keyboard user's click).
    pub async fn press_on_legend(&self, i: usize, key: &str) -> Result<()> {
        let items = self.b.find_all(&self.css("legend-item")).await?;
        let item = items.get(i).with_context(|| format!("no legend entry {i}"))?;
        item.send_keys(key).await?;
        Ok(())
    }

    /// The legend's head: how many series are shown of how many.
    pub async fn legend_count(&self) -> Result<String> {
        Ok(self.b.find(&self.css("legend-count")).await?.text().await?)
    }

    /// Clicks the legend head's "Show all" (`true`) or "Hide all" (`false`).
    pub async fn show_every_series(&self, show: bool) -> Result<()> {
        self.b.click(&self.css(if show { "legend-show-every" } else { "legend-hide-every" })).await
    }

    pub async fn wait_legend_visible(&self, n: usize) -> Result<()> {
        self.b.wait_count(&format!("{}[data-visible=true]", self.css("legend-item")), n).await
    }

    /// The legend's HTML, to print when a scenario fails.
    pub async fn legend_html(&self) -> Result<Value> {
        self.b.js(&format!("return document.querySelector({:?}).outerHTML;", self.css("legend"))).await
    }

    /// Clicks the legend's "show all".
    pub async fn show_whole_legend(&self) -> Result<()> {
        self.b.click(&self.css("legend-show-all")).await
    }

    /// The chart's pixels now.
    pub async fn chart_pixels(&self) -> Result<ChartPixels> {
        let script = format!("const c = document.querySelector({:?});\n{PIXELS}", self.css("canvas"));
        let v = self.b.js(&script).await?;
        let n = |i: usize| v[i].as_u64().unwrap_or(0);
        Ok(ChartPixels { fingerprint: n(0), coloured: n(1), painted: n(2) })
    }

    /// Waits until the chart differs from the fingerprint `before` and has coloured pixels; returns
    /// the new fingerprint.
    pub async fn wait_chart_change(&self, what: &str, before: u64) -> Result<u64> {
        self.b
            .wait_for(what, || async {
                let p = self.chart_pixels().await?;
                Ok((p.fingerprint != before && p.coloured > 100).then_some(p.fingerprint))
            })
            .await
    }

    /// The canvas's width and the frame's (the document's client width), in px.
    pub async fn chart_and_frame_width(&self) -> Result<(f64, f64)> {
        let script = format!(
            "const c = document.querySelector({:?}); return [c.width, document.documentElement.clientWidth];",
            self.css("canvas")
        );
        let v = self.b.js(&script).await?;
        Ok((v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0)))
    }

    /// A mouse event of `kind` on the chart at `x` (a JS expression over its bounding rect `r`),
    /// half-way down.
    async fn pointer(&self, kind: &str, x: &str) -> Result<()> {
        let script = format!(
            "const c = document.querySelector({:?});
             const r = c.getBoundingClientRect();
             c.dispatchEvent(new MouseEvent('{kind}', {{clientX: {x}, clientY: r.top + r.height / 2, button: 0, bubbles: true}}));",
            self.css("canvas")
        );
        self.b.js(&script).await.map(drop)
    }

    /// Moves the pointer over the chart at `fx` of its width, half-way down.
    pub async fn hover_at(&self, fx: f64) -> Result<()> {
        self.pointer("mousemove", &format!("r.left + r.width * {fx}")).await
    }

    /// Moves the pointer over the chart 30 px from its right edge, half-way down.
    pub async fn hover_near_right_edge(&self) -> Result<()> {
        self.pointer("mousemove", "r.left + r.width - 30").await
    }

    /// Drags across the chart from `from` to `to` (fractions of its width).
    pub async fn drag(&self, from: f64, to: f64) -> Result<()> {
        self.pointer("mousedown", &format!("r.left + r.width * {from}")).await?;
        self.pointer("mousemove", &format!("r.left + r.width * {to}")).await?;
        self.pointer("mouseup", &format!("r.left + r.width * {to}")).await
    }

    /// The chart's axis labels as drawn: times across, then values up (the canvas keeps them in
    /// `data-x-labels` / `data-y-labels`).
    pub async fn axis_labels(&self) -> Result<(Vec<String>, Vec<String>)> {
        let script = format!(
            "const c = document.querySelector({:?}); return c ? [c.dataset.xLabels || '', c.dataset.yLabels || ''] : null;",
            self.css("canvas")
        );
        let split =
            |s: &str| if s.is_empty() { Vec::new() } else { s.split(" | ").map(String::from).collect() };
        let got: Option<(String, String)> = serde_json::from_value(self.b.js(&script).await?)?;
        let (x, y) = got.context("no chart")?;
        Ok((split(&x), split(&y)))
    }

    /// Waits until the chart has drawn value labels; returns both axes' labels.
    pub async fn wait_axis_labels(&self) -> Result<(Vec<String>, Vec<String>)> {
        self.b
            .wait_for("axis labels", || async {
                let (x, y) = self.axis_labels().await?;
                Ok((!y.is_empty()).then_some((x, y)))
            })
            .await
    }

    /// Waits until the time axis is drawn with labels other than `before`; returns them.
    pub async fn wait_time_labels_other_than(&self, before: &[String]) -> Result<Vec<String>> {
        self.b
            .wait_for("a redrawn time axis", || async {
                let (x, _) = self.axis_labels().await?;
                Ok((!x.is_empty() && x != before).then_some(x))
            })
            .await
    }

    /// The "No data" notice over an empty chart, if shown.
    pub async fn wait_no_data(&self) -> Result<String> {
        self.b.wait_text(&self.css("no-data"), "No data").await
    }

    /// The computed style `property` of the editor's part `part` (`expr`: the text field, `mirror`:
    /// the highlighted layer under it; a CSS selector inside the panel otherwise).
    pub async fn editor_style(&self, part: &str, property: &str) -> Result<String> {
        let css = if part.starts_with('.') { format!("{} {part}", self.root) } else { self.css(part) };
        let script = format!(
            "const e = document.querySelector({css:?}); return e ? getComputedStyle(e).getPropertyValue({property:?}) : null;"
        );
        self.b.js(&script).await?.as_str().map(String::from).with_context(|| format!("no {part}"))
    }

    /// The hover read-out(s) now.
    pub async fn hover_texts(&self) -> Result<Vec<String>> {
        self.b.texts(&self.css("hover")).await
    }

    /// Waits until the hover read-out contains `needle`; returns it.
    pub async fn wait_hover(&self, needle: &str) -> Result<String> {
        self.b.wait_text(&self.css("hover"), needle).await
    }

    /// Hovers near the right edge until the read-out lists `n` series; returns their rows.
    pub async fn wait_hover_series(&self, n: usize) -> Result<Vec<String>> {
        let rows = self
            .b
            .wait_for(&format!("{n} series in the hover read-out"), || async {
                self.hover_at(0.9).await?;
                let rows = self.b.texts(&self.css("hover-series")).await?;
                Ok((rows.len() == n).then_some(rows))
            })
            .await;
        if rows.is_err() {
            eprintln!(
                "on failure, hover {:?} all {:?}",
                self.hover_texts().await?,
                self.b.texts(&self.css("hover-series")).await?
            );
        }
        rows
    }

    /// Clicks CSV and returns the text of the file it hands to the browser (the Blob given to
    /// `URL.createObjectURL`).
    pub async fn download_csv(&self) -> Result<String> {
        Ok(self.download_csv_named().await?.1)
    }

    /// Clicks CSV; returns the file name offered and the file's text.
    pub async fn download_csv_named(&self) -> Result<(String, String)> {
        self.b
            .js(r#"window.__csv = null; window.__csvName = null;
                   if (!window.__origCreate) window.__origCreate = URL.createObjectURL;
                   URL.createObjectURL = blob => { window.__csv = blob; return window.__origCreate(blob); };
                   if (!window.__origClick) window.__origClick = HTMLAnchorElement.prototype.click;
                   HTMLAnchorElement.prototype.click = function () { window.__csvName = this.download; return window.__origClick.call(this); };"#)
            .await?;
        self.b.click(&self.css("csv")).await?;
        let text = self
            .b
            .wait_for("the CSV blob", || async {
                let v = self.b.js("return window.__csv ? window.__csv.text() : null;").await?;
                Ok(v.as_str().map(String::from))
            })
            .await?;
        let name = self.b.js("return window.__csvName").await?.as_str().unwrap_or_default().to_string();
        Ok((name, text))
    }
}
