//! The address bar: a page keeps its state in the URL. A change of what is queried (an executed
//! query, a zoom, another range) is a new history entry, so Back undoes it; other changes rewrite
//! the current entry in place.

use leptos::prelude::window;

/// The current path and query.
pub fn current_url() -> String {
    let location = window().location();
    format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
}

/// Replaces the current history entry's URL with `url` (a path and query), unless it is already that.
pub fn replace_url(url: &str) {
    if current_url() != url {
        let _ = window()
            .history()
            .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url)));
    }
}

/// Adds a history entry for `url`, unless the current one is already that.
pub fn push_url(url: &str) {
    if current_url() != url {
        let _ = window()
            .history()
            .and_then(|h| h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url)));
    }
}
