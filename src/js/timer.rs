//! A one-shot `setTimeout` that never keeps a process alive: the handle is
//! unref'd where the runtime can (Node's `timeout.unref()`, Deno's
//! `Deno.unrefTimer(id)`), and dropping the timer clears it. The refresh
//! timer uses this rather than gloo-timers, whose handle cannot be unref'd.

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

pub struct Timer {
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

fn global_fn(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name)).ok()?.dyn_into().ok()
}

impl Timer {
    /// Arms a timer; `None` where the runtime has no `setTimeout`.
    pub fn start(delay_ms: u64, callback: impl FnMut() + 'static) -> Option<Timer> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let set_timeout = global_fn("setTimeout")?;
        let delay = JsValue::from_f64(delay_ms.min(i32::MAX as u64) as f64);
        let handle = set_timeout.call2(&js_sys::global(), callback.as_ref(), &delay).ok()?;
        unref(&handle);
        Some(Timer { handle, _callback: callback })
    }
}

fn unref(handle: &JsValue) {
    if let Ok(unref) = Reflect::get(handle, &JsValue::from_str("unref")) {
        if let Some(unref) = unref.dyn_ref::<Function>() {
            let _ = unref.call0(handle);
            return;
        }
    }
    let deno = Reflect::get(&js_sys::global(), &JsValue::from_str("Deno")).unwrap_or(JsValue::UNDEFINED);
    if deno.is_object() {
        if let Ok(f) = Reflect::get(&deno, &JsValue::from_str("unrefTimer")) {
            if let Some(f) = f.dyn_ref::<Function>() {
                let _ = f.call1(&deno, handle);
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some(clear) = global_fn("clearTimeout") {
            let _ = clear.call1(&js_sys::global(), &self.handle);
        }
    }
}

/// A listener on `document` for the events after which a page should check
/// its token at once (a tab made visible again, a frozen page resumed:
/// throttled timers may have fired late). Removed when dropped.
pub struct PageListener {
    document: JsValue,
    callback: Closure<dyn FnMut()>,
}

const PAGE_EVENTS: [&str; 2] = ["visibilitychange", "resume"];

impl PageListener {
    pub fn add(callback: impl FnMut() + 'static) -> Option<PageListener> {
        let document = Reflect::get(&js_sys::global(), &JsValue::from_str("document")).ok().filter(JsValue::is_object)?;
        let add: Function = Reflect::get(&document, &JsValue::from_str("addEventListener")).ok()?.dyn_into().ok()?;
        let callback = Closure::<dyn FnMut()>::new(callback);
        for event in PAGE_EVENTS {
            let _ = add.call2(&document, &JsValue::from_str(event), callback.as_ref());
        }
        Some(PageListener { document, callback })
    }
}

impl Drop for PageListener {
    fn drop(&mut self) {
        if let Ok(remove) = Reflect::get(&self.document, &JsValue::from_str("removeEventListener")) {
            if let Some(remove) = remove.dyn_ref::<Function>() {
                for event in PAGE_EVENTS {
                    let _ = remove.call2(&self.document, &JsValue::from_str(event), self.callback.as_ref());
                }
            }
        }
    }
}
