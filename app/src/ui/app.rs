//! The console's frame: loads `config.json`, then shows the page the path names under a top bar that
//! links the pages and chooses the theme. Embedded, it shows the embed page alone, without the bar.

use leptos::prelude::*;

use crate::config::Config;
use crate::pages::route::Page;
use crate::query::backend::Backend;
use crate::theme::{Theme, STORAGE_KEY};
use crate::ui::api;
use crate::ui::contexts::{ApiBackend, ClockWarning, Dark};
use crate::ui::pages::{AlertsPage, Embedded, Panels, RulesPage, StatusPage, StoresPage};
use crate::ui::theme::{apply_theme, storage, system_prefers_dark};

#[component]
pub fn App(page: Page, embed: bool) -> impl IntoView {
    let loaded = RwSignal::new(None::<(Config, Option<String>)>);
    // Tabs of different pages must not all read the same.
    document().set_title(&format!("{} · Thanos console", page.title()));
    let backend = RwSignal::new(Backend::Probing);
    provide_context(ApiBackend(backend));
    leptos::task::spawn_local(async move {
        let (config, problem) = api::load_config().await;
        loaded.set(Some((config.clone(), problem)));
        // An embed shows no Thanos controls: it need not know.
        if !embed {
            backend.set(api::probe_backend(&config).await);
        }
    });

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
