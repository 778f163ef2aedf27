//! The Table tab: an instant query's result, one row per series, with the evaluation time.

use leptos::prelude::*;
use promapi::QueryData;

use super::outcome::QueryResult;
use crate::format::series_name;
use crate::query::url_state::PanelState;
use crate::time::format_time;

/// Rows rendered until the user asks for all: thousands of rows slow the page down.
const MAX_ROWS: usize = 1_000;

#[component]
pub fn ResultTable(state: RwSignal<PanelState>, result: RwSignal<QueryResult>) -> impl IntoView {
    let show_all = RwSignal::new(false);
    view! {
        <div class="time-controls">
            <label>"Evaluation time (UTC) "
                <input type="text" data-testid="eval-time" size="20" placeholder="now"
                    prop:value=move || state.with(|s| s.end.clone())
                    on:change=move |ev| state.update(|s| s.end = event_target_value(&ev).trim().to_string())/>
            </label>
        </div>
        <table class="result" data-testid="result-table">
            <tbody>
                {move || match (show_all.track(), result.get()).1 {
                    QueryResult::Done { outcome, .. } => rows(outcome.data, show_all).into_any(),
                    _ => ().into_any(),
                }}
            </tbody>
        </table>
    }
}

fn rows(data: QueryData, show_all: RwSignal<bool>) -> impl IntoView {
    let rows: Vec<(String, String)> = match data {
        QueryData::Vector(v) => v
            .into_iter()
            .map(|s| {
                let value = match (s.value, s.histogram) {
                    (Some(p), _) => p.1,
                    (None, Some((_, h))) => format!("count: {} sum: {}", h.count, h.sum),
                    (None, None) => String::new(),
                };
                (series_name(&s.metric), value)
            })
            .collect(),
        QueryData::Matrix(m) => m
            .into_iter()
            .map(|s| {
                let values: Vec<String> =
                    s.values.iter().map(|p| format!("{} @{}", p.1, format_time(p.t_millis()))).collect();
                (series_name(&s.metric), values.join("\n"))
            })
            .collect(),
        QueryData::Scalar(p) => vec![("scalar".into(), p.1)],
        QueryData::String(p) => vec![("string".into(), p.1)],
    };
    let total = rows.len();
    view! {
        {(total == 0).then(|| view! { <tr><td colspan="2" class="empty">"Empty query result"</td></tr> })}
        {rows.into_iter().take(if show_all.get_untracked() { usize::MAX } else { MAX_ROWS }).map(|(name, value)| view! {
            <tr data-testid="series-row">
                <td class="series" data-testid="series-name">{name}</td>
                <td class="value" data-testid="series-value">{value}</td>
            </tr>
        }).collect_view()}
        {(total > MAX_ROWS && !show_all.get_untracked()).then(|| view! {
            <tr><td colspan="2" class="empty">
                {format!("Showing the first {MAX_ROWS} of {total} series. ")}
                <button data-testid="show-all" on:click=move |_| show_all.set(true)>{format!("Show all {total}")}</button>
            </td></tr>
        })}
    }
}
