//! End-to-end tests: the built console in headless Chromium.
//!
//! - `prometheus`: against a real Prometheus scraping values the test chooses.
//! - `axes`: value and time axis labels, "No data", and the dark editor, against a real Prometheus.
//! - `thanos`: against the Thanos API fixture (dedup, partial response, request parameters).
//! - `deploy`: served as `deploy/` serves it: nginx with the repo's template, `/api/` proxied to Prometheus.
//! - `completion`: autocomplete (metric, label and value names, durations, history) against a real Prometheus.
//! - `editor`: the expression editor (highlighting, bracket pairs, error marks, Format) against a real Prometheus.
//! - `graph_options`: stacked/log/zero, legend isolation, drag-to-zoom, CSV, theme and histogram heatmap.
//! - `navigation`: the tooltip beside the pointer, Back after zooms and queries, zoom out, ◀ / ▶.
//! - `pages`: the Rules and Alerts pages against a real Prometheus evaluating rules with HTML payloads.
//! - `panels`: several panels on a page (add, duplicate, remove) and embed mode.
//! - `screenshots`: every page in light and dark at 1440 and 800 px, into `target/screenshots/`.
//! - `scale`: a million points: the chart draws, the legend and table cap with "show all".
//! - `stores`: the Stores page and the store filter against the fixture's stores.
//!
//! They share `support`: the stack under test, the browser helpers, and the page objects
//! (`support/pages/`) through which the scenarios drive the console (see `support/mod.rs`).

mod support;

mod axes;
mod completion;
mod deploy;
mod editor;
mod graph_options;
mod navigation;
mod pages;
mod panels;
mod prometheus;
mod scale;
mod screenshots;
mod stores;
mod thanos;
