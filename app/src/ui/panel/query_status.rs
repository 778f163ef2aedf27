//! What the server said about the last query: stats, each warning on its own, partial results, errors.

use leptos::prelude::*;

use super::engine_analysis::operator_tree;
use super::outcome::QueryResult;
use crate::query::warnings::{classify, is_partial, WarningKind, PARTIAL_NOTICE};
use crate::ui::markup::el;

#[component]
pub fn QueryStatus(result: RwSignal<QueryResult>, loading: RwSignal<bool>) -> impl IntoView {
    view! {
        {move || loading.get().then(|| view! { <div class="loading" data-testid="loading">"Loading…"</div> })}
        // `with`, not `get`: the stats line must not copy the whole result.
        {move || result.with(|r| match r {
            QueryResult::Idle => ().into_any(),
            QueryResult::Failed(e) => view! { <div class="alert error" data-testid="error">{e.clone()}</div> }.into_any(),
            QueryResult::Done { outcome, range } => {
                let resolution = range.map(|(_, _, step)| format!(" · Resolution: {}s", step as f64 / 1000.0)).unwrap_or_default();
                let partial = is_partial(&outcome.warnings);
                view! {
                    <div class="stats" data-testid="stats">
                        {format!("Load time: {:.0}ms{resolution} · Result series: {}", outcome.elapsed_ms, outcome.data.series_count())}
                    </div>
                    {partial.then(|| view! { <div class="alert partial" data-testid="partial-notice">{PARTIAL_NOTICE}</div> })}
                    <ul class="warnings">
                        {outcome.warnings.iter().cloned().map(|w| {
                            let kind = classify(&w);
                            let (class, label) = match kind {
                                WarningKind::StoreFailure => ("warning store", "Store failed"),
                                WarningKind::Truncated => ("warning", "Truncated"),
                                WarningKind::Promql => ("warning", "PromQL warning"),
                                WarningKind::PromqlInfo => ("info", "PromQL info"),
                                WarningKind::Other => ("warning", "Warning"),
                            };
                            view! { <li class=class data-testid="warning"><strong>{label}": "</strong>{w}</li> }
                        }).collect_view()}
                    </ul>
                    {outcome.analysis.as_ref().map(|a| {
                        el("details").class("analysis").testid("analysis")
                            .child(el("summary").text("Engine analysis"))
                            .child(operator_tree(a))
                            .view()
                    })}
                }.into_any()
            }
        })}
    }
}
