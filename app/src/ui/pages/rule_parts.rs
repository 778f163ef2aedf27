//! What the Rules and Alerts pages share: loading `/api/v1/rules`, its status, and a rule's parts
//! (query link, labels, annotations, health, problems). Everything from the server is text.

use leptos::prelude::*;
use promapi::Labels;

use crate::config::Config;
use crate::pages::rules::{graph_link, seconds_duration, Rule, Rules};
use crate::ui::api;
use crate::ui::markup::{el, El};
use crate::ui::schedule;
use crate::ui::task::{load, loaded_view, Loaded};

/// `/api/v1/rules` as the page last got it.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesAnswer {
    pub data: Rules,
    /// The envelope's warnings (a Thanos Querier's store that did not answer).
    pub warnings: Vec<String>,
    /// When the answer came (unix ms), for "… ago".
    pub at_ms: i64,
}

/// The rules, loaded now and again on each `refresh` bump.
pub fn load_rules(config: &Config, refresh: RwSignal<u64>) -> RwSignal<Loaded<RulesAnswer>> {
    let url = api::api_url(config, "api/v1/rules");
    load(move || {
        refresh.track();
        let url = url.clone();
        async move {
            match api::get_rules(&url).await {
                Ok((data, warnings)) => Ok(RulesAnswer { data, warnings, at_ms: schedule::now_ms() as i64 }),
                Err(e) => Err(format!("Cannot load the rules. {e}")),
            }
        }
    })
}

/// The page's list once loaded (`list` of the data and the answer's time), else loading, the error.
/// The envelope's warnings come first.
pub fn rules_view(
    loaded: RwSignal<Loaded<RulesAnswer>>,
    list: impl Fn(&Rules, i64) -> Vec<El> + Send + Sync + 'static,
) -> impl IntoView {
    loaded_view(loaded, move |a| {
        el("div").child(warning_list(&a.warnings, "warning")).children(list(&a.data, a.at_ms)).view()
    })
}

/// A `key: ` label before a value in a rule's definition.
pub fn key(k: &'static str) -> El {
    el("span").class("key").text(k)
}

/// A rule's query, linked to the graph page running it.
pub fn query_line(query: &str) -> El {
    el("div")
        .child(key("expr: "))
        .child(el("a").class("expr").testid("rule-expr").href(graph_link(query)).text(query))
}

/// `for` and `keep_firing_for` of an alerting rule, when set.
pub fn timing_lines(r: &Rule) -> Vec<El> {
    [("for: ", r.duration), ("keep_firing_for: ", r.keep_firing_for)]
        .into_iter()
        .filter(|(_, secs)| *secs > 0.0)
        .map(|(k, secs)| {
            el("div").class("key").testid("rule-timing").text(format!("{k}{}", seconds_duration(secs)))
        })
        .collect()
}

/// Labels as `name="value"` chips.
pub fn label_list(labels: &Labels, testid: &'static str) -> El {
    let chip = |(k, v): (&String, &String)| el("span").class("label").text(format!("{k}=\"{v}\""));
    el("span").class("labels").testid(testid).children(labels.iter().map(chip))
}

/// A rule's `labels: …` line, when it has labels.
pub fn labels_line(labels: &Labels) -> Option<El> {
    (!labels.is_empty()).then(|| el("div").child(key("labels: ")).child(label_list(labels, "rule-labels")))
}

/// Annotations, one per line, name then text.
pub fn annotation_list(annotations: &Labels, testid: &'static str) -> El {
    el("dl")
        .class("annotations")
        .testid(testid)
        .children(annotations.iter().flat_map(|(k, v)| [el("dt").text(k.clone()), el("dd").text(v.clone())]))
}

/// A badge: `ok`/`err`/`unknown` health or an alert state, coloured by `class`.
pub fn badge(class: String, text: &str, testid: &'static str) -> El {
    el("span").class(format!("badge {class}")).testid(testid).text(text)
}

/// A rule's last evaluation error, when it has one.
pub fn error_line(last_error: Option<&str>) -> Option<El> {
    last_error.filter(|e| !e.is_empty()).map(|e| el("div").class("alert error").testid("rule-error").text(e))
}

/// Warnings, one per line.
pub fn warning_list(warnings: &[String], testid: &'static str) -> El {
    let item = |w: &String| {
        el("li").class("warning").testid(testid).child(el("strong").text("Warning: ")).text(w.clone())
    };
    el("ul").class("warnings").children(warnings.iter().map(item))
}
