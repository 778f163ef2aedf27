//! The browser side: components, the API client and the canvas chart.

mod api;
mod chart;
mod components;
mod download;
mod history;
mod markup;
pub mod parser;

use leptos::prelude::*;

use crate::route::Page;

/// Mounts the console on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    let location = window().location();
    let pathname = location.pathname().unwrap_or_default();
    let page = Page::from_pathname(&pathname);
    let embed = Page::embedded(&pathname, &location.search().unwrap_or_default());
    // Only the graph page parses PromQL: the other pages skip loading the parser's module.
    if page == Page::Graph {
        parser::start();
    }
    mount_to_body(move || view! { <components::app::App page embed/> });
}
