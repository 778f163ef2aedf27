//! The Status page: build information, runtime information and command-line flags (filterable), each
//! where the API offers it.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::config::Config;
use crate::pages::status::{matching, rows, SECTIONS};
use crate::ui::api;
use crate::ui::markup::el;
use crate::ui::task::{load, Loaded};

#[component]
pub fn StatusPage(config: Config) -> impl IntoView {
    let text = RwSignal::new(String::new());
    SECTIONS
        .into_iter()
        .map(|(title, path)| {
            let url = api::api_url(&config, path);
            let loaded = load(move || {
                let url = url.clone();
                async move { api::get_status(&url).await.map(|d: BTreeMap<_, _>| rows(&d)).map_err(|e| e.to_string()) }
            });
            let flags = path.ends_with("flags");
            view! {
                <section class="panel status" data-testid="status-section">
                    <h2 data-testid="status-title">{title}</h2>
                    {flags.then(|| view! {
                        <input type="search" data-testid="flags-filter" size="40" placeholder="Filter flags by name or value"
                            on:input=move |ev| text.set(event_target_value(&ev))/>
                    })}
                    {move || loaded.with(|l| match l {
                        Loaded::Loading => el("div").class("loading").text("Loading…").view(),
                        Loaded::Failed(e) => el("div").class("empty").testid("status-missing").text(e.clone()).view(),
                        Loaded::Done(all) => {
                            let shown = if flags { matching(all, &text.get()) } else { all.clone() };
                            el("table").class("rules").children(shown.into_iter().map(|(k, v)| {
                                el("tr")
                                    .testid("status-row")
                                    .child(el("th").testid("status-name").text(k))
                                    .child(el("td").testid("status-value").text(v))
                            })).view()
                        }
                    })}
                </section>
            }
        })
        .collect_view()
}
