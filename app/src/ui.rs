//! The browser side (wasm32 only): Leptos pages and panel parts over the pure wings.
//!
//! # Layout
//! - [`app`]: the frame (top bar, theme, page switch); [`pages`]: graph, embed, rules, alerts,
//!   stores, status; [`panel`]: one query panel and its parts (editor, controls, graph, table, …).
//! - [`contexts`]: what a page shares with its parts; [`widgets`]: small shared controls.
//! - [`api`]: the only network I/O; [`parser`]: the PromQL worker's client; [`canvas`]: drawing.
//! - [`task`]: the one way async work runs (superseded, aborted, shown as loading / failed / done).
//! - [`schedule`]: slicing long work so the page stays responsive; [`url`], [`theme`], [`history`],
//!   [`download`], [`markup`]: the browser's address bar, theme, storage, files and a small DOM builder.

mod api;
mod app;
mod canvas;
mod contexts;
mod download;
mod history;
mod markup;
mod pages;
mod panel;
pub mod parser;
mod schedule;
mod task;
mod theme;
mod url;
mod widgets;

use leptos::prelude::*;

use crate::pages::route::Page;

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
    mount_to_body(move || view! { <app::App page embed/> });
}
