//! The page: loads `config.json`, then shows the panels the URL describes and keeps the URL in step.

use leptos::prelude::*;

use super::panel::Panel;
use crate::config::Config;
use crate::ui::api;
use crate::url_state::{self, PanelState};

#[component]
pub fn App() -> impl IntoView {
    let loaded = RwSignal::new(None::<(Config, Option<String>)>);
    leptos::task::spawn_local(async move { loaded.set(Some(api::load_config().await)) });

    view! {
        <header class="topbar">
            <span class="brand">"Thanos console"</span>
        </header>
        <main>
            {move || loaded.get().map(|(config, problem)| view! {
                {problem.map(|p| view! { <div class="alert error" data-testid="config-error">{p}</div> })}
                <Panels config/>
            })}
        </main>
    }
}

/// The panels of the page; their states are written back to the URL on every change.
#[component]
fn Panels(config: Config) -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let mut initial = url_state::decode(&search, &config.defaults);
    if initial.is_empty() {
        initial.push(PanelState::new(&config.defaults));
    }
    let states: Vec<RwSignal<PanelState>> = initial.into_iter().map(RwSignal::new).collect();
    let config = StoredValue::new(config);

    let tracked = states.clone();
    Effect::new(move |_| {
        let panels: Vec<PanelState> = tracked.iter().map(|s| s.get()).collect();
        let query = url_state::encode(&panels);
        let location = window().location();
        let path = location.pathname().unwrap_or_default();
        if location.search().unwrap_or_default().trim_start_matches('?') != query {
            let url = format!("{path}?{query}");
            let _ = window().history().and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url)));
        }
    });

    states
        .into_iter()
        .enumerate()
        .map(|(index, state)| view! { <Panel index state config/> })
        .collect_view()
}
