//! The per-panel Thanos switches: deduplication, partial response, replica labels, downsampling, engine.

use leptos::prelude::*;
use promapi::Engine;

use crate::url_state::{PanelState, RESOLUTIONS};

#[component]
pub fn ThanosControls(state: RwSignal<PanelState>) -> impl IntoView {
    view! {
        <div class="controls">
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
        </div>
    }
}
