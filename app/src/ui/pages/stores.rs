//! The Stores page: a Thanos Querier's endpoints by component type (address, health, announced label
//! sets, time range, last check, last error), as the Thanos UI's Stores page shows them.

use leptos::prelude::*;
use promapi::stores::{StoreStatus, StoresData};

use crate::config::Config;
use crate::pages::stores::{bound, is_up, label_set, last_check, types};
use crate::query::backend::Backend;
use crate::ui::api;
use crate::ui::contexts::ApiBackend;
use crate::ui::markup::{el, El};
use crate::ui::schedule;
use crate::ui::task::{load, loaded_view};
use crate::ui::widgets::RefreshButton;

#[component]
pub fn StoresPage(config: Config) -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let url = api::api_url(&config, "api/v1/stores");
    let backend = use_context::<ApiBackend>().map(|b| b.0);
    let loaded = load(move || {
        refresh.track();
        let url = url.clone();
        let known = backend.map(|b| b.get()).unwrap_or(Backend::Unknown);
        async move {
            match known {
                // Asked once the probe is done; Prometheus is not asked at all.
                Backend::Probing => std::future::pending().await,
                Backend::Prometheus { .. } => {
                    Err(format!("Only a Thanos Querier lists stores: the API is {known}."))
                }
                _ => {
                    let answer = api::get_stores(&url).await;
                    answer
                        .map(|d| (d, schedule::now_ms() as i64))
                        .map_err(|e| format!("Cannot load the stores. {e}"))
                }
            }
        }
    });

    view! {
        <div class="page-controls"><RefreshButton refresh/></div>
        {loaded_view(loaded, |(data, now): &(StoresData, i64)| {
            if data.values().all(Vec::is_empty) {
                return el("div").class("empty").testid("empty").text("The querier has no stores.").view();
            }
            el("div").children(types(data).into_iter().map(|t| store_type(t, &data[t], *now))).view()
        })}
    }
}

fn store_type(t: &str, stores: &[StoreStatus], now: i64) -> El {
    let up = stores.iter().filter(|s| is_up(s)).count();
    let head = [
        "Endpoint",
        "Status",
        "Announced label sets",
        "Min time (UTC)",
        "Max time (UTC)",
        "Last check",
        "Last error",
    ];
    el("section")
        .class("panel group")
        .testid("store-type")
        .child(
            el("div")
                .class("group-head")
                .child(el("h2").testid("store-type-name").text(t.to_string()))
                .child(el("span").class("meta").text(format!("{up} of {} up", stores.len()))),
        )
        .child(
            el("table")
                .class("rules")
                .child(el("thead").child(el("tr").children(head.iter().map(|h| el("th").text(*h)))))
                .child(el("tbody").children(stores.iter().map(|s| store(s, now)))),
        )
}

fn store(s: &StoreStatus, now: i64) -> El {
    let (class, text) = if is_up(s) { ("ok", "UP") } else { ("err", "DOWN") };
    el("tr")
        .testid("store")
        .child(el("td").testid("store-name").text(s.name.clone()))
        .child(el("td").child(el("span").class(format!("badge {class}")).testid("store-status").text(text)))
        .child(
            el("td")
                .testid("store-labels")
                .children(s.label_sets.iter().map(|l| el("div").class("labels").text(label_set(l)))),
        )
        .child(el("td").testid("store-min-time").text(bound(s.min_time)))
        .child(el("td").testid("store-max-time").text(bound(s.max_time)))
        .child(el("td").text(last_check(now, s)))
        .child(el("td").testid("store-error").text(s.last_error.clone().unwrap_or_default()))
}
