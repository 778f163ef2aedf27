//! The Thanos query console.
//!
//! # Layout
//! Pure logic, tested natively with `cargo test -p app`:
//! - [`url_state`]: panel state in the URL, compatible with Thanos UI links (`g0.expr=…&g0.tab=1`).
//! - [`config`]: `config.json` (API base URL, panel defaults).
//! - [`time`]: durations, instants, the automatic step.
//! - [`warnings`]: what each entry of `warnings` means (store failure → partial result).
//! - [`format`]: series names and values as text.
//! - [`lexer`]: PromQL text as tokens with byte spans, for highlighting (never fails, never panics).
//! - [`editor`]: the expression editor's colours, bracket pairs, error places and mirror pieces.
//! - [`plot`]: a range-query matrix as lines (stacked, log, from zero), bounds, hover look-ups, drag zoom.
//! - [`legend`]: which series a legend click shows.
//! - [`heatmap`]: classic histogram buckets as per-bucket counts over time.
//! - [`csv`]: a result as CSV for download.
//! - [`theme`]: light/dark/auto and the chart's colours in each.
//! - [`clock`]: the browser-versus-server clock warning.
//! - [`completion`]: autocomplete: the context at the caret and ranked candidates.
//! - [`history`]: past queries (most recent first, deduplicated, 50 at most) as a JSON list.
//! - [`promql`]: PromQL checks and the parser worker's messages (the parser runs in a Web Worker).
//! - [`explain`]: the expression as a tree explained in words (runs in the parser worker).
//! - [`request`]: a panel's state as the API request it sends.
//! - [`route`]: which page (Graph, Alerts, Rules) a path shows.
//! - [`rules_view`]: the Rules and Alerts pages' filters, counts, query links and times in words.
//! - [`stores_view`]: the Stores page and the panels' store filter.
//! - [`status_view`]: the Status page's build and runtime information and flags.
//! - [`answer`]: a large range answer decoded a few series at a time.
//!
//! The browser side, compiled for wasm32 only:
//! - `ui`: Leptos components, the API client (the only network I/O) and the canvas chart.

pub mod answer;
pub mod clock;
pub mod completion;
pub mod config;
pub mod csv;
pub mod editor;
pub mod explain;
pub mod format;
pub mod heatmap;
pub mod history;
pub mod legend;
pub mod lexer;
pub mod plot;
pub mod promql;
pub mod request;
pub mod route;
pub mod rules_view;
pub mod status_view;
pub mod stores_view;
pub mod theme;
pub mod time;
pub mod url_state;
pub mod warnings;

#[cfg(target_arch = "wasm32")]
pub mod ui;
