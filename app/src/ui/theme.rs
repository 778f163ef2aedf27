//! The theme in the browser: the stored choice, the system's preference (followed live) and the
//! `<html>` attributes the CSS reads. The choice itself is [`crate::theme`].

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Whether the system prefers dark, kept current: "auto" follows the system when it switches.
pub fn system_prefers_dark() -> Signal<bool> {
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
pub fn apply_theme(dark: bool) {
    if let Some(html) = window().document().and_then(|d| d.document_element()) {
        let _ = html.set_attribute("data-theme", if dark { "dark" } else { "light" });
        let _ = html.set_attribute("class", if dark { "dark" } else { "" });
    }
}
