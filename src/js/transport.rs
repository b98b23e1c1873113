//! Token requests and the small async helpers of the shell.
//!
//! The request itself is sent by `sendTokenRequest` in the package's
//! `transport.js` (fetch, Headers, `AbortSignal.timeout` covering the body,
//! `redirect: "manual"`, a stream read that stops at 1 MiB): JS-shaped I/O
//! that is a few lines of JavaScript and many KB of wasm. What to send and
//! what the answer means stay here and in the core.

use crate::core::dialect::HttpRequest;
use crate::core::error::{ErrorCode, Failure};
use crate::core::response::shown_endpoint;
use crate::core::text::concat;
use crate::core::{Millis, MAX_RESPONSE_BYTES};
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(raw_module = "./transport.js")]
extern "C" {
    /// Never rejects: see `pkg-template/transport.js` for what it resolves to.
    #[wasm_bindgen(js_name = sendTokenRequest)]
    fn send_token_request(fetch: Option<Function>, url: &str, method: &str, headers: Array, body: &str, timeout_ms: u32, cap: u32) -> Promise;
}

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

pub fn now() -> Millis {
    js_sys::Date::now() as Millis
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

/// What arrived for a token request.
pub struct Arrived {
    pub status: u16,
    pub at: Millis,
    pub body: Vec<u8>,
    pub date: Option<String>,
    pub retry_after: Option<String>,
    pub www_authenticate: Option<String>,
}

/// Sends `request` with the `fetch` option (or `globalThis.fetch`) and
/// returns what arrived, or the failure to get it.
pub async fn send(fetch: Option<&Function>, request: &HttpRequest, timeout_ms: u32) -> Result<Arrived, Failure> {
    let headers: Array = request.headers.iter().map(|(name, value)| -> JsValue { Array::of2(&JsValue::from_str(name), &JsValue::from_str(value.expose())).into() }).collect();
    let cap = (MAX_RESPONSE_BYTES + 1) as u32;
    let sent = send_token_request(fetch.cloned(), &request.url, request.method, headers, request.body.expose(), timeout_ms, cap);
    let outcome = JsFuture::from(sent).await.unwrap_or(JsValue::UNDEFINED);
    let get = |key: &str| Reflect::get(&outcome, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    if let Some(message) = get("error").as_string() {
        let code = match get("code").as_string().as_deref() {
            Some("timeout") => ErrorCode::Timeout,
            Some("invalid_config") => ErrorCode::InvalidConfig,
            _ => ErrorCode::Network,
        };
        // Name the endpoint, as response failures do (docs/API.md §5).
        return Err(Failure::new(code, concat(&[&message, " (token endpoint ", shown_endpoint(&request.url), ")"])));
    }
    let status = get("status").as_f64().unwrap_or(0.0) as u16;
    if status == 0 || (300..400).contains(&status) {
        let mut f = Failure::new(
            ErrorCode::InvalidResponse,
            concat(&[
                "token endpoint ",
                shown_endpoint(&request.url),
                " answered with a redirect, which is not followed: credentials go only to the configured URL (set tokenUrl to the final URL)",
            ]),
        );
        f.status = (status != 0).then_some(status);
        return Err(f);
    }
    let body = if get("tooLarge").is_truthy() {
        // Declared over the limit: the core refuses a body this long.
        vec![0; MAX_RESPONSE_BYTES + 1]
    } else {
        get("body").dyn_into::<Uint8Array>().map(|b| b.to_vec()).unwrap_or_default()
    };
    Ok(Arrived {
        status,
        at: get("at").as_f64().unwrap_or(0.0) as Millis,
        body,
        date: get("date").as_string(),
        retry_after: get("retryAfter").as_string(),
        www_authenticate: get("wwwAuthenticate").as_string(),
    })
}
