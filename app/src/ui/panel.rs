//! One query panel: expression, Thanos switches, Table/Graph tabs, and the query it runs.
//!
//! Its parts, one file each: [`expression_input`] (the editor with completion), [`thanos_controls`],
//! [`graph`] and [`result_table`] (the two tabs), [`query_status`] (stats, warnings, errors),
//! [`expr_tree`] (the expression in words), [`engine_analysis`] (Thanos engine Analyze/Explain) and
//! [`outcome`] (what the last query gave).

mod engine_analysis;
mod expr_tree;
mod expression_input;
mod graph;
mod outcome;
mod query_status;
mod result_table;
mod thanos_controls;

pub use outcome::QueryResult;

use leptos::prelude::*;

use engine_analysis::Explain;
use expr_tree::{ExprTree, TreeToggle};
use expression_input::ExpressionInput;
use graph::Graph;
use query_status::QueryStatus;
use result_table::ResultTable;
use thanos_controls::ThanosControls;

use crate::config::Config;
use crate::csv;
use crate::query::url_state::{PanelState, Tab};
use crate::query::{clock, request};
use crate::ui::api::{self, QueryOutcome};
use crate::ui::contexts::ClockWarning;
use crate::ui::download;
use crate::ui::schedule;
use crate::ui::task::Latest;

/// A panel. Its committed state lives in the URL; any change to it runs the query again.
#[component]
pub fn Panel(
    /// Position on the page (`g<index>` in the URL).
    index: Signal<usize>,
    /// The panel's state, shared with the URL writer.
    state: RwSignal<PanelState>,
    config: StoredValue<Config>,
    /// Removes this panel from the page (no button without it).
    #[prop(optional)]
    remove: Option<Callback<()>>,
    /// Adds a copy of this panel after it (no button without it).
    #[prop(optional)]
    duplicate: Option<Callback<()>>,
    /// Embedded read-only: the query is shown, not editable.
    #[prop(optional)]
    readonly: bool,
    /// Runs the query again this often (ms; 0 = never), skipping a turn while one is running.
    #[prop(default = 0)]
    refresh_ms: i64,
    /// Set to the time of every answer.
    #[prop(optional)]
    answered_at: Option<RwSignal<Option<i64>>>,
) -> impl IntoView {
    let result = RwSignal::new(QueryResult::Idle);
    let loading = RwSignal::new(false);
    // Bumped to run an unchanged query again (Execute on the same expression).
    let nonce = RwSignal::new(0u64);
    // A new query supersedes the one in flight; a removed panel's query stops (its fetch, or the
    // decoding of its answer).
    let latest = Latest::new();
    let clock_warning = use_context::<ClockWarning>();
    // Display options (stacked, log, …) do not change the query.
    let query_state = Memo::new(move |_| state.with(PanelState::query_part));

    Effect::new(move |_| {
        nonce.track();
        let s = query_state.get();
        if s.expr.trim().is_empty() {
            return;
        }
        let req = match request::build(&s, schedule::now_ms() as i64) {
            Ok(r) => r,
            Err(e) => {
                latest.cancel();
                loading.set(false);
                result.set(QueryResult::Failed(e));
                return;
            }
        };
        let url = config.with_value(|c| api::api_url(c, req.path));
        let range = req.range;
        loading.set(true);
        latest.run(
            move |ticket| async move { api::post_query(&url, &req, ticket.signal()).await },
            move |answer| {
                loading.set(false);
                if let Some(at) = answered_at {
                    at.set(Some(schedule::now_ms() as i64));
                }
                if let (Some(ClockWarning(w)), Ok(QueryOutcome { server_ms: Some(server), .. })) =
                    (clock_warning, &answer)
                {
                    let warning = clock::drift_warning(schedule::now_ms() as i64, *server);
                    if w.get_untracked() != warning {
                        w.set(warning);
                    }
                }
                result.set(match answer {
                    Ok(outcome) => QueryResult::Done { outcome, range },
                    Err(e) => QueryResult::Failed(e.to_string()),
                });
            },
        );
    });

    if refresh_ms > 0 {
        let again = move || {
            if !loading.get_untracked() {
                nonce.update(|n| *n += 1);
            }
        };
        if let Ok(handle) =
            set_interval_with_handle(again, std::time::Duration::from_millis(refresh_ms as u64))
        {
            on_cleanup(move || handle.clear());
        }
    }

    // A memo: the tab view is rebuilt when the tab changes, not on every change of the state.
    let tab = Memo::new(move |_| state.with(|s| s.tab));
    let set_tab = move |t: Tab| state.update(|s| s.tab = t);
    let tree_open = RwSignal::new(false);
    let stale = RwSignal::new(false);
    let cancel = Callback::new(move |()| {
        latest.cancel();
        loading.set(false);
        result.set(QueryResult::Failed("Cancelled: the query was stopped before it answered.".into()));
    });

    view! {
        <section class="panel" class:readonly=readonly data-testid=move || format!("panel-{}", index.get())>
            <div class="panel-actions">
                {duplicate.map(|d| view! {
                    <button data-testid="duplicate-panel" title="Duplicate this panel"
                        on:click=move |_| d.run(())>"Duplicate"</button>
                })}
                {remove.map(|r| view! {
                    <button data-testid="remove-panel" title="Remove this panel"
                        on:click=move |_| r.run(())>"Remove"</button>
                })}
            </div>
            {(!readonly).then(|| view! { <ExpressionInput state nonce loading cancel stale config/> <ThanosControls state/> })}
            <nav class="tabs">
                <button data-testid="tab-table" class:active=move || tab.get() == Tab::Table on:click=move |_| set_tab(Tab::Table)>"Table"</button>
                <button data-testid="tab-graph" class:active=move || tab.get() == Tab::Graph on:click=move |_| set_tab(Tab::Graph)>"Graph"</button>
                <button data-testid="csv" class="csv" title="Download the result as CSV"
                    disabled=move || !result.with(|r| matches!(r, QueryResult::Done { .. }))
                    on:click=move |_| result.with_untracked(|r| {
                        if let QueryResult::Done { outcome, .. } = r {
                            let name = state.with_untracked(|s| csv::file_name(&s.expr, schedule::now_ms() as i64));
                            download::save(&name, "text/csv", &csv::to_csv(&outcome.data));
                        }
                    })>"CSV"</button>
                <TreeToggle open=tree_open/>
                <Explain state config/>
            </nav>
            <ExprTree state config open=tree_open/>
            <QueryStatus result loading/>
            <div class="result" class:stale=move || stale.get()>
                <Show when=move || stale.get()>
                    <div class="stale-note" data-testid="stale-result">
                        {move || format!("Shown: the result of {}, the last expression that ran.", state.with(|s| s.expr.clone()))}
                    </div>
                </Show>
                {move || match tab.get() {
                    Tab::Table => view! { <ResultTable state result/> }.into_any(),
                    Tab::Graph => view! { <Graph state result/> }.into_any(),
                }}
            </div>
        </section>
    }
}
