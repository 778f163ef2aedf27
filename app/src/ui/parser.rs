//! The PromQL parser in a Web Worker: the worker side ([`run_worker`]) and the main thread's handle
//! ([`start`], [`check`], [`format`]).
//!
//! If the worker cannot load, or dies (a parser panic traps its wasm instance), checks answer "valid"
//! and the server parses instead: the page itself never goes down with the parser.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Worker};

use crate::promql::explain::ExprNode;
use crate::promql::worker::{self, CheckReply, CheckRequest, READY};

/// The worker's loader script, next to `index.html` (Trunk's loader shim, not hashed).
const WORKER_URL: &str = "./parser_worker_loader.js";
/// How often a dead worker is replaced before checks give up on it.
const MAX_RESTARTS: u32 = 3;

/// Entry point of the worker module.
pub fn run_worker() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(reply) = ev.data().as_string().and_then(|m| worker::answer(&m)) {
            let _ = reply_to.post_message(&JsValue::from_str(&reply));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}

#[derive(Default)]
struct Handle {
    worker: Option<Worker>,
    ready: bool,
    restarts: u32,
    next_id: u32,
    /// Resolve functions of the requests awaiting an answer (called with the reply's JSON, or null).
    pending: HashMap<u32, Function>,
    /// Requests made before the worker said it was ready.
    queued: Vec<String>,
}

thread_local! {
    static HANDLE: RefCell<Handle> = RefCell::new(Handle::default());
}

/// Starts loading the worker in the background.
pub fn start() {
    HANDLE.with(|h| spawn(&mut h.borrow_mut()));
}

fn spawn(h: &mut Handle) {
    h.ready = false;
    h.worker = Worker::new(WORKER_URL).ok();
    let Some(worker) = &h.worker else { return };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        HANDLE.with(|h| {
            let mut h = h.borrow_mut();
            if text == READY {
                h.ready = true;
                let queued = std::mem::take(&mut h.queued);
                if let Some(w) = &h.worker {
                    for m in queued {
                        let _ = w.post_message(&JsValue::from_str(&m));
                    }
                }
            } else if let Ok(reply) = serde_json::from_str::<CheckReply>(&text) {
                if let Some(resolve) = h.pending.remove(&reply.id) {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&text));
                }
            }
        });
    });
    let on_error = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {
        HANDLE.with(|h| {
            let mut h = h.borrow_mut();
            // Unanswered checks pass: the server will parse.
            for (_, resolve) in h.pending.drain() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::NULL);
            }
            h.queued.clear();
            if let Some(w) = h.worker.take() {
                w.terminate();
            }
            if h.restarts < MAX_RESTARTS {
                h.restarts += 1;
                spawn(&mut h);
            }
        });
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_message.forget();
    on_error.forget();
}

/// Parses `expr` in the worker: `Err` carries the parse error.
pub async fn check(expr: &str) -> Result<(), String> {
    match ask(expr, Ask::Check).await.and_then(|r| r.error) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// `expr` in promql-parser's layout, from the worker: `Err` carries the parse error.
pub async fn format(expr: &str) -> Result<String, String> {
    match ask(expr, Ask::Format).await {
        Some(CheckReply { error: Some(e), .. }) => Err(e),
        Some(CheckReply { formatted: Some(text), .. }) => Ok(text),
        _ => Err("The parser is not available, so the expression cannot be formatted.".into()),
    }
}

/// `expr` explained as a tree ([`crate::promql::explain`]), from the worker: `Err` carries the parse error.
pub async fn explain(expr: &str) -> Result<ExprNode, String> {
    match ask(expr, Ask::Explain).await {
        Some(CheckReply { error: Some(e), .. }) => Err(e),
        Some(CheckReply { tree: Some(tree), .. }) => Ok(tree),
        _ => Err("The parser is not available, so the expression cannot be explained.".into()),
    }
}

/// What a request asks of the worker besides checking.
#[derive(Clone, Copy, PartialEq)]
enum Ask {
    Check,
    Format,
    Explain,
}

/// Sends one request to the worker; `None` if it cannot answer (not loaded, or died).
async fn ask(expr: &str, what: Ask) -> Option<CheckReply> {
    let (format, explain) = (what == Ask::Format, what == Ask::Explain);
    let expr = expr.to_string();
    let promise = Promise::new(&mut |resolve, _reject| {
        HANDLE.with(|h| {
            let mut h = h.borrow_mut();
            if h.worker.is_none() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::NULL);
                return;
            }
            h.next_id = h.next_id.wrapping_add(1);
            let id = h.next_id;
            let message = serde_json::to_string(&CheckRequest { id, expr: expr.clone(), format, explain })
                .unwrap_or_default();
            h.pending.insert(id, resolve);
            if h.ready {
                if let Some(w) = &h.worker {
                    let _ = w.post_message(&JsValue::from_str(&message));
                }
            } else {
                h.queued.push(message);
            }
        })
    });
    let text = JsFuture::from(promise).await.ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}
