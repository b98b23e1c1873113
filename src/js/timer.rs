//! The one timer the token manager asks for (`poll_timeout`), and the page
//! events after which it checks its token at once.
//!
//! While a caller waits or a flight is out, the timer is an ordinary one
//! (gloo-timers): it must keep a process alive, as the awaited work does.
//! When only the refresh timer is waiting, it must never keep a process
//! alive: its handle is unref'd where the runtime can (Node's
//! `timeout.unref()`, Deno's `Deno.unrefTimer(id)`), which gloo-timers'
//! handle does not allow, so that one is armed here. In Workers the token
//! manager never asks for a refresh timer. Dropping either kind clears it.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::EventTarget;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: u32) -> TimerHandle;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &TimerHandle);

    /// What `setTimeout` returned: Node's `Timeout` object, or a number.
    pub type TimerHandle;
    #[wasm_bindgen(method, structural, catch)]
    fn unref(this: &TimerHandle) -> Result<(), JsValue>;

    type DenoNamespace;
    #[wasm_bindgen(thread_local_v2, js_name = Deno)]
    static DENO: Option<DenoNamespace>;
    #[wasm_bindgen(method, structural, catch, js_name = unrefTimer)]
    fn unref_timer(this: &DenoNamespace, handle: &TimerHandle) -> Result<(), JsValue>;

    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Option<EventTarget>;
}

/// A one-shot timer; dropping it clears it.
pub enum Timer {
    /// Keeps the process alive while it waits.
    Held(#[allow(dead_code)] gloo_timers::callback::Timeout),
    /// Never keeps the process alive.
    Unrefd { handle: TimerHandle, _callback: Closure<dyn FnMut()> },
}

impl Timer {
    pub fn start(delay_ms: u64, background: bool, callback: impl FnOnce() + 'static) -> Timer {
        // setTimeout's delay is a signed 32-bit number: longer waits fire at once.
        let delay = delay_ms.min(i32::MAX as u64) as u32;
        if !background {
            return Timer::Held(gloo_timers::callback::Timeout::new(delay, callback));
        }
        let callback = Closure::once(callback);
        let handle = set_timeout(callback.as_ref().unchecked_ref(), delay);
        if handle.unref().is_err() {
            DENO.with(|deno| {
                if let Some(deno) = deno {
                    let _ = deno.unref_timer(&handle);
                }
            });
        }
        Timer::Unrefd { handle, _callback: callback }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Timer::Unrefd { handle, .. } = self {
            clear_timeout(handle);
        }
    }
}

/// Whether this is a page (it has a `document`).
pub fn in_page() -> bool {
    DOCUMENT.with(Option::is_some)
}

/// A listener on `document` for the events after which a page should check
/// its token at once (a tab made visible again, a frozen page resumed:
/// throttled timers may have fired late). Removed when dropped.
pub struct PageListener {
    document: EventTarget,
    callback: Closure<dyn FnMut()>,
}

const PAGE_EVENTS: [&str; 2] = ["visibilitychange", "resume"];

impl PageListener {
    /// `None` where there is no `document`.
    pub fn add(callback: impl FnMut() + 'static) -> Option<PageListener> {
        let document = DOCUMENT.with(|d| d.clone())?;
        let callback = Closure::<dyn FnMut()>::new(callback);
        for event in PAGE_EVENTS {
            let _ = document.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
        }
        Some(PageListener { document, callback })
    }
}

impl Drop for PageListener {
    fn drop(&mut self) {
        for event in PAGE_EVENTS {
            let _ = self.document.remove_event_listener_with_callback(event, self.callback.as_ref().unchecked_ref());
        }
    }
}
