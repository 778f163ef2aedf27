//! The expression box: Enter runs, Shift+Enter inserts a newline. Typed input is parsed (in the
//! parser worker) before it is sent; a parse error is shown and nothing is sent. While typing, the
//! error of the latest text is shown as soon as the parser has loaded.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

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

    let execute = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            parse_error.set(Some("Enter an expression to run.".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = parser::check(&text).await;
            if draft.get_untracked() != text {
                return; // edited while parsing; the next Enter decides
            }
            match verdict {
                Err(e) => parse_error.set(Some(e)),
                Ok(()) => {
                    parse_error.set(None);
                    if state.with_untracked(|s| s.expr == text) {
                        nonce.update(|n| *n += 1);
                    } else {
                        state.update(|s| s.expr = text);
                    }
                }
            }
        });
    };
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        draft.set(text.clone());
        if text.trim().is_empty() {
            parse_error.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            let verdict = parser::check(&text).await;
            if draft.get_untracked() == text {
                parse_error.set(verdict.err());
            }
        });
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            execute();
        }
    };

    view! {
        <div class="expression">
            <textarea
                data-testid="expr"
                rows="2"
                spellcheck="false"
                placeholder="Expression (press Shift+Enter for newlines)"
                prop:value=move || draft.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <button data-testid="execute" class="primary" on:click=move |_| execute()>
                {move || if loading.get() { "Running…" } else { "Execute" }}
            </button>
        </div>
        {move || parse_error.get().map(|e| view! {
            <div class="alert error" data-testid="parse-error">"Parse error: " {e}</div>
        })}
    }
}
