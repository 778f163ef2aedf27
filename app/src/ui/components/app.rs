//! The page: loads `config.json`, then shows the page the path names (the panels the URL describes,
//! kept in step with it; the rules; the alerts) under a top bar linking them and choosing the theme.
//! Embedded, it shows the URL's first panel alone, without the bar.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::alerts_page::AlertsPage;
use super::panel::Panel;
use super::rules_page::RulesPage;
use super::status_page::StatusPage;
use super::stores_page::StoresPage;
use super::thanos_controls::StoreChoices;
use crate::config::Config;
use crate::route::Page;
use crate::stores_view;
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

/// Whether the system prefers dark, kept current: "auto" follows the system when it switches.
fn system_prefers_dark() -> Signal<bool> {
    let query = window().match_media("(prefers-color-scheme: dark)").ok().flatten();
    let dark = RwSignal::new(query.as_ref().is_some_and(|q| q.matches()));
    if let Some(query) = query {
        let watched = query.clone();
        let on_change = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| dark.set(watched.matches()));
        query.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
    }
    dark.into()
}

/// Marks `<html>` as dark or light (`class="dark"`, `data-theme`), which the CSS variables follow.
fn apply_theme(dark: bool) {
    if let Some(html) = window().document().and_then(|d| d.document_element()) {
        let _ = html.set_attribute("data-theme", if dark { "dark" } else { "light" });
        let _ = html.set_attribute("class", if dark { "dark" } else { "" });
    }
}

#[component]
pub fn App(page: Page, embed: bool) -> impl IntoView {
    let loaded = RwSignal::new(None::<(Config, Option<String>)>);
    leptos::task::spawn_local(async move { loaded.set(Some(api::load_config().await)) });

    let theme = RwSignal::new(Theme::parse(
        &storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).unwrap_or_default(),
    ));
    let system_dark = system_prefers_dark();
    let dark = Memo::new(move |_| theme.get().is_dark(system_dark.get()));
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

    if embed {
        return view! {
            <main class="embed">
                {move || loaded.get().map(|(config, problem)| view! {
                    {problem.map(|p| view! { <div class="alert error" data-testid="config-error">{p}</div> })}
                    <Embedded config/>
                })}
            </main>
        }
        .into_any();
    }
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
                    Page::Stores => view! { <StoresPage config/> }.into_any(),
                    Page::Status => view! { <StatusPage config/> }.into_any(),
                }}
            })}
        </main>
    }
    .into_any()
}

/// The URL's first panel, alone, sized to its frame, read-only unless `config.json` says otherwise;
/// a link opens it in the full console.
#[component]
fn Embedded(config: Config) -> impl IntoView {
    let location = window().location();
    let search = location.search().unwrap_or_default();
    // `?embed=1` must survive the URL being rewritten from the panel's state.
    let flag = !location.pathname().unwrap_or_default().ends_with("/embed");
    let Some(first) = url_state::decode(&search, &config.defaults).into_iter().next() else {
        return view! {
            <div class="alert error" data-testid="embed-empty">"Nothing to show: the link has no g0.expr."</div>
        }
        .into_any();
    };
    let state = RwSignal::new(first);
    let readonly = !config.embed.editable;
    let config = StoredValue::new(config);

    let query = move || url_state::encode(&[state.get()]);
    Effect::new(move |_| {
        let q = query();
        let search = format!("?{q}{}", if flag { "&embed=1" } else { "" });
        if location.search().ok().as_deref() != Some(search.as_str()) {
            let url = format!("{}{search}", location.pathname().unwrap_or_default());
            let _ = window()
                .history()
                .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url)));
        }
    });
    view! {
        <Panel index=Signal::derive(|| 0) state config readonly/>
        <a class="open-console" data-testid="open-console" target="_blank" rel="noopener"
            href=move || format!("graph?{}", query())>"Open in console ↗"</a>
    }
    .into_any()
}

/// The panels of the page (added, removed, duplicated); their states are written back to the URL
/// on every change, `g0`, `g1`, … in page order.
#[component]
fn Panels(config: Config) -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let mut initial = url_state::decode(&search, &config.defaults);
    if initial.is_empty() {
        initial.push(PanelState::new(&config.defaults));
    }
    // Ids key the list, so a panel keeps its component (and its result) when others come and go.
    let next_id = StoredValue::new(initial.len() as u64);
    let panels: RwSignal<Vec<(u64, RwSignal<PanelState>)>> =
        RwSignal::new(initial.into_iter().enumerate().map(|(i, s)| (i as u64, RwSignal::new(s))).collect());
    // The store filter's choices, when the API is a Thanos Querier.
    let choices = StoreChoices(RwSignal::new(Vec::new()));
    provide_context(choices);
    let stores_url = api::api_url(&config, "api/v1/stores");
    leptos::task::spawn_local(async move {
        if let Ok(data) = api::get_stores(&stores_url).await {
            choices.0.set(stores_view::addresses(&data));
        }
    });
    let config = StoredValue::new(config);

    Effect::new(move |_| {
        let states: Vec<PanelState> = panels.with(|p| p.iter().map(|(_, s)| s.get()).collect());
        let query = url_state::encode(&states);
        let location = window().location();
        let path = location.pathname().unwrap_or_default();
        if location.search().unwrap_or_default().trim_start_matches('?') != query {
            let url = format!("{path}?{query}");
            let _ = window()
                .history()
                .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url)));
        }
    });

    // A panel's state must outlive the panel that was clicked to create it (Duplicate), so it
    // belongs to the page, not to whatever owner the click handler runs under.
    let owner = StoredValue::new_local(Owner::current());
    let insert = move |at: usize, state: PanelState| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        let state = owner.with_value(|o| match o {
            Some(o) => o.with(|| RwSignal::new(state)),
            None => RwSignal::new(state),
        });
        panels.update(|p| p.insert(at.min(p.len()), (id, state)));
    };
    let position = move |id: u64| panels.with(|p| p.iter().position(|(i, _)| *i == id));

    view! {
        <For each=move || panels.get() key=|(id, _)| *id let:item>
            {
                let (id, state) = item;
                let index = Signal::derive(move || position(id).unwrap_or(0));
                let remove = Callback::new(move |()| panels.update(|p| p.retain(|(i, _)| *i != id)));
                let duplicate = Callback::new(move |()| {
                    if let Some(at) = position(id) {
                        insert(at + 1, state.get_untracked());
                    }
                });
                view! { <Panel index state config remove=remove duplicate=duplicate/> }
            }
        </For>
        <button class="add-panel" data-testid="add-panel"
            on:click=move |_| insert(usize::MAX, config.with_value(|c| PanelState::new(&c.defaults)))>
            "Add panel"
        </button>
    }
}
