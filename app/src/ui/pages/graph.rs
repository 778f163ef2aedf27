//! The graph page: the panels the URL describes, added, removed and duplicated, kept in step with it.

use leptos::prelude::*;

use crate::config::Config;
use crate::query::url_state::{self, PanelState};
use crate::ui::panel::Panel;
use crate::ui::url::{push_url, replace_url};

/// The panels of the page (added, removed, duplicated); their states are written back to the URL
/// on every change, `g0`, `g1`, … in page order: a new history entry when what they query changes,
/// the current one otherwise.
#[component]
pub fn Panels(config: Config) -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let mut initial = url_state::decode(&search, &config.defaults);
    if initial.is_empty() {
        initial.push(PanelState::new(&config.defaults));
    }
    // Ids key the list, so a panel keeps its component (and its result) when others come and go.
    let next_id = StoredValue::new(initial.len() as u64);
    let panels: RwSignal<Vec<(u64, RwSignal<PanelState>)>> =
        RwSignal::new(initial.into_iter().enumerate().map(|(i, s)| (i as u64, RwSignal::new(s))).collect());
    let config = StoredValue::new(config);

    // What the panels query (not how they draw it): when it changes, the URL is a new history entry.
    let queried = StoredValue::new(None::<Vec<PanelState>>);
    Effect::new(move |_| {
        let states: Vec<PanelState> = panels.with(|p| p.iter().map(|(_, s)| s.get()).collect());
        let query = url_state::encode(&states);
        let path = window().location().pathname().unwrap_or_default();
        let url = if query.is_empty() { path } else { format!("{path}?{query}") };
        let now: Vec<PanelState> = states.iter().map(PanelState::query_part).collect();
        // The tab says which query it holds.
        if let Some(first) = states.first().filter(|s| !s.expr.trim().is_empty()) {
            let expr: String = first.expr.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = expr.chars().take(60).collect();
            document().set_title(&format!("{short} · Graph · Thanos console"));
        }
        let changed = queried.with_value(|q| q.as_ref().is_some_and(|q| *q != now));
        queried.set_value(Some(now));
        if changed {
            push_url(&url);
        } else {
            replace_url(&url);
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

    // Back and Forward: the panels take the entry's states (and run their queries again); the URL
    // then already says what they hold, so nothing is written.
    let restore = move || {
        let search = window().location().search().unwrap_or_default();
        let mut states = url_state::decode(&search, &config.with_value(|c| c.defaults.clone()));
        if states.is_empty() {
            states.push(config.with_value(|c| PanelState::new(&c.defaults)));
        }
        queried.set_value(Some(states.iter().map(PanelState::query_part).collect()));
        let same_count = panels.with_untracked(|p| p.len() == states.len());
        if same_count {
            let signals: Vec<RwSignal<PanelState>> =
                panels.with_untracked(|p| p.iter().map(|(_, s)| *s).collect());
            for (signal, state) in signals.into_iter().zip(states) {
                if signal.with_untracked(|s| *s != state) {
                    signal.set(state);
                }
            }
        } else {
            panels.set(Vec::new());
            for state in states {
                insert(usize::MAX, state);
            }
        }
    };
    let listener = window_event_listener(leptos::ev::popstate, move |_| restore());
    on_cleanup(move || listener.remove());

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
            on:click=move |_| {
                insert(usize::MAX, config.with_value(|c| PanelState::new(&c.defaults)));
                // The new panel's editor, in view and focused, once it is on the page.
                let last = panels.with_untracked(Vec::len).saturating_sub(1);
                request_animation_frame(move || focus_editor(last));
            }>
            "Add panel"
        </button>
    }
}

/// Scrolls panel `index`'s editor into view and puts the caret in it.
fn focus_editor(index: usize) {
    let selector = format!("[data-testid=panel-{index}] [data-testid=expr]");
    let Some(area) = document().query_selector(&selector).ok().flatten() else { return };
    area.scroll_into_view();
    if let Ok(area) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(area) {
        let _ = area.focus();
    }
}
