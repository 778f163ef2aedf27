//! The one way components run async work (a query, a page's load, a completion look-up, a drawing):
//! a newer run supersedes an older one, whose fetch is aborted and whose answer is dropped, and a
//! component that goes away aborts what it started. Reading a disposed signal after an `await` would
//! trap the page, so answers are only handed on while their run is the newest and its owner lives.
//!
//! Pages show what they load as [`Loaded`], through [`load`] and [`loaded_view`].

use std::future::Future;

use leptos::prelude::*;
use web_sys::{AbortController, AbortSignal};

use crate::ui::markup::el;

/// A component's newest run. Made inside the component: its cleanup aborts the run in flight.
#[derive(Clone, Copy)]
pub struct Latest {
    generation: StoredValue<u64>,
    in_flight: StoredValue<Option<AbortController>, LocalStorage>,
}

/// One run: whether it is still the newest, and the signal that aborts its fetch.
#[derive(Clone)]
pub struct Ticket {
    latest: Latest,
    generation: u64,
    signal: Option<AbortSignal>,
}

impl Latest {
    pub fn new() -> Self {
        let latest = Latest { generation: StoredValue::new(0), in_flight: StoredValue::new_local(None) };
        on_cleanup(move || latest.abort());
        latest
    }

    /// Starts a run that supersedes every earlier one (their fetches are aborted).
    pub fn start(&self) -> Ticket {
        self.abort();
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        self.in_flight.set_value(controller);
        let generation = self.generation.get_value().wrapping_add(1);
        self.generation.set_value(generation);
        Ticket { latest: *self, generation, signal }
    }

    /// Supersedes the run in flight without starting another: its answer will be dropped.
    pub fn cancel(&self) {
        self.start();
    }

    /// Runs `work` as the newest run; `then` gets its output only if it still is when `work` ends
    /// (no newer run started, the component still there).
    pub fn run<T, F>(&self, work: impl FnOnce(Ticket) -> F, then: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: Future<Output = T> + 'static,
    {
        let ticket = self.start();
        let future = work(ticket.clone());
        leptos::task::spawn_local(async move {
            let output = future.await;
            if ticket.is_current() {
                then(output);
            }
        });
    }

    fn abort(&self) {
        if let Some(Some(c)) = self.in_flight.try_get_value() {
            c.abort();
        }
    }
}

impl Ticket {
    /// Whether this run is still the newest (false once its component is gone).
    pub fn is_current(&self) -> bool {
        self.latest.generation.try_get_value() == Some(self.generation)
    }

    /// The signal that aborts this run's fetch when a newer run starts or the component goes.
    pub fn signal(&self) -> Option<&AbortSignal> {
        self.signal.as_ref()
    }
}

/// What a page shows of something it loads.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded<T> {
    Loading,
    Failed(String),
    Done(T),
}

/// Loads with `fetch` now, and again whenever what `fetch` reads reactively changes (a refresh
/// button's counter); the newest answer wins. The old answer stays shown while a refresh runs.
pub fn load<T, F>(fetch: impl Fn() -> F + 'static) -> RwSignal<Loaded<T>>
where
    T: Send + Sync + 'static,
    F: Future<Output = Result<T, String>> + 'static,
{
    let loaded = RwSignal::new(Loaded::Loading);
    let latest = Latest::new();
    Effect::new(move |_| {
        let future = fetch();
        latest.run(
            move |_| future,
            move |answer| {
                loaded.set(match answer {
                    Ok(data) => Loaded::Done(data),
                    Err(e) => Loaded::Failed(e),
                })
            },
        );
    });
    loaded
}

/// Loading…, the error, or `done`'s view of the data.
pub fn loaded_view<T: Send + Sync + 'static>(
    loaded: RwSignal<Loaded<T>>,
    done: impl Fn(&T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        loaded.with(|l| match l {
            Loaded::Loading => el("div").class("loading").testid("loading").text("Loading…").view(),
            Loaded::Failed(e) => el("div").class("alert error").testid("error").text(e.clone()).view(),
            Loaded::Done(data) => done(data),
        })
    }
}
