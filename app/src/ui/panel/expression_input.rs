//! The expression box: Enter runs, Shift+Enter inserts a newline, Shift+Alt+F formats. Typed input
//! is parsed (in the parser worker) before it is sent; a parse error is shown, underlined where it
//! most likely is, and nothing is sent. While typing, the error of the latest text is shown as soon
//! as the parser has loaded.
//!
//! Highlighting is a `<pre>` mirror behind a textarea with transparent text: the textarea keeps
//! native editing (caret, selection, undo, IME), the mirror draws the colours from [`editor`].
//!
//! Autocomplete ([`completion`]) opens as you type (or on Ctrl+Space): ArrowUp/Down move, Tab or
//! Enter accept, Esc closes. Server names are fetched debounced and cached per page.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::ev::{Event, KeyboardEvent};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};

use crate::config::Config;
use crate::promql::completion::{self, Candidate, Context};
use crate::promql::editor;
use crate::query::url_state::PanelState;
use crate::ui::schedule::sleep;
use crate::ui::task::Latest;
use crate::ui::{api, history, parser};

thread_local! {
    /// Names fetched for autocomplete, by URL: each is asked once per page.
    static NAMES: RefCell<HashMap<String, Rc<Vec<String>>>> = RefCell::new(HashMap::new());
}

/// The request a context needs: URL path and the metric to scope it to.
fn needed(context: &Context) -> Option<(String, Option<String>)> {
    match context {
        Context::Expression => Some(("/api/v1/label/__name__/values".into(), None)),
        Context::LabelName { metric } => Some(("/api/v1/labels".into(), metric.clone())),
        Context::LabelValue { label, metric, .. } => Some((api::label_values_path(label), metric.clone())),
        Context::Duration | Context::None => None,
    }
}

/// Scrolls the completion list beside `area` so that entry `i` shows (the keyboard moved past an edge).
fn reveal(area: Option<HtmlTextAreaElement>, i: usize) {
    let list =
        area.and_then(|a| a.parent_element()).and_then(|p| p.query_selector(".completion").ok().flatten());
    let Some(list) = list else { return };
    let Some(item) = list.children().item(i as u32).and_then(|e| e.dyn_into::<HtmlElement>().ok()) else {
        return;
    };
    let span = (item.offset_top(), item.offset_top() + item.offset_height());
    if let Some(top) = completion::scroll_to_show(span, list.scroll_top(), list.client_height()) {
        list.set_scroll_top(top);
    }
}

#[component]
pub fn ExpressionInput(
    state: RwSignal<PanelState>,
    /// Bumped to re-run an unchanged expression.
    nonce: RwSignal<u64>,
    /// Whether a query is in flight.
    loading: RwSignal<bool>,
    config: StoredValue<Config>,
) -> impl IntoView {
    let draft = RwSignal::new(state.get_untracked().expr);
    // An expression set from outside (Back to an earlier query) replaces the text being edited.
    let executed = Memo::new(move |_| state.with(|s| s.expr.clone()));
    Effect::new(move |_| {
        let expr = executed.get();
        if draft.get_untracked() != expr {
            draft.set(expr);
        }
    });
    let parse_error = RwSignal::new(None::<String>);
    // The text the shown error belongs to: the underline is drawn only while it is still the text.
    let error_text = RwSignal::new(String::new());
    // The caret, in UTF-16 units as the textarea counts.
    let caret = RwSignal::new(0usize);
    let mirror_ref = NodeRef::<leptos::html::Pre>::new();
    let area_ref = NodeRef::<leptos::html::Textarea>::new();
    // Autocomplete: the list, the text it was made for, the selected entry, and the newest look-up
    // (a superseded one drops its answer).
    let items = RwSignal::new(Vec::<Candidate>::new());
    let items_for = StoredValue::new(String::new());
    let selected = RwSignal::new(0usize);
    let lookups = Latest::new();
    let past = StoredValue::new(history::load());

    let set_error = move |text: &str, error: Option<String>| {
        error_text.set(text.to_string());
        parse_error.set(error);
    };

    let execute = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            set_error(&text, Some("Enter an expression to run.".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = parser::check(&text).await;
            // Edited while parsing (the next Enter decides), or the panel is gone.
            if draft.try_get_untracked().as_ref() != Some(&text) {
                return;
            }
            match verdict {
                Err(e) => set_error(&text, Some(e)),
                Ok(()) => {
                    set_error(&text, None);
                    history::record(&text);
                    past.set_value(history::load());
                    if state.with_untracked(|s| s.expr == text) {
                        nonce.update(|n| *n += 1);
                    } else {
                        state.update(|s| s.expr = text);
                    }
                }
            }
        });
    };
    let format = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let result = parser::format(&text).await;
            if draft.try_get_untracked().as_ref() != Some(&text) {
                return;
            }
            match result {
                Ok(formatted) => {
                    caret.set(formatted.encode_utf16().count());
                    set_error(&formatted, None);
                    draft.set(formatted);
                }
                Err(e) => set_error(&text, Some(e)),
            }
        });
    };
    let track_caret = move |ev: &Event| {
        let area = event_target::<HtmlTextAreaElement>(ev);
        caret.set(area.selection_start().ok().flatten().unwrap_or(0) as usize);
    };
    let close = move || {
        lookups.cancel();
        items.set(Vec::new());
    };
    let show = move |text: &str, at: usize, context: &Context, data: &[String]| {
        let (_, list) = past.with_value(|h| {
            let mut sources = completion::Sources { history: h, ..Default::default() };
            match context {
                Context::Expression => sources.metrics = data,
                Context::LabelName { .. } => sources.label_names = data,
                _ => sources.label_values = data,
            }
            completion::complete(text, at, sources)
        });
        items_for.set_value(text.to_string());
        selected.set(0);
        items.set(list);
    };
    // Recomputes the list for the current text and caret; `force` opens it even with no word typed.
    let refresh = move |force: bool| {
        let text = draft.get_untracked();
        let at = editor::byte_offset(&text, caret.get_untracked());
        let place = completion::place(&text, at);
        lookups.cancel();
        let typing = match &place.context {
            Context::None => false,
            Context::Expression => place.range.start < at,
            _ => true,
        };
        if !force && !typing {
            items.set(Vec::new());
            return;
        }
        let Some((path, matcher)) = needed(&place.context) else {
            show(&text, at, &place.context, &[]);
            return;
        };
        let url = config.with_value(|c| api::api_url(c, &path));
        let key = format!("{url}|{}", matcher.as_deref().unwrap_or(""));
        if let Some(data) = NAMES.with(|n| n.borrow().get(&key).cloned()) {
            show(&text, at, &place.context, &data);
            return;
        }
        show(&text, at, &place.context, &[]);
        lookups.run(
            move |ticket| async move {
                sleep(150).await;
                if !ticket.is_current() {
                    return None; // typed on (a newer look-up decides), or the panel is gone
                }
                let data = Rc::new(api::get_names(&url, matcher.as_deref()).await.unwrap_or_default());
                // Failures are cached empty too: autocomplete must not hammer a server that refuses.
                NAMES.with(|n| n.borrow_mut().insert(key, data.clone()));
                Some(data)
            },
            move |data| {
                if let Some(data) = data.filter(|_| draft.try_get_untracked().as_ref() == Some(&text)) {
                    show(&text, at, &place.context, &data);
                }
            },
        );
    };
    let check_text = move |text: String| {
        if text.trim().is_empty() {
            set_error(&text, None);
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = parser::check(&text).await;
            if draft.try_get_untracked().as_ref() == Some(&text) {
                set_error(&text, verdict.err());
            }
        });
    };
    // Accepts entry `i`; false when the list is stale (made for other text).
    let accept = move |i: usize| -> bool {
        let text = draft.get_untracked();
        let chosen = items.with_untracked(|l| l.get(i).cloned());
        close();
        let Some(c) = chosen.filter(|_| items_for.with_value(|t| *t == text)) else {
            return false;
        };
        let (new, at) = completion::accept(&text, &c);
        let units = new.get(..at).unwrap_or("").encode_utf16().count();
        draft.set(new.clone());
        caret.set(units);
        if let Some(area) = area_ref.get_untracked() {
            area.set_value(&new);
            let u = units as u32;
            let _ = area.set_selection_range(u, u);
        }
        check_text(new);
        true
    };
    let on_input = move |ev: Event| {
        track_caret(&ev);
        let text = event_target_value(&ev);
        draft.set(text.clone());
        refresh(false);
        check_text(text);
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let len = items.with_untracked(Vec::len);
        let key = ev.key();
        if len > 0 {
            let handled = match key.as_str() {
                "ArrowDown" => {
                    selected.update(|s| *s = (*s + 1) % len);
                    reveal(area_ref.get_untracked(), selected.get_untracked());
                    true
                }
                "ArrowUp" => {
                    selected.update(|s| *s = (*s + len - 1) % len);
                    reveal(area_ref.get_untracked(), selected.get_untracked());
                    true
                }
                "Escape" => {
                    close();
                    true
                }
                "Tab" => {
                    accept(selected.get_untracked());
                    true
                }
                "Enter" if !ev.shift_key() => {
                    if !accept(selected.get_untracked()) {
                        execute();
                    }
                    true
                }
                _ => false,
            };
            if handled {
                ev.prevent_default();
                return;
            }
        }
        if ev.ctrl_key() && (key == " " || ev.code() == "Space") {
            ev.prevent_default();
            refresh(true);
        } else if key == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            execute();
        } else if ev.shift_key() && ev.alt_key() && ev.code() == "KeyF" {
            ev.prevent_default();
            format();
        }
    };
    let on_scroll = move |ev: Event| {
        let area = event_target::<HtmlTextAreaElement>(&ev);
        if let Some(pre) = mirror_ref.get() {
            pre.set_scroll_top(area.scroll_top());
            pre.set_scroll_left(area.scroll_left());
        }
    };

    let mirror = move || {
        let text = draft.get();
        let at = editor::byte_offset(&text, caret.get());
        parse_error.with(|e| {
            let current = error_text.with(|t| *t == text) && !text.trim().is_empty();
            let error = e.as_deref().filter(|_| current).map(|e| (editor::locate_error(&text, e), e));
            editor::mirror_html(&text, at, error)
        })
    };

    view! {
        <div class="expression">
            <div class="editor">
                <pre class="mirror" aria-hidden="true" data-testid="mirror" node_ref=mirror_ref inner_html=mirror></pre>
                <textarea
                    data-testid="expr"
                    rows="2"
                    spellcheck="false"
                    placeholder="Expression (press Shift+Enter for newlines)"
                    prop:value=move || draft.get()
                    on:input=on_input
                    on:keydown=on_keydown
                    on:keyup=move |ev: KeyboardEvent| {
                        track_caret(&ev);
                        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                            close();
                        }
                    }
                    on:click=move |ev| {
                        track_caret(&ev);
                        close();
                    }
                    on:blur=move |_| close()
                    on:scroll=on_scroll
                    node_ref=area_ref
                ></textarea>
                {move || (!items.with(Vec::is_empty)).then(|| view! {
                    <ul class="completion" data-testid="completion" role="listbox">
                        {items.get().into_iter().enumerate().map(|(i, c)| view! {
                            <li
                                data-testid="completion-item"
                                role="option"
                                class:selected=move || selected.get() == i
                                on:mousedown=move |ev| {
                                    // Keep the textarea's focus (and so its caret).
                                    ev.prevent_default();
                                    accept(i);
                                }
                            >
                                <span class="c-label">{c.label}</span>
                                <span class="c-kind">{c.kind.name()}</span>
                                <span class="c-sig">{c.signature}</span>
                                <span class="c-doc">{c.doc}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
            <button data-testid="execute" class="primary" on:click=move |_| execute()>
                {move || if loading.get() { "Running…" } else { "Execute" }}
            </button>
            <button data-testid="format" title="Format the expression (Shift+Alt+F)" on:click=move |_| format()>
                "Format"
            </button>
        </div>
        {move || parse_error.get().map(|e| view! {
            <div class="alert error" data-testid="parse-error">"Parse error: " {e}</div>
        })}
    }
}
