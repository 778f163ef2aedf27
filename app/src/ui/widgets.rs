//! Small controls shared by several pages.

use leptos::prelude::*;

/// The refresh button of a page.
#[component]
pub fn RefreshButton(refresh: RwSignal<u64>) -> impl IntoView {
    view! { <button data-testid="refresh" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button> }
}
