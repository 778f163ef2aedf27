//! The page: loads `config.json`, then shows the page the path names (the panels the URL describes,
//! kept in step with it; the rules; the alerts) under a top bar linking them.

use leptos::prelude::*;

use super::alerts_page::AlertsPage;
use super::panel::Panel;
use super::rules_page::RulesPage;
use crate::config::Config;
use crate::route::Page;
use crate::ui::api;
use crate::url_state::{self, PanelState};

#[component]
pub fn App(page: Page) -> impl IntoView {
    let loaded = RwSignal::new(None::<(Config, Option<String>)>);
    leptos::task::spawn_local(async move { loaded.set(Some(api::load_config().await)) });

    view! {
        <header class="topbar">
            <span class="brand">"Thanos console"</span>
            // Plain links: each page is a fresh load of the same index.html, relative to the base.
            <nav class="pages">
                {Page::ALL.into_iter().map(|p| view! {
                    <a href=p.href() data-testid=format!("nav-{}", p.href()) class:active=p == page
                        aria-current=(p == page).then_some("page")>{p.title()}</a>
                }).collect_view()}
            </nav>
        </header>
        <main>
            {move || loaded.get().map(|(config, problem)| view! {
                {problem.map(|p| view! { <div class="alert error" data-testid="config-error">{p}</div> })}
                {match page {
                    Page::Graph => view! { <Panels config/> }.into_any(),
                    Page::Rules => view! { <RulesPage config/> }.into_any(),
                    Page::Alerts => view! { <AlertsPage config/> }.into_any(),
                }}
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
