//! What a page shares with the parts below it through Leptos contexts.

use leptos::prelude::*;

/// Whether the page is dark (the chart needs it to pick its colours).
#[derive(Clone, Copy)]
pub struct Dark(pub Signal<bool>);

/// The clock warning, set by panels from their answers' `Date` header.
#[derive(Clone, Copy)]
pub struct ClockWarning(pub RwSignal<Option<String>>);

/// What the API is ([`Backend`](crate::query::backend::Backend)), found once per page load; a
/// Querier's comes with its store addresses, which the store filter offers.
#[derive(Debug, Clone, Copy)]
pub struct ApiBackend(pub RwSignal<crate::query::backend::Backend>);

/// Set on the embed page: the chart fills the frame's height; bumped when the frame is resized.
#[derive(Debug, Clone, Copy)]
pub struct EmbedFrame(pub RwSignal<u64>);
