//! The expression box: Enter runs, Shift+Enter inserts a newline, Shift+Alt+F formats. Typed input
//! is parsed (in the parser worker) before it is sent; a parse error is shown, underlined where it
//! most likely is, and nothing is sent. While typing, the error of the latest text is shown as soon
//! as the parser has loaded.
//!
//! Highlighting is a `<pre>` mirror behind a textarea with transparent text: the textarea keeps
//! native editing (caret, selection, undo, IME), the mirror draws the colours from [`editor`].

use leptos::ev::{Event, KeyboardEvent};
use leptos::prelude::*;
use web_sys::HtmlTextAreaElement;

use crate::editor;
use crate::ui::parser;
use crate::url_state::PanelState;

#[component]
pub fn ExpressionInput(
    state: RwSignal<PanelState>,
    /// Bumped to re-run an unchanged expression.
    nonce: RwSignal<u64>,
    /// Whether a query is in flight.
    loading: RwSignal<bool>,
) -> impl IntoView {
    let draft = RwSignal::new(state.get_untracked().expr);
    let parse_error = RwSignal::new(None::<String>);
    // The text the shown error belongs to: the underline is drawn only while it is still the text.
    let error_text = RwSignal::new(String::new());
    // The caret, in UTF-16 units as the textarea counts.
    let caret = RwSignal::new(0usize);
    let mirror_ref = NodeRef::<leptos::html::Pre>::new();

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
            if draft.get_untracked() != text {
                return; // edited while parsing; the next Enter decides
            }
            match verdict {
                Err(e) => set_error(&text, Some(e)),
                Ok(()) => {
                    set_error(&text, None);
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
            if draft.get_untracked() != text {
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
    let on_input = move |ev: Event| {
        track_caret(&ev);
        let text = event_target_value(&ev);
        draft.set(text.clone());
        if text.trim().is_empty() {
            set_error(&text, None);
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = parser::check(&text).await;
            if draft.get_untracked() == text {
                set_error(&text, verdict.err());
            }
        });
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() {
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
            let error = e
                .as_deref()
                .filter(|_| current)
                .map(|e| (editor::locate_error(&text, e), e));
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
                    on:keyup=move |ev: KeyboardEvent| track_caret(&ev)
                    on:click=move |ev| track_caret(&ev)
                    on:scroll=on_scroll
                ></textarea>
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
