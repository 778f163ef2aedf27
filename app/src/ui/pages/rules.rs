//! The Rules page: every group (file, interval, last evaluation, evaluation time, partial-response
//! strategy, health) and its rules (query linked to the graph, health and error, labels, `for`).

use leptos::prelude::*;

use super::rule_parts::{
    annotation_list, badge, error_line, key, labels_line, load_rules, query_line, rules_view, timing_lines,
    warning_list,
};
use crate::config::Config;
use crate::pages::rules::{
    evaluation_cells, filter_rules, health_summary, last_evaluation, reload_failure, seconds_duration,
    seconds_short, Evaluation, Group, Rule, TextFilter,
};
use crate::ui::api;
use crate::ui::markup::{el, El};
use crate::ui::widgets::RefreshButton;

#[component]
pub fn RulesPage(config: Config) -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let loaded = load_rules(&config, refresh);
    let asked = api::api_url(&config, "api/v1/rules");
    let text = RwSignal::new(String::new());
    let list = move |data: &crate::pages::rules::Rules, now: i64| {
        let groups = filter_rules(data, &TextFilter::new(&text.get()));
        if groups.is_empty() {
            // Say which API answered: a user pointed at a Prometheus may expect a ruler's rules.
            let why = if data.groups.is_empty() {
                format!("No rule groups: {asked} lists none.")
            } else {
                "No rules match the filter.".to_string()
            };
            return vec![el("div").class("empty").testid("empty").text(why)];
        }
        let failed =
            reload_failure(now, data).map(|f| el("div").class("alert error").testid("reload-failed").text(f));
        failed.into_iter().chain(groups.iter().map(|g| group(g, now))).collect()
    };

    view! {
        <div class="page-controls">
            <input type="search" data-testid="rules-filter" size="40"
                placeholder="Filter by name, group, labels, annotations or expression"
                on:input=move |ev| text.set(event_target_value(&ev))/>
            <RefreshButton refresh/>
        </div>
        {rules_view(loaded, list)}
    }
}

fn group(g: &Group, now: i64) -> El {
    let mut meta = vec![
        format!("Interval: {}", seconds_duration(g.interval)),
        format!("Last evaluation: {}", last_evaluation(now, &g.last_evaluation)),
        format!("Evaluation time: {}", seconds_short(g.evaluation_time)),
    ];
    if let Some(s) = g.partial_response_strategy.as_deref().filter(|s| !s.is_empty()) {
        meta.push(format!("Partial response: {s}"));
    }
    if g.limit > 0 {
        meta.push(format!("Limit: {}", g.limit));
    }
    let head = ["Rule", "Health", "Last evaluation", "Evaluation time"];
    el("section")
        .class("panel group")
        .testid("rules-group")
        .child(
            el("div")
                .class("group-head")
                .child(el("h2").testid("group-name").text(g.name.clone()))
                .child(el("span").class("file").testid("group-file").text(g.file.clone()))
                .child(el("span").class("summary").testid("group-health").text(health_summary(g))),
        )
        .child(el("div").class("group-meta").testid("group-meta").text(meta.join(" · ")))
        .child(
            el("table")
                .class("rules")
                .child(el("thead").child(el("tr").children(head.map(|h| el("th").text(h)))))
                .child(el("tbody").children(g.rules.iter().map(|r| rule(r, now)))),
        )
}

/// Our ruler's evaluation history and the command that repeats the rule's query, folded away.
fn history(r: &Rule, now: i64) -> Option<El> {
    if r.evaluations.is_empty() && r.query_command.is_none() {
        return None;
    }
    let head = ["Evaluated", "Took", "Series", "Samples", "Alerts changed"];
    let row = |e: &Evaluation| {
        let cells = evaluation_cells(now, e).map(|c| el("td").class("nowrap").text(c));
        let problems = el("td")
            .maybe(error_line(e.error.as_deref()))
            .maybe((!e.warnings.is_empty()).then(|| warning_list(&e.warnings, "evaluation-warning")));
        el("tr").testid("evaluation").children(cells).child(problems)
    };
    let table = (!r.evaluations.is_empty()).then(|| {
        el("table")
            .class("evaluations")
            .child(el("thead").child(el("tr").children(head.map(|h| el("th").text(h))).child(el("th"))))
            .child(el("tbody").children(r.evaluations.iter().map(row)))
    });
    let command = r.query_command.as_ref().map(|c| {
        el("div")
            .child(key("the query as the ruler sent it: "))
            .child(el("pre").class("command").testid("rule-command").text(c.clone()))
    });
    let summary = format!("Last {} evaluations", r.evaluations.len());
    Some(
        el("details")
            .class("history")
            .testid("rule-history")
            .child(el("summary").text(summary))
            .maybe(table)
            .maybe(command),
    )
}

fn rule(r: &Rule, now: i64) -> El {
    let kind = if r.is_alerting() { "alert" } else { "record" };
    let name = el("div").child(key(if r.is_alerting() { "alert: " } else { "record: " }));
    let definition = el("td")
        .class("definition")
        .child(name.child(el("strong").testid("rule-name").text(r.name.clone())))
        .child(query_line(&r.query))
        .children(timing_lines(r))
        .maybe(labels_line(&r.labels))
        .maybe((!r.annotations.is_empty()).then(|| annotation_list(&r.annotations, "rule-annotations")))
        .maybe(error_line(r.last_error.as_deref()))
        .maybe((!r.warnings.is_empty()).then(|| warning_list(&r.warnings, "rule-warning")))
        .maybe(history(r, now));
    let health = el("td")
        .child(badge(format!("health-{}", r.health), &r.health, "rule-health"))
        .maybe(r.never_matched.then(|| badge("never-matched".into(), "never matched", "rule-never-matched")));
    el("tr")
        .class(format!("rule {kind}"))
        .testid("rule")
        .child(definition)
        .child(health)
        .child(el("td").class("nowrap").text(last_evaluation(now, &r.last_evaluation)))
        .child(el("td").class("nowrap").text(seconds_short(r.evaluation_time)))
}
