//! The Thanos engine's own account of a query: the analysis it returns with `analyze=true` (operators
//! with their times and samples) and, on demand, the operator tree of its explain endpoints.

use leptos::prelude::*;
use promapi::analysis::Operator;
use promapi::Engine;

use crate::config::Config;
use crate::query::request;
use crate::query::url_state::PanelState;
use crate::ui::api;
use crate::ui::markup::{el, El};
use crate::ui::panel::thanos_controls::thanos_only_reason;
use crate::ui::schedule;
use crate::ui::task::Latest;

/// An operator tree as nested lists: name, then time and samples where given.
pub fn operator_tree(op: &Operator) -> El {
    let mut facts = Vec::new();
    if let Some(t) = &op.execution_time {
        facts.push(format!("time {t}"));
    }
    if let Some(n) = op.peak_samples {
        facts.push(format!("peak samples {n}"));
    }
    if let Some(n) = op.total_samples {
        facts.push(format!("total samples {n}"));
    }
    let item = el("li")
        .testid("operator")
        .child(el("code").class("op-name").testid("operator-name").text(op.name.clone()))
        .maybe(
            (!facts.is_empty()).then(|| el("span").class("op-facts").text(format!(" {}", facts.join(" · ")))),
        );
    let item = if op.children.is_empty() {
        item
    } else {
        item.child(el("ul").class("tree").children(op.children.iter().map(operator_tree)))
    };
    el("ul").class("tree").child(item)
}

/// The Explain button (Thanos engine only) and the tree it fetches.
#[component]
pub fn Explain(state: RwSignal<PanelState>, config: StoredValue<Config>) -> impl IntoView {
    let tree = RwSignal::new(None::<Result<Operator, String>>);
    let reason = thanos_only_reason();
    let latest = Latest::new();
    // A new query makes an old explanation wrong.
    Effect::new(move |_| {
        state.track();
        latest.cancel();
        tree.set(None);
    });
    let run = move |_| {
        let s = state.get_untracked();
        let req = match request::build(&s, schedule::now_ms() as i64) {
            Ok(r) => r.explain(),
            Err(e) => {
                tree.set(Some(Err(e)));
                return;
            }
        };
        let url = config.with_value(|c| api::api_url(c, req.path));
        latest.run(
            move |_| async move { api::post_explain(&url, &req).await },
            move |answer| tree.set(Some(answer.map_err(|e| e.to_string()))),
        );
    };
    view! {
        <Show when=move || state.with(|s| s.engine == Engine::Thanos)>
            <button data-testid="explain" disabled=move || reason.get().is_some()
                title=move || reason.get().unwrap_or_else(|| "The operators the Thanos engine would run (API: query_explain)".into())
                on:click=run>"Explain"</button>
        </Show>
        {move || tree.with(|t| t.as_ref().map(|t| match t {
            Ok(op) => el("div").class("analysis").testid("explain-tree").child(el("strong").text("Explain")).child(operator_tree(op)).view(),
            Err(e) => el("div").class("alert error").testid("explain-error").text(e.clone()).view(),
        }))}
    }
}
