//! The embed page (`/embed?g0.expr=…` or `?embed=1`): the URL's first panel alone, for an iframe.

use leptos::prelude::*;

use crate::config::Config;
use crate::query::url_state;
use crate::ui::panel::Panel;
use crate::ui::url::replace_url;

/// The URL's first panel, alone, sized to its frame, read-only unless `config.json` says otherwise;
/// a link opens it in the full console.
#[component]
pub fn Embedded(config: Config) -> impl IntoView {
    let location = window().location();
    let search = location.search().unwrap_or_default();
    // `?embed=1` must survive the URL being rewritten from the panel's state.
    let flag = !location.pathname().unwrap_or_default().ends_with("/embed");
    let Some(first) = url_state::decode(&search, &config.defaults).into_iter().next() else {
        return view! {
            <div class="alert error" data-testid="embed-empty">"Nothing to show: the link has no g0.expr."</div>
        }
        .into_any();
    };
    let state = RwSignal::new(first);
    let readonly = !config.embed.editable;
    let config = StoredValue::new(config);

    let query = move || url_state::encode(&[state.get()]);
    Effect::new(move |_| {
        let search = format!("?{}{}", query(), if flag { "&embed=1" } else { "" });
        replace_url(&format!("{}{search}", location.pathname().unwrap_or_default()));
    });
    view! {
        <Panel index=Signal::derive(|| 0) state config readonly/>
        <a class="open-console" data-testid="open-console" target="_blank" rel="noopener"
            href=move || format!("graph?{}", query())>"Open in console ↗"</a>
    }
    .into_any()
}
