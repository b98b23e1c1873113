//! Sends the core's token requests with `fetch` and hands back what arrived.
//!
//! Every token request has a deadline (`AbortSignal.timeout`, covering the
//! body too), is sent with `redirect: "manual"` (a redirect would carry the
//! credentials to wherever it points, so none is followed), and its body is
//! read through a stream that stops at 1 MiB.

use super::error::describe;
use crate::core::dialect::HttpRequest;
use crate::core::error::{ErrorCode, Failure};
use crate::core::{Millis, MAX_RESPONSE_BYTES};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, Response};

/// Awaits `promise`, or gives up after `deadline_ms` (`None` when it did).
/// The timer is cleared as soon as the promise settles.
pub async fn with_deadline(promise: Promise, deadline_ms: u64) -> Option<Result<JsValue, JsValue>> {
    use std::future::{poll_fn, Future};
    use std::pin::Pin;
    use std::task::Poll;
    let mut shared = JsFuture::from(promise);
    let mut timer = gloo_timers::future::TimeoutFuture::new(deadline_ms.min(i32::MAX as u64) as u32);
    poll_fn(|cx| {
        if let Poll::Ready(r) = Pin::new(&mut shared).poll(cx) {
            return Poll::Ready(Some(r));
        }
        if Pin::new(&mut timer).poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

thread_local! {
    /// The abort listeners in use, by signal, so they can be removed again.
    static ABORT_LISTENERS: std::cell::RefCell<Vec<(AbortSignal, wasm_bindgen::closure::Closure<dyn FnMut()>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A promise that rejects when `signal` aborts. Call [`release_abort`]
/// once done with it, so the listener does not outlive the call.
pub fn abort_promise(signal: &AbortSignal) -> Promise {
    let signal = signal.clone();
    Promise::new(&mut |_resolve, reject| {
        let on_abort = {
            let signal = signal.clone();
            wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                let _ = reject.call1(&JsValue::UNDEFINED, &super::client::aborted(&signal));
            })
        };
        let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        ABORT_LISTENERS.with(|l| l.borrow_mut().push((signal.clone(), on_abort)));
    })
}

pub fn release_abort(signal: &AbortSignal) {
    let released: Vec<_> = ABORT_LISTENERS.with(|l| {
        let mut list = l.borrow_mut();
        let (mine, rest): (Vec<_>, Vec<_>) = list.drain(..).partition(|(s, _)| s == signal);
        *list = rest;
        mine
    });
    for (s, closure) in released {
        let _ = s.remove_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
    }
}

pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The fetch to call: the `fetch` option, else `globalThis.fetch` looked up
/// at call time (never `window`, which Workers, Deno and Node do not have).
pub fn resolve_fetch(configured: Option<&Function>) -> Result<Function, Failure> {
    if let Some(f) = configured {
        return Ok(f.clone());
    }
    Reflect::get(&js_sys::global(), &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| Failure::new(ErrorCode::InvalidConfig, "no global fetch in this runtime: pass the `fetch` option"))
}

/// Calls `fetch(input, init)` with `globalThis` as `this` (browsers throw
/// "Illegal invocation" otherwise) and waits for the response.
pub async fn call(fetch: &Function, input: &JsValue, init: &JsValue) -> Result<Response, JsValue> {
    let returned = fetch.call2(&js_sys::global(), input, init)?;
    let response = JsFuture::from(Promise::resolve(&returned)).await?;
    // A configured fetch may return anything; only read it as a Response
    // (through property access) if it looks like one, so no getter throws
    // through the wasm.
    let looks_like_response = response.is_object()
        && Reflect::get(&response, &JsValue::from_str("status")).is_ok_and(|s| s.as_f64().is_some())
        && Reflect::get(&response, &JsValue::from_str("headers")).is_ok_and(|h| h.is_object());
    if !looks_like_response {
        return Err(js_sys::TypeError::new("fetch resolved to something that is not a Response").into());
    }
    Ok(response.unchecked_into())
}

/// What arrived for a token request.
pub struct Arrived {
    pub status: u16,
    pub at: Millis,
    pub body: Vec<u8>,
    pub date: Option<String>,
    pub retry_after: Option<String>,
}

pub async fn send(fetch: &Function, request: &HttpRequest, timeout_ms: u32) -> Result<Arrived, Failure> {
    let headers = Headers::new().map_err(|e| Failure::new(ErrorCode::InvalidConfig, describe(&e)))?;
    for (name, value) in &request.headers {
        headers.set(name, value.expose()).map_err(|_| Failure::new(ErrorCode::InvalidConfig, format!("header `{name}` has a value fetch cannot send")))?;
    }
    let signal = AbortSignal::timeout_with_u32(timeout_ms);
    let init = Object::new();
    set(&init, "method", &JsValue::from_str(request.method));
    set(&init, "headers", &headers);
    set(&init, "body", &JsValue::from_str(request.body.expose()));
    set(&init, "redirect", &JsValue::from_str("manual"));
    set(&init, "signal", &signal);

    let failed = |e: &JsValue, during: &str| {
        if signal.aborted() {
            Failure::new(ErrorCode::Timeout, format!("token request timed out after {timeout_ms} ms ({during})"))
        } else {
            Failure::new(ErrorCode::Network, format!("token request failed {during}: {}", describe(e)))
        }
    };

    let response = call(fetch, &JsValue::from_str(&request.url), &init).await.map_err(|e| failed(&e, "before a response arrived"))?;
    let at = now();
    let status = response.status();
    if status == 0 || (300..400).contains(&status) {
        cancel(&response);
        let mut f = Failure::new(
            ErrorCode::InvalidResponse,
            "token endpoint answered with a redirect, which is not followed: credentials go only to the configured URL (set tokenUrl to the final URL)",
        );
        f.status = (status != 0).then_some(status);
        return Err(f);
    }
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let declared_too_large = header("content-length").and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > MAX_RESPONSE_BYTES as u64);
    let body = if declared_too_large {
        cancel(&response);
        vec![0; MAX_RESPONSE_BYTES + 1]
    } else {
        read_capped(&response, MAX_RESPONSE_BYTES + 1).await.map_err(|e| failed(&e, "while reading the response"))?
    };
    Ok(Arrived { status, at, body, date: header("date"), retry_after: header("retry-after") })
}

/// Reads at most `cap` bytes of the body, then cancels the stream.
async fn read_capped(response: &Response, cap: usize) -> Result<Vec<u8>, JsValue> {
    let Some(stream) = response.body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await?;
        if Reflect::get(&chunk, &JsValue::from_str("done"))?.is_truthy() {
            return Ok(out);
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value"))?;
        let Some(bytes) = value.dyn_ref::<Uint8Array>() else {
            ignore(&reader.cancel());
            return Err(js_sys::TypeError::new("response body stream gave a chunk that is not a Uint8Array").into());
        };
        let take = (bytes.length() as usize).min(cap - out.len());
        let start = out.len();
        out.resize(start + take, 0);
        bytes.subarray(0, take as u32).copy_to(&mut out[start..]);
        if out.len() >= cap {
            ignore(&reader.cancel());
            return Ok(out);
        }
    }
}

/// Lets go of a body we will not read.
pub fn cancel(response: &Response) {
    if let Some(body) = response.body() {
        if !body.locked() {
            ignore(&body.cancel());
        }
    }
}

thread_local! {
    static NOOP: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> = wasm_bindgen::closure::Closure::new(|_: JsValue| {});
}

/// Marks a promise whose outcome does not matter as handled, so that its
/// rejection is never reported as unhandled.
pub fn ignore(promise: &Promise) {
    NOOP.with(|noop| {
        let _ = promise.catch(noop);
    });
}
