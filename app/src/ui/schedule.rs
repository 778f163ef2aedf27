//! When the console works: long jobs (decoding a large answer, drawing many lines) run in slices that
//! give the page back to the browser between them, with performance marks the benchmarks read.

/// How long one slice of work on a large answer (decoding it, drawing its lines) may hold the page, in
/// ms. (Building the plot and the legend from a decoded answer is one task of its own.)
pub(crate) const SLICE_MS: f64 = 50.0;

/// Waits `ms` milliseconds; `sleep(0)` lets the browser handle input and paint before going on.
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `step` until it says it is done (`Ok(true)`) or fails, letting the browser handle input and
/// paint whenever [`SLICE_MS`] have passed; each such pause is marked `mark` (read by the tests).
pub(crate) async fn sliced<E>(
    mark: &'static str,
    mut step: impl FnMut() -> Result<bool, E>,
) -> Result<(), E> {
    let mut started = now_ms();
    while !step()? {
        if now_ms() - started > SLICE_MS {
            yield_now(mark).await;
            started = now_ms();
        }
    }
    Ok(())
}

/// Lets the browser handle input and paint, then goes on: `scheduler.yield()` where the browser has
/// it (chained zero timeouts get clamped to 4 ms, and to a second in a hidden tab), else a zero
/// timeout. A hidden tab has nothing to answer: it goes on at once.
pub(crate) async fn yield_now(mark: &'static str) {
    use wasm_bindgen::JsCast;
    if web_sys::window().and_then(|w| w.document()).is_none_or(|d| d.hidden()) {
        return;
    }
    self::mark(mark);
    let scheduler =
        js_sys::Reflect::get(&js_sys::global(), &"scheduler".into()).ok().filter(|s| s.is_object());
    let promise = scheduler.and_then(|s| {
        let f = js_sys::Reflect::get(&s, &"yield".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
        f.call0(&s).ok()?.dyn_into::<js_sys::Promise>().ok()
    });
    match promise {
        Some(p) => drop(wasm_bindgen_futures::JsFuture::from(p).await),
        None => sleep(0).await,
    }
}

/// Milliseconds since the epoch, from the browser clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A performance mark, read by the decode-and-draw benchmark (`cargo bench -p e2e --bench console`).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}
