//! The page: loads `config.json`, then shows the page the path names (the panels the URL describes,
//! kept in step with it; the rules; the alerts) under a top bar linking them and choosing the theme.

use leptos::prelude::*;

use super::alerts_page::AlertsPage;
use super::panel::Panel;
use super::rules_page::RulesPage;
use crate::config::Config;
use crate::route::Page;
use crate::theme::{Theme, STORAGE_KEY};
use crate::ui::api;
use crate::url_state::{self, PanelState};

/// Whether the page is dark (the chart needs it to pick its colours).
#[derive(Clone, Copy)]
pub struct Dark(pub Signal<bool>);

/// The clock warning, set by panels from their answers' `Date` header.
#[derive(Clone, Copy)]
pub struct ClockWarning(pub RwSignal<Option<String>>);

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn system_prefers_dark() -> bool {
    window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches())
}

/// Marks `<html>` as dark or light (`class="dark"`, `data-theme`), which the CSS variables follow.
fn apply_theme(dark: bool) {
    if let Some(html) = window().document().and_then(|d| d.document_element()) {
        let _ = html.set_attribute("data-theme", if dark { "dark" } else { "light" });
        let _ = html.set_attribute("class", if dark { "dark" } else { "" });
    }
}

#[component]
pub fn App(page: Page) -> impl IntoView {
    let loaded = RwSignal::new(None::<(Config, Option<String>)>);
    leptos::task::spawn_local(async move { loaded.set(Some(api::load_config().await)) });

    let theme = RwSignal::new(Theme::parse(&storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).unwrap_or_default()));
    let dark = Memo::new(move |_| theme.get().is_dark(system_prefers_dark()));
    Effect::new(move |_| apply_theme(dark.get()));
    provide_context(Dark(dark.into()));
    let clock_warning = RwSignal::new(None::<String>);
    provide_context(ClockWarning(clock_warning));
    let choose = move |ev| {
        let t = Theme::parse(&event_target_value(&ev));
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, t.as_str());
        }
        theme.set(t);
    };

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
            <label class="theme-select">"Theme "
                <select data-testid="theme" on:change=choose>
                    {Theme::ALL.into_iter().map(|t| view! {
                        <option value=t.as_str() selected=move || theme.get() == t>{t.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
        </header>
        {move || clock_warning.get().map(|w| view! { <div class="alert clock-warning" data-testid="clock-warning">{w}</div> })}
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
