//! The expression as a tree (explained in the parser worker): each node's sub-expression, what it is,
//! what it does in plain words, and a Run button that sends that node as its own instant query and
//! says how many series it returns and with which labels.

use std::collections::BTreeSet;

use leptos::prelude::*;
use promapi::QueryData;

use crate::config::Config;
use crate::promql::explain::ExprNode;
use crate::query::request;
use crate::query::url_state::{PanelState, Tab};
use crate::ui::markup::{el, El};
use crate::ui::schedule;
use crate::ui::task::Latest;
use crate::ui::{api, parser};

/// The button that shows and hides the tree (in the panel's tab bar).
#[component]
pub fn TreeToggle(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <button data-testid="tree-toggle" class:active=move || open.get() title="The expression as a tree, explained"
            on:click=move |_| open.update(|o| *o = !*o)>"Tree"</button>
    }
}

/// The tree of the panel's expression while `open`.
#[component]
pub fn ExprTree(
    state: RwSignal<PanelState>,
    config: StoredValue<Config>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let tree = RwSignal::new(None::<Result<ExprNode, String>>);
    let latest = Latest::new();
    Effect::new(move |_| {
        let expr = state.with(|s| s.expr.clone());
        if !open.get() || expr.trim().is_empty() {
            latest.cancel();
            tree.set(None);
            return;
        }
        latest
            .run(move |_| async move { parser::explain(&expr).await }, move |answer| tree.set(Some(answer)));
    });
    view! {
        {move || open.get().then(|| tree.with(|t| match t {
            None => el("div").class("loading").text("Explaining…").view(),
            Some(Err(e)) => el("div").class("alert error").testid("tree-error").text(e.clone()).view(),
            Some(Ok(root)) => el("div").class("expr-tree").testid("expr-tree").child(el("ul").class("tree").child(node(root, state, config))).view(),
        }))}
    }
}

fn node(n: &ExprNode, state: RwSignal<PanelState>, config: StoredValue<Config>) -> El {
    let result = RwSignal::new(None::<String>);
    let latest = Latest::new();
    let expr = n.expr.clone();
    let run = move |_| {
        let mut s = state.get_untracked();
        s.expr = expr.clone();
        s.tab = Tab::Table;
        let req = match request::build(&s, schedule::now_ms() as i64) {
            Ok(r) => r,
            Err(e) => {
                result.set(Some(e));
                return;
            }
        };
        let url = config.with_value(|c| api::api_url(c, req.path));
        result.set(Some("Running…".into()));
        latest.run(
            move |ticket| async move { api::post_query(&url, &req, ticket.signal()).await },
            move |answer| {
                result.set(Some(match answer {
                    Ok(outcome) => summary(&outcome.data),
                    Err(e) => e.to_string(),
                }))
            },
        );
    };
    let head = el("div")
        .class("tree-node")
        .child(el("code").class("node-expr").testid("node-expr").text(n.expr.clone()))
        .child(el("span").class("badge").text(n.kind.clone()))
        .any(view! { <button class="node-run" data-testid="node-run" on:click=run>"Run"</button> }.into_any())
        .any(
            (move || {
                result.get().map(|r| view! { <span class="node-result" data-testid="node-result">{r}</span> })
            })
            .into_any(),
        );
    let item = el("li").testid("tree-node").child(head).maybe(
        (!n.words.is_empty()).then(|| words(el("div").class("node-words").testid("node-words"), &n.words)),
    );
    if n.children.is_empty() {
        item
    } else {
        item.child(el("ul").class("tree").children(n.children.iter().map(|c| node(c, state, config))))
    }
}

/// `3 series · labels: instance, job` for a node's answer.
fn summary(data: &QueryData) -> String {
    let labels: BTreeSet<String> = match data {
        QueryData::Vector(v) => v.iter().flat_map(|s| s.metric.keys().cloned()).collect(),
        QueryData::Matrix(m) => m.iter().flat_map(|s| s.metric.keys().cloned()).collect(),
        QueryData::Scalar(_) => return "a scalar".into(),
        QueryData::String(_) => return "a string".into(),
    };
    let n = data.series_count();
    let labels: Vec<String> = labels.into_iter().filter(|l| l != "__name__").collect();
    if labels.is_empty() {
        format!("{n} series")
    } else {
        format!("{n} series · labels: {}", labels.join(", "))
    }
}

/// `text` into `into`, its `` `quoted` `` parts (names, operators) as code.
fn words(into: El, text: &str) -> El {
    text.split('`').enumerate().fold(into, |e, (i, part)| match i % 2 {
        0 => e.text(part.to_string()),
        _ => e.child(el("code").text(part.to_string())),
    })
}
