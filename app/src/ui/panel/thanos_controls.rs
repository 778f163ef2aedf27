//! The per-panel Thanos switches: deduplication, partial response, replica labels, downsampling,
//! engine, and the stores to ask (when the API lists them).

use leptos::prelude::*;
use promapi::Engine;

use crate::query::backend::Backend;
use crate::query::url_state::{PanelState, RESOLUTIONS};
use crate::ui::contexts::ApiBackend;

#[component]
pub fn ThanosControls(state: RwSignal<PanelState>) -> impl IntoView {
    let reason = thanos_only_reason();
    view! {
        // A disabled fieldset disables every switch in it, and says why once.
        <fieldset class="controls" disabled=move || reason.get().is_some()
            title=move || reason.get().unwrap_or_default()>
            <label title="Merge series that differ only in a replica label (API: dedup)">
                <input type="checkbox" data-testid="dedup"
                    prop:checked=move || state.with(|s| s.dedup)
                    on:change=move |ev| state.update(|s| s.dedup = event_target_checked(&ev))/>
                " Deduplication"
            </label>
            <label title="Answer with a warning when a store fails, instead of an error (API: partial_response)">
                <input type="checkbox" data-testid="partial-response"
                    prop:checked=move || state.with(|s| s.partial_response)
                    on:change=move |ev| state.update(|s| s.partial_response = event_target_checked(&ev))/>
                " Partial response"
            </label>
            <label title="Replica labels to deduplicate by, comma-separated; empty = the querier's --query.replica-label">
                "Replica labels "
                <input type="text" data-testid="replica-labels" size="14" placeholder="querier default"
                    prop:value=move || state.with(|s| s.replica_labels.join(","))
                    on:change=move |ev| state.update(|s| {
                        s.replica_labels = event_target_value(&ev)
                            .split(',').map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
                    })/>
            </label>
            <label title="max_source_resolution (range queries)">
                "Downsampling "
                <select data-testid="resolution"
                    prop:value=move || state.with(|s| s.max_source_resolution.clone())
                    on:change=move |ev| state.update(|s| s.max_source_resolution = event_target_value(&ev))>
                    {RESOLUTIONS.iter().map(|(value, text)| view! {
                        <option value=*value selected=move || state.with(|s| s.max_source_resolution == *value)>{*text}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Engine "
                <select data-testid="engine"
                    prop:value=move || state.with(|s| s.engine.as_str())
                    on:change=move |ev| state.update(|s| s.engine = Engine::parse(&event_target_value(&ev)).unwrap_or_default())>
                    <option value="prometheus" selected=move || state.with(|s| s.engine == Engine::Prometheus)>"Prometheus"</option>
                    <option value="thanos" selected=move || state.with(|s| s.engine == Engine::Thanos)>"Thanos"</option>
                </select>
            </label>
            <Show when=move || state.with(|s| s.engine == Engine::Thanos)>
                <label title="Ask the Thanos engine how it ran the query (API: analyze)">
                    <input type="checkbox" data-testid="analyze"
                        prop:checked=move || state.with(|s| s.analyze)
                        on:change=move |ev| state.update(|s| s.analyze = event_target_checked(&ev))/>
                    " Analyze"
                </label>
            </Show>
            {use_context::<ApiBackend>().map(|ApiBackend(backend)| view! { <StoreFilter state backend/> })}
            {move || reason.get().map(|r| view! { <span class="thanos-only" data-testid="thanos-only">{r}</span> })}
        </fieldset>
    }
}

/// Why the Thanos-only controls are off (the API is not a Querier), or `None`.
pub fn thanos_only_reason() -> Signal<Option<String>> {
    let backend = use_context::<ApiBackend>();
    Signal::derive(move || backend.and_then(|b| b.0.with(Backend::thanos_only_reason)))
}

/// Which stores a panel asks (`storeMatch[]`, by address); none chosen = all. Chosen addresses the
/// querier no longer lists stay offered, so a link's choice can be undone.
#[component]
fn StoreFilter(state: RwSignal<PanelState>, backend: RwSignal<Backend>) -> impl IntoView {
    let offered = move || {
        let mut all = backend.with(|b| b.store_addresses().to_vec());
        for chosen in state.with(|s| s.store_matches.clone()) {
            if !all.contains(&chosen) {
                all.push(chosen);
            }
        }
        all
    };
    let summary = move || match state.with(|s| s.store_matches.len()) {
        0 => "Stores: all".to_string(),
        n => format!("Stores: {n} chosen"),
    };
    view! {
        <Show when=move || !offered().is_empty()>
            <details class="store-filter" data-testid="store-filter">
                <summary title="Ask only these stores (API: storeMatch[])">{summary}</summary>
                {move || offered().into_iter().map(|address| {
                    let a = address.clone();
                    let checked = move || state.with(|s| s.store_matches.contains(&a));
                    let a = address.clone();
                    view! {
                        <label class="store-choice">
                            <input type="checkbox" data-testid="store-choice" value=address.clone()
                                prop:checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    state.update(|s| {
                                        s.store_matches.retain(|x| *x != a);
                                        if on {
                                            s.store_matches.push(a.clone());
                                        }
                                    })
                                }/>
                            " " {address}
                        </label>
                    }
                }).collect_view()}
            </details>
        </Show>
    }
}
