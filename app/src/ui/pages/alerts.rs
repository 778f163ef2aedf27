//! The Alerts page: alerting rules by group with their alerts (state, active since, value, labels,
//! annotations as rendered by the server), filtered by state and text, with counts per state.

use leptos::prelude::*;

use super::rule_parts::{
    annotation_list, badge, error_line, label_list, labels_line, load_rules, query_line, rules_view,
    timing_lines,
};
use crate::config::Config;
use crate::pages::rules::{
    active_since, counts, filter_alerts, Alert, AlertState, Group, Rule, Rules, StateFilter, TextFilter,
};
use crate::ui::api;
use crate::ui::markup::{el, El};
use crate::ui::task::Loaded;
use crate::ui::widgets::RefreshButton;

#[component]
pub fn AlertsPage(config: Config) -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let loaded = load_rules(&config, refresh);
    let asked = api::api_url(&config, "api/v1/rules");
    let states = RwSignal::new(StateFilter::default());
    let text = RwSignal::new(String::new());
    let count = move |s: AlertState| {
        loaded.with(|l| match l {
            Loaded::Done(a) => counts(&a.data).of(s).to_string(),
            _ => "…".into(),
        })
    };
    let list = move |data: &Rules, now: i64| {
        let groups = filter_alerts(data, states.get(), &TextFilter::new(&text.get()));
        if groups.is_empty() {
            let why = if data.groups.is_empty() {
                format!("No alerting rules to show: {asked} lists no rule groups.")
            } else {
                "No alerting rules to show with these filters.".to_string()
            };
            return vec![el("div").class("empty").testid("empty").text(why)];
        }
        groups.iter().map(|g| group(g, now)).collect()
    };

    view! {
        <div class="page-controls">
            {AlertState::ALL.into_iter().map(|s| view! {
                <label class=format!("state-toggle {}", s.as_str())>
                    <input type="checkbox" data-testid=format!("show-{}", s.as_str())
                        prop:checked=move || states.with(|f| f.shows(s))
                        on:change=move |ev| states.update(|f| f.set(s, event_target_checked(&ev)))/>
                    {format!(" {} (", s.title())}
                    <span data-testid=format!("count-{}", s.as_str())>{move || count(s)}</span>
                    ")"
                </label>
            }).collect_view()}
            <input type="search" data-testid="alerts-filter" size="40"
                placeholder="Filter by name, labels, annotations or expression"
                on:input=move |ev| text.set(event_target_value(&ev))/>
            <RefreshButton refresh/>
        </div>
        {rules_view(loaded, list)}
    }
}

fn group(g: &Group, now: i64) -> El {
    el("section")
        .class("panel group")
        .testid("alerts-group")
        .child(
            el("div")
                .class("group-head")
                .child(el("h2").testid("group-name").text(g.name.clone()))
                .child(el("span").class("file").text(g.file.clone())),
        )
        .children(g.rules.iter().map(|r| el("div").any(rule(r.clone(), now))))
}

/// One rule, folded; open from the start when it has alerts. Its body is built only while open, so
/// a page of thousands of quiet rules stays light.
fn rule(r: Rule, now: i64) -> AnyView {
    let open = RwSignal::new(!r.alerts.is_empty());
    let details = NodeRef::<leptos::html::Details>::new();
    let summary = el("summary")
        .child(badge(format!("state-{}", r.state), &r.state, "alert-rule-state"))
        .text(" ")
        .child(el("strong").testid("alert-rule-name").text(r.name.clone()))
        .child(el("span").class("count").text(format!(" ({} active)", r.alerts.len())))
        .view();
    let class = format!("alert-rule {}", r.state);
    let r = StoredValue::new(r);
    view! {
        <details class=class data-testid="alert-rule" node_ref=details prop:open=open
            on:toggle=move |_| if let Some(d) = details.get() { open.set(d.open()) }>
            {summary}
            {move || open.get().then(|| r.with_value(|r| body(r, now).view()))}
        </details>
    }
    .into_any()
}

fn body(r: &Rule, now: i64) -> El {
    let definition = el("div")
        .class("definition")
        .child(query_line(&r.query))
        .children(timing_lines(r))
        .maybe(labels_line(&r.labels))
        .maybe((!r.annotations.is_empty()).then(|| annotation_list(&r.annotations, "rule-annotations")))
        .maybe(error_line(r.last_error.as_deref()));
    let head = ["Labels", "State", "Active since", "Value", "Annotations"];
    let alerts = (!r.alerts.is_empty()).then(|| {
        el("table")
            .class("alerts")
            .child(el("thead").child(el("tr").children(head.map(|h| el("th").text(h)))))
            .child(el("tbody").children(r.alerts.iter().map(|a| alert(a, now))))
    });
    el("div").class("rule-body").child(definition).maybe(alerts)
}

fn alert(a: &Alert, now: i64) -> El {
    el("tr")
        .testid("alert")
        .child(el("td").child(label_list(&a.labels, "alert-labels")))
        .child(el("td").child(badge(format!("state-{}", a.state), &a.state, "alert-state")))
        .child(
            el("td")
                .class("nowrap")
                .testid("alert-active-since")
                .text(active_since(now, a.active_at.as_deref())),
        )
        .child(el("td").class("nowrap").testid("alert-value").text(a.value.clone()))
        .child(el("td").child(annotation_list(&a.annotations, "alert-annotations")))
}
