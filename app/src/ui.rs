//! The browser side: components, the API client and the canvas chart.

mod api;
mod chart;
mod components;
pub mod parser;

use leptos::prelude::*;

/// Mounts the console on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    parser::start();
    mount_to_body(components::app::App);
}
