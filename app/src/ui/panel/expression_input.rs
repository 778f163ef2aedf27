//! The expression box: Enter runs, Shift+Enter inserts a newline, Shift+Alt+F formats. Typed input
//! is parsed (in the parser worker) before it is sent; a parse error is shown, underlined where it
//! most likely is, and nothing is sent. While typing, the error of the latest text is shown once
//! typing pauses ([`LINT_PAUSE_MS`]), on a line kept for it so that nothing below moves; while it
//! shows, the result below is marked as the previous expression's.
//!
//! Highlighting is a `<pre>` mirror behind a textarea with transparent text: the textarea keeps
//! native editing (caret, selection, undo, IME), the mirror draws the colours from [`editor`].
//! Format and completion replace the text as an edit ([`replace_text`]), so Ctrl+Z undoes them.
//!
//! Ctrl+↑ / Ctrl+↓ step through past queries (Ctrl+↓ past the newest gives back the edited text).
//!
//! Autocomplete ([`completion`]) opens as you type (or on Ctrl+Space): ArrowUp/Down move, Tab or
//! Enter accept, Esc closes. Server names are fetched debounced and cached per page.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::ev::{Event, KeyboardEvent};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlDocument, HtmlElement, HtmlTextAreaElement};

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

/// How long typing must pause before the text's parse error is shown.
const LINT_PAUSE_MS: i32 = 400;

/// Replaces the whole text of `area` as if typed: the browser records it in its undo history (a
/// plain `value =` would clear that history). Falls back to setting the value where
/// `insertText` is not supported. Fires `input` either way.
fn replace_text(area: &HtmlTextAreaElement, text: &str, caret: u32) {
    let _ = area.focus();
    area.select();
    let inserted = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<HtmlDocument>().ok())
        .and_then(|d| d.exec_command_with_show_ui_and_value("insertText", false, text).ok())
        .unwrap_or(false);
    if !inserted || area.value() != text {
        area.set_value(text);
        if let Ok(ev) = Event::new("input") {
            let _ = area.dispatch_event(&ev);
        }
    }
    let _ = area.set_selection_range(caret, caret);
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
    /// Stops the query in flight (the Execute button says Cancel meanwhile).
    cancel: Callback<()>,
    /// Set while the shown result is not for the text in the editor, which does not parse.
    stale: RwSignal<bool>,
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
    // Set while the text is replaced by Format or a completion, whose `input` event is not typing.
    let replacing = StoredValue::new(false);
    let checks = Latest::new();
    // Ctrl+↑ / Ctrl+↓ through past queries: which entry is shown, and the text edited before.
    let recalled = StoredValue::new(None::<usize>);
    let edited = StoredValue::new(String::new());
    // Replaces the text as an undoable edit, the caret at `caret` (UTF-16 units).
    let replace = move |text: &str, caret: usize| match area_ref.get_untracked() {
        Some(area) => {
            replacing.set_value(true);
            replace_text(&area, text, caret as u32);
            replacing.set_value(false);
        }
        None => draft.set(text.to_string()),
    };

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
                    let units = formatted.encode_utf16().count();
                    caret.set(units);
                    set_error(&formatted, None);
                    replace(&formatted, units);
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
    // Parses the text once typing pauses; a keystroke meanwhile supersedes the check.
    let check_text = move |text: String| {
        if text.trim().is_empty() {
            checks.cancel();
            set_error(&text, None);
            return;
        }
        checks.run(
            move |ticket| async move {
                sleep(LINT_PAUSE_MS).await;
                if !ticket.is_current() {
                    return None;
                }
                let verdict = parser::check(&text).await;
                Some((text, verdict.err()))
            },
            move |checked| {
                if let Some((text, error)) = checked {
                    set_error(&text, error);
                }
            },
        );
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
        caret.set(units);
        replace(&new, units);
        check_text(new);
        true
    };
    let on_input = move |ev: Event| {
        let text = event_target_value(&ev);
        draft.set(text.clone());
        if replacing.get_value() {
            return;
        }
        recalled.set_value(None);
        track_caret(&ev);
        refresh(false);
        check_text(text);
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let len = items.with_untracked(Vec::len);
        let key = ev.key();
        if len > 0 {
            let handled = match key.as_str() {
                "ArrowDown" if !ev.ctrl_key() => {
                    selected.update(|s| *s = (*s + 1) % len);
                    reveal(area_ref.get_untracked(), selected.get_untracked());
                    true
                }
                "ArrowUp" if !ev.ctrl_key() => {
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
        if ev.ctrl_key() && matches!(key.as_str(), "ArrowUp" | "ArrowDown") {
            ev.prevent_default();
            let older = key == "ArrowUp";
            let at = recalled.get_value();
            if at.is_none() {
                edited.set_value(draft.get_untracked());
            }
            let next = past.with_value(|h| crate::history::recall(at, h.len(), older));
            let text = match next {
                Some(i) => past.with_value(|h| h.get(i).cloned()).unwrap_or_default(),
                None => edited.get_value(),
            };
            replace(&text, text.encode_utf16().count());
            recalled.set_value(next);
            close();
            check_text(text);
        } else if ev.ctrl_key() && (key == " " || ev.code() == "Space") {
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

    // The error of the text in the editor, if that is what it belongs to (not of an earlier text).
    let current_error = Memo::new(move |_| {
        let text = draft.get();
        parse_error.get().filter(|_| error_text.with(|t| *t == text) && !text.trim().is_empty())
    });
    Effect::new(move |_| {
        let now = current_error.with(Option::is_some) && draft.with(|d| state.with(|s| s.expr != *d));
        if stale.get_untracked() != now {
            stale.set(now);
        }
    });

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
            <button data-testid="execute" class="primary"
                title=move || if loading.get() { "Stop the query that is running" } else { "Run the expression (Enter)" }
                on:click=move |_| if loading.get_untracked() { cancel.run(()) } else { execute() }>
                {move || if loading.get() { "Cancel" } else { "Execute" }}
            </button>
            <button data-testid="format" title="Format the expression (Shift+Alt+F)" on:click=move |_| format()>
                "Format"
            </button>
        </div>
        // Always there, one line tall: an error coming and going moves nothing below it.
        <div class="parse-status">
            {move || current_error.get().map(|e| {
                let title = e.clone();
                view! { <span class="parse-error" data-testid="parse-error" title=title>"Parse error: " {e}</span> }
            })}
        </div>
    }
}
