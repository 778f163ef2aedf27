//! Query history in `localStorage` (key `history`, as the Thanos UI); the list logic is
//! [`crate::history`].

use crate::history;

const KEY: &str = "history";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored history, most recent first (empty when storage is unavailable).
pub fn load() -> Vec<String> {
    storage().and_then(|s| s.get_item(KEY).ok().flatten()).map(|j| history::decode(&j)).unwrap_or_default()
}

/// Records an executed expression.
pub fn record(expr: &str) {
    let Some(s) = storage() else { return };
    let mut list = load();
    history::push(&mut list, expr);
    // A full or disabled storage only loses the history.
    let _ = s.set_item(KEY, &history::encode(&list));
}
