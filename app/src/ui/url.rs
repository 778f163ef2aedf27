//! The address bar: a page keeps its state in the URL, rewritten in place as the state changes.

use leptos::prelude::window;

/// Replaces the current history entry's URL with `url` (a path and query), unless it is already that.
pub fn replace_url(url: &str) {
    let location = window().location();
    let current =
        format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
    if current != url {
        let _ = window()
            .history()
            .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url)));
    }
}
