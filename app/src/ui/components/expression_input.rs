//! The expression box: Enter runs, Shift+Enter inserts a newline. Typed input is parsed before it is
//! sent; a parse error is shown and nothing is sent.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

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
        if let Err(e) = promql_parser::parser::parse(&text) {
            parse_error.set(Some(e));
            return;
        }
        parse_error.set(None);
        if state.with_untracked(|s| s.expr == text) {
            nonce.update(|n| *n += 1);
        } else {
            state.update(|s| s.expr = text);
        }
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
                on:input=move |ev| draft.set(event_target_value(&ev))
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
