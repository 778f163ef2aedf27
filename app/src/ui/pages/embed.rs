//! The embed page (`/embed?g0.expr=…` or `?embed=1`): the URL's first panel alone, for an iframe.

use leptos::prelude::*;

use promapi::format_duration;

use crate::config::Config;
use crate::pages::embed;
use crate::query::url_state;
use crate::time::format_time;
use crate::ui::contexts::EmbedFrame;
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
    let refresh = embed::refresh_ms(&search);
    let answered = RwSignal::new(None::<i64>);
    // The chart fills the frame, and follows it when the frame is resized.
    let frame = EmbedFrame(RwSignal::new(0));
    provide_context(frame);
    let listener = window_event_listener(leptos::ev::resize, move |_| frame.0.update(|n| *n += 1));
    on_cleanup(move || listener.remove());

    let query = move || url_state::encode(&[state.get()]);
    Effect::new(move |_| {
        let search = format!("?{}{}", query(), if flag { "&embed=1" } else { "" });
        replace_url(&format!("{}{search}", location.pathname().unwrap_or_default()));
    });
    let expr = move || state.with(|s| s.expr.clone());
    view! {
        // One line: what, over which window, how fresh; the expression is cut, not broken inside a token.
        <header class="embed-head" data-testid="embed-head">
            {readonly.then(|| view! { <code class="embed-expr" data-testid="embed-expr" title=expr>{expr}</code> })}
            <span class="embed-window" data-testid="embed-window">{move || state.with(embed::window_text)}</span>
            <span class="embed-updated" data-testid="embed-updated">
                {move || answered.get().map(|t| format!("{} UTC", format_time(t).get(11..).unwrap_or_default()))}
                {refresh.map(|ms| format!(" ⟳ {}", format_duration(ms)))}
            </span>
            <a class="open-console" data-testid="open-console" target="_blank" rel="noopener"
                href=move || format!("graph?{}", query())>"Open in console ↗"</a>
        </header>
        <Panel index=Signal::derive(|| 0) state config readonly refresh_ms=refresh.unwrap_or(0) answered_at=answered/>
    }
    .into_any()
}
